package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	json, dryRun                *bool
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
	m.dryRun = m.fs.Bool("dry-run", false, "print what would post (the books' preview) and post nothing")
	return m
}

// post runs a money command's request: with --dry-run, the books' preview
// of it is printed and nothing posts; otherwise do posts it and the
// operation is printed. Either way what is printed comes from the one
// posting path in finance.
func (a *app) post(ctx context.Context, svc *finance.Service, st finance.Settings, m *moneyCmd, req finance.Request,
	do func() (finance.Operation, error)) error {
	if *m.dryRun {
		pv, err := svc.Preview(ctx, a.actor, req)
		if err != nil {
			return err
		}
		return a.printPreview(st, pv, *m.json)
	}
	op, err := do()
	if err != nil {
		return err
	}
	return a.printOp(st, op, *m.json)
}

// previewJSON is --dry-run --json: the operation as it would be stored and
// the balances after of the clients and registers it touches.
type previewJSON struct {
	DryRun    bool        `json:"dry_run"`
	Replayed  bool        `json:"replayed"` // the key already posted this request: nothing new would post
	Pending   bool        `json:"pending"`  // posts when the payment provider confirms (a card refund)
	Operation opJSON      `json:"operation"`
	After     []afterJSON `json:"after"`
}

type afterJSON struct {
	Account     string `json:"account"`
	Balance     int64  `json:"balance"`
	BalanceText string `json:"balance_text"`
}

// printPreview reports a preview: the postings and balances after in words,
// or as JSON.
func (a *app) printPreview(st finance.Settings, pv finance.Preview, asJSON bool) error {
	v, err := newView(st)
	if err != nil {
		return err
	}
	if asJSON {
		out := previewJSON{DryRun: true, Replayed: pv.Replayed, Pending: pv.Pending, Operation: v.op(pv.Operation), After: []afterJSON{}}
		for _, b := range pv.After {
			out.After = append(out.After, afterJSON{string(b.Account), b.Balance, v.f.Format(b.Balance)})
		}
		return writeJSON(a.stdout, out)
	}
	var b strings.Builder
	switch {
	case pv.Replayed:
		fmt.Fprintf(&b, "%s: already posted as operation %d; nothing new would post\n", pv.Operation.Kind, pv.Operation.ID)
	case pv.Pending:
		fmt.Fprintf(&b, "%s: would post when the payment provider confirms (dry run, nothing sent)\n", pv.Operation.Kind)
	default:
		fmt.Fprintf(&b, "%s: would post (dry run, nothing posted)\n", pv.Operation.Kind)
	}
	for _, p := range pv.Operation.Postings {
		fmt.Fprintf(&b, "  %-20s %s\n", p.Account, v.f.Format(p.Amount))
	}
	for _, after := range pv.After {
		fmt.Fprintf(&b, "  %-20s %s after\n", after.Account, v.f.Format(after.Balance))
	}
	_, err = io.WriteString(a.stdout, b.String())
	return err
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
	req := finance.TopUpRequest{Key: keyOrNew(*m.key), ClientID: id, Amount: n, Register: r, Note: *m.note}
	return a.post(ctx, svc, st, m, req, func() (finance.Operation, error) { return svc.TopUp(ctx, a.actor, req) })
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
	if !*walkIn {
		if req.ClientID, err = parseClientID(*client); err != nil {
			return err
		}
		// Without --balance the books take as much of the deposit as covers
		// the total (FromBalance nil), so a retry with the same key is the
		// same request and replays.
		if *bal != "" {
			fromBalance, err := amount(st, "balance", *bal, true)
			if err != nil {
				return err
			}
			if fromBalance > req.Total {
				return fmt.Errorf("%w: --balance %s is more than the total %s", finance.ErrInvalid, v.f.Format(fromBalance), v.f.Format(req.Total))
			}
			req.FromBalance = &fromBalance
		}
	}
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
	}
	// The register for the rest is resolved by the books, only if something
	// is left for it once the deposit is taken.
	req.RestTo = *reg
	err = a.post(ctx, svc, st, m, req, func() (finance.Operation, error) { return svc.Checkout(ctx, a.actor, req) })
	var unpaid *finance.PaymentMismatchError
	switch {
	case !errors.As(err, &unpaid):
		return err
	case len(pays) > 0:
		return fmt.Errorf("%w: the --pay amounts add up to %s but %s is due (total %s, %s from the balance)",
			finance.ErrInvalid, v.f.Format(unpaid.Paid), v.f.Format(unpaid.Due), v.f.Format(unpaid.Total), v.f.Format(unpaid.FromBalance))
	default:
		return usagef(fs, "%s is due after %s from the balance: say how it is paid with --register R or --pay R=AMOUNT",
			v.f.Format(unpaid.Due), v.f.Format(unpaid.FromBalance))
	}
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
	req := finance.CashOutRequest{Key: keyOrNew(*m.key), ClientID: id, Amount: n, Register: r, Note: *m.note}
	return a.post(ctx, svc, st, m, req, func() (finance.Operation, error) { return svc.CashOut(ctx, a.actor, req) })
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
	req := finance.TransferRequest{Key: keyOrNew(*m.key), From: f, To: t, Amount: n, Note: *m.note}
	return a.post(ctx, svc, st, m, req, func() (finance.Operation, error) { return svc.Transfer(ctx, a.actor, req) })
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
	req := finance.CashMoveRequest{Key: keyOrNew(*m.key), Register: r, Amount: n, In: in, Reason: *reason}
	return a.post(ctx, svc, st, m, req, func() (finance.Operation, error) { return svc.MoveCash(ctx, a.actor, req) })
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
	req := finance.ReverseRequest{Key: keyOrNew(*m.key), OperationID: id, Reason: *reason}
	return a.post(ctx, svc, st, m, req, func() (finance.Operation, error) { return svc.Reverse(ctx, a.actor, req) })
}
