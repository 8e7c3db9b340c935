package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	pstripe "github.com/paydesk/paydesk/payments/stripe"
)

// paymentBody is a payment_intent.succeeded event as Stripe posts it (API
// version pinned by stripe-go v76), trimmed to what a real one carries
// around the fields paydesk reads.
func paymentBody(eventID, pi string, amount int64, created time.Time, md map[string]string) []byte {
	type obj struct {
		ID             string            `json:"id"`
		Object         string            `json:"object"`
		Amount         int64             `json:"amount"`
		AmountReceived int64             `json:"amount_received"`
		Currency       string            `json:"currency"`
		Status         string            `json:"status"`
		Created        int64             `json:"created"`
		LatestCharge   string            `json:"latest_charge"`
		Livemode       bool              `json:"livemode"`
		Metadata       map[string]string `json:"metadata"`
		PaymentMethod  string            `json:"payment_method"`
		PaymentTypes   []string          `json:"payment_method_types"`
	}
	ev := map[string]any{
		"id": eventID, "object": "event", "api_version": pstripe.APIVersion, "created": created.Unix(),
		"livemode": false, "pending_webhooks": 1, "type": "payment_intent.succeeded",
		"request": map[string]any{"id": nil, "idempotency_key": nil},
		"data": map[string]any{"object": obj{ID: pi, Object: "payment_intent", Amount: amount, AmountReceived: amount,
			Currency: "pln", Status: "succeeded", Created: created.Unix(), LatestCharge: "ch_" + pi[3:],
			Metadata: md, PaymentMethod: "pm_" + pi[3:], PaymentTypes: []string{"card"}}},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err) // only plain values above: cannot fail
	}
	return b
}

// webhookResult is one run of the webhook inlet under load.
type webhookResult struct {
	Events   int
	Stored   time.Duration   // first send until the last 200 (every event durably in the inbox)
	Applied  time.Duration   // first send until the last event applied to the books
	Requests []time.Duration // per request: verify + store, as a sender sees it
}

// measureWebhook posts n signed payment events from senders goroutines over
// loopback HTTP to the real receiver from package payments, with the real
// worker applying them, and times it until every one is applied.
func measureWebhook(ctx context.Context, books *finance.Service, n, senders, clients int, seed int64) (webhookResult, error) {
	const secret = "whsec_paydesk_bench"
	prov, err := pstripe.New(pstripe.Config{WebhookSecret: secret})
	if err != nil {
		return webhookResult{}, err
	}
	before, err := books.InboxStats(ctx)
	if err != nil {
		return webhookResult{}, err
	}
	w := payments.NewWorker(books, prov, payments.Options{})
	rc := payments.NewReceiver(w)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return webhookResult{}, err
	}
	srv := payments.NewServer(ln.Addr().String(), rc)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	wctx, stopWorker := context.WithCancel(ctx)
	workerDone := make(chan struct{})
	go func() { _ = w.Run(wctx); close(workerDone) }()
	defer func() { stopWorker(); <-workerDone }()

	// Sign everything first: the senders' cost is not the desk's.
	rng := rand.New(rand.NewSource(seed))
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	type req struct {
		body []byte
		sig  string
	}
	reqs := make([]req, n)
	now := time.Now()
	for i := range reqs {
		c := rng.Intn(clients)
		s := services[rng.Intn(len(services)-1)]
		id := fmt.Sprintf("evt_wh_%s_%07d", run, i)
		pi := fmt.Sprintf("pi_wh%s%07d", run, i)
		md := map[string]string{
			finance.MetaBookingID: fmt.Sprintf("bk_wh_%s_%07d", run, i), finance.MetaClientName: clientName(c),
			finance.MetaClientPhone: clientPhone(c), finance.MetaService: s.name,
			finance.MetaStartsAt:     now.Add(48 * time.Hour).UTC().Format(time.RFC3339),
			finance.MetaBookingTotal: strconv.FormatInt(s.price, 10),
		}
		body := paymentBody(id, pi, s.price, now, md)
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: now})
		reqs[i] = req{body: body, sig: sp.Header}
	}
	url := "http://" + ln.Addr().String() + rc.Path()
	client := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: senders, MaxIdleConnsPerHost: senders, DisableCompression: true}}
	defer client.CloseIdleConnections()

	res := webhookResult{Events: n, Requests: make([]time.Duration, n)}
	next := make(chan int)
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		sendErr error
	)
	start := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				err := post(ctx, client, url, reqs[i].body, reqs[i].sig)
				res.Requests[i] = time.Since(t)
				if err != nil {
					errOnce.Do(func() { sendErr = err })
				}
			}
		}()
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	res.Stored = time.Since(start)
	if sendErr != nil {
		return res, fmt.Errorf("webhook: %w", sendErr)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		st, err := books.InboxStats(ctx)
		if err != nil {
			return res, err
		}
		if st.Total >= before.Total+n && st.Pending == 0 {
			if st.Failed > before.Failed {
				return res, fmt.Errorf("webhook: %d events failed to apply: %s", st.Failed-before.Failed, st.LastError)
			}
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return res, fmt.Errorf("webhook: events still pending after 10 minutes (%d pending)", st.Pending)
		}
		time.Sleep(2 * time.Millisecond)
	}
	res.Applied = time.Since(start)
	return res, nil
}

func post(ctx context.Context, c *http.Client, url string, body []byte, sig string) error {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Stripe-Signature", sig)
	resp, err := c.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}
