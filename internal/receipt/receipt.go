// Package receipt turns a posted operation into the receipt a client takes
// home: a plain model built from finance's reads (Build), laid out once in
// fixed-width rows (Layout), and rendered as text, PDF and ESC/POS bytes for
// a receipt printer. It depends on finance alone; saving and printing are
// in output.go.
package receipt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// Source is what a receipt is built from: *finance.Service has it all.
type Source interface {
	Settings(ctx context.Context) (finance.Settings, error)
	Operation(ctx context.Context, id finance.OperationID) (finance.Operation, error)
	ClientBalanceAfter(ctx context.Context, id finance.ClientID, op finance.OperationID) (finance.ClientAfter, error)
}

// Options are the location's own words ([receipt] in config): lines under
// the location's name and at the foot.
type Options struct {
	Header []string
	Footer []string
}

// Receipt is one operation as the client's receipt says it. Amounts are
// minor units of Currency, signed as the client sees them: a sale's lines
// and tenders are positive, a reversal's negative. Tenders add up to Total.
type Receipt struct {
	Location string
	Header   []string
	Footer   []string
	Currency string
	Locale   string

	Op      finance.OperationID
	Kind    finance.OpKind
	Title   string    // "Sale", "Deposit top-up", "Reversal"...
	Time    time.Time // in the location's time zone
	Date    finance.Date
	Staff   string
	Client  string // the client's name; "" for a walk-in or no client
	Booking string
	Note    string

	Lines   []Line
	Total   int64
	Tenders []Tender
	// Tendered and Change are the cash the client handed over and the
	// change given back. Only the sale posts, so the books do not keep
	// them: the desk that took the cash sets them (WithCash); a reprint
	// has none.
	Tendered, Change int64

	// Balance is the client's deposit right after this operation (what the
	// business owes them); nil when there is no client.
	Balance *int64

	// Reverses is the original this reversal undoes (and its title);
	// ReversedBy the reversal that undid this one.
	Reverses      finance.OperationID
	ReversesTitle string
	ReversedBy    finance.OperationID
}

// Line is one line of what was sold or moved.
type Line struct {
	Text     string
	Quantity int64 // 0 or 1: shown without "2 x €45.00"
	Unit     int64
	Amount   int64
}

// Tender is one part of how it was paid (or paid back).
type Tender struct {
	Label  string
	Amount int64
}

// WithCash is the receipt with the cash handed over and the change, as
// the desk saw them at the till (the books keep only the sale).
func (r Receipt) WithCash(tendered, change int64) Receipt {
	if tendered > 0 && change > 0 {
		r.Tendered, r.Change = tendered, change
	}
	return r
}

// Build reads operation id and what its receipt needs. An operation that
// does not exist is finance.ErrNotFound in words.
func Build(ctx context.Context, src Source, id finance.OperationID, o Options) (Receipt, error) {
	st, err := src.Settings(ctx)
	if err != nil {
		return Receipt{}, err
	}
	op, err := src.Operation(ctx, id)
	if errors.Is(err, finance.ErrNotFound) {
		return Receipt{}, fmt.Errorf("%w: there is no operation #%d", finance.ErrNotFound, id)
	}
	if err != nil {
		return Receipt{}, err
	}
	loc, err := time.LoadLocation(st.TimeZone)
	if err != nil || st.TimeZone == "" {
		loc = time.UTC
	}
	r := Receipt{
		Location: st.Location, Header: o.Header, Footer: o.Footer, Currency: st.Currency, Locale: st.Locale,
		Op: op.ID, Kind: op.Kind, Time: op.Time.In(loc), Date: op.BusinessDate, Staff: op.Staff,
		Booking: op.BookingID, Note: op.Comment, ReversedBy: op.ReversedBy,
	}
	regs := map[string]string{}
	for _, g := range st.Registers {
		regs[g.ID] = g.Name
	}
	kind, postings := op.Kind, op.Postings
	if op.Kind == finance.OpReversal && op.Reverses != 0 {
		// A reversal reads as its original with every figure negated.
		orig, err := src.Operation(ctx, op.Reverses)
		if err != nil {
			return Receipt{}, fmt.Errorf("the original of reversal #%d: %w", op.ID, err)
		}
		kind, postings = orig.Kind, orig.Postings
		r.Reverses, r.ReversesTitle = orig.ID, title(orig.Kind)
		if r.Booking == "" {
			r.Booking = orig.BookingID
		}
		fill(&r, orig, kind, postings, regs)
		negate(&r)
		r.Title = "Reversal"
	} else {
		fill(&r, op, kind, postings, regs)
		r.Title = title(op.Kind)
	}
	if op.ClientID != 0 {
		// The name and the balance after in one snapshot, so a receipt
		// never mixes two moments of the books.
		after, err := src.ClientBalanceAfter(ctx, op.ClientID, op.ID)
		if err != nil {
			return Receipt{}, err
		}
		r.Client = after.Name
		r.Balance = &after.Balance
	}
	return r, nil
}

// fill sets lines, total and tenders from an operation's postings, as its
// kind reads to the client.
func fill(r *Receipt, op finance.Operation, kind finance.OpKind, ps []finance.Posting, regs map[string]string) {
	regName := func(acc finance.AccountID) (string, bool) {
		id, ok := finance.RegisterOf(acc)
		if !ok {
			return "", false
		}
		if n := regs[id]; n != "" {
			return n, true
		}
		return id, true
	}
	switch kind {
	case finance.OpCheckout:
		// The sale is every credit but the client's: the revenue leg, and
		// any other (a tip to its account) as a line of its own.
		var revenue, lines int64
		var extras []Line
		for _, p := range ps {
			switch {
			case p.Amount >= 0 || finance.IsClientAccount(p.Account):
			case p.Account == finance.AccountRevenue:
				revenue = -p.Amount
			default:
				extras = append(extras, Line{Text: creditLabel(p.Account), Amount: -p.Amount})
			}
		}
		for _, l := range op.Lines {
			q := max(l.Quantity, 1)
			amt, ok := finance.MulInt64(l.UnitPrice, q)
			if !ok {
				amt = 0
			}
			lines, _ = finance.AddInt64(lines, amt)
			r.Lines = append(r.Lines, Line{Text: l.Description, Quantity: q, Unit: l.UnitPrice, Amount: amt})
		}
		switch {
		case len(r.Lines) == 0:
			r.Lines = []Line{{Text: "Visit", Amount: revenue}}
		case lines > revenue:
			// The lines at their prices come to more than the sale: the
			// difference is what was taken off.
			r.Lines = append(r.Lines, Line{Text: "Discount", Amount: revenue - lines})
		case lines < revenue:
			r.Lines = append(r.Lines, Line{Text: "Other", Amount: revenue - lines})
		}
		r.Lines = append(r.Lines, extras...)
		r.Total = revenue
		for _, e := range extras {
			r.Total, _ = finance.AddInt64(r.Total, e.Amount)
		}
		// Every debit is how the total was paid, and so is a credit to
		// the deposit (a prepayment's excess put on it), with its sign.
		for _, p := range ps {
			switch {
			case p.Account == finance.AccountPrepaid && p.Amount > 0:
				r.Tenders = append(r.Tenders, Tender{"Prepaid online", p.Amount})
			case finance.IsClientAccount(p.Account) && p.Amount >= 0:
				r.Tenders = append(r.Tenders, Tender{"From deposit", p.Amount})
			case finance.IsClientAccount(p.Account):
				r.Tenders = append(r.Tenders, Tender{"Put on deposit", p.Amount})
			case p.Amount > 0:
				n, _ := regName(p.Account)
				if n == "" {
					n = string(p.Account)
				}
				r.Tenders = append(r.Tenders, Tender{n, p.Amount})
			}
		}
	case finance.OpTopUp, finance.OpCashOut, finance.OpRefund, finance.OpRefundToDeposit:
		// Two legs: the client's side and where the money is. The amount is
		// what the client's side received or gave.
		for _, p := range ps {
			if p.Amount > 0 {
				r.Total += p.Amount
			}
		}
		line := map[finance.OpKind]string{
			finance.OpTopUp: "Deposit top-up", finance.OpCashOut: "Paid out from the deposit",
			finance.OpRefund: "Refund", finance.OpRefundToDeposit: "Refund",
		}[kind]
		if op.BookingID != "" && (kind == finance.OpRefund || kind == finance.OpRefundToDeposit) {
			line = "Refund of booking " + op.BookingID
		}
		r.Lines = []Line{{Text: line, Amount: r.Total}}
		for _, p := range ps {
			n, isReg := regName(p.Account)
			switch {
			case kind == finance.OpTopUp && isReg:
				r.Tenders = append(r.Tenders, Tender{n, p.Amount})
			case kind == finance.OpCashOut && isReg:
				r.Tenders = append(r.Tenders, Tender{"Paid from " + n, -p.Amount})
			case kind == finance.OpRefund && isReg:
				r.Tenders = append(r.Tenders, Tender{"Back to the card (" + n + ")", -p.Amount})
			case kind == finance.OpRefundToDeposit && finance.IsClientAccount(p.Account):
				r.Tenders = append(r.Tenders, Tender{"Into the deposit", -p.Amount})
			}
		}
	default:
		// Register movements (transfer, paid in/out, provider money): each
		// register's leg, signed as the register's day shows it.
		for _, p := range ps {
			if p.Amount > 0 {
				r.Total += p.Amount
			}
			if n, ok := regName(p.Account); ok {
				r.Tenders = append(r.Tenders, Tender{n, p.Amount})
			}
		}
		r.Lines = []Line{{Text: title(kind), Amount: r.Total}}
	}
}

func negate(r *Receipt) {
	r.Total = -r.Total
	for i := range r.Lines {
		r.Lines[i].Amount, r.Lines[i].Unit = -r.Lines[i].Amount, -r.Lines[i].Unit
	}
	for i := range r.Tenders {
		r.Tenders[i].Amount = -r.Tenders[i].Amount
	}
}

// creditLabel names a checkout's credit other than revenue on its line.
func creditLabel(acc finance.AccountID) string {
	if strings.Contains(strings.ToLower(string(acc)), "tip") {
		return "Tip"
	}
	return string(acc)
}

// title is the receipt's heading for an operation kind.
func title(k finance.OpKind) string {
	switch k {
	case finance.OpCheckout:
		return "Sale"
	case finance.OpTopUp:
		return "Deposit top-up"
	case finance.OpCashOut:
		return "Cash-out"
	case finance.OpRefund:
		return "Refund to card"
	case finance.OpRefundToDeposit:
		return "Refund to deposit"
	case finance.OpReversal:
		return "Reversal"
	case finance.OpTransfer:
		return "Transfer"
	case finance.OpPaidIn:
		return "Paid in"
	case finance.OpPaidOut:
		return "Paid out"
	case finance.OpOnlinePrepayment:
		return "Online prepayment"
	case finance.OpProviderFee:
		return "Provider fee"
	case finance.OpPayout:
		return "Payout"
	case finance.OpOverShort:
		return "Over/short"
	case finance.OpDispute:
		return "Dispute"
	case finance.OpProviderReversal:
		return "Provider reversal"
	}
	return string(k)
}
