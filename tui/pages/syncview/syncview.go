// Package syncview is the Sync tab: the payment provider's event inbox with
// each event's status and error, and retry.
package syncview

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

// inboxLimit is how many recent events the list holds: a few screens' worth.
// Each event carries its raw webhook body, so more is memory for nothing.
const inboxLimit = 100

// Model is the Sync tab.
type Model struct {
	c       common.Common
	events  []finance.ProviderEvent
	stats   finance.InboxStats
	recon   finance.ReconcileReport // the last reconcile against Stripe's balance
	tbl     *components.Table
	loaded  bool
	loadErr string
	detail  bool
	busy    bool
}

type (
	inboxMsg struct {
		events []finance.ProviderEvent
		stats  finance.InboxStats
		recon  finance.ReconcileReport
		err    error
	}
	retriedMsg struct {
		id  string
		err error
	}
)

// New builds the Sync tab.
func New(c common.Common) *Model {
	m := &Model{c: c}
	m.tbl = components.NewTable(c.Styles,
		components.Column{Title: "Received", Width: 15},
		components.Column{Title: "Event", Width: 26},
		components.Column{Title: "Status", Width: 8},
		components.Column{Title: "Tries", Width: 5, Right: true},
		components.Column{Title: "Error", Flex: true})
	return m
}

func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.tbl.Width = w
	m.tbl.Height = max(3, h-7-len(m.reconLines()))
}

// maxDiffLines bounds the days that differ listed above the inbox.
const maxDiffLines = 5

// reconLines is what the last reconcile said: a line for the run, and one
// per day that differs (none before any run).
func (m *Model) reconLines() []string {
	r := m.recon
	if r.Ran.IsZero() {
		return nil
	}
	ran := r.Ran
	if m.c.Loc != nil {
		ran = ran.In(m.c.Loc)
	}
	day := func(d finance.Date) string { return d.Time(time.UTC).Format("02 Jan") }
	head := fmt.Sprintf("Stripe balance %s–%s, checked %s: ", day(r.From), day(r.To), ran.Format("02 Jan 15:04"))
	diff := r.DiffDays()
	switch {
	case r.Error != "":
		head = fmt.Sprintf("Stripe balance check failed %s: %s", ran.Format("02 Jan 15:04"), r.Error)
	case len(diff) == 0:
		head += fmt.Sprintf("the register agrees (%d posted, %d matched)", r.Posted, r.Matched)
	default:
		head += "DIFFERS on " + common.Count(len(diff), "day", "days")
	}
	lines := []string{head}
	for i, d := range diff {
		if i == maxDiffLines {
			lines = append(lines, fmt.Sprintf("  … and %d more (paydesk reconcile stripe)", len(diff)-i))
			break
		}
		line := fmt.Sprintf("  %s  Stripe %s, register %s", d.Date, m.c.Money.Format(d.Stripe), m.c.Money.Format(d.Ledger))
		if d.Problems > 0 {
			line += fmt.Sprintf(", %d flagged or waiting", d.Problems)
		}
		lines = append(lines, line)
	}
	return lines
}

func (m *Model) Capturing() bool { return false }

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	if m.detail {
		return []key.Binding{k.Retry, k.Back}
	}
	return []key.Binding{k.Up, k.Down, k.EnterFor("details"), k.Retry, k.Refresh}
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

func (m *Model) load() tea.Cmd {
	b, c := m.c.Backend, m.c
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		ev, err := b.Inbox(ctx, inboxLimit)
		if err != nil {
			return inboxMsg{err: err}
		}
		st, err := b.InboxStats(ctx)
		if err != nil {
			return inboxMsg{err: err}
		}
		r, _, err := b.LastReconcile(ctx, "stripe")
		return inboxMsg{events: ev, stats: st, recon: r, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.ActivatedMsg, common.ChangedMsg:
		return m.load()
	case inboxMsg:
		m.loaded = true
		m.loadErr = ""
		if msg.err != nil {
			m.loadErr = common.ErrText(msg.err)
			return nil
		}
		m.events, m.stats, m.recon = msg.events, msg.stats, msg.recon
		m.SetSize(m.c.Width, m.c.Height) // the reconcile lines take their room
		rows := make([]components.Row, len(m.events))
		for i, e := range m.events {
			when := e.Received
			if m.c.Loc != nil {
				when = when.In(m.c.Loc)
			}
			typ := e.RawType
			if typ == "" {
				typ = string(e.Type)
			}
			rows[i] = components.Row{Cells: []string{when.Format("02 Jan 15:04:05"), typ, string(e.Status),
				fmt.Sprintf("%d", e.Attempts), e.Error}, Dim: e.Status == finance.InboxIgnored}
		}
		m.tbl.SetRows(rows)
		return nil
	case retriedMsg:
		m.busy = false
		if msg.err != nil {
			return common.Status(common.StatusError, "Retry refused: %s", common.ErrText(msg.err))
		}
		return tea.Batch(common.Status(common.StatusOK, "Event %s will be applied again now.", msg.id), m.load())
	case tea.KeyMsg:
		if m.busy {
			return nil
		}
		k := m.c.Keys
		switch {
		case key.Matches(msg, k.Back):
			m.detail = false
		case key.Matches(msg, k.Up):
			m.tbl.Move(-1)
		case key.Matches(msg, k.Down):
			m.tbl.Move(1)
		case key.Matches(msg, k.Enter):
			m.detail = len(m.events) > 0
		case key.Matches(msg, k.Refresh):
			return m.load()
		case key.Matches(msg, k.Retry):
			return m.retry()
		}
	}
	return nil
}

func (m *Model) retry() tea.Cmd {
	if m.tbl.Cursor >= len(m.events) {
		return nil
	}
	e := m.events[m.tbl.Cursor]
	if e.Status != finance.InboxFailed && e.Status != finance.InboxPending {
		return common.Status(common.StatusError, "event %s is %s; only failed or pending events are retried", e.ID, e.Status)
	}
	m.busy = true
	b, c, a := m.c.Backend, m.c, m.c.Actor
	return tea.Batch(common.Busy("retrying…"), func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		return retriedMsg{id: e.ID, err: b.RetryEvent(ctx, a, e.ID)}
	})
}

func (m *Model) View() string {
	s := m.c.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Payment sync") + "  ")
	if !m.c.SyncConfigured {
		b.WriteString(s.Muted.Render("not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, LIQPAY_PUBLIC_KEY and LIQPAY_PRIVATE_KEY, MONOBANK_TOKEN, the four VIVA_ keys, or a [pix] section with PIX_CLIENT_SECRET (or the config file) to sync payments"))
	} else {
		b.WriteString(s.Muted.Render(fmt.Sprintf("%s · %d pending · %d failed · %d flagged",
			common.Count(m.stats.Total, "event", "events"), m.stats.Pending, m.stats.Failed, m.stats.Flagged)))
		if m.c.SyncNote != "" {
			b.WriteString("\n" + s.Muted.Render(m.c.SyncNote))
		}
		if m.stats.LastError != "" {
			b.WriteString("\n" + s.Status.Error.Render("Last error: "+m.stats.LastError))
		}
		for i, l := range m.reconLines() {
			st := s.Muted
			if i > 0 || m.recon.Error != "" || len(m.recon.DiffDays()) > 0 {
				st = s.Status.Error
			}
			b.WriteString("\n" + st.Render(common.Truncate(l, m.c.Width)))
		}
	}
	b.WriteString("\n\n")
	switch {
	case !m.loaded:
		b.WriteString(s.Muted.Render("Loading…"))
	case m.loadErr != "":
		b.WriteString(s.Status.Error.Render(m.loadErr))
	case len(m.events) == 0:
		b.WriteString(s.Muted.Render("The inbox is empty: no provider events have arrived."))
	case m.detail && m.tbl.Cursor < len(m.events):
		b.WriteString(m.detailView(m.events[m.tbl.Cursor]))
	default:
		b.WriteString(m.tbl.View())
	}
	return b.String()
}

func (m *Model) detailView(e finance.ProviderEvent) string {
	s := m.c.Styles
	line := func(label, v string) string {
		if v == "" {
			return ""
		}
		return s.Label.Render(components.Pad(label, 12, false)) + v + "\n"
	}
	var b strings.Builder
	b.WriteString(s.Subtitle.Render(e.ID) + "\n")
	if e.Provider != "" && e.Provider != "stripe" {
		b.WriteString(line("Provider", e.Provider))
	}
	b.WriteString(line("Type", e.RawType+" ("+string(e.Type)+")"))
	b.WriteString(line("Status", string(e.Status)))
	b.WriteString(line("Created", e.Created.Format("2006-01-02 15:04:05")))
	b.WriteString(line("Received", e.Received.Format("2006-01-02 15:04:05")))
	b.WriteString(line("Attempts", fmt.Sprintf("%d", e.Attempts)))
	if !e.NextTry.IsZero() && e.Status == finance.InboxFailed {
		b.WriteString(line("Next try", e.NextTry.Format("2006-01-02 15:04:05")))
	}
	b.WriteString(line("Object", e.ObjectID))
	if e.Amount != 0 {
		b.WriteString(line("Amount", m.c.Money.Format(e.Amount)))
	}
	if e.Operation != 0 {
		b.WriteString(line("Operation", fmt.Sprintf("#%d", e.Operation)))
	}
	if e.Error != "" {
		b.WriteString("\n" + s.Status.Error.Render(e.Error) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
