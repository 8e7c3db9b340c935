package stripe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// Events arrive rendered in whatever API version the account or endpoint
// had when they were created, so they are decoded by hand, reading only the
// fields paydesk needs (present in every version since 2020), instead of
// into stripe-go's structs for 2023-10-16. What is missing is fetched later
// through the API (Provider.Enrich), which answers in the pinned version.

// envelope is an event as posted to the webhook or listed by /v1/events.
type envelope struct {
	ID         string  `json:"id"`
	Object     string  `json:"object"`
	Type       string  `json:"type"`
	Created    int64   `json:"created"`
	APIVersion *string `json:"api_version"`
	Livemode   bool    `json:"livemode"`
	Data       struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

type paymentIntentObj struct {
	ID               string            `json:"id"`
	Amount           int64             `json:"amount"`
	AmountReceived   int64             `json:"amount_received"`
	Currency         string            `json:"currency"`
	Status           string            `json:"status"`
	Metadata         map[string]string `json:"metadata"`
	LastPaymentError *struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	} `json:"last_payment_error"`
}

type refundObj struct {
	ID            string            `json:"id"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	Status        string            `json:"status"`
	Metadata      map[string]string `json:"metadata"`
	PaymentIntent ref               `json:"payment_intent"`
	Charge        ref               `json:"charge"`
}

type chargeObj struct {
	ID             string            `json:"id"`
	Amount         int64             `json:"amount"`
	AmountRefunded int64             `json:"amount_refunded"`
	Currency       string            `json:"currency"`
	Metadata       map[string]string `json:"metadata"`
	PaymentIntent  ref               `json:"payment_intent"`
	// Not included by default since API 2022-11-15: nil then, and the
	// refunds are listed through the API before the event is applied.
	Refunds *struct {
		Data []refundObj `json:"data"`
	} `json:"refunds"`
}

type payoutObj struct {
	ID       string `json:"id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
}

type disputeObj struct {
	ID            string `json:"id"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Reason        string `json:"reason"`
	Charge        ref    `json:"charge"`
	PaymentIntent ref    `json:"payment_intent"`
}

// ref is an object reference that is either an id or, when expanded, the
// object itself.
type ref string

func (r *ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*r = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = ref(s)
		return nil
	default:
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*r = ref(o.ID)
		return nil
	}
}

// decodeEvent turns a raw event body into a provider-neutral event.
func decodeEvent(raw []byte) (finance.ProviderEvent, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return finance.ProviderEvent{}, fmt.Errorf("event is not JSON: %w", err)
	}
	return decodeEnvelope(env, raw)
}

func decodeEnvelope(env envelope, raw []byte) (finance.ProviderEvent, error) {
	if env.ID == "" || env.Type == "" {
		return finance.ProviderEvent{}, fmt.Errorf("event without id or type")
	}
	e := finance.ProviderEvent{
		ID:       env.ID,
		Provider: Name,
		Type:     finance.EventUnknown,
		RawType:  env.Type,
		Created:  time.Unix(env.Created, 0).UTC(),
		Raw:      raw,
	}
	obj := env.Data.Object
	bad := func(err error) (finance.ProviderEvent, error) {
		return finance.ProviderEvent{}, fmt.Errorf("event %s (%s): %w", env.ID, env.Type, err)
	}
	switch env.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed":
		var pi paymentIntentObj
		if err := json.Unmarshal(obj, &pi); err != nil {
			return bad(err)
		}
		e.Type = finance.EventPaymentSucceeded
		if env.Type == "payment_intent.payment_failed" {
			e.Type = finance.EventPaymentFailed
			if pi.LastPaymentError != nil {
				e.FailureText = pi.LastPaymentError.Message
			}
		}
		e.ObjectID, e.PaymentRef = pi.ID, pi.ID
		e.Amount = pi.AmountReceived
		if e.Amount == 0 && e.Type == finance.EventPaymentSucceeded {
			e.Amount = pi.Amount
		}
		e.Currency = strings.ToLower(pi.Currency)
		e.Metadata = pi.Metadata
	case "charge.refunded":
		var ch chargeObj
		if err := json.Unmarshal(obj, &ch); err != nil {
			return bad(err)
		}
		e.Type = finance.EventRefundUpdated
		e.ObjectID, e.PaymentRef = ch.ID, string(ch.PaymentIntent)
		e.Amount, e.Currency, e.Metadata = ch.AmountRefunded, strings.ToLower(ch.Currency), ch.Metadata
		if ch.Refunds != nil {
			e.Refunds = make([]finance.ProviderRefund, 0, len(ch.Refunds.Data))
			for _, r := range ch.Refunds.Data {
				e.Refunds = append(e.Refunds, neutralRefund(r))
			}
		}
	case "charge.refund.updated", "refund.created", "refund.updated", "refund.failed":
		var r refundObj
		if err := json.Unmarshal(obj, &r); err != nil {
			return bad(err)
		}
		e.Type = finance.EventRefundUpdated
		e.ObjectID, e.PaymentRef = r.ID, string(r.PaymentIntent)
		e.Amount, e.Currency = r.Amount, strings.ToLower(r.Currency)
		e.Refunds = []finance.ProviderRefund{neutralRefund(r)}
	case "payout.paid":
		var p payoutObj
		if err := json.Unmarshal(obj, &p); err != nil {
			return bad(err)
		}
		e.Type = finance.EventPayoutPaid
		e.ObjectID, e.Amount, e.Currency = p.ID, p.Amount, strings.ToLower(p.Currency)
	case "charge.dispute.created":
		var d disputeObj
		if err := json.Unmarshal(obj, &d); err != nil {
			return bad(err)
		}
		e.Type = finance.EventDisputeOpened
		e.ObjectID, e.PaymentRef = d.ID, string(d.PaymentIntent)
		e.Amount, e.Currency, e.FailureText = d.Amount, strings.ToLower(d.Currency), d.Reason
	}
	return e, nil
}

func neutralRefund(r refundObj) finance.ProviderRefund {
	return finance.ProviderRefund{ID: r.ID, Amount: r.Amount, Status: r.Status, Key: r.Metadata[finance.MetaRefundKey]}
}

// apiVersionOf reads the API version an event was rendered in ("" if unknown).
func apiVersionOf(raw []byte) string {
	var env struct {
		APIVersion *string `json:"api_version"`
	}
	if json.Unmarshal(raw, &env) != nil || env.APIVersion == nil {
		return ""
	}
	return *env.APIVersion
}
