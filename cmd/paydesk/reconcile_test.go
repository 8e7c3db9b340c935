package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

type reconcileOut struct {
	Agrees  bool `json:"agrees"`
	Posted  int  `json:"posted"`
	Matched int  `json:"matched"`
	Flagged int  `json:"flagged"`
	Days    []struct {
		Date   string `json:"date"`
		Stripe int64  `json:"stripe"`
		Ledger int64  `json:"ledger"`
		Agrees bool   `json:"agrees"`
	} `json:"days"`
}

func bookingMeta(id string) map[string]string {
	return map[string]string{"booking_id": id, "client_name": "Oksana Koval", "client_phone": "+380671234567",
		"service": "Yoga class", "booking_total": "2500"}
}

// reconcileOff keeps serve from reconciling on its own, for tests that
// reconcile by hand.
func reconcileOff(t *testing.T, d *desk) {
	t.Helper()
	f, err := os.OpenFile(d.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n[stripe]\nreconcile_every = \"0s\"\n"); err != nil {
		t.Fatal(err)
	}
}

func (d *desk) stripeRegister() int64 {
	d.t.Helper()
	var tot totalsOut
	d.json(&tot, "totals")
	for _, r := range tot.Registers {
		if r.Register == "stripe" {
			return r.Closing
		}
	}
	d.t.Fatalf("no stripe register in %+v", tot)
	return 0
}

// Issue 13's "done when", through the real binary: Stripe's balance holds
// money no webhook delivered; `paydesk reconcile stripe` brings the Stripe
// register to it day by day, `check` is clean, a second run posts nothing,
// and a webhook for money reconcile posted posts nothing either.
func TestReconcileStripeThroughTheBinary(t *testing.T) {
	d := newDesk(t)
	d.init()
	reconcileOff(t, d)
	api := withStripe(t, d)
	now := time.Now()
	bal := api.balance
	bal.Charge("pi_r1", now.Add(-72*time.Hour), 2500, 73, "eur", 2500, "eur", bookingMeta("bk_r1"))
	bal.Charge("pi_r2", now.Add(-48*time.Hour), 2500, 73, "eur", 2500, "eur", bookingMeta("bk_r2"))
	bal.Refund("re_r2", "pi_r2", now.Add(-47*time.Hour), 1000, "eur")
	bal.Payout("po_r1", now.Add(-24*time.Hour), 2000, "eur")

	if r := d.run("reconcile", "stripe", "--from", "2026-01-02", "--to", "2026-01-01"); r.code == 0 {
		t.Fatalf("a range backwards was taken: %s", r.out)
	}
	var rep reconcileOut
	d.json(&rep, "reconcile", "stripe")
	if rep.Posted != 4 || rep.Flagged != 0 || !rep.Agrees || len(rep.Days) != 30 {
		t.Fatalf("report = %+v", rep)
	}
	byDay := bal.ByDay(time.UTC)
	for _, day := range rep.Days {
		if day.Stripe != byDay[day.Date] || day.Ledger != day.Stripe || !day.Agrees {
			t.Fatalf("day %s = %+v; the fake's balance moved %d", day.Date, day, byDay[day.Date])
		}
	}
	want := bal.Net(now.Add(-30*24*time.Hour), now.Add(time.Hour))
	if got := d.stripeRegister(); got != want {
		t.Fatalf("Stripe register %d, Stripe's balance %d", got, want)
	}
	if out := d.ok("check"); !strings.Contains(out, "every invariant holds") {
		t.Fatalf("check: %s", out)
	}
	var ops []opOut
	d.json(&ops, "ops")
	n := len(ops)
	if k := kinds(ops); k["online_prepayment"] != 2 || k["provider_fee"] != 2 || k["refund"] != 1 || k["payout"] != 1 {
		t.Fatalf("ops = %v", k)
	}

	// A second run posts nothing.
	d.json(&rep, "reconcile", "stripe")
	if rep.Posted != 0 || rep.Matched != 4 || !rep.Agrees {
		t.Fatalf("second run = %+v", rep)
	}
	// The human form says so too.
	if out := d.ok("reconcile", "stripe"); !strings.Contains(out, "agrees with Stripe") || !strings.Contains(out, "0 posted") {
		t.Fatalf("reconcile output:\n%s", out)
	}

	// The webhook of a payment reconcile posted, and one of a new payment
	// (whose balance transaction reconcile then matches): each posts once.
	bal.Charge("pi_r3", now.Add(-time.Minute), 2500, 73, "eur", 2500, "eur", bookingMeta("bk_r3"))
	s := serveWebhooks(t, d)
	for _, body := range []string{
		paymentEvent("evt_r1", "pi_r1", "bk_r1", 2500, "Oksana Koval", "+380671234567", 2500, false),
		paymentEvent("evt_r3", "pi_r3", "bk_r3", 2500, "Oksana Koval", "+380671234567", 2500, false),
	} {
		if code := s.post(body); code != 200 {
			t.Fatalf("webhook: HTTP %d", code)
		}
	}
	s.waitDone("evt_r1", "evt_r3", "evt_r3:fee")
	s.stop()
	d.json(&ops, "ops")
	if len(ops) != n+2 { // pi_r3 and its fee
		t.Fatalf("after the webhooks: %d operations, want %d: %v", len(ops), n+2, kinds(ops))
	}
	d.json(&rep, "reconcile", "stripe")
	if rep.Posted != 0 || rep.Matched != 5 || !rep.Agrees {
		t.Fatalf("after the webhooks = %+v", rep)
	}
	if got, want := d.stripeRegister(), bal.Net(now.Add(-30*24*time.Hour), now.Add(time.Hour)); got != want {
		t.Fatalf("Stripe register %d, Stripe's balance %d", got, want)
	}
	d.ok("check")
}

// Without the secret key there is nothing to read: said so, nothing done.
func TestReconcileNeedsTheSecretKey(t *testing.T) {
	d := newDesk(t)
	d.init()
	r := d.run("reconcile", "stripe")
	if r.code == 0 || !strings.Contains(r.err, "secret key") {
		t.Fatalf("exit %d, stderr %s", r.code, r.err)
	}
}

// serve reconciles at start when the secret key is there.
func TestServeReconcilesAtStart(t *testing.T) {
	d := newDesk(t)
	d.init()
	api := withStripe(t, d)
	api.balance.Charge("pi_s1", time.Now().Add(-5*time.Hour), 2500, 73, "eur", 2500, "eur", bookingMeta("bk_s1"))
	s := serveWebhooks(t, d)
	waitFor(t, "serve's first reconcile", func() bool {
		b, _ := os.ReadFile(s.logFile())
		return strings.Contains(string(b), `msg=reconciled`)
	})
	s.stop()
	var ops []opOut
	d.json(&ops, "ops")
	if k := kinds(ops); k["online_prepayment"] != 1 || k["provider_fee"] != 1 {
		t.Fatalf("ops = %v", k)
	}
}
