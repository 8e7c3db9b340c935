package pix_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/paytest"
	"github.com/paydesk/paydesk/payments/pix"
	"github.com/paydesk/paydesk/payments/pix/pixfake"
)

func TestParseValor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"110.00", 11000, true}, {"7.89", 789, true}, {"0.01", 1, true}, {"110", 11000, true}, {"110.5", 11050, true},
		{"9999999999.99", 999999999999, true},
		{"110.000", 0, false}, {"1.001", 0, false}, {"-1.00", 0, false}, {"+1.00", 0, false}, {"1e2", 0, false},
		{"1,00", 0, false}, {" 1.00", 0, false}, {"1.00 ", 0, false}, {"", 0, false}, {".50", 0, false}, {"1.", 0, false},
		{"12345678901.00", 0, false}, {"1.2.3", 0, false}, {"NaN", 0, false}, {"1_000.00", 0, false},
	} {
		got, err := pix.ParseValor(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseValor(%q) = %d, %v; want %d (ok %t)", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if s, err := pix.FormatValor(789); err != nil || s != "7.89" {
		t.Fatalf("FormatValor(789) = %q, %v", s, err)
	}
}

// The spec's own callback examples (components/examples pixWebhook1 and
// pixWebhook2, batched as WebhookPixBody's example does; pixWebhook1 writes
// devolucoes as one object where the schema says an array).
func TestSpecCallbackExample(t *testing.T) {
	const body = `{"pix":[{"endToEndId":"E12345678202009091221kkkkkkkkkkk","txid":"c3e0e7a4e7f1469a9f782d3d4999343c",` +
		`"valor":"110.00","horario":"2020-09-09T20:15:00.358Z","infoPagador":"0123456789","devolucoes":{"id":"123ABC",` +
		`"rtrId":"D12345678202009091221abcdf098765","valor":"10.00","horario":{"solicitacao":"2020-09-09T20:15:00.358Z"},` +
		`"status":"EM_PROCESSAMENTO"}},{"endToEndId":"E87654321202009091221dfghi123456","txid":"971122d8f37211eaadc10242ac120002",` +
		`"valor":"110.00","horario":"2020-09-09T20:15:00.358Z","infoPagador":"0123456789"}]}`
	k := pixfake.NewPKI(t)
	p := pixfake.New(t, k).Provider(t)
	evs, err := p.VerifyWebhookBatch(t.Context(), []byte(body), nil, pspConn(t, k))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	pay, dev, pay2 := evs[0], evs[1], evs[2]
	if pay.ID != "pix:E12345678202009091221kkkkkkkkkkk:paid" || pay.Type != finance.EventPaymentSucceeded || pay.Amount != 11000 ||
		pay.Currency != "brl" || pay.Metadata[finance.MetaBookingID] != "c3e0e7a4e7f1469a9f782d3d4999343c" || pay.Problem != "" ||
		!pay.Created.Equal(time.Date(2020, 9, 9, 20, 15, 0, 358e6, time.UTC)) {
		t.Fatalf("payment %+v", pay)
	}
	if dev.Type != finance.EventRefundUpdated || dev.PaymentRef != pay.ObjectID || len(dev.Refunds) != 1 ||
		dev.Refunds[0] != (finance.ProviderRefund{ID: "E12345678202009091221kkkkkkkkkkk:devolucao:123ABC", Amount: 1000, Status: "pending"}) ||
		!dev.Created.After(pay.Created) {
		t.Fatalf("refund %+v", dev)
	}
	if pay2.Metadata[finance.MetaBookingID] != "971122d8f37211eaadc10242ac120002" || pay2.Amount != 11000 {
		t.Fatalf("second payment %+v", pay2)
	}
}

// pspConn is the TLS state of a call from the PSP's callback certificate.
func pspConn(t *testing.T, k *pixfake.PKI) *tls.ConnectionState {
	t.Helper()
	return &tls.ConnectionState{PeerCertificates: []*x509.Certificate{k.PSPCallback.Leaf}}
}

// desk is a BRL location with Pix on, its receiver on its own HTTPS address
// requiring the PSP's client certificate, as serve runs it.
type desk struct {
	*paytest.Desk
	f   *pixfake.API
	k   *pixfake.PKI
	url string
}

func newDesk(t *testing.T) *desk {
	k := pixfake.NewPKI(t)
	f := pixfake.New(t, k)
	d := &desk{Desk: paytest.NewDesk(t, f.Provider(t), pix.Title, "BRL", "BR"), f: f, k: k}
	// The worker is the desk's current one (Restart makes another).
	srv := pixfake.Receiver(t, k, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payments.NewServer("", payments.NewProviderReceiver(d.Worker, d.Prov)).Handler.ServeHTTP(w, r)
	}))
	d.url = srv.URL + "/webhooks/pix"
	f.AddCob("bk1reserva0000000000000000001", pixfake.Cob{Nome: "Ana Souza",
		Info: [][2]string{{"service", "Corte feminino"}, {"client_phone", "+5511987654321"}, {"Observação", "ignored"}}})
	f.Add(pixfake.Pix{E2E: pixfake.E2E(1), TxID: "bk1reserva0000000000000000001", Valor: "150.00"})
	return d
}

// post sends a callback as who; code 0 means the TLS handshake refused it.
func (d *desk) post(body []byte, who pixfake.Caller) int {
	d.T.Helper()
	resp, err := d.k.Client(who).Post(d.url, "application/json", strings.NewReader(string(body)))
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func (d *desk) mustPost(body []byte) {
	d.T.Helper()
	if code := d.post(body, pixfake.FromPSP); code != http.StatusOK {
		d.T.Fatalf("callback: HTTP %d", code)
	}
}

func TestCallbackWithoutThePSPsCertificateStoresNothing(t *testing.T) {
	d := newDesk(t)
	body := d.f.Webhook(pixfake.E2E(1))
	for name, who := range map[string]pixfake.Caller{"no client certificate": pixfake.NoCert, "another CA's": pixfake.FromOther} {
		if code := d.post(body, who); code != 0 {
			t.Errorf("%s: HTTP %d, want the handshake refused", name, code)
		}
	}
	// The same receiver mounted where TLS asks no certificate (plain HTTP,
	// or a TLS server that does not require one): the provider refuses too.
	plain := httptest.NewServer(payments.NewServer("", payments.NewProviderReceiver(d.Worker, d.Prov)).Handler)
	defer plain.Close()
	resp, err := http.Post(plain.URL+"/webhooks/pix", "application/json", strings.NewReader(string(body)))
	paytest.Must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain HTTP: HTTP %d", resp.StatusCode)
	}
	lax := httptest.NewUnstartedServer(payments.NewServer("", payments.NewProviderReceiver(d.Worker, d.Prov)).Handler)
	lax.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	lax.StartTLS()
	defer lax.Close()
	c := lax.Client()
	c.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{d.k.Other}
	resp, err = c.Post(lax.URL+"/webhooks/pix", "application/json", strings.NewReader(string(body)))
	paytest.Must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("another CA's certificate on a lax server: HTTP %d", resp.StatusCode)
	}
	if _, err := d.Prov.VerifyWebhook(body, nil); !errors.Is(err, payments.ErrBadSignature) {
		t.Errorf("VerifyWebhook: %v", err)
	}
	d.Drain()
	if n := d.Inboxed(); n != 0 {
		t.Fatalf("inbox holds %d events; want none", n)
	}
	d.Check()
}

// A batch, with a Pix repeated in it, sent twice and found again by the
// poller: the booking (client and service from its charge) posts once on
// Pix's register; the API's token is fetched once.
func TestBatchPostsOnce(t *testing.T) {
	d := newDesk(t)
	d.f.Add(pixfake.Pix{E2E: pixfake.E2E(2), TxID: "bk2reserva0000000000000000002", Valor: "80.50"})
	body := d.f.Webhook(pixfake.E2E(1), pixfake.E2E(2), pixfake.E2E(1))
	for range 2 {
		d.mustPost(body)
	}
	d.Drain()
	if _, err := d.Worker.PollProvider(d.Ctx, d.Prov); err != nil {
		t.Fatal(err)
	}
	d.Drain()
	b := d.Booking("bk1reserva0000000000000000001")
	if b.Status != finance.BookingPrepaid || b.Paid != 15000 || b.Service != "Corte feminino" || b.ClientID == 0 || b.Flag != "" {
		t.Fatalf("booking %+v", b)
	}
	c, err := d.Books.ClientView(d.Ctx, b.ClientID, finance.Page{})
	paytest.Must(t, err)
	if c.Name != "Ana Souza" || c.Phone != "+5511987654321" {
		t.Fatalf("client %+v", c)
	}
	for _, id := range []string{"bk1reserva0000000000000000001", "bk2reserva0000000000000000002"} {
		if ops := d.Ops(id); ops[finance.OpOnlinePrepayment] != 1 || len(ops) != 1 {
			t.Fatalf("%s operations %v", id, ops)
		}
	}
	// The second has no charge at the PSP: booked on its txid alone, the
	// missing client flagged for an admin.
	if b := d.Booking("bk2reserva0000000000000000002"); b.Paid != 8050 {
		t.Fatalf("booking 2 %+v", b)
	}
	if got := d.Register("pix"); got != 15000+8050 {
		t.Fatalf("pix register %d", got)
	}
	if got := d.Register("stripe"); got != 0 {
		t.Fatalf("stripe register %d", got)
	}
	if n := d.f.Tokens(); n != 1 {
		t.Fatalf("%d tokens fetched", n)
	}
	d.Check()
}

// Not JSON, or no "pix" list: refused, nothing stored. A Pix in a batch
// that cannot be read is kept flagged; the rest of the batch posts.
func TestBadBodies(t *testing.T) {
	d := newDesk(t)
	for _, b := range []string{``, `[]`, `{"pix":"x"}`, `{}`, `not json`} {
		if code := d.post([]byte(b), pixfake.FromPSP); code != http.StatusBadRequest {
			t.Errorf("%q: HTTP %d", b, code)
		}
	}
	if n := d.Inboxed(); n != 0 {
		t.Fatalf("inbox holds %d", n)
	}
	good := strings.TrimSuffix(strings.TrimPrefix(string(d.f.Webhook(pixfake.E2E(1))), `{"pix":[`), `]}`)
	body := `{"pix":[{"endToEndId":"../../webhook","valor":"1.00","horario":"2026-01-01T00:00:00Z"},` +
		`{"endToEndId":"` + pixfake.E2E(7) + `","txid":"bk7","valor":"10.001","horario":"2026-01-01T00:00:00Z"},` + good + `]}`
	d.mustPost([]byte(body))
	d.Drain()
	if ops := d.Ops("bk1reserva0000000000000000001"); ops[finance.OpOnlinePrepayment] != 1 {
		t.Fatalf("operations %v", ops)
	}
	flagged, evs := d.flagged()
	if flagged != 2 {
		t.Fatalf("%d flagged, want 2 (an unreadable Pix, three decimals): %+v", flagged, evs)
	}
	d.Check()
}

// A group event paid by two Pix of one txid: partial after the first,
// prepaid in full after the second.
func TestGroupEventPrepaidInFull(t *testing.T) {
	d := newDesk(t)
	tx := "grupoyoga00000000000000000001"
	d.f.AddCob(tx, pixfake.Cob{Nome: "Bia Lima", Info: [][2]string{{"group_event", "true"}, {"booking_total", "20000"}, {"service", "Yoga"}}})
	d.f.Add(pixfake.Pix{E2E: pixfake.E2E(3), TxID: tx, Valor: "100.00"})
	d.f.Add(pixfake.Pix{E2E: pixfake.E2E(4), TxID: tx, Valor: "100.00"})
	d.mustPost(d.f.Webhook(pixfake.E2E(3)))
	d.Drain()
	if b := d.Booking(tx); !b.GroupEvent || !strings.Contains(b.Flag, "prepaid in full") {
		t.Fatalf("half paid: %+v", b)
	}
	d.mustPost(d.f.Webhook(pixfake.E2E(4)))
	d.Drain()
	if b := d.Booking(tx); b.Paid != 20000 || strings.Contains(b.Flag, "prepaid in full") || len(b.Payers) != 2 {
		t.Fatalf("paid in full: %+v", b)
	}
	d.Check()
}

func paid(t *testing.T) *desk {
	d := newDesk(t)
	d.mustPost(d.f.Webhook(pixfake.E2E(1)))
	d.Drain()
	return d
}

const booking = "bk1reserva0000000000000000001"

// Cancel + refund: the devolução is asked for once (EM_PROCESSAMENTO),
// found settled when the refund is run again, and the PSP's later callback
// with devolucoes posts nothing more.
func TestRefundOnce(t *testing.T) {
	d := paid(t)
	r, err := d.Refund(booking, "rf-1")
	if err != nil || r.Status != finance.RefundPending {
		t.Fatalf("refund %+v, %v", r, err)
	}
	for range 2 {
		r, err = d.Refund(booking, "rf-1")
		if err != nil || r.Status != finance.RefundSucceeded {
			t.Fatalf("refund again %+v, %v", r, err)
		}
	}
	for range 2 {
		d.mustPost(d.f.Webhook(pixfake.E2E(1)))
	}
	d.Drain()
	if n := d.f.Made(); n != 1 {
		t.Fatalf("the PSP made %d devoluções", n)
	}
	if ops := d.Ops(booking); ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	if b := d.Booking(booking); b.Status != finance.BookingRefunded || b.Refunded != 15000 {
		t.Fatalf("booking %+v", b)
	}
	if got := d.Register("pix"); got != 0 {
		t.Fatalf("pix register %d", got)
	}
	d.Check()
}

// A devolução made at the PSP (its portal) arrives in a later callback of
// the Pix: posted once, also when the callback comes again.
func TestDevolucaoInALaterCallbackPostsOnce(t *testing.T) {
	d := paid(t)
	d.f.Devolve(pixfake.E2E(1), "portal1", "50.00")
	for range 3 {
		d.mustPost(d.f.Webhook(pixfake.E2E(1)))
	}
	d.Drain()
	if _, err := d.Worker.PollProvider(d.Ctx, d.Prov); err != nil {
		t.Fatal(err)
	}
	d.Drain()
	if ops := d.Ops(booking); ops[finance.OpRefund] != 1 || ops[finance.OpOnlinePrepayment] != 1 {
		t.Fatalf("operations %v", ops)
	}
	if got := d.Register("pix"); got != 10000 {
		t.Fatalf("pix register %d", got)
	}
	d.Check()
}

// The devolução refused by the PSP (4xx), and one it accepts and then
// does not make (NAO_REALIZADO): both failed, nothing posted; a new key
// afterwards refunds.
func TestRefundFails(t *testing.T) {
	d := paid(t)
	d.f.Refuse("Pix too old to return")
	r, err := d.Refund(booking, "rf-1")
	if err != nil || r.Status != finance.RefundFailed || !strings.Contains(r.Error, "too old") {
		t.Fatalf("refused: %+v, %v", r, err)
	}
	d.f.Refuse("")
	d.f.Hold(true)
	d.f.Fail("Negado por timeout")
	if r, err := d.Refund(booking, "rf-2"); err != nil || r.Status != finance.RefundPending {
		t.Fatalf("accepted: %+v, %v", r, err)
	}
	d.mustPost(d.f.Webhook(pixfake.E2E(1))) // the PSP tells NAO_REALIZADO
	d.Drain()
	r, err = d.Worker.ExecuteRefund(d.Ctx, "rf-2")
	if err != nil || r.Status != finance.RefundFailed {
		t.Fatalf("not made: %+v, %v", r, err)
	}
	if ops := d.Ops(booking); ops[finance.OpRefund] != 0 {
		t.Fatalf("operations %v", ops)
	}
	d.f.Fail("")
	d.f.Hold(false)
	if r, err := d.Refund(booking, "rf-3"); err != nil || (r.Status != finance.RefundPending && r.Status != finance.RefundSucceeded) {
		t.Fatalf("third: %+v, %v", r, err)
	}
	if r, err := d.Worker.ExecuteRefund(d.Ctx, "rf-3"); err != nil || r.Status != finance.RefundSucceeded {
		t.Fatalf("third settled: %+v, %v", r, err)
	}
	if ops := d.Ops(booking); ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	d.Check()
}

// The PUT goes through but its answer is lost; after the restart the
// devolução is read by its id and not asked for again.
func TestRefundRetriedAfterACrashPostsOnce(t *testing.T) {
	d := paid(t)
	d.f.Crash(true)
	if r, err := d.Refund(booking, "rf-1"); err == nil || r.Status != finance.RefundRequested {
		t.Fatalf("refund %+v, %v; want it saved, unconfirmed", r, err)
	}
	d.f.Crash(false)
	d.Restart(d.f.Provider(t))
	r, err := d.Worker.ExecuteRefund(d.Ctx, "rf-1")
	if err != nil || r.Status != finance.RefundSucceeded {
		t.Fatalf("after the restart: %+v, %v", r, err)
	}
	d.mustPost(d.f.Webhook(pixfake.E2E(1)))
	d.Drain()
	if n := d.f.Made(); n != 1 {
		t.Fatalf("the PSP made %d devoluções", n)
	}
	if ops := d.Ops(booking); ops[finance.OpRefund] != 1 {
		t.Fatalf("operations %v", ops)
	}
	d.Check()
}

// Pix the desk never heard of, over several pages of GET /pix: all found.
func TestPollReadsEveryPage(t *testing.T) {
	d := newDesk(t)
	for i := 10; i < 15; i++ {
		d.f.Add(pixfake.Pix{E2E: pixfake.E2E(i), TxID: "bkpoll" + strings.Repeat("0", 20) + string(rune('a'+i-10)), Valor: "10.00"})
	}
	d.f.Add(pixfake.Pix{E2E: pixfake.E2E(20), Valor: "5.00"}) // no txid: no booking's
	n, err := d.Worker.PollProvider(d.Ctx, d.Prov)
	if err != nil || n != 6 {
		t.Fatalf("poll: %d new, %v", n, err)
	}
	d.Drain()
	if got := d.Register("pix"); got != 15000+5*1000 {
		t.Fatalf("pix register %d", got)
	}
	d.Check()
}

func TestDevolucaoID(t *testing.T) {
	if got := pix.DevolucaoID("rf1"); got != "rf1" {
		t.Fatalf("a plain key: %s", got)
	}
	a, b := pix.DevolucaoID("refund-6a1f/E1234"), pix.DevolucaoID("refund-6a1f/E1235")
	if a == b || len(a) > 35 || a != pix.DevolucaoID("refund-6a1f/E1234") {
		t.Fatalf("hashed: %s %s", a, b)
	}
}

func TestSetWebhook(t *testing.T) {
	k := pixfake.NewPKI(t)
	f := pixfake.New(t, k)
	p := f.Provider(t)
	if err := p.SetWebhook(t.Context(), "salon@example.com.br", "https://salon.example.com.br:8443/webhooks"); err != nil {
		t.Fatal(err)
	}
	if got := f.WebhookURL("salon@example.com.br"); got != "https://salon.example.com.br:8443/webhooks" {
		t.Fatalf("registered %q", got)
	}
	if err := p.SetWebhook(t.Context(), "k", "http://plain"); !errors.Is(err, finance.ErrInvalid) {
		t.Fatalf("plain http: %v", err)
	}
}
