package viva

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// The webhook event types paydesk takes (developer.viva.com,
// webhooks-for-payments): a customer payment, and a refund or void of one.
const (
	EventPaymentCreated  = 1796 // Transaction Payment Created
	EventReversalCreated = 1797 // Transaction Reversal Created
)

// code is a number Viva writes either as a JSON number or as a string of
// digits: CurrencyCode is "978" in webhooks and 978 in the retrieve
// transaction answer; OrderCode is a 16-digit number (kept as text, never
// through a float).
type code string

func (c *code) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*c = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(s))
	}
	if !payments.AllDigits(string(b)) {
		return fmt.Errorf("%q is not a number code", b)
	}
	*c = code(strings.TrimLeft(string(b), "0"))
	return nil
}

// eventData is the TransactionEventData of a 1796 or 1797 webhook (the
// fields paydesk reads; the same names in the messages API's payload).
type eventData struct {
	TransactionID string      `json:"TransactionId"`
	ParentID      *string     `json:"ParentId"`
	OrderCode     code        `json:"OrderCode"`
	StatusID      string      `json:"StatusId"`
	Amount        json.Number `json:"Amount"`
	CurrencyCode  code        `json:"CurrencyCode"`
	MerchantTrns  *string     `json:"MerchantTrns"`
	FullName      *string     `json:"FullName"`
	InsDate       string      `json:"InsDate"`
}

// envelope is a webhook notification as Viva posts it.
type envelope struct {
	EventTypeID int       `json:"EventTypeId"`
	EventData   eventData `json:"EventData"`
	Created     string    `json:"Created"`
	MessageID   string    `json:"MessageId"`
}

// transaction is the retrieve-transaction answer
// (GET /checkout/v2/transactions/{id}), camelCase there; Go's decoder
// matches names without regard to case, so the legacy PascalCase shape
// reads too.
type transaction struct {
	Amount       json.Number `json:"amount"`
	OrderCode    code        `json:"orderCode"`
	StatusID     string      `json:"statusId"`
	FullName     string      `json:"fullName"`
	InsDate      string      `json:"insDate"`
	CurrencyCode code        `json:"currencyCode"`
	MerchantTrns string      `json:"merchantTrns"`
	TransactionT int         `json:"transactionTypeId"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// decodeEnvelope reads a webhook body (or a message's payload).
func decodeEnvelope(raw []byte) (envelope, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return envelope{}, errors.New("not a JSON object")
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return envelope{}, fmt.Errorf("viva notification: %w", err)
	}
	switch env.EventTypeID {
	case EventPaymentCreated, EventReversalCreated:
	default:
		return envelope{}, fmt.Errorf("viva event type %d is not one paydesk takes (1796, 1797)", env.EventTypeID)
	}
	d := env.EventData
	if d.TransactionID == "" || !plainID(d.TransactionID) {
		return envelope{}, errors.New("viva notification without a plain TransactionId")
	}
	if env.EventTypeID == EventReversalCreated && (str(d.ParentID) == "" || !plainID(str(d.ParentID))) {
		return envelope{}, errors.New("viva reversal without a plain ParentId (the payment it reverses)")
	}
	return env, nil
}

// plainID is an id paydesk will put in a key and a URL path: Viva's are
// UUIDs; letters, digits and '-' only.
func plainID(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return s != ""
}

// amountMinor reads an amount Viva writes in major units (10, 10.5,
// -1000 for a reversal) into minor units of currency, exactly: the JSON
// number's text, never a float. The sign is dropped (a reversal's amount is
// negative); an exponent or more decimals than the currency has is refused.
func amountMinor(n json.Number, currency string) (int64, error) {
	s := strings.TrimPrefix(strings.TrimSpace(n.String()), "-")
	if s == "" {
		return 0, errors.New("no amount")
	}
	return payments.MajorToMinor(s, currency)
}

// parseTime reads Viva's datetimes: RFC 3339, or without a zone
// ("2021-09-02T10:39:28.73"), taken as UTC.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t
	}
	return time.Time{}
}

// metadata takes the booking from MerchantTrns: the booking id as it
// stands, or a JSON object carrying it (booking_id) and the booking's other
// fields under paydesk's metadata keys, as LiqPay's info does. The
// client's name comes from the payment (FullName, as Viva's API has it)
// when MerchantTrns has none. The notification's Phone is not taken: Viva's
// retrieve transaction answer has none to check it against, and a
// notification's unchecked words never pick the client.
func metadata(merchantTrns, fullName string) map[string]string {
	md := map[string]string{}
	if strings.HasPrefix(merchantTrns, "{") {
		payments.BookingJSON(md, merchantTrns)
	} else if merchantTrns != "" {
		md[finance.MetaBookingID] = merchantTrns
	}
	if md[finance.MetaClientName] == "" && fullName != "" {
		md[finance.MetaClientName] = fullName
	}
	if md[finance.MetaBookingID] == "" {
		delete(md, finance.MetaBookingID)
	}
	return md
}

// paymentEventID and reversalEventID name Viva's transactions in the inbox:
// the same whether a webhook or the messages API told of them.
func paymentEventID(txID string) string  { return Name + ":" + txID + ":paid" }
func reversalEventID(txID string) string { return Name + ":" + txID + ":reversal" }

// refundStatus maps a reversal transaction's StatusId.
func refundStatus(statusID string) string {
	switch statusID {
	case "F":
		return "succeeded"
	case "A":
		return "pending"
	default: // E (error), X (cancelled)
		return "failed"
	}
}

// event builds the provider-neutral event of a notification; its facts
// (amount, currency, status, MerchantTrns) are what Viva says of the
// transaction (the webhook's after it was checked against Viva's API, or
// the messages API's own).
func event(env envelope, raw []byte) finance.ProviderEvent {
	d := env.EventData
	e := finance.ProviderEvent{Provider: Name, Raw: raw, Created: parseTime(d.InsDate), ObjectID: d.TransactionID,
		ObjectStatus: d.StatusID}
	if e.Created.IsZero() {
		e.Created = parseTime(env.Created)
	}
	cur, ok := payments.CurrencyAlphaText(string(d.CurrencyCode))
	if !ok {
		e.Problem = fmt.Sprintf("viva transaction %s has currency code %q, which paydesk does not know", d.TransactionID, d.CurrencyCode)
	}
	e.Currency = cur
	amount, err := int64(0), error(nil)
	if ok {
		if amount, err = amountMinor(d.Amount, cur); err != nil {
			e.Problem = fmt.Sprintf("viva transaction %s: %v", d.TransactionID, err)
		}
	}
	if env.EventTypeID == EventReversalCreated {
		e.ID, e.RawType = reversalEventID(d.TransactionID), "transaction.reversal.created"
		e.Type, e.PaymentRef = finance.EventRefundUpdated, str(d.ParentID)
		// MerchantTrns of a reversal paydesk sent is its refund key.
		e.Refunds = []finance.ProviderRefund{{ID: d.TransactionID, Amount: amount, Status: refundStatus(d.StatusID),
			Key: str(d.MerchantTrns)}}
		return e
	}
	e.ID, e.RawType = paymentEventID(d.TransactionID), "transaction.payment.created"
	e.PaymentRef, e.Amount = d.TransactionID, amount
	e.Metadata = metadata(str(d.MerchantTrns), str(d.FullName))
	switch d.StatusID {
	case "F", "R", "M", "MA", "MI", "ML", "MW", "MS":
		// Paid; refunded or disputed since is told by its own events.
		e.Type = finance.EventPaymentSucceeded
	case "A":
		e.Type, e.FailureText = finance.EventPaymentPending, "Viva transaction "+d.TransactionID+" is in progress"
	case "E":
		e.Type, e.FailureText = finance.EventPaymentFailed, "Viva transaction "+d.TransactionID+" ended in an error"
	case "X":
		e.Type, e.FailureText = finance.EventPaymentCanceled, "Viva transaction "+d.TransactionID+" was cancelled by the merchant"
	default:
		e.Type = finance.EventUnknown
	}
	return e
}

// sameAmount reports whether two Viva amounts (either sign) are the same
// number of minor units of currency.
func sameAmount(a, b json.Number, currency string) bool {
	x, err1 := amountMinor(a, currency)
	y, err2 := amountMinor(b, currency)
	return err1 == nil && err2 == nil && x == y
}

// itoa is strconv.Itoa, named for the event type in messages.
func itoa(n int) string { return strconv.Itoa(n) }
