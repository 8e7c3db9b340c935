package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/payments/pix"
	"github.com/paydesk/paydesk/payments/pix/pixfake"
)

// Issue 16's "done when" for Pix, through the real binary: serve's own
// mutual-TLS receiver takes a callback from the PSP's pinned certificate,
// confirmed with the PSP's API, and books the txid's prepaid booking with
// one operation on Pix's register, also when sent again (and at the path
// the PSP appends "/pix" to); a call with no certificate, another CA's, or
// another certificate of the PSP's CA is refused and stores nothing; cancel
// + refund through the fake makes one devolução however often repeated;
// the totals and `sync list` show Pix; `pix setup` registers the callback.
func TestServePixBookingRefund(t *testing.T) {
	d := newDesk(t)
	d.ok("init", "--location", "Studio Mila", "--currency", "BRL", "--locale", "en", "--timezone", "UTC", "--region", "BR")
	k := pixfake.NewPKI(t) // a test CA, the PSP's certificates and the receiver's, in t.TempDir()
	api := pixfake.New(t, k)
	const txid = "bkpix0000000000000000000001"
	e2e := pixfake.E2E(1)
	api.AddCob(txid, pixfake.Cob{Nome: "Ana Souza", Info: [][2]string{{"service", "Corte feminino"}, {"client_phone", "+5511987654321"}}})
	api.Add(pixfake.Pix{E2E: e2e, TxID: txid, Valor: "150.00"})
	// GET /pix lists nothing yet, so serve's poller cannot find the Pix
	// first: what posts is the callback.
	api.NoList(true)
	addr := freePort(t)
	setup := strings.NewReplacer(`"EUR"`, `"BRL"`, `"UA"`, `"BR"`).Replace(testConfig)
	cfg := setup + fmt.Sprintf("\n[pix]\napi_url = %q\nclient_id = %q\nclient_cert_file = %q\nclient_key_file = %q\n"+
		"api_ca_file = %q\nchave = \"loja@example.com\"\nwebhook_addr = %q\nca_file = %q\ncert_file = %q\nkey_file = %q\n"+
		"client_cert_fingerprints = [%q]\n", api.URL(), pixfake.ClientID, k.ClientCertFile, k.ClientKeyFile,
		k.PSPCAFile, addr, k.PSPCAFile, k.ReceiverCertFile, k.ReceiverKeyFile, pix.Fingerprint(k.PSPCallback.Leaf))
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d.env = append(d.env, "PIX_CLIENT_SECRET="+pixfake.ClientSecret, "PAYDESK_LOG_LEVEL=debug")

	out := d.ok("pix", "setup", "--url", "https://desk.example.com")
	if got := api.WebhookURL("loja@example.com"); got != "https://desk.example.com/webhooks" || strings.Contains(out, pixfake.ClientSecret) {
		t.Fatalf("pix setup registered %q: %s", got, out)
	}

	s := startServe(t, d, addr)
	url := "https://" + addr + "/webhooks/pix"
	body := string(api.Webhook(e2e))
	post := func(c *http.Client, path string) int {
		t.Helper()
		resp, err := c.Post(url+path, "application/json", strings.NewReader(body))
		if err != nil {
			return 0 // the handshake refused it
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	before := d.books()
	sameCA := k.Client(pixfake.FromPSP)
	if err := useCert(sameCA, k.ClientCertFile, k.ClientKeyFile); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*http.Client{"no certificate": k.Client(pixfake.NoCert),
		"another CA's": k.Client(pixfake.FromOther), "the PSP's CA, not pinned": sameCA} {
		if code := post(c, ""); code != 0 && code != http.StatusBadRequest {
			t.Fatalf("%s: HTTP %d", name, code)
		}
	}
	if resp, err := http.Post("http://"+addr+"/webhooks/pix", "application/json", strings.NewReader(body)); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("plain HTTP on the mTLS address: HTTP %d", resp.StatusCode)
		}
	}
	if after := d.books(); after != before {
		t.Fatalf("a refused callback changed the books:\n%s\n%s", before, after)
	}
	var evs []eventOut
	d.json(&evs, "sync", "list")
	if len(evs) != 0 {
		t.Fatalf("refused callbacks stored: %+v", evs)
	}
	for _, path := range []string{"", "/pix"} {
		if code := post(k.Client(pixfake.FromPSP), path); code != http.StatusOK {
			t.Fatalf("the PSP's callback at %q: HTTP %d", path, code)
		}
	}
	s.waitDone("pix:" + e2e + ":paid")
	s.stop()
	api.NoList(false)

	var ops []opOut
	d.json(&ops, "ops")
	if k := kinds(ops); k["online_prepayment"] != 1 || len(ops) != 1 {
		t.Fatalf("ops = %+v", ops)
	}
	if n, ok := registerClosing(t, d, "pix"); !ok || n != 15000 {
		t.Fatalf("pix register in totals: %d (listed %t), want 15000", n, ok)
	}
	var b struct {
		Status string `json:"status"`
		Paid   int64  `json:"paid"`
	}
	d.json(&b, "booking", "show", txid)
	if b.Status != "prepaid" || b.Paid != 15000 {
		t.Fatalf("booking = %+v", b)
	}
	d.json(&evs, "sync", "list")
	if len(evs) != 1 || evs[0].ID != "pix:"+e2e+":paid" || evs[0].Status != "applied" || evs[0].BookingID != txid {
		t.Fatalf("sync list = %+v", evs)
	}
	d.ok("check")

	d.ok("booking", "cancel", txid, "--reason", "client called")
	for range 2 {
		d.ok("refund", txid, "--reason", "client called")
	}
	if n := api.Made(); n != 1 {
		t.Fatalf("the PSP made %d devoluções, want 1", n)
	}
	d.json(&ops, "ops")
	if k := kinds(ops); k["refund"] != 1 {
		t.Fatalf("ops = %+v", ops)
	}
	if n, _ := registerClosing(t, d, "pix"); n != 0 {
		t.Fatalf("pix register after the refund: %d, want 0", n)
	}
	d.ok("check")
	if log, _ := os.ReadFile(s.logFile()); strings.Contains(string(log), pixfake.ClientSecret) {
		t.Fatal("the client secret is in the log")
	}
}

// useCert makes c present the certificate in certFile and keyFile.
func useCert(c *http.Client, certFile, keyFile string) error {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	c.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{pair}
	return nil
}
