package stripe

import (
	"bytes"
	"cmp"
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
	// Account is set on events of a connected account (Connect); events of
	// the account whose key this is carry none.
	Account string `json:"account,omitempty"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

type paymentIntentObj struct {
	ID                 string            `json:"id"`
	Amount             int64             `json:"amount"`
	AmountReceived     int64             `json:"amount_received"`
	Currency           string            `json:"currency"`
	Status             string            `json:"status"`
	Metadata           map[string]string `json:"metadata"`
	CancellationReason string            `json:"cancellation_reason"`
	LastPaymentError   *struct {
		Message     string `json:"message"`
		Code        string `json:"code"`
		DeclineCode string `json:"decline_code"`
	} `json:"last_payment_error"`
}

// checkoutSessionObj is a Checkout Session: a booking widget on Stripe
// Checkout puts the booking's metadata on the session, not on its payment.
type checkoutSessionObj struct {
	ID            string            `json:"id"`
	AmountTotal   int64             `json:"amount_total"`
	Currency      string            `json:"currency"`
	Metadata      map[string]string `json:"metadata"`
	PaymentIntent ref               `json:"payment_intent"`
	PaymentStatus string            `json:"payment_status"` // paid, unpaid, no_payment_required
	Mode          string            `json:"mode"`
}

type refundObj struct {
	ID            string            `json:"id"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	Status        string            `json:"status"`
	Metadata      map[string]string `json:"metadata"`
	PaymentIntent ref               `json:"payment_intent"`
	Charge        ref               `json:"charge"`
	FailureReason string            `json:"failure_reason"`
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
	ID             string `json:"id"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	Status         string `json:"status"`
	FailureCode    string `json:"failure_code"`
	FailureMessage string `json:"failure_message"`
}

// balanceTxObj is a balance transaction as embedded in a dispute.
type balanceTxObj struct {
	ID       string `json:"id"`
	Amount   int64  `json:"amount"`
	Fee      int64  `json:"fee"`
	Currency string `json:"currency"`
}

type disputeObj struct {
	ID            string `json:"id"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Reason        string `json:"reason"`
	Status        string `json:"status"`
	Charge        ref    `json:"charge"`
	PaymentIntent ref    `json:"payment_intent"`
	// The withdrawal and any reinstatement, each with its fee, in the
	// balance's (settlement) currency.
	BalanceTransactions []balanceTxObj `json:"balance_transactions"`
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

// decoder decodes events for one desk: it knows the key's mode and the
// desk's own account, so events of another mode or account are refused.
type decoder struct {
	live    *bool  // nil = unknown (no secret key)
	account string // the desk's own acct_ id, if configured
}

// decodeEvent turns a raw event body into a provider-neutral event.
func (d decoder) decodeEvent(raw []byte) (finance.ProviderEvent, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return finance.ProviderEvent{}, fmt.Errorf("event is not JSON: %w", err)
	}
	return d.decodeEnvelope(env, raw)
}

func (d decoder) decodeEnvelope(env envelope, raw []byte) (finance.ProviderEvent, error) {
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
	var problems []string
	// amount converts one of the object's amounts from Stripe's units.
	amount := func(v int64, cur string) int64 {
		if v == 0 {
			return 0
		}
		m, err := toMinor(v, cur)
		if err != nil {
			problems = append(problems, err.Error())
			return 0
		}
		return m
	}
	switch env.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled":
		var pi paymentIntentObj
		if err := json.Unmarshal(obj, &pi); err != nil {
			return bad(err)
		}
		e.ObjectID, e.PaymentRef, e.ObjectStatus = pi.ID, pi.ID, pi.Status
		e.Currency = strings.ToLower(pi.Currency)
		e.Metadata = pi.Metadata
		switch env.Type {
		case "payment_intent.succeeded":
			e.Type = finance.EventPaymentSucceeded
			e.Amount = amount(cmp.Or(pi.AmountReceived, pi.Amount), e.Currency)
		case "payment_intent.payment_failed":
			e.Type = finance.EventPaymentFailed
			e.Amount = amount(pi.Amount, e.Currency)
			if le := pi.LastPaymentError; le != nil {
				e.FailureText = strings.Join(nonEmpty(le.Message, codes(le.Code, le.DeclineCode)), " ")
			}
		default:
			e.Type = finance.EventPaymentCanceled
			e.Amount = amount(pi.Amount, e.Currency)
			e.FailureText = pi.CancellationReason
		}
	case "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed":
		var cs checkoutSessionObj
		if err := json.Unmarshal(obj, &cs); err != nil {
			return bad(err)
		}
		// Keyed by the payment intent, as payment_intent.succeeded is: the
		// same money seen through both posts once.
		e.ObjectID, e.PaymentRef = string(cs.PaymentIntent), string(cs.PaymentIntent)
		e.Currency, e.Metadata, e.ObjectStatus = strings.ToLower(cs.Currency), cs.Metadata, cs.PaymentStatus
		e.Amount = amount(cs.AmountTotal, e.Currency)
		switch {
		case env.Type == "checkout.session.async_payment_failed":
			e.Type, e.FailureText = finance.EventPaymentFailed, "the delayed payment of checkout session "+cs.ID+" failed"
		case cs.PaymentStatus == "paid":
			e.Type = finance.EventPaymentSucceeded
			if e.ObjectID == "" {
				problems = append(problems, "checkout session "+cs.ID+" is paid but names no payment intent")
			}
		default:
			e.Type = finance.EventPaymentPending
			e.FailureText = fmt.Sprintf("checkout session %s completed with payment status %q", cs.ID, cs.PaymentStatus)
		}
	case "charge.refunded":
		var ch chargeObj
		if err := json.Unmarshal(obj, &ch); err != nil {
			return bad(err)
		}
		e.Type = finance.EventRefundUpdated
		e.ObjectID, e.PaymentRef = ch.ID, string(ch.PaymentIntent)
		e.Currency, e.Metadata = strings.ToLower(ch.Currency), ch.Metadata
		// The charge's total refunded so far: what the event itself proves
		// when its refunds cannot be listed (no secret key).
		e.Amount = amount(ch.AmountRefunded, e.Currency)
		if ch.Refunds != nil {
			e.Refunds = make([]finance.ProviderRefund, 0, len(ch.Refunds.Data))
			for _, r := range ch.Refunds.Data {
				e.Refunds = append(e.Refunds, neutralRefund(r, amount(r.Amount, cmp.Or(r.Currency, ch.Currency))))
			}
		}
	case "charge.refund.updated", "refund.created", "refund.updated", "refund.failed":
		var r refundObj
		if err := json.Unmarshal(obj, &r); err != nil {
			return bad(err)
		}
		e.Type = finance.EventRefundUpdated
		e.ObjectID, e.PaymentRef = r.ID, string(r.PaymentIntent)
		e.Currency, e.FailureText = strings.ToLower(r.Currency), r.FailureReason
		e.Amount = amount(r.Amount, e.Currency)
		e.Refunds = []finance.ProviderRefund{neutralRefund(r, e.Amount)}
		if e.PaymentRef == "" {
			problems = append(problems, "refund "+r.ID+" names no payment intent")
		}
	case "payout.paid", "payout.failed", "payout.canceled":
		var p payoutObj
		if err := json.Unmarshal(obj, &p); err != nil {
			return bad(err)
		}
		e.Type = finance.EventPayoutPaid
		if env.Type != "payout.paid" {
			e.Type = finance.EventPayoutFailed
			e.FailureText = strings.Join(nonEmpty(p.FailureMessage, codes(p.FailureCode, "")), " ")
		}
		e.ObjectID, e.Currency, e.ObjectStatus = p.ID, strings.ToLower(p.Currency), p.Status
		e.Amount = amount(p.Amount, e.Currency)
	case "charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated", "charge.dispute.closed":
		var dp disputeObj
		if err := json.Unmarshal(obj, &dp); err != nil {
			return bad(err)
		}
		e.ObjectID, e.PaymentRef = dp.ID, string(dp.PaymentIntent)
		e.FailureText, e.ObjectStatus = dp.Reason, dp.Status
		e.Currency = strings.ToLower(dp.Currency)
		e.Amount = amount(dp.Amount, e.Currency)
		switch env.Type {
		case "charge.dispute.created":
			e.Type = finance.EventDisputeOpened
		case "charge.dispute.funds_withdrawn":
			e.Type = finance.EventDisputeWithdrawn
		case "charge.dispute.funds_reinstated":
			e.Type = finance.EventDisputeReinstate
		default:
			e.Type = finance.EventDisputeClosed
		}
		// What moved is what the balance transactions say, in the balance's
		// currency, with the dispute fee: the withdrawal is the negative one
		// (read for funds_withdrawn and for a closed dispute lost), the
		// reinstatement the positive one (funds_reinstated, and a closed
		// dispute won: Stripe gives the money back with it, and the fee only
		// where its fee is negative; a won dispute without one has had
		// nothing back yet, and FeeCurrency stays "" to say so).
		back := e.Type == finance.EventDisputeReinstate || (e.Type == finance.EventDisputeClosed && dp.Status == "won")
		for _, bt := range dp.BalanceTransactions {
			if e.Type == finance.EventDisputeOpened || back != (bt.Amount > 0) {
				continue
			}
			cur := strings.ToLower(bt.Currency)
			e.Currency, e.FeeCurrency = cur, cur
			e.Amount = amount(bt.Amount, cur)
			if e.Amount < 0 {
				e.Amount = -e.Amount
			}
			// A withdrawal's fee is charged (positive); a reinstatement
			// may return it (a negative fee).
			e.Fee = amount(bt.Fee, cur)
			if back {
				e.Fee = -e.Fee
			}
		}
		if e.PaymentRef == "" && e.Type != finance.EventDisputeOpened {
			problems = append(problems, "dispute "+dp.ID+" names no payment intent")
		}
	}
	if env.Account != "" && env.Account != d.account {
		problems = append(problems, fmt.Sprintf("event of Stripe account %s, not this desk's own", env.Account))
	}
	if d.live != nil && env.Livemode != *d.live {
		problems = append(problems, fmt.Sprintf("a %s event, but the secret key is a %s key", modeName(env.Livemode), modeName(*d.live)))
	}
	e.Problem = strings.Join(problems, "; ")
	return e, nil
}

func modeName(live bool) string {
	if live {
		return "live-mode"
	}
	return "test-mode"
}

// codes renders Stripe's error codes after its message: "(card_declined, insufficient_funds)".
func codes(code, decline string) string {
	cs := nonEmpty(code, decline)
	if len(cs) == 0 {
		return ""
	}
	return "(" + strings.Join(cs, ", ") + ")"
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func neutralRefund(r refundObj, amount int64) finance.ProviderRefund {
	return finance.ProviderRefund{ID: r.ID, Amount: amount, Status: r.Status, Key: r.Metadata[finance.MetaRefundKey]}
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
