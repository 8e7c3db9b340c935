// Package pix is Pix, Banco Central do Brasil's instant payments, through
// a PSP's "API Pix" (bacen/pix-api openapi.yaml 2.9.0), as a
// payments.Provider. The PSP posts {"pix":[...]} batches to {webhookUrl}/pix
// over mutual TLS: the only proof of a callback is the client certificate,
// chained to the PSP's CA (there is no body signature). A Pix's txid is the
// booking; its charge (GET /cob/{txid}) names the client and the booking's
// fields. Refunds are devoluções, PUT /pix/{e2eid}/devolucao/{id} with an
// id paydesk derives from its refund key (so a resend is the same
// devolução), read back by GET on the same path; missed Pix are listed by
// GET /pix?inicio=&fim=, page by page. Every API call is OAuth2 client
// credentials over mutual TLS with the certificate the PSP issued.
// Amounts are strings of reais ("110.00"), parsed exactly into centavos.
package pix

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
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
const Name = "pix"

// Title is how the desk names it (its register's name).
const Title = "Pix"

// pageSize is how many Pix one GET /pix page asks for (the spec's default
// and at most 1000).
const pageSize = 100

// maxPages bounds one poll, so a PSP that keeps saying "more pages" cannot
// hold the poller for ever.
const maxPages = 1000

// Config says how to check callbacks and reach the PSP. The client secret
// is never logged.
type Config struct {
	// WebhookCAs is the PSP's CA: a callback's client certificate must
	// chain to it. Nil: callbacks are refused (API-only desk).
	WebhookCAs *x509.CertPool
	// PinnedFingerprints are the SHA-256 fingerprints (hex of the DER, any
	// case, colons allowed) of the PSP's callback certificates, and
	// PinnedSubjects their subjects (the CommonName or the whole subject as
	// Go writes it, "CN=...,O=..."). The CA alone would let any certificate
	// it ever issued (another of its customers' too) post Pix to this desk:
	// when a list is set the caller's certificate must be in it, when both
	// are set in both.
	PinnedFingerprints []string
	PinnedSubjects     []string
	// BaseURL is the PSP's API Pix base with its own prefix (the spec's
	// paths, /pix, /cob, /webhook, are relative to it), e.g.
	// https://pix.example.com/api/v2. Empty: no API (webhook only).
	BaseURL string
	// TokenURL is the OAuth2 token endpoint; default BaseURL's origin +
	// /oauth/token, as the spec's example.
	TokenURL     string
	ClientID     string
	ClientSecret string
	// HTTPClient carries the merchant's client certificate (ClientTLS):
	// the API Pix refuses calls without it.
	HTTPClient *http.Client
}

// Provider is Pix as a payments.Provider.
type Provider struct {
	cfg Config
	hc  *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

var (
	_ payments.Provider      = (*Provider)(nil)
	_ payments.BatchVerifier = (*Provider)(nil)
	_ payments.WindowPoller  = (*Provider)(nil)
)

// New builds the provider: callbacks need WebhookCAs, the API needs
// BaseURL, the client id and secret (and the client certificate in
// HTTPClient).
func New(cfg Config) (*Provider, error) {
	cfg.BaseURL = strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if cfg.WebhookCAs == nil && cfg.BaseURL == "" {
		return nil, fmt.Errorf("%w: Pix needs the PSP's CA (callbacks) or its API URL", finance.ErrInvalid)
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("%w: Pix api_url %q is not a URL", finance.ErrInvalid, cfg.BaseURL)
		}
		if cfg.ClientID == "" || cfg.ClientSecret == "" {
			return nil, fmt.Errorf("%w: the Pix API needs the client id and secret", finance.ErrInvalid)
		}
		if cfg.TokenURL == "" {
			cfg.TokenURL = u.Scheme + "://" + u.Host + "/oauth/token"
		}
	}
	for i, f := range cfg.PinnedFingerprints {
		f = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(f), ":", ""))
		if b, err := hex.DecodeString(f); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("%w: Pix client certificate fingerprint %q is not a SHA-256 in hex", finance.ErrInvalid, cfg.PinnedFingerprints[i])
		}
		cfg.PinnedFingerprints[i] = f
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	return &Provider{cfg: cfg, hc: hc}, nil
}

func (p *Provider) Name() string { return Name }

// PollsWindow: GET /pix lists by time, there is no event cursor.
func (p *Provider) PollsWindow() {}

// LooksUpFees: the API Pix reports no fee (the PSP bills them apart).
func (p *Provider) LooksUpFees() bool { return false }

func (p *Provider) api() bool { return p.cfg.BaseURL != "" }

// VerifyWebhook refuses: a Pix callback is proven by its TLS client
// certificate, which only VerifyWebhookBatch sees.
func (p *Provider) VerifyWebhook([]byte, http.Header) (finance.ProviderEvent, error) {
	return finance.ProviderEvent{}, fmt.Errorf("%w: a Pix callback is trusted only over mutual TLS", payments.ErrBadSignature)
}

// VerifyWebhookBatch checks the caller's certificate against the PSP's CA
// (the TLS server has required one already; this holds wherever the
// receiver is mounted) and decodes the batch.
func (p *Provider) VerifyWebhookBatch(_ context.Context, body []byte, _ http.Header, cs *tls.ConnectionState) ([]finance.ProviderEvent, error) {
	if err := p.verifyPeer(cs); err != nil {
		return nil, fmt.Errorf("%w: %v", payments.ErrBadSignature, err)
	}
	evs, err := decodeBatch(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", finance.ErrInvalid, err)
	}
	return evs, nil
}

func (p *Provider) verifyPeer(cs *tls.ConnectionState) error {
	if p.cfg.WebhookCAs == nil {
		return errors.New("no PSP CA configured for Pix callbacks")
	}
	if cs == nil {
		return errors.New("the call did not come over TLS")
	}
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the call carried no client certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: p.cfg.WebhookCAs, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("client certificate not from the PSP's CA: %w", err)
	}
	return p.pinned(cs.PeerCertificates[0])
}

// pinned checks the caller's certificate against the configured
// fingerprints and subjects (none configured: the CA's word is enough).
func (p *Provider) pinned(c *x509.Certificate) error {
	if len(p.cfg.PinnedFingerprints) > 0 {
		if !slices.Contains(p.cfg.PinnedFingerprints, Fingerprint(c)) {
			return errors.New("client certificate is not one of the pinned fingerprints")
		}
	}
	if len(p.cfg.PinnedSubjects) > 0 && !slices.ContainsFunc(p.cfg.PinnedSubjects, func(s string) bool {
		s = strings.TrimSpace(s)
		return s != "" && (s == c.Subject.CommonName || s == c.Subject.String())
	}) {
		return errors.New("client certificate's subject is not one of the pinned subjects")
	}
	return nil
}

// Fingerprint is a certificate's SHA-256 fingerprint as [pix]
// client_cert_fingerprints takes it (lower-case hex of the DER).
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// ---- the API

// apiError is a refusal or failure of the API (schema Problema).
type apiError struct {
	status int
	text   string
}

func (e *apiError) Error() string { return e.text }

// Unwrap: a 4xx other than 401/408/429 is a final no.
func (e *apiError) Unwrap() error {
	if e.status >= 400 && e.status < 500 && e.status != http.StatusUnauthorized &&
		e.status != http.StatusRequestTimeout && e.status != http.StatusTooManyRequests {
		return payments.ErrRejected
	}
	return nil
}

func isNotFound(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == http.StatusNotFound
}

// accessToken is the cached OAuth2 token, fetched anew when it is about to
// expire or fresh is set (the API said 401).
func (p *Provider) accessToken(ctx context.Context, fresh bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token != "" && !fresh && time.Now().Before(p.expires) {
		return p.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(url.QueryEscape(p.cfg.ClientID), url.QueryEscape(p.cfg.ClientSecret)) // RFC 6749 2.3.1
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("pix oauth token: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("pix oauth token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		// Never the body: it may echo the credentials. Never ErrRejected
		// either: wrong credentials are fixed in the config, and what waited
		// for them (a refund, a charge lookup) goes on then.
		return "", fmt.Errorf("pix oauth token: HTTP %d (check the client id, secret and certificate)", resp.StatusCode)
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(raw, &t); err != nil || t.AccessToken == "" {
		return "", errors.New("pix oauth token: no access_token in the answer")
	}
	life := time.Duration(cmp.Or(t.ExpiresIn, 300)) * time.Second
	p.token, p.expires = t.AccessToken, time.Now().Add(life-min(life/10, time.Minute))
	return p.token, nil
}

// call makes one API request with the token (fetched again once on a 401).
func (p *Provider) call(ctx context.Context, method, path string, body any) ([]byte, error) {
	if !p.api() {
		return nil, fmt.Errorf("%w: the Pix API is not configured (api_url, client id and secret)", payments.ErrUnsupported)
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	what := "pix " + method + " " + strings.SplitN(path, "?", 2)[0]
	for try := 0; ; try++ {
		tok, err := p.accessToken(ctx, try > 0)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, p.cfg.BaseURL+path, bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := p.hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && try == 0 {
			continue // the token was revoked or expired early
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return raw, nil
		}
		var pr struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(raw, &pr)
		why := cmp.Or(pr.Detail, pr.Title, http.StatusText(resp.StatusCode))
		return nil, &apiError{status: resp.StatusCode, text: fmt.Sprintf("%s: HTTP %d: %s", what, resp.StatusCode, why)}
	}
}

// getPix reads one Pix with its devoluções (GET /pix/{e2eid}).
func (p *Provider) getPix(ctx context.Context, e2eid string) (pixItem, json.RawMessage, error) {
	if !alnum(e2eid, 32, 32) {
		return pixItem{}, nil, fmt.Errorf("%w: %q is not a Pix endToEndId", finance.ErrInvalid, e2eid)
	}
	raw, err := p.call(ctx, http.MethodGet, "/pix/"+e2eid, nil)
	if err != nil {
		return pixItem{}, nil, err
	}
	var it pixItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return pixItem{}, nil, fmt.Errorf("pix %s: %w", e2eid, err)
	}
	return it, raw, nil
}

// Poll lists the Pix received in the window (GET /pix, every page) and
// gives each one's payment and refunds; the inbox's ids make asking again
// safe. Only Pix with a txid are asked for: the others are no booking's.
func (p *Provider) Poll(ctx context.Context, _ string, since time.Time) ([]finance.ProviderEvent, string, error) {
	if !p.api() {
		return nil, "", fmt.Errorf("%w: the Pix API is not configured", payments.ErrUnsupported)
	}
	q := url.Values{"inicio": {since.UTC().Format(time.RFC3339)}, "fim": {time.Now().UTC().Format(time.RFC3339)},
		"txIdPresente": {"true"}, "paginacao.itensPorPagina": {strconv.Itoa(pageSize)}}
	var out []finance.ProviderEvent
	for page := 0; page < maxPages; page++ {
		q.Set("paginacao.paginaAtual", strconv.Itoa(page))
		raw, err := p.call(ctx, http.MethodGet, "/pix?"+q.Encode(), nil)
		if err != nil {
			return nil, "", err
		}
		var res struct {
			Parametros struct {
				Paginacao struct {
					PaginaAtual         int `json:"paginaAtual"`
					QuantidadeDePaginas int `json:"quantidadeDePaginas"`
				} `json:"paginacao"`
			} `json:"parametros"`
			Pix []json.RawMessage `json:"pix"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, "", fmt.Errorf("pix list: %w", err)
		}
		for _, it := range res.Pix {
			out = append(out, itemEvents(it)...)
		}
		if pg := res.Parametros.Paginacao; len(res.Pix) == 0 || pg.PaginaAtual+1 >= pg.QuantidadeDePaginas {
			break
		}
	}
	payments.SortByCreated(out)
	return out, "", nil
}

// Enrich confirms a payment with the PSP (GET /pix/{e2eid}): a callback is
// proven by its certificate alone, so a Pix whose amount, txid or e2eid the
// PSP does not agree with is flagged, never posted. Then it reads the charge
// of its txid (GET /cob/{txid}) once, for the client's name and the
// booking's fields (a group event's total among them, so a partial
// prepayment of one is flagged). A charge the PSP does not have (a cobv,
// say) leaves the booking at its id; a PSP that cannot be reached defers
// the payment, which must not post unconfirmed or without its group flag.
func (p *Provider) Enrich(ctx context.Context, e *finance.ProviderEvent) (bool, error) {
	if e.Type != finance.EventPaymentSucceeded || e.ObjectStatus != "" || e.Problem != "" || !p.api() {
		return false, nil
	}
	if why, err := p.confirm(ctx, *e); err != nil {
		return false, err
	} else if why != "" {
		e.Problem, e.ObjectStatus = why, "not confirmed"
		return true, nil
	}
	txid := e.Metadata[finance.MetaBookingID]
	if txid == "" || !alnum(txid, 1, 35) {
		e.ObjectStatus = "confirmed"
		return true, nil
	}
	raw, err := p.call(ctx, http.MethodGet, "/cob/"+txid, nil)
	switch {
	case errors.Is(err, payments.ErrRejected):
		e.ObjectStatus = "no charge: " + err.Error()
		return true, nil
	case err != nil:
		return false, err
	}
	var c cob
	if err := json.Unmarshal(raw, &c); err != nil {
		return false, fmt.Errorf("pix charge %s: %w", txid, err)
	}
	c.metadata(e.Metadata)
	e.ObjectStatus = cmp.Or(c.Status, "charge read")
	return true, nil
}

// confirm reads the payment's Pix at the PSP: why it must not post ("" if
// the PSP agrees), or an error to try again later (the PSP unreachable).
func (p *Provider) confirm(ctx context.Context, e finance.ProviderEvent) (string, error) {
	it, _, err := p.getPix(ctx, e.PaymentRef)
	switch {
	case isNotFound(err) || errors.Is(err, finance.ErrInvalid):
		return "the PSP has no Pix " + e.PaymentRef + ": not posted (a forged or mistaken notification?)", nil
	case err != nil:
		return "", fmt.Errorf("confirming Pix %s with the PSP: %s", e.PaymentRef, err.Error())
	}
	// A valor that does not read is no agreement either: flagged, as a
	// different one is.
	n, perr := ParseValor(it.Valor)
	sameValor := perr == nil && n == e.Amount
	switch {
	case it.EndToEndID != e.PaymentRef:
		return fmt.Sprintf("the PSP answered Pix %q for %s: not posted", it.EndToEndID, e.PaymentRef), nil
	case it.TxID != e.Metadata[finance.MetaBookingID]:
		return fmt.Sprintf("Pix %s: the PSP has txid %q, the notification %q: not posted", e.PaymentRef, it.TxID,
			e.Metadata[finance.MetaBookingID]), nil
	case !sameValor:
		return fmt.Sprintf("Pix %s: the PSP has valor %q, the notification %d centavos: not posted", e.PaymentRef, it.Valor, e.Amount), nil
	}
	return "", nil
}

// DevolucaoID is the devolução id paydesk uses for a refund key: the key
// itself where the spec allows it ([a-zA-Z0-9]{1,35}), else a hash of it.
// The same key is always the same devolução, so a resend is no new refund.
func DevolucaoID(key string) string {
	if alnum(key, 1, 35) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "pd" + hex.EncodeToString(sum[:16])
}

// Refund asks for devolução DevolucaoID(o.Key) of o.Amount of Pix
// o.PaymentRef. It reads that devolução first: found (sent before a crash),
// it is not asked for again.
func (p *Provider) Refund(ctx context.Context, o payments.RefundOrder) (finance.ProviderRefund, error) {
	if o.Key == "" || o.Amount <= 0 || !alnum(o.PaymentRef, 32, 32) {
		return finance.ProviderRefund{}, fmt.Errorf("%w: a Pix refund needs a key, a Pix and an amount", finance.ErrInvalid)
	}
	if c := strings.ToUpper(o.Currency); c != "" && c != "BRL" {
		return finance.ProviderRefund{}, fmt.Errorf("%w: Pix refunds are in BRL, not %s", finance.ErrInvalid, c)
	}
	valor, err := FormatValor(o.Amount)
	if err != nil {
		return finance.ProviderRefund{}, err
	}
	path := "/pix/" + o.PaymentRef + "/devolucao/" + DevolucaoID(o.Key)
	raw, err := p.call(ctx, http.MethodGet, path, nil)
	if isNotFound(err) {
		raw, err = p.call(ctx, http.MethodPut, path, map[string]string{"valor": valor})
	}
	if err != nil {
		return finance.ProviderRefund{}, err
	}
	var d devolucao
	if err := json.Unmarshal(raw, &d); err != nil {
		return finance.ProviderRefund{}, fmt.Errorf("pix devolução of %s: %w", o.PaymentRef, err)
	}
	n, err := ParseValor(d.Valor)
	if err != nil {
		return finance.ProviderRefund{}, fmt.Errorf("pix devolução of %s: %w", o.PaymentRef, err)
	}
	out := finance.ProviderRefund{ID: refundID(o.PaymentRef, DevolucaoID(o.Key)), Amount: n, Status: refundStatus(d.Status), Key: o.Key}
	if out.Status == "failed" {
		return finance.ProviderRefund{}, fmt.Errorf("%w: the PSP did not make devolução %s: %s", payments.ErrRejected,
			out.ID, cmp.Or(d.Motivo, "NAO_REALIZADO"))
	}
	return out, nil
}

// FindRefunds lists a Pix's devoluções (GET /pix/{e2eid}). Their ids are
// DevolucaoID of paydesk's keys, which Refund reads before it sends.
func (p *Provider) FindRefunds(ctx context.Context, paymentRef string) ([]finance.ProviderRefund, error) {
	it, _, err := p.getPix(ctx, paymentRef)
	if err != nil {
		return nil, err
	}
	out := []finance.ProviderRefund{}
	for _, d := range it.Devolucoes {
		n, err := ParseValor(d.Valor)
		if err != nil {
			return nil, fmt.Errorf("pix %s devolução %s: %w", paymentRef, d.ID, err)
		}
		out = append(out, finance.ProviderRefund{ID: refundID(paymentRef, d.ID), Amount: n, Status: refundStatus(d.Status)})
	}
	return out, nil
}

// Fee: the API Pix has none to report.
func (p *Provider) Fee(context.Context, string) (finance.Money, error) {
	return finance.Money{}, fmt.Errorf("%w: the API Pix reports no fees", payments.ErrUnsupported)
}

// SetWebhook registers the callback for the Pix key chave (PUT
// /webhook/{chave}); the PSP then posts to webhookURL + "/pix".
func (p *Provider) SetWebhook(ctx context.Context, chave, webhookURL string) error {
	chave = strings.TrimSpace(chave)
	if chave == "" || len(chave) > 77 {
		return fmt.Errorf("%w: the Pix key (chave) must be 1-77 characters", finance.ErrInvalid)
	}
	u, err := url.Parse(webhookURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%w: the webhook URL must start with https://", finance.ErrInvalid)
	}
	_, err = p.call(ctx, http.MethodPut, "/webhook/"+url.PathEscape(chave), map[string]string{"webhookUrl": webhookURL})
	return err
}
