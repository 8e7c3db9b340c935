package stripe_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	pstripe "github.com/paydesk/paydesk/payments/stripe"
)

// FuzzVerifyWebhook: whatever body and Stripe-Signature arrive, signed with
// the right secret or not, VerifyWebhook answers ErrBadSignature, ErrInvalid
// or an event that carries an id, a type and the body as received; never a
// panic. mode 0 signs the body now, 1 signs it too far back, 2 sends
// sigHeader as it is.
func FuzzVerifyWebhook(f *testing.F) {
	pi := piObject("pi_f1", "bk_f1", 2500)
	for _, b := range [][]byte{
		eventJSON("evt_f1", "payment_intent.succeeded", 1700000000, "2023-10-16", pi),
		eventJSON("evt_f2", "charge.refunded", 1700000000, "2024-06-20", json.RawMessage(`{"id":"ch_1","amount_refunded":500,"payment_intent":"pi_f1","refunds":{"data":[{"id":"re_1","amount":500,"status":"succeeded"}]}}`)),
		eventJSON("evt_f3", "payout.paid", 1700000000, "2023-10-16", json.RawMessage(`{"id":"po_1","amount":-9223372036854775808,"currency":"eur"}`)),
		eventJSON("evt_f4", "refund.updated", 1700000000, "2023-10-16", json.RawMessage(`{"id":"re_2","amount":"12","payment_intent":{"id":"pi_f1"}}`)),
		eventJSON("evt_f5", "charge.dispute.created", 1700000000, "2023-10-16", json.RawMessage(`{"id":"dp_1","amount":1e30,"payment_intent":null}`)),
		[]byte(`{"id":"evt_x","type":"payment_intent.succeeded","data":{"object":[]}}`),
		[]byte(`{"id":"","type":""}`), []byte(`[1,2]`), []byte(`null`), []byte(``), []byte("{\"id\":\"evt_\u202e\x1b[2J\"}"),
	} {
		for mode := range uint8(3) {
			f.Add(b, mode, "t=1700000000,v1=deadbeef")
		}
	}
	prov, err := pstripe.New(pstripe.Config{WebhookSecret: whsec})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, sigHeader string) {
		var h http.Header
		switch mode % 3 {
		case 0:
			h = signedHeader(body, whsec, time.Now())
		case 1:
			h = signedHeader(body, whsec, time.Now().Add(-time.Hour))
		default:
			h = http.Header{"Stripe-Signature": {sigHeader}}
		}
		e, err := prov.VerifyWebhook(body, h)
		if err != nil {
			if !errors.Is(err, payments.ErrBadSignature) && !errors.Is(err, finance.ErrInvalid) {
				t.Fatalf("error %v is neither a bad signature nor invalid", err)
			}
			if mode%3 == 1 && !errors.Is(err, payments.ErrBadSignature) {
				t.Fatalf("a signature an hour old: %v, want a bad signature", err)
			}
			return
		}
		if mode%3 == 1 {
			t.Fatalf("a signature an hour old was accepted")
		}
		if e.ID == "" || e.RawType == "" || e.Provider != pstripe.Name || !bytes.Equal(e.Raw, body) {
			t.Fatalf("accepted event %+v", e)
		}
	})
}
