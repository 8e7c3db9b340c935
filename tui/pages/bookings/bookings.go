// Package bookings is the Bookings tab: prepaid bookings, cancelling one,
// and refunding what is due, to the card or to the client's deposit.
package bookings

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

// listLimit is how many bookings the list holds, newest start first: years
// of bookings are never read for one screen (the store walks its index and
// stops here).
const listLimit = 200

// Model is the Bookings tab.
type Model struct {
	c         common.Common
	refundDue bool
	list      []finance.Booking
	tbl       *components.Table
	loaded    bool
	loadErr   string

	form     *components.Form
	formKind int
	formKey  string
	target   finance.Booking
	// approval is a manager's PIN lent for the open refund (nil: own right)
	approval *finance.Approval
	ovr      components.Override
	pend     components.Pending
}

const (
	formCancel = iota + 1
	formRefund
)

type (
	listMsg struct {
		list []finance.Booking
		err  error
	}
	doneMsg struct {
		text string
		op   finance.OperationID // what posted, when it offers a receipt
		err  error
	}
)

// New builds the Bookings tab.
func New(c common.Common) *Model {
	m := &Model{c: c}
	m.tbl = components.NewTable(c.Styles,
		components.Column{Title: "Booking", Width: 10},
		components.Column{Title: "Service", Flex: true, Width: 10},
		components.Column{Title: "Starts", Width: 12},
		components.Column{Title: "Paid", Width: 11, Right: true},
		components.Column{Title: "Refunded", Width: 11, Right: true},
		components.Column{Title: "Status", Width: 9})
	return m
}

func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.tbl.Width = w
	m.tbl.Height = max(3, h-7)
	if m.form != nil {
		m.form.Width = min(w-8, 64)
	}
}

func (m *Model) Capturing() bool { return m.form != nil || m.pend.Active() || m.ovr.Active() }

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	switch {
	case m.ovr.Active():
		return []key.Binding{k.EnterFor("approve"), k.Back}
	case m.pend.Active():
		return m.pend.Keys(k)
	case m.form != nil:
		return []key.Binding{k.NextFld, k.EnterFor("next / review"), k.Back}
	}
	return []key.Binding{k.Up, k.Down, k.RefundsDue, k.CancelBooking, k.Refund, k.Refresh}
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

func (m *Model) load() tea.Cmd {
	b, c := m.c.Backend, m.c
	f := finance.BookingFilter{RefundDue: m.refundDue, Limit: listLimit, Newest: true}
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		l, err := b.Bookings(ctx, f)
		return listMsg{list: l, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.ovr.Update(m.c, msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case common.ActivatedMsg, common.ChangedMsg:
		return m.load()
	case listMsg:
		m.loaded = true
		m.loadErr = ""
		if msg.err != nil {
			m.loadErr = common.ErrText(msg.err)
			return nil
		}
		m.list = msg.list
		rows := make([]components.Row, len(m.list))
		for i, b := range m.list {
			when := b.StartsAt
			if m.c.Loc != nil {
				when = when.In(m.c.Loc)
			}
			status := string(b.Status)
			if b.Flag != "" {
				status += "!"
			}
			rows[i] = components.Row{Cells: []string{b.ID, b.Service, when.Format("02 Jan 15:04"), m.c.Money.Format(b.Paid),
				m.c.Money.Format(b.Refunded), status}, Dim: b.Status == finance.BookingRefunded || b.Status == finance.BookingServed}
		}
		m.tbl.SetRows(rows)
		return nil
	case components.PreviewMsg:
		cmd, _ := m.pend.HandlePreview(msg)
		return cmd
	case doneMsg:
		m.pend.Done()
		if msg.err != nil {
			return common.Status(common.StatusError, "%s", common.ErrText(msg.err))
		}
		m.form, m.approval = nil, nil
		if msg.op != 0 {
			return tea.Batch(common.Status(common.StatusOK, "%s", msg.text), m.load(), common.OfferReceipt(msg.op, 0, 0))
		}
		return tea.Batch(common.Status(common.StatusOK, "%s", msg.text), m.load())
	case tea.KeyMsg:
		if cmd, ok := m.pend.HandleKey(msg, m.c.Keys); ok {
			return cmd
		}
		if m.form != nil {
			return m.updateForm(msg)
		}
		k := m.c.Keys
		switch {
		case key.Matches(msg, k.Up):
			m.tbl.Move(-1)
		case key.Matches(msg, k.Down):
			m.tbl.Move(1)
		case key.Matches(msg, k.RefundsDue):
			m.refundDue = !m.refundDue
			return m.load()
		case key.Matches(msg, k.Refresh):
			return m.load()
		case key.Matches(msg, k.CancelBooking):
			return m.openCancel()
		case key.Matches(msg, k.Refund):
			return m.openRefund()
		}
	}
	return nil
}

func (m *Model) selected() (finance.Booking, bool) {
	if m.tbl.Cursor < len(m.list) {
		return m.list[m.tbl.Cursor], true
	}
	return finance.Booking{}, false
}

func reasonField(m *Model) *components.Field {
	return components.TextField(m.c.Styles, "Reason", "why?", func(v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("a reason is required")
		}
		return nil
	})
}

func (m *Model) openCancel() tea.Cmd {
	b, ok := m.selected()
	if !ok {
		return nil
	}
	if !m.c.Allowed(finance.RightBookings) {
		return common.Status(common.StatusError, "%s", components.RightRefusal(m.c, finance.RightBookings))
	}
	if b.Status != finance.BookingPrepaid {
		return common.Status(common.StatusError, "booking %s is %s; only prepaid bookings can be canceled", b.ID, b.Status)
	}
	m.target = b
	m.form = components.NewForm(m.c.Styles, m.c.Keys, reasonField(m))
	m.form.Width = min(m.c.Width-8, 64)
	m.formKind = formCancel
	return nil
}

func (m *Model) left(b finance.Booking) int64 { return max(0, b.Paid-b.Refunded) }

func (m *Model) openRefund() tea.Cmd {
	b, ok := m.selected()
	if !ok {
		return nil
	}
	if !m.c.Allowed(finance.RightRefund) && m.approval == nil {
		return m.ovr.Open(m.c, finance.RightRefund, func(ap *finance.Approval) tea.Cmd {
			m.approval = ap
			return m.openRefund()
		})
	}
	if b.Status != finance.BookingCanceled {
		return common.Status(common.StatusError, "booking %s is %s; cancel it first (x), then refund", b.ID, b.Status)
	}
	if m.left(b) == 0 {
		return common.Status(common.StatusError, "nothing is left to refund on booking %s", b.ID)
	}
	s := m.c.Styles
	amount := components.TextField(s, "Amount", "0.00", func(v string) error {
		a, err := m.c.Money.Parse(v)
		if err != nil {
			return err
		}
		if a > m.left(b) {
			return fmt.Errorf("at most %s is left to refund", m.c.Money.Format(m.left(b)))
		}
		return nil
	})
	amount.Input.Preselect(m.c.Money.Plain(m.left(b)))
	to := components.ChoiceField(s, "Refund to", []string{"card", "deposit"}, 0)
	if m.c.Refunder == nil {
		to.Choice = 1
		to.Hint = "card refunds need the payment sync configured"
	}
	m.target = b
	m.form = components.NewForm(s, m.c.Keys, amount, to, reasonField(m))
	m.form.Width = min(m.c.Width-8, 64)
	m.formKind = formRefund
	m.formKey = uuid.NewString()
	return nil
}

func (m *Model) updateForm(msg tea.KeyMsg) tea.Cmd {
	switch k := m.c.Keys; {
	case key.Matches(msg, k.Back):
		m.form, m.approval = nil, nil
		return nil
	case key.Matches(msg, k.Enter):
		if !m.form.Enter() {
			return nil
		}
		return m.review()
	}
	return m.form.Update(msg)
}

func (m *Model) review() tea.Cmd {
	b, c, a, bk := m.c.Backend, m.c, m.c.Actor, m.target
	f := m.form.Fields
	if m.formKind == formCancel {
		reason := f[0].Value()
		lines := []string{fmt.Sprintf("  %s · %s", bk.ID, bk.Service)}
		if left := m.left(bk); left > 0 {
			lines = append(lines, fmt.Sprintf("  %s stays prepaid and becomes refund due; nothing is refunded yet.", m.c.Money.Format(left)))
		}
		m.pend.Ask(components.Confirm{Title: "Cancel booking " + bk.ID + "?", Lines: lines, Yes: "cancel the booking"}, func() tea.Cmd {
			return tea.Batch(common.Busy("canceling…"), func() tea.Msg {
				ctx, cancel := c.Call()
				defer cancel()
				_, err := b.CancelBooking(ctx, a, bk.ID, reason)
				if err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{text: "Booking " + bk.ID + " canceled."}
			})
		})
		return nil
	}
	amount, err := m.c.Money.Parse(f[0].Value())
	if err != nil {
		m.form.SetError(0, common.ErrText(err))
		return nil
	}
	toDeposit := f[1].Value() == "deposit"
	if !toDeposit && m.c.Refunder == nil {
		m.form.SetError(1, "card refunds need the payment sync configured; refund to the deposit instead")
		return nil
	}
	if toDeposit && bk.ClientID == 0 {
		m.form.SetError(1, "this booking has no client deposit")
		return nil
	}
	req := finance.RefundRequest{Key: m.formKey, BookingID: bk.ID, Amount: amount, ToDeposit: toDeposit, Reason: f[2].Value(), Approval: m.approval}
	confirm := func(pv finance.Preview) components.Confirm {
		where := "the card"
		if toDeposit {
			where = "the client's deposit"
			if ps := pv.Operation.Postings; len(ps) > 2 {
				where = fmt.Sprintf("the deposits of its %d payers", len(ps)-1)
			}
		}
		return components.Reviewed(m.c, fmt.Sprintf("Refund %s of booking %s to %s?", m.c.Money.Format(amount), bk.ID, where), "refund", pv, nil, approvedBy(m.approval)...)
	}
	refunder, money := m.c.Refunder, m.c.Money
	return m.pend.Preview(m.c, req, confirm, func() tea.Cmd {
		return tea.Batch(common.Busy("refunding…"), func() tea.Msg {
			ctx, cancel := c.Call()
			defer cancel()
			r, err := b.StartRefund(ctx, a, req)
			if err != nil {
				return doneMsg{err: err}
			}
			if toDeposit {
				return doneMsg{text: fmt.Sprintf("Refunded %s of booking %s to the deposit.", money.Format(r.Amount), bk.ID), op: r.OperationID}
			}
			// The refund is saved under its key before the provider call, so
			// a failure here is retried with the same key, never doubled.
			if err := refunder.Refund(ctx, r.Key); err != nil {
				return doneMsg{err: fmt.Errorf("refund saved but the provider call failed (it will be retried): %w", err)}
			}
			return doneMsg{text: fmt.Sprintf("Refund of %s sent to the card; it posts when the provider confirms.", money.Format(r.Amount))}
		})
	}, func(err error) tea.Cmd { return common.Status(common.StatusError, "%s", common.ErrText(err)) })
}

func (m *Model) View() string {
	s := m.c.Styles
	if m.ovr.Active() {
		return m.ovr.View(m.c, m.c.Width, m.c.Height)
	}
	if m.pend.Active() {
		return m.pend.View(s, m.c.Width, m.c.Height)
	}
	if m.form != nil {
		title := "Cancel booking " + m.target.ID
		if m.formKind == formRefund {
			title = fmt.Sprintf("Refund booking %s (%s left)", m.target.ID, m.c.Money.Format(m.left(m.target)))
		}
		return s.Title.Render(title) + "\n\n" + m.form.View() + "\n\n" + s.Muted.Render("enter: next, then review · esc: cancel")
	}
	var b strings.Builder
	title := "Bookings · all"
	if m.refundDue {
		title = "Bookings · refunds due"
	}
	b.WriteString(s.Title.Render(title) + s.Muted.Render("  f toggles all / refunds due") + "\n\n")
	switch {
	case !m.loaded:
		b.WriteString(s.Muted.Render("Loading…"))
	case m.loadErr != "":
		b.WriteString(s.Status.Error.Render(m.loadErr))
	case len(m.list) == 0 && m.refundDue:
		b.WriteString(s.Muted.Render("No refunds due."))
	case len(m.list) == 0:
		msg := "No bookings yet. Prepaid bookings arrive from the online booking widget through the payment sync."
		if !m.c.SyncConfigured {
			msg += "\nThe payment sync is not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)."
		}
		b.WriteString(s.Muted.Render(msg))
	default:
		b.WriteString(m.tbl.View())
		if bk, ok := m.selected(); ok {
			b.WriteString("\n\n" + s.Label.Render("Client ") + fmt.Sprintf("#%d", bk.ClientID) +
				s.Label.Render("  total ") + m.c.Money.Format(bk.Total) + s.Label.Render("  left ") + m.c.Money.Format(m.left(bk)))
			if bk.GroupEvent {
				b.WriteString(s.Muted.Render("  group event"))
			}
			if payers := bk.PayerList(); len(payers) > 1 {
				parts := make([]string, 0, len(payers))
				for _, p := range payers {
					parts = append(parts, fmt.Sprintf("#%d %s", p.ClientID, m.c.Money.Format(p.Amount)))
				}
				b.WriteString("\n" + s.Label.Render("Payers ") + strings.Join(parts, ", "))
			}
			if bk.Flag != "" {
				b.WriteString("\n" + s.Status.Error.Render("! "+bk.Flag))
			}
		}
	}
	return b.String()
}

// approvedBy says, in a confirmation, whose PIN allows the action.
func approvedBy(ap *finance.Approval) []string {
	if ap == nil {
		return nil
	}
	return []string{"  Approved by " + ap.Staff}
}
