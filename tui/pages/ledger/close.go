package ledger

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/google/uuid"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

// Closing the day from the Finance tab: `C` on a register counts the cash
// drawer (a total, or notes and coins) or closes a card, online or bank
// register on its totals; `z` shows the register's Z-report. The rules and
// the figures are the service's (finance/close.go); this file only asks,
// shows and confirms.

// closing is the Finance tab's close state.
type closing struct {
	status finance.DayStatus     // the shown day's closes
	sealed map[finance.Date]bool // sealed days of the chart's range

	z []finance.ZReport // modeZ

	count    *drawerCount     // the count, step 1 of a cash close
	form     *components.Form // reason, float, scope: step 2
	reg      finance.Register
	expected int64
	key      string // idempotency key, made when the close opens
	others   int    // other registers still open that day
}

type (
	closeStatusMsg struct {
		date   finance.Date
		status finance.DayStatus
		err    error
	}
	sealedMsg struct {
		to   finance.Date
		days map[finance.Date]bool
		err  error
	}
	zMsg struct {
		date finance.Date
		z    []finance.ZReport
		err  error
	}
	closedMsg struct {
		res finance.CloseResult
		err error
	}
)

func (m *Model) loadCloseStatus() tea.Cmd {
	d := m.date
	b, c := m.c.Backend, m.c
	status := func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		st, err := b.DayStatus(ctx, d)
		return closeStatusMsg{date: d, status: st, err: err}
	}
	sealed := func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		days, err := b.ClosedDays(ctx, d.AddDays(-(chartDays - 1)), d)
		return sealedMsg{to: d, days: days, err: err}
	}
	return tea.Batch(status, sealed)
}

// updateClose handles the close's messages; ok is false for others.
func (m *Model) updateClose(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case closeStatusMsg:
		if msg.date == m.date && msg.err == nil {
			m.cl.status = msg.status
			m.setTotals()
		}
		return nil, true
	case sealedMsg:
		if msg.to == m.date && msg.err == nil {
			m.cl.sealed = msg.days
		}
		return nil, true
	case zMsg:
		if msg.err != nil {
			m.mode = modeDay
			return common.Failed(msg.err), true
		}
		if msg.date == m.date {
			m.cl.z = msg.z
		}
		return nil, true
	case closedMsg:
		return m.closed(msg), true
	}
	return nil, false
}

// closedOf is the close of a register on the shown day, if any.
func (m *Model) closedOf(register string) (finance.DayClose, bool) {
	if m.cl.status.Date != m.date {
		return finance.DayClose{}, false
	}
	c, ok := m.cl.status.Closes[register]
	return c, ok
}

func (m *Model) openZ() tea.Cmd {
	reg, ok := m.selectedRegister()
	if !ok {
		return nil
	}
	m.mode, m.cl.z = modeZ, nil
	d, b, c, a := m.date, m.c.Backend, m.c, m.c.Actor
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		z, err := b.ZReport(ctx, a, d, reg.ID)
		return zMsg{date: d, z: z, err: err}
	}
}

// openClose starts closing the selected register's shown day.
func (m *Model) openClose() tea.Cmd {
	if !m.c.Allowed(finance.RightCloseDay) {
		return common.Status(common.StatusError, "%s", components.RightRefusal(m.c, finance.RightCloseDay))
	}
	reg, ok := m.selectedRegister()
	if !ok {
		return common.Status(common.StatusError, "the registers are not loaded yet; try again")
	}
	if m.date > m.c.Today() {
		return common.Status(common.StatusError, "%s has not begun yet; only today or earlier days can be closed", m.date)
	}
	if c, ok := m.closedOf(reg.ID); ok {
		return common.Status(common.StatusError, "%s was closed for %s by %s; a closed day is never reopened",
			reg.Name, m.date, c.Staff)
	}
	var expected int64
	for _, t := range m.totals {
		if t.Register == reg.ID {
			expected = t.Closing
		}
	}
	m.cl.reg, m.cl.expected, m.cl.key = reg, expected, uuid.NewString()
	m.cl.others = 0
	for _, r := range m.c.Settings.Registers {
		if _, done := m.closedOf(r.ID); !done && r.ID != reg.ID {
			m.cl.others++
		}
	}
	if reg.Kind == finance.RegisterCash {
		m.cl.count = newDrawerCount(m.c)
		return nil
	}
	m.confirmClose(finance.CloseRequest{Key: m.cl.key, Date: m.date, Register: reg.ID}, 0)
	return nil
}

func (m *Model) closeActive() bool { return m.cl.count != nil || m.cl.form != nil }

func (m *Model) cancelClose() {
	m.cl.count, m.cl.form, m.cl.key = nil, nil, ""
	m.pend.Clear()
}

func (m *Model) updateCloseKeys(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	if key.Matches(msg, k.Back) {
		if m.cl.form != nil {
			m.cl.form = nil // back to the count
			return nil
		}
		m.cancelClose()
		return common.Status(common.StatusInfo, "canceled")
	}
	if m.cl.form == nil {
		if !key.Matches(msg, k.Enter) {
			m.cl.count.update(msg)
			return nil
		}
		if _, err := m.cl.count.total(); err != nil {
			return common.Status(common.StatusError, "%s", err)
		}
		m.openCloseForm()
		return nil
	}
	if key.Matches(msg, k.Enter) {
		if !m.cl.form.Enter() {
			return nil
		}
		return m.reviewClose()
	}
	return m.cl.form.Update(msg)
}

// openCloseForm is step 2: why it is over or short, the float, and
// whether the other open registers close too.
func (m *Model) openCloseForm() {
	s := m.c.Styles
	counted, _ := m.cl.count.total()
	diff := counted - m.cl.expected
	need := diff != 0 && abs(diff) > m.c.Backend.CloseRules().ReasonThreshold
	hint := "optional"
	if need {
		hint = "required: the drawer is " + overShortWord(diff)
	}
	fields := []*components.Field{
		components.TextField(s, "Reason", hint, func(v string) error {
			if need && strings.TrimSpace(v) == "" {
				return fmt.Errorf("a reason is needed: the drawer is %s by %s", overShortWord(diff), m.c.Money.Format(abs(diff)))
			}
			return nil
		}),
		components.TextField(s, "Float", "left for tomorrow; the rest to the bank (empty: nothing moves)", func(v string) error {
			if strings.TrimSpace(v) == "" {
				return nil
			}
			_, err := m.c.Money.ParseAllowZero(v)
			return err
		}),
	}
	if m.cl.others > 0 {
		fields = append(fields, components.ChoiceField(s, "Close", []string{"this drawer only",
			fmt.Sprintf("and the %d other open register(s) on their totals", m.cl.others)}, 0))
	}
	m.cl.form = components.NewForm(s, m.c.Keys, fields...)
	m.cl.form.Width = min(m.c.Width-6, 74)
}

func (m *Model) reviewClose() tea.Cmd {
	f := m.cl.form.Fields
	counted, _ := m.cl.count.total()
	req := finance.CloseRequest{Key: m.cl.key, Date: m.date, Register: m.cl.reg.ID, Reason: f[0].Value()}
	if m.cl.count.byDenomination() {
		req.Counts = m.cl.count.counts()
	} else {
		req.Counted = &counted
	}
	var float int64 = -1
	if v := f[1].Value(); v != "" {
		n, err := m.c.Money.ParseAllowZero(v)
		if err != nil {
			m.cl.form.SetError(1, common.ErrText(err))
			return nil
		}
		if n > counted {
			m.cl.form.SetError(1, "more than the "+m.c.Money.Format(counted)+" counted")
			return nil
		}
		req.Float, float = &n, n
	}
	if len(f) > 2 && f[2].Choice == 1 {
		req.Register = ""
	}
	m.confirmClose(req, float)
	return nil
}

// confirmClose shows what the close will post and waits for y.
func (m *Model) confirmClose(req finance.CloseRequest, float int64) {
	reg := m.cl.reg
	title := fmt.Sprintf("Close %s for %s?", reg.Name, m.date)
	lines := []string{fmt.Sprintf("  Expected:  %s", m.c.Money.Format(m.cl.expected))}
	if reg.Kind == finance.RegisterCash {
		counted, _ := m.cl.count.total()
		diff := counted - m.cl.expected
		lines = append(lines, fmt.Sprintf("  Counted:   %s", m.c.Money.Format(counted)))
		switch {
		case diff == 0:
			lines = append(lines, "  The drawer matches the books.")
		default:
			lines = append(lines, fmt.Sprintf("  %s by %s: posts %s to the drawer, %s to over/short",
				strings.ToUpper(overShortWord(diff)[:1])+overShortWord(diff)[1:], m.c.Money.Format(abs(diff)),
				m.c.Money.Signed(diff), m.c.Money.Signed(-diff)))
		}
		if req.Reason != "" {
			lines = append(lines, "  Reason:    "+req.Reason)
		}
		if float >= 0 && counted-float > 0 {
			lines = append(lines, fmt.Sprintf("  To the bank: %s, %s left in the drawer", m.c.Money.Format(counted-float), m.c.Money.Format(float)))
		}
	} else {
		lines = append(lines, "  It closes on its totals: nothing is posted.")
	}
	if req.Register == "" {
		lines = append(lines, fmt.Sprintf("  The %d other open register(s) close on their totals.", m.cl.others))
	}
	if req.Register == "" || m.cl.others == 0 {
		lines = append(lines, "", "  This seals the day: nothing can be dated into it afterwards.")
	} else {
		lines = append(lines, "", "  The day is sealed once every register is closed.")
	}
	lines = append(lines, "  A closed day is never reopened.")
	b, c, a := m.c.Backend, m.c, m.c.Actor
	m.pend.Ask(components.Confirm{Title: title, Lines: lines, Yes: "close it"}, func() tea.Cmd {
		return tea.Batch(common.Busy("closing…"), func() tea.Msg {
			ctx, cancel := c.Call()
			defer cancel()
			res, err := b.CloseDay(ctx, a, req)
			return closedMsg{res: res, err: err}
		})
	})
}

func (m *Model) closed(msg closedMsg) tea.Cmd {
	m.pend.Done()
	if msg.err != nil {
		// The count and form stay, with the same key, so a fix can confirm again.
		return common.Status(common.StatusError, "Close refused: %s", common.ErrText(msg.err))
	}
	m.cancelClose()
	text := "Closed " + string(msg.res.Date)
	if msg.res.Seal != nil {
		text = "Closed and sealed " + string(msg.res.Date)
	}
	var parts []string
	onTotals := 0
	for _, c := range msg.res.Closes {
		switch {
		case c.Kind != finance.RegisterCash:
			onTotals++
			continue
		case c.OverShort > 0:
			parts = append(parts, m.c.RegisterName(c.Register)+" over "+m.c.Money.Format(c.OverShort))
		case c.OverShort < 0:
			parts = append(parts, m.c.RegisterName(c.Register)+" short "+m.c.Money.Format(-c.OverShort))
		default:
			parts = append(parts, m.c.RegisterName(c.Register)+" exact")
		}
	}
	if onTotals > 0 {
		parts = append(parts, common.Count(onTotals, "register", "registers")+" on totals")
	}
	text += ": " + strings.Join(parts, ", ") + "."
	return tea.Batch(common.Status(common.StatusOK, "%s", text), m.reload())
}

func overShortWord(diff int64) string {
	if diff < 0 {
		return "short"
	}
	return "over"
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// ---- the drawer count

// drawerCount is the count of a cash drawer: a typed total, or how many of
// each note and coin (then the total is their sum).
type drawerCount struct {
	c      common.Common
	denoms []finance.Denomination
	cells  []string // 0: the total as typed; then each denomination's count
	cursor int
}

func newDrawerCount(c common.Common) *drawerCount {
	d := finance.Denominations(c.Settings.Currency)
	return &drawerCount{c: c, denoms: d, cells: make([]string, len(d)+1)}
}

func (d *drawerCount) byDenomination() bool {
	for _, s := range d.cells[1:] {
		if s != "" && s != "0" {
			return true
		}
	}
	return false
}

func (d *drawerCount) counts() []finance.DenomCount {
	var out []finance.DenomCount
	for i, s := range d.cells[1:] {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			out = append(out, finance.DenomCount{Value: d.denoms[i].Value, Count: n})
		}
	}
	return out
}

// total is what was counted.
func (d *drawerCount) total() (int64, error) {
	if d.byDenomination() {
		var sum int64
		for _, n := range d.counts() {
			v, ok := finance.AddInt64(sum, n.Value*n.Count)
			if !ok || n.Count > (1<<62)/n.Value {
				return 0, fmt.Errorf("the count is too large")
			}
			sum = v
		}
		return sum, nil
	}
	if strings.TrimSpace(d.cells[0]) == "" {
		return 0, fmt.Errorf("type the counted total, or count the notes and coins")
	}
	return d.c.Money.ParseAllowZero(d.cells[0])
}

func (d *drawerCount) update(msg tea.KeyMsg) {
	k := d.c.Keys
	switch {
	case key.Matches(msg, k.NextFld):
		d.cursor = (d.cursor + 1) % len(d.cells)
		return
	case key.Matches(msg, k.PrevFld):
		d.cursor = (d.cursor + len(d.cells) - 1) % len(d.cells)
		return
	}
	cell := &d.cells[d.cursor]
	switch msg.Type {
	case tea.KeyBackspace:
		if *cell != "" {
			r := []rune(*cell)
			*cell = string(r[:len(r)-1])
		}
	case tea.KeyRunes:
		for _, r := range msg.Runes {
			switch {
			case r >= '0' && r <= '9':
				if len(*cell) < 15 {
					*cell += string(r)
				}
			case (r == '.' || r == ',') && d.cursor == 0:
				*cell += string(r)
			}
		}
	}
}

func (d *drawerCount) view(title, sub string, expected int64) string {
	s := d.c.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render(title) + "\n" + s.Muted.Render(sub) + "\n\n")
	cellView := func(i int, text string, width int) string {
		v := components.Pad(text, width, true)
		if i == d.cursor {
			return s.Table.Selected.Render("[" + v + "]")
		}
		return " " + v + " "
	}
	total := d.cells[0]
	if d.byDenomination() {
		if n, err := d.total(); err == nil {
			total = d.c.Money.Plain(n)
		}
	}
	b.WriteString("  " + s.Label.Render("Counted total ") + cellView(0, total, 12) + "\n")
	if len(d.denoms) > 0 {
		b.WriteString(s.Muted.Render("  or count the notes and coins:") + "\n")
		var notes, coins []string
		for i, den := range d.denoms {
			line := components.Pad(d.c.Money.Format(den.Value), 10, true) + " × " + cellView(i+1, d.cells[i+1], 4)
			if den.Coin {
				coins = append(coins, line)
			} else {
				notes = append(notes, line)
			}
		}
		for i := 0; i < max(len(notes), len(coins)); i++ {
			l, r := "", ""
			if i < len(notes) {
				l = notes[i]
			}
			if i < len(coins) {
				r = coins[i]
			}
			b.WriteString("  " + components.Pad(l, 22, false) + "   " + r + "\n")
		}
	}
	b.WriteString("\n  Expected " + s.Strong.Render(d.c.Money.Format(expected)))
	if n, err := d.total(); err == nil {
		diff := n - expected
		b.WriteString(" · counted " + s.Strong.Render(d.c.Money.Format(n)) + " · ")
		switch {
		case diff == 0:
			b.WriteString(s.Positive.Render("exact"))
		case diff > 0:
			b.WriteString(s.Positive.Render("over " + d.c.Money.Format(diff)))
		default:
			b.WriteString(s.Negative.Render("short " + d.c.Money.Format(-diff)))
		}
	}
	return b.String()
}

// ---- views

func (m *Model) closeView() string {
	s := m.c.Styles
	title := "Close " + m.cl.reg.Name + " · " + m.dateTitle()
	if m.cl.form != nil {
		counted, _ := m.cl.count.total()
		diff := counted - m.cl.expected
		sub := fmt.Sprintf("Expected %s · counted %s", m.c.Money.Format(m.cl.expected), m.c.Money.Format(counted))
		if diff != 0 {
			sub += " · " + overShortWord(diff) + " " + m.c.Money.Format(abs(diff))
		}
		return s.Title.Render(title) + "\n" + s.Muted.Render(sub) + "\n\n" + m.cl.form.View() + "\n\n" +
			s.Muted.Render("enter: next field, then review · esc: back to the count")
	}
	return m.cl.count.view(title, "Count the drawer: type the total, or tab through the notes and coins", m.cl.expected) +
		"\n\n" + s.Muted.Render("tab/↓ next · shift+tab/↑ previous · enter: go on · esc: cancel")
}

// dayMark is what the day header says about closes.
func (m *Model) dayMark() string {
	s := m.c.Styles
	if m.cl.status.Date != m.date {
		return ""
	}
	if m.cl.status.Sealed {
		return s.Positive.Render(" · CLOSED · sealed")
	}
	if n := len(m.cl.status.Closes); n > 0 {
		return s.Muted.Render(fmt.Sprintf(" · %d of %d registers closed", n, len(m.c.Settings.Registers)))
	}
	if m.date < m.c.Today() {
		return s.Negative.Render(" · not closed")
	}
	return ""
}

// sealedRow marks the chart's sealed days under their bars ("" when none).
func (m *Model) sealedRow() string {
	if len(m.cl.sealed) == 0 {
		return ""
	}
	from := m.chartTo.AddDays(-(chartDays - 1))
	var b strings.Builder
	marked := false
	for i := 0; i < chartDays; i++ {
		if m.cl.sealed[from.AddDays(i)] {
			b.WriteString("■ ")
			marked = true
		} else {
			b.WriteString("  ")
		}
	}
	if !marked {
		return ""
	}
	return " " + m.c.Styles.Positive.Render(b.String()) + m.c.Styles.Muted.Render("  ■ closed day")
}

func (m *Model) zView() string {
	s := m.c.Styles
	if len(m.cl.z) == 0 {
		return s.Title.Render("Z-report · "+m.dateTitle()) + "\n\n" + s.Muted.Render("Loading…")
	}
	z := m.cl.z[0]
	money := m.c.Money.Format
	var b strings.Builder
	state := s.Negative.Render("open")
	if z.Close != nil {
		when := z.Close.Time
		if m.c.Loc != nil {
			when = when.In(m.c.Loc)
		}
		state = s.Positive.Render("closed by " + z.Close.Staff + " at " + when.Format("15:04"))
	}
	b.WriteString(s.Title.Render("Z-report · "+z.Register.Name+" · "+m.dateTitle()) + "  " + state + "\n\n")
	b.WriteString(fmt.Sprintf("  Opening %s · in %s · out %s · closing %s · %s\n\n", money(z.Opening), money(z.In),
		money(z.Out), money(z.Closing), common.Count(z.Count, "posting", "postings")))
	lines := func(head string, ls []finance.ZLine, name func(string) string) {
		if len(ls) == 0 {
			return
		}
		b.WriteString("  " + s.Subtitle.Render(components.Pad(head, 20, false)) + s.Muted.Render(
			components.Pad("in", 13, true)+components.Pad("out", 13, true)+components.Pad("count", 7, true)) + "\n")
		for _, l := range ls {
			b.WriteString("  " + components.Pad(name(l.Name), 20, false) + components.Pad(money(l.In), 13, true) +
				components.Pad(money(l.Out), 13, true) + components.Pad(strconv.Itoa(l.Count), 7, true) + "\n")
		}
		b.WriteString("\n")
	}
	lines("By kind", z.ByKind, func(k string) string { return common.KindName(finance.OpKind(k)) })
	lines("By staff", z.ByStaff, func(n string) string { return n })
	if c := z.Close; c != nil {
		if c.Kind == finance.RegisterCash {
			b.WriteString(fmt.Sprintf("  Expected %s · counted %s · ", money(c.Expected), money(c.Counted)))
			switch {
			case c.OverShort > 0:
				b.WriteString(s.Positive.Render("over " + money(c.OverShort)))
			case c.OverShort < 0:
				b.WriteString(s.Negative.Render("short " + money(-c.OverShort)))
			default:
				b.WriteString("exact")
			}
			if c.Reason != "" {
				b.WriteString(" · " + c.Reason)
			}
			b.WriteString("\n")
			if c.ToBank > 0 {
				b.WriteString(fmt.Sprintf("  To the bank %s · float left %s\n", money(c.ToBank), money(c.Float)))
			}
		} else {
			b.WriteString("  Closed on its totals: " + money(c.Expected) + "\n")
		}
	} else {
		b.WriteString("  Expected " + money(z.Expected) + " · not closed yet\n")
	}
	if z.Seal != nil {
		b.WriteString(s.Muted.Render("  Seal "+z.Seal.Seal[:min(32, len(z.Seal.Seal))]+"…") + "\n")
	}
	b.WriteString("\n" + s.Muted.Render("esc back"))
	return b.String()
}

// closeKeys are the close keys for the help: z always, C with the right.
func (m *Model) closeKeys() []key.Binding {
	out := []key.Binding{m.c.Keys.ZReport}
	if m.c.Allowed(finance.RightCloseDay) {
		out = append(out, m.c.Keys.CloseDay)
	}
	return out
}
