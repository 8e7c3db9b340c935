// Package clients is the Clients tab: search as you type, new client, and a
// client's card with balance, paged history and the money actions.
package clients

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

const (
	searchLimit = 50 // more than the list shows at 120x40; each row costs a client load
	pageSize    = 20
)

type mode int

const (
	modeList mode = iota
	modeDetail
	modeOp // one operation's postings
)

type formKind int

const (
	formNone formKind = iota
	formNewClient
	formTopUp
	formCashOut
	formReverse
	formEdit
)

// Model is the Clients tab.
type Model struct {
	c common.Common

	mode      mode
	filter    *components.Input
	filtering bool
	seq       int // latest search; older answers are dropped
	results   []finance.ClientSummary
	list      *components.Table
	listErr   string

	view    finance.ClientView
	hist    *components.Table
	pages   []finance.OperationID // Before cursors of the pages above this one
	before  finance.OperationID
	op      finance.Operation
	opNames map[finance.AccountID]string

	form     *components.Form
	formKind formKind
	formKey  string // idempotency key, made when the form opens
	regs     []finance.Register
	revOp    finance.Operation
	// approval is a manager's PIN lent for the open form's one action
	// (nil: the person's own right).
	approval *finance.Approval
	ovr      components.Override
	// posted is the operation just posted: the history's cursor goes to it
	// when the history reloads, so an immediate r reverses that one.
	posted finance.OperationID

	pend components.Pending
}

// Messages answering this screen's commands.
type (
	searchMsg struct {
		seq  int
		rows []finance.ClientSummary
		err  error
	}
	viewMsg struct {
		view   finance.ClientView
		before finance.OperationID
		err    error
	}
	createdMsg struct {
		client finance.Client
		err    error
	}
	updatedMsg struct {
		client  finance.Client
		changed []string
		err     error
	}
	postedMsg struct {
		what string
		op   finance.Operation
		err  error
	}
	opMsg struct {
		op  finance.Operation
		err error
	}
)

// New builds the Clients tab.
func New(c common.Common) *Model {
	m := &Model{c: c}
	m.filter = components.NewInput(c.Styles, "name or phone")
	m.filter.CharLimit = 60
	m.list = components.NewTable(c.Styles,
		components.Column{Title: "Name", Flex: true, Width: 16},
		components.Column{Title: "Phone", Width: 16},
		components.Column{Title: "Balance", Width: 13, Right: true})
	m.hist = components.NewTable(c.Styles,
		components.Column{Title: "Op", Width: 6, Right: true},
		components.Column{Title: "Date", Width: 16},
		components.Column{Title: "Kind", Width: 13},
		components.Column{Title: "Deposit", Width: 12, Right: true},
		components.Column{Title: "Note", Flex: true})
	return m
}

// Init runs the first search (everyone, by name).
func (m *Model) Init() tea.Cmd { return m.search() }

func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.filter.Width = max(10, min(40, w-20))
	m.list.Width = w
	m.list.Height = max(3, h-4)
	m.hist.Width = w
	m.hist.Height = max(3, h-7)
	if m.form != nil {
		m.form.Width = min(w-6, 70)
	}
}

// Capturing is true while typing in the filter or a form, or in a dialog.
func (m *Model) Capturing() bool {
	return m.filtering || m.form != nil || m.pend.Active() || m.ovr.Active()
}

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	switch {
	case m.ovr.Active():
		return []key.Binding{k.EnterFor("approve"), k.Back}
	case m.pend.Active():
		return m.pend.Keys(k)
	case m.form != nil:
		return []key.Binding{k.NextFld, k.PrevFld, k.EnterFor("next / review"), k.Back}
	case m.filtering:
		return []key.Binding{k.FilterDone, k.BackFor("clear")}
	case m.mode == modeDetail:
		return []key.Binding{k.TopUp, k.Checkout, k.CashOut, k.Reverse, m.editKey(), k.EnterFor("postings"), k.NextPage, k.PrevPage, k.Back}
	case m.mode == modeOp:
		return []key.Binding{k.Reverse, k.Back}
	}
	return []key.Binding{k.Filter, k.Up, k.Down, k.EnterFor("open client"), k.New, k.Checkout}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{
		{k.Filter, k.Up, k.Down, k.Enter, k.New},
		{k.TopUp, k.Checkout, k.CashOut, k.Reverse, m.editKey()},
		{k.NextPage, k.PrevPage, k.Back},
	}
}

// ---- commands

func (m *Model) search() tea.Cmd {
	m.seq++
	seq, q, b, c := m.seq, m.filter.Value(), m.c.Backend, m.c
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		rows, err := b.SearchClients(ctx, q, searchLimit)
		return searchMsg{seq: seq, rows: rows, err: err}
	}
}

func (m *Model) load(id finance.ClientID, before finance.OperationID) tea.Cmd {
	b, c := m.c.Backend, m.c
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		v, err := b.ClientView(ctx, id, finance.Page{Before: before, Limit: pageSize})
		return viewMsg{view: v, before: before, err: err}
	}
}

func (m *Model) loadOp(id finance.OperationID) tea.Cmd {
	b, c := m.c.Backend, m.c
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		op, err := b.Operation(ctx, id)
		return opMsg{op: op, err: err}
	}
}

// ---- update

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.ovr.Update(m.c, msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case common.ActivatedMsg, common.ChangedMsg:
		cmds := []tea.Cmd{m.search()}
		if m.mode != modeList && m.form == nil && !m.pend.Active() {
			cmds = append(cmds, m.load(m.view.ID, m.before))
		}
		return tea.Batch(cmds...)
	case searchMsg:
		if msg.seq != m.seq {
			return nil
		}
		m.listErr = ""
		if msg.err != nil {
			m.listErr = common.ErrText(msg.err)
			return nil
		}
		m.results = msg.rows
		rows := make([]components.Row, len(msg.rows))
		for i, r := range msg.rows {
			rows[i] = components.Row{Cells: []string{r.Name, r.Phone, m.c.Money.Format(r.Balance)}}
		}
		m.list.SetRows(rows)
		return nil
	case viewMsg:
		if msg.err != nil {
			return common.Failed(msg.err)
		}
		m.view, m.before = msg.view, msg.before
		if m.mode == modeList {
			m.mode = modeDetail
		}
		m.setHistory()
		if m.posted != 0 {
			for i, op := range m.view.History {
				if op.ID == m.posted {
					m.hist.Top()
					m.hist.Move(i)
				}
			}
			m.posted = 0
		}
		return nil
	case opMsg:
		if msg.err != nil {
			return common.Failed(msg.err)
		}
		m.op = msg.op
		m.mode = modeOp
		return nil
	case createdMsg:
		m.pend.Done()
		if msg.err != nil {
			// The service's words go under the field they are about.
			m.form.SetError(m.fieldFor(msg.err), common.ErrText(msg.err))
			return common.Failed(msg.err)
		}
		m.closeForm()
		m.filter.SetValue("")
		return tea.Batch(common.Status(common.StatusOK, "Client %s added (%s).", msg.client.Name, msg.client.Phone),
			m.search(), m.load(msg.client.ID, 0))
	case updatedMsg:
		return m.updated(msg)
	case components.PreviewMsg:
		cmd, _ := m.pend.HandlePreview(msg)
		return cmd
	case postedMsg:
		m.pend.Done()
		if msg.err != nil {
			// The form stays open with the same key, so fixing it and
			// trying again cannot post twice.
			return common.Status(common.StatusError, "%s refused: %s", msg.what, common.ErrText(msg.err))
		}
		m.closeForm()
		if m.mode == modeOp {
			m.mode = modeDetail
		}
		m.pages, m.before = nil, 0
		m.posted = msg.op.ID
		return tea.Batch(common.Status(common.StatusOK, "%s of %s posted as operation #%d.%s", msg.what, m.c.Money.Format(opAmount(msg.op)), msg.op.ID, common.DatedNote(msg.op)),
			m.load(m.view.ID, 0), m.search(), common.OfferReceipt(msg.op.ID, 0, 0))
	case tea.KeyMsg:
		if cmd, ok := m.pend.HandleKey(msg, m.c.Keys); ok {
			return cmd
		}
		if m.form != nil {
			return m.updateForm(msg)
		}
		switch m.mode {
		case modeList:
			return m.updateList(msg)
		case modeDetail:
			return m.updateDetail(msg)
		case modeOp:
			return m.updateOp(msg)
		}
	}
	return nil
}

func (m *Model) updateList(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	if m.filtering {
		switch {
		case key.Matches(msg, k.Back):
			m.filtering = false
			m.filter.Blur()
			if m.filter.Value() != "" {
				m.filter.SetValue("")
				return m.search()
			}
			return nil
		case key.Matches(msg, k.FilterDone):
			m.filtering = false
			m.filter.Blur()
			return nil
		}
		before := m.filter.Value()
		m.filter.Update(msg)
		if m.filter.Value() != before {
			m.list.Top()
			return m.search()
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Filter):
		// / starts a fresh search: what was typed before is a finished one.
		m.filtering = true
		m.filter.Focus()
		if m.filter.Value() != "" {
			m.filter.SetValue("")
			m.list.Top()
			return m.search()
		}
	case key.Matches(msg, k.Up):
		if m.list.Cursor == 0 {
			m.filtering = true
			m.filter.Focus()
			return nil
		}
		m.list.Move(-1)
	case key.Matches(msg, k.Down):
		m.list.Move(1)
	case key.Matches(msg, k.PageDown):
		m.list.Move(m.list.Height)
	case key.Matches(msg, k.PageUp):
		m.list.Move(-m.list.Height)
	case key.Matches(msg, k.Enter):
		if cl, ok := m.selected(); ok {
			m.pages, m.before = nil, 0
			return m.load(cl.ID, 0)
		}
	case key.Matches(msg, k.New):
		return m.openNewClient()
	case key.Matches(msg, k.Checkout):
		if cl, ok := m.selected(); ok {
			return func() tea.Msg { return common.OpenCheckoutMsg{Client: &cl} }
		}
	}
	return nil
}

func (m *Model) selected() (finance.ClientSummary, bool) {
	if len(m.results) == 0 || m.list.Cursor >= len(m.results) {
		return finance.ClientSummary{}, false
	}
	return m.results[m.list.Cursor], true
}

func (m *Model) updateDetail(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Back):
		m.mode = modeList
		return m.search()
	case key.Matches(msg, k.Up):
		m.hist.Move(-1)
	case key.Matches(msg, k.Down):
		m.hist.Move(1)
	case key.Matches(msg, k.NextPage):
		if m.view.More && len(m.view.History) > 0 {
			m.pages = append(m.pages, m.before)
			return m.load(m.view.ID, m.view.History[len(m.view.History)-1].ID)
		}
	case key.Matches(msg, k.PrevPage):
		if len(m.pages) > 0 {
			before := m.pages[len(m.pages)-1]
			m.pages = m.pages[:len(m.pages)-1]
			return m.load(m.view.ID, before)
		}
	case key.Matches(msg, k.Enter):
		if op, ok := m.selectedOp(); ok {
			return m.loadOp(op.ID)
		}
	case key.Matches(msg, k.TopUp):
		return m.openMoney(formTopUp)
	case key.Matches(msg, k.CashOut):
		return m.openMoney(formCashOut)
	case key.Matches(msg, k.Checkout):
		cl := m.view.ClientSummary
		return func() tea.Msg { return common.OpenCheckoutMsg{Client: &cl} }
	case key.Matches(msg, k.Edit):
		return m.openEdit()
	case key.Matches(msg, k.Reverse):
		if op, ok := m.selectedOp(); ok {
			return m.openReverse(op)
		}
	}
	return nil
}

func (m *Model) updateOp(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Back):
		m.mode = modeDetail
	case key.Matches(msg, k.Reverse):
		return m.openReverse(m.op)
	case key.Matches(msg, k.Enter):
		// Follow the reversal link either way.
		if m.op.ReversedBy != 0 {
			return m.loadOp(m.op.ReversedBy)
		}
		if m.op.Reverses != 0 {
			return m.loadOp(m.op.Reverses)
		}
	}
	return nil
}

func (m *Model) selectedOp() (finance.Operation, bool) {
	h := m.view.History
	if len(h) == 0 || m.hist.Cursor >= len(h) {
		return finance.Operation{}, false
	}
	return h[m.hist.Cursor], true
}

func (m *Model) setHistory() {
	acc := finance.ClientAccount(m.view.ID)
	rows := make([]components.Row, len(m.view.History))
	for i, op := range m.view.History {
		var delta int64
		for _, p := range op.Postings {
			if p.Account == acc {
				delta -= p.Amount // credit-normal: a credit grows what is owed
			}
		}
		note := op.Comment
		switch {
		case op.ReversedBy != 0:
			note = fmt.Sprintf("REVERSED by #%d · %s", op.ReversedBy, note)
		case op.Reverses != 0:
			note = fmt.Sprintf("reverses #%d · %s", op.Reverses, note)
		}
		when := op.Time
		if m.c.Loc != nil {
			when = when.In(m.c.Loc)
		}
		rows[i] = components.Row{
			Cells: []string{fmt.Sprintf("#%d", op.ID), when.Format("2006-01-02 15:04"), common.KindName(op.Kind),
				m.c.Money.Signed(delta), strings.TrimSuffix(note, " · ")},
			Dim: op.ReversedBy != 0,
		}
	}
	m.hist.SetRows(rows)
	m.opNames = map[finance.AccountID]string{acc: "Deposit of " + m.view.Name}
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

// ---- forms

func (m *Model) closeForm() {
	m.form, m.formKind, m.formKey, m.approval = nil, formNone, "", nil
	m.pend.Clear()
}

func (m *Model) openNewClient() tea.Cmd {
	if !m.c.Allowed(finance.RightClients) {
		return common.Status(common.StatusError, "%s", components.RightRefusal(m.c, finance.RightClients))
	}
	s := m.c.Styles
	name, phone, email, note := m.clientFields()
	m.form = components.NewForm(s, m.c.Keys, name, phone, email, note)
	m.form.Width = min(m.c.Width-6, 70)
	m.formKind = formNewClient
	if m.filter.Value() != "" {
		// What was searched for is usually the new client's name or phone.
		v := m.filter.Value()
		if strings.IndexFunc(v, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0 {
			phone.Input.SetValue(v)
		} else {
			name.Input.SetValue(v)
		}
	}
	return nil
}

func (m *Model) openMoney(kind formKind) tea.Cmd {
	right := finance.RightTopUp
	if kind == formCashOut {
		right = finance.RightCashOut
	}
	if !m.c.Allowed(right) && m.approval == nil {
		return m.ovr.Open(m.c, right, func(ap *finance.Approval) tea.Cmd {
			m.approval = ap
			return m.openMoney(kind)
		})
	}
	m.regs = m.desk()
	if len(m.regs) == 0 {
		return common.Status(common.StatusError, "no cash or card register you may use")
	}
	s := m.c.Styles
	amount := components.TextField(s, "Amount", "0.00", func(v string) error {
		_, err := m.c.Money.Parse(v)
		return err
	})
	if kind == formCashOut {
		amount.Input.Preselect(m.c.Money.Plain(max(0, m.view.Balance)))
		amount.Hint = "the deposit holds " + m.c.Money.Format(m.view.Balance)
	}
	names := make([]string, len(m.regs))
	for i, r := range m.regs {
		names[i] = r.Name
	}
	reg := components.ChoiceField(s, "Register", names, 0)
	note := components.TextField(s, "Note", "optional", nil)
	m.form = components.NewForm(s, m.c.Keys, amount, reg, note)
	m.form.Width = min(m.c.Width-6, 70)
	m.formKind = kind
	m.formKey = uuid.NewString()
	return nil
}

// lent says, in a confirmation, whose PIN allows the action.
func (m *Model) lent() []string {
	if m.approval == nil {
		return nil
	}
	return []string{"  Approved by " + m.approval.Staff}
}

// desk is the registers a desk takes money into by hand: cash and card.
func (m *Model) desk() []finance.Register {
	var out []finance.Register
	for _, r := range m.c.Registers() {
		if r.Kind == finance.RegisterCash || r.Kind == finance.RegisterCard {
			out = append(out, r)
		}
	}
	return out
}

func (m *Model) openReverse(op finance.Operation) tea.Cmd {
	if !m.c.Allowed(finance.RightReverse) && m.approval == nil {
		return m.ovr.Open(m.c, finance.RightReverse, func(ap *finance.Approval) tea.Cmd {
			m.approval = ap
			return m.openReverse(op)
		})
	}
	switch {
	case op.ReversedBy != 0:
		return common.Status(common.StatusError, "operation #%d is already reversed by #%d", op.ID, op.ReversedBy)
	case op.Kind == finance.OpReversal:
		return common.Status(common.StatusError, "operation #%d is a reversal; reversals are not reversed", op.ID)
	}
	reason := components.TextField(m.c.Styles, "Reason", "why is this undone?", func(v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("a reversal needs a reason")
		}
		return nil
	})
	m.form = components.NewForm(m.c.Styles, m.c.Keys, reason)
	m.form.Width = min(m.c.Width-6, 70)
	m.formKind = formReverse
	m.formKey = uuid.NewString()
	m.revOp = op
	return nil
}

func (m *Model) updateForm(msg tea.KeyMsg) tea.Cmd {
	switch k := m.c.Keys; {
	case key.Matches(msg, k.Back):
		m.closeForm()
		return common.Status(common.StatusInfo, "canceled")
	case key.Matches(msg, k.Enter):
		if !m.form.Enter() {
			return nil
		}
		return m.review()
	}
	return m.form.Update(msg)
}

// review turns a valid form into a confirmation of exactly what will post.
func (m *Model) review() tea.Cmd {
	b, c, a := m.c.Backend, m.c, m.c.Actor
	f := m.form.Fields
	switch m.formKind {
	case formNewClient:
		return m.reviewNewClient()
	case formTopUp, formCashOut:
		amount, err := m.c.Money.Parse(f[0].Value())
		if err != nil {
			m.form.SetError(0, common.ErrText(err))
			return nil
		}
		reg := m.regs[f[1].Choice]
		who := map[finance.AccountID]string{finance.ClientAccount(m.view.ID): m.view.Name}
		if m.formKind == formTopUp {
			req := finance.TopUpRequest{Key: m.formKey, ClientID: m.view.ID, Amount: amount, Register: reg.ID, Note: f[2].Value(),
				Approval: m.approval}
			return m.pend.Preview(m.c, req, func(pv finance.Preview) components.Confirm {
				return components.Reviewed(m.c, fmt.Sprintf("Top up %s's deposit by %s into %s?", m.view.Name, m.c.Money.Format(amount), reg.Name),
					"post the top-up", pv, who, append(noteLine(req.Note), m.lent()...)...)
			}, func() tea.Cmd {
				return tea.Batch(common.Busy("posting the top-up…"), func() tea.Msg {
					ctx, cancel := c.Call()
					defer cancel()
					op, err := b.TopUp(ctx, a, req)
					return postedMsg{what: "Top-up", op: op, err: err}
				})
			}, refused("Top-up"))
		}
		req := finance.CashOutRequest{Key: m.formKey, ClientID: m.view.ID, Amount: amount, Register: reg.ID, Note: f[2].Value(),
			Approval: m.approval}
		return m.pend.Preview(m.c, req, func(pv finance.Preview) components.Confirm {
			return components.Reviewed(m.c, fmt.Sprintf("Pay %s out of %s's deposit from %s?", m.c.Money.Format(amount), m.view.Name, reg.Name),
				"post the cash-out", pv, who, append(noteLine(req.Note), m.lent()...)...)
		}, func() tea.Cmd {
			return tea.Batch(common.Busy("posting the cash-out…"), func() tea.Msg {
				ctx, cancel := c.Call()
				defer cancel()
				op, err := b.CashOut(ctx, a, req)
				return postedMsg{what: "Cash-out", op: op, err: err}
			})
		}, refused("Cash-out"))
	case formEdit:
		return m.reviewEdit()
	case formReverse:
		op := m.revOp
		req := finance.ReverseRequest{Key: m.formKey, OperationID: op.ID, Reason: f[0].Value(), Approval: m.approval}
		return m.pend.Preview(m.c, req, func(pv finance.Preview) components.Confirm {
			return components.Reviewed(m.c, fmt.Sprintf("Reverse operation #%d (%s)?", op.ID, common.KindName(op.Kind)),
				"post the reversal", pv, map[finance.AccountID]string{finance.ClientAccount(m.view.ID): m.view.Name},
				append([]string{"  Reason: " + req.Reason}, m.lent()...)...)
		}, func() tea.Cmd {
			return tea.Batch(common.Busy("posting the reversal…"), func() tea.Msg {
				ctx, cancel := c.Call()
				defer cancel()
				rop, err := b.Reverse(ctx, a, req)
				return postedMsg{what: "Reversal", op: rop, err: err}
			})
		}, refused("Reversal"))
	}
	return nil
}

// refused is what a preview's refusal says, as a refused post says it; the
// form stays open with its key.
func refused(what string) func(error) tea.Cmd {
	return func(err error) tea.Cmd {
		return common.Status(common.StatusError, "%s refused: %s", what, common.ErrText(err))
	}
}

// noteLine is the note for a confirmation: it is stored with the operation
// for good, so it is confirmed with the money.
func noteLine(note string) []string {
	if note == "" {
		return nil
	}
	return []string{"  Note: " + note}
}

// ---- view

func (m *Model) View() string {
	s := m.c.Styles
	if m.ovr.Active() {
		return m.ovr.View(m.c, m.c.Width, m.c.Height)
	}
	if m.pend.Active() {
		return m.pend.View(s, m.c.Width, m.c.Height)
	}
	if m.form != nil {
		return m.formView()
	}
	switch m.mode {
	case modeDetail:
		return m.detailView()
	case modeOp:
		return components.OperationView(m.c, m.op, m.opNames) + "\n\n" +
			s.Muted.Render("r reverse · enter follow reversal link · esc back")
	}
	var b strings.Builder
	label := s.Label.Render("Search ")
	if m.filtering {
		label = s.Form.FocusedLabel.Render("Search ")
	}
	b.WriteString(label + m.filter.View())
	b.WriteString("\n\n")
	switch {
	case m.listErr != "":
		b.WriteString(s.Status.Error.Render(m.listErr))
	case len(m.results) == 0 && m.filter.Value() != "":
		b.WriteString(s.Muted.Render("No client matches. n adds one."))
	case len(m.results) == 0:
		b.WriteString(s.Muted.Render("No clients yet. n adds the first one."))
	default:
		b.WriteString(m.list.View())
	}
	return b.String()
}

func (m *Model) formView() string {
	s := m.c.Styles
	var title string
	switch m.formKind {
	case formNewClient:
		title = "New client"
	case formTopUp:
		title = "Top up " + m.view.Name + "'s deposit"
	case formCashOut:
		title = "Cash out " + m.view.Name + "'s deposit"
	case formReverse:
		title = fmt.Sprintf("Reverse operation #%d (%s)", m.revOp.ID, common.KindName(m.revOp.Kind))
	case formEdit:
		title = fmt.Sprintf("Edit client #%d · %s", m.view.ID, m.view.Name)
	}
	return s.Title.Render(title) + "\n\n" + m.form.View() + "\n\n" +
		s.Muted.Render("enter: next field, then review · esc: cancel")
}

func (m *Model) detailView() string {
	s := m.c.Styles
	v := m.view
	var b strings.Builder
	contact := v.Phone
	if v.Email != "" {
		contact += " · " + v.Email
	}
	b.WriteString(s.Title.Render(v.Name) + s.Muted.Render(fmt.Sprintf("  %s · client #%d", contact, v.ID)) + "\n")
	bal := s.Positive
	if v.Balance < 0 {
		bal = s.Negative
	}
	b.WriteString(s.Label.Render("Balance ") + bal.Render(m.c.Money.Format(v.Balance)) +
		s.Label.Render("   Available ") + m.c.Money.Format(v.Available))
	if v.CreditLimit != 0 {
		b.WriteString(s.Label.Render("   Credit limit ") + m.c.Money.Format(v.CreditLimit))
	}
	if v.Note != "" {
		b.WriteString(s.Muted.Render("   " + v.Note))
	}
	b.WriteString("\n\n")
	page := len(m.pages) + 1
	more := ""
	if v.More {
		more = " · ] older"
	}
	if page > 1 {
		more += " · [ newer"
	}
	b.WriteString(s.Subtitle.Render("History") + s.Muted.Render(fmt.Sprintf("  page %d%s", page, more)) + "\n")
	if len(v.History) == 0 {
		b.WriteString(s.Muted.Render("No operations yet. t tops up the deposit."))
	} else {
		b.WriteString(m.hist.View())
	}
	return b.String()
}

// FormKey is the idempotency key of the open form ("" when none is open).
func (m *Model) FormKey() string { return m.formKey }
