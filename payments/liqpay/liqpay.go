// Package liqpay is the LiqPay (PrivatBank) payments.Provider: callbacks
// to server_url verified by their signature, refunds by the signed
// "refund" action, missed payments found by the "reports" action and read
// by "status" (liqpay.ua/documentation/en/api: callback, refund,
// information/status, information/reports).
//
// Every call and callback is a form with data = base64(JSON) and signature
// = base64(sha1(private_key + data + private_key)) (Sign).
package liqpay

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// Name is the provider's name: webhook path, register, cursor and key prefix.
const Name = "liqpay"

// Title is how the desk names it (its register's name).
const Title = "LiqPay"

// DefaultAPIURL is where every LiqPay API call goes.
const DefaultAPIURL = "https://www.liqpay.ua/api/request"

// Config says how to reach LiqPay. The private key signs and checks
// everything; it is never logged (errors carry LiqPay's words, not requests).
type Config struct {
	PublicKey  string
	PrivateKey string
	// Sandbox takes LiqPay's test payments (status "sandbox") as paid: for
	// a test desk only. Otherwise they are flagged, never posted.
	Sandbox bool
	// APIURL replaces DefaultAPIURL (tests point it at a local fake).
	APIURL string
	// HTTPClient defaults to one with a 20 s timeout.
	HTTPClient *http.Client
}

// Provider is LiqPay as a payments.Provider.
type Provider struct {
	cfg Config
	hc  *http.Client
}

var _ payments.Provider = (*Provider)(nil)

// New builds the provider; both keys are needed (the private one checks
// callbacks, the public one names the shop in calls).
func New(cfg Config) (*Provider, error) {
	cfg.PublicKey, cfg.PrivateKey = strings.TrimSpace(cfg.PublicKey), strings.TrimSpace(cfg.PrivateKey)
	if cfg.PublicKey == "" || cfg.PrivateKey == "" {
		return nil, fmt.Errorf("%w: LiqPay needs both its public and its private key", finance.ErrInvalid)
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
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

// Sign is LiqPay's signature of data: base64 of the raw 20-byte SHA-1 of
// private_key + data + private_key.
func Sign(privateKey, data string) string {
	sum := sha1.Sum([]byte(privateKey + data + privateKey))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Encode is a request's data field: base64 of its JSON.
func Encode(params map[string]any) (string, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// verify checks signature over data in constant time and decodes data's JSON.
func (p *Provider) verify(data, signature string) ([]byte, error) {
	if data == "" || signature == "" {
		return nil, fmt.Errorf("%w: no data or no signature", payments.ErrBadSignature)
	}
	want := Sign(p.cfg.PrivateKey, data)
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.TrimSpace(signature))) != 1 {
		return nil, fmt.Errorf("%w: the signature does not match the data", payments.ErrBadSignature)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("%w: data is not base64: %v", finance.ErrInvalid, err)
	}
	return raw, nil
}

// VerifyWebhook checks a callback (a form: data and signature) and decodes
// the payment it reports.
func (p *Provider) VerifyWebhook(body []byte, _ http.Header) (finance.ProviderEvent, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return finance.ProviderEvent{}, fmt.Errorf("%w: the callback is not a form: %v", payments.ErrBadSignature, err)
	}
	raw, err := p.verify(form.Get("data"), form.Get("signature"))
	if err != nil {
		return finance.ProviderEvent{}, err
	}
	pay, err := decodePayment(raw)
	if err != nil {
		return finance.ProviderEvent{}, fmt.Errorf("%w: %v", finance.ErrInvalid, err)
	}
	return p.callbackEvent(pay, raw), nil
}

// call POSTs one signed API request and decodes LiqPay's JSON answer.
// Network errors and 5xx stay retryable; an answer LiqPay gives is not.
func (p *Provider) call(ctx context.Context, params map[string]any) ([]byte, error) {
	params["version"] = 3
	params["public_key"] = p.cfg.PublicKey
	data, err := Encode(params)
	if err != nil {
		return nil, err
	}
	form := url.Values{"data": {data}, "signature": {Sign(p.cfg.PrivateKey, data)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.APIURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("liqpay %s: %w", params["action"], err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("liqpay %s: %w", params["action"], err)
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return nil, fmt.Errorf("liqpay %s: HTTP %d", params["action"], resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: liqpay %s: HTTP %d", payments.ErrRejected, params["action"], resp.StatusCode)
	}
	return raw, nil
}

// status reads one order's payment as LiqPay has it now.
func (p *Provider) status(ctx context.Context, orderID string) (payment, []byte, error) {
	raw, err := p.call(ctx, map[string]any{"action": "status", "order_id": orderID})
	if err != nil {
		return payment{}, nil, err
	}
	pay, err := decodePayment(raw)
	if err != nil {
		return payment{}, nil, fmt.Errorf("liqpay status of %s: %w", orderID, err)
	}
	if pay.Result == "error" && pay.Status == "" || pay.Status == "error" && pay.OrderID == "" {
		return payment{}, nil, fmt.Errorf("%w: liqpay status of %s: %s", payments.ErrRejected, orderID,
			cmp.Or(pay.ErrDescription, pay.ErrCode, "error"))
	}
	return pay, raw, nil
}

// Poll finds the payments LiqPay took since since ("reports": the archive
// by date) and reads each by "status", so a callback that never reached
// the desk is not lost. LiqPay has no event list, hence no cursor: the
// worker's created-time window (and the inbox's ids) make it safe to ask
// again. Each paid payment gives its payment event, and a refund event
// when some of it went back.
func (p *Provider) Poll(ctx context.Context, _ string, since time.Time) ([]finance.ProviderEvent, string, error) {
	raw, err := p.call(ctx, map[string]any{"action": "reports",
		"date_from": since.UnixMilli(), "date_to": time.Now().Add(time.Minute).UnixMilli()})
	if err != nil {
		return nil, "", err
	}
	var rep struct {
		Result         string            `json:"result"`
		ErrDescription string            `json:"err_description"`
		Data           []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, "", fmt.Errorf("liqpay reports: %w", err)
	}
	if rep.Result == "error" {
		return nil, "", fmt.Errorf("liqpay reports: %s", cmp.Or(rep.ErrDescription, "error"))
	}
	seen := map[string]bool{}
	var out []finance.ProviderEvent
	for _, row := range rep.Data {
		var r struct {
			OrderID string `json:"order_id"`
		}
		if json.Unmarshal(row, &r) != nil || r.OrderID == "" || seen[r.OrderID] {
			continue
		}
		seen[r.OrderID] = true
		pay, praw, err := p.status(ctx, r.OrderID)
		if err != nil {
			return nil, "", err
		}
		out = append(out, p.polledEvents(pay, praw)...)
	}
	payments.SortByCreated(out)
	return out, "", nil
}

// Enrich has nothing to add: a callback carries the whole payment.
func (p *Provider) Enrich(context.Context, *finance.ProviderEvent) (bool, error) { return false, nil }

// Refund sends the signed "refund" action for o.Amount of order
// o.PaymentRef. LiqPay takes no idempotency key, so the order's refunded
// total is read first: when it already covers o.RefundedBefore + o.Amount,
// the refund was sent before (a crash after the call) and is not sent again.
// The refund's id is the order's refunded total it makes
// (refundID), which a later callback reporting that total names too.
func (p *Provider) Refund(ctx context.Context, o payments.RefundOrder) (finance.ProviderRefund, error) {
	if o.Key == "" || o.PaymentRef == "" || o.Amount <= 0 {
		return finance.ProviderRefund{}, fmt.Errorf("%w: refund needs a key, a payment and an amount", finance.ErrInvalid)
	}
	pay, _, err := p.status(ctx, o.PaymentRef)
	if err != nil {
		return finance.ProviderRefund{}, err
	}
	cur := strings.ToLower(cmp.Or(pay.Currency, o.Currency))
	target := o.RefundedBefore + o.Amount
	id := refundID(o.PaymentRef, target)
	if done, err := pay.refunded(); err == nil && done >= target {
		return finance.ProviderRefund{ID: id, Amount: o.Amount, Status: "succeeded", Key: o.Key}, nil
	}
	switch pay.Status {
	case "success", "reversed":
	case "sandbox":
		if !p.cfg.Sandbox {
			return finance.ProviderRefund{}, fmt.Errorf("%w: order %s is a sandbox (test) payment", payments.ErrRejected, o.PaymentRef)
		}
	default:
		return finance.ProviderRefund{}, fmt.Errorf("%w: order %s is %q at LiqPay: nothing to refund", payments.ErrRejected,
			o.PaymentRef, pay.Status)
	}
	amount, err := payments.MinorToMajor(o.Amount, cur)
	if err != nil {
		return finance.ProviderRefund{}, fmt.Errorf("%w: %v", payments.ErrRejected, err)
	}
	raw, err := p.call(ctx, map[string]any{"action": "refund", "order_id": o.PaymentRef, "amount": json.Number(amount)})
	if err != nil {
		return finance.ProviderRefund{}, err
	}
	var res struct {
		Result         string `json:"result"`
		Status         string `json:"status"`
		ErrCode        string `json:"err_code"`
		ErrDescription string `json:"err_description"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return finance.ProviderRefund{}, fmt.Errorf("liqpay refund of %s: %w", o.PaymentRef, err)
	}
	switch {
	case res.Result == "error" || res.Status == "error" || res.Status == "failure":
		return finance.ProviderRefund{}, fmt.Errorf("%w: liqpay: %s", payments.ErrRejected,
			cmp.Or(res.ErrDescription, res.ErrCode, res.Status, "refund refused"))
	case res.Status == "reversed" || res.Status == "success":
		return finance.ProviderRefund{ID: id, Amount: o.Amount, Status: "succeeded", Key: o.Key}, nil
	default:
		// Still in progress: the next look finds it by the order's total.
		return finance.ProviderRefund{ID: id, Amount: o.Amount, Status: "pending", Key: o.Key}, nil
	}
}

// FindRefunds reports what LiqPay has refunded on an order, as one refund
// named by that total (refundID): the executor matches a refund it sent
// (whose id names the total it made) to it. Amount is the total.
func (p *Provider) FindRefunds(ctx context.Context, paymentRef string) ([]finance.ProviderRefund, error) {
	pay, _, err := p.status(ctx, paymentRef)
	if err != nil {
		return nil, err
	}
	done, err := pay.refunded()
	if err != nil {
		return nil, fmt.Errorf("%w: order %s: %v", payments.ErrRejected, paymentRef, err)
	}
	out := []finance.ProviderRefund{}
	if done > 0 {
		out = append(out, finance.ProviderRefund{ID: refundID(paymentRef, done), Amount: done, Status: "succeeded"})
	}
	return out, nil
}

// Fee is receiver_commission, what LiqPay kept, read by "status".
func (p *Provider) Fee(ctx context.Context, paymentRef string) (finance.Money, error) {
	pay, _, err := p.status(ctx, paymentRef)
	if err != nil {
		return finance.Money{}, err
	}
	switch pay.Status {
	case "success", "reversed":
	case "sandbox":
		if !p.cfg.Sandbox {
			return finance.Money{}, fmt.Errorf("%w: order %s is a sandbox payment: no fee", payments.ErrRejected, paymentRef)
		}
	default:
		return finance.Money{}, fmt.Errorf("%w: order %s is %s: no fee", payments.ErrRejected, paymentRef, pay.Status)
	}
	cur := strings.ToLower(pay.Currency)
	if pay.ReceiverCommission == "" {
		return finance.Money{Currency: cur}, nil
	}
	fee, err := payments.MajorToMinor(string(pay.ReceiverCommission), cur)
	if err != nil {
		return finance.Money{}, fmt.Errorf("%w: fee of %s: %v", payments.ErrRejected, paymentRef, err)
	}
	return finance.Money{Amount: fee, Currency: cur}, nil
}

// refundID names the refund that brings order's refunded total to total
// (minor units): the executor and a callback reporting that total agree on
// it, so the refund posts once.
func refundID(orderID string, total int64) string {
	return orderID + ":refunded:" + strconv.FormatInt(total, 10)
}

// errNotJSON is a body that is no JSON object.
var errNotJSON = errors.New("not a JSON object")

func looksJSON(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}
