package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// A read-only open reads everything, alongside another reader, and writes
// nothing: writes are refused by name, the file's bytes stay the same, and
// a damaged file's marker is not left by the store (the check command does
// that itself).
func TestReadOnlyOpen(t *testing.T) {
	ctx := context.Background()
	path := filled(t)
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("a second reader: %v", err)
	}
	other.Close()
	if !db.ReadOnly() {
		t.Error("ReadOnly() is false")
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatalf("verify: %v", err)
	}
	view(t, db, func(tx finance.ReadTx) error {
		_, err := tx.Settings()
		return err
	})
	werr := db.Update(ctx, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	if !errors.Is(werr, ErrReadOnly) || !strings.Contains(werr.Error(), path) || !strings.Contains(werr.Error(), "nothing was written") {
		t.Errorf("update on a read-only open: %v", werr)
	}
	berr := db.Batch(ctx, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	if !errors.Is(berr, ErrReadOnly) {
		t.Errorf("batch on a read-only open: %v", berr)
	}
	db.Close()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Error("a read-only open changed the file")
	}
	if _, err := os.Stat(DamageMarker(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("marker: %v", err)
	}
}

// A read-only open makes nothing: no folder for a missing file, no pages in
// an empty one, no schema upgrade in an old one.
func TestReadOnlyOpenWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such.db")
	if _, err := Open(ctx, missing, Options{ReadOnly: true}); !errors.Is(err, finance.ErrNotInitialized) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only open made the folder: %v", err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, empty, Options{ReadOnly: true}); !errors.Is(err, finance.ErrNotInitialized) {
		t.Errorf("empty file: %v", err)
	}
	if size(t, empty) != 0 {
		t.Error("a read-only open wrote into an empty file")
	}
	old := filepath.Join(dir, "old.db")
	migs := migrations()
	db, err := open(ctx, old, Options{}, migs[:len(migs)-1])
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	was, _ := os.ReadFile(old)
	_, err = Open(ctx, old, Options{ReadOnly: true})
	if !errors.Is(err, ErrNeedsUpgrade) || !strings.Contains(err.Error(), old) {
		t.Errorf("old schema: %v", err)
	}
	if now, _ := os.ReadFile(old); string(now) != string(was) {
		t.Error("a read-only open upgraded the file")
	}
}

// While a writer holds the file a reader waits, then says who holds it.
func TestReadOnlyOpenWhileHeld(t *testing.T) {
	ctx := context.Background()
	path := filled(t)
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = Open(ctx, path, Options{ReadOnly: true, LockTimeout: 50e6})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, finance.ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Errorf("read-only open of a held file: %v", err)
	}
}
