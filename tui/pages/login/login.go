// Package login is the PIN screen: pick yourself, type your PIN. It is also
// the lock screen after idle time and when switching user. No key leaves it
// for the terminal underneath (the root model sees to that); the only way on
// is a PIN.
package login

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

// Model is the login screen.
type Model struct {
	c         common.Common
	staff     []finance.Staff
	table     *components.Table
	pin       *components.Input
	prefer    string // preselected person (the one who was logged in before the lock)
	only      string // the one person who may log in here (an SSH key bound to them), or ""
	hideRoles bool
	leave     *key.Binding // the key that ends the session, shown when there is one (SSH)
	reason    string       // why the screen shows: "Locked after 5 minutes idle"
	loaded    bool
	busy      bool
	loadErr   string
}

type staffMsg struct {
	staff []finance.Staff
	err   error
}

type loginMsg struct {
	actor finance.Actor
	err   error
}

// Options are what a terminal changes about the login screen.
type Options struct {
	// Only lists just this person: the terminal is theirs (an SSH key bound
	// to one staff member).
	Only string
	// HideRoles leaves the role column out, so a stranger at an SSH desk
	// does not learn whose PIN would open the most.
	HideRoles bool
	// Leave, when set, is the key that ends the session, shown in the help
	// (over SSH it disconnects; a local desk has none).
	Leave *key.Binding
}

// New builds the login screen; prefer preselects a person, reason is shown above.
func New(c common.Common, prefer, reason string, o Options) *Model {
	cols := []components.Column{{Title: "Staff", Flex: true, Width: 12}}
	if !o.HideRoles {
		cols = append(cols, components.Column{Title: "Role", Width: 8})
	}
	t := components.NewTable(c.Styles, cols...)
	pin := components.NewInput(c.Styles, "")
	pin.Mask = '•'
	pin.DigitsOnly = true
	pin.CharLimit = 12
	pin.Width = 12
	pin.Focus()
	return &Model{c: c, table: t, pin: pin, prefer: prefer, reason: reason, only: o.Only, leave: o.Leave, hideRoles: o.HideRoles}
}

// Init loads the staff list.
func (m *Model) Init() tea.Cmd {
	b, c := m.c.Backend, m.c
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		st, err := b.StaffList(ctx)
		return staffMsg{staff: st, err: err}
	}
}

func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.table.Width = min(w-4, 40)
	m.table.Height = max(3, min(10, h-14))
}

// Capturing: digits are the PIN, so no shortcuts here.
func (m *Model) Capturing() bool { return true }

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	enter := k.EnterFor("log in")
	keys := []key.Binding{k.Up, k.Down, enter}
	if m.leave != nil {
		keys = append(keys, *m.leave)
	}
	return keys
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case staffMsg:
		m.loaded = true
		if msg.err != nil {
			m.loadErr = common.ErrText(msg.err)
			return common.Failed(msg.err)
		}
		m.staff = m.staff[:0]
		for _, s := range msg.staff {
			if !s.Disabled && (m.only == "" || s.Name == m.only) {
				m.staff = append(m.staff, s)
			}
		}
		rows := make([]components.Row, len(m.staff))
		for i, s := range m.staff {
			rows[i] = components.Row{Cells: []string{s.Name, string(s.Role)}}
			if m.hideRoles {
				rows[i].Cells = rows[i].Cells[:1]
			}
			if s.Name == m.prefer {
				m.table.Cursor = i
			}
		}
		m.table.SetRows(rows)
		return nil
	case loginMsg:
		m.busy = false
		m.pin.SetValue("")
		if msg.err != nil {
			return common.Status(common.StatusError, "%s", common.ErrText(msg.err))
		}
		actor := msg.actor
		return tea.Batch(func() tea.Msg { return common.LoggedInMsg{Actor: actor} },
			common.Status(common.StatusOK, "Logged in as %s (%s).", actor.Staff, actor.Role))
	case tea.KeyMsg:
		if m.busy {
			return nil
		}
		switch k := m.c.Keys; {
		case key.Matches(msg, k.PickUp):
			m.table.Move(-1)
			m.pin.SetValue("")
			return nil
		case key.Matches(msg, k.PickDown):
			m.table.Move(1)
			m.pin.SetValue("")
			return nil
		case key.Matches(msg, k.Enter):
			return m.submit()
		}
		m.pin.Update(msg)
	}
	return nil
}

func (m *Model) submit() tea.Cmd {
	if len(m.staff) == 0 {
		return nil
	}
	pin := m.pin.Value()
	if pin == "" {
		return common.Status(common.StatusError, "type your PIN, then enter")
	}
	name := m.staff[m.table.Cursor].Name
	m.busy = true
	b, c := m.c.Backend, m.c
	return tea.Batch(common.Busy("checking the PIN…"), func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		a, err := b.Login(ctx, name, pin)
		if err != nil {
			return loginMsg{err: fmt.Errorf("%s: %w", name, err)}
		}
		return loginMsg{actor: a}
	})
}

func (m *Model) View() string {
	s := m.c.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render(m.c.Settings.Location) + "\n")
	if m.reason != "" {
		b.WriteString(s.Muted.Render(m.reason) + "\n")
	}
	b.WriteString("\n")
	switch {
	case !m.loaded:
		b.WriteString(s.Muted.Render("Loading staff…"))
	case m.loadErr != "":
		b.WriteString(s.Status.Error.Render(m.loadErr))
	case len(m.staff) == 0 && m.only != "":
		b.WriteString(s.Status.Error.Render(fmt.Sprintf("This key logs in only as %s, who may not log in now (disabled or removed).", m.only)))
	case len(m.staff) == 0:
		b.WriteString(s.Status.Error.Render("No active staff. Add one with: paydesk staff add --name NAME --role admin"))
	default:
		b.WriteString(s.Subtitle.Render("Who are you?") + "\n")
		b.WriteString(m.table.View() + "\n\n")
		b.WriteString(s.Form.FocusedLabel.Render("PIN ") + m.pin.View())
	}
	block := b.String()
	return components.Center(s, m.c.Width, max(1, m.c.Height), block)
}
