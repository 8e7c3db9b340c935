// Package stripefake is a Stripe balance for tests: the balance
// transactions a fake Stripe holds, served as GET /v1/balance_transactions
// (created[gte|gt|lte|lt], starting_after, limit, expand[]=data.source,
// newest first with has_more, as Stripe lists), the payment intents
// behind its charges as GET /v1/payment_intents/{id}, and its failed
// refunds by charge as GET /v1/refunds?charge=. The fakes of the
// payments/stripe and cmd/paydesk tests mount it beside what they fake.
// Loopback only: it is an http.Handler for httptest.
package stripefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Txn is one balance transaction, amounts in Stripe's units.
type Txn struct {
	ID       string
	Type     string // charge, refund, adjustment, payout, payout_failure, stripe_fee...
	Category string // reporting_category
	Created  int64
	Amount   int64
	Fee      int64
	Currency string
	Desc     string
	Source   map[string]any // the expanded source object (its "id" and "object" at least)
}

// Balance is a fake Stripe balance. The zero value is not ready; use New.
type Balance struct {
	mu       sync.Mutex
	txns     []Txn // oldest first
	payments map[string]map[string]any
	refunds  map[string][]map[string]any // by charge, for GET /v1/refunds?charge=
	n        int
	// Requests counts list requests (pages), for pagination tests.
	Requests int
}

// New makes an empty balance.
func New() *Balance {
	return &Balance{payments: map[string]map[string]any{}, refunds: map[string][]map[string]any{}}
}

func (b *Balance) nextID(prefix string) string {
	b.n++
	return fmt.Sprintf("%s_fake%d", prefix, b.n)
}

// Add appends a balance transaction; an empty ID gets one.
func (b *Balance) Add(t Txn) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.ID == "" {
		t.ID = b.nextID("txn")
	}
	if t.Category == "" {
		t.Category = t.Type
	}
	b.txns = append(b.txns, t)
	slices.SortStableFunc(b.txns, func(x, y Txn) int { return int(x.Created - y.Created) })
	return t.ID
}

// Charge records a succeeded payment intent pi and its charge's balance
// transaction: amount and fee in the balance's currency cur; charged is the
// charge's own amount and currency (the same, unless converted). Metadata
// is on the payment intent only, as the booking widget sets it.
func (b *Balance) Charge(pi string, at time.Time, amount, fee int64, cur string, charged int64, chargedCur string, md map[string]string) string {
	ch := "ch_" + strings.TrimPrefix(pi, "pi_")
	txn := "txn_" + strings.TrimPrefix(pi, "pi_")
	b.mu.Lock()
	b.payments[pi] = map[string]any{"id": pi, "object": "payment_intent", "amount": charged, "amount_received": charged,
		"currency": chargedCur, "status": "succeeded", "metadata": md,
		"latest_charge": map[string]any{"id": ch, "object": "charge", "amount": charged, "currency": chargedCur,
			"payment_intent": pi,
			"balance_transaction": map[string]any{"id": txn, "object": "balance_transaction", "amount": amount,
				"fee": fee, "net": amount - fee, "currency": cur}}}
	b.mu.Unlock()
	return b.Add(Txn{ID: txn, Type: "charge", Category: "charge", Created: at.Unix(), Amount: amount, Fee: fee, Currency: cur,
		Source: map[string]any{"id": ch, "object": "charge", "amount": charged, "currency": chargedCur,
			"payment_intent": pi, "metadata": map[string]string{}}})
}

// Refund records a succeeded refund of pi.
func (b *Balance) Refund(re, pi string, at time.Time, amount int64, cur string) string {
	return b.Add(Txn{Type: "refund", Category: "refund", Created: at.Unix(), Amount: -amount, Currency: cur,
		Source: map[string]any{"id": re, "object": "refund", "amount": amount, "currency": cur, "status": "succeeded",
			"payment_intent": pi, "metadata": map[string]string{}}})
}

// RefundFailure records refund re of pi failing after it left: the money
// comes back as an adjustment in reporting category refund_failure. Its
// source is the refund (source "refund"), the charge ("charge"; the refund,
// listed by charge, names this transaction as its failure_balance_transaction),
// or the charge with no refund naming it ("charge-unlinked").
func (b *Balance) RefundFailure(re, pi string, at time.Time, amount int64, cur, source string) string {
	ch := "ch_" + strings.TrimPrefix(pi, "pi_")
	refund := map[string]any{"id": re, "object": "refund", "amount": amount, "currency": cur, "status": "failed",
		"failure_reason": "expired_or_canceled_card", "payment_intent": pi, "charge": ch, "metadata": map[string]string{}}
	src := refund
	if source != "refund" {
		src = map[string]any{"id": ch, "object": "charge", "amount": amount, "currency": cur, "payment_intent": pi,
			"metadata": map[string]string{}}
	}
	id := b.Add(Txn{Type: "adjustment", Category: "refund_failure", Created: at.Unix(), Amount: amount, Currency: cur,
		Desc: "REFUND FOR FAILED REFUND", Source: src})
	if source == "charge" {
		refund["failure_balance_transaction"] = id
	}
	b.mu.Lock()
	b.refunds[ch] = append(b.refunds[ch], refund)
	b.mu.Unlock()
	return id
}

// Payout records a payout to the bank.
func (b *Balance) Payout(po string, at time.Time, amount int64, cur string) string {
	return b.Add(Txn{Type: "payout", Category: "payout", Created: at.Unix(), Amount: -amount, Currency: cur,
		Source: map[string]any{"id": po, "object": "payout", "amount": amount, "currency": cur, "status": "paid"}})
}

// Dispute records a dispute's funds withdrawal, with its dispute fee.
func (b *Balance) Dispute(dp, pi string, at time.Time, amount, fee int64, cur string) string {
	return b.Add(Txn{Type: "adjustment", Category: "dispute", Created: at.Unix(), Amount: -amount, Fee: fee, Currency: cur,
		Desc: "Chargeback withdrawal for ch_" + strings.TrimPrefix(pi, "pi_"),
		Source: map[string]any{"id": dp, "object": "dispute", "amount": amount, "currency": cur, "reason": "fraudulent",
			"status": "needs_response", "payment_intent": pi, "charge": "ch_" + strings.TrimPrefix(pi, "pi_")}})
}

// DisputeReinstated records a won dispute's funds coming back: amount in,
// and the dispute fee returned as a negative fee (feeBack > 0), as Stripe
// returns it on the reinstatement (reporting category dispute_reversal).
func (b *Balance) DisputeReinstated(dp, pi string, at time.Time, amount, feeBack int64, cur string) string {
	return b.Add(Txn{Type: "adjustment", Category: "dispute_reversal", Created: at.Unix(), Amount: amount, Fee: -feeBack, Currency: cur,
		Desc: "Chargeback reversal for ch_" + strings.TrimPrefix(pi, "pi_"),
		Source: map[string]any{"id": dp, "object": "dispute", "amount": amount, "currency": cur, "reason": "fraudulent",
			"status": "won", "payment_intent": pi, "charge": "ch_" + strings.TrimPrefix(pi, "pi_")}})
}

// Net is what the balance moved in [from, to), in Stripe's units.
func (b *Balance) Net(from, to time.Time) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var n int64
	for _, t := range b.txns {
		if t.Created >= from.Unix() && t.Created < to.Unix() {
			n += t.Amount - t.Fee
		}
	}
	return n
}

// ByDay is the balance's net movement per day in loc ("2006-01-02").
func (b *Balance) ByDay(loc *time.Location) map[string]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int64{}
	for _, t := range b.txns {
		out[time.Unix(t.Created, 0).In(loc).Format("2006-01-02")] += t.Amount - t.Fee
	}
	return out
}

// Serve answers what it fakes and reports whether it did.
func (b *Balance) Serve(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	switch {
	case r.URL.Path == "/v1/balance_transactions":
		b.list(w, r)
		return true
	case r.URL.Path == "/v1/refunds" && r.URL.Query().Get("charge") != "":
		b.mu.Lock()
		data := b.refunds[r.URL.Query().Get("charge")]
		b.mu.Unlock()
		if data == nil {
			data = []map[string]any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "url": "/v1/refunds", "has_more": false, "data": data})
		return true
	case strings.HasPrefix(r.URL.Path, "/v1/payment_intents/"):
		b.mu.Lock()
		pi, ok := b.payments[strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/")]
		b.mu.Unlock()
		if ok {
			writeJSON(w, http.StatusOK, pi)
		}
		return ok
	}
	return false
}

func (b *Balance) list(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": err.Error()}})
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.Requests++
	bound := func(k string, def int64) int64 {
		if v := r.Form.Get("created[" + k + "]"); v != "" {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
		return def
	}
	gte, lt := bound("gte", 0), bound("lt", 1<<62)
	if v := bound("gt", -1); v >= 0 {
		gte = v + 1
	}
	if v := bound("lte", -1); v >= 0 {
		lt = v + 1
	}
	expand := false
	for k, vs := range r.Form {
		if strings.HasPrefix(k, "expand") && slices.Contains(vs, "data.source") {
			expand = true
		}
	}
	limit := 10
	if v, err := strconv.Atoi(r.Form.Get("limit")); err == nil && v >= 1 && v <= 100 {
		limit = v
	}
	var match []Txn // newest first, as Stripe lists
	for i := len(b.txns) - 1; i >= 0; i-- {
		if t := b.txns[i]; t.Created >= gte && t.Created < lt {
			match = append(match, t)
		}
	}
	if after := r.Form.Get("starting_after"); after != "" {
		i := slices.IndexFunc(match, func(t Txn) bool { return t.ID == after })
		if i < 0 {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"type": "invalid_request_error",
				"code": "resource_missing", "message": "No such balance transaction: " + after}})
			return
		}
		match = match[i+1:]
	}
	more := len(match) > limit
	if more {
		match = match[:limit]
	}
	data := make([]map[string]any, 0, len(match))
	for _, t := range match {
		var src any
		if t.Source != nil {
			src = t.Source["id"]
			if expand {
				src = t.Source
			}
		}
		data = append(data, map[string]any{"id": t.ID, "object": "balance_transaction", "type": t.Type,
			"reporting_category": t.Category, "created": t.Created, "available_on": t.Created + 2*86400,
			"amount": t.Amount, "fee": t.Fee, "net": t.Amount - t.Fee, "currency": t.Currency,
			"description": t.Desc, "status": "pending", "source": src})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "url": "/v1/balance_transactions", "has_more": more, "data": data})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
