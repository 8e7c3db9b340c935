package stripe_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	pstripe "github.com/paydesk/paydesk/payments/stripe"
)

// The API versions events are tested at: the one stripe-go v76 pins (and
// paydesk's webhook endpoint), and a current one, as a poll of an account
// whose default version moved on, or `stripe listen`, delivers them.
var apiShapes = []string{"2023-10-16", "2025-03-31.basil"}

// step is one event delivered as a signed webhook (or, without a type,
// one the worker records itself), with the outcome it must have.
type step struct {
	id, typ string
	obj     map[string]any
	want    finance.InboxStatus // "": no such event may exist
	note    string              // a word the event's note must contain ("" = any)
}

// books is what a scenario ends with: the balances an event can move.
type books struct {
	stripe, bank, prepaid, fees, disputes int64
}

func (d *desk) ledger() books {
	d.t.Helper()
	var b books
	must(d.t, d.db.View(d.ctx, func(tx finance.ReadTx) error {
		for acc, p := range map[finance.AccountID]*int64{
			finance.RegisterAccount("stripe"): &b.stripe, finance.RegisterAccount("bank"): &b.bank,
			finance.AccountPrepaid: &b.prepaid, finance.AccountFees: &b.fees, finance.AccountDisputes: &b.disputes,
		} {
			v, err := tx.Balance(acc)
			if err != nil {
				return err
			}
			*p = v
		}
		return nil
	}))
	return b
}

// play delivers the steps in order, draining the worker after each (and
// once more past the first retry), and checks each event's outcome.
func (d *desk) play(apiVersion string, steps []step) {
	d.t.Helper()
	at := time.Now().Unix() - int64(len(steps))
	for i, s := range steps {
		if s.typ == "" {
			continue // an event paydesk makes itself (a fee): only checked
		}
		body := eventJSON(s.id, s.typ, at+int64(i), apiVersion, s.obj)
		if code := d.send(body, whsec); code != http.StatusOK {
			d.t.Fatalf("%s: HTTP %d", s.id, code)
		}
		d.worker.Drain(d.ctx)
	}
	d.clock.Add(finance.EventBackoff(1))
	d.worker.Drain(d.ctx)
	for _, s := range steps {
		e, err := d.books.Event(d.ctx, s.id)
		if s.want == "" {
			if !errors.Is(err, finance.ErrNotFound) {
				d.t.Errorf("%s: want no such event, got %s (%v)", s.id, e.Status, err)
			}
			continue
		}
		must(d.t, err)
		if e.Status != s.want || !strings.Contains(e.Error, s.note) {
			d.t.Errorf("%s (%s): %s %q, want %s with %q", s.id, s.typ, e.Status, e.Error, s.want, s.note)
		}
		if e.Status == finance.InboxFlagged && e.Error == "" {
			d.t.Errorf("%s flagged without a reason", s.id)
		}
	}
}

func pi(id, booking string, amount int64, cur string) map[string]any {
	o := piObject(id, booking, amount)
	o["currency"] = cur
	return o
}

func charge(id, pi string, refunded int64) map[string]any {
	return map[string]any{"id": id, "object": "charge", "payment_intent": pi, "amount": 2500,
		"amount_refunded": refunded, "currency": "eur", "refunds": nil}
}

func refundObj(id, pi string, amount int64, status string) map[string]any {
	return map[string]any{"id": id, "object": "refund", "amount": amount, "currency": "eur", "status": status,
		"payment_intent": pi, "charge": "ch_" + pi, "metadata": map[string]string{}}
}

func dispute(id, pi, status string, bts ...map[string]any) map[string]any {
	if bts == nil {
		bts = []map[string]any{}
	}
	return map[string]any{"id": id, "object": "dispute", "amount": 2500, "currency": "eur", "charge": "ch_" + pi,
		"payment_intent": pi, "reason": "fraudulent", "status": status, "balance_transactions": bts}
}

func bt(amount, fee int64) map[string]any {
	return map[string]any{"id": fmt.Sprintf("txn_%d", amount), "object": "balance_transaction", "amount": amount,
		"fee": fee, "net": amount - fee, "currency": "eur", "type": "adjustment"}
}

func payout(id string, amount int64, status string) map[string]any {
	return map[string]any{"id": id, "object": "payout", "amount": amount, "currency": "eur", "status": status,
		"failure_code": "account_closed", "failure_message": "The bank account has been closed"}
}

func session(id, pi, booking string, amount int64, status string) map[string]any {
	md := piObject(pi, booking, amount)["metadata"]
	return map[string]any{"id": id, "object": "checkout.session", "amount_total": amount, "currency": "eur",
		"payment_intent": pi, "payment_status": status, "mode": "payment", "metadata": md}
}

// Every event type, at both API shapes, in webhook-only mode (no secret
// key): each posts once or says why not.
func TestEventsWebhookOnly(t *testing.T) {
	pay := func(id string) step {
		return step{id: id, typ: "payment_intent.succeeded", obj: pi("pi_1", "bk_1", 2500, "eur"), want: finance.InboxApplied}
	}
	tests := []struct {
		name  string
		steps []step
		want  books
	}{
		{"payment; its fee needs the key, so no fee event is made", []step{pay("evt_p"),
			{id: "evt_p:fee", want: ""}},
			books{stripe: 2500, prepaid: -2500}},
		{"dashboard refunds without a refund list post the change in amount_refunded", []step{pay("evt_p"),
			{"evt_r1", "charge.refunded", charge("ch_1", "pi_1", 500), finance.InboxApplied, "amount_refunded"},
			{"evt_r1b", "charge.refunded", charge("ch_1", "pi_1", 500), finance.InboxApplied, "posted already"},
			{"evt_r2", "charge.refunded", charge("ch_1", "pi_1", 800), finance.InboxApplied, "amount_refunded"},
			// The refunds by id then match what posted and post nothing more.
			{"evt_r3", "charge.refund.updated", refundObj("re_1", "pi_1", 500, "succeeded"), finance.InboxApplied, ""},
			{"evt_r4", "refund.updated", refundObj("re_2", "pi_1", 300, "succeeded"), finance.InboxApplied, ""},
			{"evt_r5", "refund.updated", refundObj("re_2", "pi_1", 300, "succeeded"), finance.InboxApplied, ""},
		}, books{stripe: 1700, prepaid: -1700}},
		{"a refund that fails after it posted is reversed", []step{pay("evt_p"),
			{"evt_r1", "refund.created", refundObj("re_1", "pi_1", 700, "succeeded"), finance.InboxApplied, ""},
			{"evt_r2", "refund.failed", refundObj("re_1", "pi_1", 700, "failed"), finance.InboxFlagged, "reversed"},
			{"evt_r3", "charge.refund.updated", refundObj("re_1", "pi_1", 700, "failed"), finance.InboxFlagged, "reversed"},
		}, books{stripe: 2500, prepaid: -2500}},
		{"a refund pending moves nothing", []step{pay("evt_p"),
			{"evt_r1", "refund.created", refundObj("re_1", "pi_1", 700, "pending"), finance.InboxIgnored, "pending"},
		}, books{stripe: 2500, prepaid: -2500}},
		{"a refund in another currency is refused", []step{pay("evt_p"),
			{"evt_r1", "refund.created", func() map[string]any {
				r := refundObj("re_1", "pi_1", 700, "succeeded")
				r["currency"] = "usd"
				return r
			}(), finance.InboxFlagged, "USD"},
		}, books{stripe: 2500, prepaid: -2500}},
		{"a payment in another currency is refused, and so is its fee", []step{
			{"evt_p", "payment_intent.succeeded", pi("pi_1", "bk_1", 2500, "usd"), finance.InboxFlagged, "USD"},
			{id: "evt_p:fee", want: ""},
		}, books{}},
		{"failed and canceled payments are kept with amount, booking and reason", []step{
			{"evt_f", "payment_intent.payment_failed", func() map[string]any {
				o := pi("pi_1", "bk_1", 2500, "eur")
				o["status"], o["amount_received"] = "requires_payment_method", 0
				o["last_payment_error"] = map[string]any{"message": "Your card was declined.", "code": "card_declined", "decline_code": "insufficient_funds"}
				return o
			}(), finance.InboxIgnored, "€25.00 for booking bk_1: Your card was declined. (card_declined, insufficient_funds)"},
			{"evt_c", "payment_intent.canceled", func() map[string]any {
				o := pi("pi_2", "bk_2", 1000, "eur")
				o["status"], o["cancellation_reason"] = "canceled", "abandoned"
				return o
			}(), finance.InboxIgnored, "abandoned"},
		}, books{}},
		{"checkout session with the booking on the session", []step{
			{"evt_pi", "payment_intent.succeeded", func() map[string]any {
				o := pi("pi_1", "", 2500, "eur")
				o["metadata"] = map[string]string{}
				return o
			}(), finance.InboxIgnored, "booking_id"},
			{"evt_cs", "checkout.session.completed", session("cs_1", "pi_1", "bk_1", 2500, "paid"), finance.InboxApplied, ""},
			{"evt_cs2", "checkout.session.async_payment_succeeded", session("cs_1", "pi_1", "bk_1", 2500, "paid"), finance.InboxApplied, "already"},
			{"evt_cs3", "checkout.session.completed", session("cs_2", "pi_2", "bk_2", 900, "unpaid"), finance.InboxIgnored, "unpaid"},
			{"evt_cs4", "checkout.session.async_payment_failed", session("cs_2", "pi_2", "bk_2", 900, "unpaid"), finance.InboxIgnored, "failed"},
		}, books{stripe: 2500, prepaid: -2500}},
		{"dispute won", []step{pay("evt_p"),
			{"evt_d1", "charge.dispute.created", dispute("dp_1", "pi_1", "needs_response"), finance.InboxFlagged, "dashboard"},
			{"evt_d2", "charge.dispute.funds_withdrawn", dispute("dp_1", "pi_1", "needs_response", bt(-2500, 1500)), finance.InboxFlagged, "€15.00"},
			{"evt_d3", "charge.dispute.funds_reinstated", dispute("dp_1", "pi_1", "won", bt(-2500, 1500), bt(2500, -1500)), finance.InboxApplied, "reinstated"},
			{"evt_d4", "charge.dispute.closed", dispute("dp_1", "pi_1", "won", bt(-2500, 1500), bt(2500, -1500)), finance.InboxApplied, "already"},
		}, books{stripe: 2500, prepaid: -2500}},
		// Closed won without funds_reinstated: what comes back is the
		// dispute's reinstatement balance transaction, with the fee only
		// when Stripe returned it (a negative fee there).
		{"dispute won without funds_reinstated, Stripe keeping the fee", []step{pay("evt_p"),
			{"evt_d2", "charge.dispute.funds_withdrawn", dispute("dp_1", "pi_1", "needs_response", bt(-2500, 1500)), finance.InboxFlagged, ""},
			{"evt_d4", "charge.dispute.closed", dispute("dp_1", "pi_1", "won", bt(-2500, 1500), bt(2500, 0)), finance.InboxApplied, "kept the dispute fee of €15.00"},
		}, books{stripe: 2500 - 1500, prepaid: -2500, fees: 1500}},
		{"dispute won without funds_reinstated, Stripe returning the fee", []step{pay("evt_p"),
			{"evt_d2", "charge.dispute.funds_withdrawn", dispute("dp_1", "pi_1", "needs_response", bt(-2500, 1500)), finance.InboxFlagged, ""},
			{"evt_d4", "charge.dispute.closed", dispute("dp_1", "pi_1", "won", bt(-2500, 1500), bt(2500, -1500)), finance.InboxApplied, "€40.00 back"},
		}, books{stripe: 2500, prepaid: -2500}},
		// Won, but the dispute lists no reinstatement yet: nothing comes
		// back until Stripe's funds_reinstated says what did.
		{"dispute won before its reinstatement", []step{pay("evt_p"),
			{"evt_d2", "charge.dispute.funds_withdrawn", dispute("dp_1", "pi_1", "needs_response", bt(-2500, 1500)), finance.InboxFlagged, ""},
			{"evt_d4", "charge.dispute.closed", dispute("dp_1", "pi_1", "won", bt(-2500, 1500)), finance.InboxApplied, "already"},
			{"evt_d3", "charge.dispute.funds_reinstated", dispute("dp_1", "pi_1", "won", bt(-2500, 1500), bt(2500, 0)), finance.InboxApplied, "kept"},
		}, books{stripe: 2500 - 1500, prepaid: -2500, fees: 1500}},
		{"dispute won, no reinstatement ever", []step{pay("evt_p"),
			{"evt_d2", "charge.dispute.funds_withdrawn", dispute("dp_1", "pi_1", "needs_response", bt(-2500, 1500)), finance.InboxFlagged, ""},
			{"evt_d4", "charge.dispute.closed", dispute("dp_1", "pi_1", "won", bt(-2500, 1500)), finance.InboxFailed, "no reinstatement"},
		}, books{stripe: -1500, prepaid: -2500, fees: 1500, disputes: 2500}},
		{"dispute lost", []step{pay("evt_p"),
			{"evt_d2", "charge.dispute.funds_withdrawn", dispute("dp_1", "pi_1", "needs_response", bt(-2500, 1500)), finance.InboxFlagged, ""},
			{"evt_d4", "charge.dispute.closed", dispute("dp_1", "pi_1", "lost", bt(-2500, 1500)), finance.InboxFlagged, "lost"},
			{"evt_d5", "charge.dispute.closed", dispute("dp_1", "pi_1", "lost", bt(-2500, 1500)), finance.InboxFlagged, "lost"},
		}, books{stripe: -1500, fees: 1500}},
		{"payout failed after paid is reversed; canceled before paid posts nothing", []step{
			{"evt_po1", "payout.paid", payout("po_1", 2000, "paid"), finance.InboxApplied, ""},
			{"evt_po2", "payout.failed", payout("po_1", 2000, "failed"), finance.InboxFlagged, "closed"},
			{"evt_po3", "payout.failed", payout("po_1", 2000, "failed"), finance.InboxFlagged, "reversed"},
			{"evt_po4", "payout.canceled", payout("po_2", 900, "canceled"), finance.InboxFlagged, "nothing to reverse"},
			{"evt_po5", "payout.paid", func() map[string]any { p := payout("po_3", 900, "paid"); p["currency"] = "usd"; return p }(),
				finance.InboxFlagged, "USD"},
		}, books{}},
		{"an amount above Stripe's maximum is refused", []step{
			{"evt_p", "payment_intent.succeeded", pi("pi_1", "bk_1", 9_223_372_036_854_775_000, "eur"), finance.InboxFlagged, "maximum"},
			{"evt_p2", "payment_intent.succeeded", pi("pi_2", "bk_2", 2500, "eur"), finance.InboxApplied, ""},
		}, books{stripe: 2500, prepaid: -2500}},
	}
	for _, ver := range apiShapes {
		for _, tc := range tests {
			t.Run(ver+"/"+tc.name, func(t *testing.T) {
				d := newDesk(t, "")
				d.play(ver, tc.steps)
				if got := d.ledger(); got != tc.want {
					t.Fatalf("books = %+v, want %+v", got, tc.want)
				}
				d.check()
			})
		}
	}
}

// A group event paid by two payers keeps both payments; the one that
// completes it clears the partial flag.
func TestGroupPaidInParts(t *testing.T) {
	group := func(id string, amount int64) map[string]any {
		o := piObject(id, "bk_g", amount)
		md := o["metadata"].(map[string]string)
		md["group_event"], md["booking_total"] = "true", "2500"
		return o
	}
	for _, ver := range apiShapes {
		t.Run(ver, func(t *testing.T) {
			d := newDesk(t, "")
			d.play(ver, []step{
				{"evt_a", "payment_intent.succeeded", group("pi_a", 1000), finance.InboxFlagged, "paid 1000 of 2500"},
				{"evt_b", "payment_intent.succeeded", group("pi_b", 1500), finance.InboxApplied, ""},
			})
			b := d.booking("bk_g")
			if b.Paid != 2500 || b.Flag != "" || len(b.Payers) != 2 || b.Payers[0].PaymentRef != "pi_a" || b.Payers[1].Amount != 1500 {
				t.Fatalf("booking = %+v", b)
			}
			d.check()
		})
	}
}

// With a secret key, the fee comes from the payment's balance transaction,
// in that transaction's currency, and the payment never waits for it.
func TestFeesWithTheKey(t *testing.T) {
	for _, ver := range apiShapes {
		t.Run(ver, func(t *testing.T) {
			fake, api := newFakeStripe(t)
			d := newDesk(t, api.URL)
			fake.mu.Lock()
			fake.noBalanceTx = true
			fake.mu.Unlock()
			d.play(ver, []step{{"evt_p", "payment_intent.succeeded", piObject("pi_1", "bk_1", 2500), finance.InboxApplied, ""}})
			if b := d.ledger(); b.stripe != 2500 || b.fees != 0 {
				t.Fatalf("the payment waited for its fee: %+v", b)
			}
			if e, _ := d.books.Event(d.ctx, "evt_p:fee"); e.Status != finance.InboxFailed {
				t.Fatalf("fee before its balance transaction = %+v", e)
			}
			fake.mu.Lock()
			fake.noBalanceTx = false
			fake.mu.Unlock()
			d.clock.Add(finance.EventBackoff(2))
			d.worker.Drain(d.ctx)
			if b := d.ledger(); b.stripe != 2500-73 || b.fees != 73 {
				t.Fatalf("books = %+v", b)
			}
			d.check()
		})
	}
}

func TestLiveModeAndAccount(t *testing.T) {
	live, err := pstripe.New(pstripe.Config{WebhookSecret: whsec, SecretKey: "sk_live_123"})
	must(t, err)
	own, err := pstripe.New(pstripe.Config{WebhookSecret: whsec, Account: "acct_own"})
	must(t, err)
	body := eventJSON("evt_1", "payment_intent.succeeded", 1700000000, "2023-10-16", piObject("pi_1", "bk_1", 2500))
	withAccount := func(acct string) []byte {
		return []byte(strings.Replace(string(body), `"livemode":false`, `"livemode":false,"account":"`+acct+`"`, 1))
	}
	tests := []struct {
		name string
		prov *pstripe.Provider
		body []byte
		want string
	}{
		{"test event, live key", live, body, "live-mode key"},
		{"another account", own, withAccount("acct_other"), "acct_other"},
		{"own account", own, withAccount("acct_own"), ""},
		{"an account when none is configured", live, withAccount("acct_x"), "acct_x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := tc.prov.VerifyWebhook(tc.body, signedHeader(tc.body, whsec, time.Now()))
			must(t, err)
			if !strings.Contains(e.Problem, tc.want) || (tc.want == "") != (e.Problem == "") {
				t.Fatalf("problem = %q, want %q", e.Problem, tc.want)
			}
		})
	}
}

// Stripe's units: its own zero-decimal list, ISK and UGX two-decimal at
// Stripe and zero in ISO, three-decimal currencies, and the maximum charge.
func TestStripeAmountUnits(t *testing.T) {
	prov, err := pstripe.New(pstripe.Config{WebhookSecret: whsec})
	must(t, err)
	tests := []struct {
		cur     string
		amount  int64
		want    int64
		problem string
	}{
		{"eur", 2500, 2500, ""},
		{"isk", 250000, 2500, ""},
		{"isk", 250050, 0, "whole"},
		{"huf", 250000, 250000, ""},
		{"twd", 250000, 250000, ""},
		{"ugx", 250000, 2500, ""}, // Stripe's special case: two decimals, always 00
		{"ugx", 2550, 0, "whole"},
		{"jpy", 500, 500, ""},
		{"kwd", 5120, 5120, ""},
		{"eur", 99_999_999, 99_999_999, ""},
		{"eur", 100_000_000, 0, "maximum"},
		{"xyz", 100, 0, "ISO 4217"},
	}
	for _, ver := range apiShapes {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s/%d", ver, tc.cur, tc.amount), func(t *testing.T) {
				body := eventJSON("evt_1", "payment_intent.succeeded", 1700000000, ver, pi("pi_1", "bk_1", tc.amount, tc.cur))
				e, err := prov.VerifyWebhook(body, signedHeader(body, whsec, time.Now()))
				must(t, err)
				if e.Amount != tc.want || !strings.Contains(e.Problem, tc.problem) || (tc.problem == "") != (e.Problem == "") {
					t.Fatalf("amount %d problem %q, want %d %q", e.Amount, e.Problem, tc.want, tc.problem)
				}
			})
		}
	}
}
