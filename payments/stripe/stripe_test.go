package stripe_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	pstripe "github.com/paydesk/paydesk/payments/stripe"
)

func signedHeader(body []byte, secret string, at time.Time) http.Header {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
	return http.Header{"Stripe-Signature": {sp.Header}}
}

func TestVerifyWebhook(t *testing.T) {
	prov, err := pstripe.New(pstripe.Config{WebhookSecret: whsec})
	must(t, err)
	body := eventJSON("evt_1", "payment_intent.succeeded", 1700000000, "2023-10-16", piObject("pi_1", "bk_1", 2500))
	other := eventJSON("evt_2", "payment_intent.succeeded", 1700000000, "2024-06-20", piObject("pi_2", "bk_2", 1000))
	now := time.Now()
	tests := []struct {
		name    string
		body    []byte
		h       http.Header
		wantErr error
	}{
		{"signed", body, signedHeader(body, whsec, now), nil},
		{"another API version is accepted", other, signedHeader(other, whsec, now), nil},
		{"no header", body, http.Header{}, payments.ErrBadSignature},
		{"wrong secret", body, signedHeader(body, "whsec_other", now), payments.ErrBadSignature},
		{"too old", body, signedHeader(body, whsec, now.Add(-301*time.Second)), payments.ErrBadSignature},
		{"a little ahead (clock skew)", body, signedHeader(body, whsec, now.Add(60*time.Second)), nil},
		{"an hour ahead", body, signedHeader(body, whsec, now.Add(time.Hour)), payments.ErrBadSignature},
		{"a year ahead", body, signedHeader(body, whsec, now.AddDate(1, 0, 0)), payments.ErrBadSignature},
		{"tampered", []byte(strings.Replace(string(body), "2500", "9500", 1)), signedHeader(body, whsec, now), payments.ErrBadSignature},
		{"signed but not an event", []byte(`[1,2]`), signedHeader([]byte(`[1,2]`), whsec, now), finance.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := prov.VerifyWebhook(tc.body, tc.h)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			must(t, err)
			if e.Type != finance.EventPaymentSucceeded || e.ObjectID == "" || e.Amount == 0 || e.Currency != "eur" ||
				e.Metadata["booking_id"] == "" || e.Created.Unix() != 1700000000 || len(e.Raw) == 0 {
				t.Fatalf("event = %+v", e)
			}
		})
	}
}

func TestDecodeEventTypes(t *testing.T) {
	prov, err := pstripe.New(pstripe.Config{WebhookSecret: whsec})
	must(t, err)
	refund := map[string]any{"id": "re_1", "object": "refund", "amount": 700, "currency": "eur", "status": "succeeded",
		"payment_intent": "pi_1", "metadata": map[string]string{"paydesk_refund_key": "k1"}}
	tests := []struct {
		typ  string
		obj  any
		want finance.ProviderEvent
	}{
		{"payment_intent.payment_failed", map[string]any{"id": "pi_1", "amount": 2500, "currency": "EUR",
			"last_payment_error": map[string]any{"message": "card declined"}},
			finance.ProviderEvent{Type: finance.EventPaymentFailed, ObjectID: "pi_1", PaymentRef: "pi_1", FailureText: "card declined"}},
		{"charge.refunded", map[string]any{"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 700, "currency": "eur",
			"refunds": map[string]any{"data": []any{refund}}},
			finance.ProviderEvent{Type: finance.EventRefundUpdated, ObjectID: "ch_1", PaymentRef: "pi_1",
				Refunds: []finance.ProviderRefund{{ID: "re_1", Amount: 700, Status: "succeeded", Key: "k1"}}}},
		{"charge.refunded", map[string]any{"id": "ch_2", "payment_intent": map[string]any{"id": "pi_2"}, "amount_refunded": 5},
			finance.ProviderEvent{Type: finance.EventRefundUpdated, ObjectID: "ch_2", PaymentRef: "pi_2"}},
		{"charge.refund.updated", refund,
			finance.ProviderEvent{Type: finance.EventRefundUpdated, ObjectID: "re_1", PaymentRef: "pi_1",
				Refunds: []finance.ProviderRefund{{ID: "re_1", Amount: 700, Status: "succeeded", Key: "k1"}}}},
		{"payout.paid", map[string]any{"id": "po_1", "amount": 2427, "currency": "eur"},
			finance.ProviderEvent{Type: finance.EventPayoutPaid, ObjectID: "po_1", Amount: 2427}},
		{"charge.dispute.created", map[string]any{"id": "dp_1", "amount": 2500, "payment_intent": "pi_1", "reason": "fraudulent"},
			finance.ProviderEvent{Type: finance.EventDisputeOpened, ObjectID: "dp_1", PaymentRef: "pi_1", FailureText: "fraudulent"}},
		{"customer.created", map[string]any{"id": "cus_1"}, finance.ProviderEvent{Type: finance.EventUnknown}},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			body := eventJSON("evt_x", tc.typ, 1700000000, "2023-10-16", tc.obj)
			e, err := prov.VerifyWebhook(body, signedHeader(body, whsec, time.Now()))
			must(t, err)
			if e.Type != tc.want.Type || e.ObjectID != tc.want.ObjectID || e.PaymentRef != tc.want.PaymentRef ||
				e.FailureText != tc.want.FailureText || (tc.want.Amount != 0 && e.Amount != tc.want.Amount) {
				t.Fatalf("event = %+v, want %+v", e, tc.want)
			}
			if len(e.Refunds) != len(tc.want.Refunds) {
				t.Fatalf("refunds = %+v, want %+v", e.Refunds, tc.want.Refunds)
			}
			for i := range e.Refunds {
				if e.Refunds[i] != tc.want.Refunds[i] {
					t.Fatalf("refund %d = %+v, want %+v", i, e.Refunds[i], tc.want.Refunds[i])
				}
			}
			if tc.typ == "charge.refunded" && tc.want.Refunds == nil && e.Refunds != nil {
				t.Fatal("a charge without its refund list must leave Refunds nil, to be fetched")
			}
		})
	}
}

func TestNewRefusesAKeyThatIsNotAKey(t *testing.T) {
	_, err := pstripe.New(pstripe.Config{SecretKey: "pk_live_123"})
	if !errors.Is(err, finance.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	p, err := pstripe.New(pstripe.Config{})
	must(t, err)
	if _, err := p.Fee(t.Context(), "pi_1"); !errors.Is(err, payments.ErrUnsupported) {
		t.Fatalf("fee without a key: %v", err)
	}
}
