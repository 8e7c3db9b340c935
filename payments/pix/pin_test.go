package pix_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/paytest"
	"github.com/paydesk/paydesk/payments/pix"
	"github.com/paydesk/paydesk/payments/pix/pixfake"
)

// The PSP's CA signs certificates for others than its callback sender (the
// merchant's own API certificate here): with pins set, only the pinned
// certificate (by fingerprint and/or subject) is taken.
func TestPinnedClientCertificate(t *testing.T) {
	k := pixfake.NewPKI(t)
	body := []byte(`{"pix":[]}`)
	pool, err := pix.LoadPool(k.PSPCAFile)
	paytest.Must(t, err)
	psp := k.PSPCallback.Leaf
	pair, err := tls.LoadX509KeyPair(k.ClientCertFile, k.ClientKeyFile)
	paytest.Must(t, err)
	sameCA, err := x509.ParseCertificate(pair.Certificate[0])
	paytest.Must(t, err)
	for _, tc := range []struct {
		name           string
		fps, subjects  []string
		pspOK, otherOK bool
	}{
		{"no pins: any certificate of the CA", nil, nil, true, true},
		{"the PSP's fingerprint (upper case, colons)", []string{colons(strings.ToUpper(pix.Fingerprint(psp)))}, nil, true, false},
		{"another fingerprint", []string{pix.Fingerprint(k.PSPCA)}, nil, false, false},
		{"the PSP's common name", nil, []string{psp.Subject.CommonName}, true, false},
		{"the PSP's whole subject", nil, []string{psp.Subject.String()}, true, false},
		{"another subject", nil, []string{"somebody-else"}, false, false},
		{"both, both right", []string{pix.Fingerprint(psp)}, []string{psp.Subject.CommonName}, true, false},
		{"both, the subject wrong", []string{pix.Fingerprint(psp)}, []string{"somebody-else"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := pix.New(pix.Config{WebhookCAs: pool, PinnedFingerprints: tc.fps, PinnedSubjects: tc.subjects})
			paytest.Must(t, err)
			for who, c := range map[string]struct {
				cert *x509.Certificate
				ok   bool
			}{"PSP": {psp, tc.pspOK}, "same CA": {sameCA, tc.otherOK}} {
				_, err := p.VerifyWebhookBatch(context.Background(), body, nil, &tls.ConnectionState{PeerCertificates: []*x509.Certificate{c.cert}})
				if (err == nil) != c.ok || err != nil && !errors.Is(err, payments.ErrBadSignature) {
					t.Errorf("%s's certificate: %v (want taken: %t)", who, err, c.ok)
				}
			}
		})
	}
	if _, err := pix.New(pix.Config{WebhookCAs: pool, PinnedFingerprints: []string{"abc"}}); !errors.Is(err, finance.ErrInvalid) {
		t.Fatalf("a fingerprint that is not a SHA-256: %v", err)
	}
}

func colons(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// Through the real receiver: with the PSP's fingerprint pinned, a call
// with another certificate of the PSP's CA is refused and stores nothing.
func TestPinnedReceiverRefusesTheCAsOtherCertificates(t *testing.T) {
	d := newDesk(t)
	p, err := pix.New(pix.Config{WebhookCAs: d.pool(), PinnedFingerprints: []string{pix.Fingerprint(d.k.PSPCallback.Leaf)}})
	paytest.Must(t, err)
	pinned := pixfake.Receiver(t, d.k, payments.NewServer("", payments.NewProviderReceiver(d.Worker, p)).Handler)
	pair, err := tls.LoadX509KeyPair(d.k.ClientCertFile, d.k.ClientKeyFile)
	paytest.Must(t, err)
	c := d.k.Client(pixfake.FromPSP)
	c.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{pair}
	resp, err := c.Post(pinned.URL+"/webhooks/pix", "application/json", strings.NewReader(string(d.f.Webhook(pixfake.E2E(1)))))
	paytest.Must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("another certificate of the PSP's CA: HTTP %d", resp.StatusCode)
	}
	d.Drain()
	if n := d.Inboxed(); n != 0 {
		t.Fatalf("inbox holds %d events; want none", n)
	}
	d.Check()
}

// A callback proven by its certificate but not what the PSP's API says
// (a Pix it does not have, another amount, another txid) is flagged and
// never posts; the true one posts once.
func TestCallbackConfirmedWithThePSP(t *testing.T) {
	d := newDesk(t)
	good := string(d.f.Webhook(pixfake.E2E(1)))
	for name, body := range map[string]string{
		"no such Pix":   strings.Replace(good, pixfake.E2E(1), pixfake.E2E(9), 1),
		"other amount":  strings.Replace(good, `"150.00"`, `"1500.00"`, 1),
		"other booking": strings.Replace(strings.Replace(good, pixfake.E2E(1), pixfake.E2E(3), 1), "bk1reserva0000000000000000001", "bk3reserva0000000000000000003", 1),
	} {
		if name == "other booking" {
			d.f.Add(pixfake.Pix{E2E: pixfake.E2E(3), TxID: "bk1reserva0000000000000000001", Valor: "150.00"})
		}
		d.mustPost([]byte(body))
	}
	d.Drain()
	for _, id := range []string{"bk1reserva0000000000000000001", "bk3reserva0000000000000000003"} {
		if ops := d.Ops(id); len(ops) != 0 {
			t.Fatalf("%s: operations %v from an unconfirmed Pix", id, ops)
		}
	}
	if got := d.Register("pix"); got != 0 {
		t.Fatalf("pix register %d", got)
	}
	flagged, evs := d.flagged()
	if flagged != 3 {
		t.Fatalf("%d flagged, want 3: %+v", flagged, evs)
	}
	d.Check()
	// A Pix the PSP agrees with posts once, however often it is sent.
	d.f.Add(pixfake.Pix{E2E: pixfake.E2E(4), TxID: "bk4reserva0000000000000000004", Valor: "20.00"})
	for range 2 {
		d.mustPost(d.f.Webhook(pixfake.E2E(4)))
	}
	d.Drain()
	if ops := d.Ops("bk4reserva0000000000000000004"); ops[finance.OpOnlinePrepayment] != 1 || len(ops) != 1 {
		t.Fatalf("confirmed Pix: operations %v", ops)
	}
	d.Check()
}

func (d *desk) pool() *x509.CertPool {
	pool, err := pix.LoadPool(d.k.PSPCAFile)
	paytest.Must(d.T, err)
	return pool
}

// flagged counts the inbox's flagged events, and gives them all.
func (d *desk) flagged() (int, []finance.ProviderEvent) {
	evs, err := d.Books.Inbox(d.Ctx, 100)
	paytest.Must(d.T, err)
	n := 0
	for _, e := range evs {
		if e.Status == finance.InboxFlagged {
			n++
		}
	}
	return n, evs
}
