package monobank

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// invoice is what a webhook and invoice/status say (the same schema; the
// fields paydesk reads).
type invoice struct {
	InvoiceID     string   `json:"invoiceId"`
	Status        string   `json:"status"`
	FailureReason string   `json:"failureReason"`
	ErrCode       string   `json:"errCode"`
	Amount        int64    `json:"amount"`
	Ccy           int      `json:"ccy"`
	FinalAmount   int64    `json:"finalAmount"`
	CreatedDate   string   `json:"createdDate"`
	ModifiedDate  string   `json:"modifiedDate"`
	Reference     string   `json:"reference"`
	Destination   string   `json:"destination"`
	CancelList    []cancel `json:"cancelList"`
	PaymentInfo   *struct {
		Fee int64 `json:"fee"`
	} `json:"paymentInfo"`
}

// cancel is one refund in an invoice's cancelList.
type cancel struct {
	Status       string `json:"status"`
	Amount       int64  `json:"amount"`
	Ccy          int    `json:"ccy"`
	CreatedDate  string `json:"createdDate"`
	ModifiedDate string `json:"modifiedDate"`
	ExtRef       string `json:"extRef"`
}

func decodeInvoice(raw []byte) (invoice, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return invoice{}, errors.New("not a JSON object")
	}
	var inv invoice
	if err := json.Unmarshal(raw, &inv); err != nil {
		return invoice{}, fmt.Errorf("monobank invoice: %w", err)
	}
	if inv.InvoiceID == "" {
		return invoice{}, errors.New("monobank invoice without an invoiceId")
	}
	return inv, nil
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// modified is when the invoice last changed: what orders its updates.
func (inv invoice) modified() time.Time {
	if t := parseTime(inv.ModifiedDate); !t.IsZero() {
		return t
	}
	return parseTime(inv.CreatedDate)
}

// refundID names a refund in the cancelList: by our extRef, else (a
// refund made in Monobank's cabinet) by when it was made and how much.
func refundID(invoiceID, extRef string) string { return invoiceID + ":cancel:" + extRef }

func refundStatus(s string) string {
	switch s {
	case "success":
		return "succeeded"
	case "failure":
		return "failed"
	default: // processing
		return "pending"
	}
}

func (inv invoice) refunds() []finance.ProviderRefund {
	out := []finance.ProviderRefund{}
	for _, c := range inv.CancelList {
		ref := c.ExtRef
		if ref == "" {
			ref = c.CreatedDate + ":" + strconv.FormatInt(c.Amount, 10)
		}
		out = append(out, finance.ProviderRefund{ID: refundID(inv.InvoiceID, ref), Amount: c.Amount,
			Status: refundStatus(c.Status), Key: c.ExtRef})
	}
	return out
}

// webhookEvent is the one event a webhook brings: the refunds when the
// invoice has some, else the invoice's own state.
func webhookEvent(inv invoice, raw []byte) finance.ProviderEvent {
	if len(inv.CancelList) > 0 || inv.Status == "reversed" {
		return refundEvent(inv, raw)
	}
	return paymentEvent(inv, raw)
}

// polledEvents are what the poller learns from an invoice: its payment
// (when it was paid) and its refunds, so a missed webhook of either is
// made up for.
func polledEvents(inv invoice, raw []byte) []finance.ProviderEvent {
	if inv.Status != "success" && inv.Status != "reversed" {
		return []finance.ProviderEvent{paymentEvent(inv, raw)}
	}
	paid := inv
	paid.Status = "success" // a reversed invoice was paid first
	out := []finance.ProviderEvent{paymentEvent(paid, raw)}
	if len(inv.CancelList) > 0 || inv.Status == "reversed" {
		out = append(out, refundEvent(inv, raw))
	}
	return out
}

// paymentEvent decodes the invoice's own state. reference is the booking;
// destination, when it is a JSON object, carries the booking's other
// fields under paydesk's metadata keys (as LiqPay's info does).
func paymentEvent(inv invoice, raw []byte) finance.ProviderEvent {
	id := "monobank:" + inv.InvoiceID + ":" + inv.Status + ":" + inv.ModifiedDate
	if inv.Status == "success" {
		// Paid once: the webhook and the poller name it alike.
		id = "monobank:" + inv.InvoiceID + ":paid"
	}
	e := finance.ProviderEvent{ID: id, Provider: Name, RawType: "invoice." + inv.Status, Created: inv.modified(),
		Raw: raw, ObjectID: inv.InvoiceID, PaymentRef: inv.InvoiceID, ObjectStatus: inv.Status,
		Amount: cmp.Or(inv.FinalAmount, inv.Amount), Metadata: metadata(inv),
		FailureText: cmp.Or(inv.FailureReason, inv.ErrCode)}
	cur, ok := payments.CurrencyAlpha(inv.Ccy)
	if inv.Ccy == 0 {
		cur, ok = "uah", true // ccy is optional; Monobank's default is 980
	}
	if !ok {
		e.Problem = fmt.Sprintf("invoice %s has currency code %d, which paydesk does not know", inv.InvoiceID, inv.Ccy)
	}
	e.Currency = cur
	switch inv.Status {
	case "success":
		e.Type = finance.EventPaymentSucceeded
	case "failure":
		e.Type = finance.EventPaymentFailed
	case "expired":
		e.Type = finance.EventPaymentCanceled
		e.FailureText = "the invoice expired unpaid"
	case "created", "processing", "hold":
		e.Type = finance.EventPaymentPending
		e.FailureText = "Monobank invoice " + inv.InvoiceID + " is " + inv.Status
	default:
		e.Type = finance.EventUnknown
	}
	return e
}

// refundEvent reports the invoice's refunds (its cancelList), each posted
// once by its id; a reversed invoice without a list posts its whole
// amount as refunded.
func refundEvent(inv invoice, raw []byte) finance.ProviderEvent {
	e := paymentEvent(inv, raw)
	e.ID = "monobank:" + inv.InvoiceID + ":refunds:" + inv.ModifiedDate
	e.Type, e.Metadata, e.FailureText = finance.EventRefundUpdated, nil, ""
	if len(inv.CancelList) > 0 {
		e.Refunds = inv.refunds()
		e.Amount = 0
	}
	return e
}

func metadata(inv invoice) map[string]string {
	md := map[string]string{finance.MetaBookingID: strings.TrimSpace(inv.Reference)}
	payments.BookingJSON(md, inv.Destination)
	if md[finance.MetaBookingID] == "" {
		delete(md, finance.MetaBookingID)
	}
	return md
}
