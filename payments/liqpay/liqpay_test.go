package liqpay_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/liqpay"
	"github.com/paydesk/paydesk/payments/liqpay/liqpayfake"
	"github.com/paydesk/paydesk/payments/paytest"
)

const (
	pubKey  = liqpayfake.PublicKey
	privKey = liqpayfake.PrivateKey
)

type order = liqpayfake.Order

var form = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

// LiqPay's own example (documentation, "data and signature"; the same pair
// is in its SDKs' tests): the key, the JSON, its data and its signature.
func TestPublishedDataSignatureVector(t *testing.T) {
	const (
		json = `{"public_key":"i00000000","version":"3","action":"pay","amount":"3","currency":"UAH","description":"test","order_id":"000001"}`
		data = "eyJwdWJsaWNfa2V5IjoiaTAwMDAwMDAwIiwidmVyc2lvbiI6IjMiLCJhY3Rpb24iOiJwYXkiLCJhbW91bnQiOiIzIiwiY3VycmVuY3kiOiJVQUgiLCJkZXNjcmlwdGlvbiI6InRlc3QiLCJvcmRlcl9pZCI6IjAwMDAwMSJ9"
		sig  = "wR+UZDC4jjeL/qUOvIsofIWpZh8="
	)
	if got := base64.StdEncoding.EncodeToString([]byte(json)); got != data {
		t.Fatalf("data = %s", got)
	}
	if got := liqpay.Sign(privKey, data); got != sig {
		t.Fatalf("Sign = %s, want %s", got, sig)
	}
	// As a callback: the signature checks and the order is read (a "pay"
	// with no status yet is kept, not applied).
	p, err := liqpay.New(liqpay.Config{PublicKey: pubKey, PrivateKey: privKey})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.VerifyWebhook([]byte(url.Values{"data": {data}, "signature": {sig}}.Encode()), form)
	if err != nil || e.ObjectID != "000001" || e.Amount != 300 || e.Currency != "uah" || e.Type != finance.EventUnknown {
		t.Fatalf("event %+v, %v", e, err)
	}
	// One character of the signature changed: refused.
	if _, err := p.VerifyWebhook([]byte(url.Values{"data": {data}, "signature": {"wR+UZDC4jjeL/qUOvIsofIWpZh9="}}.Encode()), form); !errors.Is(err, payments.ErrBadSignature) {
		t.Fatalf("a changed signature: %v", err)
	}
}

func TestStatuses(t *testing.T) {
	f := liqpayfake.New(t)
	p := f.Provider(t)
	sandbox, err := liqpay.New(liqpay.Config{PublicKey: pubKey, PrivateKey: privKey, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status   string
		refunded int64
		prov     *liqpay.Provider
		want     finance.EventType
		problem  bool
	}{
		{"success", 0, p, finance.EventPaymentSucceeded, false},
		{"failure", 0, p, finance.EventPaymentFailed, false},
		{"error", 0, p, finance.EventPaymentFailed, false},
		{"reversed", 0, p, finance.EventRefundUpdated, false},
		{"success", 5000, p, finance.EventRefundUpdated, false}, // a partial refund
		{"sandbox", 0, p, finance.EventPaymentSucceeded, true},  // never posted on a live desk
		{"sandbox", 0, sandbox, finance.EventPaymentSucceeded, false},
		{"wait_accept", 0, p, finance.EventPaymentPending, false},
		{"3ds_verify", 0, p, finance.EventPaymentPending, false},
		{"processing", 0, p, finance.EventPaymentPending, false},
		{"hold_wait", 0, p, finance.EventPaymentPending, false},
		{"subscribed", 0, p, finance.EventUnknown, false},
	} {
		t.Run(tc.status, func(t *testing.T) {
			f.Add("bk_1", order{PaymentID: 7, Amount: 20000, Status: tc.status, Refunded: tc.refunded})
			e, err := tc.prov.VerifyWebhook([]byte(f.Callback("bk_1", privKey)), form)
			if err != nil {
				t.Fatal(err)
			}
			if e.Type != tc.want || (e.Problem != "") != tc.problem || e.PaymentRef != "bk_1" || e.Provider != liqpay.Name {
				t.Fatalf("event %+v", e)
			}
			if tc.want == finance.EventRefundUpdated && e.Amount != max(tc.refunded, 20000*boolInt(tc.refunded == 0)) {
				t.Fatalf("refunded %d", e.Amount)
			}
			if !strings.HasPrefix(e.ID, "liqpay:7:") {
				t.Fatalf("id %q", e.ID)
			}
		})
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func paidDesk(t *testing.T) (*paytest.Desk, *liqpayfake.API) {
	f := liqpayfake.New(t)
	d := paytest.NewDesk(t, f.Provider(t), liqpay.Title, "UAH", "UA")
	f.Add("bk_1", order{PaymentID: 1001, Amount: 120000, Status: "success", Commission: 3300,
		Phone: "380671234567", First: "Oksana", Last: "Koval", Info: `{"service":"Haircut","starts_at":"2030-03-20T14:00:00+02:00"}`})
	return d, f
}

func TestForgedOrUnsignedCallbackStoresNothing(t *testing.T) {
	d, f := paidDesk(t)
	good := f.Callback("bk_1", privKey)
	vals, _ := url.ParseQuery(good)
	tampered := url.Values{"data": {vals.Get("data") + "="}, "signature": {vals.Get("signature")}}.Encode()
	for name, body := range map[string]string{
		"unsigned":         f.Callback("bk_1", ""),
		"another key":      f.Callback("bk_1", "not-the-private-key"),
		"data changed":     tampered,
		"signature alone":  url.Values{"signature": {vals.Get("signature")}}.Encode(),
		"not a form":       "%%%",
		"empty":            "",
		"signature as hex": url.Values{"data": {vals.Get("data")}, "signature": {"c1fb9464"}}.Encode(),
	} {
		if code, _ := d.Post(body, form); code != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", name, code)
		}
	}
	d.Drain()
	if n := d.Inboxed(); n != 0 {
		t.Fatalf("inbox holds %d events after forged calls; want none", n)
	}
	if got := d.Register("liqpay"); got != 0 {
		t.Fatalf("liqpay register %d", got)
	}
	d.Check()
}

// A signed payment callback makes the prepaid booking and one operation
// on LiqPay's register, also when LiqPay sends it again and the poller
// finds it too; the fee LiqPay kept posts once.
func TestPaymentPostsOnce(t *testing.T) {
	d, f := paidDesk(t)
	for range 3 {
		if code, body := d.Post(f.Callback("bk_1", privKey), form); code != http.StatusOK {
			t.Fatalf("HTTP %d %s", code, body)
		}
	}
	d.Drain()
	if _, err := d.Worker.PollProvider(d.Ctx, d.Prov); err != nil {
		t.Fatal(err)
	}
	d.Drain()
	b := d.Booking("bk_1")
	if b.Status != finance.BookingPrepaid || b.Paid != 120000 || b.Service != "Haircut" || b.ClientID == 0 || b.Flag != "" {
		t.Fatalf("booking %+v", b)
	}
	c, err := d.Books.ClientView(d.Ctx, b.ClientID, finance.Page{Limit: 1})
	if err != nil || c.Phone != "+380671234567" || c.Name != "Oksana Koval" {
		t.Fatalf("client %+v, %v", c, err)
	}
	if ops := d.Ops("bk_1"); ops[finance.OpOnlinePrepayment] != 1 || ops[finance.OpProviderFee] != 1 {
		t.Fatalf("operations %v; want one prepayment and one fee", ops)
	}
	if got := d.Register("liqpay"); got != 120000-3300 {
		t.Fatalf("liqpay register %d, want %d", got, 120000-3300)
	}
	if got := d.Register("stripe"); got != 0 {
		t.Fatalf("stripe register %d", got)
	}
	d.Check()
}

// The refund callback before the payment's: it waits for the payment,
// then both post once; repeated, nothing more.
func TestOutOfOrderAndDuplicates(t *testing.T) {
	d, f := paidDesk(t)
	paid := f.Callback("bk_1", privKey)
	f.Set("bk_1", "reversed", 120000)
	reversed := f.Callback("bk_1", privKey)
	for _, body := range []string{reversed, reversed} {
		if code, _ := d.Post(body, form); code != http.StatusOK {
			t.Fatalf("HTTP %d", code)
		}
	}
	d.Drain()
	if got := d.Register("liqpay"); got != 0 {
		t.Fatalf("before the payment the register holds %d", got)
	}
	for _, body := range []string{paid, reversed, paid} {
		if code, _ := d.Post(body, form); code != http.StatusOK {
			t.Fatalf("HTTP %d", code)
		}
	}
	d.Drain()
	// The refund waits its backoff: retry it now.
	for _, e := range mustInbox(t, d) {
		if e.Status == finance.InboxFailed {
			paytest.Must(t, d.Books.RetryEvent(d.Ctx, d.Admin, e.ID))
		}
	}
	d.Drain()
	ops := d.Ops("bk_1")
	if ops[finance.OpOnlinePrepayment] != 1 || ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	if got := d.Register("liqpay"); got != -3300 { // the fee stays LiqPay's
		t.Fatalf("liqpay register %d, want -3300 (its fee)", got)
	}
	if b := d.Booking("bk_1"); b.Refunded != 120000 {
		t.Fatalf("booking %+v", b)
	}
	d.Check()
}

func mustInbox(t *testing.T, d *paytest.Desk) []finance.ProviderEvent {
	evs, err := d.Books.Inbox(d.Ctx, 100)
	paytest.Must(t, err)
	return evs
}

// Cancel + refund through LiqPay posts one refund, also when repeated and
// when LiqPay's own callback about it arrives.
func TestRefundOnce(t *testing.T) {
	d, f := paidDesk(t)
	d.Post(f.Callback("bk_1", privKey), form)
	d.Drain()
	for range 2 {
		r, err := d.Refund("bk_1", "rf-1")
		if err != nil || r.Status != finance.RefundSucceeded {
			t.Fatalf("refund %+v, %v", r, err)
		}
	}
	if _, err := d.Worker.ExecuteRefund(d.Ctx, "rf-1"); err != nil {
		t.Fatal(err)
	}
	d.Post(f.Callback("bk_1", privKey), form) // LiqPay's callback: reversed
	d.Drain()
	if f.Refunds() != 1 {
		t.Fatalf("LiqPay refunded %d times", f.Refunds())
	}
	if ops := d.Ops("bk_1"); ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	if b := d.Booking("bk_1"); b.Status != finance.BookingRefunded || b.Refunded != 120000 {
		t.Fatalf("booking %+v", b)
	}
	d.Check()
}

// LiqPay carries the refund out but its answer is lost (a timeout, or the
// desk dies before recording it): after the restart the refund is found
// done by the order's total and not sent again.
func TestRefundRetriedAfterACrashPostsOnce(t *testing.T) {
	d, f := paidDesk(t)
	d.Post(f.Callback("bk_1", privKey), form)
	d.Drain()
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
	d.Post(f.Callback("bk_1", privKey), form)
	d.Drain()
	if f.Refunds() != 1 {
		t.Fatalf("LiqPay refunded %d times", f.Refunds())
	}
	if ops := d.Ops("bk_1"); ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	if got := d.Register("liqpay"); got != -3300 {
		t.Fatalf("liqpay register %d", got)
	}
	d.Check()
}

// The callback of the refund arrives before the desk hears back from its
// own call (it died): the resumed refund matches the posted one.
func TestRefundCallbackBeforeTheAnswer(t *testing.T) {
	d, f := paidDesk(t)
	d.Post(f.Callback("bk_1", privKey), form)
	d.Drain()
	f.Crash(true)
	if _, err := d.Refund("bk_1", "rf-1"); err == nil {
		t.Fatal("want the lost answer to fail the refund call")
	}
	f.Crash(false)
	d.Post(f.Callback("bk_1", privKey), form) // reversed
	d.Drain()
	if got := d.Register("liqpay"); got != -3300 {
		t.Fatalf("after the callback the register holds %d", got)
	}
	r, err := d.Worker.ExecuteRefund(d.Ctx, "rf-1")
	if err != nil || r.Status != finance.RefundSucceeded {
		t.Fatalf("resumed: %+v, %v", r, err)
	}
	if f.Refunds() != 1 {
		t.Fatalf("LiqPay refunded %d times", f.Refunds())
	}
	if got := d.Register("liqpay"); got != -3300 {
		t.Fatalf("liqpay register %d", got)
	}
	d.Check()
}

// LiqPay refuses the refund: it fails, nothing posts, the amount is free
// to refund again with a new key.
func TestRefundRefused(t *testing.T) {
	d, f := paidDesk(t)
	d.Post(f.Callback("bk_1", privKey), form)
	d.Drain()
	f.Refuse("insufficient funds on the merchant account")
	r, err := d.Refund("bk_1", "rf-1")
	if err != nil || r.Status != finance.RefundFailed || !strings.Contains(r.Error, "insufficient funds") {
		t.Fatalf("refund %+v, %v", r, err)
	}
	if ops := d.Ops("bk_1"); ops[finance.OpRefund] != 0 {
		t.Fatalf("operations %v", ops)
	}
	f.Refuse("")
	if r, err := d.Refund("bk_1", "rf-2"); err != nil || r.Status != finance.RefundSucceeded {
		t.Fatalf("second refund %+v, %v", r, err)
	}
	d.Check()
}

// A group event is paid by several people, each with their own order_id
// and info naming the booking: flagged as partial until it is paid in full.
func TestGroupEventPrepaidInFull(t *testing.T) {
	d, f := paidDesk(t)
	info := `{"booking_id":"grp_1","group_event":true,"booking_total":200000,"service":"Yoga class"}`
	f.Add("grp_1-a", order{PaymentID: 2001, Amount: 100000, Status: "success", Phone: "380671111111", First: "Ira", Info: info})
	f.Add("grp_1-b", order{PaymentID: 2002, Amount: 100000, Status: "success", Phone: "380672222222", First: "Max", Info: info})
	d.Post(f.Callback("grp_1-a", privKey), form)
	d.Drain()
	if b := d.Booking("grp_1"); !b.GroupEvent || !strings.Contains(b.Flag, "prepaid in full") {
		t.Fatalf("half paid: %+v", b)
	}
	d.Post(f.Callback("grp_1-b", privKey), form)
	d.Drain()
	b := d.Booking("grp_1")
	if b.Paid != 200000 || b.Flag != "" || len(b.Payers) != 2 {
		t.Fatalf("paid in full: %+v", b)
	}
	d.Check()
}

// A payment whose callback never came is found by the poller.
func TestPollFindsAMissedPayment(t *testing.T) {
	d, _ := paidDesk(t)
	n, err := d.Worker.PollProvider(d.Ctx, d.Prov)
	if err != nil || n == 0 {
		t.Fatalf("poll: %d, %v", n, err)
	}
	d.Drain()
	if ops := d.Ops("bk_1"); ops[finance.OpOnlinePrepayment] != 1 {
		t.Fatalf("operations %v", ops)
	}
	d.Check()
}

// Two partial refunds, the first one's answer lost and LiqPay's callback
// for it in first: the first is matched to what the callback posted, the
// second is still sent, and each posts once.
func TestPartialRefundsAfterALostAnswer(t *testing.T) {
	d, f := paidDesk(t)
	d.Post(f.Callback("bk_1", privKey), form)
	d.Drain()
	f.Crash(true)
	if _, err := d.RefundPart("bk_1", "rf-1", 50000); err == nil {
		t.Fatal("want the lost answer to fail the refund call")
	}
	f.Crash(false)
	d.Post(f.Callback("bk_1", privKey), form) // success, refund_amount 500.00
	d.Drain()
	if r, err := d.Worker.ExecuteRefund(d.Ctx, "rf-1"); err != nil || r.Status != finance.RefundSucceeded {
		t.Fatalf("resumed: %+v, %v", r, err)
	}
	if r, err := d.RefundPart("bk_1", "rf-2", 30000); err != nil || r.Status != finance.RefundSucceeded {
		t.Fatalf("second refund: %+v, %v", r, err)
	}
	d.Post(f.Callback("bk_1", privKey), form) // refund_amount 800.00
	d.Drain()
	if f.Refunds() != 2 {
		t.Fatalf("LiqPay refunded %d times, want 2", f.Refunds())
	}
	if got := d.Register("liqpay"); got != 120000-3300-80000 {
		t.Fatalf("liqpay register %d, want %d", got, 120000-3300-80000)
	}
	if b := d.Booking("bk_1"); b.Refunded != 80000 {
		t.Fatalf("booking %+v", b)
	}
	d.Check()
}
