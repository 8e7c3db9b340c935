package liqpay_test

import (
	"encoding/base64"
	"errors"
	"net/url"
	"testing"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/liqpay"
)

// Whatever a callback holds, signed or not: no panic, nothing unsigned is
// taken, and a signed body that is not a payment is refused as invalid.
func FuzzCallback(f *testing.F) {
	f.Add([]byte(`{"status":"success","order_id":"bk_1","payment_id":1,"amount":12.5,"currency":"UAH"}`), true)
	f.Add([]byte(`{"status":"reversed","order_id":"bk_1","amount":"1e9","refund_amount":-3,"currency":"XXX"}`), true)
	f.Add([]byte(`[]`), true)
	f.Add([]byte(`{"info":"{\"booking_total\":1e300,\"group_event\":\"yes\"}","order_id":"x","status":"success","amount":1}`), false)
	p, err := liqpay.New(liqpay.Config{PublicKey: pubKey, PrivateKey: privKey})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte, signed bool) {
		data := base64.StdEncoding.EncodeToString(raw)
		form := url.Values{"data": {data}}
		if signed {
			form.Set("signature", liqpay.Sign(privKey, data))
		}
		e, err := p.VerifyWebhook([]byte(form.Encode()), nil)
		switch {
		case !signed && !errors.Is(err, payments.ErrBadSignature):
			t.Fatalf("unsigned callback: %+v, %v", e, err)
		case signed && len(raw) > 0 && err != nil && !errors.Is(err, finance.ErrInvalid):
			t.Fatalf("signed callback refused as %v", err)
		case err == nil && e.Provider != liqpay.Name:
			t.Fatalf("event %+v", e)
		}
	})
}
