package store

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// filled is a closed database file with enough in it to span many pages.
func filled(t *testing.T) string {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir()+"/paydesk.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	d := finance.Date("2025-03-14")
	for i := range 300 {
		c := mustClient(t, db, strings.Repeat("Client ", 20)+phone(i), phone(i))
		appendOp(t, db, topUp("k"+phone(i), c.ID, "cash", 100, d))
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// A file cut short is refused at Open with its name and what is missing,
// before bbolt maps it (reading past its end is a fault no recover catches),
// and nothing is written to it.
func TestOpenRefusesAFileCutShort(t *testing.T) {
	path := filled(t)
	for _, keep := range []int64{size(t, path) / 2, size(t, path) - 4096, 3 * 4096} {
		if err := os.Truncate(path, keep); err != nil {
			t.Fatal(err)
		}
		db, err := Open(context.Background(), path, Options{})
		if err == nil {
			db.Close()
			t.Fatalf("a file cut to %d bytes opened", keep)
		}
		if !errors.Is(err, finance.ErrInvalid) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("cut to %d: %v", keep, err)
		}
		if got := size(t, path); got != keep {
			t.Fatalf("the refused file changed size: %d, was %d", got, keep)
		}
	}
}

// Both headers broken: refused by name, no panic.
func TestOpenRefusesBrokenHeaders(t *testing.T) {
	path := filled(t)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{16 + 40, 4096 + 16 + 40} { // each meta's page count
		if _, err := f.WriteAt([]byte{0xff, 0xff, 0xff}, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	_, err = Open(context.Background(), path, Options{})
	if !errors.Is(err, finance.ErrInvalid) || !strings.Contains(err.Error(), path) {
		t.Fatalf("open: %v", err)
	}
}

// Pages overwritten in the middle of the file: Verify names the bucket that
// is damaged instead of panicking (bbolt's checker would, in a goroutine of
// its own), and from then on no write is accepted, in this process or in the
// next one that opens the file, until a check passes again.
func TestVerifyNamesDamageAndStopsWrites(t *testing.T) {
	path := filled(t)
	healthy, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for eighth := int64(1); eighth < 8 && !found; eighth++ {
		if err := os.WriteFile(path, healthy, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		junk := make([]byte, 3*4096)
		_, _ = rand.Read(junk)
		if _, err := f.WriteAt(junk, size(t, path)*eighth/8/4096*4096); err != nil {
			t.Fatal(err)
		}
		f.Close()
		db, err := Open(context.Background(), path, Options{})
		if err != nil {
			continue // damage bbolt refuses at open is fine too
		}
		verr := db.Verify(context.Background())
		if verr == nil {
			db.Close() // the junk landed on free pages
			continue
		}
		found = true
		if !strings.Contains(verr.Error(), path) || !strings.Contains(verr.Error(), "damaged") {
			t.Errorf("verify: %v", verr)
		}
		werr := db.Update(context.Background(), func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
		if !errors.Is(werr, finance.ErrInvalid) || !strings.Contains(werr.Error(), "no writes") {
			t.Errorf("a write after a failed check: %v", werr)
		}
		db.Close()
		db, err = Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		werr = db.Update(context.Background(), func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
		if !errors.Is(werr, finance.ErrInvalid) || !strings.Contains(werr.Error(), DamageMarker(path)) {
			t.Errorf("a write in the next process: %v", werr)
		}
		db.Close()
	}
	if !found {
		t.Fatal("no damage found anywhere in the file")
	}
}
