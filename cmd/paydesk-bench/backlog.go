package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	pstripe "github.com/paydesk/paydesk/payments/stripe"
)

// measureBacklog is a desk coming back after a month offline: n booking
// payments spread over the last 30 days wait at Stripe after the event the
// desk saw last. The real Stripe provider (stripe-go, over loopback HTTP)
// pulls them through the poller, the worker fetches each payment's fee as it
// does in production, and the clock stops when the last one is applied.
func measureBacklog(ctx context.Context, books *finance.Service, n, clients int, seed int64) (time.Duration, error) {
	api := newBacklogAPI(n, clients, seed)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	prov, err := pstripe.New(pstripe.Config{SecretKey: "sk_test_paydesk_bench", BaseURL: "http://" + ln.Addr().String(),
		NoRetries: true})
	if err != nil {
		return 0, err
	}
	w := payments.NewWorker(books, prov, payments.Options{Idle: 50 * time.Millisecond, PollEvery: time.Hour})
	// The event seen last before the desk went offline.
	if err := books.SetCursor(ctx, prov.Name()+".events", api.anchor); err != nil {
		return 0, err
	}
	before, err := books.InboxStats(ctx)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = w.Run(wctx); close(done) }()
	defer func() { stop(); <-done }()
	for pulled := 0; pulled < n; {
		got, err := w.PollOnce(ctx)
		if err != nil {
			return 0, fmt.Errorf("backlog poll: %w", err)
		}
		if got == 0 {
			return 0, fmt.Errorf("backlog poll: %d of %d events pulled, then none", pulled, n)
		}
		pulled += got
		w.Wake()
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		st, err := books.InboxStats(ctx)
		if err != nil {
			return 0, err
		}
		// Each payment brings its fee as an event of its own.
		if st.Total >= before.Total+2*n && st.Pending == 0 {
			if st.Failed > before.Failed {
				return 0, fmt.Errorf("backlog: %d events failed to apply: %s", st.Failed-before.Failed, st.LastError)
			}
			return time.Since(start), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return 0, fmt.Errorf("backlog: events still pending after 10 minutes (%d pending, %d failed: %s)",
				st.Pending, st.Failed, st.LastError)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// backlogAPI is the part of Stripe's API the poller and the fee lookup use:
// GET /v1/events (newest first, paged with ending_before as stripe-go's
// iterator does for a cursor) and GET /v1/payment_intents/{id} with the
// charge's balance transaction expanded.
type backlogAPI struct {
	anchor string
	events []json.RawMessage // newest first, as Stripe lists them
	ids    map[string]int    // event id -> index in events
	fee    int64
}

func newBacklogAPI(n, clients int, seed int64) *backlogAPI {
	rng := rand.New(rand.NewSource(seed))
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	a := &backlogAPI{ids: make(map[string]int, n+1), fee: 150}
	now := time.Now()
	first := now.Add(-30 * 24 * time.Hour)
	step := 30 * 24 * time.Hour / time.Duration(n+1)
	oldestFirst := make([]json.RawMessage, 0, n+1)
	a.anchor = "evt_bl_" + run + "_anchor"
	oldestFirst = append(oldestFirst, json.RawMessage(payoutEvent(a.anchor, first)))
	for i := range n {
		c := rng.Intn(clients)
		s := services[rng.Intn(len(services)-1)]
		at := first.Add(time.Duration(i+1) * step)
		md := map[string]string{
			finance.MetaBookingID: fmt.Sprintf("bk_bl_%s_%07d", run, i), finance.MetaClientName: clientName(c),
			finance.MetaClientPhone: clientPhone(c), finance.MetaService: s.name,
			finance.MetaStartsAt:     at.Add(48 * time.Hour).UTC().Format(time.RFC3339),
			finance.MetaBookingTotal: strconv.FormatInt(s.price, 10),
		}
		id := fmt.Sprintf("evt_bl_%s_%07d", run, i)
		oldestFirst = append(oldestFirst, paymentBody(id, fmt.Sprintf("pi_bl%s%07d", run, i), s.price, at, md))
	}
	for i := len(oldestFirst) - 1; i >= 0; i-- {
		a.events = append(a.events, oldestFirst[i])
	}
	for i, raw := range a.events {
		var head struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &head)
		a.ids[head.ID] = i
	}
	return a
}

// payoutEvent is the event the desk saw last; its content is never applied
// (the cursor points at it), only its place in the list matters.
func payoutEvent(id string, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": pstripe.APIVersion,
		"created": at.Unix(), "livemode": false, "type": "balance.available",
		"data": map[string]any{"object": map[string]any{"object": "balance"}}})
	return b
}

func (a *backlogAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/events":
		a.listEvents(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payment_intents/"):
		pi := strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/")
		fmt.Fprintf(w, `{"id":%q,"object":"payment_intent","status":"succeeded","latest_charge":{"id":"ch_%s","object":"charge",`+
			`"balance_transaction":{"id":"txn_%s","object":"balance_transaction","fee":%d,"currency":"pln"}}}`, pi, pi, pi, a.fee)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"type":"invalid_request_error","message":"bench fake: no %s %s"}}`, r.Method, r.URL.Path)
	}
}

// listEvents answers one page: with ending_before, the limit events just
// newer than the cursor, still newest first (stripe-go reverses the page).
func (a *backlogAPI) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 100 {
		limit = 10
	}
	from, to := 0, 0
	switch {
	case q.Get("ending_before") != "":
		ix, ok := a.ids[q.Get("ending_before")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such event"}}`)
			return
		}
		from, to = max(0, ix-limit), ix
	case q.Get("starting_after") != "":
		ix, ok := a.ids[q.Get("starting_after")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such event"}}`)
			return
		}
		from, to = ix+1, min(len(a.events), ix+1+limit)
	default:
		from, to = 0, min(len(a.events), limit)
	}
	hasMore := from > 0
	if q.Get("ending_before") == "" {
		hasMore = to < len(a.events)
	}
	var b strings.Builder
	b.WriteString(`{"object":"list","url":"/v1/events","has_more":`)
	b.WriteString(strconv.FormatBool(hasMore))
	b.WriteString(`,"data":[`)
	for i, raw := range a.events[from:to] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(raw)
	}
	b.WriteString("]}")
	_, _ = w.Write([]byte(b.String()))
}
