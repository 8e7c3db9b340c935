package stripe_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paydesk/paydesk/internal/stripefake"
)

// fakeStripe plays the sequences stripe-mock cannot (it is stateless):
// refunds that stay created, a refund whose answer is lost, a declined
// refund, and an events list that honours ending_before.
type fakeStripe struct {
	mu         sync.Mutex
	refunds    map[string][]map[string]any // by payment intent
	byKey      map[string]map[string]any   // idempotency key -> refund
	created    int                         // refunds really made
	refundMode string                      // "", "decline", "lose-answer"
	fee        int64
	// captured, when it names a payment intent, is what it took: a refund
	// asking more than is left of it is refused as Stripe refuses it, and
	// counted in tooLarge.
	captured map[string]int64
	tooLarge int
	// noBalanceTx: payments have no balance transaction yet (it follows).
	noBalanceTx bool
	events      []json.RawMessage // oldest first
	eventIDs    []string
	eventAt     []int64
	// balance is Stripe's own ledger, when a test reconciles against it.
	balance *stripefake.Balance
}

func newFakeStripe(t *testing.T) (*fakeStripe, *httptest.Server) {
	f := &fakeStripe{refunds: map[string][]map[string]any{}, byKey: map[string]map[string]any{}, fee: 73}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeStripe) addEvent(id string, created int64, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, body)
	f.eventIDs = append(f.eventIDs, id)
	f.eventAt = append(f.eventAt, created)
}

func (f *fakeStripe) madeRefunds() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.created
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func stripeError(w http.ResponseWriter, status int, typ, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"type": typ, "code": code, "message": msg}})
}

func list(url string, data any) map[string]any {
	return map[string]any{"object": "list", "url": url, "has_more": false, "data": data}
}

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		stripeError(w, 400, "invalid_request_error", "", err.Error())
		return
	}
	if f.balance != nil && f.balance.Serve(w, r) {
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
		key := r.Header.Get("Idempotency-Key")
		if prev, ok := f.byKey[key]; ok {
			writeJSON(w, 200, prev)
			return
		}
		if f.refundMode == "decline" {
			stripeError(w, 402, "card_error", "charge_expired_for_refund", "the charge is too old to refund")
			return
		}
		pi := r.PostForm.Get("payment_intent")
		amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
		if c, ok := f.captured[pi]; ok {
			left := c
			for _, re := range f.refunds[pi] {
				left -= re["amount"].(int64)
			}
			if amount > left {
				f.tooLarge++
				stripeError(w, 400, "invalid_request_error", "amount_too_large",
					fmt.Sprintf("Refund amount (%d) is greater than unrefunded amount on charge (%d)", amount, left))
				return
			}
		}
		f.created++
		re := map[string]any{"id": fmt.Sprintf("re_fake%d", f.created), "object": "refund", "amount": amount,
			"currency": "eur", "status": "succeeded", "payment_intent": pi,
			"metadata": map[string]string{"paydesk_refund_key": r.PostForm.Get("metadata[paydesk_refund_key]"),
				"booking_id": r.PostForm.Get("metadata[booking_id]")}}
		f.refunds[pi] = append(f.refunds[pi], re)
		f.byKey[key] = re
		if f.refundMode == "lose-answer" {
			// Stripe made the refund; the desk never hears back (crash, cable).
			stripeError(w, 500, "api_error", "", "connection lost")
			return
		}
		writeJSON(w, 200, re)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/refunds":
		data := f.refunds[r.Form.Get("payment_intent")]
		if data == nil {
			data = []map[string]any{}
		}
		writeJSON(w, 200, list("/v1/refunds", data))
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payment_intents/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/")
		ch := map[string]any{"id": "ch_" + id, "object": "charge",
			"balance_transaction": map[string]any{"id": "txn_" + id, "object": "balance_transaction", "fee": f.fee, "currency": "eur"}}
		if f.noBalanceTx {
			delete(ch, "balance_transaction")
		}
		writeJSON(w, 200, map[string]any{"id": id, "object": "payment_intent", "amount": 2500, "amount_received": 2500,
			"currency": "eur", "status": "succeeded", "metadata": map[string]string{}, "latest_charge": ch})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/events":
		var out []json.RawMessage // newest first, as Stripe lists
		if eb := r.Form.Get("ending_before"); eb != "" {
			at := -1
			for i, id := range f.eventIDs {
				if id == eb {
					at = i
				}
			}
			if at < 0 {
				stripeError(w, 404, "invalid_request_error", "resource_missing", "No such event: "+eb)
				return
			}
			for i := len(f.events) - 1; i > at; i-- {
				out = append(out, f.events[i])
			}
		} else {
			gte, _ := strconv.ParseInt(r.Form.Get("created[gte]"), 10, 64)
			for i := len(f.events) - 1; i >= 0; i-- {
				if f.eventAt[i] >= gte {
					out = append(out, f.events[i])
				}
			}
		}
		if out == nil {
			out = []json.RawMessage{}
		}
		writeJSON(w, 200, list("/v1/events", out))
	default:
		stripeError(w, 404, "invalid_request_error", "resource_missing", "unknown path "+r.URL.Path)
	}
}
