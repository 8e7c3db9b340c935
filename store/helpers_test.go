package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

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

// openTest opens a fresh database with settings stored.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "paydesk.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	return db
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
