// Package viva is Viva (Viva Wallet, developer.viva.com) as a
// payments.Provider: webhooks for Transaction Payment Created (1796) and
// Transaction Reversal Created (1797) to /webhooks/viva, the URL checked by
// Viva with a GET answered by the merchant's verification key
// (GET /api/messages/config/token, basic auth merchant id + API key).
//
// A Viva notification carries no signature, so none is trusted for what it
// says: the transaction it names is fetched from Viva's API (retrieve
// transaction, GET /checkout/v2/transactions/{id}, OAuth2 client
// credentials from accounts.vivapayments.com) and the notification is
// refused unless Viva has it with the same amount, currency, order and
// MerchantTrns; what posts is Viva's answer. Refunds go out by
// DELETE /acquiring/v1/transactions/{id}?amount= with our refund key as
// idempotencyKey and merchantTrns; missed notifications and refunds sent
// before a crash are read back from the webhooks messages API
// (GET /webhooks/v1/messages). Amounts are major units (decimal), parsed
// exactly; currencies ISO 4217 numeric.
package viva

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// Name is the provider's name: webhook path, register, cursor and key prefix.
const Name = "viva"

// Title is how the desk names it (its register's name).
const Title = "Viva"

// Viva's hosts (developer.viva.com, tutorials: base URLs): the legacy
// basic-auth API (verification key, webhooks messages), the payments API
// (transactions) and the OAuth2 server, live and demo.
const (
	LiveBaseURL     = "https://www.vivapayments.com"
	LiveAPIURL      = "https://api.vivapayments.com"
	LiveAccountsURL = "https://accounts.vivapayments.com"
	DemoBaseURL     = "https://demo.vivapayments.com"
	DemoAPIURL      = "https://demo-api.vivapayments.com"
	DemoAccountsURL = "https://demo-accounts.vivapayments.com"
)

// messagesLookBack bounds how many of the newest messages of one event
// type a poll or a refund lookup reads, each one a request.
const messagesLookBack = 200

// Config says how to reach Viva. The API key and the client secret are
// never logged (errors carry Viva's words, not requests).
type Config struct {
	MerchantID   string // basic auth: verification key, webhooks messages
	APIKey       string
	ClientID     string // OAuth2 client credentials: transactions, refunds
	ClientSecret string
	// Demo uses Viva's demo environment instead of the live one.
	Demo bool
	// APIURL replaces all three hosts with one (tests point it at a fake).
	APIURL string
	// HTTPClient defaults to one with a 20 s timeout.
	HTTPClient *http.Client
	// ConfirmPerSecond bounds how many notifications a second are checked
	// against Viva's API (DefaultConfirmPerSecond when 0), so a flood of
	// forged ones cannot make the desk hammer Viva; past it a notification
	// is refused unchecked, and Viva resends it within the hour.
	ConfirmPerSecond int
}

// DefaultConfirmPerSecond is ConfirmPerSecond's default: far above a
// salon's payments, far below what would trouble Viva's API.
const DefaultConfirmPerSecond = 20

// Provider is Viva as a payments.Provider.
type Provider struct {
	cfg                 Config
	hc                  *http.Client
	base, api, accounts string

	mu       sync.Mutex
	token    string
	tokenEnd time.Time
	key      string // the webhook verification key, static per merchant

	now         func() time.Time
	confirmMu   sync.Mutex
	confirmSec  int64 // the second being counted
	confirmUsed int
}

var (
	_ payments.Provider        = (*Provider)(nil)
	_ payments.ContextVerifier = (*Provider)(nil)
	_ payments.GetAnswerer     = (*Provider)(nil)
	_ payments.WindowPoller    = (*Provider)(nil)
)

// New builds the provider; all four credentials are needed: the
// notifications are trusted only once fetched back with the OAuth2 ones,
// and the URL check and the messages API take the merchant id and API key.
func New(cfg Config) (*Provider, error) {
	cfg.MerchantID, cfg.APIKey = strings.TrimSpace(cfg.MerchantID), strings.TrimSpace(cfg.APIKey)
	cfg.ClientID, cfg.ClientSecret = strings.TrimSpace(cfg.ClientID), strings.TrimSpace(cfg.ClientSecret)
	if cfg.MerchantID == "" || cfg.APIKey == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("%w: Viva needs its merchant id, API key, client id and client secret", finance.ErrInvalid)
	}
	p := &Provider{cfg: cfg, hc: cfg.HTTPClient, base: LiveBaseURL, api: LiveAPIURL, accounts: LiveAccountsURL}
	if cfg.Demo {
		p.base, p.api, p.accounts = DemoBaseURL, DemoAPIURL, DemoAccountsURL
	}
	if u := strings.TrimRight(cfg.APIURL, "/"); u != "" {
		p.base, p.api, p.accounts = u, u, u
	}
	if p.hc == nil {
		p.hc = &http.Client{Timeout: 20 * time.Second}
	}
	if p.cfg.ConfirmPerSecond <= 0 {
		p.cfg.ConfirmPerSecond = DefaultConfirmPerSecond
	}
	p.now = time.Now
	return p, nil
}

func (p *Provider) Name() string { return Name }

// PollsWindow: the messages API lists by event type and date, with no
// cursor to keep (payments.WindowPoller).
func (p *Provider) PollsWindow() {}

// LooksUpFees: Viva's fee (TotalFee) is in the notification only, which is
// not trusted for money, and the retrieve transaction answer has none; no
// fee events are made (the register shows gross amounts).
func (p *Provider) LooksUpFees() bool { return false }

// Fee is not available from Viva's transaction API.
func (p *Provider) Fee(context.Context, string) (finance.Money, error) {
	return finance.Money{}, fmt.Errorf("%w: viva: fees are not read", payments.ErrUnsupported)
}

// Enrich has nothing to add: a notification was checked against Viva's
// API when it arrived, and the messages API's payloads are Viva's own.
func (p *Provider) Enrich(context.Context, *finance.ProviderEvent) (bool, error) { return false, nil }

// errNotFound: Viva answered 404 (no such transaction or message).
var errNotFound = errors.New("not found at viva")

// apiError is what Viva says when it refuses (the legacy API's
// ErrorCode/ErrorText, the newer APIs' message).
type apiError struct {
	ErrorCode int    `json:"ErrorCode"`
	ErrorText string `json:"ErrorText"`
	Message   string `json:"message"`
}

func (e apiError) text() string { return cmp.Or(e.ErrorText, e.Message) }

// auth is how a request authenticates.
type auth int

const (
	basicAuth auth = iota // merchant id + API key
	bearerAuth
)

// call makes one request. 404 wraps errNotFound, other 4xx are Viva's
// refusals (ErrRejected); network errors, 429 and 5xx stay retryable. A
// bearer call answered 401 gets a fresh token and is made once more.
func (p *Provider) call(ctx context.Context, method, u string, how auth) ([]byte, error) {
	raw, code, err := p.do(ctx, method, u, how, false)
	if err == nil && code == http.StatusUnauthorized && how == bearerAuth {
		raw, code, err = p.do(ctx, method, u, how, true)
	}
	what := "viva " + u
	if pu, perr := url.Parse(u); perr == nil {
		what = "viva " + pu.Path // never the query: it may carry our keys
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if code >= 200 && code < 300 {
		return raw, nil
	}
	var ae apiError
	_ = json.Unmarshal(raw, &ae)
	why := cmp.Or(ae.text(), http.StatusText(code))
	switch {
	case code == http.StatusNotFound:
		return nil, fmt.Errorf("%s: %w: %s", what, errNotFound, why)
	case code >= 500 || code == http.StatusTooManyRequests:
		return nil, fmt.Errorf("%s: HTTP %d: %s", what, code, why)
	}
	return nil, fmt.Errorf("%w: viva: %s (HTTP %d)", payments.ErrRejected, why, code)
}

func (p *Provider) do(ctx context.Context, method, u string, how auth, freshToken bool) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, 0, err
	}
	if how == bearerAuth {
		tok, err := p.bearer(ctx, freshToken)
		if err != nil {
			return nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	} else {
		req.SetBasicAuth(p.cfg.MerchantID, p.cfg.APIKey)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return raw, resp.StatusCode, err
}

// bearer is an OAuth2 access token (client credentials), kept until a
// minute before it expires (Viva's last an hour).
func (p *Provider) bearer(ctx context.Context, fresh bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !fresh && p.token != "" && time.Now().Before(p.tokenEnd) {
		return p.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.accounts+"/connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(p.cfg.ClientID, p.cfg.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("viva token: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("viva token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			return "", fmt.Errorf("%w: viva refused the client id and secret (HTTP %d)", payments.ErrRejected, resp.StatusCode)
		}
		return "", fmt.Errorf("viva token: HTTP %d", resp.StatusCode)
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(raw, &t); err != nil || t.AccessToken == "" {
		return "", errors.New("viva token: no access_token in the answer")
	}
	p.token = t.AccessToken
	p.tokenEnd = time.Now().Add(time.Duration(max(t.ExpiresIn-60, 0)) * time.Second)
	return p.token, nil
}

// transaction is Viva's retrieve transaction answer for id.
func (p *Provider) transaction(ctx context.Context, id string) (transaction, error) {
	raw, err := p.call(ctx, http.MethodGet, p.api+"/checkout/v2/transactions/"+url.PathEscape(id), bearerAuth)
	if err != nil {
		return transaction{}, err
	}
	var t transaction
	if err := json.Unmarshal(raw, &t); err != nil {
		return transaction{}, fmt.Errorf("viva transaction %s: %w", id, err)
	}
	return t, nil
}

// VerificationKey is the merchant's webhook verification key, fetched once
// (it is static per merchant).
func (p *Provider) VerificationKey(ctx context.Context) (string, error) {
	p.mu.Lock()
	k := p.key
	p.mu.Unlock()
	if k != "" {
		return k, nil
	}
	raw, err := p.call(ctx, http.MethodGet, p.base+"/api/messages/config/token", basicAuth)
	if err != nil {
		return "", err
	}
	var r struct {
		Key string `json:"Key"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.Key == "" {
		return "", errors.New("viva verification key: no Key in the answer")
	}
	p.mu.Lock()
	p.key = r.Key
	p.mu.Unlock()
	return r.Key, nil
}

// AnswerGet is Viva's URL check: a GET on the webhook URL answered with
// {"Key": "<the merchant's verification key>"}. The key only proves the
// URL is the merchant's to Viva; it authenticates nothing paydesk takes.
func (p *Provider) AnswerGet(w http.ResponseWriter, r *http.Request) {
	k, err := p.VerificationKey(r.Context())
	if err != nil {
		http.Error(w, "verification key not available", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"Key": k})
}

// VerifyWebhook is VerifyWebhookContext without a deadline of the caller's.
func (p *Provider) VerifyWebhook(body []byte, h http.Header) (finance.ProviderEvent, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return p.VerifyWebhookContext(ctx, body, h)
}

// VerifyWebhookContext decodes a notification and trusts it only once Viva
// confirms it: the transaction is fetched by its id and must have the
// notification's amount, currency, order code and MerchantTrns (a
// reversal's parent must be of the same order). What posts is Viva's
// answer, never the body's. Anything unconfirmed wraps ErrBadSignature
// (nothing is stored; Viva resends hourly and the poller makes up).
func (p *Provider) VerifyWebhookContext(ctx context.Context, body []byte, _ http.Header) (finance.ProviderEvent, error) {
	env, err := decodeEnvelope(body)
	if err != nil {
		return finance.ProviderEvent{}, fmt.Errorf("%w: %v", finance.ErrInvalid, err)
	}
	d := &env.EventData
	if !p.mayConfirm() {
		return finance.ProviderEvent{}, fmt.Errorf("%w: more than %d notifications a second to confirm with Viva; left for Viva to resend",
			payments.ErrBadSignature, p.cfg.ConfirmPerSecond)
	}
	tx, err := p.transaction(ctx, d.TransactionID)
	if errors.Is(err, errNotFound) {
		return finance.ProviderEvent{}, fmt.Errorf("%w: Viva has no transaction %s", payments.ErrBadSignature, d.TransactionID)
	}
	if err != nil {
		return finance.ProviderEvent{}, fmt.Errorf("%w: could not confirm transaction %s with Viva: %v", payments.ErrBadSignature, d.TransactionID, err)
	}
	if why := disagree(env, tx); why != "" {
		return finance.ProviderEvent{}, fmt.Errorf("%w: transaction %s: %s", payments.ErrBadSignature, d.TransactionID, why)
	}
	if env.EventTypeID == EventReversalCreated {
		parent, err := p.transaction(ctx, str(d.ParentID))
		if err != nil {
			return finance.ProviderEvent{}, fmt.Errorf("%w: could not confirm the payment %s reversal %s names: %v",
				payments.ErrBadSignature, str(d.ParentID), d.TransactionID, err)
		}
		if parent.OrderCode != tx.OrderCode {
			return finance.ProviderEvent{}, fmt.Errorf("%w: reversal %s is not of payment %s's order",
				payments.ErrBadSignature, d.TransactionID, str(d.ParentID))
		}
	}
	// Viva's word for everything that moves money or names the booking.
	d.Amount, d.CurrencyCode, d.StatusID = tx.Amount, tx.CurrencyCode, tx.StatusID
	mt := tx.MerchantTrns
	d.MerchantTrns = &mt
	fn := tx.FullName
	d.FullName = &fn
	return event(env, body), nil
}

// mayConfirm counts one confirmation against this second's allowance.
func (p *Provider) mayConfirm() bool {
	p.confirmMu.Lock()
	defer p.confirmMu.Unlock()
	if sec := p.now().Unix(); sec != p.confirmSec {
		p.confirmSec, p.confirmUsed = sec, 0
	}
	if p.confirmUsed >= p.cfg.ConfirmPerSecond {
		return false
	}
	p.confirmUsed++
	return true
}

// disagree says how a notification differs from Viva's transaction, or "".
func disagree(env envelope, tx transaction) string {
	d := env.EventData
	if d.CurrencyCode != tx.CurrencyCode {
		return fmt.Sprintf("currency %q, Viva says %q", d.CurrencyCode, tx.CurrencyCode)
	}
	// The same number of minor units; an amount that does not read (an
	// unknown currency, too many decimals) must at least be written alike,
	// and is then flagged by event, never posted.
	cur, ok := payments.CurrencyAlphaText(string(tx.CurrencyCode))
	same := strings.TrimPrefix(d.Amount.String(), "-") == strings.TrimPrefix(tx.Amount.String(), "-")
	if ok {
		_, err1 := amountMinor(d.Amount, cur)
		_, err2 := amountMinor(tx.Amount, cur)
		same = sameAmount(d.Amount, tx.Amount, cur) || err1 != nil && err2 != nil && same
	}
	if !same {
		return fmt.Sprintf("amount %s, Viva says %s", d.Amount, tx.Amount)
	}
	if d.OrderCode == "" || d.OrderCode != tx.OrderCode {
		return fmt.Sprintf("order %q, Viva says %q", d.OrderCode, tx.OrderCode)
	}
	if str(d.MerchantTrns) != strings.TrimSpace(tx.MerchantTrns) {
		return "MerchantTrns differs from Viva's"
	}
	return ""
}

// message is one row of the webhooks messages API.
type message struct {
	MessageID   string `json:"messageId"`
	EventTypeID int    `json:"eventTypeId"`
	Created     string `json:"created"`
}

// messages lists the newest messages of an event type (at most
// messagesLookBack), newest first.
func (p *Provider) messages(ctx context.Context, eventType int) ([]message, error) {
	raw, err := p.call(ctx, http.MethodGet, p.base+"/webhooks/v1/messages?eventTypeId="+itoa(eventType), basicAuth)
	if err != nil {
		return nil, err
	}
	var ms []message
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, fmt.Errorf("viva messages: %w", err)
	}
	ms = slices.DeleteFunc(ms, func(m message) bool { return !plainID(m.MessageID) })
	slices.SortStableFunc(ms, func(a, b message) int { return parseTime(b.Created).Compare(parseTime(a.Created)) })
	return ms[:min(len(ms), messagesLookBack)], nil
}

// payload is a message's notification body, as Viva posted (or would
// post) it.
func (p *Provider) payload(ctx context.Context, id string) ([]byte, error) {
	raw, err := p.call(ctx, http.MethodGet, p.base+"/webhooks/v1/messages/"+url.PathEscape(id), basicAuth)
	if err != nil {
		return nil, err
	}
	var m struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("viva message %s: %w", id, err)
	}
	var s string
	if json.Unmarshal(m.Payload, &s) == nil {
		return []byte(s), nil // the body as a JSON string
	}
	return m.Payload, nil
}

// notifications are the decoded notifications of an event type created
// at or after since; one that does not decode is skipped (it would be
// refused as a webhook too).
func (p *Provider) notifications(ctx context.Context, eventType int, since time.Time) ([]envelope, [][]byte, error) {
	ms, err := p.messages(ctx, eventType)
	if err != nil {
		return nil, nil, err
	}
	var envs []envelope
	var raws [][]byte
	for _, m := range ms {
		if c := parseTime(m.Created); !since.IsZero() && !c.IsZero() && c.Before(since) {
			continue
		}
		raw, err := p.payload(ctx, m.MessageID)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		env, err := decodeEnvelope(raw)
		if err != nil {
			continue
		}
		envs, raws = append(envs, env), append(raws, raw)
	}
	return envs, raws, nil
}

// Poll reads the payments and reversals Viva notified in the window from
// the webhooks messages API, delivered or not, so a notification that never
// reached the desk is not lost. The payloads are Viva's own (an
// authenticated API), decoded as the webhook is; the inbox's ids make
// reading one again harmless.
func (p *Provider) Poll(ctx context.Context, _ string, since time.Time) ([]finance.ProviderEvent, string, error) {
	var out []finance.ProviderEvent
	for _, t := range []int{EventPaymentCreated, EventReversalCreated} {
		envs, raws, err := p.notifications(ctx, t, since)
		if err != nil {
			return nil, "", err
		}
		for i := range envs {
			out = append(out, event(envs[i], raws[i]))
		}
	}
	payments.SortByCreated(out)
	return out, "", nil
}

// Refund reverses o.Amount of transaction o.PaymentRef:
// DELETE /acquiring/v1/transactions/{id}?amount= (minor units) with our
// refund key as idempotencyKey, so Viva answers a resent call with the
// first refund, and as merchantTrns, so the reversal's notification and the
// messages API name it (FindRefunds, which ExecuteRefund asks first).
func (p *Provider) Refund(ctx context.Context, o payments.RefundOrder) (finance.ProviderRefund, error) {
	if o.Key == "" || !plainID(o.PaymentRef) || o.Amount <= 0 {
		return finance.ProviderRefund{}, fmt.Errorf("%w: refund needs a key, a payment and an amount", finance.ErrInvalid)
	}
	q := url.Values{"amount": {strconv.FormatInt(o.Amount, 10)}, "idempotencyKey": {o.Key}, "merchantTrns": {o.Key}}
	raw, err := p.call(ctx, http.MethodDelete, p.api+"/acquiring/v1/transactions/"+url.PathEscape(o.PaymentRef)+"?"+q.Encode(), bearerAuth)
	if errors.Is(err, errNotFound) {
		return finance.ProviderRefund{}, fmt.Errorf("%w: Viva has no transaction %s to refund", payments.ErrRejected, o.PaymentRef)
	}
	if err != nil {
		return finance.ProviderRefund{}, err
	}
	var r struct {
		TransactionID string `json:"transactionId"`
		StatusID      string `json:"statusId"`
		apiError
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return finance.ProviderRefund{}, fmt.Errorf("viva refund of %s: %w", o.PaymentRef, err)
	}
	if r.ErrorCode != 0 || r.StatusID == "E" || r.StatusID == "X" {
		return finance.ProviderRefund{}, fmt.Errorf("%w: viva refused the refund of %s: %s", payments.ErrRejected, o.PaymentRef,
			cmp.Or(r.text(), "status "+r.StatusID))
	}
	if r.TransactionID == "" {
		// Outcome unknown: resumed later, found by its key first.
		return finance.ProviderRefund{}, fmt.Errorf("viva refund of %s: no transaction id in the answer", o.PaymentRef)
	}
	return finance.ProviderRefund{ID: r.TransactionID, Amount: o.Amount, Status: refundStatus(cmp.Or(r.StatusID, "F")), Key: o.Key}, nil
}

// FindRefunds lists the reversals of a payment that Viva notified (the
// messages API's 1797 messages naming it as their parent), with our keys
// from their MerchantTrns.
func (p *Provider) FindRefunds(ctx context.Context, paymentRef string) ([]finance.ProviderRefund, error) {
	envs, _, err := p.notifications(ctx, EventReversalCreated, time.Time{})
	if err != nil {
		return nil, err
	}
	out := []finance.ProviderRefund{}
	for _, env := range envs {
		d := env.EventData
		if str(d.ParentID) != paymentRef {
			continue
		}
		cur, ok := payments.CurrencyAlphaText(string(d.CurrencyCode))
		if !ok {
			continue
		}
		amount, err := amountMinor(d.Amount, cur)
		if err != nil {
			continue
		}
		out = append(out, finance.ProviderRefund{ID: d.TransactionID, Amount: amount, Status: refundStatus(d.StatusID), Key: str(d.MerchantTrns)})
	}
	return out, nil
}
