package main

// Commands for prepaid bookings, refunds and the Stripe sync: booking
// list|show|cancel, refund, stripe setup, and serve (headless sync).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paydesk/paydesk/config"
	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	pstripe "github.com/paydesk/paydesk/payments/stripe"
	"github.com/paydesk/paydesk/replicate"
)

// Usage lines too long for a row of the command table in main.go.
const (
	usageBookingList = "[--status S] [--refund-due] [--client ID] [--limit N] [--json]"
	usageRefund      = "BOOKING [--amount A] [--to-deposit [--split CLIENT=AMOUNT ...]] --reason TEXT [--key K] [--json]"
)

// stripeAPIURLEnv points the Stripe client somewhere other than
// api.stripe.com: stripe-mock or a test server, never for real books.
const stripeAPIURLEnv = "PAYDESK_STRIPE_API_URL"

// stripeProvider builds the Stripe provider from the config's keys.
func (a *app) stripeProvider() (*pstripe.Provider, error) {
	return pstripe.New(pstripe.Config{
		SecretKey:     a.cfg.StripeSecretKey.Reveal(),
		WebhookSecret: a.cfg.StripeWebhookSecret.Reveal(),
		Account:       a.cfg.StripeAccount,
		BaseURL:       os.Getenv(stripeAPIURLEnv),
	})
}

// syncNote is the Sync tab's standing word on what this configuration
// cannot do: with a webhook secret but no secret key, no fee is ever posted.
func (a *app) syncNote() string {
	if a.cfg.StripeWebhookSecret.IsSet() && !a.cfg.StripeSecretKey.IsSet() {
		return finance.FeesNeedKey + "."
	}
	return ""
}

// ---- output

type bookingJSON struct {
	ID            string                `json:"id"`
	ClientID      finance.ClientID      `json:"client_id"`
	Service       string                `json:"service"`
	StartsAt      time.Time             `json:"starts_at"`
	GroupEvent    bool                  `json:"group_event"`
	Status        finance.BookingStatus `json:"status"`
	Total         int64                 `json:"total"`
	TotalText     string                `json:"total_text"`
	Paid          int64                 `json:"paid"`
	PaidText      string                `json:"paid_text"`
	Refunded      int64                 `json:"refunded"`
	RefundedText  string                `json:"refunded_text"`
	RefundLeft    int64                 `json:"refund_left"` // paid - refunded - refunds in flight
	Flag          string                `json:"flag"`
	PaymentIntent string                `json:"payment_intent"`
	Payers        []payerJSON           `json:"payers"`
	Created       time.Time             `json:"created"`
	Updated       time.Time             `json:"updated"`
}

type payerJSON struct {
	ClientID     finance.ClientID `json:"client_id"`
	PaymentRef   string           `json:"payment_ref"`
	Amount       int64            `json:"amount"`
	AmountText   string           `json:"amount_text"`
	Refunded     int64            `json:"refunded"`
	RefundedText string           `json:"refunded_text"`
}

type refundJSON struct {
	Key         string               `json:"key"`
	BookingID   string               `json:"booking_id"`
	Amount      int64                `json:"amount"`
	AmountText  string               `json:"amount_text"`
	Status      finance.RefundStatus `json:"status"`
	Reason      string               `json:"reason"`
	Staff       string               `json:"staff"`
	ProviderRef string               `json:"provider_ref"`
	Error       string               `json:"error"`
	OperationID finance.OperationID  `json:"operation_id"`
	Created     time.Time            `json:"created"`
}

type bookingViewJSON struct {
	bookingJSON
	Refunds    []refundJSON `json:"refunds"`
	Operations []opJSON     `json:"operations"`
}

func (v view) booking(b finance.Booking, refunds []finance.Refund) bookingJSON {
	return bookingJSON{ID: b.ID, ClientID: b.ClientID, Service: b.Service, StartsAt: b.StartsAt, GroupEvent: b.GroupEvent,
		Status: b.Status, Total: b.Total, TotalText: v.f.Format(b.Total), Paid: b.Paid, PaidText: v.f.Format(b.Paid),
		Refunded: b.Refunded, RefundedText: v.f.Format(b.Refunded), RefundLeft: max(finance.RefundLeft(b, refunds), 0),
		Flag: b.Flag, PaymentIntent: b.PaymentIntent, Payers: v.payers(b), Created: b.Created, Updated: b.Updated}
}

func (v view) payers(b finance.Booking) []payerJSON {
	out := []payerJSON{}
	for _, p := range b.PayerList() {
		out = append(out, payerJSON{ClientID: p.ClientID, PaymentRef: p.PaymentRef, Amount: p.Amount,
			AmountText: v.f.Format(p.Amount), Refunded: p.Refunded, RefundedText: v.f.Format(p.Refunded)})
	}
	return out
}

func (v view) refund(r finance.Refund) refundJSON {
	return refundJSON{Key: r.Key, BookingID: r.BookingID, Amount: r.Amount, AmountText: v.f.Format(r.Amount),
		Status: r.Status, Reason: r.Reason, Staff: r.Staff, ProviderRef: r.ProviderRef, Error: r.Error,
		OperationID: r.OperationID, Created: r.Created}
}

// ---- booking list|show|cancel

func cmdBookingList(ctx context.Context, a *app, args []string) error {
	fs := newFlags("booking list")
	status := fs.String("status", "", "prepaid, served, canceled or refunded")
	due := fs.Bool("refund-due", false, "only canceled bookings with money left to refund")
	client := fs.String("client", "", "only this client's bookings")
	limit := fs.Int("limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	f := finance.BookingFilter{Status: finance.BookingStatus(*status), RefundDue: *due, Limit: *limit}
	switch f.Status {
	case "", finance.BookingPrepaid, finance.BookingServed, finance.BookingCanceled, finance.BookingRefunded:
	default:
		return usagef(fs, "--status %q: want prepaid, served, canceled or refunded", *status)
	}
	if *limit <= 0 {
		return usagef(fs, "--limit must be positive")
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	if *client != "" {
		if f.ClientID, err = parseClientID(*client); err != nil {
			return err
		}
	}
	bs, err := svc.Bookings(ctx, f)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	out := make([]bookingJSON, 0, len(bs))
	for _, b := range bs {
		rs, err := svc.BookingRefunds(ctx, b.ID)
		if err != nil && !errors.Is(err, finance.ErrNotFound) {
			return err
		}
		out = append(out, v.booking(b, rs))
	}
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	if len(out) == 0 {
		_, err := fmt.Fprintln(a.stdout, "no bookings")
		return err
	}
	t := newTable(a.stdout, "BOOKING", "STATUS", "STARTS", "SERVICE", "CLIENT", "PAID", "REFUNDED", "LEFT", "FLAG")
	for _, b := range out {
		starts := ""
		if !b.StartsAt.IsZero() {
			starts = b.StartsAt.In(v.loc).Format("2006-01-02 15:04")
		}
		t.row(b.ID, string(b.Status), starts, short(b.Service, 24), strconv.FormatUint(uint64(b.ClientID), 10),
			b.PaidText, b.RefundedText, v.f.Format(b.RefundLeft), short(b.Flag, 40))
	}
	return t.flush()
}

func cmdBookingShow(ctx context.Context, a *app, args []string) error {
	fs := newFlags("booking show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	b, err := svc.Booking(ctx, pos[0])
	if err != nil {
		return err
	}
	rs, err := svc.BookingRefunds(ctx, b.ID)
	if err != nil && !errors.Is(err, finance.ErrNotFound) {
		return err
	}
	ops, err := svc.BookingOperations(ctx, b.ID)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	out := bookingViewJSON{bookingJSON: v.booking(b, rs), Refunds: []refundJSON{}, Operations: []opJSON{}}
	for _, r := range rs {
		out.Refunds = append(out.Refunds, v.refund(r))
	}
	for _, o := range ops {
		out.Operations = append(out.Operations, v.op(o))
	}
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	w := a.stdout
	fmt.Fprintf(w, "booking %s  %s\n", b.ID, b.Status)
	if !b.StartsAt.IsZero() {
		fmt.Fprintf(w, "starts    %s\n", b.StartsAt.In(v.loc).Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(w, "service   %s\nclient    %d\ntotal     %s\npaid      %s\nrefunded  %s\nleft      %s\n",
		b.Service, b.ClientID, out.TotalText, out.PaidText, out.RefundedText, v.f.Format(out.RefundLeft))
	if b.Flag != "" {
		fmt.Fprintf(w, "flag      %s\n", b.Flag)
	}
	if len(out.Payers) > 0 {
		fmt.Fprintln(w, "\npayers:")
		t := newTable(w, "CLIENT", "PAYMENT", "PAID", "REFUNDED")
		for _, p := range out.Payers {
			t.row(strconv.FormatUint(uint64(p.ClientID), 10), p.PaymentRef, p.AmountText, p.RefundedText)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(out.Refunds) > 0 {
		fmt.Fprintln(w, "\nrefunds:")
		t := newTable(w, "KEY", "STATUS", "AMOUNT", "REF", "REASON", "ERROR")
		for _, r := range out.Refunds {
			t.row(short(r.Key, 24), string(r.Status), r.AmountText, r.ProviderRef, short(r.Reason, 30), short(r.Error, 40))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(ops) > 0 {
		fmt.Fprintln(w, "\noperations:")
		t := newTable(w, "OP", "DATE", "KIND", "AMOUNT", "REF")
		for _, o := range out.Operations {
			t.row(strconv.FormatUint(uint64(o.ID), 10), string(o.BusinessDate), string(o.Kind), o.AmountText, o.ProviderRef)
		}
		return t.flush()
	}
	return nil
}

func cmdBookingCancel(ctx context.Context, a *app, args []string) error {
	fs := newFlags("booking cancel")
	reason := fs.String("reason", "", "why (kept in the audit log)")
	asJSON := fs.Bool("json", false, "print the booking as JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	b, err := svc.CancelBooking(ctx, a.actor, pos[0], *reason)
	if err != nil {
		return err
	}
	rs, err := svc.BookingRefunds(ctx, b.ID)
	if err != nil && !errors.Is(err, finance.ErrNotFound) {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	out := v.booking(b, rs)
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	_, err = fmt.Fprintf(a.stdout, "booking %s %s; refund due %s\n", b.ID, b.Status, v.f.Format(out.RefundLeft))
	return err
}

// ---- refund

func cmdRefund(ctx context.Context, a *app, args []string) error {
	fs := newFlags("refund")
	amt := fs.String("amount", "", "amount to refund (default: everything left)")
	toDeposit := fs.Bool("to-deposit", false, "credit the payers' deposits instead of the card (each in proportion to what they paid)")
	var split splitFlag
	fs.Var(&split, "split", "CLIENT=AMOUNT, repeatable, with --to-deposit: who gets what back instead of in proportion")
	reason := fs.String("reason", "", "why (required)")
	key := fs.String("key", "", "idempotency key (default: derived from the booking, amount, destination and reason, so repeating the command refunds once)")
	asJSON := fs.Bool("json", false, "print the refund as JSON")
	dryRun := fs.Bool("dry-run", false, "print what the refund would post (the books' preview); save and send nothing")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "reason"); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	var n int64
	if *amt != "" {
		if n, err = amount(st, "amount", *amt, false); err != nil {
			return err
		}
	}
	var shares []finance.PayerShare
	if len(split) > 0 && !*toDeposit {
		return usagef(fs, "--split divides a refund to deposit: add --to-deposit")
	}
	for _, p := range split {
		c, amt, _ := strings.Cut(p, "=")
		id, err := parseClientID(c)
		if err != nil {
			return err
		}
		sn, err := amount(st, "split "+c, amt, false)
		if err != nil {
			return err
		}
		shares = append(shares, finance.PayerShare{ClientID: id, Amount: sn})
	}
	k := *key
	if k == "" {
		k = refundKey(pos[0], n, *toDeposit, *reason)
		if len(split) > 0 {
			k = refundKey(pos[0], n, *toDeposit, *reason+"\x00"+split.String())
		}
	}
	var worker *payments.Worker
	provTitle := "Stripe"
	if !*toDeposit {
		// Refuse before anything is saved: a card refund nobody can send
		// would only block the amount. It goes through the provider of the
		// booking's payment (an unknown booking is refused by StartRefund).
		b, err := svc.Booking(ctx, pos[0])
		if err != nil && !errors.Is(err, finance.ErrNotFound) {
			return err
		}
		prov, err := a.refundProvider(b)
		if err != nil {
			return err
		}
		provTitle = prov.title
		worker = payments.NewWorker(svc, prov.prov, payments.Options{Logger: a.log})
	}
	req := finance.RefundRequest{Key: k, BookingID: pos[0], Amount: n, ToDeposit: *toDeposit, Reason: *reason, Split: shares}
	if *dryRun {
		pv, err := svc.Preview(ctx, a.actor, req)
		if err != nil {
			return err
		}
		return a.printPreview(st, pv, *asJSON)
	}
	r, err := svc.StartRefund(ctx, a.actor, req)
	if err != nil {
		return err
	}
	if worker != nil {
		done, err := worker.ExecuteRefund(ctx, r.Key)
		if err != nil {
			return fmt.Errorf("refund %s is saved but %s did not confirm it: %w; "+
				"run the same command again or let paydesk serve finish it (it looks the refund up first, so it is never sent twice)",
				r.Key, provTitle, err)
		}
		r = done
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(a.stdout, v.refund(r)); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "refund %s: %s %s", r.Key, r.Status, v.f.Format(r.Amount))
		if r.OperationID != 0 {
			fmt.Fprintf(a.stdout, " (operation %d)", r.OperationID)
		}
		fmt.Fprintln(a.stdout)
	}
	if r.Status == finance.RefundFailed {
		return fmt.Errorf("%w: refund %s failed: %s; to try again, give a new --key", finance.ErrConflict, r.Key, r.Error)
	}
	return nil
}

// splitFlag is --split CLIENT=AMOUNT, repeatable.
type splitFlag []string

func (p *splitFlag) String() string { return strings.Join(*p, ",") }

// Type names the value in help and completion, as the usage lines write it.
func (p *splitFlag) Type() string { return "value" }
func (p *splitFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want CLIENT=AMOUNT, got %q", v)
	}
	*p = append(*p, v)
	return nil
}

// refundKey makes the default idempotency key from what the command says,
// so the same command run twice (a retry after a timeout) refunds once.
func refundKey(booking string, amount int64, toDeposit bool, reason string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%t\x00%s", booking, amount, toDeposit, reason)))
	return "refund-" + hex.EncodeToString(h[:8])
}

// ---- stripe setup

func cmdStripeSetup(ctx context.Context, a *app, args []string) error {
	fs := newFlags("stripe setup")
	url := fs.String("url", "", "public HTTPS URL that reaches this desk's /webhooks/stripe (required)")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := required(fs, "url"); err != nil {
		return err
	}
	if !a.cfg.StripeSecretKey.IsSet() {
		return fmt.Errorf("%w: stripe setup needs STRIPE_SECRET_KEY", finance.ErrInvalid)
	}
	path, err := a.cfg.Path()
	if err != nil {
		return err
	}
	prov, err := a.stripeProvider()
	if err != nil {
		return err
	}
	ep, err := prov.Setup(ctx, *url)
	if err != nil {
		return err
	}
	if ep.Secret == "" {
		return fmt.Errorf("Stripe created endpoint %s but sent no signing secret; copy it from the dashboard into %s", ep.ID, path)
	}
	if err := config.SaveWebhookSecret(path, ep.Secret); err != nil {
		return fmt.Errorf("endpoint %s created, but saving its secret: %w", ep.ID, err)
	}
	a.log.Info("stripe webhook endpoint created", "endpoint", ep.ID, "url", ep.URL, "config", path)
	_, err = fmt.Fprintf(a.stdout, "webhook endpoint %s for %s (API version %s); its signing secret is saved in %s\n",
		ep.ID, *url, pstripe.APIVersion, path)
	return err
}

// ---- serve

// cmdServe runs the sync headless until the context ends (SIGINT/SIGTERM):
// then it stops taking webhooks, lets the worker finish the event in
// flight, and returns so the database is closed.
func cmdServe(ctx context.Context, a *app, args []string) error {
	fs := newFlags("serve")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	// Without provider keys serve still serves the desks (SSH) and the CLI (socket).
	ps, err := a.newPaymentSync(ctx, svc)
	if err != nil {
		return err
	}
	var w *payments.Worker
	var refund func(ctx context.Context, key string) error // card refunds from the desks
	if ps != nil {
		w = ps.w
		if ps.refunds {
			refund = func(ctx context.Context, key string) error { _, err := w.ExecuteRefund(ctx, key); return err }
		}
	}
	// Replication (off until configured) ships in the background; the
	// desks and the socket see its status.
	if a.repl, err = a.replicator(); err != nil {
		return err
	}
	deskCtx, stopDesks := context.WithCancel(ctx)
	waitBackups := a.startBackups(deskCtx) // before the desks, whose header shows the last one
	waitDesks, err := a.startDesks(deskCtx, refund)
	if err != nil {
		stopDesks()
		waitBackups()
		return err
	}
	defer func() { stopDesks(); waitDesks(); waitBackups() }()

	var srv *http.Server
	var ln net.Listener
	if ps != nil && ps.srv != nil {
		srv, ln = ps.srv, ps.ln
		defer ln.Close() // closed by Serve too; here for a return before it
	}
	if ps != nil {
		defer ps.closeOwn() // closed by Serve too; here for a return before it
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	if w != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(workCtx) }()
	}
	if w != nil && ps.poll {
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.RunPoller(workCtx) }()
		ps.startReconcile(workCtx, &wg, svc, a.cfg.StripeReconcileEvery, a.log)
	}
	if a.repl != nil {
		wait := runReplication(workCtx, a.repl, svc)
		wg.Add(1)
		go func() { defer wg.Done(); wait() }()
		fmt.Fprintf(a.stdout, "paydesk serve: replicating location %s to %s\n", a.cfg.ReplicateLocation, replicate.Redact(a.cfg.ReplicateURL.Reveal()))
	}
	serveErr := make(chan error, 1)
	if srv != nil {
		go func() { serveErr <- srv.Serve(ln) }()
		fmt.Fprintf(a.stdout, "paydesk serve: webhooks on http://%s%s\n", ln.Addr(), strings.Join(ps.paths, ", "))
	}
	var ownWG sync.WaitGroup
	if ps != nil {
		ps.startOwn(&ownWG, a.log, a.stdout)
	}
	a.log.Info("serve started", "webhook_addr", a.cfg.WebhookAddr, "polling", ps != nil && ps.poll)

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("webhook receiver: %w", err)
	}
	if srv != nil {
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := srv.Shutdown(shut); err != nil {
			a.log.Warn("webhook receiver shutdown", "err", err)
		}
		cancel()
	}
	if ps != nil {
		ps.stopOwn(a.log)
		ownWG.Wait()
	}
	stopWork()
	wg.Wait()
	a.log.Info("serve stopped")
	fmt.Fprintln(a.stdout, "paydesk serve: stopped")
	return runErr
}
