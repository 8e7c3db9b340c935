package pix_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/pix/pixfake"
)

// Whatever a callback from the PSP holds: no panic; a body that is not a
// batch is refused as invalid; every event is Pix's, with an id, and an
// amount only where it parsed; the same body from another CA's
// certificate, or none, is refused as unauthenticated.
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"pix":[{"endToEndId":"E12345678202009091221kkkkkkkkkkk","txid":"c3e0e7a4e7f1469a9f782d3d4999343c","valor":"110.00","horario":"2020-09-09T20:15:00.358Z","devolucoes":[{"id":"1","valor":"1.00","status":"DEVOLVIDO","horario":{"liquidacao":"2020-09-09T21:00:00Z"}}]}]}`))
	f.Add([]byte(`{"pix":[{"endToEndId":"E12345678202009091221kkkkkkkkkkk","valor":"1e9","devolucoes":{"id":"x"}}]}`))
	f.Add([]byte(`{"pix":[null,1,"x",{}]}`))
	f.Add([]byte(`{"pix":null}`))
	f.Add([]byte(`null`))
	k := pixfake.NewPKI(f)
	p := pixfake.New(f, k).Provider(f)
	psp := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{k.PSPCallback.Leaf}}
	other := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{k.Other.Leaf}}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.VerifyWebhookBatch(t.Context(), body, nil, psp)
		if err != nil && !errors.Is(err, finance.ErrInvalid) {
			t.Fatalf("the PSP's callback refused as %v", err)
		}
		for _, e := range evs {
			if e.Provider != "pix" || !strings.HasPrefix(e.ID, "pix:") || e.Amount < 0 || (e.Problem != "" && e.Amount != 0) {
				t.Fatalf("event %+v", e)
			}
			for _, r := range e.Refunds {
				if r.Amount < 0 || r.ID == "" {
					t.Fatalf("refund %+v", r)
				}
			}
		}
		for _, cs := range []*tls.ConnectionState{other, nil, {}} {
			if _, err := p.VerifyWebhookBatch(t.Context(), body, nil, cs); !errors.Is(err, payments.ErrBadSignature) {
				t.Fatalf("unauthenticated call: %v", err)
			}
		}
	})
}
