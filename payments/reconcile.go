package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// BalanceSource is a provider whose own ledger can be read: its balance
// transactions, to reconcile the online register against (Stripe's
// /v1/balance_transactions). It needs the provider's secret key.
type BalanceSource interface {
	Name() string
	// BalanceTransactions lists the balance movements created in [from, to).
	BalanceTransactions(ctx context.Context, from, to time.Time) ([]finance.BalanceTxn, error)
	// PaymentMetadata reads a payment's metadata (its booking), for a
	// payment the books do not have yet.
	PaymentMetadata(ctx context.Context, paymentRef string) (map[string]string, error)
}

// ReconcileWindow is how far back a scheduled run looks: as far as the
// events poller does, so what no webhook or poll delivered is found.
const ReconcileWindow = 30

// ReconcileLookback is how far before the window balance transactions are
// read as well, to match operations the window holds for older money (a
// webhook Stripe retried for days, a poll catching up): Stripe retries a
// live webhook for up to three days.
const ReconcileLookback = 3 * 24 * time.Hour

// Reconcile reads the provider's balance transactions of from..to
// (business days at the location), fetches the bookings of payments the
// books lack, and lets finance match, post and flag them.
func Reconcile(ctx context.Context, books *finance.Service, src BalanceSource, from, to finance.Date) (finance.ReconcileReport, error) {
	start, end, err := books.ReconcileWindow(ctx, from, to)
	if err != nil {
		return finance.ReconcileReport{}, err
	}
	// The lookback's transactions are matched only: they tell an operation
	// in the window that echoes older money (a late webhook) from one the
	// provider has nothing for.
	txns, err := src.BalanceTransactions(ctx, start.Add(-ReconcileLookback), end)
	if err != nil {
		return finance.ReconcileReport{}, err
	}
	need, err := books.UnpostedPayments(ctx, src.Name(), txns)
	if err != nil {
		return finance.ReconcileReport{}, err
	}
	for _, i := range need {
		if txns[i].Created.Before(start) {
			continue // the lookback's: not posted here
		}
		md, err := src.PaymentMetadata(ctx, txns[i].PaymentRef)
		if errors.Is(err, ErrRejected) {
			continue // gone at the provider: posted without a booking, or flagged
		} else if err != nil {
			return finance.ReconcileReport{}, err
		}
		txns[i].Metadata = md
	}
	return books.Reconcile(ctx, src.Name(), from, to, txns)
}

// ReconcileLast reconciles the last days business days up to today.
func ReconcileLast(ctx context.Context, books *finance.Service, src BalanceSource, days int) (finance.ReconcileReport, error) {
	today, err := books.Today(ctx)
	if err != nil {
		return finance.ReconcileReport{}, err
	}
	return Reconcile(ctx, books, src, today.AddDays(-(days - 1)), today)
}

// RunReconcile reconciles at start and then every `every` until ctx ends.
// It runs beside the desk in its own goroutine: a slow or unreachable
// provider delays only the next run, and a failed run is recorded for the
// sync view and retried at the next tick.
func RunReconcile(ctx context.Context, books *finance.Service, src BalanceSource, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := ReconcileLast(ctx, books, src, ReconcileWindow)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("reconcile failed", "provider", src.Name(), "err", err)
			if serr := books.SaveReconcileError(context.WithoutCancel(ctx), src.Name(), err); serr != nil {
				log.Warn("reconcile: recording the failure", "err", serr)
			}
		default:
			log.Info("reconciled", "provider", src.Name(), "from", rep.From, "to", rep.To, "agrees", rep.Agrees,
				"posted", rep.Posted, "flagged", rep.Flagged, "waiting", rep.Waiting, "days_differ", DiffSummary(rep))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DiffSummary lists the days that differ, for logs: "2026-12-01, 2026-12-02" or "none".
func DiffSummary(rep finance.ReconcileReport) string {
	var days []string
	for _, d := range rep.DiffDays() {
		days = append(days, string(d.Date))
	}
	if len(days) == 0 {
		return "none"
	}
	return fmt.Sprint(strings.Join(days, ", "))
}
