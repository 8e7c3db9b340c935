// Package monobank is Monobank acquiring (plata by mono) as a
// payments.Provider (api.monobank.ua/docs/acquiring.html): webhooks to the
// invoice's webHookUrl signed with X-Sign, an ECDSA P-256 / SHA-256
// signature over the exact body checked against the merchant's public key
// (GET /api/merchant/pubkey, cached, fetched again once when a signature
// fails); refunds by POST /api/merchant/invoice/cancel with our refund key
// as extRef; missed webhooks found by the statement and read by
// invoice/status. Amounts are kopiyky (minor units), ccy ISO numeric.
package monobank

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// Name is the provider's name: webhook path, register, cursor and key prefix.
const Name = "monobank"

// Title is how the desk names it (its register's name).
const Title = "Monobank"

// DefaultBaseURL is Monobank's API.
const DefaultBaseURL = "https://api.monobank.ua"

// refetchEvery bounds how often a failing signature may fetch the key
// again, so forged calls cannot make the desk hammer Monobank's API.
const refetchEvery = time.Minute

// Config says how to reach Monobank. The token (X-Token) is never logged.
type Config struct {
	Token string
	// BaseURL replaces DefaultBaseURL (tests point it at a local fake).
	BaseURL string
	// HTTPClient defaults to one with a 20 s timeout.
	HTTPClient *http.Client
}

// Provider is Monobank acquiring as a payments.Provider.
type Provider struct {
	cfg Config
	hc  *http.Client

	mu        sync.Mutex
	key       *ecdsa.PublicKey
	refetched time.Time // the last fetch a failing signature made
}

var (
	_ payments.Provider        = (*Provider)(nil)
	_ payments.ContextVerifier = (*Provider)(nil)
)

// New builds the provider; the token is needed for everything (the public
// key too is fetched with it).
func New(cfg Config) (*Provider, error) {
	cfg.Token = strings.TrimSpace(cfg.Token)
	if cfg.Token == "" {
		return nil, fmt.Errorf("%w: Monobank needs its X-Token", finance.ErrInvalid)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	return &Provider{cfg: cfg, hc: hc}, nil
}

func (p *Provider) Name() string { return Name }

// PollsWindow: there is no event list to keep a cursor in (payments.WindowPoller).
func (p *Provider) PollsWindow() {}

// ParsePublicKey reads the key as /api/merchant/pubkey gives it: base64 of
// a PEM "PUBLIC KEY" holding a P-256 key.
func ParsePublicKey(b64 string) (*ecdsa.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("monobank key is not base64: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, errors.New("monobank key is not PEM")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("monobank key: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("monobank key is not an ECDSA P-256 key")
	}
	return ek, nil
}

// Verify checks X-Sign (base64 of an ASN.1 ECDSA signature) over the exact
// body with key.
func Verify(key *ecdsa.PublicKey, body []byte, xSign string) bool {
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(xSign))
	if err != nil || len(sig) == 0 {
		return false
	}
	sum := sha256.Sum256(body)
	return ecdsa.VerifyASN1(key, sum[:], sig)
}

// publicKey is the cached key, fetched when there is none, or again when
// fresh is set (a signature failed) unless that last happened less than
// refetchEvery ago.
func (p *Provider) publicKey(ctx context.Context, fresh bool) (*ecdsa.PublicKey, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != nil && (!fresh || time.Since(p.refetched) < refetchEvery) {
		return p.key, false, nil
	}
	if fresh {
		p.refetched = time.Now()
	}
	raw, err := p.call(ctx, http.MethodGet, "/api/merchant/pubkey", nil)
	if err != nil {
		return nil, false, fmt.Errorf("fetching monobank's public key: %w", err)
	}
	var r struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, false, fmt.Errorf("monobank's public key: %w", err)
	}
	k, err := ParsePublicKey(r.Key)
	if err != nil {
		return nil, false, err
	}
	p.key = k
	return k, true, nil
}

// VerifyWebhook is VerifyWebhookContext without a deadline of the caller's.
func (p *Provider) VerifyWebhook(body []byte, h http.Header) (finance.ProviderEvent, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.VerifyWebhookContext(ctx, body, h)
}

// VerifyWebhookContext checks X-Sign over the raw body with the cached key;
// when it fails, the key is fetched again once (Monobank may have rotated
// it) and checked again. Then it decodes the invoice.
func (p *Provider) VerifyWebhookContext(ctx context.Context, body []byte, h http.Header) (finance.ProviderEvent, error) {
	sign := h.Get("X-Sign")
	if sign == "" {
		return finance.ProviderEvent{}, fmt.Errorf("%w: no X-Sign header", payments.ErrBadSignature)
	}
	key, fetched, err := p.publicKey(ctx, false)
	if err != nil {
		// Not proven either way: a 5xx would be better, but the receiver
		// answers 400 to anything unverified; Monobank retries up to 3
		// times and the poller makes up for the rest.
		return finance.ProviderEvent{}, fmt.Errorf("%w: %v", payments.ErrBadSignature, err)
	}
	if !Verify(key, body, sign) {
		// Once more with the key fetched anew, unless it just was.
		if fetched {
			return finance.ProviderEvent{}, fmt.Errorf("%w: X-Sign does not match the body", payments.ErrBadSignature)
		}
		if key, fetched, err = p.publicKey(ctx, true); err != nil || !fetched || !Verify(key, body, sign) {
			return finance.ProviderEvent{}, fmt.Errorf("%w: X-Sign does not match the body", payments.ErrBadSignature)
		}
	}
	inv, err := decodeInvoice(body)
	if err != nil {
		return finance.ProviderEvent{}, fmt.Errorf("%w: %v", finance.ErrInvalid, err)
	}
	return webhookEvent(inv, body), nil
}

// apiError is Monobank's error answer.
type apiError struct {
	ErrCode string `json:"errCode"`
	ErrText string `json:"errText"`
}

// call makes one API request with the token. 4xx answers are Monobank's
// refusals (ErrRejected); network errors, 429 and 5xx stay retryable.
func (p *Provider) call(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.cfg.BaseURL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Token", p.cfg.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("monobank %s: %w", strings.SplitN(path, "?", 2)[0], err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("monobank %s: %w", path, err)
	}
	if resp.StatusCode == http.StatusOK {
		return raw, nil
	}
	var ae apiError
	_ = json.Unmarshal(raw, &ae)
	why := cmp.Or(ae.ErrText, ae.ErrCode, http.StatusText(resp.StatusCode))
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return nil, fmt.Errorf("monobank %s: HTTP %d: %s", strings.SplitN(path, "?", 2)[0], resp.StatusCode, why)
	}
	return nil, fmt.Errorf("%w: monobank: %s (HTTP %d)", payments.ErrRejected, why, resp.StatusCode)
}

// status reads one invoice as Monobank has it now.
func (p *Provider) status(ctx context.Context, invoiceID string) (invoice, []byte, error) {
	raw, err := p.call(ctx, http.MethodGet, "/api/merchant/invoice/status?invoiceId="+url.QueryEscape(invoiceID), nil)
	if err != nil {
		return invoice{}, nil, err
	}
	inv, err := decodeInvoice(raw)
	if err != nil {
		return invoice{}, nil, fmt.Errorf("monobank invoice %s: %w", invoiceID, err)
	}
	return inv, raw, nil
}

// Poll finds the invoices of the window in the statement
// (/api/merchant/statement?from=) and reads each by invoice/status, so a
// webhook that never reached the desk is not lost. There is no event list,
// hence no cursor: the worker's window and the inbox's ids make asking
// again safe. A paid invoice gives its payment, and its refunds if any.
func (p *Provider) Poll(ctx context.Context, _ string, since time.Time) ([]finance.ProviderEvent, string, error) {
	raw, err := p.call(ctx, http.MethodGet, "/api/merchant/statement?from="+strconv.FormatInt(since.Unix(), 10), nil)
	if err != nil {
		return nil, "", err
	}
	var st struct {
		List []struct {
			InvoiceID string `json:"invoiceId"`
		} `json:"list"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, "", fmt.Errorf("monobank statement: %w", err)
	}
	seen := map[string]bool{}
	var out []finance.ProviderEvent
	for _, it := range st.List {
		if it.InvoiceID == "" || seen[it.InvoiceID] {
			continue
		}
		seen[it.InvoiceID] = true
		inv, iraw, err := p.status(ctx, it.InvoiceID)
		if err != nil {
			return nil, "", err
		}
		out = append(out, polledEvents(inv, iraw)...)
	}
	payments.SortByCreated(out)
	return out, "", nil
}

// Enrich drops a stale update: an invoice's state that moves no money
// (created, processing, hold, failure, expired) whose modifiedDate is older
// than the invoice's now is ignored as superseded, so a late "processing"
// never speaks over a "success". Money events are never held back by it:
// they post once whatever their order.
func (p *Provider) Enrich(ctx context.Context, e *finance.ProviderEvent) (bool, error) {
	switch e.Type {
	case finance.EventPaymentPending, finance.EventPaymentFailed, finance.EventPaymentCanceled:
	default:
		return false, nil
	}
	if e.ObjectID == "" {
		return false, nil
	}
	inv, _, err := p.status(ctx, e.ObjectID)
	if err != nil {
		return false, nil //nolint:nilerr // kept as it came: it moves no money either way, so a lookup that fails must not hold it back
	}
	now := inv.modified()
	if now.IsZero() || !now.After(e.Created) || inv.Status == e.ObjectStatus {
		return false, nil
	}
	e.Type = finance.EventUnknown
	e.FailureText = fmt.Sprintf("stale: invoice %s is %s since %s; this %s update of %s is older",
		e.ObjectID, inv.Status, now.Format(time.RFC3339), e.ObjectStatus, e.Created.Format(time.RFC3339))
	return true, nil
}

// Refund cancels o.Amount of invoice o.PaymentRef with extRef = o.Key.
// ExecuteRefund has looked the key up in the invoice's cancelList first, so
// a refund sent before a crash is found there and never sent again.
func (p *Provider) Refund(ctx context.Context, o payments.RefundOrder) (finance.ProviderRefund, error) {
	if o.Key == "" || o.PaymentRef == "" || o.Amount <= 0 {
		return finance.ProviderRefund{}, fmt.Errorf("%w: refund needs a key, a payment and an amount", finance.ErrInvalid)
	}
	raw, err := p.call(ctx, http.MethodPost, "/api/merchant/invoice/cancel",
		map[string]any{"invoiceId": o.PaymentRef, "extRef": o.Key, "amount": o.Amount})
	if err != nil {
		return finance.ProviderRefund{}, err
	}
	var r struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return finance.ProviderRefund{}, fmt.Errorf("monobank cancel of %s: %w", o.PaymentRef, err)
	}
	out := finance.ProviderRefund{ID: refundID(o.PaymentRef, o.Key), Amount: o.Amount, Status: refundStatus(r.Status), Key: o.Key}
	if out.Status == "failed" {
		return finance.ProviderRefund{}, fmt.Errorf("%w: monobank refused the cancel of %s", payments.ErrRejected, o.PaymentRef)
	}
	return out, nil
}

// FindRefunds lists the invoice's cancelList, with our keys from extRef.
func (p *Provider) FindRefunds(ctx context.Context, paymentRef string) ([]finance.ProviderRefund, error) {
	inv, _, err := p.status(ctx, paymentRef)
	if err != nil {
		return nil, err
	}
	return inv.refunds(), nil
}

// Fee is paymentInfo.fee, what Monobank kept (kopiyky).
func (p *Provider) Fee(ctx context.Context, paymentRef string) (finance.Money, error) {
	inv, _, err := p.status(ctx, paymentRef)
	if err != nil {
		return finance.Money{}, err
	}
	if inv.Status != "success" && inv.Status != "reversed" {
		return finance.Money{}, fmt.Errorf("%w: invoice %s is %s: no fee", payments.ErrRejected, paymentRef, inv.Status)
	}
	cur, ok := payments.CurrencyAlpha(inv.Ccy)
	if !ok {
		return finance.Money{}, fmt.Errorf("%w: invoice %s has currency %d", payments.ErrRejected, paymentRef, inv.Ccy)
	}
	var fee int64
	if inv.PaymentInfo != nil {
		fee = inv.PaymentInfo.Fee
	}
	return finance.Money{Amount: fee, Currency: cur}, nil
}
