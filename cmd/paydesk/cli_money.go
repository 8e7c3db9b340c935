package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/paydesk/paydesk/finance"
)

// moneyCmd is the shape every money command shares: the flags they have in
// common (--amount, --register, --note, --key, --json), one parse that checks
// the required ones, and one report of the posted operation (printOp).
type moneyCmd struct {
	fs                          *pflag.FlagSet
	amount, register, note, key *string
	json                        *bool
}

// moneyHelp words a money command's common flags; an empty one is a flag
// the command doesn't have (transfer has no --register, paid-in no --note).
type moneyHelp struct {
	amount, register, note string
	json                   string // what --json prints, "operation" by default
}

// moneyFlags defines a money command's common flags; the command adds its own
// to m.fs before parse.
func moneyFlags(name string, h moneyHelp) *moneyCmd {
	m := &moneyCmd{fs: newFlags(name)}
	str := func(flag, help string) *string {
		if help == "" {
			return new(string)
		}
		return m.fs.String(flag, "", help)
	}
	m.amount = str("amount", h.amount)
	m.register = str("register", h.register)
	m.note = str("note", h.note)
	m.key = keyFlag(m.fs)
	if h.json == "" {
		h.json = "operation"
	}
	m.json = m.fs.Bool("json", false, "print the "+h.json+" as JSON")
	return m
}

// parse reads the line (positionals between minPos and maxPos) and checks the
// required flags, before anything is opened.
func (m *moneyCmd) parse(args []string, minPos, maxPos int, need ...string) ([]string, error) {
	pos, err := parse(m.fs, args, minPos, maxPos)
	if err != nil {
		return nil, err
	}
	return pos, required(m.fs, need...)
}

// printOp reports a posted operation: its id for scripts, or the whole
// operation as JSON.
func (a *app) printOp(st finance.Settings, op finance.Operation, asJSON bool) error {
	if op.BelongsTo != "" {
		// Said on stderr so a script reading the id on stdout is not confused.
		fmt.Fprintf(a.stderr, "%s is closed: operation %d is dated %s and belongs to %s\n",
			op.BelongsTo, op.ID, op.BusinessDate, op.BelongsTo)
	}
	if !asJSON {
		_, err := fmt.Fprintln(a.stdout, op.ID)
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	return writeJSON(a.stdout, v.op(op))
}

func cmdDeposit(ctx context.Context, a *app, args []string) error {
	m := moneyFlags("deposit", moneyHelp{amount: "amount, e.g. 50 or 50.00 (required)",
		register: "register id or name, e.g. cash (required)", note: "a note"})
	client := m.fs.String("client", "", "client id (required)")
	if _, err := m.parse(args, 0, 0, "client", "amount", "register"); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	id, err := parseClientID(*client)
	if err != nil {
		return err
	}
	n, err := amount(st, "amount", *m.amount, false)
	if err != nil {
		return err
	}
	r, err := register(st, *m.register)
	if err != nil {
		return err
	}
	op, err := svc.TopUp(ctx, a.actor, finance.TopUpRequest{Key: keyOrNew(*m.key), ClientID: id, Amount: n, Register: r, Note: *m.note})
	if err != nil {
		return err
	}
	return a.printOp(st, op, *m.json)
}

func cmdCheckout(ctx context.Context, a *app, args []string) error {
	m := moneyFlags("checkout", moneyHelp{register: "the register that takes the rest", note: "a note"})
	fs, reg := m.fs, m.register
	client := fs.String("client", "", "client id")
	walkIn := fs.Bool("walk-in", false, "a visitor without a client record (nothing from a deposit)")
	total := fs.String("total", "", "the visit's total (required)")
	bal := fs.String("balance", "", "take this much from the client's deposit (default: as much as covers the total)")
	var pays payFlag
	fs.Var(&pays, "pay", "REGISTER=AMOUNT, repeatable: split the rest over registers; must add up exactly")
	if _, err := m.parse(args, 0, 0, "total"); err != nil {
		return err
	}
	switch {
	case *client == "" && !*walkIn:
		return usagef(fs, "say whose visit it is with --client ID, or --walk-in")
	case *client != "" && *walkIn:
		return usagef(fs, "--client and --walk-in don't go together")
	case *reg != "" && len(pays) > 0:
		return usagef(fs, "use --register or --pay, not both")
	case *walkIn && *bal != "":
		return usagef(fs, "a walk-in has no deposit to take --balance from")
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	req := finance.CheckoutRequest{Key: keyOrNew(*m.key), Note: *m.note}
	if req.Total, err = amount(st, "total", *total, false); err != nil {
		return err
	}
	var fromBalance int64
	if !*walkIn {
		if req.ClientID, err = parseClientID(*client); err != nil {
			return err
		}
		if *bal != "" {
			if fromBalance, err = amount(st, "balance", *bal, true); err != nil {
				return err
			}
		} else if fromBalance, err = defaultFromBalance(ctx, svc, req.ClientID, req.Key, req.Total); err != nil {
			return err
		}
	}
	if fromBalance > req.Total {
		return fmt.Errorf("%w: --balance %s is more than the total %s", finance.ErrInvalid, v.f.Format(fromBalance), v.f.Format(req.Total))
	}
	req.FromBalance = &fromBalance
	rest := req.Total - fromBalance

	switch {
	case len(pays) > 0:
		var sum int64
		for _, p := range pays {
			name, amt, _ := strings.Cut(p, "=")
			r, err := register(st, name)
			if err != nil {
				return err
			}
			n, err := amount(st, "pay "+name, amt, false)
			if err != nil {
				return err
			}
			req.Payments = append(req.Payments, finance.Tender{Register: r, Amount: n})
			sum += n
		}
		if sum != rest {
			return fmt.Errorf("%w: the --pay amounts add up to %s but %s is due (total %s, %s from the balance)",
				finance.ErrInvalid, v.f.Format(sum), v.f.Format(rest), v.f.Format(req.Total), v.f.Format(fromBalance))
		}
	case rest == 0:
		// All from the deposit; a --register is simply not needed.
	case *reg != "":
		r, err := register(st, *reg)
		if err != nil {
			return err
		}
		req.Payments = []finance.Tender{{Register: r, Amount: rest}}
	default:
		return usagef(fs, "%s is due after %s from the balance: say how it is paid with --register R or --pay R=AMOUNT",
			v.f.Format(rest), v.f.Format(fromBalance))
	}
	op, err := svc.Checkout(ctx, a.actor, req)
	if err != nil {
		return err
	}
	return a.printOp(st, op, *m.json)
}

// defaultFromBalance is what the deposit covers: all of what the client may
// spend, up to the total. A retry with the key of a checkout already posted
// takes what that checkout took, so the retry matches it and posts nothing
// new (the deposit has shrunk since, which would otherwise change the request).
func defaultFromBalance(ctx context.Context, svc *finance.Service, id finance.ClientID, key string, total int64) (int64, error) {
	prior, found, err := svc.DeskOperation(ctx, key)
	if err != nil {
		return 0, err
	}
	if found {
		for _, p := range prior.Postings {
			if p.Account == finance.ClientAccount(id) && p.Amount > 0 {
				return p.Amount, nil
			}
		}
		return 0, nil
	}
	cv, err := svc.ClientView(ctx, id, finance.Page{Limit: 1})
	if err != nil {
		return 0, err
	}
	return max(0, min(cv.Available, total)), nil
}

func cmdCashOut(ctx context.Context, a *app, args []string) error {
	m := moneyFlags("cashout", moneyHelp{amount: "amount to pay back (required)",
		register: "register the money leaves, e.g. cash (required)", note: "a note"})
	client := m.fs.String("client", "", "client id (required)")
	if _, err := m.parse(args, 0, 0, "client", "amount", "register"); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	id, err := parseClientID(*client)
	if err != nil {
		return err
	}
	n, err := amount(st, "amount", *m.amount, false)
	if err != nil {
		return err
	}
	r, err := register(st, *m.register)
	if err != nil {
		return err
	}
	op, err := svc.CashOut(ctx, a.actor, finance.CashOutRequest{Key: keyOrNew(*m.key), ClientID: id, Amount: n, Register: r, Note: *m.note})
	if err != nil {
		return err
	}
	return a.printOp(st, op, *m.json)
}

func cmdTransfer(ctx context.Context, a *app, args []string) error {
	m := moneyFlags("transfer", moneyHelp{amount: "amount (required)", note: "a note"})
	from := m.fs.String("from", "", "register the money leaves (required)")
	to := m.fs.String("to", "", "register the money goes to (required)")
	if _, err := m.parse(args, 0, 0, "from", "to", "amount"); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	n, err := amount(st, "amount", *m.amount, false)
	if err != nil {
		return err
	}
	f, err := register(st, *from)
	if err != nil {
		return err
	}
	t, err := register(st, *to)
	if err != nil {
		return err
	}
	op, err := svc.Transfer(ctx, a.actor, finance.TransferRequest{Key: keyOrNew(*m.key), From: f, To: t, Amount: n, Note: *m.note})
	if err != nil {
		return err
	}
	return a.printOp(st, op, *m.json)
}

func cmdPaidIn(ctx context.Context, a *app, args []string) error {
	return moveCash(ctx, a, args, "paid-in", true)
}

func cmdPaidOut(ctx context.Context, a *app, args []string) error {
	return moveCash(ctx, a, args, "paid-out", false)
}

func moveCash(ctx context.Context, a *app, args []string, name string, in bool) error {
	m := moneyFlags(name, moneyHelp{amount: "amount (required)", register: "register id or name (required)"})
	reason := m.fs.String("reason", "", "why, in words (required)")
	if _, err := m.parse(args, 0, 0, "register", "amount", "reason"); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	n, err := amount(st, "amount", *m.amount, false)
	if err != nil {
		return err
	}
	r, err := register(st, *m.register)
	if err != nil {
		return err
	}
	op, err := svc.MoveCash(ctx, a.actor, finance.CashMoveRequest{Key: keyOrNew(*m.key), Register: r, Amount: n, In: in, Reason: *reason})
	if err != nil {
		return err
	}
	return a.printOp(st, op, *m.json)
}

func cmdReverse(ctx context.Context, a *app, args []string) error {
	m := moneyFlags("reverse", moneyHelp{json: "reversal"})
	reason := m.fs.String("reason", "", "why the operation was a mistake (required)")
	pos, err := m.parse(args, 1, 1, "reason")
	if err != nil {
		return err
	}
	id, err := parseOpID(pos[0])
	if err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	op, err := svc.Reverse(ctx, a.actor, finance.ReverseRequest{Key: keyOrNew(*m.key), OperationID: id, Reason: *reason})
	if err != nil {
		return err
	}
	return a.printOp(st, op, *m.json)
}
