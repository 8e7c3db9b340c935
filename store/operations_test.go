package store

import (
	"fmt"
	"math"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

func TestAppendOperation(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "Ira", phone(1))
	op := topUp("k1", c.ID, "cash", 5000, "2026-03-02")
	op.ID = 777 // the store assigns IDs, whatever the caller set
	op.Comment, op.ProviderRef = "hello", "pi_1"
	id := appendOp(t, db, op)
	if id != 1 || op.ID != 1 {
		t.Fatalf("id = %d", id)
	}
	view(t, db, func(tx finance.ReadTx) error {
		got, err := tx.Operation(1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Key != "k1" || got.Comment != "hello" || got.ProviderRef != "pi_1" || got.Staff != "anna" ||
			!got.Time.Equal(t0) || len(got.Postings) != 2 || got.ClientID != c.ID {
			t.Errorf("stored op = %+v", got)
		}
		if last, _ := tx.LastOperationID(); last != 1 {
			t.Errorf("last = %d", last)
		}
		if bal, _ := tx.Balance(finance.RegisterAccount("cash")); bal != 15000 {
			t.Errorf("cash = %d (start 10000 + 5000)", bal)
		}
		if bal, _ := tx.Balance(finance.ClientAccount(c.ID)); bal != -5000 {
			t.Errorf("client = %d", bal)
		}
		if bal, _ := tx.Balance(finance.AccountRevenue); bal != 0 {
			t.Errorf("untouched account = %d", bal)
		}
		_, err = tx.Operation(2)
		wantErr(t, err, finance.ErrNotFound)
		_, err = tx.OperationByKey("nope")
		wantErr(t, err, finance.ErrNotFound)
		return nil
	})
}

func TestAppendOperationRefusals(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "Ira", phone(1))
	appendOp(t, db, topUp("dup", c.ID, "cash", 100, "2026-03-02"))

	unbalanced := topUp("u", c.ID, "cash", 100, "2026-03-02")
	unbalanced.Postings[1].Amount = -99
	single := topUp("s", c.ID, "cash", 100, "2026-03-02")
	single.Postings = single.Postings[:1]
	overflow := cashMove("o", "cash", math.MaxInt64, "2026-03-02")
	sumOverflow := topUp("so", c.ID, "cash", 1, "2026-03-02")
	sumOverflow.Postings = []finance.Posting{{Account: "revenue", Amount: math.MaxInt64}, {Account: "fees", Amount: math.MaxInt64}, {Account: "prepaid", Amount: 2}}
	// Fits the stored sum (100 + this) but not once the 10000 start balance is added.
	startOverflow := cashMove("sto", "cash", math.MaxInt64-200, "2026-03-02")
	noClient := topUp("nc", 99, "cash", 100, "2026-03-02")
	badDate := topUp("bd", c.ID, "cash", 100, "2026-13-40")
	noKey := topUp("", c.ID, "cash", 100, "2026-03-02")
	badAccount := topUp("ba", c.ID, "cash", 100, "2026-03-02")
	badAccount.ClientID = 0
	badAccount.Postings[1].Account = "client/abc"
	noAccount := topUp("na", c.ID, "cash", 100, "2026-03-02")
	noAccount.Postings[0].Account = ""

	cases := []struct {
		name string
		op   *finance.Operation
		want error
	}{
		{"duplicate key", topUp("dup", c.ID, "card", 7, "2026-03-03"), finance.ErrConflict},
		{"unbalanced", unbalanced, finance.ErrInvalid},
		{"one posting", single, finance.ErrInvalid},
		{"nil", nil, finance.ErrInvalid},
		{"balance overflow", overflow, finance.ErrInvalid},
		{"sum overflow", sumOverflow, finance.ErrInvalid},
		{"overflow with the start balance", startOverflow, finance.ErrInvalid},
		{"unknown client", noClient, finance.ErrNotFound},
		{"bad date", badDate, finance.ErrInvalid},
		{"no key", noKey, finance.ErrInvalid},
		{"bad client account", badAccount, finance.ErrInvalid},
		{"no account", noAccount, finance.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Make cash's stored balance large so the overflow case overflows.
			err := db.Update(t.Context(), func(tx finance.Tx) error {
				if tc.name == "balance overflow" {
					if err := tx.AppendOperation(cashMove("big", "cash", 1, "2026-03-02")); err != nil {
						return err
					}
				}
				return tx.AppendOperation(tc.op)
			})
			wantErr(t, err, tc.want)
		})
	}
	// Nothing of the refused operations was written.
	view(t, db, func(tx finance.ReadTx) error {
		if last, _ := tx.LastOperationID(); last != 1 {
			t.Errorf("last op = %d", last)
		}
		if bal, _ := tx.Balance(finance.RegisterAccount("cash")); bal != 10100 {
			t.Errorf("cash = %d", bal)
		}
		if bal, _ := tx.Balance(finance.RegisterAccount("card")); bal != 0 {
			t.Errorf("card = %d", bal)
		}
		dt, _ := tx.RegisterDay("card", "2026-03-03")
		if dt.Count != 0 {
			t.Errorf("card day = %+v", dt)
		}
		return nil
	})
}

func TestClientOperationsPaging(t *testing.T) {
	db := openTest(t)
	a := mustClient(t, db, "A", phone(1))
	b := mustClient(t, db, "B", phone(2))
	var aIDs []finance.OperationID
	for i := 0; i < 7; i++ {
		aIDs = append(aIDs, appendOp(t, db, topUp(fmt.Sprintf("a%d", i), a.ID, "cash", 10, "2026-03-02")))
		appendOp(t, db, topUp(fmt.Sprintf("b%d", i), b.ID, "cash", 10, "2026-03-02"))
	}
	// A transfer between two deposits shows in both histories.
	tr := &finance.Operation{Key: "ab", Kind: finance.OpTransfer, BusinessDate: "2026-03-02", Postings: []finance.Posting{
		{Account: finance.ClientAccount(a.ID), Amount: 5}, {Account: finance.ClientAccount(b.ID), Amount: -5}}}
	aIDs = append(aIDs, appendOp(t, db, tr))
	c := mustClient(t, db, "C (no history)", phone(3))

	view(t, db, func(tx finance.ReadTx) error {
		var got []finance.OperationID
		p := finance.Page{Limit: 3}
		for pages := 0; pages < 10; pages++ {
			ops, err := tx.ClientOperations(a.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(ops) == 0 {
				break
			}
			for _, op := range ops {
				got = append(got, op.ID)
			}
			p.Before = ops[len(ops)-1].ID
		}
		if len(got) != len(aIDs) {
			t.Fatalf("paged %v, want %v reversed", got, aIDs)
		}
		for i := range got {
			if got[i] != aIDs[len(aIDs)-1-i] {
				t.Fatalf("paged %v, want %v reversed", got, aIDs)
			}
		}
		if ops, _ := tx.ClientOperations(b.ID, finance.Page{}); len(ops) != 8 || ops[0].Key != "ab" {
			t.Errorf("b history = %d ops", len(ops))
		}
		if ops, _ := tx.ClientOperations(c.ID, finance.Page{Limit: 5}); len(ops) != 0 {
			t.Errorf("c history = %v", ops)
		}
		if ops, _ := tx.ClientOperations(999, finance.Page{Limit: 5}); len(ops) != 0 {
			t.Errorf("unknown client history = %v", ops)
		}
		return nil
	})
}

func TestDayAndBookingOperations(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "A", phone(1))
	appendOp(t, db, topUp("1", c.ID, "cash", 10, "2026-03-02"))
	appendOp(t, db, topUp("2", c.ID, "cash", 10, "2026-03-01")) // backdated
	appendOp(t, db, topUp("3", c.ID, "cash", 10, "2026-03-02"))
	pre := &finance.Operation{Key: "evt_1", Kind: finance.OpOnlinePrepayment, BusinessDate: "2026-03-02", BookingID: "bk_1",
		Postings: []finance.Posting{{Account: finance.RegisterAccount("stripe"), Amount: 3000}, {Account: finance.AccountPrepaid, Amount: -3000}}}
	appendOp(t, db, pre)
	other := *pre
	other.Key, other.BookingID, other.ID = "evt_2", "bk_10", 0
	appendOp(t, db, &other)

	view(t, db, func(tx finance.ReadTx) error {
		keys := func(ops []finance.Operation) string {
			s := ""
			for _, op := range ops {
				s += op.Key + " "
			}
			return s
		}
		ops, err := tx.DayOperations("2026-03-02")
		if err != nil || keys(ops) != "1 3 evt_1 evt_2 " {
			t.Errorf("day ops = %q, %v", keys(ops), err)
		}
		if ops, _ := tx.DayOperations("2026-03-01"); keys(ops) != "2 " {
			t.Errorf("backdated day ops = %q", keys(ops))
		}
		if ops, _ := tx.DayOperations("2026-03-05"); len(ops) != 0 {
			t.Errorf("empty day ops = %q", keys(ops))
		}
		_, err = tx.DayOperations("yesterday")
		wantErr(t, err, finance.ErrInvalid)
		if ops, _ := tx.BookingOperations("bk_1"); keys(ops) != "evt_1 " {
			t.Errorf("booking ops = %q (bk_10 must not match bk_1)", keys(ops))
		}
		var all []finance.OperationID
		_ = tx.ForEachOperation(func(op finance.Operation) error { all = append(all, op.ID); return nil })
		if len(all) != 5 || all[0] != 1 || all[4] != 5 {
			t.Errorf("ForEachOperation = %v", all)
		}
		return nil
	})
}

func TestMarkReversed(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "A", phone(1))
	orig := appendOp(t, db, topUp("1", c.ID, "cash", 10, "2026-03-02"))
	rev := topUp("r", c.ID, "cash", -10, "2026-03-02")
	rev.Kind, rev.Reverses = finance.OpReversal, orig
	revID := appendOp(t, db, rev)
	update(t, db, func(tx finance.Tx) error { return tx.MarkReversed(orig, revID) })
	update(t, db, func(tx finance.Tx) error { return tx.MarkReversed(orig, revID) }) // idempotent
	update(t, db, func(tx finance.Tx) error {
		wantErr(t, tx.MarkReversed(orig, 99), finance.ErrNotFound)
		wantErr(t, tx.MarkReversed(55, revID), finance.ErrNotFound)
		wantErr(t, tx.MarkReversed(orig, orig), finance.ErrInvalid)
		other := cashMove("x", "cash", 1, "2026-03-02")
		if err := tx.AppendOperation(other); err != nil {
			return err
		}
		wantErr(t, tx.MarkReversed(orig, other.ID), finance.ErrAlreadyReversed)
		return nil
	})
	view(t, db, func(tx finance.ReadTx) error {
		o, _ := tx.Operation(orig)
		r, _ := tx.Operation(revID)
		if o.ReversedBy != revID || r.Reverses != orig {
			t.Errorf("links: %d <- %d", o.ReversedBy, r.Reverses)
		}
		if bal, _ := tx.Balance(finance.ClientAccount(c.ID)); bal != 0 {
			t.Errorf("balance after reversal = %d", bal)
		}
		dt, _ := tx.RegisterDay("cash", "2026-03-02")
		if dt.ByKind[finance.OpTopUp] != 10 || dt.ByKind[finance.OpReversal] != -10 || dt.In != 11 || dt.Out != 10 || dt.Closing != dt.Opening+1 {
			t.Errorf("day = %+v", dt)
		}
		return nil
	})
}
