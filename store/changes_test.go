package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

func changes(t *testing.T, db *DB, after uint64) []finance.ChangeEntry {
	t.Helper()
	var out []finance.ChangeEntry
	view(t, db, func(tx finance.ReadTx) error {
		var err error
		out, err = tx.(finance.ChangeLog).ChangesAfter(after, 0)
		return err
	})
	return out
}

func TestChangeLogNumbersEveryRecordWrite(t *testing.T) {
	db := openTest(t)
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	c := mustClient(t, db, "Olena Kovalenko", phone(1))
	update(t, db, func(tx finance.Tx) error {
		c.Note = "VIP"
		if err := tx.UpdateClient(c); err != nil {
			return err
		}
		if err := tx.PutBooking(finance.Booking{ID: "bk-1", Status: finance.BookingPrepaid}); err != nil {
			return err
		}
		if err := tx.PutRefund(finance.Refund{Key: "rf-1", BookingID: "bk-1", Status: finance.RefundRequested}); err != nil {
			return err
		}
		if err := tx.PutStaff(finance.Staff{Name: "Ira", Role: finance.RoleDesk}); err != nil {
			return err
		}
		// A PIN try rewrites the staff record; no replica needs that.
		return tx.PutStaff(finance.Staff{Name: "Ira", Role: finance.RoleDesk, FailedPINs: 1})
	})
	want := []finance.ChangeEntry{{Seq: 1, Kind: finance.ChangeClient, ID: "1"}, {Seq: 2, Kind: finance.ChangeClient, ID: "1"},
		{Seq: 3, Kind: finance.ChangeBooking, ID: "bk-1"}, {Seq: 4, Kind: finance.ChangeRefund, ID: "rf-1"}, {Seq: 5, Kind: finance.ChangeStaff, ID: "Ira"}}
	got := changes(t, db, 0)
	if len(got) != len(want) {
		t.Fatalf("changes %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := changes(t, db, 3); len(got) != 2 || got[0].Seq != 4 {
		t.Errorf("after 3: %+v", got)
	}
	appendOp(t, db, topUp("k1", c.ID, "cash", 500, "2026-11-20"))
	appendOp(t, db, topUp("k2", c.ID, "cash", 700, "2026-11-20"))
	view(t, db, func(tx finance.ReadTx) error {
		cl := tx.(finance.ChangeLog)
		h, err := cl.Heads()
		if err != nil || h != (finance.Heads{Operation: 2, Change: 5}) {
			t.Errorf("heads %+v, %v", h, err)
		}
		ops, err := cl.OperationsAfter(1, 10)
		if err != nil || len(ops) != 1 || ops[0].Key != "k2" {
			t.Errorf("operations after 1: %+v, %v", ops, err)
		}
		return nil
	})
}

// A file from before the change log gets an entry for every record it holds.
func TestChangeLogMigrationListsExistingRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	mustClient(t, db, "Olena Kovalenko", phone(1))
	mustClient(t, db, "Ira Melnyk", phone(2))
	update(t, db, func(tx finance.Tx) error {
		return tx.PutStaff(finance.Staff{Name: "Ira", Role: finance.RoleDesk, Created: time.Now()})
	})
	// Back to schema 6: no change log yet.
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bChanges); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(keySchema, u64(6))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db)
	got := changes(t, db, 0)
	if len(got) != 3 || got[0].ID != "1" || got[1].ID != "2" || got[2] != (finance.ChangeEntry{Seq: 3, Kind: finance.ChangeStaff, ID: "Ira"}) {
		t.Errorf("changes after migrating: %+v", got)
	}
}
