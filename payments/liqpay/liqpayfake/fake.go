// Package liqpayfake is LiqPay's API (/api/request) as its documentation
// shows it, for tests: signed forms in, JSON out; the status, refund and
// reports actions over orders held in memory, and the callbacks LiqPay
// would post. Tests only; it listens on loopback.
package liqpayfake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/liqpay"
)

// The shop's keys the fake knows: LiqPay's published example pair.
const (
	PublicKey  = "i00000000"
	PrivateKey = "a4825234f4bae72a0be04eafe9e8e2bada209255"
)

// Order is one payment the fake LiqPay holds.
type Order struct {
	PaymentID  int64
	Amount     int64 // minor units
	Currency   string
	Status     string
	Refunded   int64 // minor units
	Commission int64
	Phone      string
	First      string
	Last       string
	Info       string
	End        time.Time
}

// API is the fake. Its fields are set before use, or under its lock.
type API struct {
	srv *httptest.Server

	mu      sync.Mutex
	orders  map[string]*Order
	refunds int    // refund actions carried out
	refuse  string // err_description a refund is refused with
	crash   bool   // carry a refund out, then answer 504 (the answer is lost)
}

// New starts the fake; it stops at the test's end.
func New(t testing.TB) *API {
	f := &API{orders: map[string]*Order{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the API's address, for liqpay.Config.APIURL.
func (f *API) URL() string { return f.srv.URL + "/api/request" }

// Provider is a liqpay.Provider over the fake.
func (f *API) Provider(t testing.TB) *liqpay.Provider {
	p, err := liqpay.New(liqpay.Config{PublicKey: PublicKey, PrivateKey: PrivateKey, APIURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Refunds is how many refunds the fake carried out.
func (f *API) Refunds() int { f.mu.Lock(); defer f.mu.Unlock(); return f.refunds }

// Refuse makes refunds fail with why ("" to accept them again).
func (f *API) Refuse(why string) { f.mu.Lock(); defer f.mu.Unlock(); f.refuse = why }

// Crash makes refunds go through and their answers get lost (504).
func (f *API) Crash(on bool) { f.mu.Lock(); defer f.mu.Unlock(); f.crash = on }

// Set changes an order's status and refunded total.
func (f *API) Set(id, status string, refunded int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orders[id].Status, f.orders[id].Refunded = status, refunded
}

// Add holds a payment (UAH unless it says).
func (f *API) Add(id string, o Order) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o.Currency == "" {
		o.Currency = "UAH"
	}
	if o.End.IsZero() {
		o.End = time.Now().Add(-time.Minute)
	}
	f.orders[id] = &o
}

func major(n int64, cur string) json.Number {
	s, err := payments.MinorToMajor(n, cur)
	if err != nil {
		panic(err)
	}
	return json.Number(s)
}

// paymentJSON is an order as callbacks and "status" write it.
func paymentJSON(id string, o Order) map[string]any {
	m := map[string]any{"result": "ok", "action": "pay", "version": 3, "public_key": PublicKey, "status": o.Status,
		"order_id": id, "payment_id": o.PaymentID, "liqpay_order_id": "LQ" + id, "amount": major(o.Amount, o.Currency),
		"currency": o.Currency, "description": "booking " + id, "sender_phone": o.Phone,
		"sender_first_name": o.First, "sender_last_name": o.Last, "receiver_commission": major(o.Commission, o.Currency),
		"create_date": o.End.Add(-time.Minute).UnixMilli(), "end_date": o.End.UnixMilli()}
	if o.Info != "" {
		m["info"] = o.Info
	}
	if o.Refunded > 0 {
		m["refund_amount"] = major(o.Refunded, o.Currency)
	}
	return m
}

// Callback is the form LiqPay posts to server_url for the order as it is
// now, signed with key ("" = unsigned).
func (f *API) Callback(id, key string) string {
	f.mu.Lock()
	o := *f.orders[id]
	f.mu.Unlock()
	return signedForm(paymentJSON(id, o), key)
}

func signedForm(m map[string]any, key string) string {
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	data := base64.StdEncoding.EncodeToString(raw)
	form := url.Values{"data": {data}}
	if key != "" {
		form.Set("signature", liqpay.Sign(key, data))
	}
	return form.Encode()
}

func (f *API) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/request" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	data, sig := r.PostForm.Get("data"), r.PostForm.Get("signature")
	answer := func(m map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(m)
	}
	if liqpay.Sign(PrivateKey, data) != sig {
		answer(map[string]any{"result": "error", "status": "error", "err_code": "err_signature", "err_description": "Invalid signature"})
		return
	}
	raw, _ := base64.StdEncoding.DecodeString(data)
	var req map[string]any
	if err := json.Unmarshal(raw, &req); err != nil || req["public_key"] != PublicKey || req["version"] != 3.0 {
		answer(map[string]any{"result": "error", "status": "error", "err_code": "err_request", "err_description": "bad request"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	action, _ := req["action"].(string)
	id, _ := req["order_id"].(string)
	switch action {
	case "status":
		o, ok := f.orders[id]
		if !ok {
			answer(map[string]any{"result": "error", "status": "error", "err_code": "payment_not_found", "err_description": "payment not found"})
			return
		}
		answer(paymentJSON(id, *o))
	case "refund":
		o, ok := f.orders[id]
		if !ok {
			answer(map[string]any{"result": "error", "status": "error", "err_code": "payment_not_found", "err_description": "payment not found"})
			return
		}
		if f.refuse != "" {
			answer(map[string]any{"result": "error", "status": "error", "err_code": "refund_refused", "err_description": f.refuse})
			return
		}
		amt := o.Amount - o.Refunded
		if v, ok := req["amount"].(float64); ok {
			n, err := payments.MajorToMinor(strconv.FormatFloat(v, 'f', -1, 64), o.Currency)
			if err != nil || n <= 0 || n > o.Amount-o.Refunded {
				answer(map[string]any{"result": "error", "status": "error", "err_code": "amount", "err_description": "wrong amount"})
				return
			}
			amt = n
		}
		o.Refunded += amt
		if o.Refunded == o.Amount {
			o.Status = "reversed"
		}
		o.End = time.Now()
		f.refunds++
		if f.crash {
			http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
			return
		}
		answer(map[string]any{"result": "ok", "action": "refund", "status": "reversed", "order_id": id, "payment_id": o.PaymentID})
	case "reports":
		from, _ := req["date_from"].(float64)
		to, _ := req["date_to"].(float64)
		var rows []map[string]any
		for oid, o := range f.orders {
			if ms := float64(o.End.UnixMilli()); ms >= from && ms <= to {
				rows = append(rows, paymentJSON(oid, *o))
			}
		}
		answer(map[string]any{"result": "ok", "data": rows})
	default:
		answer(map[string]any{"result": "error", "status": "error", "err_code": "action", "err_description": "unknown action"})
	}
}
