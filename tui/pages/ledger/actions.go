package ledger

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/google/uuid"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

// The register actions of the Finance tab: a transfer from the selected
// register to another, and a paid-in or paid-out with a reason. Each opens a
// form with an idempotency key, asks for confirmation showing the exact
// postings, and posts on today's business date.

type action int

const (
	actNone action = iota
	actTransfer
	actPaidIn
	actPaidOut
)

// postedMsg answers a register action.
type postedMsg struct {
	what string
	op   finance.Operation
	err  error
}

// right is what an action needs.
func (a action) right() finance.Right {
	if a == actTransfer {
		return finance.RightTransfer
	}
	return finance.RightPaidInOut
}

// actionKeys are the register actions the person may take, for the help.
func (m *Model) actionKeys() []key.Binding {
	k := m.c.Keys
	var out []key.Binding
	if m.c.Allowed(finance.RightTransfer) {
		out = append(out, k.Transfer)
	}
	if m.c.Allowed(finance.RightPaidInOut) {
		out = append(out, k.PaidIn, k.PaidOut)
	}
	return out
}

// selectedRegister is the register the cursor is on, if the day is loaded.
func (m *Model) selectedRegister() (finance.Register, bool) {
	if len(m.totals) == 0 {
		return finance.Register{}, false
	}
	id := m.register()
	for _, r := range m.c.Settings.Registers {
		if r.ID == id {
			return r, true
		}
	}
	return finance.Register{}, false
}

// todayClosing is what a register holds now, known only while today is shown.
func (m *Model) todayClosing(register string) (int64, bool) {
	if m.date != m.c.Today() {
		return 0, false
	}
	for _, t := range m.totals {
		if t.Register == register {
			return t.Closing, true
		}
	}
	return 0, false
}

func (m *Model) openAction(a action) tea.Cmd {
	if !m.c.Allowed(a.right()) && m.approval == nil {
		return m.ovr.Open(m.c, a.right(), func(ap *finance.Approval) tea.Cmd {
			m.approval = ap
			return m.openAction(a)
		})
	}
	from, ok := m.selectedRegister()
	if !ok {
		return common.Status(common.StatusError, "the registers are not loaded yet; try again")
	}
	if !m.c.Backend.CanUseRegister(m.c.Actor, from.ID) {
		return common.Status(common.StatusError, "%s", registerRefusal(m.c, from))
	}
	s := m.c.Styles
	amount := components.TextField(s, "Amount", "0.00", func(v string) error {
		_, err := m.c.Money.Parse(v)
		return err
	})
	var fields []*components.Field
	switch a {
	case actTransfer:
		m.toRegs = nil
		for _, r := range m.c.Registers() {
			if r.ID != from.ID {
				m.toRegs = append(m.toRegs, r)
			}
		}
		if len(m.toRegs) == 0 {
			return common.Status(common.StatusError, "there is no other register you may transfer to")
		}
		names := make([]string, len(m.toRegs))
		for i, r := range m.toRegs {
			names[i] = r.Name
		}
		fields = []*components.Field{components.ChoiceField(s, "To", names, 0), amount,
			components.TextField(s, "Note", "optional", nil)}
	default:
		reason := components.TextField(s, "Reason", "what the money is for", func(v string) error {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("a paid-in or paid-out needs a reason")
			}
			return nil
		})
		fields = []*components.Field{amount, reason}
	}
	m.form = components.NewForm(s, m.c.Keys, fields...)
	m.form.Width = min(m.c.Width-6, 70)
	m.action, m.from = a, from
	// The key lives as long as the form: a refusal keeps it, so fixing the
	// amount and confirming again can never post twice.
	m.formKey = uuid.NewString()
	return nil
}

func registerRefusal(c common.Common, r finance.Register) string {
	return fmt.Sprintf("%s (%s) may not use the %s register", c.Actor.Staff, c.Actor.Role, r.Name)
}

func (m *Model) closeAction() {
	m.form, m.action, m.formKey, m.toRegs, m.approval = nil, actNone, "", nil, nil
	m.pend.Clear()
}

func (m *Model) updateAction(msg tea.KeyMsg) tea.Cmd {
	switch k := m.c.Keys; {
	case key.Matches(msg, k.Back):
		m.closeAction()
		return common.Status(common.StatusInfo, "canceled")
	case key.Matches(msg, k.Enter):
		if !m.form.Enter() {
			return nil
		}
		return m.review()
	}
	return m.form.Update(msg)
}

// review turns a valid form into a confirmation of exactly what will post,
// as the service previews it.
func (m *Model) review() tea.Cmd {
	f := m.form.Fields
	amtField := 0
	if m.action == actTransfer {
		amtField = 1
	}
	amount, err := m.c.Money.Parse(f[amtField].Value())
	if err != nil {
		m.form.SetError(amtField, common.ErrText(err))
		return nil
	}
	// A register that could not hold the sum is refused here too: the books
	// must never be asked to wrap around.
	if why := m.overflows(m.action, amount); why != "" {
		m.form.SetError(amtField, why)
		return nil
	}
	b, c, a, idem, from := m.c.Backend, m.c, m.c.Actor, m.formKey, m.from
	var (
		title, yes, what, busy string
		req                    finance.Request
		extra                  []string
		call                   func() (finance.Operation, error)
	)
	switch m.action {
	case actTransfer:
		to := m.toRegs[f[0].Choice]
		tr := finance.TransferRequest{Key: idem, From: from.ID, To: to.ID, Amount: amount, Note: f[2].Value(), Approval: m.approval}
		title = fmt.Sprintf("Transfer %s from %s to %s?", m.c.Money.Format(amount), from.Name, to.Name)
		yes, what, busy = "post the transfer", "Transfer", "posting the transfer…"
		if tr.Note != "" {
			extra = append(extra, "  Note: "+tr.Note)
		}
		req = tr
		call = func() (finance.Operation, error) {
			ctx, cancel := c.Call()
			defer cancel()
			return b.Transfer(ctx, a, tr)
		}
	default:
		in := m.action == actPaidIn
		mv := finance.CashMoveRequest{Key: idem, Register: from.ID, Amount: amount, In: in, Reason: f[1].Value(), Approval: m.approval}
		if in {
			title = fmt.Sprintf("Pay %s into %s?", m.c.Money.Format(amount), from.Name)
			yes, what, busy = "post the paid-in", "Paid-in", "posting the paid-in…"
		} else {
			title = fmt.Sprintf("Pay %s out of %s?", m.c.Money.Format(amount), from.Name)
			yes, what, busy = "post the paid-out", "Paid-out", "posting the paid-out…"
		}
		extra = append(extra, "  Reason: "+mv.Reason)
		req = mv
		call = func() (finance.Operation, error) {
			ctx, cancel := c.Call()
			defer cancel()
			return b.MoveCash(ctx, a, mv)
		}
	}
	if m.approval != nil {
		extra = append(extra, "  Approved by "+m.approval.Staff)
	}
	if m.date != m.c.Today() {
		extra = append(extra, fmt.Sprintf("  It posts on today, %s, not on the day shown.", m.c.Today()))
	}
	return m.pend.Preview(m.c, req, func(pv finance.Preview) components.Confirm {
		return components.Reviewed(m.c, title, yes, pv, nil, extra...)
	}, func() tea.Cmd {
		return tea.Batch(common.Busy(busy), func() tea.Msg {
			op, err := call()
			return postedMsg{what: what, op: op, err: err}
		})
	}, func(err error) tea.Cmd {
		// The form stays open with the same key; the service's words say why.
		return common.Status(common.StatusError, "%s refused: %s", what, common.ErrText(err))
	})
}

// overflows says why an amount is too large for a register shown today ("" if
// it fits or today's balances are not on screen; the service checks anyway).
func (m *Model) overflows(a action, amount int64) string {
	check := func(r finance.Register, delta int64) string {
		held, ok := m.todayClosing(r.ID)
		if !ok {
			return ""
		}
		if _, ok := finance.AddInt64(held, delta); !ok {
			return "too large: " + r.Name + " holds " + m.c.Money.Format(held) + " and could not book it"
		}
		return ""
	}
	switch a {
	case actTransfer:
		if why := check(m.from, -amount); why != "" {
			return why
		}
		return check(m.toRegs[m.form.Fields[0].Choice], amount)
	case actPaidIn:
		return check(m.from, amount)
	}
	return check(m.from, -amount)
}

func (m *Model) posted(msg postedMsg) tea.Cmd {
	m.pend.Done()
	if msg.err != nil {
		// The form stays open with the same key; the service's words say why.
		return common.Status(common.StatusError, "%s refused: %s", msg.what, common.ErrText(msg.err))
	}
	m.closeAction()
	// The operation is on today's books: show today with fresh totals.
	m.date = m.c.Today()
	return tea.Batch(common.Status(common.StatusOK, "%s of %s posted as operation #%d.%s", msg.what, m.c.Money.Format(opAmount(msg.op)), msg.op.ID, common.DatedNote(msg.op)),
		m.reload())
}

// opAmount is the size of an operation: the sum of its debits.
func opAmount(op finance.Operation) int64 {
	var n int64
	for _, p := range op.Postings {
		if p.Amount > 0 {
			n += p.Amount
		}
	}
	return n
}

// FormKey is the idempotency key of the open register action ("" when none).
func (m *Model) FormKey() string { return m.formKey }

func (m *Model) actionView() string {
	s := m.c.Styles
	var title string
	switch m.action {
	case actTransfer:
		title = "Transfer from " + m.from.Name
	case actPaidIn:
		title = "Paid in · " + m.from.Name
	case actPaidOut:
		title = "Paid out · " + m.from.Name
	}
	sub := "Posts on today, " + string(m.c.Today())
	if held, ok := m.todayClosing(m.from.ID); ok {
		sub += " · " + m.from.Name + " holds " + m.c.Money.Format(held)
	}
	return s.Title.Render(title) + "\n" + s.Muted.Render(sub) + "\n\n" + m.form.View() + "\n\n" +
		s.Muted.Render("enter: next field, then review · esc: cancel")
}
