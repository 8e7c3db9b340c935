package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// Through the real binary and receiver: a signed webhook whose client name,
// service and booking id carry escape sequences and bidi overrides posts
// its money, and nothing of them reaches the CLI's output raw; a signature
// dated an hour ahead is refused as a stale one is.
func TestWebhookTextReachesTheCLIClean(t *testing.T) {
	d := newDesk(t)
	d.init()
	url := serveWebhooks(t, d).url
	event := func(id, booking, name, service string) []byte {
		md, _ := json.Marshal(map[string]string{"booking_id": booking, "client_name": name,
			"client_phone": "+380671234567", "service": service, "booking_total": "2500"})
		return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"payment_intent.succeeded","created":%d,`+
			`"api_version":"2023-10-16","data":{"object":{"id":"pi_%s","object":"payment_intent","amount":2500,`+
			`"amount_received":2500,"currency":"eur","status":"succeeded","metadata":%s}}}`, id, time.Now().Unix(), id, md))
	}
	nasty := "\x1b]0;owned\x07\x1b[2J\x1b[31mAnna\x1b[0m \u202eKoval\u202c"
	if code := signedPost(t, url, event("evt_n1", "bk_n1", nasty, "\u2066Haircut\u2069 "+strings.Repeat("z", 10000)), "whsec_cli"); code != http.StatusOK {
		t.Fatalf("signed event: HTTP %d", code)
	}
	if code := signedPost(t, url, event("evt_n2", "bk_\x1b[5mn2", "Bohdan", "Cut"), "whsec_cli"); code != http.StatusOK {
		t.Fatalf("signed event with a bad booking id: HTTP %d (kept, to fail visibly)", code)
	}

	ahead := event("evt_future", "bk_f", "Ira", "Cut")
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(ahead)))
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: ahead, Secret: "whsec_cli", Timestamp: time.Now().Add(time.Hour)})
	req.Header.Set("Stripe-Signature", sp.Header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a signature an hour ahead: HTTP %d, want 400", resp.StatusCode)
	}

	waitFor(t, "the booking", func() bool { return strings.Contains(d.run("booking", "list").out, "bk_n1") })
	for _, args := range [][]string{{"client", "list"}, {"client", "show", "1"}, {"booking", "list"},
		{"booking", "show", "bk_n1"}, {"ops"}, {"audit"}} {
		r := d.run(args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.err)
		}
		for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u202c", "\u2066", "\u2069"} {
			if strings.Contains(r.out, bad) || strings.Contains(r.err, bad) {
				t.Fatalf("%v: %q reached the terminal:\n%q", args, bad, r.out)
			}
		}
		if strings.Contains(r.out, strings.Repeat("z", 101)) {
			t.Fatalf("%v: the 10,000-character service was not cut:\n%.300s", args, r.out)
		}
	}
	if out := d.run("client", "list").out; !strings.Contains(out, "Anna Koval") {
		t.Fatalf("client list: %s", out)
	}
	if out := d.run("booking", "list").out; strings.Contains(out, "n2") {
		t.Fatalf("a booking id with an escape sequence became a booking:\n%s", out)
	}
	if out := d.run("check").out; !strings.Contains(out, "ok") {
		t.Fatalf("check: %s", out)
	}
}
