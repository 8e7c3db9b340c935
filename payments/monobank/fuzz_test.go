package monobank_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/monobank/monobankfake"
)

// Whatever a signed webhook holds: no panic, and a body that is not an
// invoice is refused as invalid; a body signed for another is refused.
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"invoiceId":"inv_1","status":"success","amount":100,"ccy":980,"reference":"bk_1"}`))
	f.Add([]byte(`{"invoiceId":"inv_1","status":"reversed","ccy":1,"cancelList":[{"status":"x","amount":-1}]}`))
	f.Add([]byte(`{"invoiceId":"","status":"success"}`))
	f.Add([]byte(`null`))
	api := monobankfake.New(f)
	api.Add("seed", monobankfake.Invoice{Amount: 1, Status: "success"})
	seedBody, seedSig := api.Webhook("seed")
	p := api.Provider(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := p.VerifyWebhook(body, signedHeader(api.SignBody(t, body)))
		if err != nil && !errors.Is(err, finance.ErrInvalid) {
			t.Fatalf("signed webhook refused as %v", err)
		}
		if err == nil && (e.Provider != "monobank" || e.ObjectID == "") {
			t.Fatalf("event %+v", e)
		}
		if _, err := p.VerifyWebhook(body, signedHeader(seedSig)); !bytes.Equal(body, seedBody) && !errors.Is(err, payments.ErrBadSignature) {
			t.Fatalf("body %q verified with another body's signature: %v", body, err)
		}
	})
}
