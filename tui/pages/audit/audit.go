// Package audit is the Audit tab for managers: who did what, when and why.
package audit

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

const (
	window = 90 * 24 * time.Hour // how far back the screen reads
	limit  = 500                 // the newest entries of the window; more is scrolling nobody does
)

// Model is the Audit tab.
type Model struct {
	c       common.Common
	entries []finance.AuditEntry // newest first
	tbl     *components.Table
	loaded  bool
	loadErr string
}

type listMsg struct {
	entries []finance.AuditEntry
	err     error
}

// New builds the Audit tab.
func New(c common.Common) *Model {
	m := &Model{c: c}
	m.tbl = components.NewTable(c.Styles,
		components.Column{Title: "When", Width: 16},
		components.Column{Title: "Staff", Width: 10},
		components.Column{Title: "Action", Width: 14},
		components.Column{Title: "Subject", Width: 14},
		components.Column{Title: "Reason / detail", Flex: true})
	return m
}

func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.tbl.Width = w
	m.tbl.Height = max(3, h-5)
}

func (m *Model) Capturing() bool { return false }

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Refresh}
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

func (m *Model) load() tea.Cmd {
	b, c, a := m.c.Backend, m.c, m.c.Actor
	since := c.Now().Add(-window)
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		e, err := b.RecentAudit(ctx, a, since, limit)
		return listMsg{entries: e, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
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
		m.entries = msg.entries
		n := len(m.entries)
		rows := make([]components.Row, n)
		for i, e := range m.entries {
			when := e.Time
			if m.c.Loc != nil {
				when = when.In(m.c.Loc)
			}
			why := e.Reason
			if e.Detail != "" {
				why = strings.TrimPrefix(why+" · "+e.Detail, " · ")
			}
			rows[i] = components.Row{Cells: []string{when.Format("2006-01-02 15:04"), e.Staff, e.Action, e.Subject, why}}
		}
		m.tbl.SetRows(rows)
		return nil
	case tea.KeyMsg:
		k := m.c.Keys
		switch {
		case key.Matches(msg, k.Up):
			m.tbl.Move(-1)
		case key.Matches(msg, k.Down):
			m.tbl.Move(1)
		case key.Matches(msg, k.PageUp):
			m.tbl.Move(-m.tbl.Height)
		case key.Matches(msg, k.PageDown):
			m.tbl.Move(m.tbl.Height)
		case key.Matches(msg, k.Refresh):
			return m.load()
		}
	}
	return nil
}

func (m *Model) View() string {
	s := m.c.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Audit log") + s.Muted.Render("  last 90 days, newest first") + "\n\n")
	switch {
	case !m.loaded:
		b.WriteString(s.Muted.Render("Loading…"))
	case m.loadErr != "":
		b.WriteString(s.Status.Error.Render(m.loadErr))
	case len(m.entries) == 0:
		b.WriteString(s.Muted.Render("Nothing recorded yet."))
	default:
		b.WriteString(m.tbl.View())
	}
	return b.String()
}
