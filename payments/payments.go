// Package payments keeps paydesk in step with a payment provider: a webhook
// receiver and a poller feed one durable inbox (finance's), and one worker
// goroutine applies what is due, in the provider's order, exactly once.
// Refunds go out through the provider with a key saved before the call.
// Nothing here is Stripe-specific; package payments/stripe is one Provider.
package payments

import (
	"context"
	"crypto/tls"
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

// Provider is one payment provider, seen from paydesk: the seam between a
// provider's API (its own package beside payments/stripe) and the
// provider-neutral inbox, worker, bookings and refunds. What a provider
// must keep to:
//
//   - Event ids are unique across providers (the inbox is keyed by them
//     alone): Stripe's evt_ are; others prefix their name ("liqpay:...").
//     The same provider object seen again (a resent callback, a poll of
//     what a callback told) gives the same id, so it is stored once.
//   - An event's Provider is the provider's Name; the receiver and the
//     poller set it, whatever the body says, so a provider only ever posts
//     under its own keys ("<provider>:<kind>:<id>", finance/keys.go) and to
//     its own online register (finance.ProviderRegister).
//   - A payment for a booking is EventPaymentSucceeded with ObjectID and
//     PaymentRef = the provider's id of the payment (what Refund and
//     FindRefunds take back), Amount in minor units, Currency lowercase ISO
//     alpha, and the booking in Metadata (finance.MetaBookingID and the rest,
//     wherever the provider carries them).
//   - Refunds it reports are EventRefundUpdated with PaymentRef and
//     Refunds, each with a status finance knows: succeeded, pending,
//     failed, canceled.
//   - Money the provider says must not post (another account or mode, an
//     amount that does not parse) is decoded with Problem set: flagged.
//   - Errors: ErrBadSignature for anything not proven to come from the
//     provider (nothing is stored), ErrRejected for a final no,
//     ErrUnsupported for what it cannot do (then the worker does without).
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

// ContextVerifier is a Provider whose webhook check may call the provider
// (Monobank fetches its public key, and again once when a signature
// fails): the receiver calls VerifyWebhookContext with the request's
// context instead of VerifyWebhook.
type ContextVerifier interface {
	VerifyWebhookContext(ctx context.Context, body []byte, h http.Header) (finance.ProviderEvent, error)
}

// GetAnswerer is a Provider that answers a GET at its webhook path (Viva
// checks the URL by fetching the merchant's verification key from it).
// Without it a GET is refused.
type GetAnswerer interface {
	AnswerGet(w http.ResponseWriter, r *http.Request)
}

// BatchVerifier is a Provider whose one call carries several events (PIX
// posts Pix in batches) and whose proof is the connection rather than the
// body (mutual TLS: cs is the request's TLS state, nil over plain HTTP).
// The receiver stores every event of the call before it answers 2xx
// (a resent batch is harmless: the inbox is keyed by event id), instead of
// calling VerifyWebhook.
type BatchVerifier interface {
	VerifyWebhookBatch(ctx context.Context, body []byte, h http.Header, cs *tls.ConnectionState) ([]finance.ProviderEvent, error)
}

// WindowPoller is a Provider with no event list and so no cursor (LiqPay,
// Monobank): its Poll lists what changed in the window from since. Once a
// poll is recorded, the next one starts from when it ran (less the slack),
// not from the newest event: a quiet shop would otherwise have the same
// weeks of payments read again on every poll.
type WindowPoller interface {
	PollsWindow()
}

// RefundOrder is one refund to send.
type RefundOrder struct {
	Key        string // idempotency key, saved in finance before the call
	PaymentRef string
	Amount     int64  // minor units of Currency
	Currency   string // the location's
	BookingID  string
	Reason     string
	// RefundedBefore is what paydesk knows went back to the card on this
	// payment before this refund, refunds matched by id. A provider with no
	// idempotency key of its own (LiqPay) checks its refunded total against
	// RefundedBefore+Amount before sending, so a refund resent after a
	// crash is found done instead of sent twice.
	RefundedBefore int64
}
