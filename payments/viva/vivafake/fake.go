// Package vivafake is Viva's API as its documentation shows it, for tests:
// the OAuth2 token (connect/token), retrieve transaction
// (checkout/v2/transactions/{id}), cancel transaction (DELETE
// acquiring/v1/transactions/{id}?amount=&idempotencyKey=), the webhook
// verification key (api/messages/config/token) and the webhooks messages
// API (webhooks/v1/messages), over transactions held in memory, and the
// notifications Viva would post. Tests only; it listens on loopback.
package vivafake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/viva"
)

// The credentials the fake takes, and the merchant's verification key.
const (
	MerchantID      = "bdf4c6b3-c26d-4046-b5df-5c443ec39d09"
	APIKey          = "test-viva-api-key"
	ClientID        = "test.apps.vivapayments.com"
	ClientSecret    = "test-viva-client-secret"
	VerificationKey = "CB0567F3B4FCFC5141F72F7A5352004529941706"
)

// Tx is one transaction the fake holds: a payment, or a reversal of one
// (Parent set).
type Tx struct {
	Amount       int64  // minor units
	Currency     string // alpha, "EUR" unless set
	OrderCode    int64
	Status       string // F unless set
	MerchantTrns string
	FullName     string
	Phone        string
	Parent       string
	Created      time.Time
}

type msg struct {
	id, tx  string
	typ     int
	created time.Time
}

// API is the fake.
type API struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	txs       map[string]*Tx
	msgs      []msg
	idem      map[string]string // idempotencyKey -> reversal id
	n         int
	refunds   int    // reversals carried out
	retrieves int    // retrieve transaction calls
	tokens    int    // tokens issued
	refuse    string // ErrorText a refund is refused with
	crash     bool   // carry a refund out, then answer 504
	noMsgs    bool   // no webhook set up: the messages API lists nothing
}

// New starts the fake; it stops at the test's end.
func New(t testing.TB) *API {
	f := &API{t: t, txs: map[string]*Tx{}, idem: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's base, for viva.Config.APIURL (all of Viva's hosts).
func (f *API) URL() string { return f.srv.URL }

// Config is a viva.Config over the fake.
func (f *API) Config() viva.Config {
	return viva.Config{MerchantID: MerchantID, APIKey: APIKey, ClientID: ClientID, ClientSecret: ClientSecret, APIURL: f.URL()}
}

// Provider is a viva.Provider over the fake.
func (f *API) Provider(t testing.TB) *viva.Provider {
	p, err := viva.New(f.Config())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Refunds is how many reversals the fake carried out.
func (f *API) Refunds() int { f.mu.Lock(); defer f.mu.Unlock(); return f.refunds }

// Retrieves is how many transactions were fetched.
func (f *API) Retrieves() int { f.mu.Lock(); defer f.mu.Unlock(); return f.retrieves }

// Refuse makes refunds fail with why ("" to accept them again).
func (f *API) Refuse(why string) { f.mu.Lock(); defer f.mu.Unlock(); f.refuse = why }

// Crash makes refunds go through and their answers get lost (504).
func (f *API) Crash(on bool) { f.mu.Lock(); defer f.mu.Unlock(); f.crash = on }

// NoMessages: the merchant set no webhook up, so the messages API is empty.
func (f *API) NoMessages(on bool) { f.mu.Lock(); defer f.mu.Unlock(); f.noMsgs = on }

// Add holds a payment (and notes its 1796 message, as Viva does once a
// webhook is set up).
func (f *API) Add(id string, tx Tx) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.add(id, tx)
}

func (f *API) add(id string, tx Tx) {
	if tx.Currency == "" {
		tx.Currency = "EUR"
	}
	if tx.Status == "" {
		tx.Status = "F"
	}
	if tx.OrderCode == 0 {
		f.n++
		tx.OrderCode = 2271655739472600 + int64(f.n)
	}
	if tx.Created.IsZero() {
		tx.Created = time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
	}
	f.txs[id] = &tx
	typ := viva.EventPaymentCreated
	if tx.Parent != "" {
		typ = viva.EventReversalCreated
	}
	f.n++
	f.msgs = append(f.msgs, msg{id: fmt.Sprintf("5a1b7e1c-0000-4000-8000-%012d", f.n), tx: id, typ: typ, created: tx.Created})
}

func numeric(alpha string) int {
	for n := 1; n < 1000; n++ {
		if a, ok := payments.CurrencyAlpha(n); ok && strings.EqualFold(a, alpha) {
			return n
		}
	}
	return 0
}

func major(t testing.TB, minor int64, currency string, negative bool) json.Number {
	s, err := payments.MinorToMajor(minor, currency)
	if err != nil {
		t.Fatal(err)
	}
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".") // Viva writes 10, 10.5
	if s == "" {
		s = "0"
	}
	if negative {
		s = "-" + s
	}
	return json.Number(s)
}

// body is the notification Viva would post for transaction id.
func (f *API) body(id string) []byte {
	tx := f.txs[id]
	var parent, mt any
	typ := viva.EventPaymentCreated
	if tx.Parent != "" {
		parent, typ = tx.Parent, viva.EventReversalCreated
	}
	if tx.MerchantTrns != "" {
		mt = tx.MerchantTrns
	}
	data := map[string]any{"Moto": false, "Email": "", "Phone": tx.Phone, "BankId": "NET_VISA", "ParentId": parent,
		"Amount": major(f.t, tx.Amount, tx.Currency, tx.Parent != ""), "TerminalId": 90000000, "MerchantId": MerchantID,
		"OrderCode": tx.OrderCode, "StatusId": tx.Status, "FullName": tx.FullName,
		"InsDate": tx.Created.Format("2006-01-02T15:04:05.99"), "TotalFee": 0, "CardNumber": "414746XXXXXX0133",
		"TransactionId": id, "CurrencyCode": strconv.Itoa(numeric(tx.Currency)), "MerchantTrns": mt, "CustomerTrns": nil,
		"TransactionTypeId": map[bool]int{false: 5, true: 7}[tx.Parent != ""], "SourceCode": "Default"}
	b, err := json.MarshalIndent(map[string]any{"Url": "https://desk.example/webhooks/viva", "EventData": data,
		"Created": tx.Created.Format(time.RFC3339Nano), "CorrelationId": "c0ffee00-0000-4000-8000-000000000000",
		"EventTypeId": typ, "Delay": nil, "MessageId": "m-" + id, "RecipientId": MerchantID, "MessageTypeId": 512}, "", "  ")
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// Webhook is the body Viva would post for transaction id as it is now.
func (f *API) Webhook(id string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.body(id)
}

// Reversals lists the reversal ids of payment id.
func (f *API) Reversals(id string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for rid, tx := range f.txs {
		if tx.Parent == id {
			out = append(out, rid)
		}
	}
	slices.Sort(out)
	return out
}

func (f *API) serve(w http.ResponseWriter, r *http.Request) {
	answer := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	path := r.URL.Path
	if r.Method == http.MethodPost && path == "/connect/token" {
		id, secret, ok := r.BasicAuth()
		if !ok || id != ClientID || secret != ClientSecret || r.FormValue("grant_type") != "client_credentials" {
			answer(http.StatusBadRequest, map[string]string{"error": "invalid_client"})
			return
		}
		f.mu.Lock()
		f.tokens++
		tok := fmt.Sprintf("tok-%d", f.tokens)
		f.mu.Unlock()
		answer(http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3600, "token_type": "Bearer",
			"scope": "urn:viva:payments:core:api:redirectcheckout"})
		return
	}
	bearer := strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-")
	mid, key, basic := r.BasicAuth()
	basic = basic && mid == MerchantID && key == APIKey
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(path, "/checkout/v2/transactions/") && r.Method == http.MethodGet:
		if !bearer {
			answer(http.StatusUnauthorized, map[string]string{"message": "unauthorized"})
			return
		}
		f.retrieves++
		id := strings.TrimPrefix(path, "/checkout/v2/transactions/")
		tx, ok := f.txs[id]
		if !ok {
			answer(http.StatusNotFound, map[string]any{"message": "Transaction not found", "code": 404})
			return
		}
		answer(http.StatusOK, map[string]any{"email": "", "amount": major(f.t, tx.Amount, tx.Currency, tx.Parent != ""),
			"orderCode": tx.OrderCode, "statusId": tx.Status, "fullName": tx.FullName,
			"insDate": tx.Created.Format(time.RFC3339Nano), "cardNumber": "414746XXXXXX0133",
			"currencyCode": numeric(tx.Currency), "customerTrns": "", "merchantTrns": tx.MerchantTrns,
			"transactionTypeId": map[bool]int{false: 5, true: 7}[tx.Parent != ""], "recurringSupport": false,
			"totalInstallments": 0, "cardCountryCode": "GR", "cardIssuingBank": "Test Bank"})
	case strings.HasPrefix(path, "/acquiring/v1/transactions/") && r.Method == http.MethodDelete:
		if !bearer {
			answer(http.StatusUnauthorized, map[string]string{"message": "unauthorized"})
			return
		}
		f.cancel(w, r, strings.TrimPrefix(path, "/acquiring/v1/transactions/"), answer)
	case path == "/api/messages/config/token" && r.Method == http.MethodGet:
		if !basic {
			answer(http.StatusUnauthorized, map[string]string{"message": "unauthorized"})
			return
		}
		answer(http.StatusOK, map[string]string{"Key": VerificationKey})
	case path == "/webhooks/v1/messages" && r.Method == http.MethodGet:
		if !basic {
			answer(http.StatusUnauthorized, map[string]string{"message": "unauthorized"})
			return
		}
		typ, _ := strconv.Atoi(r.URL.Query().Get("eventTypeId"))
		list := []map[string]any{}
		for _, m := range f.msgs {
			if m.typ == typ && !f.noMsgs {
				list = append(list, map[string]any{"messageId": m.id, "eventTypeId": m.typ,
					"created": m.created.Format(time.RFC3339Nano), "responseStatus": 2, "statusCode": 503,
					"delivered": nil, "nextRetry": m.created.Add(time.Hour).Format(time.RFC3339Nano), "url": "https://desk.example/webhooks/viva"})
			}
		}
		answer(http.StatusOK, list)
	case strings.HasPrefix(path, "/webhooks/v1/messages/") && r.Method == http.MethodGet:
		if !basic {
			answer(http.StatusUnauthorized, map[string]string{"message": "unauthorized"})
			return
		}
		id := strings.TrimPrefix(path, "/webhooks/v1/messages/")
		i := slices.IndexFunc(f.msgs, func(m msg) bool { return m.id == id })
		if i < 0 || f.noMsgs {
			answer(http.StatusNotFound, map[string]string{"message": "message not found"})
			return
		}
		m := f.msgs[i]
		answer(http.StatusOK, map[string]any{"messageId": m.id, "eventTypeId": m.typ, "created": m.created.Format(time.RFC3339Nano),
			"responseStatus": 2, "url": "https://desk.example/webhooks/viva", "payload": string(f.body(m.tx)), "deliveries": []any{}})
	default:
		answer(http.StatusNotFound, map[string]string{"message": "no " + r.Method + " " + path})
	}
}

// cancel is DELETE /acquiring/v1/transactions/{id}: a reversal of amount
// (minor units) of the payment, once per idempotencyKey.
func (f *API) cancel(w http.ResponseWriter, r *http.Request, id string, answer func(int, any)) {
	q := r.URL.Query()
	if rid, ok := f.idem[q.Get("idempotencyKey")]; ok && q.Get("idempotencyKey") != "" {
		answer(http.StatusOK, map[string]any{"TransactionId": rid, "StatusId": "F", "ErrorCode": 0, "ErrorText": nil})
		return
	}
	tx, ok := f.txs[id]
	if !ok || tx.Parent != "" {
		answer(http.StatusNotFound, map[string]any{"ErrorCode": 404, "ErrorText": "Transaction not found"})
		return
	}
	if f.refuse != "" {
		answer(http.StatusBadRequest, map[string]any{"ErrorCode": 403, "ErrorText": f.refuse})
		return
	}
	amount, err := strconv.ParseInt(q.Get("amount"), 10, 64)
	var done int64
	for _, o := range f.txs {
		if o.Parent == id {
			done += o.Amount
		}
	}
	if err != nil || amount <= 0 || done+amount > tx.Amount || (tx.Status != "F" && tx.Status != "R") {
		answer(http.StatusBadRequest, map[string]any{"ErrorCode": 400, "ErrorText": "cannot refund " + q.Get("amount")})
		return
	}
	f.n++
	rid := fmt.Sprintf("addffca1-25d2-4739-acb4-%012d", f.n)
	f.add(rid, Tx{Amount: amount, Currency: tx.Currency, OrderCode: tx.OrderCode, MerchantTrns: q.Get("merchantTrns"),
		Parent: id, Created: time.Now().UTC().Truncate(time.Millisecond)})
	tx.Status = "R"
	f.refunds++
	if k := q.Get("idempotencyKey"); k != "" {
		f.idem[k] = rid
	}
	if f.crash {
		http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
		return
	}
	answer(http.StatusOK, map[string]any{"TransactionId": rid, "StatusId": "F", "ErrorCode": 0, "ErrorText": nil,
		"TimeStamp": time.Now().Format(time.RFC3339Nano)})
}
