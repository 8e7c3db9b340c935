package finance_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

var (
	accStripe = finance.RegisterAccount("stripe")
	accBank   = finance.RegisterAccount("bank")
)

func payEvent(id, pi, booking string, amount int64, extra map[string]string) finance.ProviderEvent {
	md := map[string]string{
		finance.MetaBookingID:    booking,
		finance.MetaClientName:   "Oksana Koval",
		finance.MetaClientPhone:  "+380 67 123 4567",
		finance.MetaService:      "Haircut",
		finance.MetaStartsAt:     "2025-03-20T14:00:00+02:00",
		finance.MetaBookingTotal: "2500",
	}
	for k, v := range extra {
		md[k] = v
	}
	return finance.ProviderEvent{ID: id, Provider: "stripe", Type: finance.EventPaymentSucceeded,
		RawType: "payment_intent.succeeded", Created: time.Unix(1741946400, 0), ObjectID: pi, PaymentRef: pi,
		Amount: amount, Currency: "eur", Metadata: md}
}

func refundEvent(id, pi string, refunds ...finance.ProviderRefund) finance.ProviderEvent {
	return finance.ProviderEvent{ID: id, Provider: "stripe", Type: finance.EventRefundUpdated, RawType: "charge.refunded",
		Created: time.Unix(1741946500, 0), ObjectID: "ch_" + pi, PaymentRef: pi, Refunds: refunds}
}

// deliver records and applies one event, as the sync worker does.
func (f *fixture) deliver(e finance.ProviderEvent) (bool, error) {
	f.t.Helper()
	isNew, err := f.svc.RecordEvent(f.ctx, e)
	if err != nil {
		f.t.Fatalf("record %s: %v", e.ID, err)
	}
	return isNew, f.svc.ApplyEvent(f.ctx, e.ID)
}

func (f *fixture) event(id string) finance.ProviderEvent {
	f.t.Helper()
	e, err := f.svc.Event(f.ctx, id)
	must(f.t, err)
	return e
}

func (f *fixture) booking(id string) finance.Booking {
	f.t.Helper()
	b, err := f.svc.Booking(f.ctx, id)
	must(f.t, err)
	return b
}

func (f *fixture) lastOp() finance.OperationID {
	f.t.Helper()
	var id finance.OperationID
	must(f.t, f.db.View(f.ctx, func(tx finance.ReadTx) error {
		var err error
		id, err = tx.LastOperationID()
		return err
	}))
	return id
}

func TestPrepaymentPostsOnceAndMakesBookingAndClient(t *testing.T) {
	f := newFixture(t)
	isNew, err := f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	if !isNew {
		t.Fatal("first delivery not new")
	}
	e := f.event("evt_1")
	if e.Status != finance.InboxApplied || e.Operation == 0 {
		t.Fatalf("event = %s op %d, want applied with an operation", e.Status, e.Operation)
	}
	op, err := f.svc.Operation(f.ctx, e.Operation)
	must(t, err)
	if op.Kind != finance.OpOnlinePrepayment || op.Key != "stripe:payment:pi_1" || op.BookingID != "bk_1" || op.ProviderRef != "pi_1" {
		t.Fatalf("op = %+v", op)
	}
	if postingTo(op, accStripe) != 2500 || postingTo(op, finance.AccountPrepaid) != -2500 {
		t.Fatalf("postings = %+v", op.Postings)
	}
	b := f.booking("bk_1")
	if b.Status != finance.BookingPrepaid || b.Paid != 2500 || b.Total != 2500 || b.Service != "Haircut" ||
		b.PaymentIntent != "pi_1" || b.ClientID == 0 || b.Flag != "" || b.StartsAt.IsZero() {
		t.Fatalf("booking = %+v", b)
	}
	if op.ClientID != b.ClientID {
		t.Fatalf("op client %d, booking client %d", op.ClientID, b.ClientID)
	}

	before := f.snap(accStripe, finance.AccountPrepaid)
	// The same event again (webhook retry, or the poller): nothing new.
	isNew, err = f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	if isNew {
		t.Fatal("a duplicate event id was recorded as new")
	}
	// The same payment through another event id: applied, posted once.
	_, err = f.deliver(payEvent("evt_1b", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	f.unchanged(before, accStripe, finance.AccountPrepaid)
	if got := f.event("evt_1b"); got.Status != finance.InboxApplied || got.Operation != op.ID {
		t.Fatalf("second event = %s op %d, want applied with op %d", got.Status, got.Operation, op.ID)
	}
	if b2 := f.booking("bk_1"); b2.Paid != 2500 {
		t.Fatalf("paid counted twice: %d", b2.Paid)
	}
	f.mustCheck()
}

func TestPrepaymentMatchesClientByPhone(t *testing.T) {
	f := newFixture(t)
	c := f.client("Oksana K.", "067 123 45 67")
	_, err := f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	if b := f.booking("bk_1"); b.ClientID != c.ID {
		t.Fatalf("booking client %d, want the existing %d", b.ClientID, c.ID)
	}
	f.mustCheck()
}

func TestPrepaymentFlagsAndRefusals(t *testing.T) {
	tests := []struct {
		name       string
		ev         finance.ProviderEvent
		wantStatus finance.InboxStatus
		wantOp     bool
		wantFlag   bool
	}{
		{"group event paid in part is posted and flagged",
			payEvent("evt_g", "pi_g", "bk_g", 1000, map[string]string{finance.MetaGroupEvent: "true", finance.MetaBookingTotal: "4000"}),
			finance.InboxFlagged, true, true},
		{"group event paid in full is fine",
			payEvent("evt_g2", "pi_g2", "bk_g2", 4000, map[string]string{finance.MetaGroupEvent: "true", finance.MetaBookingTotal: "4000"}),
			finance.InboxApplied, true, false},
		{"bad phone is posted and flagged",
			payEvent("evt_p", "pi_p", "bk_p", 1000, map[string]string{finance.MetaClientPhone: "call me"}),
			finance.InboxFlagged, true, true},
		{"payment without booking is ignored",
			payEvent("evt_n", "pi_n", "", 1000, nil), finance.InboxIgnored, false, false},
		{"another currency is flagged, not posted",
			func() finance.ProviderEvent {
				e := payEvent("evt_c", "pi_c", "bk_c", 1000, nil)
				e.Currency = "usd"
				return e
			}(),
			finance.InboxFlagged, false, false},
		{"a refund before its payment fails and is retried",
			finance.ProviderEvent{ID: "evt_r", Type: finance.EventRefundUpdated, ObjectID: "re_1", PaymentRef: "pi_later",
				Currency: "eur", Refunds: []finance.ProviderRefund{{ID: "re_1", Amount: 100, Status: "succeeded"}}},
			finance.InboxFailed, false, false},
		{"unknown type is ignored",
			finance.ProviderEvent{ID: "evt_u", Type: finance.EventUnknown, RawType: "customer.created"},
			finance.InboxIgnored, false, false},
		{"dispute is flagged for an admin",
			finance.ProviderEvent{ID: "evt_d", Type: finance.EventDisputeOpened, ObjectID: "dp_1", PaymentRef: "pi_x"},
			finance.InboxFlagged, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			last := f.lastOp()
			_, err := f.deliver(tc.ev)
			if (tc.wantStatus == finance.InboxFailed) != (err != nil) {
				t.Fatalf("apply err = %v", err)
			}
			e := f.event(tc.ev.ID)
			if e.Status != tc.wantStatus {
				t.Fatalf("status = %s (%s), want %s", e.Status, e.Error, tc.wantStatus)
			}
			if posted := f.lastOp() != last; posted != tc.wantOp {
				t.Fatalf("posted = %v, want %v", posted, tc.wantOp)
			}
			if tc.wantFlag {
				b := f.booking(tc.ev.Metadata[finance.MetaBookingID])
				if b.Flag == "" || e.Error == "" {
					t.Fatalf("want a flag on booking and event, got %q / %q", b.Flag, e.Error)
				}
			}
			if tc.wantStatus == finance.InboxFailed {
				if e.Attempts != 1 || !e.NextTry.After(f.clock.Now()) || e.Error == "" {
					t.Fatalf("failed event = %+v", e)
				}
				due, err := f.svc.DueEvents(f.ctx, 10)
				must(t, err)
				if len(due) != 0 {
					t.Fatalf("a failed event is due before its backoff: %v", due)
				}
				must(t, f.svc.RetryEvent(f.ctx, f.admin, e.ID))
				due, err = f.svc.DueEvents(f.ctx, 10)
				must(t, err)
				if len(due) != 1 {
					t.Fatalf("retry did not make it due: %v", due)
				}
				wantErr(t, f.svc.RetryEvent(f.ctx, f.desk, e.ID), finance.ErrForbidden)
				wantErr(t, f.svc.RetryEvent(f.ctx, f.mgr, e.ID), finance.ErrForbidden) // an admin's right by default
			}
			f.mustCheck()
		})
	}
}

func TestFeeAndPayoutPostOnce(t *testing.T) {
	f := newFixture(t)
	_, err := f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	fee := finance.ProviderEvent{ID: "evt_1:fee", Type: finance.EventFee, ObjectID: "pi_1", PaymentRef: "pi_1", Fee: 73, FeeCurrency: "eur"}
	_, err = f.deliver(fee)
	must(t, err)
	fee.ID = "evt_1:fee-again"
	_, err = f.deliver(fee)
	must(t, err)
	if got := f.balance(finance.AccountFees); got != 73 {
		t.Fatalf("fees = %d, want 73 once", got)
	}
	po := finance.ProviderEvent{ID: "evt_po", Type: finance.EventPayoutPaid, ObjectID: "po_1", Amount: 2427, Currency: "eur"}
	_, err = f.deliver(po)
	must(t, err)
	po.ID = "evt_po2"
	_, err = f.deliver(po)
	must(t, err)
	if s, b := f.balance(accStripe), f.balance(accBank); s != 0 || b != 2427 {
		t.Fatalf("stripe %d bank %d, want 0 and 2427", s, b)
	}
	f.mustCheck()
}

func TestRefundToDeposit(t *testing.T) {
	f := newFixture(t)
	_, err := f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	req := finance.RefundRequest{Key: "k1", BookingID: "bk_1", ToDeposit: true, Reason: "client sick"}

	_, err = f.svc.StartRefund(f.ctx, f.admin, req)
	wantErr(t, err, finance.ErrConflict) // not canceled yet

	_, err = f.svc.CancelBooking(f.ctx, f.desk, "bk_1", "client called")
	wantErr(t, err, finance.ErrForbidden)
	b, err := f.svc.CancelBooking(f.ctx, f.mgr, "bk_1", "client called")
	must(t, err)
	if b.Status != finance.BookingCanceled {
		t.Fatalf("status %s", b.Status)
	}
	due, err := f.svc.Bookings(f.ctx, finance.BookingFilter{RefundDue: true})
	must(t, err)
	if len(due) != 1 || due[0].ID != "bk_1" {
		t.Fatalf("refunds due = %+v", due)
	}

	_, err = f.svc.StartRefund(f.ctx, f.desk, req) // a manager may refund; the desk may not
	wantErr(t, err, finance.ErrForbidden)
	over := req
	over.Key, over.Amount = "k0", 2501
	before := f.snap(finance.AccountPrepaid)
	_, err = f.svc.StartRefund(f.ctx, f.admin, over)
	wantErr(t, err, finance.ErrRefundExceeds)
	// Said in money, as the desk reads it, not in minor units.
	if msg := finance.Message(err); !strings.Contains(msg, "€25.00 left") || !strings.Contains(msg, "€25.01") {
		t.Errorf("refusal %q does not say the amounts in money", msg)
	}
	f.unchanged(before, finance.AccountPrepaid)

	r, err := f.svc.StartRefund(f.ctx, f.admin, req)
	must(t, err)
	if r.Status != finance.RefundSucceeded || r.Amount != 2500 || r.OperationID == 0 {
		t.Fatalf("refund = %+v", r)
	}
	b = f.booking("bk_1")
	if b.Status != finance.BookingRefunded || b.Refunded != 2500 {
		t.Fatalf("booking = %+v", b)
	}
	if got := f.owed(b.ClientID); got != 2500 {
		t.Fatalf("client owed %d, want 2500", got)
	}
	before = f.snap(finance.AccountPrepaid, finance.ClientAccount(b.ClientID))
	again, err := f.svc.StartRefund(f.ctx, f.admin, req)
	must(t, err)
	if again.OperationID != r.OperationID {
		t.Fatalf("repeat posted again: %d vs %d", again.OperationID, r.OperationID)
	}
	f.unchanged(before, finance.AccountPrepaid, finance.ClientAccount(b.ClientID))
	f.mustCheck()
}

func TestCardRefundPostsOnceWhicheverWayItArrives(t *testing.T) {
	f := newFixture(t)
	_, err := f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	_, err = f.svc.CancelBooking(f.ctx, f.admin, "bk_1", "")
	must(t, err)

	r, err := f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "rk1", BookingID: "bk_1", Amount: 1000, Reason: "partial"})
	must(t, err)
	if r.Status != finance.RefundRequested {
		t.Fatalf("refund = %+v", r)
	}
	// In flight counts: only 1500 is left.
	_, err = f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "rk2", BookingID: "bk_1", Amount: 1600, Reason: "x"})
	wantErr(t, err, finance.ErrRefundExceeds)
	pending, err := f.svc.PendingRefunds(f.ctx)
	must(t, err)
	if len(pending) != 1 || pending[0].Key != "rk1" {
		t.Fatalf("pending = %+v", pending)
	}

	done, err := f.svc.CompleteRefund(f.ctx, "rk1", "re_1", "succeeded", "")
	must(t, err)
	if done.Status != finance.RefundSucceeded || done.OperationID == 0 {
		t.Fatalf("completed = %+v", done)
	}
	op, err := f.svc.Operation(f.ctx, done.OperationID)
	must(t, err)
	if op.Kind != finance.OpRefund || postingTo(op, finance.AccountPrepaid) != 1000 || postingTo(op, accStripe) != -1000 {
		t.Fatalf("refund op = %+v", op)
	}
	before := f.snap(accStripe, finance.AccountPrepaid)
	// The provider's answer again, then its event: nothing new.
	_, err = f.svc.CompleteRefund(f.ctx, "rk1", "re_1", "succeeded", "")
	must(t, err)
	_, err = f.deliver(refundEvent("evt_r1", "pi_1", finance.ProviderRefund{ID: "re_1", Amount: 1000, Status: "succeeded", Key: "rk1"}))
	must(t, err)
	f.unchanged(before, accStripe, finance.AccountPrepaid)

	// A dashboard refund of the rest arrives only as an event, twice.
	for _, id := range []string{"evt_r2", "evt_r3"} {
		_, err = f.deliver(refundEvent(id, "pi_1",
			finance.ProviderRefund{ID: "re_1", Amount: 1000, Status: "succeeded", Key: "rk1"},
			finance.ProviderRefund{ID: "re_2", Amount: 1500, Status: "succeeded"}))
		must(t, err)
	}
	b := f.booking("bk_1")
	if b.Refunded != 2500 || b.Status != finance.BookingRefunded {
		t.Fatalf("booking = %+v", b)
	}
	if got := f.balance(finance.AccountPrepaid); got != 0 {
		t.Fatalf("prepaid = %d, want 0", got)
	}
	f.mustCheck()
}

func TestCardRefundFailureFreesTheAmount(t *testing.T) {
	f := newFixture(t)
	_, err := f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	_, err = f.svc.CancelBooking(f.ctx, f.admin, "bk_1", "")
	must(t, err)
	_, err = f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "rk1", BookingID: "bk_1", Reason: "x"})
	must(t, err)
	last := f.lastOp()
	r, err := f.svc.CompleteRefund(f.ctx, "rk1", "", "failed", "card expired")
	must(t, err)
	if r.Status != finance.RefundFailed || r.Error != "card expired" || f.lastOp() != last {
		t.Fatalf("refund = %+v", r)
	}
	r2, err := f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: "rk2", BookingID: "bk_1", Reason: "x"})
	must(t, err)
	if r2.Amount != 2500 {
		t.Fatalf("freed amount = %d", r2.Amount)
	}
	_, err = f.svc.CompleteRefund(f.ctx, "rk2", "re_9", "bogus", "")
	wantErr(t, err, finance.ErrInvalid)
	f.mustCheck()
}

func TestRefundBeforeItsPaymentIsRetried(t *testing.T) {
	f := newFixture(t)
	_, err := f.deliver(refundEvent("evt_r", "pi_1", finance.ProviderRefund{ID: "re_1", Amount: 500, Status: "succeeded"}))
	if err == nil {
		t.Fatal("a refund of an unknown payment applied")
	}
	if e := f.event("evt_r"); e.Status != finance.InboxFailed {
		t.Fatalf("status = %s", e.Status)
	}
	_, err = f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	f.clock.Add(finance.EventBackoff(1))
	due, err := f.svc.DueEvents(f.ctx, 10)
	must(t, err)
	if len(due) != 1 || due[0].ID != "evt_r" {
		t.Fatalf("due = %v", due)
	}
	must(t, f.svc.ApplyEvent(f.ctx, "evt_r"))
	if b := f.booking("bk_1"); b.Refunded != 500 {
		t.Fatalf("refunded = %d", b.Refunded)
	}
	st, err := f.svc.InboxStats(f.ctx)
	must(t, err)
	if st.Total != 2 || st.Failed != 0 {
		t.Fatalf("stats = %+v", st)
	}
	f.mustCheck()
}

func TestEventBackoffGrowsAndCaps(t *testing.T) {
	prev := time.Duration(0)
	for i := 1; i <= 30; i++ {
		d := finance.EventBackoff(i)
		if d < prev || d > 6*time.Hour {
			t.Fatalf("backoff(%d) = %v after %v", i, d, prev)
		}
		prev = d
	}
	if prev != 6*time.Hour {
		t.Fatalf("cap = %v", prev)
	}
}

// A poll's events are recorded together: new ones once each (a repeat in
// the same call, or one already in the inbox, is not new), a type paydesk
// does not apply is kept as ignored, and more than one transaction's worth
// all land.
func TestRecordEvents(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.RecordEvent(f.ctx, payEvent("evt_old", "pi_old", "bk_old", 2500, nil))
	must(t, err)
	evs := []finance.ProviderEvent{
		payEvent("evt_old", "pi_old", "bk_old", 2500, nil),
		payEvent("evt_1", "pi_1", "bk_1", 2500, nil),
		payEvent("evt_1", "pi_1", "bk_1", 2500, nil),
		{ID: "evt_other", Provider: "stripe", RawType: "customer.created"},
	}
	for i := range 2500 {
		evs = append(evs, finance.ProviderEvent{ID: fmt.Sprintf("evt_po_%04d", i), Provider: "stripe",
			Type: finance.EventPayoutPaid, ObjectID: fmt.Sprintf("po_%d", i), Amount: 100, Currency: "eur"})
	}
	n, err := f.svc.RecordEvents(f.ctx, evs)
	must(t, err)
	if want := 2 + 2500; n != want {
		t.Errorf("RecordEvents says %d new, want %d", n, want)
	}
	st, err := f.svc.InboxStats(f.ctx)
	must(t, err)
	if st.Total != 1+2+2500 || st.Pending != 1+1+2500 {
		t.Errorf("inbox: %d events, %d pending; want %d and %d", st.Total, st.Pending, 1+2+2500, 1+1+2500)
	}
	if e := f.event("evt_other"); e.Status != finance.InboxIgnored || e.Type != finance.EventUnknown {
		t.Errorf("an event of a type paydesk does not apply: status %s, type %s", e.Status, e.Type)
	}
	if e := f.event("evt_po_2499"); e.Status != finance.InboxPending || e.Received.IsZero() || !e.Created.Equal(e.Received) {
		t.Errorf("a payout: status %s, received %v, created %v", e.Status, e.Received, e.Created)
	}
}

// One event without an id refuses the whole call before anything is written.
func TestRecordEventsRefusesAnEventWithoutID(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.RecordEvents(f.ctx, []finance.ProviderEvent{
		payEvent("evt_1", "pi_1", "bk_1", 2500, nil),
		{ID: "  ", Type: finance.EventPayoutPaid},
	})
	if !errors.Is(err, finance.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	st, err := f.svc.InboxStats(f.ctx)
	must(t, err)
	if st.Total != 0 {
		t.Errorf("%d events recorded, want none", st.Total)
	}
}
