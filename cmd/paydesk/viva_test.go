package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/payments/viva/vivafake"
)

// Issue 16's "done when" for Viva, through the real binary: Viva's URL
// check gets the verification key; a notification Viva confirms makes the
// prepaid booking and one operation on Viva's own register, also when sent
// again; a forged one (a transaction Viva does not have, or an amount it
// did not take) is refused and changes nothing; cancel + refund through the
// fake posts one refund, also when repeated; the totals and `sync list`
// show Viva.
func TestServeVivaBookingRefund(t *testing.T) {
	d := newDesk(t)
	d.ok("init", "--location", "Studio Mila", "--currency", "EUR", "--locale", "en", "--timezone", "UTC", "--region", "GR")
	api := vivafake.New(t)
	const tx = "997ab1e3-e6ce-45c9-970d-4d902f27ce71"
	api.Add(tx, vivafake.Tx{Amount: 4550, FullName: "Eleni Papadopoulou",
		MerchantTrns: `{"booking_id":"bk_v1","service":"Haircut","client_phone":"+306912345678"}`})
	d.env = append(d.env, "VIVA_MERCHANT_ID="+vivafake.MerchantID, "VIVA_API_KEY="+vivafake.APIKey,
		"VIVA_CLIENT_ID="+vivafake.ClientID, "VIVA_CLIENT_SECRET="+vivafake.ClientSecret,
		vivaAPIURLEnv+"="+api.URL(), "PAYDESK_LOG_LEVEL=debug")
	// The messages API lists nothing yet, so serve's poller cannot find the
	// payment first: what posts is the notification.
	api.NoMessages(true)

	s := startServe(t, d)
	url := s.url + "/webhooks/viva"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var key map[string]string
	if err := json.Unmarshal(raw, &key); err != nil || key["Key"] != vivafake.VerificationKey {
		t.Fatalf("URL check: HTTP %d %s", resp.StatusCode, raw)
	}
	body := string(api.Webhook(tx))
	before := d.books()
	for name, forged := range map[string]string{
		"no such transaction": strings.Replace(body, tx, "11111111-2222-4333-8444-555555555555", 1),
		"amount changed":      strings.Replace(body, `"Amount": 45.5`, `"Amount": 455`, 1),
	} {
		if code := postWith(t, url, forged, http.Header{"Content-Type": {"application/json"}}); code != http.StatusBadRequest {
			t.Fatalf("%s: HTTP %d", name, code)
		}
	}
	if after := d.books(); after != before {
		t.Fatalf("a forged notification changed the books:\n%s\n%s", before, after)
	}
	for range 2 {
		if code := postWith(t, url, body, http.Header{"Content-Type": {"application/json"}}); code != http.StatusOK {
			t.Fatalf("confirmed notification: HTTP %d", code)
		}
	}
	s.waitDone("viva:" + tx + ":paid")
	s.stop()
	api.NoMessages(false)

	var ops []opOut
	d.json(&ops, "ops")
	if k := kinds(ops); k["online_prepayment"] != 1 || len(ops) != 1 {
		t.Fatalf("ops = %+v", ops)
	}
	if n, ok := registerClosing(t, d, "viva"); !ok || n != 4550 {
		t.Fatalf("viva register in totals: %d (listed %t), want 4550", n, ok)
	}
	var b struct {
		Status string `json:"status"`
		Paid   int64  `json:"paid"`
	}
	d.json(&b, "booking", "show", "bk_v1")
	if b.Status != "prepaid" || b.Paid != 4550 {
		t.Fatalf("booking = %+v", b)
	}
	var evs []eventOut
	d.json(&evs, "sync", "list")
	if len(evs) != 1 || evs[0].ID != "viva:"+tx+":paid" || evs[0].Status != "applied" || evs[0].BookingID != "bk_v1" {
		t.Fatalf("sync list = %+v", evs)
	}
	d.ok("check")

	d.ok("booking", "cancel", "bk_v1", "--reason", "client called")
	for range 2 {
		if out := d.ok("refund", "bk_v1", "--reason", "client called"); !strings.Contains(out, "succeeded") {
			t.Fatalf("refund output: %s", out)
		}
	}
	if n := api.Refunds(); n != 1 {
		t.Fatalf("Viva got %d refunds, want 1", n)
	}
	d.json(&ops, "ops")
	if k := kinds(ops); k["refund"] != 1 {
		t.Fatalf("ops = %+v", ops)
	}
	if n, _ := registerClosing(t, d, "viva"); n != 0 {
		t.Fatalf("viva register after the refund: %d, want 0", n)
	}
	d.ok("check")
}
