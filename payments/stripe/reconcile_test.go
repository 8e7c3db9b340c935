package stripe_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/stripefake"
	"github.com/paydesk/paydesk/payments"
)

// reconDesk is a desk whose fake Stripe has a balance to reconcile against.
func reconDesk(t *testing.T) (*desk, *stripefake.Balance) {
	t.Helper()
	fake, api := newFakeStripe(t)
	fake.balance = stripefake.New()
	return newDesk(t, api.URL), fake.balance
}

func booking(id string) map[string]string {
	return map[string]string{"booking_id": id, "client_name": "Oksana Koval", "client_phone": "+380671234567",
		"service": "Haircut", "booking_total": "2500"}
}

// reconcile runs the last week's reconcile and fails the test on error.
func (d *desk) reconcile() finance.ReconcileReport {
	d.t.Helper()
	rep, err := payments.ReconcileLast(d.ctx, d.books, d.prov, 7)
	must(d.t, err)
	return rep
}

func kyiv(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Kyiv")
	must(t, err)
	return loc
}

// (a) Stripe's balance holds money no webhook delivered: reconcile posts it
// all, and the Stripe register then agrees with Stripe day by day.
func TestReconcilePostsWhatNoWebhookDelivered(t *testing.T) {
	d, bal := reconDesk(t)
	now := d.clock.Now()
	bal.Charge("pi_a", now.Add(-72*time.Hour), 2500, 73, "eur", 2500, "eur", booking("bk_a"))
	bal.Charge("pi_b", now.Add(-48*time.Hour), 2500, 73, "eur", 2500, "eur", booking("bk_b"))
	bal.Refund("re_b", "pi_b", now.Add(-47*time.Hour), 1000, "eur")
	bal.Payout("po_1", now.Add(-24*time.Hour), 3000, "eur")
	bal.Add(stripefake.Txn{Type: "stripe_fee", Category: "fee", Created: now.Add(-23 * time.Hour).Unix(), Amount: -200,
		Currency: "eur", Desc: "Radar for Fraud Teams"})

	before := d.state()
	rep := d.reconcile()
	if rep.Posted != 5 || rep.Flagged != 0 || rep.Waiting != 0 || !rep.Agrees {
		t.Fatalf("report = %+v", rep)
	}
	after := d.state()
	if want := bal.Net(now.Add(-30*24*time.Hour), now.Add(time.Hour)); after.stripe-before.stripe != want {
		t.Fatalf("stripe register moved %d, Stripe's balance %d", after.stripe-before.stripe, want)
	}
	byDay := bal.ByDay(kyiv(t))
	for _, day := range rep.Days {
		if day.Stripe != byDay[string(day.Date)] || day.Ledger != day.Stripe || !day.Agrees {
			t.Fatalf("day %s: %+v, the fake's balance moved %d", day.Date, day, byDay[string(day.Date)])
		}
	}
	if ops := d.opsOf("bk_b"); ops[finance.OpOnlinePrepayment] != 1 || ops[finance.OpProviderFee] != 1 || ops[finance.OpRefund] != 1 {
		t.Fatalf("bk_b ops = %v", ops)
	}
	if b := d.booking("bk_b"); b.Paid != 2500 || b.Refunded != 1000 {
		t.Fatalf("booking = %+v", b)
	}
	// Each posting is in the inbox with what it did, for the sync view.
	if e, err := d.books.Event(d.ctx, finance.ReconcileEventID("txn_a")); err != nil || e.Status != finance.InboxApplied || e.Operation == 0 {
		t.Fatalf("reconcile record = %+v %v", e, err)
	}
	last, found, err := d.books.LastReconcile(d.ctx, "stripe")
	if err != nil || !found || !last.Agrees || len(last.Days) != len(rep.Days) {
		t.Fatalf("saved report = %+v %v %v", last, found, err)
	}
	d.check()

	// (c) a second run posts nothing and still agrees.
	again := d.reconcile()
	if again.Posted != 0 || again.Matched != 5 || !again.Agrees || d.state().lastOp != after.lastOp {
		t.Fatalf("second run = %+v", again)
	}
}

// (b) Events and reconcile see the same money: it posts once, whichever
// comes first.
func TestReconcileAndEventsPostOnce(t *testing.T) {
	d, bal := reconDesk(t)
	now := d.clock.Now()
	bal.Charge("pi_1", now.Add(-time.Hour), 2500, 73, "eur", 2500, "eur", booking("bk_1"))
	bal.Charge("pi_2", now.Add(-time.Hour), 2500, 73, "eur", 2500, "eur", booking("bk_2"))

	// pi_1 by webhook first (the worker reads its fee from the balance
	// transaction), then reconcile.
	if code := d.send(eventJSON("evt_1", "payment_intent.succeeded", now.Add(-time.Hour).Unix(), "2023-10-16", piObject("pi_1", "bk_1", 2500)), whsec); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	d.worker.Drain(d.ctx)
	if ops := d.opsOf("bk_1"); ops[finance.OpOnlinePrepayment] != 1 || ops[finance.OpProviderFee] != 1 {
		t.Fatalf("after the webhook: %v", ops)
	}
	rep := d.reconcile()
	if rep.Matched != 1 || rep.Posted != 1 || !rep.Agrees {
		t.Fatalf("report = %+v", rep)
	}
	// pi_2 by reconcile first, then its webhook: nothing more posts.
	mid := d.state()
	if code := d.send(eventJSON("evt_2", "payment_intent.succeeded", now.Add(-time.Hour).Unix(), "2023-10-16", piObject("pi_2", "bk_2", 2500)), whsec); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	d.worker.Drain(d.ctx)
	if st := d.state(); st.lastOp != mid.lastOp || st.stripe != mid.stripe {
		t.Fatalf("the webhook after reconcile posted: %+v -> %+v", mid, st)
	}
	for _, bk := range []string{"bk_1", "bk_2"} {
		if ops := d.opsOf(bk); ops[finance.OpOnlinePrepayment] != 1 || ops[finance.OpProviderFee] != 1 {
			t.Fatalf("%s ops = %v", bk, ops)
		}
	}
	if e, err := d.books.Event(d.ctx, "evt_2"); err != nil || e.Status != finance.InboxApplied {
		t.Fatalf("evt_2 = %+v %v", e, err)
	}
	if d.state().stripe != 2*(2500-73) {
		t.Fatalf("stripe register = %d", d.state().stripe)
	}
	d.check()
}

// (d) A payment charged in dollars and settled in euros posts the settled
// amount from the balance transaction; its event in dollars posts nothing.
func TestReconcileConvertedPayment(t *testing.T) {
	d, bal := reconDesk(t)
	now := d.clock.Now()
	bal.Charge("pi_usd", now.Add(-2*time.Hour), 2760, 110, "eur", 3000, "usd", booking("bk_usd"))
	pi := piObject("pi_usd", "bk_usd", 3000)
	pi["currency"] = "usd"
	if code := d.send(eventJSON("evt_usd", "payment_intent.succeeded", now.Add(-2*time.Hour).Unix(), "2023-10-16", pi), whsec); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	d.worker.Drain(d.ctx)
	if d.state().stripe != 0 {
		t.Fatalf("a payment in USD posted to a EUR register")
	}
	rep := d.reconcile()
	if rep.Posted != 1 || !rep.Agrees {
		t.Fatalf("report = %+v", rep)
	}
	if b := d.booking("bk_usd"); b.Paid != 2760 {
		t.Fatalf("booking paid %d, want the settled 2760", b.Paid)
	}
	if st := d.state(); st.stripe != 2760-110 || st.fees != 110 {
		t.Fatalf("state = %+v", st)
	}
	e, err := d.books.Event(d.ctx, finance.ReconcileEventID("txn_usd"))
	if err != nil || !strings.Contains(e.Error, "USD") || !strings.Contains(e.Error, "settled") {
		t.Fatalf("record = %+v %v", e, err)
	}
	d.check()
}

// (e) What the ledger holds differently from Stripe is flagged with both
// figures, the day does not agree, and a second run keeps one flag.
func TestReconcileFlagsADifference(t *testing.T) {
	d, bal := reconDesk(t)
	now := d.clock.Now()
	// The webhook said 2500; Stripe's balance took in 2400 (and a fee of 73).
	bal.Charge("pi_e", now.Add(-time.Hour), 2400, 73, "eur", 2400, "eur", booking("bk_e"))
	if code := d.send(eventJSON("evt_e", "payment_intent.succeeded", now.Add(-time.Hour).Unix(), "2023-10-16", piObject("pi_e", "bk_e", 2500)), whsec); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	d.worker.Drain(d.ctx)
	before := d.state()
	rep := d.reconcile()
	if rep.Flagged != 1 || rep.Agrees || rep.Posted != 0 {
		t.Fatalf("report = %+v", rep)
	}
	diff := rep.DiffDays()
	if len(diff) != 1 || diff[0].Stripe != 2400-73 || diff[0].Ledger != 2500-73 {
		t.Fatalf("days that differ = %+v", diff)
	}
	e, err := d.books.Event(d.ctx, finance.ReconcileEventID("txn_e"))
	if err != nil || e.Status != finance.InboxFlagged || !strings.Contains(e.Error, "€23.27") || !strings.Contains(e.Error, "€24.27") {
		t.Fatalf("flag = %+v %v", e, err)
	}
	if st := d.state(); st.lastOp != before.lastOp {
		t.Fatalf("a difference posted something")
	}
	again := d.reconcile()
	stats, err := d.books.InboxStats(d.ctx)
	must(t, err)
	if again.Flagged != 1 || stats.Flagged != 1 {
		t.Fatalf("second run = %+v, inbox %+v", again, stats)
	}
	d.check()
}

// Disputes, a refund before its payment is in the books, things paydesk
// does not book, and a list longer than a page.
func TestReconcileKinds(t *testing.T) {
	d, bal := reconDesk(t)
	now := d.clock.Now()
	bal.Charge("pi_d", now.Add(-5*time.Hour), 2500, 73, "eur", 2500, "eur", booking("bk_d"))
	bal.Dispute("dp_1", "pi_d", now.Add(-4*time.Hour), 2500, 1500, "eur")
	// A refund of a payment Stripe has but that is no booking of ours.
	bal.Charge("pi_x", now.Add(-5*time.Hour), 1000, 0, "eur", 1000, "eur", map[string]string{})
	bal.Add(stripefake.Txn{Type: "adjustment", Category: "other_adjustment", Created: now.Add(-3 * time.Hour).Unix(),
		Amount: 500, Currency: "eur", Desc: "Stripe credit"})
	for i := 0; i < 120; i++ {
		bal.Add(stripefake.Txn{Type: "stripe_fee", Category: "fee", Created: now.Add(-2 * time.Hour).Unix(), Amount: -1, Currency: "eur"})
	}
	rep := d.reconcile()
	if bal.Requests < 2 {
		t.Fatalf("one page for %d transactions", len(rep.Items))
	}
	if rep.Posted != 2+120 || rep.Flagged != 2 || rep.Agrees {
		t.Fatalf("report: posted %d flagged %d waiting %d agrees %v", rep.Posted, rep.Flagged, rep.Waiting, rep.Agrees)
	}
	if ops := d.opsOf("bk_d"); ops[finance.OpDispute] != 1 {
		t.Fatalf("bk_d ops = %v", ops)
	}
	var flagged []string
	for _, it := range rep.Items {
		if it.Outcome == finance.ReconcileFlagged {
			flagged = append(flagged, it.Note)
		}
	}
	if len(flagged) != 2 || !strings.Contains(strings.Join(flagged, "|"), "not a booking") ||
		!strings.Contains(strings.Join(flagged, "|"), "book it by hand") {
		t.Fatalf("flags = %q", flagged)
	}
	// The withdrawal and the fee left the register.
	if st := d.state(); st.stripe != 2500-73-2500-1500-120 {
		t.Fatalf("stripe register = %d", st.stripe)
	}
	again := d.reconcile()
	if again.Posted != 0 || again.Flagged != 2 {
		t.Fatalf("second run = %+v", again)
	}
	d.check()
}

// (f) What the register holds and Stripe's balance does not: an operation
// with no balance transaction is flagged with both figures, once, and
// never reversed; an operation reversed again, and one that echoes money
// from before the window (the lookback's), are left alone.
func TestReconcileFindsLedgerOnlyOperations(t *testing.T) {
	d, bal := reconDesk(t)
	now := d.clock.Now()
	bal.Charge("pi_a", now.Add(-2*time.Hour), 2500, 73, "eur", 2500, "eur", booking("bk_a"))
	// Money from eight days ago: a 14-day run posts it today; the 7-day
	// run after must match it through the lookback, not call it ledger-only.
	bal.Charge("pi_old", now.Add(-8*24*time.Hour), 2500, 73, "eur", 2500, "eur", booking("bk_old"))
	wide, err := payments.ReconcileLast(d.ctx, d.books, d.prov, 14)
	must(t, err)
	if wide.Posted != 2 || !wide.Agrees {
		t.Fatalf("first run = %+v", wide)
	}
	// A payout booked by hand that Stripe never made, and one booked and
	// reversed.
	hand, err := d.books.Transfer(d.ctx, d.admin, finance.TransferRequest{Key: "t1", From: "stripe", To: "bank", Amount: 1000, Note: "payout by hand"})
	must(t, err)
	undone, err := d.books.Transfer(d.ctx, d.admin, finance.TransferRequest{Key: "t2", From: "stripe", To: "bank", Amount: 500, Note: "typo"})
	must(t, err)
	_, err = d.books.Reverse(d.ctx, d.admin, finance.ReverseRequest{Key: "r2", OperationID: undone.ID, Reason: "typo"})
	must(t, err)
	before := d.state()

	rep := d.reconcile()
	if rep.Flagged != 1 || rep.Posted != 0 || rep.Agrees {
		t.Fatalf("report = %+v", rep)
	}
	var item finance.ReconcileItem
	for _, it := range rep.Items {
		if it.Kind == finance.BalanceLedgerOnly {
			item = it
		}
	}
	if item.Outcome != finance.ReconcileFlagged || item.Ledger != -1000 || item.Stripe != 0 ||
		len(item.Operations) != 1 || item.Operations[0] != hand.ID {
		t.Fatalf("ledger-only item = %+v", item)
	}
	diff := rep.DiffDays()
	if len(diff) != 1 || diff[0].Stripe != 2500-73 || diff[0].Ledger != 2500-73-1000 {
		t.Fatalf("days that differ = %+v", diff)
	}
	id := fmt.Sprintf("reconcile:op:%d", hand.ID)
	e, err := d.books.Event(d.ctx, id)
	if err != nil || e.Status != finance.InboxFlagged || e.Operation != hand.ID ||
		!strings.Contains(e.Error, "€0.00") || !strings.Contains(e.Error, "−€10.00") && !strings.Contains(e.Error, "-€10.00") {
		t.Fatalf("record = %+v %v", e, err)
	}
	if st := d.state(); st.lastOp != before.lastOp || st.stripe != before.stripe {
		t.Fatalf("reconcile moved the register: %+v -> %+v", before, st)
	}
	if op, err := d.books.Operation(d.ctx, hand.ID); err != nil || op.ReversedBy != 0 {
		t.Fatalf("the hand payout was reversed: %+v %v", op, err)
	}
	d.check()

	// A second run flags nothing new; once resolved, the reason says so.
	again := d.reconcile()
	stats, err := d.books.InboxStats(d.ctx)
	must(t, err)
	if again.Flagged != 1 || stats.Flagged != 1 {
		t.Fatalf("second run = %+v, inbox %+v", again, stats)
	}
	_, err = d.books.ResolveEvent(d.ctx, d.admin, id, "moved by bank transfer outside Stripe")
	must(t, err)
	third := d.reconcile()
	for _, it := range third.Items {
		if it.Kind == finance.BalanceLedgerOnly && !strings.Contains(it.Note, "resolved: moved by bank transfer") {
			t.Fatalf("after resolve: %+v", it)
		}
	}
	if e, _ := d.books.Event(d.ctx, id); e.Status != finance.InboxResolved {
		t.Fatalf("a run undid the resolve: %+v", e)
	}
	d.check()
}

// A refund that failed after it left comes back as a refund_failure
// balance transaction. Stripe links it from the refund's side
// (failure_balance_transaction); the transaction's source has been the
// refund, and where it is the charge the refund is looked up by it. Each
// shape reverses the refund once; a failure no refund names is flagged.
func TestReconcileFailedRefundShapes(t *testing.T) {
	for _, tc := range []struct{ source, flag string }{
		{"refund", ""},
		{"charge", ""},
		{"charge-unlinked", "refund is not found"},
	} {
		t.Run(tc.source, func(t *testing.T) {
			d, bal := reconDesk(t)
			now := d.clock.Now()
			bal.Charge("pi_f", now.Add(-5*time.Hour), 2500, 73, "eur", 2500, "eur", booking("bk_f"))
			bal.Refund("re_f", "pi_f", now.Add(-4*time.Hour), 1000, "eur")
			bal.RefundFailure("re_f", "pi_f", now.Add(-3*time.Hour), 1000, "eur", tc.source)
			rep := d.reconcile()
			ops := d.opsOf("bk_f")
			if tc.flag != "" {
				if rep.Flagged != 1 || rep.Agrees || ops[finance.OpProviderReversal] != 0 {
					t.Fatalf("report = %+v, ops %v", rep, ops)
				}
				var notes []string
				for _, it := range rep.Items {
					notes = append(notes, it.Note)
				}
				if !strings.Contains(strings.Join(notes, "|"), tc.flag) {
					t.Fatalf("notes = %q", notes)
				}
				d.check()
				return
			}
			if rep.Flagged != 0 || rep.Waiting != 0 || !rep.Agrees || ops[finance.OpRefund] != 1 || ops[finance.OpProviderReversal] != 1 {
				t.Fatalf("report = %+v, ops %v", rep, ops)
			}
			if st := d.state(); st.stripe != 2500-73 {
				t.Fatalf("stripe register = %d", st.stripe)
			}
			if b := d.booking("bk_f"); b.Refunded != 0 {
				t.Fatalf("booking still counts the failed refund: %+v", b)
			}
			if again := d.reconcile(); again.Posted != 0 || !again.Agrees {
				t.Fatalf("second run = %+v", again)
			}
			d.check()
		})
	}
}

// A dispute's fee, in both shapes: on the dispute's own balance
// transaction (Stripe's dispute fees FAQ: "a single balance transaction for
// the dispute amount and fee", returned as a negative fee when won), or
// billed on its own as a fee transaction (and given back the same way).
// Either way a dispute withdrawn and won leaves the register where it was.
func TestReconcileDisputeFeeShapes(t *testing.T) {
	for _, separate := range []bool{false, true} {
		t.Run(fmt.Sprintf("separate=%v", separate), func(t *testing.T) {
			d, bal := reconDesk(t)
			now := d.clock.Now()
			bal.Charge("pi_w", now.Add(-6*time.Hour), 2500, 73, "eur", 2500, "eur", booking("bk_w"))
			fee := int64(1500)
			if separate {
				fee = 0
				bal.Add(stripefake.Txn{Type: "stripe_fee", Category: "fee", Created: now.Add(-5 * time.Hour).Unix(),
					Amount: -1500, Currency: "eur", Desc: "Dispute fee"})
				bal.Add(stripefake.Txn{Type: "stripe_fee", Category: "fee", Created: now.Add(-3 * time.Hour).Unix(),
					Amount: 1500, Currency: "eur", Desc: "Dispute fee returned"})
			}
			bal.Dispute("dp_w", "pi_w", now.Add(-5*time.Hour), 2500, fee, "eur")
			bal.DisputeReinstated("dp_w", "pi_w", now.Add(-3*time.Hour), 2500, fee, "eur")
			rep := d.reconcile()
			if rep.Flagged != 0 || rep.Waiting != 0 || !rep.Agrees {
				t.Fatalf("report = %+v", rep)
			}
			if st := d.state(); st.stripe != 2500-73 || st.fees != 73 {
				t.Fatalf("state = %+v", st)
			}
			if ops := d.opsOf("bk_w"); ops[finance.OpDispute] != 2 {
				t.Fatalf("ops = %v", ops)
			}
			if again := d.reconcile(); again.Posted != 0 || !again.Agrees {
				t.Fatalf("second run = %+v", again)
			}
			d.check()
		})
	}
}
