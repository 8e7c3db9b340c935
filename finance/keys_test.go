package finance_test

import (
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// A key typed at the desk cannot take a provider's key: the payment whose id
// a deposit was keyed with still makes its booking and lands on the online
// register, and the typed key still replays its deposit.
func TestTypedKeyDoesNotTakeAProviderKey(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	dep := finance.TopUpRequest{Key: "stripe:pi_1", ClientID: anna.ID, Amount: 5000, Register: "cash"}
	first, err := f.svc.TopUp(f.ctx, f.desk, dep)
	must(t, err)
	if first.Key != "desk:stripe:pi_1" {
		t.Errorf("typed key stored as %q", first.Key)
	}
	_, err = f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	if e := f.event("evt_1"); e.Status != finance.InboxApplied || e.Operation == first.ID {
		t.Fatalf("payment event %s (op %d, note %q)", e.Status, e.Operation, e.Error)
	}
	if b := f.booking("bk_1"); b.Paid != 2500 {
		t.Errorf("booking paid %d", b.Paid)
	}
	if got := f.balance(finance.RegisterAccount("stripe")); got != 2500 {
		t.Errorf("stripe register %d, want 2500", got)
	}
	again, err := f.svc.TopUp(f.ctx, f.desk, dep)
	must(t, err)
	if again.ID != first.ID {
		t.Errorf("typed key replayed op %d, first was %d", again.ID, first.ID)
	}
	// Another kind under the same typed key is refused with the first named.
	_, err = f.svc.CashOut(f.ctx, f.admin, finance.CashOutRequest{Key: "stripe:pi_1", ClientID: anna.ID, Amount: 100, Register: "cash"})
	wantErr(t, err, finance.ErrConflict)
	if !strings.Contains(err.Error(), `key "stripe:pi_1" was already used for a top up`) {
		t.Errorf("conflict says %q", err)
	}
	f.mustCheck()
}

// A provider's refund and payout ids live in their own spaces: a payout that
// happens to share a refund's id posts, and neither replays the other.
func TestProviderKeysHaveAKindEach(t *testing.T) {
	f := newFixture(t)
	_, err := f.deliver(payEvent("evt_1", "x1", "bk_1", 2500, nil))
	must(t, err)
	payout := finance.ProviderEvent{ID: "evt_po", Provider: "stripe", Type: finance.EventPayoutPaid, ObjectID: "x1",
		Amount: 1000, Currency: "eur"}
	_, err = f.deliver(payout)
	must(t, err)
	if e := f.event("evt_po"); e.Status != finance.InboxApplied || e.Operation == 0 {
		t.Fatalf("payout with a payment's id: %s %q", e.Status, e.Error)
	}
	if got := f.balance(finance.RegisterAccount("bank")); got != 1000 {
		t.Errorf("bank %d, want 1000", got)
	}
	f.mustCheck()
}

// Keys stored before keys had owners (desk keys bare, provider keys as
// "stripe:<id>") keep replaying, and an old desk operation stored under a
// provider-looking key does not swallow that payment.
func TestKeysOfOlderFilesKeepReplaying(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	dep := finance.TopUpRequest{Key: "form-1", ClientID: anna.ID, Amount: 5000, Register: "cash"}
	depHash, err := finance.RequestHashForTest(dep)
	must(t, err)
	squat, err := finance.RequestHashForTest(finance.TopUpRequest{Key: "stripe:pi_2", ClientID: anna.ID, Amount: 700, Register: "cash"})
	must(t, err)
	payHash, err := finance.ProviderHashForTest(finance.OpOnlinePrepayment, "pi_old")
	must(t, err)
	today := f.today()
	must(t, f.db.Update(f.ctx, func(tx finance.Tx) error {
		for _, op := range []finance.Operation{
			{Key: "form-1", RequestHash: depHash, Kind: finance.OpTopUp, Staff: "Ira", ClientID: anna.ID,
				Postings: []finance.Posting{{Account: finance.RegisterAccount("cash"), Amount: 5000}, {Account: finance.ClientAccount(anna.ID), Amount: -5000}}},
			{Key: "stripe:pi_2", RequestHash: squat, Kind: finance.OpTopUp, Staff: "Ira", ClientID: anna.ID,
				Postings: []finance.Posting{{Account: finance.RegisterAccount("cash"), Amount: 700}, {Account: finance.ClientAccount(anna.ID), Amount: -700}}},
			{Key: "stripe:pi_old", RequestHash: payHash, Kind: finance.OpOnlinePrepayment, Staff: "stripe", BookingID: "bk_old",
				ProviderRef: "pi_old",
				Postings:    []finance.Posting{{Account: finance.RegisterAccount("stripe"), Amount: 2500}, {Account: finance.AccountPrepaid, Amount: -2500}}},
		} {
			op.BusinessDate, op.Time = today, f.clock.Now()
			if err := tx.AppendOperation(&op); err != nil {
				return err
			}
		}
		return tx.PutBooking(finance.Booking{ID: "bk_old", Status: finance.BookingPrepaid, Paid: 2500, Total: 2500,
			PaymentIntent: "pi_old", Created: f.clock.Now()})
	}))
	old := f.lastOp()

	again, err := f.svc.TopUp(f.ctx, f.desk, dep)
	must(t, err)
	if again.ID != old-2 {
		t.Errorf("old desk key replayed as op %d, want %d", again.ID, old-2)
	}
	_, err = f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "form-1", ClientID: anna.ID, Amount: 1, Register: "cash"})
	wantErr(t, err, finance.ErrConflict)

	_, err = f.deliver(payEvent("evt_old", "pi_old", "bk_old", 2500, nil))
	must(t, err)
	if e := f.event("evt_old"); e.Operation != old {
		t.Errorf("old payment redelivered: op %d, want %d", e.Operation, old)
	}
	_, err = f.deliver(refundEvent("evt_r", "pi_old", finance.ProviderRefund{ID: "re_1", Amount: 500, Status: "succeeded"}))
	must(t, err)
	if b := f.booking("bk_old"); b.Refunded != 500 {
		t.Errorf("refund of an old payment: refunded %d", b.Refunded)
	}

	_, err = f.deliver(payEvent("evt_2", "pi_2", "bk_2", 2500, nil))
	must(t, err)
	if b := f.booking("bk_2"); b.Paid != 2500 {
		t.Errorf("payment under an old desk key's name: booking paid %d", b.Paid)
	}
	if got := f.lastOp(); got != old+2 {
		t.Errorf("last op %d, want %d (the refund and the payment)", got, old+2)
	}
	f.mustCheck()
}
