package main

// The payment providers switched on by the config, wired into one sync
// worker: each with its receiver at /webhooks/NAME on the webhook address
// (when its webhook secret is set), its poller (when its API key is), and
// its own online register. Adding a provider is a row in paymentProviders.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/liqpay"
	"github.com/paydesk/paydesk/payments/monobank"
	"github.com/paydesk/paydesk/payments/pix"
	"github.com/paydesk/paydesk/payments/viva"
)

// wiredProvider is one provider the config switches on.
type wiredProvider struct {
	prov payments.Provider
	// title names its register when one is made for it ("LiqPay").
	title string
	// webhook: it has a receiver (its webhook secret or key is set).
	webhook bool
	// api: it can poll, refund and look refunds up (its API key is set).
	api bool
	// ownAddr: its receiver is served on an address of its own (Pix, over
	// mutual TLS), not the plain webhook address.
	ownAddr bool
}

// paymentProviders are the providers the config switches on, Stripe first.
func (a *app) paymentProviders() ([]wiredProvider, error) {
	var out []wiredProvider
	if a.cfg.StripeSecretKey.IsSet() || a.cfg.StripeWebhookSecret.IsSet() {
		p, err := a.stripeProvider()
		if err != nil {
			return nil, err
		}
		out = append(out, wiredProvider{prov: p, title: "Stripe",
			webhook: a.cfg.StripeWebhookSecret.IsSet(), api: a.cfg.StripeSecretKey.IsSet()})
	}
	if a.cfg.LiqPayPrivateKey.IsSet() {
		// The private key checks callbacks and signs calls: both at once.
		p, err := liqpay.New(liqpay.Config{PublicKey: a.cfg.LiqPayPublicKey, PrivateKey: a.cfg.LiqPayPrivateKey.Reveal(),
			Sandbox: a.cfg.LiqPaySandbox, APIURL: os.Getenv(liqpayAPIURLEnv)})
		if err != nil {
			return nil, err
		}
		out = append(out, wiredProvider{prov: p, title: liqpay.Title, webhook: true, api: true})
	}
	if a.cfg.MonobankToken.IsSet() {
		// The token fetches the key that checks webhooks, and makes calls.
		p, err := monobank.New(monobank.Config{Token: a.cfg.MonobankToken.Reveal(), BaseURL: os.Getenv(monobankAPIURLEnv)})
		if err != nil {
			return nil, err
		}
		out = append(out, wiredProvider{prov: p, title: monobank.Title, webhook: true, api: true})
	}
	if a.cfg.VivaOn() {
		// Notifications are confirmed through the API: both at once.
		p, err := viva.New(viva.Config{MerchantID: a.cfg.VivaMerchantID, APIKey: a.cfg.VivaAPIKey.Reveal(),
			ClientID: a.cfg.VivaClientID, ClientSecret: a.cfg.VivaClientSecret.Reveal(), Demo: a.cfg.VivaDemo,
			APIURL: os.Getenv(vivaAPIURLEnv)})
		if err != nil {
			return nil, err
		}
		out = append(out, wiredProvider{prov: p, title: viva.Title, webhook: true, api: true})
	}
	if a.cfg.Pix.On() {
		p, err := a.pixProvider()
		if err != nil {
			return nil, err
		}
		out = append(out, wiredProvider{prov: p, title: pix.Title, webhook: a.cfg.Pix.WebhookOn(), api: a.cfg.Pix.APIOn(), ownAddr: true})
	}
	return out, nil
}

// monobankAPIURLEnv points the Monobank client at a test server instead of
// api.monobank.ua.
const monobankAPIURLEnv = "PAYDESK_MONOBANK_API_URL"

// vivaAPIURLEnv points the Viva client at a test server instead of Viva's
// three hosts (www, api, accounts).
const vivaAPIURLEnv = "PAYDESK_VIVA_API_URL"

// liqpayAPIURLEnv points the LiqPay client at a test server instead of
// www.liqpay.ua, as PAYDESK_STRIPE_API_URL does for Stripe.
const liqpayAPIURLEnv = "PAYDESK_LIQPAY_API_URL"

// syncOn reports whether any provider is switched on.
func (a *app) syncOn() bool {
	ps, err := a.paymentProviders()
	return err == nil && len(ps) > 0
}

// refundsOn reports whether any provider can send card refunds.
func (a *app) refundsOn() bool {
	ps, err := a.paymentProviders()
	if err != nil {
		return false
	}
	for _, p := range ps {
		if p.api {
			return true
		}
	}
	return false
}

// paymentSync is the worker over every provider switched on, with its
// webhook server (nil when no provider takes webhooks).
type paymentSync struct {
	w     *payments.Worker
	srv   *http.Server
	ln    net.Listener
	paths []string // the receivers' paths
	// own are the receivers served on addresses of their own (Pix's mTLS).
	own      []ownServer
	poll     bool // some provider can be polled
	refunds  bool // some provider can refund
	provided []wiredProvider
}

// newPaymentSync builds the worker, makes each provider's online register
// where the location has none yet, and listens on the webhook address.
// It returns nil, nil when no provider is switched on.
func (a *app) newPaymentSync(ctx context.Context, svc *finance.Service) (*paymentSync, error) {
	ws, err := a.paymentProviders()
	if err != nil || len(ws) == 0 {
		return nil, err
	}
	ps := &paymentSync{provided: ws}
	provs := make([]payments.Provider, len(ws))
	for i, p := range ws {
		provs[i] = p.prov
		if added, err := svc.AddProviderRegister(ctx, p.prov.Name(), p.title); err != nil {
			return nil, fmt.Errorf("%s register: %w", p.title, err)
		} else if added {
			a.log.Info("online register added", "register", p.prov.Name(), "provider", p.title)
		}
		ps.poll = ps.poll || p.api
		ps.refunds = ps.refunds || p.api
	}
	ps.w = payments.NewWorker(svc, provs[0], payments.Options{Logger: a.log, PollEvery: a.cfg.PollInterval}, provs[1:]...)
	var rcs []*payments.Receiver
	for _, p := range ws {
		if p.webhook && p.ownAddr {
			srv, ln, err := a.pixServer(payments.NewProviderReceiver(ps.w, p.prov))
			if err != nil {
				ps.closeOwn()
				return nil, err
			}
			ps.own = append(ps.own, ownServer{srv: srv, ln: ln})
		} else if p.webhook {
			rc := payments.NewProviderReceiver(ps.w, p.prov)
			rcs = append(rcs, rc)
			ps.paths = append(ps.paths, rc.Path())
		}
	}
	if len(rcs) > 0 {
		ps.srv = payments.NewServer(a.cfg.WebhookAddr, rcs[0], rcs[1:]...)
		if ps.ln, err = net.Listen("tcp", ps.srv.Addr); err != nil {
			ps.closeOwn()
			return nil, fmt.Errorf("webhook receiver: %w", err)
		}
	}
	return ps, nil
}

// refundProvider is the provider a card refund of booking b goes through,
// refused in words before anything is saved when it is not switched on
// with an API key.
func (a *app) refundProvider(b finance.Booking) (wiredProvider, error) {
	name := b.ProviderOf(b.PaymentIntent)
	ws, err := a.paymentProviders()
	if err != nil {
		return wiredProvider{}, err
	}
	for _, p := range ws {
		if p.prov.Name() == name && p.api {
			return p, nil
		}
	}
	if name == "stripe" {
		return wiredProvider{}, fmt.Errorf("%w: a card refund needs STRIPE_SECRET_KEY (or refund --to-deposit)", finance.ErrInvalid)
	}
	return wiredProvider{}, fmt.Errorf("%w: booking %s was paid through %s: a card refund needs its API key in the config (or refund --to-deposit)",
		finance.ErrInvalid, b.ID, name)
}

// ownServer is a receiver on its own address (its listener wraps TLS).
type ownServer struct {
	srv *http.Server
	ln  net.Listener
}

func (ps *paymentSync) closeOwn() {
	for _, o := range ps.own {
		_ = o.ln.Close()
	}
}

// startOwn serves the receivers on their own addresses until stopOwn.
func (ps *paymentSync) startOwn(wg *sync.WaitGroup, log *slog.Logger, stdout io.Writer) {
	for _, o := range ps.own {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := o.srv.Serve(o.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("pix receiver", "err", err)
			}
		}()
		if stdout != nil {
			fmt.Fprintf(stdout, "paydesk serve: Pix callbacks on https://%s/webhooks/pix (mutual TLS)\n", o.ln.Addr())
		}
	}
}

// stopOwn shuts the receivers on their own addresses down.
func (ps *paymentSync) stopOwn(log *slog.Logger) {
	for _, o := range ps.own {
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := o.srv.Shutdown(shut); err != nil {
			log.Warn("pix receiver shutdown", "err", err)
		}
		cancel()
	}
}
