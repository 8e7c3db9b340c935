package store

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// historyOf reads a client's whole history, and each operation by id, so the
// copies in the client index can be compared with the originals.
func historyOf(t *testing.T, db *DB, id finance.ClientID) (copies, originals []finance.Operation) {
	t.Helper()
	view(t, db, func(tx finance.ReadTx) error {
		var err error
		if copies, err = tx.ClientOperations(id, finance.Page{}); err != nil {
			return err
		}
		for _, op := range copies {
			o, err := tx.Operation(op.ID)
			if err != nil {
				return err
			}
			originals = append(originals, o)
		}
		return nil
	})
	return copies, originals
}

func TestClientHistoryCopiesFollowReversals(t *testing.T) {
	db := openTest(t)
	a := mustClient(t, db, "A", phone(1))
	b := mustClient(t, db, "B", phone(2))
	topA := appendOp(t, db, topUp("ta", a.ID, "cash", 100, "2026-03-02"))
	appendOp(t, db, topUp("tb", b.ID, "card", 50, "2026-03-02"))
	// A transfer between deposits is in both histories: both copies must follow.
	tr := &finance.Operation{Key: "ab", Kind: finance.OpTransfer, BusinessDate: "2026-03-02", Postings: []finance.Posting{
		{Account: finance.ClientAccount(a.ID), Amount: 30}, {Account: finance.ClientAccount(b.ID), Amount: -30}}}
	trID := appendOp(t, db, tr)
	rev := &finance.Operation{Key: "r-ab", Kind: finance.OpReversal, BusinessDate: "2026-03-03", Reverses: trID,
		Postings: []finance.Posting{
			{Account: finance.ClientAccount(a.ID), Amount: -30}, {Account: finance.ClientAccount(b.ID), Amount: 30}}}
	update(t, db, func(tx finance.Tx) error {
		if err := tx.AppendOperation(rev); err != nil {
			return err
		}
		return tx.MarkReversed(trID, rev.ID)
	})
	// A reversal refused inside a transaction leaves no copy changed.
	err := db.Update(context.Background(), func(tx finance.Tx) error {
		if err := tx.MarkReversed(topA, rev.ID); err != nil {
			return err
		}
		return tx.MarkReversed(trID, topA) // already reversed: the whole tx rolls back
	})
	wantErr(t, err, finance.ErrAlreadyReversed)

	for _, c := range []finance.ClientID{a.ID, b.ID} {
		copies, originals := historyOf(t, db, c)
		if len(copies) != 3 {
			t.Fatalf("client %d history has %d operations, want 3", c, len(copies))
		}
		if !reflect.DeepEqual(copies, originals) {
			t.Errorf("client %d history copies differ from the operations:\n%+v\n%+v", c, copies, originals)
		}
		if copies[0].ID != rev.ID || copies[0].Reverses != trID || copies[1].ID != trID || copies[1].ReversedBy != rev.ID {
			t.Errorf("client %d history = %+v", c, copies)
		}
		if copies[2].ReversedBy != 0 {
			t.Errorf("client %d: the rolled-back reversal marked operation %d", c, copies[2].ID)
		}
	}
	if err := db.Verify(context.Background()); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestVerifyFindsDivergentClientHistory(t *testing.T) {
	tests := []struct {
		name   string
		damage func(hist *bolt.Bucket, a finance.ClientID, op finance.OperationID) error
		want   string
	}{
		{"stale copy", func(hist *bolt.Bucket, a finance.ClientID, op finance.OperationID) error {
			return hist.Put(idID(uint64(a), uint64(op)), []byte(`{"id":1}`))
		}, "differs from the operation"},
		{"missing copy", func(hist *bolt.Bucket, a finance.ClientID, op finance.OperationID) error {
			return hist.Put(idID(uint64(a), uint64(op)), nil)
		}, "differs from the operation"},
		{"no such operation", func(hist *bolt.Bucket, a finance.ClientID, op finance.OperationID) error {
			return hist.Put(idID(uint64(a), 999), []byte(`{"id":999}`))
		}, "operation 999, which does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTestUnchecked(t) // it damages the history on purpose
			a := mustClient(t, db, "A", phone(1))
			op := appendOp(t, db, topUp("ta", a.ID, "cash", 100, "2026-03-02"))
			if err := db.bolt.Update(func(btx *bolt.Tx) error { return tc.damage(btx.Bucket(bOpClient), a.ID, op) }); err != nil {
				t.Fatal(err)
			}
			err := db.Verify(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("verify = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestClientHistoryMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	var old []migration // up to the one before client history copies
	for _, m := range migrations() {
		if m.name == "client history entries hold their operation" {
			break
		}
		old = append(old, m)
	}
	db, err := open(ctx, path, Options{}, old)
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	a := mustClient(t, db, "A", phone(1))
	b := mustClient(t, db, "B", phone(2))
	for i := range 5 {
		appendOp(t, db, topUp("a"+string(rune('0'+i)), a.ID, "cash", 10, "2026-03-02"))
	}
	tr := &finance.Operation{Key: "ab", Kind: finance.OpTransfer, BusinessDate: "2026-03-02", Postings: []finance.Posting{
		{Account: finance.ClientAccount(a.ID), Amount: 5}, {Account: finance.ClientAccount(b.ID), Amount: -5}}}
	appendOp(t, db, tr)
	// The older layout kept keys only.
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		hist := btx.Bucket(bOpClient)
		var keys [][]byte
		_ = hist.ForEach(func(k, _ []byte) error { keys = append(keys, append([]byte(nil), k...)); return nil })
		for _, k := range keys {
			if err := hist.Put(k, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db)
	for _, c := range []finance.ClientID{a.ID, b.ID} {
		copies, originals := historyOf(t, db, c)
		if want := map[finance.ClientID]int{a.ID: 6, b.ID: 1}[c]; len(copies) != want {
			t.Errorf("client %d: %d operations after migration, want %d", c, len(copies), want)
		}
		if !reflect.DeepEqual(copies, originals) {
			t.Errorf("client %d: copies differ after migration", c)
		}
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatalf("verify after migration: %v", err)
	}
}
