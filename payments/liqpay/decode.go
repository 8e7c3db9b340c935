package liqpay

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// flex is a field LiqPay writes as a number or a string (payment_id,
// amounts, times): kept as the text it was, never through a float.
type flex string

func (f *flex) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flex(strings.TrimSpace(s))
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flex(n)
	}
	return nil
}

// payment is what a callback, "status" and "reports" say about one
// payment (the fields paydesk reads).
type payment struct {
	Result             string `json:"result"`
	Action             string `json:"action"`
	Status             string `json:"status"`
	PublicKey          string `json:"public_key"`
	OrderID            string `json:"order_id"`
	PaymentID          flex   `json:"payment_id"`
	Amount             flex   `json:"amount"`
	Currency           string `json:"currency"`
	Description        string `json:"description"`
	Info               string `json:"info"`
	SenderPhone        flex   `json:"sender_phone"`
	SenderFirstName    string `json:"sender_first_name"`
	SenderLastName     string `json:"sender_last_name"`
	CreateDate         flex   `json:"create_date"`
	EndDate            flex   `json:"end_date"`
	RefundAmount       flex   `json:"refund_amount"`
	ReceiverCommission flex   `json:"receiver_commission"`
	ErrCode            string `json:"err_code"`
	ErrDescription     string `json:"err_description"`
}

func decodePayment(raw []byte) (payment, error) {
	if !looksJSON(raw) {
		return payment{}, errNotJSON
	}
	var p payment
	if err := json.Unmarshal(raw, &p); err != nil {
		return payment{}, fmt.Errorf("liqpay payment: %w", err)
	}
	return p, nil
}

// refunded is what LiqPay says went back on the payment, in minor units:
// refund_amount when it says, all of it when the payment is reversed.
func (p payment) refunded() (int64, error) {
	if p.RefundAmount != "" {
		return payments.MajorToMinor(string(p.RefundAmount), p.Currency)
	}
	if p.Status == "reversed" {
		return payments.MajorToMinor(string(p.Amount), p.Currency)
	}
	return 0, nil
}

// at is when the payment last changed (end_date, else create_date; Unix ms).
func (p payment) at() time.Time {
	for _, v := range []flex{p.EndDate, p.CreateDate} {
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil && n > 0 {
			return time.UnixMilli(n).UTC()
		}
	}
	return time.Time{}
}

// eventID names one state of one payment, so the same callback (resent,
// or seen again by the poller) is stored once.
func (p payment) eventID(what string) string {
	return "liqpay:" + cmp.Or(string(p.PaymentID), p.OrderID) + ":" + what
}

// pending are the statuses on the way to a final one (the *_verify family,
// wait_*, processing, prepared, hold_wait...).
func pending(status string) bool {
	return strings.HasSuffix(status, "_verify") || strings.HasPrefix(status, "wait") ||
		strings.HasSuffix(status, "_wait") || status == "processing" || status == "prepared"
}

// callbackEvent is the one event a callback brings: the payment's new state.
func (p *Provider) callbackEvent(pay payment, raw []byte) finance.ProviderEvent {
	if done, err := pay.refunded(); err == nil && done > 0 && (pay.Status == "reversed" || pay.Status == "success") {
		return p.refundEvent(pay, raw, done)
	}
	return p.paymentEvent(pay, raw)
}

// polledEvents are what the poller learns from a payment's status: the
// payment, and its refunds when some went back, so a missed callback of
// either is made up for.
func (p *Provider) polledEvents(pay payment, raw []byte) []finance.ProviderEvent {
	switch pay.Status {
	case "success", "reversed", "sandbox":
	default:
		return []finance.ProviderEvent{p.paymentEvent(pay, raw)}
	}
	paid := pay
	if paid.Status == "reversed" {
		paid.Status = "success" // it was paid before it went back
	}
	out := []finance.ProviderEvent{p.paymentEvent(paid, raw)}
	if done, err := pay.refunded(); err == nil && done > 0 {
		out = append(out, p.refundEvent(pay, raw, done))
	}
	return out
}

// paymentEvent decodes the payment itself. Its order_id is the booking and
// the payment's ref (what a refund takes back); info, when it is a JSON
// object, carries the booking's other fields under paydesk's metadata keys
// (service, starts_at, group_event, booking_total, client_name,
// client_phone, and booking_id for a group event whose payers each have
// their own order_id).
func (p *Provider) paymentEvent(pay payment, raw []byte) finance.ProviderEvent {
	e := finance.ProviderEvent{ID: pay.eventID(cmp.Or(pay.Status, "unknown")), Provider: Name,
		RawType: "payment." + cmp.Or(pay.Status, "unknown"), Created: pay.at(), Raw: raw,
		ObjectID: pay.OrderID, PaymentRef: pay.OrderID, Currency: strings.ToLower(pay.Currency),
		ObjectStatus: pay.Status, FailureText: cmp.Or(pay.ErrDescription, pay.ErrCode)}
	if pay.Amount != "" {
		amt, err := payments.MajorToMinor(string(pay.Amount), pay.Currency)
		if err != nil {
			e.Problem = err.Error()
		}
		e.Amount = amt
	}
	e.Metadata = metadata(pay)
	if pay.PublicKey != "" && pay.PublicKey != p.cfg.PublicKey {
		e.Problem = fmt.Sprintf("payment of another LiqPay shop (public key %s)", pay.PublicKey)
	}
	switch {
	case pay.Status == "success":
		e.Type = finance.EventPaymentSucceeded
	case pay.Status == "sandbox":
		e.Type = finance.EventPaymentSucceeded
		if !p.cfg.Sandbox {
			e.Problem = "a LiqPay sandbox (test) payment: not posted on a live desk (set [liqpay] sandbox = true on a test desk)"
		}
	case pay.Status == "failure" || pay.Status == "error":
		e.Type = finance.EventPaymentFailed
	case pending(pay.Status):
		e.Type = finance.EventPaymentPending
		e.FailureText = "LiqPay payment " + pay.OrderID + " is " + pay.Status
	default:
		// subscribed, unsubscribed, anything new: kept, never applied.
		e.Type = finance.EventUnknown
	}
	return e
}

// refundEvent reports the payment's refunded total (done, minor units):
// finance posts its growth over what is posted already, under the same
// id the executor gave the refund that made that total (refundID).
func (p *Provider) refundEvent(pay payment, raw []byte, done int64) finance.ProviderEvent {
	return finance.ProviderEvent{ID: pay.eventID("refunded:" + strconv.FormatInt(done, 10)), Provider: Name,
		Type: finance.EventRefundUpdated, RawType: "payment." + pay.Status, Created: pay.at(), Raw: raw,
		ObjectID: pay.OrderID, PaymentRef: pay.OrderID, Amount: done, Currency: strings.ToLower(pay.Currency),
		ObjectStatus: pay.Status}
}

// metadata is the booking a payment is for.
func metadata(pay payment) map[string]string {
	md := map[string]string{finance.MetaBookingID: pay.OrderID}
	if name := strings.TrimSpace(pay.SenderFirstName + " " + pay.SenderLastName); name != "" {
		md[finance.MetaClientName] = name
	}
	if ph := string(pay.SenderPhone); ph != "" {
		md[finance.MetaClientPhone] = international(ph)
	}
	payments.BookingJSON(md, pay.Info)
	return md
}

// international writes LiqPay's phone (international digits without the
// plus, "380950000001") as E.164; anything else is left for finance to read.
func international(ph string) string {
	ph = strings.TrimSpace(ph)
	if len(ph) >= 11 && len(ph) <= 15 && ph[0] != '0' && payments.AllDigits(ph) {
		return "+" + ph
	}
	return ph
}
