package viva_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/paytest"
	"github.com/paydesk/paydesk/payments/viva"
	"github.com/paydesk/paydesk/payments/viva/vivafake"
)

const payID = "997ab1e3-e6ce-45c9-970d-4d902f27ce71"

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func paidDesk(t *testing.T) (*paytest.Desk, *vivafake.API) {
	f := vivafake.New(t)
	d := paytest.NewDesk(t, f.Provider(t), viva.Title, "EUR", "GR")
	f.Add(payID, vivafake.Tx{Amount: 4550, FullName: "Eleni Papadopoulou",
		MerchantTrns: `{"booking_id":"bk_1","service":"Haircut","client_phone":"+306912345678"}`})
	return d, f
}

// Viva checks the webhook URL with a GET that must answer the merchant's
// verification key, fetched from /api/messages/config/token.
func TestVerificationKeyHandshake(t *testing.T) {
	d, _ := paidDesk(t)
	resp, err := http.Get(d.Hook.URL + "/webhooks/viva")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, %v", resp.StatusCode, err)
	}
	if got["Key"] != vivafake.VerificationKey || len(got) != 1 {
		t.Fatalf("answer %v", got)
	}
	if n := d.Inboxed(); n != 0 {
		t.Fatalf("a GET stored %d events", n)
	}
}

// A notification Viva cannot confirm is refused with nothing stored: a
// transaction Viva does not have, or one whose amount, currency, order or
// MerchantTrns (the booking) differ from Viva's; a reversal naming another
// order's payment; garbage.
func TestForgedOrUnverifiableStoresNothing(t *testing.T) {
	d, f := paidDesk(t)
	f.Add("0e0e0e0e-0000-4000-8000-000000000001", vivafake.Tx{Amount: 100, MerchantTrns: "bk_other"})
	body := string(f.Webhook(payID))
	forged := map[string]string{
		"no such transaction": strings.Replace(body, payID, "11111111-2222-4333-8444-555555555555", 1),
		"amount raised":       strings.Replace(body, `"Amount": 45.5`, `"Amount": 4550`, 1),
		"amount lowered":      strings.Replace(body, `"Amount": 45.5`, `"Amount": 45.49`, 1),
		"currency changed":    strings.Replace(body, `"CurrencyCode": "978"`, `"CurrencyCode": "840"`, 1),
		"order changed":       strings.Replace(body, `"OrderCode": 22716557394726`, `"OrderCode": 12716557394726`, 1),
		"booking switched":    strings.Replace(body, `bk_1`, `bk_2`, 1),
		"not json":            "Key=1",
		"other event type":    strings.Replace(body, `"EventTypeId": 1796`, `"EventTypeId": 2054`, 1),
		"reversal of another order's payment": strings.Replace(strings.Replace(body, `"EventTypeId": 1796`, `"EventTypeId": 1797`, 1),
			`"ParentId": null`, `"ParentId": "0e0e0e0e-0000-4000-8000-000000000001"`, 1),
	}
	for name, b := range forged {
		if b == body {
			t.Fatalf("%s: the forgery changed nothing", name)
		}
		if code, _ := d.Post(b, jsonHeader); code != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", name, code)
		}
	}
	d.Drain()
	if n := d.Inboxed(); n != 0 {
		t.Fatalf("inbox holds %d events; want none", n)
	}
	if _, err := d.Books.Booking(d.Ctx, "bk_1"); err == nil {
		t.Fatal("a refused notification made the booking")
	}
	d.Check()
}

// A confirmed notification makes the prepaid booking and one operation on
// Viva's register, also when sent again and found by the poller.
func TestPaymentPostsOnce(t *testing.T) {
	d, f := paidDesk(t)
	body := string(f.Webhook(payID))
	for range 3 {
		if code, resp := d.Post(body, jsonHeader); code != http.StatusOK {
			t.Fatalf("HTTP %d %s", code, resp)
		}
	}
	d.Drain()
	if _, err := d.Worker.PollProvider(d.Ctx, d.Prov); err != nil {
		t.Fatal(err)
	}
	d.Drain()
	b := d.Booking("bk_1")
	if b.Status != finance.BookingPrepaid || b.Paid != 4550 || b.Service != "Haircut" || b.ClientID == 0 {
		t.Fatalf("booking %+v", b)
	}
	if ops := d.Ops("bk_1"); ops[finance.OpOnlinePrepayment] != 1 || len(ops) != 1 {
		t.Fatalf("operations %v", ops)
	}
	if got := d.Register("viva"); got != 4550 {
		t.Fatalf("viva register %d", got)
	}
	if n := d.Inboxed(); n != 1 {
		t.Fatalf("inbox holds %d events, want 1", n)
	}
	d.Check()
}

// MerchantTrns as a plain booking id: the booking is that id, the client's
// name Viva's FullName; the payment posts and is flagged for the missing
// phone as other providers' are.
func TestPlainMerchantTrns(t *testing.T) {
	d, f := paidDesk(t)
	const id = "c90d4902-6245-449f-b2b0-51d99cd09cfe"
	f.Add(id, vivafake.Tx{Amount: 1000, MerchantTrns: "bk_9", FullName: "George Seferis"})
	if code, _ := d.Post(string(f.Webhook(id)), jsonHeader); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	d.Drain()
	if b := d.Booking("bk_9"); b.Paid != 1000 || b.Status != finance.BookingPrepaid {
		t.Fatalf("booking %+v", b)
	}
	d.Check()
}

// The reversal's notification comes before the payment's: it waits, then
// both post once; duplicates change nothing.
func TestReversalBeforeThePayment(t *testing.T) {
	d, f := paidDesk(t)
	paid := string(f.Webhook(payID))
	// Refunded from Viva's app, then its notification.
	if _, err := f.Provider(t).Refund(d.Ctx, payments.RefundOrder{Key: "app-1", PaymentRef: payID, Amount: 4550, Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	rev := string(f.Webhook(f.Reversals(payID)[0]))
	if code, resp := d.Post(rev, jsonHeader); code != http.StatusOK {
		t.Fatalf("reversal: HTTP %d %s", code, resp)
	}
	d.Drain()
	if got := d.Register("viva"); got != 0 {
		t.Fatalf("before the payment the register holds %d", got)
	}
	for range 2 {
		d.Post(paid, jsonHeader)
		d.Post(rev, jsonHeader)
	}
	d.Drain()
	evs, err := d.Books.Inbox(d.Ctx, 100)
	paytest.Must(t, err)
	for _, e := range evs {
		if e.Status == finance.InboxFailed {
			paytest.Must(t, d.Books.RetryEvent(d.Ctx, d.Admin, e.ID))
		}
	}
	d.Drain()
	if ops := d.Ops("bk_1"); ops[finance.OpOnlinePrepayment] != 1 || ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	if got := d.Register("viva"); got != 0 {
		t.Fatalf("viva register %d, want 0", got)
	}
	d.Check()
}

// Cancel + refund posts one refund, also when repeated and when Viva's
// reversal notification arrives.
func TestRefundOnce(t *testing.T) {
	d, f := paidDesk(t)
	d.Post(string(f.Webhook(payID)), jsonHeader)
	d.Drain()
	for range 2 {
		r, err := d.Refund("bk_1", "rf-1")
		if err != nil || r.Status != finance.RefundSucceeded {
			t.Fatalf("refund %+v, %v", r, err)
		}
	}
	revs := f.Reversals(payID)
	if len(revs) != 1 || f.Refunds() != 1 {
		t.Fatalf("Viva reversed %d times (%v)", f.Refunds(), revs)
	}
	if code, _ := d.Post(string(f.Webhook(revs[0])), jsonHeader); code != http.StatusOK {
		t.Fatalf("reversal: HTTP %d", code)
	}
	d.Drain()
	if _, err := d.Worker.PollProvider(d.Ctx, d.Prov); err != nil {
		t.Fatal(err)
	}
	d.Drain()
	if ops := d.Ops("bk_1"); ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	if b := d.Booking("bk_1"); b.Status != finance.BookingRefunded {
		t.Fatalf("booking %+v", b)
	}
	if got := d.Register("viva"); got != 0 {
		t.Fatalf("viva register %d", got)
	}
	d.Check()
}

// The reversal goes through but its answer is lost: after the restart the
// refund is found among the reversal messages by its key (merchantTrns) and
// not sent again.
func TestRefundRetriedAfterACrashPostsOnce(t *testing.T) {
	for _, messages := range []bool{true, false} {
		name := "found in the messages API"
		if !messages {
			name = "no webhook set up: Viva's idempotency key"
		}
		t.Run(name, func(t *testing.T) {
			d, f := paidDesk(t)
			d.Post(string(f.Webhook(payID)), jsonHeader)
			d.Drain()
			f.NoMessages(!messages)
			f.Crash(true)
			if r, err := d.Refund("bk_1", "rf-1"); err == nil || r.Status != finance.RefundRequested {
				t.Fatalf("refund %+v, %v; want it saved, unconfirmed", r, err)
			}
			f.Crash(false)
			d.Restart(f.Provider(t))
			r, err := d.Worker.ExecuteRefund(d.Ctx, "rf-1")
			if err != nil || r.Status != finance.RefundSucceeded {
				t.Fatalf("after the restart: %+v, %v", r, err)
			}
			f.NoMessages(false)
			d.Post(string(f.Webhook(f.Reversals(payID)[0])), jsonHeader)
			d.Drain()
			if n := f.Refunds(); n != 1 {
				t.Fatalf("Viva reversed %d times", n)
			}
			if ops := d.Ops("bk_1"); ops[finance.OpRefund] != 1 {
				t.Fatalf("operations %v", ops)
			}
			d.Check()
		})
	}
}

func TestRefundRefused(t *testing.T) {
	d, f := paidDesk(t)
	d.Post(string(f.Webhook(payID)), jsonHeader)
	d.Drain()
	f.Refuse("Refunds are not allowed for this merchant")
	r, err := d.Refund("bk_1", "rf-1")
	if err != nil || r.Status != finance.RefundFailed || !strings.Contains(r.Error, "not allowed") {
		t.Fatalf("refund %+v, %v", r, err)
	}
	if ops := d.Ops("bk_1"); ops[finance.OpRefund] != 0 {
		t.Fatalf("operations %v", ops)
	}
	if f.Refunds() != 0 {
		t.Fatal("a refused refund was carried out")
	}
	d.Check()
	f.Refuse("")
	if r, err := d.Refund("bk_1", "rf-2"); err != nil || r.Status != finance.RefundSucceeded {
		t.Fatalf("second refund %+v, %v", r, err)
	}
	if ops := d.Ops("bk_1"); ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	d.Check()
}

// A group event paid by two transactions naming the same booking: flagged
// partial after the first, prepaid in full after the second.
func TestGroupEventPrepaidInFull(t *testing.T) {
	d, f := paidDesk(t)
	mt := `{"booking_id":"grp_1","group_event":true,"booking_total":6000,"service":"Yoga class"}`
	f.Add("aaaaaaaa-0000-4000-8000-00000000000a", vivafake.Tx{Amount: 3000, MerchantTrns: mt, FullName: "A B"})
	f.Add("bbbbbbbb-0000-4000-8000-00000000000b", vivafake.Tx{Amount: 3000, MerchantTrns: mt, FullName: "C D"})
	d.Post(string(f.Webhook("aaaaaaaa-0000-4000-8000-00000000000a")), jsonHeader)
	d.Drain()
	if b := d.Booking("grp_1"); !b.GroupEvent || !strings.Contains(b.Flag, "prepaid in full") {
		t.Fatalf("half paid: %+v", b)
	}
	d.Post(string(f.Webhook("bbbbbbbb-0000-4000-8000-00000000000b")), jsonHeader)
	d.Drain()
	if b := d.Booking("grp_1"); b.Paid != 6000 || strings.Contains(b.Flag, "prepaid in full") || len(b.Payers) != 2 {
		t.Fatalf("paid in full: %+v", b)
	}
	d.Check()
}

// A notification that never reached the desk is found by the poller in
// the messages API.
func TestPollFindsAMissedPayment(t *testing.T) {
	d, _ := paidDesk(t)
	if n, err := d.Worker.PollProvider(d.Ctx, d.Prov); err != nil || n == 0 {
		t.Fatalf("poll: %d, %v", n, err)
	}
	d.Drain()
	if ops := d.Ops("bk_1"); ops[finance.OpOnlinePrepayment] != 1 {
		t.Fatalf("operations %v", ops)
	}
	d.Check()
}

// Amounts in a currency with no decimals, and more decimals than the
// currency has, confirmed by Viva as they are: the first posts exactly,
// the second is flagged, never rounded.
func TestAmountsExact(t *testing.T) {
	f := vivafake.New(t)
	d := paytest.NewDesk(t, f.Provider(t), viva.Title, "EUR", "GR")
	f.Add("dddddddd-0000-4000-8000-00000000000d", vivafake.Tx{Amount: 1999, MerchantTrns: `{"booking_id":"bk_d","client_phone":"+306912345678"}`})
	body := string(f.Webhook("dddddddd-0000-4000-8000-00000000000d"))
	if !strings.Contains(body, `"Amount": 19.99`) {
		t.Fatalf("the fake wrote %s", body)
	}
	d.Post(body, jsonHeader)
	d.Drain()
	if b := d.Booking("bk_d"); b.Paid != 1999 {
		t.Fatalf("booking %+v", b)
	}
	d.Check()
}

func TestGetAnswerWithoutAKeyIsAnError(t *testing.T) {
	p, err := viva.New(viva.Config{MerchantID: "m", APIKey: "k", ClientID: "c", ClientSecret: "s", APIURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{h: http.Header{}}
	req, _ := http.NewRequest(http.MethodGet, "/webhooks/viva", nil)
	p.AnswerGet(rec, req)
	if rec.code != http.StatusBadGateway || strings.Contains(rec.body.String(), "Key") {
		t.Fatalf("HTTP %d %s", rec.code, rec.body.String())
	}
	if _, err := viva.New(viva.Config{MerchantID: "m", APIKey: "k"}); err == nil {
		t.Fatal("New without the OAuth2 credentials")
	}
}

type recorder struct {
	h    http.Header
	code int
	body strings.Builder
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(c int)           { r.code = c }

var _ io.Writer = (*recorder)(nil)
