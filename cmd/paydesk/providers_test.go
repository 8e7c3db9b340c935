package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/payments/liqpay/liqpayfake"
	"github.com/paydesk/paydesk/payments/monobank/monobankfake"
)

func postForm(t *testing.T, url, body string) int {
	t.Helper()
	return postWith(t, url, body, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

func postWith(t *testing.T, url, body string, h http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// registerClosing is a register's closing balance in `paydesk totals`.
func registerClosing(t *testing.T, d *desk, id string) (int64, bool) {
	t.Helper()
	var tot totalsOut
	d.json(&tot, "totals")
	for _, r := range tot.Registers {
		if r.Register == id {
			return r.Closing, true
		}
	}
	return 0, false
}

// Issue 16's "done when" for LiqPay, through the real binary: a signed
// callback makes the prepaid booking and an operation on LiqPay's own
// register, once, also when sent again; a forged one is refused and
// changes nothing; cancel + refund through LiqPay's fake posts one refund,
// also when repeated; the day's totals show the register.
func TestServeLiqPayBookingRefund(t *testing.T) {
	d := newDesk(t)
	d.ok("init", "--location", "Studio Mila", "--currency", "UAH", "--locale", "en", "--timezone", "UTC", "--region", "UA")
	api := liqpayfake.New(t)
	api.Add("bk_lp1", liqpayfake.Order{PaymentID: 5001, Amount: 250000, Status: "success", Commission: 5000,
		Phone: "380671234567", First: "Oksana", Last: "Koval", Info: `{"service":"Haircut"}`})
	d.env = append(d.env, "LIQPAY_PUBLIC_KEY="+liqpayfake.PublicKey, "LIQPAY_PRIVATE_KEY="+liqpayfake.PrivateKey,
		liqpayAPIURLEnv+"="+api.URL(), "PAYDESK_LOG_LEVEL=debug")

	s := startServe(t, d)
	url := s.url + "/webhooks/liqpay"
	if code := postForm(t, url, api.Callback("bk_lp1", "forged-key")); code != http.StatusBadRequest {
		t.Fatalf("forged callback: HTTP %d", code)
	}
	if code := postForm(t, url, api.Callback("bk_lp1", "")); code != http.StatusBadRequest {
		t.Fatalf("unsigned callback: HTTP %d", code)
	}
	for range 2 {
		if code := postForm(t, url, api.Callback("bk_lp1", liqpayfake.PrivateKey)); code != http.StatusOK {
			t.Fatalf("signed callback: HTTP %d", code)
		}
	}
	s.waitDone("liqpay:5001:success", "liqpay:5001:success:fee")
	s.stop()

	var ops []opOut
	d.json(&ops, "ops")
	if k := kinds(ops); k["online_prepayment"] != 1 || k["provider_fee"] != 1 || len(ops) != 2 {
		t.Fatalf("ops = %+v", ops)
	}
	if n, ok := registerClosing(t, d, "liqpay"); !ok || n != 250000-5000 {
		t.Fatalf("liqpay register in totals: %d (listed %t), want %d", n, ok, 250000-5000)
	}
	if n, _ := registerClosing(t, d, "stripe"); n != 0 {
		t.Fatalf("stripe register %d", n)
	}
	var b struct {
		Status string `json:"status"`
		Paid   int64  `json:"paid"`
	}
	d.json(&b, "booking", "show", "bk_lp1")
	if b.Status != "prepaid" || b.Paid != 250000 {
		t.Fatalf("booking = %+v", b)
	}

	d.ok("booking", "cancel", "bk_lp1", "--reason", "client called")
	for range 2 {
		if out := d.ok("refund", "bk_lp1", "--reason", "client called"); !strings.Contains(out, "succeeded") {
			t.Fatalf("refund output: %s", out)
		}
	}
	if n := api.Refunds(); n != 1 {
		t.Fatalf("LiqPay got %d refunds, want 1", n)
	}
	d.json(&ops, "ops")
	if k := kinds(ops); k["refund"] != 1 {
		t.Fatalf("ops = %+v", ops)
	}
	if n, _ := registerClosing(t, d, "liqpay"); n != -5000 {
		t.Fatalf("liqpay register after the refund: %d, want -5000 (the fee LiqPay kept)", n)
	}
	d.ok("check")
}

// The same for Monobank acquiring: a webhook signed with X-Sign (the fake's
// key, fetched from its pubkey endpoint) posts once on Monobank's register;
// a forged one is refused; cancel + refund through invoice/cancel posts one
// refund; the totals show the register.
func TestServeMonobankBookingRefund(t *testing.T) {
	d := newDesk(t)
	d.ok("init", "--location", "Studio Mila", "--currency", "UAH", "--locale", "en", "--timezone", "UTC", "--region", "UA")
	api := monobankfake.New(t)
	api.Add("inv_cli1", monobankfake.Invoice{Amount: 180000, Status: "success", Reference: "bk_mb1", Fee: 2500,
		Destination: `{"service":"Manicure","client_name":"Oksana Koval","client_phone":"+380671234567"}`})
	d.env = append(d.env, "MONOBANK_TOKEN="+monobankfake.Token, monobankAPIURLEnv+"="+api.URL(), "PAYDESK_LOG_LEVEL=debug")

	s := startServe(t, d)
	url := s.url + "/webhooks/monobank"
	body, sig := api.Webhook("inv_cli1")
	if code := postWith(t, url, string(body), http.Header{"X-Sign": {"MEUCIQC/mVKhi8FKoayul2Mim3E2oaIOCNJk5dEXxTqbkeJSOQIgOM0hsW0qcP2H8iXy1aQYpmY0SJWEaWur7nQXlKDCFxA="}}); code != http.StatusBadRequest {
		t.Fatalf("forged webhook: HTTP %d", code)
	}
	if code := postWith(t, url, string(body), http.Header{}); code != http.StatusBadRequest {
		t.Fatalf("unsigned webhook: HTTP %d", code)
	}
	for range 2 {
		if code := postWith(t, url, string(body), http.Header{"X-Sign": {sig}}); code != http.StatusOK {
			t.Fatalf("signed webhook: HTTP %d", code)
		}
	}
	s.waitDone("monobank:inv_cli1:paid", "monobank:inv_cli1:paid:fee")
	s.stop()

	var ops []opOut
	d.json(&ops, "ops")
	if k := kinds(ops); k["online_prepayment"] != 1 || k["provider_fee"] != 1 || len(ops) != 2 {
		t.Fatalf("ops = %+v", ops)
	}
	if n, ok := registerClosing(t, d, "monobank"); !ok || n != 180000-2500 {
		t.Fatalf("monobank register in totals: %d (listed %t)", n, ok)
	}
	d.ok("booking", "cancel", "bk_mb1", "--reason", "client called")
	for range 2 {
		if out := d.ok("refund", "bk_mb1", "--reason", "client called"); !strings.Contains(out, "succeeded") {
			t.Fatalf("refund output: %s", out)
		}
	}
	if n := api.Cancels(); n != 1 {
		t.Fatalf("Monobank got %d cancels, want 1", n)
	}
	d.json(&ops, "ops")
	if k := kinds(ops); k["refund"] != 1 {
		t.Fatalf("ops = %+v", ops)
	}
	if n, _ := registerClosing(t, d, "monobank"); n != -2500 {
		t.Fatalf("monobank register after the refund: %d, want -2500 (the fee)", n)
	}
	d.ok("check")
}
