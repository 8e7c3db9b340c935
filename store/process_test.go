package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

const helperEnv = "PAYDESK_STORE_TEST_SECOND_OPEN"

// TestHelperSecondOpen is not a test on its own: TestSecondProcessIsLockedOut
// re-runs the test binary with helperEnv set, so this runs as a real second
// process against a file the first one holds.
func TestHelperSecondOpen(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("runs only as the second process of TestSecondProcessIsLockedOut")
	}
	db, err := Open(context.Background(), path, Options{})
	if err == nil {
		db.Close()
		fmt.Println("RESULT: opened")
		return
	}
	fmt.Printf("RESULT: locked=%v\nMESSAGE: %v\n", errors.Is(err, finance.ErrLocked), err)
}

func TestSecondProcessIsLockedOut(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("inside the helper")
	}
	path := filepath.Join(t.TempDir(), "held.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}

	run := func() (string, time.Duration) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSecondOpen$", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"="+path)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper process: %v\n%s", err, out)
		}
		return string(out), time.Since(start)
	}

	out, took := run()
	if !strings.Contains(out, "RESULT: locked=true") {
		t.Fatalf("second process was not locked out:\n%s", out)
	}
	wantMsg := "database " + path + " is in use by another paydesk process"
	if !strings.Contains(out, wantMsg) {
		t.Errorf("message does not name the file; want %q in:\n%s", wantMsg, out)
	}
	// The usual holder is an open desk; the message must not send the user
	// looking for a paydesk serve that is not running.
	if !strings.Contains(out, "desk open") {
		t.Errorf("message does not mention an open desk:\n%s", out)
	}
	// A generous bound: the lock wait is 1 s; this only catches a hang.
	if took > 10*time.Second {
		t.Errorf("second process took %v to give up", took)
	}

	// Once the first process lets go, the second gets in.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if out, _ := run(); !strings.Contains(out, "RESULT: opened") {
		t.Errorf("after Close the second process could not open:\n%s", out)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "Ira", phone(1))
	ctx := context.Background()

	var stop atomic.Bool
	var written atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load() && i < 5000; i++ {
			err := db.Update(ctx, func(tx finance.Tx) error {
				return tx.AppendOperation(topUp(fmt.Sprintf("w%d", i), c.ID, "cash", 1, "2026-03-02"))
			})
			if err != nil {
				writeErr = err
				failed.Store(true)
				return
			}
			written.Add(1)
		}
	}()

	dir := t.TempDir()
	var backups []string
	for i := 0; i < 3; i++ {
		// Each copy is taken with the writer mid-stream.
		for target := int64(20 * (i + 1)); written.Load() < target && !failed.Load(); {
			time.Sleep(time.Millisecond)
		}
		p := filepath.Join(dir, fmt.Sprintf("b%d", i), "copy.db")
		if err := db.Backup(ctx, p); err != nil {
			t.Fatal(err)
		}
		backups = append(backups, p)
	}
	stop.Store(true)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}

	for _, p := range backups {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("backup mode %o", fi.Mode().Perm())
		}
		b, err := Open(ctx, p, Options{})
		if err != nil {
			t.Fatalf("backup %s does not open: %v", p, err)
		}
		if err := b.Verify(ctx); err != nil {
			t.Error(err)
		}
		// A consistent copy: the cash balance, the day's closing and the
		// number of operations agree with each other.
		view(t, b, func(tx finance.ReadTx) error {
			last, _ := tx.LastOperationID()
			bal, _ := tx.Balance(finance.RegisterAccount("cash"))
			dt, _ := tx.RegisterDay("cash", "2026-03-02")
			if bal != 10000+int64(last) || dt.Closing != bal || dt.Count != int(last) {
				t.Errorf("inconsistent copy: %d ops, balance %d, day %+v", last, bal, dt)
			}
			return nil
		})
		b.Close()
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "b0"))
	if len(entries) != 1 {
		t.Errorf("temp files left beside the backup: %v", entries)
	}
}

func TestBackupRefusals(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(p, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantErr(t, db.Backup(ctx, p), finance.ErrConflict)
	if got, _ := os.ReadFile(p); string(got) != "precious" {
		t.Error("existing file was overwritten")
	}
	wantErr(t, db.Backup(ctx, db.Path()), finance.ErrInvalid)
	wantErr(t, db.Backup(ctx, ""), finance.ErrInvalid)
	if err := db.BackupOverwrite(ctx, p); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	q := filepath.Join(t.TempDir(), "never.db")
	if err := db.Backup(canceled, q); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled backup: %v", err)
	}
	if _, err := os.Stat(q); !os.IsNotExist(err) {
		t.Error("canceled backup left a file")
	}
}

func TestVerifyDetectsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	for i := 0; i < 50; i++ {
		mustClient(t, db, fmt.Sprintf("Client %d", i), phone(i))
	}
	if err := db.Verify(context.Background()); err != nil {
		t.Fatalf("healthy file: %v", err)
	}
	db.Close()

	// Scribble over a data page (not the meta pages 0 and 1).
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	junk := []byte(strings.Repeat("\xff", 4096))
	for off := int64(4 * 4096); off+4096 <= fi.Size(); off += 4096 {
		if _, err := f.WriteAt(junk, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	db, err = Open(context.Background(), path, Options{})
	if err != nil {
		// Refusing to open a damaged file is also a clear answer, if it says so.
		wantErr(t, err, finance.ErrInvalid)
		return
	}
	defer db.Close()
	if err := db.Verify(context.Background()); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Verify on a damaged file = %v", err)
	}
}
