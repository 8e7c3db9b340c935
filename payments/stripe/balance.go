package stripe

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/paydesk/paydesk/finance"
)

// Reconciliation reads Stripe's own ledger, the balance transactions
// (GET /v1/balance_transactions, newest first, 100 a page, created[gte] and
// created[lt] for the window, expand[]=data.source for the object behind
// each). What each field means is in .notes/reconcile-stripe.md; in short:
//
//   - amount is gross and fee is positive when charged, net = amount - fee
//     is what the balance moved, all in the balance's currency (a payment
//     charged in another currency settles converted: its amount here is the
//     settled one, the charge keeps its own);
//   - reporting_category sorts what type lumps together (type adjustment is
//     a dispute, a dispute reversal, a failed refund or something else);
//   - created is when the balance moved; available_on only when the money
//     may be paid out, which the ledger does not track (the Stripe register
//     holds pending and available funds alike).

// BalanceTransactions lists the balance transactions created in [from, to),
// oldest first, in paydesk's terms.
func (p *Provider) BalanceTransactions(ctx context.Context, from, to time.Time) ([]finance.BalanceTxn, error) {
	if err := p.needAPI(); err != nil {
		return nil, err
	}
	params := &stripego.BalanceTransactionListParams{
		CreatedRange: &stripego.RangeQueryParams{GreaterThanOrEqual: from.Unix(), LesserThan: to.Unix()},
	}
	params.Context = ctx
	params.Limit = stripego.Int64(100)
	params.AddExpand("data.source")
	var out []finance.BalanceTxn
	it := p.api.BalanceTransactions.List(params)
	var orphans []int // failed refunds whose source is not the refund
	for it.Next() {
		bt := it.BalanceTransaction()
		t := neutralBalanceTxn(bt)
		if t.Kind == finance.BalanceRefundFailure && (bt.Source == nil || bt.Source.Refund == nil) {
			orphans = append(orphans, len(out))
		}
		out = append(out, t)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("listing balance transactions: %w", stripeErr(err))
	}
	for _, i := range orphans {
		if err := p.findFailedRefund(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	// Newest first as listed; the money moved oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// PaymentMetadata reads a payment intent's metadata (the booking widget's,
// which Stripe does not copy onto the charge a balance transaction names).
func (p *Provider) PaymentMetadata(ctx context.Context, paymentRef string) (map[string]string, error) {
	if err := p.needAPI(); err != nil {
		return nil, err
	}
	params := &stripego.PaymentIntentParams{}
	params.Context = ctx
	pi, err := p.api.PaymentIntents.Get(paymentRef, params)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", paymentRef, stripeErr(err))
	}
	return pi.Metadata, nil
}

// balanceKind sorts a balance transaction by its reporting category, and by
// its type where an older object has none.
func balanceKind(bt *stripego.BalanceTransaction) finance.BalanceKind {
	switch bt.ReportingCategory {
	case stripego.BalanceTransactionReportingCategoryCharge:
		return finance.BalancePayment
	case stripego.BalanceTransactionReportingCategoryRefund:
		return finance.BalanceRefund
	case stripego.BalanceTransactionReportingCategoryRefundFailure:
		return finance.BalanceRefundFailure
	case stripego.BalanceTransactionReportingCategoryDispute:
		return finance.BalanceDisputeWithdrawn
	case stripego.BalanceTransactionReportingCategoryDisputeReversal:
		return finance.BalanceDisputeReinstated
	case stripego.BalanceTransactionReportingCategoryFee:
		return finance.BalanceFee
	case stripego.BalanceTransactionReportingCategoryPayout:
		return finance.BalancePayout
	case stripego.BalanceTransactionReportingCategoryPayoutReversal:
		return finance.BalancePayoutFailure
	case "":
	default:
		// partial_capture_reversal, other_adjustment, charge_failure,
		// transfers, top-ups, reserves...: nothing the desk books itself.
		return finance.BalanceOther
	}
	switch bt.Type {
	case stripego.BalanceTransactionTypeCharge, stripego.BalanceTransactionTypePayment:
		return finance.BalancePayment
	case stripego.BalanceTransactionTypeRefund, stripego.BalanceTransactionTypePaymentRefund:
		return finance.BalanceRefund
	case stripego.BalanceTransactionTypeRefundFailure:
		return finance.BalanceRefundFailure
	case stripego.BalanceTransactionTypeStripeFee, stripego.BalanceTransactionTypeStripeFxFee, stripego.BalanceTransactionTypeTaxFee:
		return finance.BalanceFee
	case stripego.BalanceTransactionTypePayout:
		return finance.BalancePayout
	case stripego.BalanceTransactionTypePayoutFailure, stripego.BalanceTransactionTypePayoutCancel:
		return finance.BalancePayoutFailure
	}
	return finance.BalanceOther
}

// neutralBalanceTxn turns a balance transaction into paydesk's terms; an
// amount that does not convert is set on Problem, and it is flagged.
func neutralBalanceTxn(bt *stripego.BalanceTransaction) finance.BalanceTxn {
	cur := strings.ToLower(string(bt.Currency))
	t := finance.BalanceTxn{
		ID: bt.ID, Kind: balanceKind(bt), RawType: string(bt.Type), Created: time.Unix(bt.Created, 0).UTC(),
		Currency: cur, Description: bt.Description,
	}
	if bt.ReportingCategory != "" && string(bt.ReportingCategory) != string(bt.Type) {
		t.RawType += "/" + string(bt.ReportingCategory)
	}
	var problems []string
	conv := func(v int64) int64 {
		m, err := toMinor(v, cur)
		if err != nil {
			problems = append(problems, err.Error())
		}
		return m
	}
	t.Amount, t.Fee, t.Net = conv(bt.Amount), conv(bt.Fee), conv(bt.Net)
	if len(problems) == 0 && t.Amount-t.Fee != t.Net {
		problems = append(problems, fmt.Sprintf("amount %d less fee %d is not net %d", bt.Amount, bt.Fee, bt.Net))
	}
	if src := bt.Source; src != nil {
		t.SourceID = src.ID
		switch {
		case src.Charge != nil:
			ch := src.Charge
			t.Metadata = ch.Metadata
			if ch.PaymentIntent != nil {
				t.PaymentRef = ch.PaymentIntent.ID
				if len(ch.PaymentIntent.Metadata) > 0 {
					t.Metadata = ch.PaymentIntent.Metadata
				}
			}
			if c := strings.ToLower(string(ch.Currency)); c != "" && c != cur {
				// Charged in one currency, settled in the balance's: the
				// settled amount is what the register holds.
				t.OrigAmount, t.OrigCurrency = ch.Amount, c
			}
		case src.Refund != nil:
			r := src.Refund
			t.Metadata = r.Metadata
			if r.PaymentIntent != nil {
				t.PaymentRef = r.PaymentIntent.ID
			} else if r.Charge != nil && r.Charge.PaymentIntent != nil {
				t.PaymentRef = r.Charge.PaymentIntent.ID
			}
		case src.Dispute != nil:
			d := src.Dispute
			if d.PaymentIntent != nil {
				t.PaymentRef = d.PaymentIntent.ID
			} else if d.Charge != nil && d.Charge.PaymentIntent != nil {
				t.PaymentRef = d.Charge.PaymentIntent.ID
			}
			if t.Description == "" {
				t.Description = string(d.Reason)
			}
		}
	}
	if t.Kind == finance.BalancePayment && t.PaymentRef == "" && strings.HasPrefix(t.SourceID, "pi_") {
		t.PaymentRef = t.SourceID
	}
	t.Problem = strings.Join(problems, "; ")
	return t
}

// findFailedRefund names the refund behind a failed refund's balance
// transaction whose source is not that refund. Stripe documents the link
// from the refund's side only (Refund.failure_balance_transaction: "the
// adjustment ... that reverses the initial balance transaction"); the
// transaction itself is type refund_failure or adjustment with reporting
// category refund_failure, and its source has been seen as the refund. Where
// it names the charge (or nothing expandable), the charge's refunds are
// read for the one whose failure transaction this is; none found, it is
// flagged rather than guessed.
func (p *Provider) findFailedRefund(ctx context.Context, t *finance.BalanceTxn) error {
	ch := t.SourceID
	if !strings.HasPrefix(ch, "ch_") && !strings.HasPrefix(ch, "py_") {
		t.Problem = joinProblem(t.Problem, fmt.Sprintf("a failed refund whose balance transaction names %s, not the refund or its charge: which refund failed is not known",
			cmp.Or(ch, "no object")))
		return nil
	}
	params := &stripego.RefundListParams{Charge: stripego.String(ch)}
	params.Context = ctx
	params.Limit = stripego.Int64(100)
	it := p.api.Refunds.List(params)
	for it.Next() {
		r := it.Refund()
		if r.FailureBalanceTransaction == nil || r.FailureBalanceTransaction.ID != t.ID {
			continue
		}
		t.SourceID, t.Metadata = r.ID, r.Metadata
		if r.PaymentIntent != nil {
			t.PaymentRef = r.PaymentIntent.ID
		}
		return nil
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("listing the refunds of %s: %w", ch, stripeErr(err))
	}
	t.Problem = joinProblem(t.Problem, fmt.Sprintf("a failed refund of charge %s whose refund is not found (no refund of it names balance transaction %s as its failure)", ch, t.ID))
	return nil
}

func joinProblem(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
