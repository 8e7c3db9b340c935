package payments

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/paydesk/paydesk/finance"
)

// ExecuteRefund sends a refund that finance has saved as requested, and
// records the provider's answer. It is safe to run again at any point: it
// first looks the refund up at the provider by its key, so a crash between
// the provider call and the posting never refunds twice. A refund whose
// outcome is unknown (network error) stays requested and is resumed later.
func (w *Worker) ExecuteRefund(ctx context.Context, key string) (finance.Refund, error) {
	r, err := w.books.Refund(ctx, key)
	if err != nil {
		return finance.Refund{}, err
	}
	if r.Status != finance.RefundRequested && r.Status != finance.RefundPending {
		return r, nil
	}
	if len(r.Parts) > 0 {
		return w.executeParts(ctx, r)
	}
	b, err := w.books.Booking(ctx, r.BookingID)
	if err != nil {
		return r, err
	}
	if b.PaymentIntent == "" {
		return w.books.CompleteRefund(ctx, key, "", "failed", "the booking has no card payment")
	}
	// Back through the provider that took the payment, never another.
	prov, err := w.ProviderNamed(r.ProviderName(b))
	if err != nil {
		return r, fmt.Errorf("refund %s: %w", key, err)
	}
	found, err := prov.FindRefunds(ctx, b.PaymentIntent)
	if err != nil {
		return r, fmt.Errorf("looking up refunds of %s before refunding: %w", b.PaymentIntent, err)
	}
	for _, f := range found {
		if f.Key == key || (r.ProviderRef != "" && f.ID == r.ProviderRef) {
			return w.books.CompleteRefund(ctx, key, f.ID, f.Status, "")
		}
	}
	if r.Status == finance.RefundPending {
		// Accepted earlier yet not listed now: wait for the provider's event
		// rather than risk a second refund.
		return r, nil
	}
	st, err := w.books.Settings(ctx)
	if err != nil {
		return r, err
	}
	var before int64
	for _, p := range b.PayerList() {
		if p.PaymentRef == b.PaymentIntent {
			// Unmatched was posted from the provider's own total before its
			// refunds were known by id: it may be this very refund.
			before = p.CardRefunded - p.Unmatched
		}
	}
	pr, err := prov.Refund(ctx, RefundOrder{Key: key, PaymentRef: b.PaymentIntent, Amount: r.Amount,
		Currency: st.Currency, BookingID: r.BookingID, Reason: r.Reason, RefundedBefore: before})
	if errors.Is(err, ErrRejected) {
		return w.books.CompleteRefund(ctx, key, "", "failed", err.Error())
	}
	if err != nil {
		return r, fmt.Errorf("refunding %s: %w", b.PaymentIntent, err)
	}
	return w.books.CompleteRefund(ctx, key, pr.ID, pr.Status, "")
}

// executeParts sends a refund spread over the booking's payments: each part
// is its own provider refund of its own payment, under its own key, looked
// up first as a whole refund is, so a crash between parts sends each once.
// A part whose outcome is unknown stops the round; the parts after it are
// sent when the refund is resumed.
func (w *Worker) executeParts(ctx context.Context, r finance.Refund) (finance.Refund, error) {
	st, err := w.books.Settings(ctx)
	if err != nil {
		return r, err
	}
	b, err := w.books.Booking(ctx, r.BookingID)
	if err != nil {
		return r, err
	}
	for _, part := range r.Parts {
		if part.Status != finance.RefundRequested && part.Status != finance.RefundPending {
			continue
		}
		// Each part back through the provider that took that payment.
		prov, err := w.ProviderNamed(b.ProviderOf(part.PaymentRef))
		if err != nil {
			return r, fmt.Errorf("refund %s: %w", r.Key, err)
		}
		found, err := prov.FindRefunds(ctx, part.PaymentRef)
		if err != nil {
			return r, fmt.Errorf("looking up refunds of %s before refunding: %w", part.PaymentRef, err)
		}
		i := slices.IndexFunc(found, func(f finance.ProviderRefund) bool {
			return f.Key == part.Key || (part.ProviderRef != "" && f.ID == part.ProviderRef)
		})
		switch {
		case i >= 0:
			r, err = w.books.CompleteRefundPart(ctx, r.Key, part.PaymentRef, found[i].ID, found[i].Status, "")
		case part.Status == finance.RefundPending:
			continue // accepted earlier yet not listed now: wait for the provider's event
		default:
			var before int64 // as for a whole refund: what went back on this payment, matched by id
			for _, p := range b.PayerList() {
				if p.PaymentRef == part.PaymentRef {
					before = p.CardRefunded - p.Unmatched
				}
			}
			var pr finance.ProviderRefund
			pr, err = prov.Refund(ctx, RefundOrder{Key: part.Key, PaymentRef: part.PaymentRef, Amount: part.Amount,
				Currency: st.Currency, BookingID: r.BookingID, Reason: r.Reason, RefundedBefore: before})
			switch {
			case errors.Is(err, ErrRejected):
				r, err = w.books.CompleteRefundPart(ctx, r.Key, part.PaymentRef, "", "failed", err.Error())
			case err != nil:
				return r, fmt.Errorf("refunding %s: %w", part.PaymentRef, err)
			default:
				r, err = w.books.CompleteRefundPart(ctx, r.Key, part.PaymentRef, pr.ID, pr.Status, "")
			}
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// resumeRefunds finishes refunds left requested or pending (a crash, a
// network error, a refund still processing at the provider).
func (w *Worker) resumeRefunds(ctx context.Context) {
	rs, err := w.books.PendingRefunds(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("reading pending refunds", "err", err)
		}
		return
	}
	for _, r := range rs {
		if ctx.Err() != nil {
			return
		}
		if _, err := w.ExecuteRefund(ctx, r.Key); err != nil {
			w.log.Warn("refund not finished", "booking", r.BookingID, "err", err)
		}
	}
}
