package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
)

// paydesk backup while serve is writing: every copy passes check. Then
// restore: refused while serve holds the file, refused for a damaged backup
// (the books unchanged), and a good one put in place with the old file kept.
func TestBackupWhileServingAndRestore(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.ok("client", "add", "--name", "Anna Petrenko", "--phone", "050 123 4567")
	s := d.serve()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				d.run("deposit", "--client", "1", "--amount", "1.50", "--register", "cash", "--key", fmt.Sprintf("w%d-%d", w, i))
			}
		}()
	}
	dir := t.TempDir()
	var copies []string
	for i := range 3 {
		time.Sleep(100 * time.Millisecond)
		p := filepath.Join(dir, fmt.Sprintf("b%d.db", i))
		d.ok("backup", p)
		copies = append(copies, p)
	}
	close(stop)
	wg.Wait()
	for _, p := range copies {
		if out := d.ok("--db", p, "check"); !strings.Contains(out, "every invariant holds") {
			t.Fatalf("backup %s: %s", p, out)
		}
	}
	var atBackup []opOut
	d.json(&atBackup, "--db", copies[2], "ops")

	if r := d.run("restore", copies[2]); r.code != exitRefused || !strings.Contains(r.err, "stop it first") {
		t.Fatalf("restore while serve runs: exit %d %s", r.code, r.err)
	}
	d.ok("deposit", "--client", "1", "--amount", "7", "--register", "cash")
	s.stop()

	var before []opOut
	d.json(&before, "ops")
	cut := filepath.Join(dir, "cut.db")
	raw, err := os.ReadFile(copies[2])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, raw[:len(raw)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{cut, filepath.Join(dir, "missing.db"), d.config} {
		if r := d.run("restore", bad); r.code != exitRefused || !strings.Contains(r.err, "not restored") {
			t.Fatalf("restore %s: exit %d %s", bad, r.code, r.err)
		}
	}
	var after []opOut
	d.json(&after, "ops")
	if len(after) != len(before) {
		t.Fatalf("a refused restore changed the books: %d operations, were %d", len(after), len(before))
	}

	out := d.ok("restore", copies[2])
	if !strings.Contains(out, "kept as") {
		t.Fatalf("restore: %s", out)
	}
	var restored []opOut
	d.json(&restored, "ops")
	if len(restored) != len(atBackup) || len(restored) >= len(before) {
		t.Fatalf("after restore %d operations; the backup had %d, the books before %d", len(restored), len(atBackup), len(before))
	}
	d.ok("check")
	kept, _ := filepath.Glob(d.db + ".before-restore-*")
	if len(kept) != 1 {
		t.Fatalf("the replaced file is not kept: %v", kept)
	}
}

// The scheduled backup: each copy is checked, only the newest keep stay.
func TestScheduledBackupKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "p.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := finance.NewService(db, finance.WithPINCost(bcrypt.MinCost))
	if err := svc.Setup(ctx, finance.Settings{Location: "x", Currency: "EUR", Locale: "en", TimeZone: "UTC", PhoneRegion: "UA",
		Registers: []finance.Register{{ID: "cash", Name: "Cash", Kind: finance.RegisterCash}}}, "Olena", "1234"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "backups")
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	for i := range 4 {
		if _, err := backupInto(ctx, db, dir, 2, at.AddDate(0, 0, i)); err != nil {
			t.Fatal(err)
		}
	}
	got := backups(dir)
	if len(got) != 2 || !strings.Contains(got[0], "20261203T030000") || !strings.Contains(got[1], "20261204T030000") {
		t.Fatalf("kept %v", got)
	}
	for _, p := range got {
		if err := checkBackup(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if newestBackup(dir).IsZero() {
		t.Fatal("no newest backup")
	}
	for _, tc := range []struct {
		now  time.Time
		hour int
		want time.Duration
	}{
		{time.Date(2026, 12, 1, 2, 30, 0, 0, time.UTC), 3, 30 * time.Minute},
		{time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), 3, 24 * time.Hour},
		{time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC), 0, time.Hour},
	} {
		if got := untilHour(tc.now, tc.hour); got != tc.want {
			t.Errorf("untilHour(%v, %d) = %v, want %v", tc.now, tc.hour, got, tc.want)
		}
	}
}
