// Package stripe is the Stripe payments.Provider, on stripe-go v76 through
// a client.API of its own (never the package-level globals, so tests and
// several desks each bring their own backend and key).
package stripe

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// Name is the provider's name: webhook path, cursor and ledger-key prefix.
const Name = "stripe"

// APIVersion is the version stripe-go v76 speaks and webhook endpoints are pinned to.
const APIVersion = stripego.APIVersion

// Events are the event types paydesk handles: its webhook endpoint is
// subscribed to exactly these and the poller asks for the same (README).
// refund.* fire for card refunds only from API 2024-10-28.acacia; at
// 2023-10-16 card refunds arrive as charge.refunded and charge.refund.updated.
var Events = []string{
	"payment_intent.succeeded",
	"payment_intent.payment_failed",
	"payment_intent.canceled",
	"checkout.session.completed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.async_payment_failed",
	"charge.refunded",
	"charge.refund.updated",
	"refund.created",
	"refund.updated",
	"refund.failed",
	"charge.dispute.created",
	"charge.dispute.funds_withdrawn",
	"charge.dispute.funds_reinstated",
	"charge.dispute.closed",
	"payout.paid",
	"payout.failed",
	"payout.canceled",
}

// Config says how to reach Stripe. Keys are never logged: stripe-go's own
// logger is silenced, and errors carry Stripe's messages, not requests.
type Config struct {
	SecretKey     string // sk_... or rk_...; "" = webhook only (no polling, refunds or fees)
	WebhookSecret string // whsec_... of the endpoint; "" = no webhook receiver
	// BaseURL replaces https://api.stripe.com (tests point it at stripe-mock).
	BaseURL string
	// HTTPClient defaults to one with a 20 s timeout.
	HTTPClient *http.Client
	// NoRetries turns off stripe-go's network retries (tests of failures).
	NoRetries bool
	// Account is the desk's own Stripe account (acct_...), if known: events
	// of any other account are refused. Events of one's own account carry
	// no account at all, so "" refuses every event that names one.
	Account string
}

// Provider is Stripe as a payments.Provider.
type Provider struct {
	api           *client.API // nil without a secret key
	webhookSecret string
	dec           decoder
}

var _ payments.Provider = (*Provider)(nil)

// New builds the provider.
func New(cfg Config) (*Provider, error) {
	p := &Provider{webhookSecret: cfg.WebhookSecret, dec: decoder{account: cfg.Account}}
	if cfg.SecretKey == "" {
		return p, nil
	}
	if !strings.HasPrefix(cfg.SecretKey, "sk_") && !strings.HasPrefix(cfg.SecretKey, "rk_") {
		return nil, fmt.Errorf("%w: the Stripe secret key must start with sk_ or rk_", finance.ErrInvalid)
	}
	// A key says its mode (sk_live_, sk_test_, rk_...): events of the other
	// mode are refused.
	switch mode := cfg.SecretKey[3:]; {
	case strings.HasPrefix(mode, "live_"):
		p.dec.live = stripego.Bool(true)
	case strings.HasPrefix(mode, "test_"):
		p.dec.live = stripego.Bool(false)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	retries := int64(2)
	if cfg.NoRetries {
		retries = 0
	}
	bc := &stripego.BackendConfig{
		HTTPClient:        hc,
		MaxNetworkRetries: stripego.Int64(retries),
		// A nil logger is not silent in stripe-go; LevelNull is.
		LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelNull},
	}
	if cfg.BaseURL != "" {
		bc.URL = stripego.String(strings.TrimRight(cfg.BaseURL, "/"))
	}
	b := stripego.GetBackendWithConfig(stripego.APIBackend, bc)
	p.api = client.New(cfg.SecretKey, &stripego.Backends{API: b, Connect: b, Uploads: b})
	return p, nil
}

func (p *Provider) Name() string { return Name }

func (p *Provider) needAPI() error {
	if p.api == nil {
		return fmt.Errorf("%w: no Stripe secret key configured", payments.ErrUnsupported)
	}
	return nil
}

// LooksUpFees says whether Fee can answer: fees come from the balance
// transaction, which only the secret key can read.
func (p *Provider) LooksUpFees() bool { return p.api != nil }

// VerifyWebhook checks the Stripe-Signature header over the raw body (300 s
// tolerance, either way) and decodes the event. Events of other API versions are
// accepted: only the needed fields are read, and Enrich re-fetches when in doubt.
func (p *Provider) VerifyWebhook(body []byte, h http.Header) (finance.ProviderEvent, error) {
	if p.webhookSecret == "" {
		return finance.ProviderEvent{}, fmt.Errorf("%w: no webhook secret configured", payments.ErrBadSignature)
	}
	// Only the signature: stripe-go's full stripe.Event decode was thrown
	// away and cost more than the check itself; our decoder below reads only
	// what it needs, whatever shape or API version the event has.
	sig := h.Get("Stripe-Signature")
	err := webhook.ValidatePayloadWithTolerance(body, sig, p.webhookSecret, webhook.DefaultTolerance)
	if err != nil {
		return finance.ProviderEvent{}, fmt.Errorf("%w: %v", payments.ErrBadSignature, err)
	}
	// stripe-go checks only the past: a signature dated ahead of the clock
	// (a replay prepared in advance, or a sender's clock far off) would stay
	// valid until then, so the same window applies forward.
	if at, ok := signedAt(sig); ok && time.Until(at) > webhook.DefaultTolerance {
		return finance.ProviderEvent{}, fmt.Errorf("%w: the signature is dated %s ahead of this clock",
			payments.ErrBadSignature, time.Until(at).Round(time.Second))
	}
	e, err := p.dec.decodeEvent(body)
	if err != nil {
		return finance.ProviderEvent{}, fmt.Errorf("%w: %v", finance.ErrInvalid, err)
	}
	return e, nil
}

// signedAt is the time in a Stripe-Signature header, read as stripe-go
// reads it (the last t= wins).
func signedAt(header string) (time.Time, bool) {
	var at time.Time
	ok := false
	for _, pair := range strings.Split(header, ",") {
		if v, found := strings.CutPrefix(pair, "t="); found {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				at, ok = time.Unix(n, 0), true
			}
		}
	}
	return at, ok
}

// Poll lists events after cursor with ending_before (stripe-go walks those
// pages forward in time), or without a cursor those created since since,
// sorted by created time. Stripe keeps 30 days of events.
func (p *Provider) Poll(ctx context.Context, cursor string, since time.Time) ([]finance.ProviderEvent, string, error) {
	if err := p.needAPI(); err != nil {
		return nil, "", err
	}
	params := &stripego.EventListParams{}
	params.Context = ctx
	params.Limit = stripego.Int64(100)
	for _, t := range Events {
		params.Types = append(params.Types, stripego.String(t))
	}
	if cursor != "" {
		params.EndingBefore = stripego.String(cursor)
	} else {
		params.CreatedRange = &stripego.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
	}
	var envs []envelope
	it := p.api.Events.List(params)
	for it.Next() {
		ev := it.Event()
		env := envelope{ID: ev.ID, Object: "event", Type: string(ev.Type), Created: ev.Created, Livemode: ev.Livemode,
			Account: ev.Account}
		if ev.APIVersion != "" {
			env.APIVersion = stripego.String(ev.APIVersion)
		}
		if ev.Data != nil {
			env.Data.Object = ev.Data.Raw
		}
		envs = append(envs, env)
	}
	if err := it.Err(); err != nil {
		var se *stripego.Error
		if cursor != "" && errors.As(err, &se) && se.Code == stripego.ErrorCodeResourceMissing {
			return nil, "", fmt.Errorf("%w: %s", payments.ErrCursorLost, cursor)
		}
		return nil, "", fmt.Errorf("listing events: %w", stripeErr(err))
	}
	if len(envs) == 0 {
		return nil, "", nil
	}
	// With ending_before the iterator yields oldest first and the last one
	// is the newest; without, the list is newest first.
	next := envs[len(envs)-1].ID
	if cursor == "" {
		next = envs[0].ID
		slices.Reverse(envs)
	}
	slices.SortStableFunc(envs, func(a, b envelope) int {
		switch {
		case a.Created < b.Created:
			return -1
		case a.Created > b.Created:
			return 1
		}
		return 0
	})
	out := make([]finance.ProviderEvent, 0, len(envs))
	for _, env := range envs {
		raw, err := json.Marshal(env)
		if err != nil {
			return nil, "", err
		}
		e, err := p.dec.decodeEnvelope(env, raw)
		if err != nil {
			// One undecodable event must not block the ones after it: keep
			// it, as unknown, for the sync view.
			e = finance.ProviderEvent{ID: env.ID, Provider: Name, Type: finance.EventUnknown, RawType: env.Type,
				Created: time.Unix(env.Created, 0).UTC(), Raw: raw, Error: err.Error()}
		}
		out = append(out, e)
	}
	return out, next, nil
}

// Enrich re-fetches what an event left out: the refunds of a charge (not
// included in charges since API 2022-11-15), a payment whose event was
// rendered in another API version without the fields paydesk reads.
func (p *Provider) Enrich(ctx context.Context, e *finance.ProviderEvent) (bool, error) {
	switch {
	case e.Type == finance.EventRefundUpdated && e.Refunds == nil && e.PaymentRef != "":
		if err := p.needAPI(); err != nil {
			return false, err
		}
		rs, err := p.FindRefunds(ctx, e.PaymentRef)
		if err != nil {
			return false, err
		}
		e.Refunds = rs
		return true, nil
	case e.Type == finance.EventPaymentSucceeded && e.ObjectID != "" && e.Problem == "" &&
		(len(e.Metadata) == 0 || e.Amount == 0) && apiVersionOf(e.Raw) != APIVersion && e.RawType == "payment_intent.succeeded":
		if err := p.needAPI(); err != nil {
			return false, err
		}
		params := &stripego.PaymentIntentParams{}
		params.Context = ctx
		pi, err := p.api.PaymentIntents.Get(e.ObjectID, params)
		if err != nil {
			return false, fmt.Errorf("fetching %s: %w", e.ObjectID, stripeErr(err))
		}
		e.Currency, e.Metadata = strings.ToLower(string(pi.Currency)), pi.Metadata
		amt, err := toMinor(cmp.Or(pi.AmountReceived, pi.Amount), e.Currency)
		if err != nil {
			e.Problem = err.Error()
		}
		e.Amount = amt
		return true, nil
	}
	return false, nil
}

// Refund creates a refund with o.Key as the Idempotency-Key and in the
// refund's metadata, so FindRefunds can match it after a crash.
func (p *Provider) Refund(ctx context.Context, o payments.RefundOrder) (finance.ProviderRefund, error) {
	if err := p.needAPI(); err != nil {
		return finance.ProviderRefund{}, err
	}
	if o.Key == "" || o.PaymentRef == "" || o.Amount <= 0 {
		return finance.ProviderRefund{}, fmt.Errorf("%w: refund needs a key, a payment and an amount", finance.ErrInvalid)
	}
	amount, err := fromMinor(o.Amount, o.Currency)
	if err != nil {
		return finance.ProviderRefund{}, fmt.Errorf("%w: %v", payments.ErrRejected, err)
	}
	params := &stripego.RefundParams{
		PaymentIntent: stripego.String(o.PaymentRef),
		Amount:        stripego.Int64(amount),
		Reason:        stripego.String(string(stripego.RefundReasonRequestedByCustomer)),
		Metadata:      map[string]string{finance.MetaRefundKey: o.Key, finance.MetaBookingID: o.BookingID},
	}
	params.Context = ctx
	params.SetIdempotencyKey(o.Key)
	r, err := p.api.Refunds.New(params)
	if err != nil {
		return finance.ProviderRefund{}, stripeErr(err)
	}
	return neutralAPIRefund(r, o.Currency), nil
}

// neutralAPIRefund turns a refund from the API into paydesk's terms; an
// amount that does not convert is reported as 0, which never posts.
func neutralAPIRefund(r *stripego.Refund, fallbackCurrency string) finance.ProviderRefund {
	cur := cmp.Or(string(r.Currency), fallbackCurrency)
	amt, err := toMinor(r.Amount, cur)
	if err != nil {
		amt = 0
	}
	return finance.ProviderRefund{ID: r.ID, Amount: amt, Status: string(r.Status), Key: r.Metadata[finance.MetaRefundKey]}
}

// FindRefunds lists a payment's refunds with our keys from their metadata.
func (p *Provider) FindRefunds(ctx context.Context, paymentRef string) ([]finance.ProviderRefund, error) {
	if err := p.needAPI(); err != nil {
		return nil, err
	}
	params := &stripego.RefundListParams{PaymentIntent: stripego.String(paymentRef)}
	params.Context = ctx
	params.Limit = stripego.Int64(100)
	out := []finance.ProviderRefund{}
	it := p.api.Refunds.List(params)
	for it.Next() {
		out = append(out, neutralAPIRefund(it.Refund(), ""))
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("listing refunds of %s: %w", paymentRef, stripeErr(err))
	}
	return out, nil
}

// Fee reads the fee from the payment's charge's balance transaction, in
// that transaction's currency (the Stripe balance's, which need not be the
// payment's). A payment that did not succeed has no fee to read.
func (p *Provider) Fee(ctx context.Context, paymentRef string) (finance.Money, error) {
	if err := p.needAPI(); err != nil {
		return finance.Money{}, err
	}
	params := &stripego.PaymentIntentParams{}
	params.Context = ctx
	params.AddExpand("latest_charge.balance_transaction")
	pi, err := p.api.PaymentIntents.Get(paymentRef, params)
	if err != nil {
		return finance.Money{}, fmt.Errorf("fetching %s: %w", paymentRef, stripeErr(err))
	}
	if pi.Status != stripego.PaymentIntentStatusSucceeded {
		return finance.Money{}, fmt.Errorf("%w: payment %s is %s: no fee", payments.ErrRejected, paymentRef, pi.Status)
	}
	if pi.LatestCharge == nil || pi.LatestCharge.BalanceTransaction == nil {
		return finance.Money{}, fmt.Errorf("payment %s has no balance transaction yet", paymentRef)
	}
	bt := pi.LatestCharge.BalanceTransaction
	cur := strings.ToLower(string(bt.Currency))
	if cur == "" {
		cur = strings.ToLower(string(pi.Currency))
	}
	fee, err := toMinor(bt.Fee, cur)
	if err != nil {
		return finance.Money{}, fmt.Errorf("%w: fee of %s: %v", payments.ErrRejected, paymentRef, err)
	}
	return finance.Money{Amount: fee, Currency: cur}, nil
}

// Endpoint is a webhook endpoint made by Setup. Secret is shown once by
// Stripe and must be saved, never printed.
type Endpoint struct {
	ID     string
	URL    string
	Secret string
}

// Setup creates the webhook endpoint for url, pinned to the API version
// stripe-go v76 verifies, subscribed to the events paydesk handles.
func (p *Provider) Setup(ctx context.Context, url string) (Endpoint, error) {
	if err := p.needAPI(); err != nil {
		return Endpoint{}, err
	}
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return Endpoint{}, fmt.Errorf("%w: webhook URL %q must start with https://", finance.ErrInvalid, url)
	}
	params := &stripego.WebhookEndpointParams{
		URL:         stripego.String(url),
		APIVersion:  stripego.String(APIVersion),
		Description: stripego.String("paydesk"),
	}
	for _, ev := range Events {
		params.EnabledEvents = append(params.EnabledEvents, stripego.String(ev))
	}
	params.Context = ctx
	ep, err := p.api.WebhookEndpoints.New(params)
	if err != nil {
		return Endpoint{}, fmt.Errorf("creating the webhook endpoint: %w", stripeErr(err))
	}
	return Endpoint{ID: ep.ID, URL: ep.URL, Secret: ep.Secret}, nil
}

// stripeErr marks Stripe's definite refusals as payments.ErrRejected and
// keeps the rest (network, rate limits, Stripe's own errors) retryable.
func stripeErr(err error) error {
	var se *stripego.Error
	if !errors.As(err, &se) {
		return err
	}
	msg := se.Msg
	if msg == "" {
		msg = string(se.Type)
	}
	rejected := se.Type == stripego.ErrorTypeCard
	if se.Type == stripego.ErrorTypeInvalidRequest {
		// 401/403 are our key's fault and 409/429 pass: only a refusal of
		// the request itself is final.
		switch se.HTTPStatusCode {
		case http.StatusBadRequest, http.StatusPaymentRequired, http.StatusNotFound:
			rejected = true
		}
	}
	if rejected {
		return fmt.Errorf("%w: stripe: %s (%s)", payments.ErrRejected, msg, se.Code)
	}
	return fmt.Errorf("stripe: %s (%s %d)", msg, se.Type, se.HTTPStatusCode)
}
