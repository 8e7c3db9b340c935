package finance_test

import (
	"reflect"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// groupPay is one participant's payment toward group event bk_g (total 9000).
func groupPay(evt, pi, name, phone string, amount int64) finance.ProviderEvent {
	return payEvent(evt, pi, "bk_g", amount, map[string]string{finance.MetaClientName: name, finance.MetaClientPhone: phone,
		finance.MetaGroupEvent: "true", finance.MetaBookingTotal: "9000"})
}

// A group event paid by three people lists three payers; a refund to
// deposit goes back to each in proportion to what each paid, never all to
// the last payer; an admin's own split is kept to what each has left.
func TestGroupRefundGoesBackToEachPayer(t *testing.T) {
	f := newFixture(t)
	for _, e := range []finance.ProviderEvent{
		groupPay("evt_a", "pi_a", "Anna", "+380671110001", 3000),
		groupPay("evt_b", "pi_b", "Bohdan", "+380671110002", 2000),
		groupPay("evt_c", "pi_c", "Chrystia", "+380671110003", 4000),
	} {
		_, err := f.deliver(e)
		must(t, err)
	}
	b := f.booking("bk_g")
	if len(b.Payers) != 3 || b.Paid != 9000 {
		t.Fatalf("payers = %+v, paid %d", b.Payers, b.Paid)
	}
	anna, bohdan, chrystia := b.Payers[0].ClientID, b.Payers[1].ClientID, b.Payers[2].ClientID
	if b.ClientID != anna || anna == bohdan || bohdan == chrystia || anna == 0 {
		t.Fatalf("booking client %d, payers %+v", b.ClientID, b.Payers)
	}
	_, err := f.svc.CancelBooking(f.ctx, f.admin, "bk_g", "studio closed")
	must(t, err)

	// Half back: 1500, 1000 and 2000, shown before anyone confirms.
	want := []finance.PayerShare{{ClientID: anna, Amount: 1500}, {ClientID: bohdan, Amount: 1000}, {ClientID: chrystia, Amount: 2000}}
	if got := finance.RefundSplit(b, 4500); !reflect.DeepEqual(got, want) {
		t.Fatalf("split = %+v, want %+v", got, want)
	}
	_, err = f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "g1", BookingID: "bk_g", Amount: 4500, ToDeposit: true, Reason: "half"})
	must(t, err)
	for _, s := range want {
		if got := f.owed(s.ClientID); got != s.Amount {
			t.Errorf("client %d owed %d, want %d", s.ClientID, got, s.Amount)
		}
	}

	// The admin's own split: more than a payer has left is refused.
	_, err = f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "g2", BookingID: "bk_g", ToDeposit: true, Reason: "rest",
		Amount: 4500, Split: []finance.PayerShare{{ClientID: chrystia, Amount: 4500}}})
	wantErr(t, err, finance.ErrRefundExceeds)
	_, err = f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "g2", BookingID: "bk_g", ToDeposit: true, Reason: "rest",
		Amount: 4500, Split: []finance.PayerShare{{ClientID: anna, Amount: 1500}, {ClientID: chrystia, Amount: 2000}}})
	wantErr(t, err, finance.ErrInvalid) // adds up to 3500
	_, err = f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "g2", BookingID: "bk_g", ToDeposit: true, Reason: "rest",
		Split: []finance.PayerShare{{ClientID: anna, Amount: 1500}, {ClientID: bohdan, Amount: 1000}, {ClientID: chrystia, Amount: 2000}}})
	must(t, err)
	if f.owed(anna) != 3000 || f.owed(bohdan) != 2000 || f.owed(chrystia) != 4000 {
		t.Errorf("owed %d %d %d", f.owed(anna), f.owed(bohdan), f.owed(chrystia))
	}
	if b := f.booking("bk_g"); b.Status != finance.BookingRefunded || b.Refunded != 9000 {
		t.Errorf("booking %s refunded %d", b.Status, b.Refunded)
	}
	f.mustCheck()
}

// Shares add up to the refund exactly, whatever the rounding.
func TestRefundSplitAddsUp(t *testing.T) {
	b := finance.Booking{Paid: 300, Payers: []finance.BookingPayer{{ClientID: 1, Amount: 100}, {ClientID: 2, Amount: 100}, {ClientID: 3, Amount: 100}}}
	for _, amount := range []int64{1, 2, 100, 101, 299, 300} {
		var sum int64
		for _, s := range finance.RefundSplit(b, amount) {
			sum += s.Amount
		}
		if sum != amount {
			t.Errorf("split of %d adds up to %d", amount, sum)
		}
	}
}

// A payment for a booking already refunded in full is not stranded: the
// booking is refund due again, listed so, and the refund returns it.
func TestPaymentAfterFullRefundIsRefundDue(t *testing.T) {
	f := newFixture(t)
	_, err := f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	_, err = f.svc.CancelBooking(f.ctx, f.admin, "bk_1", "")
	must(t, err)
	_, err = f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "r1", BookingID: "bk_1", ToDeposit: true, Reason: "sick"})
	must(t, err)
	if b := f.booking("bk_1"); b.Status != finance.BookingRefunded {
		t.Fatalf("status %s", b.Status)
	}
	_, err = f.deliver(payEvent("evt_2", "pi_2", "bk_1", 2500, nil))
	must(t, err)
	b := f.booking("bk_1")
	if b.Status != finance.BookingCanceled || finance.RefundLeft(b, nil) != 2500 {
		t.Fatalf("late payment: %s, left %d", b.Status, finance.RefundLeft(b, nil))
	}
	if e := f.event("evt_2"); e.Status != finance.InboxFlagged {
		t.Errorf("late payment event %s, want flagged for an admin", e.Status)
	}
	due, err := f.svc.Bookings(f.ctx, finance.BookingFilter{RefundDue: true})
	must(t, err)
	if len(due) != 1 || due[0].ID != "bk_1" {
		t.Fatalf("refund due = %+v", due)
	}
	_, err = f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "r2", BookingID: "bk_1", ToDeposit: true, Reason: "late payment"})
	must(t, err)
	if b := f.booking("bk_1"); b.Status != finance.BookingRefunded || f.owed(b.ClientID) != 5000 {
		t.Errorf("after the second refund: %s, owed %d", b.Status, f.owed(b.ClientID))
	}
	f.mustCheck()
}
