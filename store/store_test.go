package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

func TestOpenCreatesDirAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "paydesk.db")
	if Exists(path) {
		t.Fatal("Exists before Open")
	}
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db)
	if db.Path() != path {
		t.Errorf("Path = %q, want %q", db.Path(), path)
	}
	if !Exists(path) {
		t.Error("Exists after Open = false")
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", p, got, want)
		}
	}
	err = db.View(context.Background(), func(tx finance.ReadTx) error {
		_, err := tx.Settings()
		return err
	})
	wantErr(t, err, finance.ErrNotInitialized)
}

func TestOpenHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	path := filepath.Join(t.TempDir(), "x.db")
	if _, err := Open(ctx, path, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with canceled ctx: %v", err)
	}
	db := openTest(t)
	if err := db.View(ctx, func(finance.ReadTx) error { t.Error("fn ran"); return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("View: %v", err)
	}
	if err := db.Update(ctx, func(finance.Tx) error { t.Error("fn ran"); return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update: %v", err)
	}
}

func TestOpenRefusesNonDatabase(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"short.txt": []byte("hello, I am a note\n"),
		"long.txt":  []byte(strings.Repeat("not a database at all ", 2000)),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(context.Background(), path, Options{})
		if err == nil || !strings.Contains(err.Error(), "not a paydesk database") || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error = %v", name, err)
		}
		wantErr(t, err, finance.ErrInvalid)
		if got, _ := os.ReadFile(path); string(got) != string(content) {
			t.Errorf("%s was modified", name)
		}
	}
}

func TestOpenRefusesForeignBoltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err }); err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	_, err = Open(context.Background(), path, Options{})
	wantErr(t, err, finance.ErrInvalid)
}

func TestSchemaNewerThanBinaryRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put(keySchema, u64(SchemaVersion()+1))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(context.Background(), path, Options{})
	wantErr(t, err, finance.ErrInvalid)
	if !strings.Contains(err.Error(), "newer than this paydesk") {
		t.Errorf("error = %v", err)
	}
}

func TestMigrationsRunInOrderOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Versions after the real ones, so the test holds whatever schema is current.
	n := SchemaVersion()
	var ran []uint64
	migs := append(migrations(),
		migration{version: n + 1, name: "two", apply: func(tx *bolt.Tx) error {
			ran = append(ran, n+1)
			return tx.Bucket(bCursors).Put([]byte("m2"), []byte("x"))
		}},
		migration{version: n + 2, name: "three", apply: func(tx *bolt.Tx) error {
			ran = append(ran, n+2)
			if string(tx.Bucket(bCursors).Get([]byte("m2"))) != "x" {
				return errors.New("migration 2 not visible to 3")
			}
			return nil
		}},
	)
	db, err = open(context.Background(), path, Options{}, migs)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = open(context.Background(), path, Options{}, migs)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(ran) != 2 || ran[0] != n+1 || ran[1] != n+2 {
		t.Errorf("migrations ran %v, want [%d %d] once", ran, n+1, n+2)
	}
	var v uint64
	_ = db.bolt.View(func(tx *bolt.Tx) error { v = getU64(tx.Bucket(bMeta).Get(keySchema)); return nil })
	if v != n+2 {
		t.Errorf("schema = %d, want %d", v, n+2)
	}
}

func TestFailedMigrationChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	n := SchemaVersion()
	migs := append(migrations(),
		migration{version: n + 1, name: "writes", apply: func(tx *bolt.Tx) error {
			return tx.Bucket(bCursors).Put([]byte("m2"), []byte("x"))
		}},
		migration{version: n + 2, name: "fails", apply: func(*bolt.Tx) error { return errors.New("boom") }},
	)
	if _, err := open(context.Background(), path, Options{}, migs); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("open = %v, want the migration's error", err)
	}
	db, err = Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db)
	view(t, db, func(tx finance.ReadTx) error {
		if v, _ := tx.Cursor("m2"); v != "" {
			t.Error("half a migration was kept")
		}
		return nil
	})
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	c := mustClient(t, db, "Olena Kovalenko", phone(1))
	id := appendOp(t, db, topUp("k1", c.ID, "cash", 5000, "2026-03-02"))
	update(t, db, func(tx finance.Tx) error { return tx.SetCursor("stripe", "evt_9") })
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db)
	view(t, db, func(tx finance.ReadTx) error {
		s, err := tx.Settings()
		if err != nil || s.Location != "Studio Mila" || len(s.Registers) != 4 {
			t.Errorf("settings = %+v, %v", s, err)
		}
		got, err := tx.ClientByPhone(phone(1))
		if err != nil || got.Name != "Olena Kovalenko" {
			t.Errorf("client = %+v, %v", got, err)
		}
		op, err := tx.OperationByKey("k1")
		if err != nil || op.ID != id {
			t.Errorf("op = %+v, %v", op, err)
		}
		if bal, _ := tx.Balance(finance.ClientAccount(c.ID)); bal != -5000 {
			t.Errorf("client balance = %d", bal)
		}
		dt, err := tx.RegisterDay("cash", "2026-03-02")
		if err != nil || dt.Opening != 10000 || dt.Closing != 15000 {
			t.Errorf("day = %+v, %v", dt, err)
		}
		if cur, _ := tx.Cursor("stripe"); cur != "evt_9" {
			t.Errorf("cursor = %q", cur)
		}
		if res, _ := tx.SearchClients("olena", 10); len(res) != 1 {
			t.Errorf("search after reopen = %v", names(res))
		}
		return nil
	})
	// The next IDs continue, never reuse.
	c2 := mustClient(t, db, "Petro", phone(2))
	if c2.ID != c.ID+1 {
		t.Errorf("next client id = %d", c2.ID)
	}
	if id2 := appendOp(t, db, topUp("k2", c2.ID, "cash", 1, "2026-03-02")); id2 != id+1 {
		t.Errorf("next op id = %d", id2)
	}
	if err := db.Verify(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestUpdateRollsBackOnError(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "Ira", phone(1))
	boom := errors.New("rule refused")
	err := db.Update(context.Background(), func(tx finance.Tx) error {
		if err := tx.AppendOperation(topUp("k1", c.ID, "cash", 100, "2026-03-02")); err != nil {
			return err
		}
		if _, err := tx.CreateClient(finance.Client{Name: "Ghost", Phone: phone(2)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	view(t, db, func(tx finance.ReadTx) error {
		if _, err := tx.OperationByKey("k1"); !errors.Is(err, finance.ErrNotFound) {
			t.Errorf("operation survived rollback: %v", err)
		}
		if n, _ := tx.ClientCount(); n != 1 {
			t.Errorf("client count = %d", n)
		}
		if bal, _ := tx.Balance(finance.RegisterAccount("cash")); bal != 10000 {
			t.Errorf("cash balance = %d", bal)
		}
		if res, _ := tx.SearchClients("ghost", 5); len(res) != 0 {
			t.Errorf("ghost found")
		}
		dt, _ := tx.RegisterDay("cash", "2026-03-02")
		if dt.Count != 0 || dt.Closing != 10000 {
			t.Errorf("day aggregate survived rollback: %+v", dt)
		}
		return nil
	})
}

func TestViewCannotWrite(t *testing.T) {
	db := openTest(t)
	err := db.View(context.Background(), func(rtx finance.ReadTx) error {
		return rtx.(finance.Tx).SetCursor("x", "y")
	})
	if err == nil {
		t.Error("a write inside View succeeded")
	}
}

func TestClosedDB(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.Update(context.Background(), func(finance.Tx) error { return nil }); err == nil {
		t.Error("Update on a closed database succeeded")
	}
}
