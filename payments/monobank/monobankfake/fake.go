// Package monobankfake is Monobank's acquiring API as its documentation
// shows it, for tests: pubkey, invoice/status, invoice/cancel and
// statement over invoices held in memory, with a generated ECDSA P-256 key
// that signs the webhooks it would send (X-Sign). Tests only; it listens
// on loopback.
package monobankfake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/paydesk/paydesk/payments/monobank"
)

// Token is the X-Token the fake takes.
const Token = "test-monobank-token"

// Invoice is one invoice the fake holds.
type Invoice struct {
	Amount      int64 // kopiyky
	Ccy         int   // 980 unless set
	Status      string
	Reference   string
	Destination string
	Fee         int64
	Modified    time.Time
	Cancels     []Cancel
}

// Cancel is one refund of an invoice.
type Cancel struct {
	Status   string
	Amount   int64
	ExtRef   string
	Modified time.Time
}

// API is the fake.
type API struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	key      *ecdsa.PrivateKey
	invoices map[string]*Invoice
	fetches  int    // pubkey requests
	cancels  int    // refunds carried out
	refuse   string // errText a cancel is refused with
	crash    bool   // carry a cancel out, then answer 504
}

// New starts the fake with a fresh key; it stops at the test's end.
func New(t testing.TB) *API {
	f := &API{t: t, invoices: map[string]*Invoice{}}
	f.Rotate()
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the API's base, for monobank.Config.BaseURL.
func (f *API) URL() string { return f.srv.URL }

// Provider is a monobank.Provider over the fake.
func (f *API) Provider(t testing.TB) *monobank.Provider {
	p, err := monobank.New(monobank.Config{Token: Token, BaseURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Rotate makes a new signing key, as Monobank may.
func (f *API) Rotate() {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	f.key = k
	f.mu.Unlock()
}

// Fetches is how many times the public key was asked for.
func (f *API) Fetches() int { f.mu.Lock(); defer f.mu.Unlock(); return f.fetches }

// Cancels is how many refunds the fake carried out.
func (f *API) Cancels() int { f.mu.Lock(); defer f.mu.Unlock(); return f.cancels }

// Refuse makes cancels fail with why ("" to accept them again).
func (f *API) Refuse(why string) { f.mu.Lock(); defer f.mu.Unlock(); f.refuse = why }

// Crash makes cancels go through and their answers get lost (504).
func (f *API) Crash(on bool) { f.mu.Lock(); defer f.mu.Unlock(); f.crash = on }

// Add holds an invoice.
func (f *API) Add(id string, inv Invoice) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if inv.Ccy == 0 {
		inv.Ccy = 980
	}
	if inv.Modified.IsZero() {
		inv.Modified = time.Now().Add(-time.Minute).Truncate(time.Second)
	}
	f.invoices[id] = &inv
}

// Set changes an invoice's status, at modified.
func (f *API) Set(id, status string, modified time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invoices[id].Status, f.invoices[id].Modified = status, modified.Truncate(time.Second)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func invoiceJSON(id string, inv Invoice) map[string]any {
	cl := []map[string]any{}
	for _, c := range inv.Cancels {
		cl = append(cl, map[string]any{"status": c.Status, "amount": c.Amount, "ccy": inv.Ccy,
			"createdDate": stamp(c.Modified), "modifiedDate": stamp(c.Modified), "approvalCode": "662476",
			"rrn": "060189181768", "extRef": c.ExtRef})
	}
	m := map[string]any{"invoiceId": id, "status": inv.Status, "amount": inv.Amount, "ccy": inv.Ccy,
		"finalAmount": inv.Amount, "createdDate": stamp(inv.Modified.Add(-time.Minute)), "modifiedDate": stamp(inv.Modified),
		"reference": inv.Reference, "destination": inv.Destination, "cancelList": cl,
		"paymentInfo": map[string]any{"maskedPan": "444403******1902", "fee": inv.Fee, "paymentSystem": "visa"}}
	if inv.Status == "failure" {
		m["failureReason"] = "Card declined"
	}
	return m
}

// Webhook is the body and X-Sign Monobank would post for the invoice as it
// is now, signed with the fake's current key.
func (f *API) Webhook(id string) ([]byte, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, err := json.MarshalIndent(invoiceJSON(id, *f.invoices[id]), "", "  ")
	if err != nil {
		f.t.Fatal(err)
	}
	return body, Sign(f.t, f.key, body)
}

// SignBody is X-Sign for any body with the fake's current key.
func (f *API) SignBody(t testing.TB, body []byte) string {
	f.mu.Lock()
	k := f.key
	f.mu.Unlock()
	return Sign(t, k, body)
}

// Sign is X-Sign for body with key.
func Sign(t testing.TB, key *ecdsa.PrivateKey, body []byte) string {
	sum := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func (f *API) serve(w http.ResponseWriter, r *http.Request) {
	answer := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.Header.Get("X-Token") != Token {
		answer(http.StatusForbidden, map[string]string{"errCode": "forbidden", "errText": "forbidden"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/merchant/pubkey":
		f.fetches++
		der, err := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
		if err != nil {
			f.t.Fatal(err)
		}
		p := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		answer(http.StatusOK, map[string]string{"key": base64.StdEncoding.EncodeToString(p)})
	case r.Method == http.MethodGet && r.URL.Path == "/api/merchant/invoice/status":
		id := r.URL.Query().Get("invoiceId")
		inv, ok := f.invoices[id]
		if !ok {
			answer(http.StatusNotFound, map[string]string{"errCode": "NOT_FOUND", "errText": "invoice not found"})
			return
		}
		answer(http.StatusOK, invoiceJSON(id, *inv))
	case r.Method == http.MethodPost && r.URL.Path == "/api/merchant/invoice/cancel":
		var req struct {
			InvoiceID string `json:"invoiceId"`
			ExtRef    string `json:"extRef"`
			Amount    int64  `json:"amount"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			answer(http.StatusBadRequest, map[string]string{"errCode": "BAD_REQUEST", "errText": "bad json"})
			return
		}
		inv, ok := f.invoices[req.InvoiceID]
		if !ok {
			answer(http.StatusNotFound, map[string]string{"errCode": "NOT_FOUND", "errText": "invoice not found"})
			return
		}
		if f.refuse != "" {
			answer(http.StatusBadRequest, map[string]string{"errCode": "REFUSED", "errText": f.refuse})
			return
		}
		var done int64
		for _, c := range inv.Cancels {
			done += c.Amount
		}
		amt := req.Amount
		if amt == 0 {
			amt = inv.Amount - done
		}
		if inv.Status != "success" || amt <= 0 || done+amt > inv.Amount {
			answer(http.StatusBadRequest, map[string]string{"errCode": "BAD_AMOUNT", "errText": "cannot cancel " + strconv.FormatInt(amt, 10)})
			return
		}
		now := time.Now().Truncate(time.Second)
		inv.Cancels = append(inv.Cancels, Cancel{Status: "success", Amount: amt, ExtRef: req.ExtRef, Modified: now})
		inv.Modified = now
		if done+amt == inv.Amount {
			inv.Status = "reversed"
		}
		f.cancels++
		if f.crash {
			http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
			return
		}
		answer(http.StatusOK, map[string]string{"status": "success", "createdDate": stamp(now), "modifiedDate": stamp(now)})
	case r.Method == http.MethodGet && r.URL.Path == "/api/merchant/statement":
		from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		list := []map[string]any{}
		for id, inv := range f.invoices {
			if inv.Modified.Unix() >= from {
				list = append(list, map[string]any{"invoiceId": id, "status": inv.Status, "amount": inv.Amount,
					"ccy": inv.Ccy, "reference": inv.Reference, "date": stamp(inv.Modified)})
			}
		}
		answer(http.StatusOK, map[string]any{"list": list})
	default:
		answer(http.StatusNotFound, map[string]string{"errCode": "NOT_FOUND", "errText": "no " + r.URL.Path})
	}
}
