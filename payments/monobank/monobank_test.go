package monobank_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/monobank"
	"github.com/paydesk/paydesk/payments/monobank/monobankfake"
	"github.com/paydesk/paydesk/payments/paytest"
)

// Monobank's own X-Sign example (api.monobank.ua/docs/acquiring.html, the
// Go sample; the same bytes in loqimean/monobank_webhook_sign_verification):
// the key, the signature and the pretty-printed body, verified exactly; one
// byte more and it fails.
func TestPublishedXSignExample(t *testing.T) {
	const (
		pub   = "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFQUc1LzZ3NnZubGJZb0ZmRHlYWE4vS29CbVVjTgo3NWJSUWg4MFBhaEdldnJoanFCQnI3OXNSS0JSbnpHODFUZVQ5OEFOakU1c0R3RmZ5Znhub0ZJcmZBPT0KLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg=="
		xSign = "MEUCIQC/mVKhi8FKoayul2Mim3E2oaIOCNJk5dEXxTqbkeJSOQIgOM0hsW0qcP2H8iXy1aQYpmY0SJWEaWur7nQXlKDCFxA="
	)
	body := `{
  "invoiceId": "p2_9ZgpZVsl3",
  "status": "created",
  "failureReason": "string",
  "amount": 4200,
  "ccy": 980,
  "finalAmount": 4200,
  "createdDate": "2019-08-24T14:15:22Z",
  "modifiedDate": "2019-08-24T14:15:22Z",
  "reference": "84d0070ee4e44667b31371d8f8813947",
  "cancelList": [
    {
      "status": "processing",
      "amount": 4200,
      "ccy": 980,
      "createdDate": "2019-08-24T14:15:22Z",
      "modifiedDate": "2019-08-24T14:15:22Z",
      "approvalCode": "662476",
      "rrn": "060189181768",
      "extRef": "635ace02599849e981b2cd7a65f417fe"
    }
  ]
}`
	key, err := monobank.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !monobank.Verify(key, []byte(body), xSign) {
		t.Fatal("the published example does not verify")
	}
	for name, b := range map[string]string{"a trailing newline": body + "\n", "compacted": strings.ReplaceAll(body, "\n", "")} {
		if monobank.Verify(key, []byte(b), xSign) {
			t.Fatalf("%s verifies: only the exact bytes may", name)
		}
	}
}

var signedHeader = func(sig string) http.Header {
	return http.Header{"X-Sign": {sig}, "Content-Type": {"application/json"}}
}

func paidDesk(t *testing.T) (*paytest.Desk, *monobankfake.API) {
	f := monobankfake.New(t)
	d := paytest.NewDesk(t, f.Provider(t), monobank.Title, "UAH", "UA")
	f.Add("inv_1", monobankfake.Invoice{Amount: 150000, Status: "success", Reference: "bk_1", Fee: 2000,
		Destination: `{"service":"Manicure","client_name":"Oksana Koval","client_phone":"+380671234567"}`})
	return d, f
}

func TestForgedOrUnsignedWebhookStoresNothing(t *testing.T) {
	d, f := paidDesk(t)
	body, sig := f.Webhook("inv_1")
	other := monobankfake.New(t)
	other.Add("inv_1", monobankfake.Invoice{Amount: 150000, Status: "success", Reference: "bk_1"})
	_, otherSig := other.Webhook("inv_1")
	for name, tc := range map[string]struct {
		body string
		h    http.Header
	}{
		"unsigned":             {string(body), http.Header{}},
		"another key's X-Sign": {string(body), signedHeader(otherSig)},
		"body changed":         {strings.Replace(string(body), "150000", "150001", 1), signedHeader(sig)},
		"a byte more":          {string(body) + "\n", signedHeader(sig)},
		"not base64":           {string(body), signedHeader("%%%")},
	} {
		if code, _ := d.Post(tc.body, tc.h); code != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", name, code)
		}
	}
	d.Drain()
	if n := d.Inboxed(); n != 0 {
		t.Fatalf("inbox holds %d events; want none", n)
	}
	// The key is fetched once, then once more per failing signature at
	// most once a minute, not once per forged call.
	if n := f.Fetches(); n > 2 {
		t.Fatalf("the key was fetched %d times", n)
	}
	d.Check()
}

// A rotated key: a webhook signed with the new one fails with the cached
// key, the key is fetched again once, and it verifies; forged calls after
// that fetch nothing more within the minute.
func TestKeyFetchedAgainWhenASignatureFails(t *testing.T) {
	f := monobankfake.New(t)
	f.Add("inv_1", monobankfake.Invoice{Amount: 150000, Status: "success", Reference: "bk_1"})
	p := f.Provider(t)
	body, sig := f.Webhook("inv_1")
	if _, err := p.VerifyWebhook(body, signedHeader(sig)); err != nil {
		t.Fatal(err)
	}
	f.Rotate()
	body, sig = f.Webhook("inv_1")
	if _, err := p.VerifyWebhook(body, signedHeader(sig)); err != nil {
		t.Fatalf("after a rotation: %v", err)
	}
	if n := f.Fetches(); n != 2 {
		t.Fatalf("fetches %d, want 2 (the first, and once after the failure)", n)
	}
	for range 5 {
		if _, err := p.VerifyWebhook(body, signedHeader("MEUCIQC/mVKhi8FKoayul2Mim3E2oaIOCNJk5dEXxTqbkeJSOQIgOM0hsW0qcP2H8iXy1aQYpmY0SJWEaWur7nQXlKDCFxA=")); err == nil {
			t.Fatal("a forged X-Sign verified")
		}
	}
	if n := f.Fetches(); n != 2 {
		t.Fatalf("forged calls made %d fetches", n-2)
	}
}

// A signed webhook makes the prepaid booking and one operation on
// Monobank's register, also when sent again and found by the poller; the
// fee posts once.
func TestPaymentPostsOnce(t *testing.T) {
	d, f := paidDesk(t)
	body, sig := f.Webhook("inv_1")
	for range 3 {
		if code, resp := d.Post(string(body), signedHeader(sig)); code != http.StatusOK {
			t.Fatalf("HTTP %d %s", code, resp)
		}
	}
	d.Drain()
	if _, err := d.Worker.PollProvider(d.Ctx, d.Prov); err != nil {
		t.Fatal(err)
	}
	d.Drain()
	b := d.Booking("bk_1")
	if b.Status != finance.BookingPrepaid || b.Paid != 150000 || b.Service != "Manicure" || b.ClientID == 0 || b.Flag != "" {
		t.Fatalf("booking %+v", b)
	}
	if ops := d.Ops("bk_1"); ops[finance.OpOnlinePrepayment] != 1 || ops[finance.OpProviderFee] != 1 {
		t.Fatalf("operations %v", ops)
	}
	if got := d.Register("monobank"); got != 150000-2000 {
		t.Fatalf("monobank register %d", got)
	}
	d.Check()
}

// A late "processing" after the "success" is dropped as stale; the refund
// webhook before the payment's waits for it; duplicates change nothing.
func TestStaleAndOutOfOrder(t *testing.T) {
	d, f := paidDesk(t)
	t0 := time.Now().Add(-10 * time.Minute)
	f.Set("inv_1", "processing", t0)
	processing, psig := f.Webhook("inv_1")
	f.Set("inv_1", "success", t0.Add(time.Minute))
	paid, sig := f.Webhook("inv_1")
	d.Post(string(paid), signedHeader(sig))
	d.Drain()
	d.Post(string(processing), signedHeader(psig))
	d.Drain()
	evs, err := d.Books.Inbox(d.Ctx, 100)
	paytest.Must(t, err)
	stale := false
	for _, e := range evs {
		if e.RawType == "invoice.processing" {
			stale = e.Status == finance.InboxIgnored && strings.Contains(e.FailureText, "stale")
		}
	}
	if !stale {
		t.Fatalf("the late processing update was not dropped as stale: %+v", evs)
	}

	if b := d.Booking("bk_1"); b.Paid != 150000 {
		t.Fatalf("booking %+v", b)
	}
	d.Check()
}

// The refund webhook comes before the payment's: it waits, then both post once.
func TestRefundWebhookBeforeThePayment(t *testing.T) {
	d, f := paidDesk(t)
	paid, sig := f.Webhook("inv_1")
	// Refunded at Monobank (from its cabinet), then its webhook.
	if _, err := f.Provider(t).Refund(d.Ctx, payments.RefundOrder{Key: "cabinet-1", PaymentRef: "inv_1", Amount: 150000,
		Currency: "UAH"}); err != nil {
		t.Fatal(err)
	}
	reversed, rsig := f.Webhook("inv_1")
	d.Post(string(reversed), signedHeader(rsig))
	d.Drain()
	if got := d.Register("monobank"); got != 0 {
		t.Fatalf("before the payment the register holds %d", got)
	}
	d.Post(string(paid), signedHeader(sig))
	d.Post(string(reversed), signedHeader(rsig))
	d.Drain()
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
	if got := d.Register("monobank"); got != -2000 {
		t.Fatalf("monobank register %d, want -2000 (the fee)", got)
	}
	d.Check()
}

func mustInbox(t *testing.T, d *paytest.Desk) []finance.ProviderEvent {
	evs, err := d.Books.Inbox(d.Ctx, 100)
	paytest.Must(t, err)
	return evs
}

// Cancel + refund posts one refund, also when repeated and when
// Monobank's webhook about it arrives.
func TestRefundOnce(t *testing.T) {
	d, f := paidDesk(t)
	body, sig := f.Webhook("inv_1")
	d.Post(string(body), signedHeader(sig))
	d.Drain()
	for range 2 {
		r, err := d.Refund("bk_1", "rf-1")
		if err != nil || r.Status != finance.RefundSucceeded {
			t.Fatalf("refund %+v, %v", r, err)
		}
	}
	body, sig = f.Webhook("inv_1")
	d.Post(string(body), signedHeader(sig))
	d.Drain()
	if n := f.Cancels(); n != 1 {
		t.Fatalf("Monobank cancelled %d times", n)
	}
	if ops := d.Ops("bk_1"); ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	if b := d.Booking("bk_1"); b.Status != finance.BookingRefunded {
		t.Fatalf("booking %+v", b)
	}
	d.Check()
}

// The cancel goes through but its answer is lost: after the restart the
// refund is found in the cancelList by its extRef and not sent again.
func TestRefundRetriedAfterACrashPostsOnce(t *testing.T) {
	d, f := paidDesk(t)
	body, sig := f.Webhook("inv_1")
	d.Post(string(body), signedHeader(sig))
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
	body, sig = f.Webhook("inv_1")
	d.Post(string(body), signedHeader(sig))
	d.Drain()
	if n := f.Cancels(); n != 1 {
		t.Fatalf("Monobank cancelled %d times", n)
	}
	if ops := d.Ops("bk_1"); ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	d.Check()
}

func TestRefundRefused(t *testing.T) {
	d, f := paidDesk(t)
	body, sig := f.Webhook("inv_1")
	d.Post(string(body), signedHeader(sig))
	d.Drain()
	f.Refuse("the payment is too old to cancel")
	r, err := d.Refund("bk_1", "rf-1")
	if err != nil || r.Status != finance.RefundFailed || !strings.Contains(r.Error, "too old") {
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

// A group event paid by two invoices naming the same booking: partial
// after the first, prepaid in full after the second.
func TestGroupEventPrepaidInFull(t *testing.T) {
	d, f := paidDesk(t)
	dest := `{"group_event":true,"booking_total":200000,"service":"Yoga class"}`
	f.Add("inv_a", monobankfake.Invoice{Amount: 100000, Status: "success", Reference: "grp_1", Destination: dest})
	f.Add("inv_b", monobankfake.Invoice{Amount: 100000, Status: "success", Reference: "grp_1", Destination: dest})
	body, sig := f.Webhook("inv_a")
	d.Post(string(body), signedHeader(sig))
	d.Drain()
	if b := d.Booking("grp_1"); !b.GroupEvent || !strings.Contains(b.Flag, "prepaid in full") {
		t.Fatalf("half paid: %+v", b)
	}
	body, sig = f.Webhook("inv_b")
	d.Post(string(body), signedHeader(sig))
	d.Drain()
	if b := d.Booking("grp_1"); b.Paid != 200000 || strings.Contains(b.Flag, "prepaid in full") || len(b.Payers) != 2 {
		t.Fatalf("paid in full: %+v", b)
	}
	d.Check()
}

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

// An invoice naming only its booking: the money posts, the payment is
// flagged for an admin to attach the client.
func TestInvoiceWithoutAClient(t *testing.T) {
	d, f := paidDesk(t)
	f.Add("inv_9", monobankfake.Invoice{Amount: 30000, Status: "success", Reference: "bk_9"})
	body, sig := f.Webhook("inv_9")
	if code, _ := d.Post(string(body), signedHeader(sig)); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	d.Drain()
	if b := d.Booking("bk_9"); b.Paid != 30000 || b.Status != finance.BookingPrepaid {
		t.Fatalf("booking %+v", b)
	}
	if ops := d.Ops("bk_9"); ops[finance.OpOnlinePrepayment] != 1 {
		t.Fatalf("operations %v", ops)
	}
	e, err := d.Books.Event(d.Ctx, "monobank:inv_9:paid")
	if err != nil || e.Status != finance.InboxFlagged || !strings.Contains(e.Error, "no client") {
		t.Fatalf("event %+v, %v; want flagged: no client", e, err)
	}
	d.Check()
}
