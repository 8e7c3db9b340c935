package finance

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The desk's money movements. Each builds its postings (debit +, credit -)
// as in docs/ARCHITECTURE.md's table and hands them to post, which does the rest.

const maxLines = 200

// register resolves a register by id (or, for people typing on the CLI, by
// name) and checks the actor's role may use it.
func (s *Service) register(env postEnv, typed string) (Register, error) {
	id := strings.TrimSpace(typed)
	if id == "" {
		return Register{}, errf(ErrInvalid, "choose a register")
	}
	var reg *Register
	for i := range env.Settings.Registers {
		if env.Settings.Registers[i].ID == id {
			reg = &env.Settings.Registers[i]
			break
		}
	}
	if reg == nil {
		for i := range env.Settings.Registers {
			if strings.EqualFold(env.Settings.Registers[i].Name, id) || strings.EqualFold(env.Settings.Registers[i].ID, id) {
				reg = &env.Settings.Registers[i]
				break
			}
		}
	}
	if reg == nil {
		ids := make([]string, 0, len(env.Settings.Registers))
		for _, r := range env.Settings.Registers {
			ids = append(ids, r.ID)
		}
		return Register{}, errf(ErrNotFound, "no register %q (registers: %s)", id, strings.Join(ids, ", "))
	}
	if err := s.checkRegister(env.Actor, reg.ID); err != nil {
		return Register{}, err
	}
	return *reg, nil
}

func (s *Service) checkRegister(a Actor, id string) error {
	if !s.rights.allowsRegister(a.Role, id) {
		return errf(ErrForbidden, "%s (%s) may not use the %s register", a.Staff, a.Role, id)
	}
	return nil
}

func positive(field string, amount int64) error {
	if amount <= 0 {
		return errf(ErrInvalid, "%s must be more than zero", field)
	}
	return nil
}

// TopUp takes money into a client's deposit: register +A, client -A.
func (s *Service) TopUp(ctx context.Context, a Actor, r TopUpRequest) (Operation, error) {
	return s.post(ctx, a, r.rule(s))
}

func (r TopUpRequest) rule(s *Service) rule {
	return rule{right: RightTopUp, key: r.Key, req: r, approval: r.Approval, build: func(tx Tx, env postEnv) (*Operation, error) {
		if err := positive("amount", r.Amount); err != nil {
			return nil, err
		}
		note, err := cleanText("note", r.Note, maxNoteLen)
		if err != nil {
			return nil, err
		}
		reg, err := s.register(env, r.Register)
		if err != nil {
			return nil, err
		}
		c, err := tx.Client(r.ClientID)
		if err != nil {
			return nil, err
		}
		return &Operation{Kind: OpTopUp, ClientID: c.ID, Comment: note, Postings: []Posting{
			{Account: RegisterAccount(reg.ID), Amount: r.Amount},
			{Account: ClientAccount(c.ID), Amount: -r.Amount},
		}}, nil
	}}
}

// Checkout sells a visit: revenue -T; prepaid +p (a booking's prepayment,
// applied first); client deposit +d; registers +each tender; p+d+tenders = T.
func (s *Service) Checkout(ctx context.Context, a Actor, r CheckoutRequest) (Operation, error) {
	return s.post(ctx, a, r.rule(s))
}

func (r CheckoutRequest) rule(s *Service) rule {
	return rule{right: RightCheckout, key: r.Key, req: r, approval: r.Approval, build: func(tx Tx, env postEnv) (*Operation, error) {
		lines, total, err := checkLines(r.Lines, r.Total)
		if err != nil {
			return nil, err
		}
		note, err := cleanText("note", r.Note, maxNoteLen)
		if err != nil {
			return nil, err
		}
		client := r.ClientID
		op := &Operation{Kind: OpCheckout, Comment: note, Lines: lines}
		postings := []Posting{{Account: AccountRevenue, Amount: -total}}

		// A prepaid booking: its money is applied first.
		var prepaidLeft int64
		if id := strings.TrimSpace(r.BookingID); id != "" {
			b, err := tx.Booking(id)
			if err != nil {
				return nil, err
			}
			if b.Status != BookingPrepaid {
				return nil, errf(ErrConflict, "booking %s is %s and cannot be checked out", b.ID, b.Status)
			}
			if client != 0 && b.ClientID != 0 && b.ClientID != client {
				return nil, errf(ErrInvalid, "booking %s belongs to client %d, not %d", b.ID, b.ClientID, client)
			}
			if client == 0 {
				client = b.ClientID
			}
			prepaidLeft = max(b.Paid-b.Refunded, 0)
			b.Status, b.Updated = BookingServed, env.Now
			if err := tx.PutBooking(b); err != nil {
				return nil, err
			}
			op.BookingID = b.ID
			postings = append(postings, Posting{Account: AccountPrepaid, Amount: prepaidLeft})
		}

		var funds clientFunds
		if client != 0 {
			if funds, err = loadFunds(tx, client); err != nil {
				return nil, err
			}
			op.ClientID = client
		}

		// The payments, then the register for the rest (if any) last.
		in := SplitInput{Total: total, PrepaidLeft: prepaidLeft, Client: client != 0, Available: funds.Available(),
			FromBalance: r.FromBalance, Rest: -1, Cash: -1}
		regs := make([]string, 0, len(r.Payments)+1)
		for _, t := range r.Payments {
			regs = append(regs, t.Register)
			in.Tenders = append(in.Tenders, t.Amount)
		}
		if rest := strings.TrimSpace(r.RestTo); rest != "" {
			in.Rest = len(regs)
			regs = append(regs, rest)
			in.Tenders = append(in.Tenders, 0)
		}
		sp, err := SplitCheckout(in)
		if err != nil {
			return nil, splitRefusal(env, err, in, funds)
		}
		if sp.Excess > 0 {
			// Prepaid more than the visit cost: the rest is the client's.
			postings = append(postings, Posting{Account: ClientAccount(client), Amount: -sp.Excess})
		}
		if sp.FromBalance > 0 {
			postings = append(postings, Posting{Account: ClientAccount(client), Amount: sp.FromBalance})
		}
		for i, a := range sp.Tenders {
			if a == 0 {
				continue
			}
			reg, err := s.register(env, regs[i])
			if err != nil {
				return nil, err
			}
			postings = append(postings, Posting{Account: RegisterAccount(reg.ID), Amount: a})
		}
		if sp.Short != 0 {
			paid := sp.Left - sp.Short
			what := "the rest"
			if sp.FromBalance > 0 || sp.Prepaid > 0 {
				what = "what is left"
			}
			return nil, &PaymentMismatchError{Paid: paid, Due: sp.Left, Total: total, Prepaid: sp.Prepaid, FromBalance: sp.FromBalance,
				msg: fmt.Sprintf("payments of %s do not match %s to pay, %s (total %s, prepaid %s, from deposit %s)", env.Money(paid), what, env.Money(sp.Left), env.Money(total), env.Money(sp.Prepaid), env.Money(sp.FromBalance))}
		}
		op.Postings = postings
		return op, nil
	}}
}

// splitRefusal says a checkout payment that does not split in the books'
// words, with the figures in the location's currency.
func splitRefusal(env postEnv, err error, in SplitInput, funds clientFunds) error {
	var se *SplitError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Reason {
	case SplitExcessWalkIn:
		return errf(ErrInvalid, "the booking was prepaid %s, more than the total %s, and has no client to keep the rest; raise the total", env.Money(in.PrepaidLeft), env.Money(in.Total))
	case SplitFromOverDue:
		return errf(ErrInvalid, "%s from the deposit is more than the %s left to pay", env.Money(*in.FromBalance), env.Money(se.Limit))
	case SplitFromOverFunds:
		return shortfall(env, funds, *in.FromBalance, "paying")
	}
	return err
}

// checkLines validates line items and reconciles them with the total: with
// lines, the total is their sum (a zero total means "use the sum").
func checkLines(in []LineItem, total int64) ([]LineItem, int64, error) {
	if len(in) > maxLines {
		return nil, 0, errf(ErrInvalid, "at most %d lines", maxLines)
	}
	var lines []LineItem
	for i, l := range in {
		desc, err := requiredText("line "+strconv.Itoa(i+1)+" description", l.Description, maxNameLen)
		if err != nil {
			return nil, 0, err
		}
		if l.Quantity <= 0 {
			return nil, 0, errf(ErrInvalid, "line %d quantity must be at least 1", i+1)
		}
		if l.UnitPrice < 0 {
			return nil, 0, errf(ErrInvalid, "line %d price cannot be negative", i+1)
		}
		lines = append(lines, LineItem{Description: desc, UnitPrice: l.UnitPrice, Quantity: l.Quantity})
	}
	sum, err := LinesTotal(lines)
	if err != nil {
		return nil, 0, err
	}
	if len(lines) > 0 {
		if total == 0 {
			total = sum
		}
		if total != sum {
			return nil, 0, errf(ErrInvalid, "the total %d does not equal the lines' sum %d", total, sum)
		}
	}
	if err := positive("total", total); err != nil {
		return nil, 0, err
	}
	return lines, total, nil
}

// LinesTotal is what the lines come to, each price times its quantity, every
// product and sum checked: ErrInvalid names the line too large, or says the
// lines together are. The desk's checkout shows the same figure as it adds
// lines, so it refuses one the books would.
func LinesTotal(lines []LineItem) (int64, error) {
	var sum int64
	for i, l := range lines {
		p, ok := MulInt64(l.UnitPrice, l.Quantity)
		if !ok {
			return 0, errf(ErrInvalid, "line %d is too large", i+1)
		}
		if sum, ok = AddInt64(sum, p); !ok {
			return 0, errf(ErrInvalid, "the lines add up to too much")
		}
	}
	return sum, nil
}

// CashOut pays a deposit back: client +A, register -A.
func (s *Service) CashOut(ctx context.Context, a Actor, r CashOutRequest) (Operation, error) {
	return s.post(ctx, a, r.rule(s))
}

func (r CashOutRequest) rule(s *Service) rule {
	return rule{right: RightCashOut, key: r.Key, req: r, approval: r.Approval, build: func(tx Tx, env postEnv) (*Operation, error) {
		if err := positive("amount", r.Amount); err != nil {
			return nil, err
		}
		note, err := cleanText("note", r.Note, maxNoteLen)
		if err != nil {
			return nil, err
		}
		reg, err := s.register(env, r.Register)
		if err != nil {
			return nil, err
		}
		f, err := loadFunds(tx, r.ClientID)
		if err != nil {
			return nil, err
		}
		if r.Amount > f.Available() {
			return nil, shortfall(env, f, r.Amount, "cashing out")
		}
		if err := s.checkFloor(tx, env, reg, r.Amount); err != nil {
			return nil, err
		}
		return &Operation{Kind: OpCashOut, ClientID: f.Client.ID, Comment: note, Postings: []Posting{
			{Account: ClientAccount(f.Client.ID), Amount: r.Amount},
			{Account: RegisterAccount(reg.ID), Amount: -r.Amount},
		}}, nil
	}}
}

// Transfer moves money between registers: to +A, from -A.
func (s *Service) Transfer(ctx context.Context, a Actor, r TransferRequest) (Operation, error) {
	return s.post(ctx, a, r.rule(s))
}

func (r TransferRequest) rule(s *Service) rule {
	return rule{right: RightTransfer, key: r.Key, req: r, approval: r.Approval, build: func(tx Tx, env postEnv) (*Operation, error) {
		if err := positive("amount", r.Amount); err != nil {
			return nil, err
		}
		note, err := cleanText("note", r.Note, maxNoteLen)
		if err != nil {
			return nil, err
		}
		from, err := s.register(env, r.From)
		if err != nil {
			return nil, err
		}
		to, err := s.register(env, r.To)
		if err != nil {
			return nil, err
		}
		if from.ID == to.ID {
			return nil, errf(ErrInvalid, "a transfer needs two different registers")
		}
		if err := s.checkFloor(tx, env, from, r.Amount); err != nil {
			return nil, err
		}
		return &Operation{Kind: OpTransfer, Comment: note, Postings: []Posting{
			{Account: RegisterAccount(to.ID), Amount: r.Amount},
			{Account: RegisterAccount(from.ID), Amount: -r.Amount},
		}}, nil
	}}
}

// MoveCash is a paid-in (register +A, paid_in_out -A) or a paid-out
// (register -A, paid_in_out +A), always with a reason.
func (s *Service) MoveCash(ctx context.Context, a Actor, r CashMoveRequest) (Operation, error) {
	return s.post(ctx, a, r.rule(s))
}

func (r CashMoveRequest) rule(s *Service) rule {
	return rule{right: RightPaidInOut, key: r.Key, req: r, approval: r.Approval, build: func(tx Tx, env postEnv) (*Operation, error) {
		if err := positive("amount", r.Amount); err != nil {
			return nil, err
		}
		reason, err := requiredText("reason", r.Reason, maxReasonLen)
		if err != nil {
			return nil, err
		}
		reg, err := s.register(env, r.Register)
		if err != nil {
			return nil, err
		}
		kind, amt := OpPaidOut, -r.Amount
		if r.In {
			kind, amt = OpPaidIn, r.Amount
		} else if err := s.checkFloor(tx, env, reg, r.Amount); err != nil {
			return nil, err
		}
		return &Operation{Kind: kind, Comment: reason, Postings: []Posting{
			{Account: RegisterAccount(reg.ID), Amount: amt},
			{Account: AccountPaidInOut, Amount: -amt},
		}}, nil
	}}
}

// Reverse undoes an operation with its negation, linked both ways.
func (s *Service) Reverse(ctx context.Context, a Actor, r ReverseRequest) (Operation, error) {
	return s.post(ctx, a, r.rule(s))
}

func (r ReverseRequest) rule(s *Service) rule {
	return rule{right: RightReverse, key: r.Key, req: r, approval: r.Approval, build: func(tx Tx, env postEnv) (*Operation, error) {
		reason, err := requiredText("reason", r.Reason, maxReasonLen)
		if err != nil {
			return nil, err
		}
		orig, err := tx.Operation(r.OperationID)
		if err != nil {
			return nil, err
		}
		if err := reversible(orig); err != nil {
			return nil, err
		}
		neg := make([]Posting, len(orig.Postings))
		for i, p := range orig.Postings {
			neg[i] = Posting{Account: p.Account, Amount: -p.Amount}
			if id, ok := RegisterOf(p.Account); ok {
				if err := s.checkRegister(env.Actor, id); err != nil {
					return nil, err
				}
			}
			if id, ok := ClientOf(p.Account); ok && neg[i].Amount > 0 {
				f, err := loadFunds(tx, id)
				if err != nil {
					return nil, err
				}
				if neg[i].Amount > f.Available() {
					return nil, shortfall(env, f, neg[i].Amount, "reversing")
				}
			}
			if id, ok := RegisterOf(p.Account); ok && neg[i].Amount < 0 {
				// Cash gone from the drawer (banked, paid out) cannot be
				// taken back out of it: reverse what moved it first.
				for _, r := range env.Settings.Registers {
					if r.ID == id {
						if err := s.checkFloor(tx, env, r, -neg[i].Amount); err != nil {
							return nil, err
						}
					}
				}
			}
		}
		if orig.Kind == OpCheckout && orig.BookingID != "" {
			b, err := tx.Booking(orig.BookingID)
			if err != nil {
				return nil, err
			}
			if b.Status != BookingServed {
				return nil, errf(ErrConflict, "booking %s is %s, no longer served", b.ID, b.Status)
			}
			b.Status, b.Updated = BookingPrepaid, env.Now
			if err := tx.PutBooking(b); err != nil {
				return nil, err
			}
		}
		env.AfterAppend(func(tx Tx, op Operation) error { return tx.MarkReversed(orig.ID, op.ID) })
		return &Operation{Kind: OpReversal, ClientID: orig.ClientID, BookingID: orig.BookingID,
			Comment: reason, Reverses: orig.ID, Postings: neg}, nil
	}}
}

// reversible says why an operation may not be reversed at the desk.
func reversible(o Operation) error {
	switch {
	case o.Kind == OpReversal || o.Reverses != 0:
		return errf(ErrNotReversible, "operation %d is itself a reversal; post a new operation instead", o.ID)
	case o.ReversedBy != 0:
		return errf(ErrAlreadyReversed, "operation %d was already reversed by operation %d", o.ID, o.ReversedBy)
	}
	switch o.Kind {
	case OpOnlinePrepayment, OpRefund:
		return errf(ErrNotReversible, "operation %d (%s) was made by the payment provider; refund the booking instead", o.ID, o.Kind)
	case OpProviderFee, OpPayout, OpDispute, OpProviderReversal:
		return errf(ErrNotReversible, "operation %d (%s) mirrors the payment provider's books and cannot be reversed at the desk", o.ID, o.Kind)
	case OpRefundToDeposit:
		// Undoing it would also have to reopen the booking's refund; cash out
		// the deposit instead.
		return errf(ErrNotReversible, "operation %d is a refund to the deposit; cash out the deposit instead", o.ID)
	}
	return nil
}
