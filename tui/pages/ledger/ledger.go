// Package ledger is the Finance tab: each register's day (opening, in, out,
// closing, by kind), stepping through days, weeks and months, the day's
// operations and their postings, a 30-day chart and CSV export.
package ledger

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

type mode int

const (
	modeDay mode = iota
	modeOps
	modeOp
	modeZ     // a register's Z-report (close.go)
	modeChain // every location's day (chain.go)
)

// chartDays is how many days the bar chart covers.
const chartDays = 30

// Model is the Finance tab.
type Model struct {
	c    common.Common
	mode mode
	date finance.Date

	totals  []finance.DayTotals
	dayErr  string
	regTbl  *components.Table
	chart   map[string][]finance.DayTotals
	chartTo finance.Date
	chartEr string

	ops    []finance.Operation
	opsTbl *components.Table
	op     finance.Operation

	prompt     *components.Form // go to date, or export range
	promptKind int

	// a register action (actions.go)
	form    *components.Form
	action  action
	formKey string // idempotency key, made when the form opens
	from    finance.Register
	toRegs  []finance.Register
	// approval is a manager's PIN lent for the open action (nil: own right)
	approval *finance.Approval
	ovr      components.Override
	// the y/n before it posts, and the wait while it (or an export) runs
	pend components.Pending

	names   map[finance.ClientID]string  // the day's clients by name
	opNames map[finance.AccountID]string // the open operation's client deposit

	cl closing // closing the day and the Z-report (close.go)
	ch chainState
}

const (
	promptGoto = iota + 1
	promptExport
)

type (
	dayMsg struct {
		date   finance.Date
		totals []finance.DayTotals
		err    error
	}
	chartMsg struct {
		to   finance.Date
		data map[string][]finance.DayTotals
		err  error
	}
	opsMsg struct {
		ops   []finance.Operation
		names map[finance.ClientID]string
		err   error
	}
	opMsg struct {
		op    finance.Operation
		names map[finance.ClientID]string
		err   error
	}
	exportMsg struct {
		path string
		rows int
		err  error
		// exists: a file of that name is there; from..to is asked again
		from, to finance.Date
		exists   bool
	}
)

// New builds the Finance tab showing today.
func New(c common.Common) *Model {
	m := &Model{c: c, date: c.Today()}
	m.regTbl = components.NewTable(c.Styles,
		components.Column{Title: "Register", Flex: true, Width: 14},
		components.Column{Title: "Opening", Width: 13, Right: true},
		components.Column{Title: "In", Width: 12, Right: true},
		components.Column{Title: "Out", Width: 12, Right: true},
		components.Column{Title: "Closing", Width: 13, Right: true})
	m.opsTbl = components.NewTable(c.Styles,
		components.Column{Title: "Op", Width: 6, Right: true},
		components.Column{Title: "Time", Width: 5},
		components.Column{Title: "Kind", Width: 13},
		components.Column{Title: "Amount", Width: 12, Right: true},
		components.Column{Title: "Staff", Width: 8},
		components.Column{Title: "Note", Flex: true})
	return m
}

// Init loads today.
func (m *Model) Init() tea.Cmd { return m.reload() }

func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.regTbl.Width = min(w, 100)
	m.regTbl.Height = max(1, len(m.c.Settings.Registers))
	m.opsTbl.Width = w
	m.opsTbl.Height = max(3, h-4)
	if m.form != nil {
		m.form.Width = min(w-6, 70)
	}
}

func (m *Model) Capturing() bool {
	return m.prompt != nil || m.form != nil || m.pend.Active() || m.closeActive() || m.ovr.Active()
}

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	switch {
	case m.ovr.Active():
		return []key.Binding{k.EnterFor("approve"), k.Back}
	case m.pend.Active():
		return m.pend.Keys(k)
	case m.closeActive():
		return []key.Binding{k.NextFld, k.PrevFld, k.EnterFor("next / review"), k.Back}
	case m.mode == modeZ:
		return []key.Binding{k.Back}
	case m.form != nil:
		return []key.Binding{k.NextFld, k.PrevFld, k.EnterFor("next / review"), k.Back}
	case m.prompt != nil:
		return []key.Binding{k.NextFld, k.EnterFor("ok"), k.Back}
	case m.mode == modeOps:
		return []key.Binding{k.Up, k.Down, k.EnterFor("postings"), k.Back}
	case m.mode == modeOp:
		return []key.Binding{k.EnterFor("reversal link"), k.Back}
	case m.mode == modeChain:
		return m.chainHelp()
	}
	// The register actions come early so a narrow footer still shows them;
	// the chain view too once replication is configured.
	out := []key.Binding{k.DayBack, k.DayFwd}
	if m.c.Chain != nil && m.chainAllowed() {
		out = append(out, k.Chain)
	}
	out = append(out, m.actionKeys()...)
	out = append(out, m.closeKeys()...)
	return append(out, k.EnterFor("day's ops"),
		k.WeekBack, k.MonthBack, k.Today, k.GoTo, k.Export)
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	if m.mode == modeChain {
		return [][]key.Binding{m.chainHelp()}
	}
	var chain []key.Binding
	if m.chainAllowed() {
		chain = []key.Binding{k.Chain}
	}
	return [][]key.Binding{
		{k.DayBack, k.DayFwd, k.WeekBack, k.WeekFwd},
		{k.MonthBack, k.MonthFwd, k.Today, k.GoTo},
		{k.Up, k.Down, k.Enter, k.Back},
		append(append(append([]key.Binding{k.Export, k.ExportSpan}, m.actionKeys()...), m.closeKeys()...), chain...),
	}
}

// ---- commands

func (m *Model) reload() tea.Cmd {
	d := m.date
	b, c, a := m.c.Backend, m.c, m.c.Actor
	day := func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		t, err := b.DayTotals(ctx, a, d)
		return dayMsg{date: d, totals: t, err: err}
	}
	chart := func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		data, err := b.RangeTotals(ctx, a, d.AddDays(-(chartDays - 1)), d)
		return chartMsg{to: d, data: data, err: err}
	}
	cmds := []tea.Cmd{day, chart, m.loadCloseStatus()}
	if m.mode == modeOps {
		cmds = append(cmds, m.loadOps())
	}
	return tea.Batch(cmds...)
}

func (m *Model) loadOps() tea.Cmd {
	d, reg := m.date, m.register()
	b, c, a := m.c.Backend, m.c, m.c.Actor
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		ops, err := b.DayOperations(ctx, a, d, reg)
		if err != nil {
			return opsMsg{err: err}
		}
		return opsMsg{ops: ops, names: clientNames(ctx, b, ops)}
	}
}

// namesAtMost bounds the client lookups behind one day's list: a busy day
// names its first clients, the rest keep their number.
const namesAtMost = 100

// clientNames are the names of the clients among ops, so the drill-down
// says "Anna Kovalenko", not "client #1". A client that cannot be read keeps
// its number.
func clientNames(ctx context.Context, b common.Backend, ops []finance.Operation) map[finance.ClientID]string {
	names := map[finance.ClientID]string{}
	for _, op := range ops {
		if _, done := names[op.ClientID]; op.ClientID == 0 || done || len(names) >= namesAtMost {
			continue
		}
		if v, err := b.ClientView(ctx, op.ClientID, finance.Page{Limit: 1}); err == nil {
			names[op.ClientID] = v.Name
		} else {
			names[op.ClientID] = ""
		}
	}
	return names
}

func (m *Model) loadOp(id finance.OperationID) tea.Cmd {
	b, c := m.c.Backend, m.c
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		op, err := b.Operation(ctx, id)
		if err != nil {
			return opMsg{err: err}
		}
		return opMsg{op: op, names: clientNames(ctx, b, []finance.Operation{op})}
	}
}

// register is the id of the selected register.
func (m *Model) register() string {
	if m.regTbl.Cursor < len(m.totals) {
		return m.totals[m.regTbl.Cursor].Register
	}
	if regs := m.c.Settings.Registers; len(regs) > 0 {
		return regs[0].ID
	}
	return ""
}

// ---- update

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.ovr.Update(m.c, msg); ok {
		return cmd
	}
	if cmd, ok := m.updateClose(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case common.ActivatedMsg:
		if m.mode == modeChain {
			return m.loadChain()
		}
		return m.reload()
	case common.ChangedMsg:
		// The chain view reads another database: a desk write here does not
		// send it there again (ctrl+r does).
		if m.mode == modeChain {
			return nil
		}
		return m.reload()
	case chainMsg:
		return m.chainArrived(msg)
	case dayMsg:
		if msg.date != m.date {
			return nil // an answer for a day already stepped past
		}
		m.dayErr = ""
		if msg.err != nil {
			m.dayErr = common.ErrText(msg.err)
			m.totals = nil
			m.regTbl.SetRows(nil)
			return nil
		}
		m.totals = m.ordered(msg.totals)
		m.setTotals()
		return nil
	case chartMsg:
		if msg.to != m.date {
			return nil
		}
		m.chartEr = ""
		if msg.err != nil {
			m.chartEr = common.ErrText(msg.err)
		}
		m.chart, m.chartTo = msg.data, msg.to
		return nil
	case opsMsg:
		if msg.err != nil {
			m.mode = modeDay
			return common.Failed(msg.err)
		}
		m.ops, m.names = msg.ops, msg.names
		m.setOps()
		return nil
	case opMsg:
		if msg.err != nil {
			return common.Failed(msg.err)
		}
		m.op, m.mode = msg.op, modeOp
		m.opNames = map[finance.AccountID]string{}
		if n := msg.names[msg.op.ClientID]; n != "" {
			m.opNames[finance.ClientAccount(msg.op.ClientID)] = "Deposit of " + n
		}
		return nil
	case components.PreviewMsg:
		cmd, _ := m.pend.HandlePreview(msg)
		return cmd
	case postedMsg:
		return m.posted(msg)
	case exportMsg:
		m.pend.Done()
		if msg.exists {
			return m.exists(msg)
		}
		if msg.err != nil {
			return common.Status(common.StatusError, "Export failed: %s", common.ErrText(msg.err))
		}
		return common.Status(common.StatusOK, "Exported %s to %s", common.Count(msg.rows, "posting", "postings"), msg.path)
	case tea.KeyMsg:
		if cmd, ok := m.pend.HandleKey(msg, m.c.Keys); ok {
			return cmd
		}
		if m.closeActive() {
			return m.updateCloseKeys(msg)
		}
		if m.form != nil {
			return m.updateAction(msg)
		}
		if m.prompt != nil {
			return m.updatePrompt(msg)
		}
		switch m.mode {
		case modeDay:
			return m.updateDay(msg)
		case modeOps:
			return m.updateOps(msg)
		case modeOp:
			return m.updateOp(msg)
		case modeZ:
			if key.Matches(msg, m.c.Keys.Back) {
				m.mode = modeDay
			}
		case modeChain:
			return m.updateChain(msg)
		}
	}
	return nil
}

// ordered puts totals in the settings' register order.
func (m *Model) ordered(ts []finance.DayTotals) []finance.DayTotals {
	pos := map[string]int{}
	for i, r := range m.c.Settings.Registers {
		pos[r.ID] = i
	}
	out := append([]finance.DayTotals(nil), ts...)
	sort.SliceStable(out, func(i, j int) bool {
		pi, oki := pos[out[i].Register]
		pj, okj := pos[out[j].Register]
		if oki != okj {
			return oki
		}
		return pi < pj
	})
	return out
}

func (m *Model) setTotals() {
	rows := make([]components.Row, 0, len(m.totals)+1)
	var o, in, out, cl int64
	for _, t := range m.totals {
		name := m.c.RegisterName(t.Register)
		if _, ok := m.closedOf(t.Register); ok {
			name += " ✓"
		}
		rows = append(rows, components.Row{Cells: []string{name, m.c.Money.Format(t.Opening),
			m.c.Money.Format(t.In), m.c.Money.Format(t.Out), m.c.Money.Format(t.Closing)}})
		o, in, out, cl = o+t.Opening, in+t.In, out+t.Out, cl+t.Closing
	}
	m.regTbl.Height = max(1, len(rows))
	m.regTbl.SetRows(rows)
}

func (m *Model) setOps() {
	reg := finance.RegisterAccount(m.register())
	rows := make([]components.Row, len(m.ops))
	for i, op := range m.ops {
		var amt int64
		for _, p := range op.Postings {
			if p.Account == reg {
				amt += p.Amount
			}
		}
		note := op.Comment
		if op.ClientID != 0 {
			who := m.names[op.ClientID]
			if who == "" {
				who = fmt.Sprintf("client #%d", op.ClientID)
			}
			note = strings.TrimSpace(who + " " + note)
		}
		switch {
		case op.ReversedBy != 0:
			note = fmt.Sprintf("REVERSED by #%d · %s", op.ReversedBy, note)
		case op.Reverses != 0:
			note = fmt.Sprintf("reverses #%d · %s", op.Reverses, note)
		}
		if op.BelongsTo != "" {
			note = fmt.Sprintf("belongs to %s (closed) · %s", op.BelongsTo, note)
		}
		when := op.Time
		if m.c.Loc != nil {
			when = when.In(m.c.Loc)
		}
		rows[i] = components.Row{Cells: []string{fmt.Sprintf("#%d", op.ID), when.Format("15:04"), common.KindName(op.Kind),
			m.c.Money.Signed(amt), op.Staff, strings.TrimSuffix(note, " · ")}, Dim: op.ReversedBy != 0}
	}
	m.opsTbl.SetRows(rows)
}

func (m *Model) step(to finance.Date) tea.Cmd {
	m.date = to
	if m.mode == modeChain {
		return m.loadChain()
	}
	return m.reload()
}

// dayKey is the day a stepping key leads to (the day and chain views share them).
func (m *Model) dayKey(msg tea.KeyMsg) (finance.Date, bool) {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.WeekBack):
		return m.date.AddDays(-7), true
	case key.Matches(msg, k.WeekFwd):
		return m.date.AddDays(7), true
	case key.Matches(msg, k.DayBack):
		return m.date.AddDays(-1), true
	case key.Matches(msg, k.DayFwd):
		return m.date.AddDays(1), true
	case key.Matches(msg, k.MonthBack):
		return m.date.AddMonths(-1), true
	case key.Matches(msg, k.MonthFwd):
		return m.date.AddMonths(1), true
	case key.Matches(msg, k.Today):
		return m.c.Today(), true
	}
	return "", false
}

func (m *Model) updateDay(msg tea.KeyMsg) tea.Cmd {
	if to, ok := m.dayKey(msg); ok {
		return m.step(to)
	}
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Chain) && m.chainAllowed():
		return m.openChain()
	case key.Matches(msg, k.Up):
		m.regTbl.Move(-1)
	case key.Matches(msg, k.Down):
		m.regTbl.Move(1)
	case key.Matches(msg, k.Enter):
		if len(m.totals) > 0 {
			m.mode = modeOps
			m.ops = nil
			m.opsTbl.SetRows(nil)
			return m.loadOps()
		}
	case key.Matches(msg, k.GoTo):
		f := components.TextField(m.c.Styles, "Date", "YYYY-MM-DD", validDate)
		f.Input.SetValue(string(m.date))
		m.prompt, m.promptKind = components.NewForm(m.c.Styles, m.c.Keys, f), promptGoto
	case key.Matches(msg, k.Transfer):
		return m.openAction(actTransfer)
	case key.Matches(msg, k.PaidIn):
		return m.openAction(actPaidIn)
	case key.Matches(msg, k.PaidOut):
		return m.openAction(actPaidOut)
	case key.Matches(msg, k.CloseDay):
		return m.openClose()
	case key.Matches(msg, k.ZReport):
		return m.openZ()
	case key.Matches(msg, k.Export):
		return m.export(m.date, m.date)
	case key.Matches(msg, k.ExportSpan):
		from := components.TextField(m.c.Styles, "From", "YYYY-MM-DD", validDate)
		from.Input.SetValue(string(m.date.AddDays(-6)))
		to := components.TextField(m.c.Styles, "To", "YYYY-MM-DD", validDate)
		to.Input.SetValue(string(m.date))
		m.prompt, m.promptKind = components.NewForm(m.c.Styles, m.c.Keys, from, to), promptExport
	}
	return nil
}

func validDate(v string) error {
	_, err := finance.ParseDate(v)
	if err != nil {
		return fmt.Errorf("a date as YYYY-MM-DD")
	}
	return nil
}

func (m *Model) updatePrompt(msg tea.KeyMsg) tea.Cmd {
	switch k := m.c.Keys; {
	case key.Matches(msg, k.Back):
		m.prompt = nil
		return nil
	case key.Matches(msg, k.Enter):
		if !m.prompt.Enter() {
			return nil
		}
		f := m.prompt.Fields
		kind := m.promptKind
		m.prompt = nil
		if kind == promptGoto {
			d, _ := finance.ParseDate(f[0].Value())
			return m.step(d)
		}
		from, _ := finance.ParseDate(f[0].Value())
		to, _ := finance.ParseDate(f[1].Value())
		return m.export(from, to)
	}
	return m.prompt.Update(msg)
}

func (m *Model) updateOps(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Back):
		m.mode = modeDay
	case key.Matches(msg, k.Up):
		m.opsTbl.Move(-1)
	case key.Matches(msg, k.Down):
		m.opsTbl.Move(1)
	case key.Matches(msg, k.Enter):
		if m.opsTbl.Cursor < len(m.ops) {
			m.op, m.mode = m.ops[m.opsTbl.Cursor], modeOp
		}
	}
	return nil
}

func (m *Model) updateOp(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Back):
		m.mode = modeOps
	case key.Matches(msg, k.Enter):
		if m.op.ReversedBy != 0 {
			return m.loadOp(m.op.ReversedBy)
		}
		if m.op.Reverses != 0 {
			return m.loadOp(m.op.Reverses)
		}
	}
	return nil
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
	if m.closeActive() {
		return m.closeView()
	}
	if m.form != nil {
		return m.actionView()
	}
	if m.prompt != nil {
		title := "Go to date"
		if m.promptKind == promptExport {
			title = "Export a range of days to CSV"
		}
		return components.Center(s, m.c.Width, m.c.Height,
			s.Dialog.Box.Render(s.Dialog.Title.Render(title)+"\n\n"+m.prompt.View()+"\n\n"+s.Muted.Render("enter ok · esc cancel")))
	}
	switch m.mode {
	case modeOps:
		var b strings.Builder
		b.WriteString(s.Title.Render(m.c.RegisterName(m.register())+" · "+m.dateTitle()) + "\n\n")
		if len(m.ops) == 0 {
			b.WriteString(s.Muted.Render("No operations on this register this day."))
		} else {
			b.WriteString(m.opsTbl.View())
		}
		return b.String()
	case modeZ:
		return m.zView()
	case modeChain:
		return m.chainView()
	case modeOp:
		link := ""
		if m.op.ReversedBy != 0 || m.op.Reverses != 0 {
			link = " · enter: follow the reversal link"
		}
		return components.OperationView(m.c, m.op, m.opNames) + "\n\n" + s.Muted.Render("esc back"+link)
	}
	return m.dayView()
}

func (m *Model) dateTitle() string {
	t := m.date.Time(m.c.Loc)
	title := t.Format("Mon 2 Jan 2006")
	if m.date == m.c.Today() {
		title += " (today)"
	}
	return title
}

func (m *Model) dayView() string {
	s := m.c.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Finance · "+m.dateTitle()) + m.dayMark() + "\n\n")
	if m.dayErr != "" {
		b.WriteString(s.Status.Error.Render(m.dayErr))
		return b.String()
	}
	if len(m.totals) == 0 {
		b.WriteString(s.Muted.Render("Loading…"))
		return b.String()
	}
	b.WriteString(m.regTbl.View() + "\n")
	var o, cl int64
	for _, t := range m.totals {
		o, cl = o+t.Opening, cl+t.Closing
	}
	in, out, moved := allRegisters(m.totals)
	ws := []int{max(14, m.regTbl.Width-2-13-12-12-13-4), 13, 12, 12, 13}
	b.WriteString(s.Strong.Render("  " + components.Pad("All registers", ws[0], false) + " " + components.Pad(m.c.Money.Format(o), ws[1], true) + " " +
		components.Pad(m.c.Money.Format(in), ws[2], true) + " " + components.Pad(m.c.Money.Format(out), ws[3], true) + " " +
		components.Pad(m.c.Money.Format(cl), ws[4], true)))
	if moved != 0 {
		b.WriteString("\n" + s.Muted.Render("  Between registers "+m.c.Money.Format(moved)+" (transfers, payouts): not in the in/out above"))
	}
	b.WriteString("\n\n")
	sel := m.totals[min(m.regTbl.Cursor, len(m.totals)-1)]
	b.WriteString(m.kindsLine(sel))
	used := strings.Count(b.String(), "\n") + 1
	if m.sealedRow() != "" {
		used++ // the chart's row of closed days
	}
	if h := m.c.Height - used - 4; h >= 2 {
		b.WriteString("\n\n" + m.chartView(sel.Register, min(h, 8)))
	}
	return b.String()
}

// kindsLine is a register's day split by kind, on one line of the screen's
// width. Kinds that do not fit give way whole to "…", so no amount shows
// half-printed, and the count of postings always shows.
func (m *Model) kindsLine(t finance.DayTotals) string {
	s := m.c.Styles
	head := s.Subtitle.Render(m.c.RegisterName(t.Register)+" by kind") + "  "
	tail := s.Muted.Render("  (" + common.Count(t.Count, "posting", "postings") + ")")
	if len(t.ByKind) == 0 {
		return head + s.Muted.Render("no operations") + tail
	}
	return head + kindsText(m.c.Money, t.ByKind, m.c.Width, m.c.Width-lipgloss.Width(head)-lipgloss.Width(tail)) + tail
}

// kindsText is a split by kind in room cells (on a screen width wide, 0 =
// unknown): kinds that do not fit give way whole to "…".
func kindsText(money *common.Money, byKind map[finance.OpKind]int64, width, room int) string {
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, common.KindName(finance.OpKind(k))+" "+money.Signed(byKind[finance.OpKind(k)]))
	}
	text := strings.Join(parts, " · ")
	if width > 0 && lipgloss.Width(text) > room {
		text = "…"
		for n := len(parts) - 1; n > 0; n-- {
			if cut := strings.Join(parts[:n], " · ") + " · …"; lipgloss.Width(cut) <= room {
				text = cut
				break
			}
		}
	}
	return text
}

func (m *Model) chartView(register string, height int) string {
	s := m.c.Styles
	if m.chartEr != "" {
		return s.Muted.Render("Chart: " + m.chartEr)
	}
	days := m.chart[register]
	if len(days) == 0 {
		return s.Muted.Render("Chart: loading…")
	}
	in := make([]int64, chartDays)
	out := make([]int64, chartDays)
	from := m.chartTo.AddDays(-(chartDays - 1))
	var top int64
	idx := make(map[finance.Date]int, chartDays)
	for i := 0; i < chartDays; i++ {
		idx[from.AddDays(i)] = i
	}
	for _, d := range days {
		// Index by date, so a gap in the data never shifts the bars.
		i, ok := idx[d.Date]
		if !ok {
			continue
		}
		in[i], out[i] = d.In, d.Out
		top = max(top, d.In, d.Out)
	}
	var b strings.Builder
	b.WriteString(s.Subtitle.Render("Last 30 days · "+m.c.RegisterName(register)) +
		s.Muted.Render("  each day: in █ (left) | out "+components.OutGlyph(s)+" (right) · top "+m.c.Money.Format(top)) + "\n")
	for _, row := range components.BarChart(s, in, out, height) {
		b.WriteString(" " + row + "\n")
	}
	axis := string(from)[5:]
	end := string(m.chartTo)[5:]
	b.WriteString(s.Chart.Axis.Render(" " + axis + strings.Repeat(" ", max(1, 2*chartDays-len(axis)-len(end))) + end))
	if row := m.sealedRow(); row != "" {
		b.WriteString("\n" + row)
	}
	return b.String()
}
