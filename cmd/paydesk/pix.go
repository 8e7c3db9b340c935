package main

// Pix wired in: the provider from [pix], its callback receiver on its own
// mutual-TLS address (a caller's certificate is the callback's only proof,
// so it is never mounted on the plain webhook address), and `paydesk pix
// setup`, which registers the callback URL for the Pix key.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/pix"
)

// pixProvider is Pix as [pix] configures it: the receiver's checks (the
// PSP's CA, the pins) and the API (its OAuth2 client over the certificate
// the PSP issued).
func (a *app) pixProvider() (*pix.Provider, error) {
	c := a.cfg.Pix
	cfg := pix.Config{PinnedFingerprints: append([]string(nil), c.Fingerprints...), PinnedSubjects: c.Subjects}
	if c.WebhookOn() {
		pool, err := pix.LoadPool(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: pix ca_file: %w", finance.ErrInvalid, err)
		}
		cfg.WebhookCAs = pool
	}
	if c.APIOn() {
		tc, err := pix.ClientTLS(c.ClientCertFile, c.ClientKeyFile, c.APICAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", finance.ErrInvalid, err)
		}
		cfg.BaseURL, cfg.TokenURL, cfg.ClientID, cfg.ClientSecret = c.APIURL, c.TokenURL, c.ClientID, c.ClientSecret.Reveal()
		cfg.HTTPClient = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	}
	return pix.New(cfg)
}

// pixServer is the Pix receiver on [pix] webhook_addr over mutual TLS:
// /webhooks/pix, and /webhooks/pix/pix for a callback registered as
// .../webhooks/pix (the API Pix appends "/pix" to the URL it was given).
func (a *app) pixServer(rc *payments.Receiver) (*http.Server, net.Listener, error) {
	c := a.cfg.Pix
	tc, _, err := pix.ReceiverTLS(c.CAFile, c.CertFile, c.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", finance.ErrInvalid, err)
	}
	if len(c.Fingerprints) == 0 && len(c.Subjects) == 0 {
		a.log.Warn("pix receiver takes any client certificate of the PSP's CA: pin the PSP's with [pix] client_cert_fingerprints or client_cert_subjects")
	}
	srv := payments.NewServer(c.Addr, rc)
	mux := http.NewServeMux()
	mux.Handle(rc.Path(), rc)
	mux.Handle(rc.Path()+"/pix", rc)
	srv.Handler, srv.TLSConfig = mux, tc
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("pix receiver: %w", err)
	}
	return srv, tls.NewListener(ln, tc), nil
}

// ---- pix setup

func cmdPixSetup(ctx context.Context, a *app, args []string) error {
	fs := newFlags("pix setup")
	url := fs.String("url", "", "public HTTPS URL before /webhooks that reaches [pix] webhook_addr (required)")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := required(fs, "url"); err != nil {
		return err
	}
	if !a.cfg.Pix.APIOn() || a.cfg.Pix.Chave == "" {
		return fmt.Errorf("%w: pix setup needs the [pix] API (api_url, client_id, client_secret, client_cert_file, client_key_file) and chave (or PIX_KEY)", finance.ErrInvalid)
	}
	prov, err := a.pixProvider()
	if err != nil {
		return err
	}
	// The PSP posts to the registered URL + "/pix": registering .../webhooks
	// makes it post to the receiver's /webhooks/pix.
	hook := strings.TrimRight(*url, "/") + "/webhooks"
	if err := prov.SetWebhook(ctx, a.cfg.Pix.Chave, hook); err != nil {
		return err
	}
	a.log.Info("pix webhook registered", "url", hook)
	_, err = fmt.Fprintf(a.stdout, "Pix callbacks for key %s registered at %s (the PSP posts to %s/pix)\n", a.cfg.Pix.Chave, hook, hook)
	return err
}
