package ledger

// The chain view (v in the Finance tab, for people with the chain right):
// every location's registers for the day, read from the chain's central
// database through common.Chain, stepping through days as the day view
// does. Every read runs in a tea.Cmd, so a slow or unreachable database
// costs the desk nothing but a message.

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
	"github.com/paydesk/paydesk/tui/keymap"
)

// chainState is what the chain view shows and waits for.
type chainState struct {
	day     *common.ChainDay // the last figures that arrived
	err     error            // the last read's failure, for errDate
	errDate finance.Date
	at      time.Time // when day was read
	top     int       // first body line shown (scrolling)
}

type chainMsg struct {
	date finance.Date
	day  common.ChainDay
	err  error
	at   time.Time
}

// chainAllowed says whether the person logged in may open the chain view.
func (m *Model) chainAllowed() bool { return m.c.Allowed(finance.RightChain) }

func (m *Model) openChain() tea.Cmd {
	m.mode, m.ch.top = modeChain, 0
	return m.loadChain()
}

func (m *Model) loadChain() tea.Cmd {
	src, c, d := m.c.Chain, m.c, m.date
	if src == nil {
		return nil // the view says replication is not configured
	}
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		day, err := src.ChainDay(ctx, d)
		return chainMsg{date: d, day: day, err: err, at: c.Now()}
	}
}

func (m *Model) chainArrived(msg chainMsg) tea.Cmd {
	if msg.date != m.date {
		return nil // an answer for a day already stepped past
	}
	if msg.err != nil {
		m.ch.err, m.ch.errDate = msg.err, msg.date
		return nil
	}
	if m.ch.day == nil || m.ch.day.Date != msg.date {
		m.ch.top = 0
	}
	day := msg.day
	day.Date = msg.date
	m.ch.day, m.ch.err, m.ch.at = &day, nil, msg.at
	return nil
}

func (m *Model) updateChain(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Back), key.Matches(msg, k.Chain):
		m.mode = modeDay
		return m.reload()
	case key.Matches(msg, k.Refresh):
		return m.loadChain()
	case key.Matches(msg, k.Up):
		m.ch.top--
	case key.Matches(msg, k.Down):
		m.ch.top++
	case key.Matches(msg, k.PageUp):
		m.ch.top -= m.chainBodyHeight()
	case key.Matches(msg, k.PageDown):
		m.ch.top += m.chainBodyHeight()
	case key.Matches(msg, k.GoTo):
		f := components.TextField(m.c.Styles, "Date", "YYYY-MM-DD", validDate)
		f.Input.SetValue(string(m.date))
		m.prompt, m.promptKind = components.NewForm(m.c.Styles, m.c.Keys, f), promptGoto
	default:
		if to, ok := m.dayKey(msg); ok {
			return m.step(to)
		}
	}
	m.ch.top = max(0, min(m.ch.top, len(m.chainBody())-m.chainBodyHeight()))
	return nil
}

func (m *Model) chainHelp() []key.Binding {
	k := m.c.Keys
	return []key.Binding{k.DayBack, k.DayFwd, k.Refresh, keymap.Relabel(k.Back, "esc/v", "back"),
		k.WeekBack, k.MonthBack, k.Today, k.GoTo, k.Up, k.Down}
}

// chainHeadLines is how many lines the title and the lag take.
const chainHeadLines = 3

func (m *Model) chainBodyHeight() int { return max(1, m.c.Height-chainHeadLines) }

func (m *Model) chainView() string {
	s := m.c.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Chain · "+m.dateTitle()) + "\n")
	b.WriteString(m.chainLag() + "\n\n")
	body := m.chainBody()
	h := m.chainBodyHeight()
	top := max(0, min(m.ch.top, len(body)-h))
	end := min(len(body), top+h)
	if top > 0 {
		body[top] = s.Muted.Render(fmt.Sprintf("↑ %d more lines (↑/k)", top))
	}
	if end < len(body) {
		body[end-1] = s.Muted.Render(fmt.Sprintf("↓ %d more lines (↓/j)", len(body)-end+1))
	}
	b.WriteString(strings.Join(body[top:end], "\n"))
	return b.String()
}

// chainLag is the line under the title: how fresh the central figures are.
func (m *Model) chainLag() string {
	s := m.c.Styles
	d := m.ch.day
	switch {
	case m.c.Chain == nil:
		return s.Muted.Render("Replication is off.")
	case m.ch.err != nil && m.ch.errDate == m.date:
		return s.Muted.Render("The central database did not answer.")
	case d == nil || d.Date != m.date:
		return s.Muted.Render("Reading the chain's central database…")
	}
	line := "Read from the central database at " + m.clock(m.ch.at)
	if d.BehindKnown {
		if d.Behind == 0 {
			line += " · this desk: everything shipped"
		} else {
			line += " · this desk: " + fmt.Sprint(d.Behind) + " not shipped yet"
		}
	}
	return s.Muted.Render(line)
}

// chainBody is every line below the title, scrolled by the view.
func (m *Model) chainBody() []string {
	s := m.c.Styles
	if m.c.Chain == nil {
		return wrap(m.c.Width,
			s.Status.Error.Render("Replication is not configured, so there is no chain to show."),
			"",
			"Set [replicate] url and location in the config file (or PAYDESK_REPLICATE_URL and "+
				"PAYDESK_REPLICATE_LOCATION); `paydesk serve` then ships this location's books to the "+
				"chain's central database. The desk works the same without it.",
			"",
			s.Muted.Render("esc back"))
	}
	if m.ch.err != nil && m.ch.errDate == m.date {
		return wrap(m.c.Width,
			s.Status.Error.Render("Can't read the chain's central database: "+common.ErrText(m.ch.err)),
			"",
			"This desk keeps working on its own books; what it posts ships once the database is back.",
			"",
			s.Muted.Render("ctrl+r try again · esc back"))
	}
	d := m.ch.day
	if d == nil || d.Date != m.date {
		return []string{s.Muted.Render("Loading…")}
	}
	if len(d.Locations) == 0 {
		return []string{s.Muted.Render("No location has shipped anything to the central database yet.")}
	}
	var out []string
	for i, l := range d.Locations {
		if i > 0 {
			out = append(out, "")
		}
		out = append(out, m.chainLocation(l, l.ID == d.Local)...)
	}
	return out
}

// chainCols are the widths of the register table: name (flexible),
// opening, in, out, closing, postings.
func (m *Model) chainCols() []int {
	w := min(m.c.Width, 100)
	fixed := []int{13, 12, 12, 13, 8}
	name := w - 2 - len(fixed)
	for _, f := range fixed {
		name -= f
	}
	return append([]int{max(12, name)}, fixed...)
}

func chainRow(ws []int, cells ...string) string {
	var b strings.Builder
	b.WriteString("  ")
	for i, c := range cells {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(components.Pad(c, ws[i], i > 0))
	}
	return b.String()
}

func (m *Model) chainLocation(l common.ChainLocation, here bool) []string {
	s := m.c.Styles
	money := common.NewMoney(l.Currency, l.Locale)
	title := l.Name
	if title == "" {
		title = l.ID
	} else {
		title += " (" + l.ID + ")"
	}
	if here {
		title += " · this desk"
	}
	lag := "nothing shipped yet"
	if !l.ShippedAt.IsZero() {
		lag = "last batch " + m.clock(l.ShippedAt) + ", " + ago(m.c.Now().Sub(l.ShippedAt))
	}
	out := []string{s.Subtitle.Render(title) + s.Muted.Render(" · "+l.Currency+" · "+lag)}
	ws := m.chainCols()
	out = append(out, s.Muted.Render(chainRow(ws, "Register", "Opening", "In", "Out", "Closing", "Postings")))
	names := map[string]string{}
	for _, r := range l.Registers {
		names[r.ID] = r.Name
	}
	var o, in, outAmt, cl int64
	ok, n := true, 0
	add := func(sum *int64, v int64) {
		var fits bool
		if *sum, fits = finance.AddInt64(*sum, v); !fits {
			ok = false
		}
	}
	for _, t := range l.Totals {
		name := names[t.Register]
		if name == "" {
			name = t.Register
		}
		out = append(out, chainRow(ws, name, money.Format(t.Opening), money.Format(t.In), money.Format(t.Out),
			money.Format(t.Closing), fmt.Sprint(t.Count)))
		add(&o, t.Opening)
		add(&in, t.In)
		add(&outAmt, t.Out)
		add(&cl, t.Closing)
		n += t.Count
	}
	if len(l.Totals) == 0 {
		return append(out, s.Muted.Render("  no registers"))
	}
	if ok {
		out = append(out, s.Strong.Render(chainRow(ws, "All registers", money.Format(o), money.Format(in),
			money.Format(outAmt), money.Format(cl), fmt.Sprint(n))))
	}
	for _, t := range l.Totals {
		if len(t.ByKind) > 0 {
			name := names[t.Register]
			if name == "" {
				name = t.Register
			}
			out = append(out, m.chainKinds(name, money, t.ByKind))
		}
	}
	return out
}

// chainKinds is a register's split by kind on one line, as on the day view.
func (m *Model) chainKinds(name string, money *common.Money, byKind map[finance.OpKind]int64) string {
	head := "  " + name + ": "
	return m.c.Styles.Muted.Render(head) + kindsText(money, byKind, m.c.Width, m.c.Width-lipgloss.Width(head))
}

// clock is a time on this desk's clock face.
func (m *Model) clock(t time.Time) string {
	if m.c.Loc != nil {
		t = t.In(m.c.Loc)
	}
	if m.c.Now != nil && finance.DateOf(t, t.Location()) != finance.DateOf(m.c.Now(), t.Location()) {
		return t.Format("2 Jan 15:04")
	}
	return t.Format("15:04")
}

// ago says how long ago, in the words a person would use.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// wrap breaks paragraphs at word boundaries to the screen's width.
func wrap(width int, paras ...string) []string {
	var out []string
	for _, p := range paras {
		if width > 0 {
			p = ansi.Wordwrap(p, width, "")
		}
		out = append(out, strings.Split(p, "\n")...)
	}
	return out
}
