package main

// paydesk reconcile stripe: the Stripe register against Stripe's own
// balance transactions (finance/reconcile.go decides, payments/stripe reads).

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

func reconcileCommands() []command {
	return []command{
		{"reconcile stripe", "[--from D --to D] [--json]",
			"match Stripe's balance transactions (default: the last 30 days) to the Stripe register: post what is missing, flag what differs, say per day whether they agree (needs the secret key)",
			cmdReconcileStripe},
	}
}

type reconcileItemJSON struct {
	finance.ReconcileItem
	StripeText string `json:"stripe_text"`
	LedgerText string `json:"ledger_text"`
}

type reconcileDayJSON struct {
	finance.ReconcileDay
	StripeText string `json:"stripe_text"`
	LedgerText string `json:"ledger_text"`
}

// reconcileJSON is the report with each figure also written out; its
// Days and Items hide the report's own.
type reconcileJSON struct {
	finance.ReconcileReport
	Days  []reconcileDayJSON  `json:"days"`
	Items []reconcileItemJSON `json:"items"`
}

func cmdReconcileStripe(ctx context.Context, a *app, args []string) error {
	fs := newFlags("reconcile stripe")
	from := fs.String("from", "", "first business day (default 29 days before --to)")
	to := fs.String("to", "", "last business day (default today)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if !a.cfg.StripeSecretKey.IsSet() {
		return fmt.Errorf("%w: reconcile reads Stripe's balance transactions, which needs the secret key "+
			"(STRIPE_SECRET_KEY or stripe_secret_key in the config file)", payments.ErrUnsupported)
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	f, t, err := reconcileRange(ctx, svc, *from, *to)
	if err != nil {
		return err
	}
	prov, err := a.stripeProvider()
	if err != nil {
		return err
	}
	rep, err := payments.Reconcile(ctx, svc, prov, f, t)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	if *asJSON {
		out := reconcileJSON{ReconcileReport: rep, Days: []reconcileDayJSON{}, Items: []reconcileItemJSON{}}
		for _, d := range rep.Days {
			out.Days = append(out.Days, reconcileDayJSON{d, v.f.Format(d.Stripe), v.f.Format(d.Ledger)})
		}
		for _, it := range rep.Items {
			out.Items = append(out.Items, reconcileItemJSON{it, v.f.Format(it.Stripe), v.f.Format(it.Ledger)})
		}
		return writeJSON(a.stdout, out)
	}
	tb := newTable(a.stdout, "DATE", "STRIPE", "REGISTER", "TXNS", "POSTED", "FLAGGED", "")
	for _, d := range rep.Days {
		if d.Count == 0 && d.Agrees {
			continue
		}
		verdict := "agrees"
		if !d.Agrees {
			verdict = "DIFFERS: " + d.Note
		}
		tb.row(string(d.Date), v.f.Format(d.Stripe), v.f.Format(d.Ledger), fmt.Sprint(d.Count), fmt.Sprint(d.Posted),
			fmt.Sprint(d.Problems), verdict)
	}
	if err := tb.flush(); err != nil {
		return err
	}
	for _, it := range rep.Items {
		if it.Outcome == finance.ReconcileFlagged || it.Outcome == finance.ReconcileWaiting {
			what := it.Txn
			if it.Kind == finance.BalanceLedgerOnly {
				what = "ledger only"
			}
			fmt.Fprintf(a.stdout, "%s %s %s: %s\n", it.Date, it.Outcome, what, it.Note)
		}
	}
	verdict := "the Stripe register agrees with Stripe"
	if !rep.Agrees {
		verdict = fmt.Sprintf("the Stripe register DIFFERS from Stripe on %d day(s)", len(rep.DiffDays()))
	}
	fmt.Fprintf(a.stdout, "%s to %s: %s; %d posted, %d matched, %d flagged, %d waiting for their payment\n",
		rep.From, rep.To, verdict, rep.Posted, rep.Matched, rep.Flagged, rep.Waiting)
	return nil
}

// reconcileRange reads --from/--to: both, one (the other defaults), or
// neither (the last 30 days, as far back as Stripe keeps events).
func reconcileRange(ctx context.Context, svc *finance.Service, from, to string) (finance.Date, finance.Date, error) {
	var f, t finance.Date
	var err error
	if to == "" {
		if t, err = svc.Today(ctx); err != nil {
			return "", "", err
		}
	} else if t, err = finance.ParseDate(to); err != nil {
		return "", "", err
	}
	if from == "" {
		f = t.AddDays(-(payments.ReconcileWindow - 1))
	} else if f, err = finance.ParseDate(from); err != nil {
		return "", "", err
	}
	if t < f {
		return "", "", fmt.Errorf("%w: --to %s is before --from %s", finance.ErrInvalid, t, f)
	}
	if f.AddDays(366) < t {
		return "", "", fmt.Errorf("%w: a range is at most 366 days", finance.ErrInvalid)
	}
	return f, t, nil
}

// startReconcile runs the scheduled reconcile (at start, then every
// `every`; 0 = never) of each provider with an API key whose own ledger can
// be read, in goroutines of their own beside the desks: their writes are
// short transactions like the worker's, and a slow provider holds up nothing.
func (ps *paymentSync) startReconcile(ctx context.Context, wg *sync.WaitGroup, svc *finance.Service, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		return
	}
	for _, p := range ps.provided {
		src, ok := p.prov.(payments.BalanceSource)
		if !p.api || !ok {
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); payments.RunReconcile(ctx, svc, src, every, log) }()
	}
}
