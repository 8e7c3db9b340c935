package stripe_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/paydesk/paydesk/finance"
)

// mockEvent is the payment_intent.succeeded stripe-mock's fixtures return.
func mockEvent(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/fixtures.json")
	must(t, err)
	var fx struct {
		Resources struct {
			Event json.RawMessage `json:"event"`
		} `json:"resources"`
	}
	must(t, json.Unmarshal(raw, &fx))
	return fx.Resources.Event
}

// The "done when": a signed payment_intent.succeeded to the
// receiver becomes a prepaid booking and a Stripe-register operation; again,
// nothing changes; a forged one gets 400 and changes nothing; canceling and
// refunding posts one refund, also when repeated.
func TestDoneWhenAgainstStripeMock(t *testing.T) {
	needMock(t)
	d := newDesk(t, mockURL)
	body := mockEvent(t)
	// stripe-go's own strict check passes on the fixture: version 2023-10-16.
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: whsec, Timestamp: time.Now()})
	if _, err := webhook.ConstructEvent(body, sp.Header, whsec); err != nil {
		t.Fatalf("fixture event does not pass ConstructEvent: %v", err)
	}

	if code := d.send(body, whsec); code != http.StatusOK {
		t.Fatalf("signed event: HTTP %d", code)
	}
	d.worker.Drain(d.ctx)
	b := d.booking("bk_mock1")
	if b.Status != finance.BookingPrepaid || b.Paid != 2500 || b.PaymentIntent != "pi_mock1" {
		t.Fatalf("booking = %+v", b)
	}
	ops := d.opsOf("bk_mock1")
	if ops[finance.OpOnlinePrepayment] != 1 || ops[finance.OpProviderFee] != 1 {
		t.Fatalf("ops = %v, want one prepayment and one fee", ops)
	}
	after := d.state()
	if after.stripe != 2500-73 || after.prepaid != -2500 || after.fees != 73 {
		t.Fatalf("state = %+v", after)
	}
	d.check()

	if code := d.send(body, whsec); code != http.StatusOK {
		t.Fatalf("repeat: HTTP %d", code)
	}
	d.worker.Drain(d.ctx)
	if got := d.state(); got != after {
		t.Fatalf("repeat changed the books: %+v -> %+v", after, got)
	}
	forged := []byte(string(body[:len(body)-1]) + ` `)
	for _, secret := range []string{"", "whsec_forged"} {
		if code := d.send(forged, secret); code != http.StatusBadRequest {
			t.Fatalf("forged (%q): HTTP %d, want 400", secret, code)
		}
	}
	d.worker.Drain(d.ctx)
	if got := d.state(); got != after {
		t.Fatalf("forged event changed the books: %+v -> %+v", after, got)
	}

	_, err := d.books.CancelBooking(d.ctx, d.admin, "bk_mock1", "client called")
	must(t, err)
	req := finance.RefundRequest{Key: "refund-bk_mock1-1", BookingID: "bk_mock1", Reason: "client called"}
	for i := 0; i < 2; i++ { // the command, repeated
		r, err := d.books.StartRefund(d.ctx, d.admin, req)
		must(t, err)
		r, err = d.worker.ExecuteRefund(d.ctx, r.Key)
		must(t, err)
		if r.Status != finance.RefundSucceeded || r.ProviderRef == "" {
			t.Fatalf("refund = %+v", r)
		}
	}
	if ops := d.opsOf("bk_mock1"); ops[finance.OpRefund] != 1 {
		t.Fatalf("ops = %v, want one refund", ops)
	}
	if b := d.booking("bk_mock1"); b.Status != finance.BookingRefunded || b.Refunded != 2500 {
		t.Fatalf("booking = %+v", b)
	}
	d.check()
}

func TestMockPollAndSetup(t *testing.T) {
	needMock(t)
	d := newDesk(t, mockURL)
	n, err := d.worker.PollOnce(d.ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("polled %d new events, want 1", n)
	}
	cur, err := d.books.Cursor(d.ctx, "stripe.events")
	must(t, err)
	if cur != "evt_mock1" {
		t.Fatalf("cursor = %q", cur)
	}
	d.worker.Drain(d.ctx)
	if b := d.booking("bk_mock1"); b.Paid != 2500 {
		t.Fatalf("booking = %+v", b)
	}
	// The mock ignores ending_before and lists the event again: no change.
	before := d.state()
	_, err = d.worker.PollOnce(d.ctx)
	must(t, err)
	d.worker.Drain(d.ctx)
	if got := d.state(); got != before {
		t.Fatalf("second poll changed the books: %+v -> %+v", before, got)
	}
	d.check()

	ep, err := d.prov.Setup(d.ctx, "https://desk.example/webhooks/stripe")
	must(t, err)
	if ep.Secret != "whsec_from_mock" || ep.ID == "" {
		t.Fatalf("endpoint = %+v", ep)
	}
	if _, err := d.prov.Setup(d.ctx, "ftp://x"); err == nil {
		t.Fatal("a non-HTTP URL was accepted")
	}
}

// A crash between the refund call and its posting: Stripe made the refund,
// the desk never heard. The re-run finds it by key and refunds nothing twice.
func TestRefundCrashBetweenCallAndPosting(t *testing.T) {
	fake, api := newFakeStripe(t)
	d := newDesk(t, api.URL)
	pay := eventJSON("evt_1", "payment_intent.succeeded", time.Now().Unix(), "2023-10-16", piObject("pi_1", "bk_1", 2500))
	if code := d.send(pay, whsec); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	d.worker.Drain(d.ctx)
	_, err := d.books.CancelBooking(d.ctx, d.admin, "bk_1", "")
	must(t, err)
	r, err := d.books.StartRefund(d.ctx, d.admin, finance.RefundRequest{Key: "rk-1", BookingID: "bk_1", Amount: 1000, Reason: "x"})
	must(t, err)

	fake.refundMode = "lose-answer"
	before := d.state()
	if _, err := d.worker.ExecuteRefund(d.ctx, r.Key); err == nil {
		t.Fatal("a lost answer reported success")
	}
	if got, _ := d.books.Refund(d.ctx, r.Key); got.Status != finance.RefundRequested {
		t.Fatalf("refund after lost answer = %+v, want still requested", got)
	}
	if got := d.state(); got != before {
		t.Fatalf("lost answer posted: %+v -> %+v", before, got)
	}

	fake.refundMode = ""
	done, err := d.worker.ExecuteRefund(d.ctx, r.Key)
	must(t, err)
	if done.Status != finance.RefundSucceeded || done.ProviderRef != "re_fake1" {
		t.Fatalf("refund = %+v", done)
	}
	_, err = d.worker.ExecuteRefund(d.ctx, r.Key)
	must(t, err)
	if n := fake.madeRefunds(); n != 1 {
		t.Fatalf("Stripe made %d refunds, want 1", n)
	}
	// Stripe's charge.refunded for it (without the refund list, as on
	// 2023-10-16) arrives too: still one refund operation.
	ch := eventJSON("evt_2", "charge.refunded", time.Now().Unix(), "2023-10-16",
		map[string]any{"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 1000, "currency": "eur"})
	if code := d.send(ch, whsec); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	d.worker.Drain(d.ctx)
	if ops := d.opsOf("bk_1"); ops[finance.OpRefund] != 1 {
		t.Fatalf("ops = %v", ops)
	}
	if b := d.booking("bk_1"); b.Refunded != 1000 || b.Status != finance.BookingCanceled {
		t.Fatalf("booking = %+v", b)
	}
	d.check()
}

func TestRefundDeclinedFreesTheAmount(t *testing.T) {
	fake, api := newFakeStripe(t)
	d := newDesk(t, api.URL)
	pay := eventJSON("evt_1", "payment_intent.succeeded", time.Now().Unix(), "2023-10-16", piObject("pi_1", "bk_1", 2500))
	d.send(pay, whsec)
	d.worker.Drain(d.ctx)
	_, err := d.books.CancelBooking(d.ctx, d.admin, "bk_1", "")
	must(t, err)
	r, err := d.books.StartRefund(d.ctx, d.admin, finance.RefundRequest{Key: "rk-1", BookingID: "bk_1", Reason: "x"})
	must(t, err)
	fake.refundMode = "decline"
	before := d.state()
	got, err := d.worker.ExecuteRefund(d.ctx, r.Key)
	must(t, err)
	if got.Status != finance.RefundFailed || got.Error == "" {
		t.Fatalf("refund = %+v", got)
	}
	if s := d.state(); s != before {
		t.Fatalf("declined refund posted: %+v -> %+v", before, s)
	}
	fake.refundMode = ""
	r2, err := d.books.StartRefund(d.ctx, d.admin, finance.RefundRequest{Key: "rk-2", BookingID: "bk_1", Reason: "x"})
	must(t, err)
	if r2.Amount != 2500 {
		t.Fatalf("amount after decline = %d", r2.Amount)
	}
	d.check()
}

// Duplicates and out-of-order delivery: a dashboard refund's event arrives
// before its payment's, both arrive twice.
func TestOutOfOrderAndDuplicateWebhooks(t *testing.T) {
	fake, api := newFakeStripe(t)
	d := newDesk(t, api.URL)
	now := time.Now().Unix()
	// The dashboard refund exists at Stripe, without our key.
	fake.refunds["pi_1"] = []map[string]any{{"id": "re_dash", "object": "refund", "amount": 500, "currency": "eur", "status": "succeeded",
		"payment_intent": "pi_1", "metadata": map[string]string{}}}
	ch := eventJSON("evt_ch", "charge.refunded", now+5, "2023-10-16",
		map[string]any{"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 500, "currency": "eur"})
	pay := eventJSON("evt_pi", "payment_intent.succeeded", now, "2023-10-16", piObject("pi_1", "bk_1", 2500))

	for _, b := range [][]byte{ch, ch} {
		if code := d.send(b, whsec); code != http.StatusOK {
			t.Fatalf("HTTP %d", code)
		}
	}
	d.worker.Drain(d.ctx)
	if e, err := d.books.Event(d.ctx, "evt_ch"); err != nil || e.Status != finance.InboxFailed {
		t.Fatalf("refund before its payment: %+v %v, want failed for now", e, err)
	}
	for _, b := range [][]byte{pay, pay} {
		if code := d.send(b, whsec); code != http.StatusOK {
			t.Fatalf("HTTP %d", code)
		}
	}
	d.worker.Drain(d.ctx)
	d.clock.Add(finance.EventBackoff(1))
	d.worker.Drain(d.ctx)
	if ops := d.opsOf("bk_1"); ops[finance.OpRefund] != 1 || ops[finance.OpOnlinePrepayment] != 1 {
		t.Fatalf("ops = %v", ops)
	}
	st, err := d.books.InboxStats(d.ctx)
	must(t, err)
	if st.Total != 3 || st.Failed != 0 || st.Pending != 0 { // payment, its fee, the refund
		t.Fatalf("inbox = %+v", st)
	}
	if b := d.booking("bk_1"); b.Refunded != 500 {
		t.Fatalf("booking = %+v", b)
	}
	d.check()
}

// The poller walks forward with ending_before, and falls back to a time
// window when Stripe no longer knows the cursor.
func TestPollerCursor(t *testing.T) {
	fake, api := newFakeStripe(t)
	d := newDesk(t, api.URL)
	now := time.Now().Unix()
	for i, id := range []string{"evt_a", "evt_b"} {
		fake.addEvent(id, now+int64(i), eventJSON(id, "payout.paid", now+int64(i), "2023-10-16",
			map[string]any{"id": "po_" + id, "amount": 100, "currency": "eur"}))
	}
	n, err := d.worker.PollOnce(d.ctx)
	must(t, err)
	if n != 2 {
		t.Fatalf("first poll: %d new", n)
	}
	cur, _ := d.books.Cursor(d.ctx, "stripe.events")
	if cur != "evt_b" {
		t.Fatalf("cursor = %q", cur)
	}
	fake.addEvent("evt_c", now+2, eventJSON("evt_c", "customer.created", now+2, "2024-06-20", map[string]any{"id": "cus_1"}))
	n, err = d.worker.PollOnce(d.ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("second poll: %d new", n)
	}
	if cur, _ = d.books.Cursor(d.ctx, "stripe.events"); cur != "evt_c" {
		t.Fatalf("cursor = %q", cur)
	}
	must(t, d.books.SetCursor(d.ctx, "stripe.events", "evt_gone"))
	n, err = d.worker.PollOnce(d.ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("lost-cursor poll: %d new, want 0 (all seen)", n)
	}
	if cur, _ = d.books.Cursor(d.ctx, "stripe.events"); cur != "evt_c" {
		t.Fatalf("cursor after fallback = %q", cur)
	}
	d.worker.Drain(d.ctx)
	if s := d.state(); s.stripe != -200 {
		// Payouts out of a register with no prepayments: the books still balance.
		t.Fatalf("stripe register = %d", s.stripe)
	}
	d.check()
}

// A group event paid in two parts is refunded across both payment intents:
// a refund larger than the last payment takes the rest from the first, never
// asking one intent for more than it has left, one key per intent, so a
// crash between the parts sends each once.
func TestCardRefundSpreadOverPaymentIntents(t *testing.T) {
	fake, api := newFakeStripe(t)
	fake.captured = map[string]int64{"pi_a": 1500, "pi_b": 1000}
	d := newDesk(t, api.URL)
	group := func(id string, amount int64) map[string]any {
		o := piObject(id, "bk_g", amount)
		md := o["metadata"].(map[string]string)
		md["group_event"], md["booking_total"] = "true", "2500"
		return o
	}
	at := time.Now().Unix()
	for i, p := range []struct {
		evt, pi string
		amount  int64
	}{{"evt_a", "pi_a", 1500}, {"evt_b", "pi_b", 1000}} {
		if code := d.send(eventJSON(p.evt, "payment_intent.succeeded", at+int64(i), "2023-10-16", group(p.pi, p.amount)), whsec); code != http.StatusOK {
			t.Fatalf("%s: HTTP %d", p.evt, code)
		}
		d.worker.Drain(d.ctx)
	}
	_, err := d.books.CancelBooking(d.ctx, d.admin, "bk_g", "the event is off")
	must(t, err)
	before := d.state()

	r, err := d.books.StartRefund(d.ctx, d.admin, finance.RefundRequest{Key: "rk-g", BookingID: "bk_g", Amount: 2000, Reason: "event off"})
	must(t, err)
	if len(r.Parts) != 2 || r.Parts[0].PaymentRef != "pi_b" || r.Parts[0].Amount != 1000 ||
		r.Parts[1].PaymentRef != "pi_a" || r.Parts[1].Amount != 1000 || r.Parts[0].Key == r.Parts[1].Key {
		t.Fatalf("parts = %+v, want 1000 from pi_b (the latest) and 1000 from pi_a, each keyed apart", r.Parts)
	}

	// The first part is made at Stripe but its answer is lost: nothing posts,
	// the second part waits.
	fake.refundMode = "lose-answer"
	if _, err := d.worker.ExecuteRefund(d.ctx, r.Key); err == nil {
		t.Fatal("a lost answer reported success")
	}
	if got := d.state(); got != before {
		t.Fatalf("a lost answer posted: %+v -> %+v", before, got)
	}
	fake.refundMode = ""
	for range 2 { // resumed, then asked again: the parts go once each
		done, err := d.worker.ExecuteRefund(d.ctx, r.Key)
		must(t, err)
		if done.Status != finance.RefundSucceeded || done.Parts[0].Status != finance.RefundSucceeded ||
			done.Parts[1].Status != finance.RefundSucceeded || done.ProviderRef == "" {
			t.Fatalf("refund = %+v", done)
		}
	}
	if n := fake.madeRefunds(); n != 2 || fake.tooLarge != 0 {
		t.Fatalf("Stripe made %d refunds (%d too large), want 2 and none too large", n, fake.tooLarge)
	}
	if ops := d.opsOf("bk_g"); ops[finance.OpRefund] != 2 {
		t.Fatalf("ops = %v, want two refunds", ops)
	}
	b := d.booking("bk_g")
	if b.Refunded != 2000 || b.Status != finance.BookingCanceled || b.Payers[0].Refunded != 1000 || b.Payers[1].Refunded != 1000 {
		t.Fatalf("booking = %+v", b)
	}
	if got := d.state(); got.stripe != before.stripe-2000 || got.prepaid != before.prepaid+2000 {
		t.Fatalf("books %+v -> %+v, want 2000 out of the Stripe register", before, got)
	}

	// The rest (500) is left on pi_a only, though pi_b is the latest payment.
	r2, err := d.books.StartRefund(d.ctx, d.admin, finance.RefundRequest{Key: "rk-g2", BookingID: "bk_g", Reason: "the rest"})
	must(t, err)
	if r2.Amount != 500 || len(r2.Parts) != 1 || r2.Parts[0].PaymentRef != "pi_a" {
		t.Fatalf("second refund = %+v, want 500 from pi_a", r2)
	}
	done, err := d.worker.ExecuteRefund(d.ctx, r2.Key)
	must(t, err)
	if done.Status != finance.RefundSucceeded || fake.tooLarge != 0 || fake.madeRefunds() != 3 {
		t.Fatalf("second refund = %+v; Stripe made %d (%d too large)", done, fake.madeRefunds(), fake.tooLarge)
	}
	if b := d.booking("bk_g"); b.Refunded != 2500 || b.Status != finance.BookingRefunded {
		t.Fatalf("booking = %+v", b)
	}
	// Stripe's charge.refunded for pi_a, listing both of its refunds, posts nothing new.
	ch := eventJSON("evt_ch", "charge.refunded", time.Now().Unix(), "2023-10-16", map[string]any{
		"id": "ch_pi_a", "object": "charge", "payment_intent": "pi_a", "amount": 1500, "amount_refunded": 1500, "currency": "eur",
		"refunds": map[string]any{"object": "list", "data": fake.refunds["pi_a"]}})
	if code := d.send(ch, whsec); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	d.worker.Drain(d.ctx)
	if ops := d.opsOf("bk_g"); ops[finance.OpRefund] != 3 {
		t.Fatalf("ops = %v after charge.refunded, want three refunds", ops)
	}
	if _, err := d.books.StartRefund(d.ctx, d.admin, finance.RefundRequest{Key: "rk-g3", BookingID: "bk_g", Amount: 1, Reason: "more"}); !errors.Is(err, finance.ErrRefundExceeds) {
		t.Fatalf("a refund beyond what was paid: %v", err)
	}
	d.check()
}
