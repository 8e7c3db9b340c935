package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// books is what a refused request must leave as it was: every operation and
// every register's totals, as the CLI prints them.
func (d *desk) books() string {
	d.t.Helper()
	return d.ok("ops", "--json") + d.ok("totals", "--json")
}

// TestBadInputCorpus runs testdata/bad-input.json through the real binary:
// each command is refused (or, for the one keyed case, accepted once) with
// the exit code and words given, and the books are unchanged by every
// refusal. Escape sequences typed never come back raw.
func TestBadInputCorpus(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "bad-input.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Args []string `json:"args"`
		Code int      `json:"code"`
		Msg  string   `json:"msg"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	d := newDesk(t)
	d.init()
	d.ok("client", "add", "--name", "Anna Petrenko", "--phone", "050 123 4567")
	d.ok("deposit", "--client", "1", "--amount", "20", "--register", "cash")
	for _, c := range cases {
		before := d.books()
		r := d.run(c.Args...)
		if r.code != c.Code || !strings.Contains(strings.ToLower(r.err), strings.ToLower(c.Msg)) {
			t.Errorf("paydesk %q: exit %d, stderr %q; want %d and %q", c.Args, r.code, r.err, c.Code, c.Msg)
		}
		if strings.ContainsAny(r.out+r.err, "\x1b\u202e\a") {
			t.Errorf("paydesk %q echoed control characters raw: %q", c.Args, r.out+r.err)
		}
		if c.Code != 0 && d.books() != before {
			t.Errorf("paydesk %q was refused but changed the books", c.Args)
		}
	}
	d.ok("check")
}

// TestBadWebhooks posts what an attacker or a broken proxy would to the real
// receiver under paydesk serve: bad, stale and future signatures, invalid
// JSON and wrong types with a valid signature, a body over the cap, amounts
// beyond any provider's maximum, slow and many clients. Nothing is posted,
// and a normal payment afterwards still goes through.
func TestBadWebhooks(t *testing.T) {
	d := newDesk(t)
	d.init()
	withStripe(t, d)
	addr := freePort(t)
	d.env = append(d.env, "PAYDESK_WEBHOOK_ADDR="+addr)
	d.serve()
	url := "http://" + addr + "/webhooks/stripe"
	send := func(body []byte, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if sig != "" {
			req.Header.Set("Stripe-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	sign := func(body []byte, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_cli", Timestamp: at}).Header
	}
	event := func(id, obj string) []byte {
		return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"payment_intent.succeeded","created":%d,"api_version":"2023-10-16","data":{"object":%s}}`,
			id, time.Now().Unix(), obj))
	}
	pay := func(pi string, amount string) string {
		return fmt.Sprintf(`{"id":%q,"object":"payment_intent","amount":%s,"amount_received":%s,"currency":"eur","status":"succeeded","metadata":{"booking_id":"bk_%s","client_name":"Oksana Koval","client_phone":"+380671234567"}}`,
			pi, amount, amount, pi)
	}
	good := event("evt_b1", pay("pi_b1", "2500"))
	before := d.books()
	for _, c := range []struct {
		name   string
		body   []byte
		sig    string
		status int
	}{
		{"no signature", good, "", 400},
		{"forged", good, webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: good, Secret: "whsec_other", Timestamp: time.Now()}).Header, 400},
		{"stale", good, sign(good, time.Now().Add(-time.Hour)), 400},
		{"an hour ahead", good, sign(good, time.Now().Add(time.Hour)), 400},
		{"garbage header", good, "t=abc,v1=zz", 400},
		{"invalid JSON, valid signature", []byte(`{"id":"evt_b2",`), sign([]byte(`{"id":"evt_b2",`), time.Now()), 400},
		{"wrong types, valid signature", event("evt_b3", `{"id":"pi_b3","amount":"2500","metadata":{"booking_id":7}}`), "", 400},
		{"over the cap", bytes.Repeat([]byte(" "), 1<<20), "t=1,v1=00", 413},
	} {
		sig := c.sig
		if c.name == "wrong types, valid signature" {
			sig = sign(c.body, time.Now())
		}
		if got := send(c.body, sig); got != c.status {
			t.Errorf("%s: HTTP %d, want %d", c.name, got, c.status)
		}
	}
	// Beyond any provider's maximum: stored (Stripe would only retry), flagged, never posted.
	for i, amount := range []string{"9223372036854775807", "1000000000000"} {
		b := event(fmt.Sprintf("evt_huge%d", i), pay(fmt.Sprintf("pi_huge%d", i), amount))
		if got := send(b, sign(b, time.Now())); got != 200 {
			t.Errorf("huge amount %s: HTTP %d", amount, got)
		}
	}
	// A slowloris holding connections open, and 1,000 connections at once:
	// the receiver still answers a real payment.
	var conns []net.Conn
	for range 50 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		_, _ = c.Write([]byte("POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\n"))
		conns = append(conns, c)
	}
	var wg sync.WaitGroup
	codes := make(chan int, 1000)
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
			resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	answered := 0
	for c := range codes {
		if c == 400 {
			answered++
		}
	}
	if answered < 900 {
		t.Errorf("of 1,000 concurrent unsigned posts, %d got their 400", answered)
	}
	time.Sleep(300 * time.Millisecond) // let the worker apply what was stored
	if after := d.books(); after != before {
		t.Errorf("bad webhooks changed the books:\n%s\nwas\n%s", after, before)
	}
	if got := send(good, sign(good, time.Now())); got != 200 {
		t.Fatalf("a good payment while the slow clients hang on: HTTP %d", got)
	}
	for _, c := range conns {
		c.Close()
	}
	waitFor(t, "the good payment to post", func() bool {
		var ops []opOut
		d.json(&ops, "ops")
		return kinds(ops)["online_prepayment"] == 1
	})
	d.ok("check")
}
