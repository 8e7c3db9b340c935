// Package payments keeps paydesk in step with a payment provider: a webhook
// receiver and a poller feed one durable inbox (finance's), and one worker
// goroutine applies what is due, in the provider's order, exactly once.
// Refunds go out through the provider with a key saved before the call.
// Nothing here is Stripe-specific; package payments/stripe is one Provider.
package payments

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/paydesk/paydesk/finance"
)

var (
	// ErrBadSignature: a webhook's signature is missing, forged, too old or dated ahead.
	ErrBadSignature = errors.New("webhook signature not valid")
	// ErrUnsupported: the provider cannot do this (e.g. no API key configured).
	ErrUnsupported = errors.New("not supported by this provider")
	// ErrRejected: the provider answered and said no; retrying the same
	// request will not help (a refund on a disputed payment, a bad amount).
	ErrRejected = errors.New("rejected by the provider")
	// ErrCursorLost: the poll cursor names an event the provider no longer has.
	ErrCursorLost = errors.New("poll cursor no longer exists at the provider")
)

// Provider is one payment provider, seen from paydesk.
type Provider interface {
	// Name is the provider's short name: the webhook path, the cursor and
	// ledger-key prefix ("stripe").
	Name() string
	// VerifyWebhook checks a webhook's signature over the raw body and
	// decodes it; a bad or missing signature wraps ErrBadSignature.
	VerifyWebhook(body []byte, h http.Header) (finance.ProviderEvent, error)
	// Poll lists events after cursor (the newest event already seen), or,
	// with no cursor, those created since since; oldest first. next is the
	// cursor to save once they are recorded ("" = keep the old one). A
	// cursor the provider no longer knows wraps ErrCursorLost.
	Poll(ctx context.Context, cursor string, since time.Time) (events []finance.ProviderEvent, next string, err error)
	// Enrich fills in what an event did not carry, asking the provider
	// (refunds left out of a charge, a payment rendered in another API
	// version). It reports whether it changed e; cheap when nothing is missing.
	Enrich(ctx context.Context, e *finance.ProviderEvent) (bool, error)
	// Refund sends a refund with o.Key as its idempotency key and in its metadata.
	Refund(ctx context.Context, o RefundOrder) (finance.ProviderRefund, error)
	// FindRefunds lists the refunds of a payment at the provider, with our
	// key where we issued them.
	FindRefunds(ctx context.Context, paymentRef string) ([]finance.ProviderRefund, error)
	// Fee is what the provider kept from a succeeded payment, in minor
	// units of the provider balance's currency.
	Fee(ctx context.Context, paymentRef string) (finance.Money, error)
}

// RefundOrder is one refund to send.
type RefundOrder struct {
	Key        string // idempotency key, saved in finance before the call
	PaymentRef string
	Amount     int64  // minor units of Currency
	Currency   string // the location's
	BookingID  string
	Reason     string
}
