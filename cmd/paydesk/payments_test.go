package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/paydesk/paydesk/internal/stripefake"
)

// fakeStripeAPI is the little of Stripe's API the CLI uses: refunds
// (idempotent by key, listable), a payment's fee, webhook endpoints.
type fakeStripeAPI struct {
	mu      sync.Mutex
	refunds []map[string]any
	byKey   map[string]map[string]any
	// balance is Stripe's own ledger (balance transactions, and the payment
	// intents behind its charges), for reconcile.
	balance *stripefake.Balance
}

func (f *fakeStripeAPI) made() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.refunds) }

func (f *fakeStripeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = r.ParseForm()
	if f.balance.Serve(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
		if prev, ok := f.byKey[r.Header.Get("Idempotency-Key")]; ok {
			_ = enc.Encode(prev)
			return
		}
		var amount int64
		fmt.Sscan(r.PostForm.Get("amount"), &amount)
		re := map[string]any{"id": fmt.Sprintf("re_cli%d", len(f.refunds)+1), "object": "refund", "amount": amount,
			"currency": "eur", "status": "succeeded", "payment_intent": r.PostForm.Get("payment_intent"),
			"metadata": map[string]string{"paydesk_refund_key": r.PostForm.Get("metadata[paydesk_refund_key]")}}
		f.refunds = append(f.refunds, re)
		f.byKey[r.Header.Get("Idempotency-Key")] = re
		_ = enc.Encode(re)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/refunds":
		data := []map[string]any{}
		for _, re := range f.refunds {
			if re["payment_intent"] == r.Form.Get("payment_intent") {
				data = append(data, re)
			}
		}
		_ = enc.Encode(map[string]any{"object": "list", "url": "/v1/refunds", "has_more": false, "data": data})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payment_intents/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/")
		_ = enc.Encode(map[string]any{"id": id, "object": "payment_intent", "status": "succeeded", "currency": "eur",
			"latest_charge": map[string]any{"id": "ch_1", "object": "charge",
				"balance_transaction": map[string]any{"id": "txn_1", "fee": 73, "currency": "eur"}}})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/events":
		_ = enc.Encode(map[string]any{"object": "list", "url": "/v1/events", "has_more": false, "data": []any{}})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/webhook_endpoints":
		_ = enc.Encode(map[string]any{"id": "we_1", "object": "webhook_endpoint", "url": r.PostForm.Get("url"),
			"api_version": r.PostForm.Get("api_version"), "secret": "whsec_made_by_setup"})
	default:
		w.WriteHeader(http.StatusNotFound)
		_ = enc.Encode(map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": "no " + r.URL.Path}})
	}
}

func withStripe(t *testing.T, d *desk) *fakeStripeAPI {
	t.Helper()
	f := &fakeStripeAPI{byKey: map[string]map[string]any{}, balance: stripefake.New()}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	d.env = append(d.env, "STRIPE_WEBHOOK_SECRET=whsec_cli", "STRIPE_SECRET_KEY=sk_test_123",
		stripeAPIURLEnv+"="+srv.URL, "PAYDESK_LOG_LEVEL=debug")
	return f
}

// waitFor polls until cond holds: waiting on another process, not timing it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func signedPost(t *testing.T, url string, body []byte, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if secret != "" {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
		req.Header.Set("Stripe-Signature", sp.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type opOut struct {
	ID          uint64 `json:"id"`
	Kind        string `json:"kind"`
	Amount      int64  `json:"amount"`
	BookingID   string `json:"booking_id"`
	ProviderRef string `json:"provider_ref"`
}

func kinds(ops []opOut) map[string]int {
	m := map[string]int{}
	for _, o := range ops {
		m[o.Kind]++
	}
	return m
}

// Issue 4's "done when", through the real binary: with paydesk serve
// running, a signed payment_intent.succeeded becomes a prepaid booking and a
// Stripe-register operation; again, nothing changes; a forged one gets 400;
// canceling and refunding posts one refund, also when the command is repeated.
func TestServeWebhookBookingRefund(t *testing.T) {
	d := newDesk(t)
	d.init()
	api := withStripe(t, d)
	addr := freePort(t)

	serve := exec.Command(binary, "--db", d.db, "--config", d.config, "--webhook-addr", addr, "serve")
	serve.Env = d.env
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = serve.Process.Kill()
			_ = serve.Wait()
		}
	})
	waitFor(t, "serve to listen", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	pi := `{"id":"pi_cli1","object":"payment_intent","amount":2500,"amount_received":2500,"currency":"eur","status":"succeeded",` +
		`"metadata":{"booking_id":"bk_cli1","client_name":"Oksana Koval","client_phone":"+380671234567","service":"Haircut",` +
		`"starts_at":"2030-01-02T10:00:00Z","booking_total":"2500"}}`
	body := []byte(fmt.Sprintf(`{"id":"evt_cli1","object":"event","type":"payment_intent.succeeded","created":%d,`+
		`"api_version":"2023-10-16","data":{"object":%s}}`, time.Now().Unix(), pi))
	url := "http://" + addr + "/webhooks/stripe"
	for i := 0; i < 2; i++ {
		if code := signedPost(t, url, body, "whsec_cli"); code != http.StatusOK {
			t.Fatalf("signed event: HTTP %d", code)
		}
	}
	if code := signedPost(t, url, body, "whsec_forged"); code != http.StatusBadRequest {
		t.Fatalf("forged event: HTTP %d", code)
	}
	logFile := filepath.Join(d.home, "state", "paydesk", "paydesk.log")
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("log:\n%s", b)
		}
	})
	waitFor(t, "the payment and its fee to be applied", func() bool {
		b, _ := os.ReadFile(logFile)
		applied := map[string]bool{}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, `msg="event applied"`) {
				for _, f := range strings.Fields(line) {
					if id, ok := strings.CutPrefix(f, "event="); ok {
						applied[id] = true
					}
				}
			}
		}
		return applied["evt_cli1"] && applied["evt_cli1:fee"]
	})
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve did not stop cleanly: %v", err)
	}
	stopped = true

	if out := d.ok("booking", "show", "bk_cli1"); !strings.Contains(out, "starts    2030-01-02 10:00") {
		t.Errorf("booking show does not say when it starts:\n%s", out)
	}
	var ops []opOut
	d.json(&ops, "ops")
	if k := kinds(ops); k["online_prepayment"] != 1 || k["provider_fee"] != 1 || len(ops) != 2 {
		t.Fatalf("ops = %+v", ops)
	}
	var bookings []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Paid   int64  `json:"paid"`
		Left   int64  `json:"refund_left"`
	}
	d.json(&bookings, "booking", "list")
	if len(bookings) != 1 || bookings[0].ID != "bk_cli1" || bookings[0].Status != "prepaid" || bookings[0].Paid != 2500 {
		t.Fatalf("bookings = %+v", bookings)
	}

	if r := d.run("refund", "bk_cli1", "--reason", "client called"); r.code != exitRefused {
		t.Fatalf("refund of a booking not canceled: exit %d %s", r.code, r.err)
	}
	d.ok("booking", "cancel", "bk_cli1", "--reason", "client called")
	for i := 0; i < 2; i++ {
		out := d.ok("refund", "bk_cli1", "--reason", "client called")
		if !strings.Contains(out, "succeeded") {
			t.Fatalf("refund output: %s", out)
		}
	}
	if n := api.made(); n != 1 {
		t.Fatalf("Stripe got %d refunds, want 1", n)
	}
	d.json(&ops, "ops")
	if k := kinds(ops); k["refund"] != 1 {
		t.Fatalf("ops = %+v", ops)
	}
	var show struct {
		Status  string `json:"status"`
		Refunds []struct {
			Status string `json:"status"`
		} `json:"refunds"`
		Operations []opOut `json:"operations"`
	}
	d.json(&show, "booking", "show", "bk_cli1")
	if show.Status != "refunded" || len(show.Refunds) != 1 || len(show.Operations) != 3 {
		t.Fatalf("booking show = %+v", show)
	}
	if r := d.run("refund", "bk_cli1", "--to-deposit", "--reason", "again"); r.code != exitRefused ||
		!strings.Contains(r.err, "exceeds") {
		t.Fatalf("refunding more than paid: exit %d %s", r.code, r.err)
	}
	d.ok("check")
}

func TestRefundBadInput(t *testing.T) {
	d := newDesk(t)
	d.init()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"refund", "bk_1"}, exitUsage, "--reason is required"},
		{[]string{"refund", "--reason", "x"}, exitUsage, "missing argument"},
		{[]string{"refund", "bk_1", "--reason", "x", "--amount", "-5"}, exitRefused, "negative"},
		{[]string{"refund", "bk_1", "--reason", "x"}, exitRefused, "STRIPE_SECRET_KEY"},
		{[]string{"refund", "bk_nope", "--reason", "x", "--to-deposit"}, exitRefused, "not found"},
		{[]string{"booking", "show", "bk_nope"}, exitRefused, "not found"},
		{[]string{"booking", "cancel"}, exitUsage, "missing argument"},
		{[]string{"booking", "list", "--status", "lost"}, exitUsage, "--status"},
		{[]string{"stripe", "setup"}, exitUsage, "--url is required"},
		{[]string{"stripe", "setup", "--url", "https://x"}, exitRefused, "STRIPE_SECRET_KEY"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := d.run(tc.args...)
			if r.code != tc.code || !strings.Contains(r.err, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", r.code, r.err, tc.code, tc.msg)
			}
		})
	}
	if out := d.ok("booking", "list"); out != "no bookings" {
		t.Fatalf("booking list = %q", out)
	}
}

func TestStripeSetupSavesTheSecretPrivately(t *testing.T) {
	d := newDesk(t)
	d.init()
	withStripe(t, d)
	out := d.ok("stripe", "setup", "--url", "https://desk.example/webhooks/stripe")
	if strings.Contains(out, "whsec_made_by_setup") || !strings.Contains(out, "we_1") {
		t.Fatalf("setup output %q: shows the secret or not the endpoint", out)
	}
	raw, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "whsec_made_by_setup") || !strings.Contains(string(raw), "Studio Mila") {
		t.Fatalf("config after setup:\n%s", raw)
	}
	if fi, err := os.Stat(d.config); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config mode = %v, %v", fi.Mode(), err)
	}
	d.ok("booking", "list") // the rewritten config still loads
}
