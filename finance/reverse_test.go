package finance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

func TestReverseTopUp(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	top, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 5000, Register: "cash"})
	must(t, err)

	_, err = f.svc.Reverse(f.ctx, f.desk, finance.ReverseRequest{Key: "r0", OperationID: top.ID, Reason: "typo"})
	wantErr(t, err, finance.ErrForbidden)
	var re *finance.RightError
	if !asRightError(err, &re) || re.Right != finance.RightReverse {
		t.Errorf("want a RightError for reverse, got %v", err)
	}
	_, err = f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "r1", OperationID: top.ID})
	wantErr(t, err, finance.ErrInvalid) // reason required

	rev, err := f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "r2", OperationID: top.ID, Reason: "wrong client"})
	must(t, err)
	if rev.Kind != finance.OpReversal || rev.Reverses != top.ID || rev.ClientID != anna.ID || rev.Comment != "wrong client" {
		t.Errorf("reversal %+v", rev)
	}
	orig, err := f.svc.Operation(f.ctx, top.ID)
	must(t, err)
	if orig.ReversedBy != rev.ID {
		t.Errorf("original reversed by %d, want %d", orig.ReversedBy, rev.ID)
	}
	if f.owed(anna.ID) != 0 || f.balance(cashAcc) != 10000 {
		t.Errorf("owed %d cash %d", f.owed(anna.ID), f.balance(cashAcc))
	}
	if c := f.totals()["cash"]; c.In != 5000 || c.Out != 5000 || c.Closing != 10000 || c.ByKind[finance.OpReversal] != -5000 {
		t.Errorf("cash totals %+v", c)
	}

	before := f.snap(cashAcc)
	_, err = f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "r3", OperationID: top.ID, Reason: "again"})
	wantErr(t, err, finance.ErrAlreadyReversed)
	_, err = f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "r4", OperationID: rev.ID, Reason: "undo the undo"})
	wantErr(t, err, finance.ErrNotReversible)
	_, err = f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "r5", OperationID: 9999, Reason: "x"})
	wantErr(t, err, finance.ErrNotFound)
	f.unchanged(before, cashAcc)
	f.mustCheck()
}

func asRightError(err error, re **finance.RightError) bool {
	for e := err; e != nil; {
		if r, ok := e.(*finance.RightError); ok {
			*re = r
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

func TestReverseSpentTopUpRefused(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	top, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 5000, Register: "cash"})
	must(t, err)
	_, err = f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c", ClientID: anna.ID, Total: 3000})
	must(t, err)
	before := f.snap(cashAcc, finance.ClientAccount(anna.ID))
	_, err = f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "r", OperationID: top.ID, Reason: "mistake"})
	wantErr(t, err, finance.ErrInsufficientFunds)
	if !strings.Contains(err.Error(), "Anna Petrenko has €20.00; reversing €50.00 would leave the deposit below zero") {
		t.Errorf("message %q", err)
	}
	f.unchanged(before, cashAcc, finance.ClientAccount(anna.ID))
	f.mustCheck()
}

func TestReverseCheckoutAndMovements(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 5000, Register: "cash"})
	must(t, err)
	co, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c", ClientID: anna.ID, Total: 8000,
		Payments: []finance.Tender{{Register: "card", Amount: 3000}}})
	must(t, err)
	tr, err := f.svc.Transfer(f.ctx, f.mgr, finance.TransferRequest{Key: "tr", From: "cash", To: "bank", Amount: 100})
	must(t, err)
	for i, id := range []finance.OperationID{co.ID, tr.ID} {
		_, err := f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "r" + string(rune('a'+i)), OperationID: id, Reason: "mistake"})
		must(t, err)
	}
	if f.owed(anna.ID) != 5000 || f.balance(cardAcc) != 0 || f.balance(finance.AccountRevenue) != 0 {
		t.Errorf("owed %d card %d revenue %d", f.owed(anna.ID), f.balance(cardAcc), f.balance(finance.AccountRevenue))
	}
	f.mustCheck()
}

// A provider's own operations are undone by refunding, not reversing.
func TestReverseProviderOpsRefused(t *testing.T) {
	f := newFixture(t)
	var ids []finance.OperationID
	must(t, f.db.Update(f.ctx, func(tx finance.Tx) error {
		for i, k := range []finance.OpKind{finance.OpOnlinePrepayment, finance.OpProviderFee, finance.OpPayout, finance.OpRefund, finance.OpRefundToDeposit} {
			op := finance.Operation{Key: "p" + string(rune('0'+i)), Kind: k, BusinessDate: f.today(), Time: f.clock.Now(), Staff: "stripe",
				Postings: []finance.Posting{{Account: stripeAcc, Amount: 100}, {Account: finance.AccountPrepaid, Amount: -100}}}
			if err := tx.AppendOperation(&op); err != nil {
				return err
			}
			ids = append(ids, op.ID)
		}
		return nil
	}))
	for _, id := range ids {
		before := f.snap(stripeAcc)
		_, err := f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "rv" + string(rune('0'+id)), OperationID: id, Reason: "x"})
		wantErr(t, err, finance.ErrNotReversible)
		f.unchanged(before, stripeAcc)
	}
}

func putBooking(t *testing.T, f *fixture, b finance.Booking) {
	t.Helper()
	must(t, f.db.Update(f.ctx, func(tx finance.Tx) error {
		// The online prepayment that the sync worker would have posted.
		op := finance.Operation{Key: "pay-" + b.ID, Kind: finance.OpOnlinePrepayment, BusinessDate: f.today(), Time: f.clock.Now(),
			Staff: "stripe", ClientID: b.ClientID, BookingID: b.ID,
			Postings: []finance.Posting{{Account: stripeAcc, Amount: b.Paid}, {Account: finance.AccountPrepaid, Amount: -b.Paid}}}
		if err := tx.AppendOperation(&op); err != nil {
			return err
		}
		return tx.PutBooking(b)
	}))
}

func TestCheckoutPrepaidBooking(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	putBooking(t, f, finance.Booking{ID: "bk1", ClientID: anna.ID, Service: "Colour", StartsAt: f.clock.Now().Add(time.Hour),
		Total: 6000, Paid: 3000, Status: finance.BookingPrepaid, Created: f.clock.Now()})

	// €80 visit: €30 prepaid online, €50 cash.
	co, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c", ClientID: anna.ID, BookingID: "bk1", Total: 8000,
		Payments: []finance.Tender{{Register: "cash", Amount: 5000}}})
	must(t, err)
	if co.BookingID != "bk1" || f.balance(finance.AccountPrepaid) != 0 || f.balance(finance.AccountRevenue) != -8000 {
		t.Errorf("op %+v prepaid %d revenue %d", co, f.balance(finance.AccountPrepaid), f.balance(finance.AccountRevenue))
	}
	b, err := f.svc.Booking(f.ctx, "bk1")
	must(t, err)
	if b.Status != finance.BookingServed {
		t.Errorf("booking %s", b.Status)
	}
	before := f.snap(cashAcc)
	_, err = f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c2", ClientID: anna.ID, BookingID: "bk1", Total: 100,
		Payments: []finance.Tender{{Register: "cash", Amount: 100}}})
	wantErr(t, err, finance.ErrConflict) // served twice
	f.unchanged(before, cashAcc)

	_, err = f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "r", OperationID: co.ID, Reason: "wrong visit"})
	must(t, err)
	b, err = f.svc.Booking(f.ctx, "bk1")
	must(t, err)
	if b.Status != finance.BookingPrepaid || f.balance(finance.AccountPrepaid) != -3000 {
		t.Errorf("after reversal booking %s prepaid %d", b.Status, f.balance(finance.AccountPrepaid))
	}
	f.mustCheck()
}

func TestCheckoutBookingPrepaidMoreThanTotal(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	putBooking(t, f, finance.Booking{ID: "bk2", ClientID: anna.ID, Total: 6000, Paid: 6000, Status: finance.BookingPrepaid})
	_, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c", BookingID: "bk2", Total: 4500})
	must(t, err)
	if f.owed(anna.ID) != 1500 || f.balance(finance.AccountPrepaid) != 0 {
		t.Errorf("the €15 left over should be Anna's: owed %d prepaid %d", f.owed(anna.ID), f.balance(finance.AccountPrepaid))
	}
	f.mustCheck()
}

func TestCheckoutCanceledBookingRefused(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	putBooking(t, f, finance.Booking{ID: "bk3", ClientID: anna.ID, Total: 6000, Paid: 6000, Status: finance.BookingCanceled})
	before := f.snap(finance.AccountPrepaid)
	_, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c", BookingID: "bk3", Total: 6000})
	wantErr(t, err, finance.ErrConflict)
	f.unchanged(before, finance.AccountPrepaid)
	other := f.client("Oksana Koval", "+380501234567")
	_, err = f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c2", ClientID: other.ID, BookingID: "bk3", Total: 6000})
	if err == nil {
		t.Fatal("checkout of another client's booking went through")
	}
}
