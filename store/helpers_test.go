package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/paydesk/paydesk/finance"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func testSettings() finance.Settings {
	return finance.Settings{
		Location: "Studio Mila", Currency: "EUR", Locale: "en", TimeZone: "UTC", PhoneRegion: "UA",
		Registers: []finance.Register{
			{ID: "cash", Name: "Cash drawer", Kind: finance.RegisterCash, StartBalance: 10000},
			{ID: "card", Name: "Card terminal", Kind: finance.RegisterCard},
			{ID: "stripe", Name: "Stripe", Kind: finance.RegisterOnline},
			{ID: "bank", Name: "Bank", Kind: finance.RegisterBank, StartBalance: 500},
		},
		OnlineRegID: "stripe", BankRegID: "bank",
	}
}

// openTest opens a fresh database with settings stored, checked when the
// test ends (checkAtEnd).
func openTest(t testing.TB) *DB {
	t.Helper()
	db := openTestUnchecked(t)
	checkAtEnd(t, db)
	return db
}

// openTestUnchecked is openTest for a test that damages the file or the
// books on purpose: nothing is checked at its end.
func openTestUnchecked(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "paydesk.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	return db
}

// closeAtEnd closes db when the test ends, after checkAtEnd's checks.
func closeAtEnd(t testing.TB, db *DB) {
	t.Helper()
	t.Cleanup(func() { _ = db.Close() })
	checkAtEnd(t, db)
}

// checkAtEnd has db checked when the test ends, before it is closed (call it
// after registering the Close), as bbolt's own tests do: bbolt's page-level
// check of the file, then the ledger's invariants. A handle the test closed
// itself is skipped (the handle it reopened is checked in its place), and so
// is a database never set up. A test that breaks the books on purpose does
// not call it.
func checkAtEnd(t testing.TB, db *DB) {
	t.Helper()
	t.Cleanup(func() {
		ctx := context.Background()
		if err := db.Verify(ctx); err != nil {
			if !errors.Is(err, berrors.ErrDatabaseNotOpen) {
				t.Errorf("at cleanup: %v", err)
			}
			return
		}
		rep, err := finance.NewService(db).Check(ctx)
		switch {
		case errors.Is(err, finance.ErrNotInitialized):
		case err != nil:
			t.Errorf("at cleanup: the invariant check: %v", err)
		case len(rep.Problems) > 0:
			t.Errorf("at cleanup: the invariant check found problems:\n%s", rep)
		}
	})
}

func update(t testing.TB, db *DB, fn func(tx finance.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func view(t testing.TB, db *DB, fn func(tx finance.ReadTx) error) {
	t.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func mustClient(t testing.TB, db *DB, name, phone string) finance.Client {
	t.Helper()
	var c finance.Client
	update(t, db, func(tx finance.Tx) error {
		var err error
		c, err = tx.CreateClient(finance.Client{Name: name, Phone: phone, Created: t0})
		return err
	})
	return c
}

// topUp builds a top-up: register +amount, client deposit -amount.
func topUp(key string, client finance.ClientID, reg string, amount int64, d finance.Date) *finance.Operation {
	return &finance.Operation{
		Key: key, Kind: finance.OpTopUp, BusinessDate: d, Time: t0, Staff: "anna", ClientID: client,
		Postings: []finance.Posting{
			{Account: finance.RegisterAccount(reg), Amount: amount},
			{Account: finance.ClientAccount(client), Amount: -amount},
		},
	}
}

// cashMove builds a paid-in (amount > 0) or paid-out (amount < 0) on a register.
func cashMove(key, reg string, amount int64, d finance.Date) *finance.Operation {
	kind := finance.OpPaidIn
	if amount < 0 {
		kind = finance.OpPaidOut
	}
	return &finance.Operation{
		Key: key, Kind: kind, BusinessDate: d, Time: t0, Staff: "anna", Comment: "float",
		Postings: []finance.Posting{
			{Account: finance.RegisterAccount(reg), Amount: amount},
			{Account: finance.AccountPaidInOut, Amount: -amount},
		},
	}
}

func appendOp(t testing.TB, db *DB, op *finance.Operation) finance.OperationID {
	t.Helper()
	update(t, db, func(tx finance.Tx) error { return tx.AppendOperation(op) })
	return op.ID
}

func wantErr(t testing.TB, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want one wrapping %q", err, sentinel)
	}
}

func names(cs []finance.Client) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func phone(i int) string { return fmt.Sprintf("+38067%07d", i) }
