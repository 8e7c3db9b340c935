package finance

import (
	"context"
	"errors"
)

// Preview is what a money movement would post, as its confirm screen shows
// it: the operation with its postings exactly as they will be stored, and
// the balances of the clients and registers it touches once it posts.
type Preview struct {
	Operation Operation `json:"operation"` // ID 0 unless Replayed
	// Replayed: the key already posted this same request, and Operation is
	// what it stored; posting it again posts nothing.
	Replayed bool `json:"replayed,omitempty"`
	// Pending: the operation posts later, when the payment provider reports
	// the card refund's success (a card refund's key is the provider's id).
	Pending bool `json:"pending,omitempty"`
	// After lists, in posting order, each client deposit and register the
	// operation touches with its balance once it posts, then the
	// operation's client if it does not touch their deposit (unchanged).
	After []BalanceAfter `json:"after"`
	// Unusual: the amount is far above what is typical here (more than
	// [limits] ask_twice_factor times Typical, the median top-up of late),
	// so a confirmation asks twice.
	Unusual bool  `json:"unusual,omitempty"`
	Typical int64 `json:"typical,omitempty"`
}

// BalanceAfter is one account's balance once an operation posts, in the
// sign people read: what a register holds, what the business owes a client
// (as ClientSummary.Balance).
type BalanceAfter struct {
	Account AccountID `json:"account"`
	Balance int64     `json:"balance"`
}

// Balance is the balance after of acc, and whether the preview has it.
func (p Preview) Balance(acc AccountID) (int64, bool) {
	for _, b := range p.After {
		if b.Account == acc {
			return b.Balance, true
		}
	}
	return 0, false
}

// Request is a money movement that can be previewed before it is posted:
// TopUpRequest, CheckoutRequest, CashOutRequest, TransferRequest,
// CashMoveRequest, ReverseRequest and RefundRequest.
type Request interface {
	preview(ctx context.Context, s *Service, a Actor) (Preview, error)
}

// Preview runs a request's posting path as a dry run: the same right, the
// same rules and checks, the same builder, the same store append (so a
// balance that would overflow or a key already used is refused just as on
// posting), then rolls the transaction back. Nothing is committed, no audit
// line is written, nobody is told of a change. What it returns is what
// posting the same request at once would store; the confirm screens and the
// CLI show it instead of working postings out themselves.
func (s *Service) Preview(ctx context.Context, a Actor, r Request) (Preview, error) {
	if r == nil {
		return Preview{}, errf(ErrInvalid, "nothing to preview")
	}
	return r.preview(ctx, s, a)
}

// errDryRun rolls a preview's transaction back; it never leaves Preview.
var errDryRun = errors.New("finance: dry run")

// dryRun runs fn in a read-write transaction that is always rolled back
// (bbolt rolls back when fn returns an error), and returns fn's own error.
func (s *Service) dryRun(ctx context.Context, fn func(tx Tx) error) error {
	err := s.update(ctx, func(tx Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

func (s *Service) previewRule(ctx context.Context, a Actor, ru rule) (Preview, error) {
	approver, err := s.authorize(ctx, a, ru.right, ru.approval)
	if err != nil {
		return Preview{}, err
	}
	var out Preview
	err = s.dryRun(ctx, func(tx Tx) error {
		env, err := s.env(tx, a)
		if err != nil {
			return err
		}
		env.approver, env.approved = approver, ru.right
		// Before the dry run appends: the typical top-up is of what is stored.
		typ, err := s.typicalTopUp(tx)
		if err != nil {
			return err
		}
		op, replayed, err := s.postIn(tx, env, deskKey(ru.key), ru.req, s.limited(ru.build))
		if err != nil {
			return err
		}
		if !replayed {
			op.ID = 0 // the number it took is rolled back with it
		}
		out = Preview{Operation: op, Replayed: replayed}
		if out.After, err = balancesAfter(tx, op.Postings, false); err != nil {
			return err
		}
		if acc := ClientAccount(op.ClientID); op.ClientID != 0 {
			if _, ok := out.Balance(acc); !ok {
				// A sale paid without the deposit still names the client:
				// the review says their balance, unchanged.
				b, err := tx.Balance(acc)
				if err != nil {
					return err
				}
				out.After = append(out.After, BalanceAfter{Account: acc, Balance: -b})
			}
		}
		s.markUnusual(typ, &out)
		return nil
	})
	return out, err
}

// balancesAfter reads the balances of the client deposits and registers
// among ps; unposted adds ps to what is stored (an operation still to post).
func balancesAfter(tx ReadTx, ps []Posting, unposted bool) ([]BalanceAfter, error) {
	var out []BalanceAfter
	for _, p := range ps {
		_, client := ClientOf(p.Account)
		_, register := RegisterOf(p.Account)
		if !client && !register {
			continue
		}
		b, err := tx.Balance(p.Account)
		if err != nil {
			return nil, err
		}
		if unposted {
			var ok bool
			if b, ok = AddInt64(b, p.Amount); !ok {
				return nil, errf(ErrInvalid, "balance of %s would overflow", p.Account)
			}
		}
		if client {
			b = -b // credit-normal: what the business owes the client
		}
		out = append(out, BalanceAfter{Account: p.Account, Balance: b})
	}
	return out, nil
}

func (r TopUpRequest) preview(ctx context.Context, s *Service, a Actor) (Preview, error) {
	return s.previewRule(ctx, a, r.rule(s))
}

func (r CheckoutRequest) preview(ctx context.Context, s *Service, a Actor) (Preview, error) {
	return s.previewRule(ctx, a, r.rule(s))
}

func (r CashOutRequest) preview(ctx context.Context, s *Service, a Actor) (Preview, error) {
	return s.previewRule(ctx, a, r.rule(s))
}

func (r TransferRequest) preview(ctx context.Context, s *Service, a Actor) (Preview, error) {
	return s.previewRule(ctx, a, r.rule(s))
}

func (r CashMoveRequest) preview(ctx context.Context, s *Service, a Actor) (Preview, error) {
	return s.previewRule(ctx, a, r.rule(s))
}

func (r ReverseRequest) preview(ctx context.Context, s *Service, a Actor) (Preview, error) {
	return s.previewRule(ctx, a, r.rule(s))
}

// A refund's preview runs StartRefund's transaction and rolls it back. To
// the deposit, the refund posts at once; to the card, the preview is the
// operation the provider's success will post (Pending).
func (r RefundRequest) preview(ctx context.Context, s *Service, a Actor) (Preview, error) {
	r, approver, err := s.checkRefundRequest(ctx, a, r)
	if err != nil {
		return Preview{}, err
	}
	var out Preview
	err = s.dryRun(ctx, func(tx Tx) error {
		ref, op, _, err := s.startRefundIn(tx, a, approver, r)
		if err != nil {
			return err
		}
		if op.replayed {
			if op, err = s.refundOpOf(tx, ref); err != nil {
				return err
			}
			op.replayed = true
		}
		out = Preview{Operation: op.op, Replayed: op.replayed, Pending: !op.posted}
		if !op.replayed {
			out.Operation.ID = 0
		}
		out.After, err = balancesAfter(tx, op.op.Postings, !op.posted)
		return err
	})
	return out, err
}
