// Package staff is the Staff tab for admins: add people, disable them,
// reset a PIN.
package staff

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

// Model is the Staff tab.
type Model struct {
	c       common.Common
	list    []finance.Staff
	tbl     *components.Table
	loadErr string

	form     *components.Form
	formKind int
	target   string
	pend     components.Pending
}

const (
	formAdd = iota + 1
	formPIN
)

type (
	listMsg struct {
		list []finance.Staff
		err  error
	}
	doneMsg struct {
		text string
		err  error
	}
)

var roles = []string{string(finance.RoleDesk), string(finance.RoleManager), string(finance.RoleAdmin)}

// New builds the Staff tab.
func New(c common.Common) *Model {
	m := &Model{c: c}
	m.tbl = components.NewTable(c.Styles,
		components.Column{Title: "Name", Flex: true, Width: 14},
		components.Column{Title: "Role", Width: 8},
		components.Column{Title: "Status", Width: 24},
		components.Column{Title: "Since", Width: 10})
	return m
}

func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.tbl.Width = min(w, 100)
	m.tbl.Height = max(3, h-4)
}

func (m *Model) Capturing() bool { return m.form != nil || m.pend.Active() }

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	switch {
	case m.pend.Active():
		return []key.Binding{k.Confirm, k.Cancel}
	case m.form != nil:
		return []key.Binding{k.NextFld, k.EnterFor("next / save"), k.Back}
	}
	add := k.Add
	add.SetHelp("a", "add staff")
	return []key.Binding{k.Up, k.Down, add, k.Disable, k.ResetPIN}
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

func (m *Model) load() tea.Cmd {
	b, c := m.c.Backend, m.c
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		l, err := b.StaffList(ctx)
		return listMsg{list: l, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.ActivatedMsg, common.ChangedMsg:
		return m.load()
	case listMsg:
		m.loadErr = ""
		if msg.err != nil {
			m.loadErr = common.ErrText(msg.err)
			return nil
		}
		m.list = msg.list
		rows := make([]components.Row, len(m.list))
		now := m.c.Now()
		for i, s := range m.list {
			status := "active"
			switch {
			case s.Disabled:
				status = "disabled"
			case s.LockedUntil.After(now):
				status = "locked until " + s.LockedUntil.In(m.loc()).Format("15:04")
			case s.FailedPINs > 0:
				status = "active, " + common.Count(s.FailedPINs, "wrong PIN", "wrong PINs")
			}
			rows[i] = components.Row{Cells: []string{s.Name, string(s.Role), status, s.Created.In(m.loc()).Format("2006-01-02")}, Dim: s.Disabled}
		}
		m.tbl.SetRows(rows)
		return nil
	case doneMsg:
		m.pend.Done()
		if msg.err != nil {
			return common.Status(common.StatusError, "%s", common.ErrText(msg.err))
		}
		m.form = nil
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
		case key.Matches(msg, k.Add):
			return m.openAdd()
		case key.Matches(msg, k.Disable):
			return m.askDisable()
		case key.Matches(msg, k.ResetPIN):
			return m.openPIN()
		}
	}
	return nil
}

func (m *Model) loc() *time.Location {
	if m.c.Loc != nil {
		return m.c.Loc
	}
	return time.UTC
}

func validPIN(v string) error {
	if len(v) < 4 || len(v) > 12 {
		return errors.New("a PIN has 4 to 12 digits")
	}
	return nil
}

func (m *Model) pinFields() (*components.Field, *components.Field) {
	pin := components.SecretField(m.c.Styles, "PIN", validPIN)
	pin.Hint = "4 to 12 digits"
	again := components.SecretField(m.c.Styles, "Repeat PIN", nil)
	again.Validate = func(v string) error {
		if v != pin.Value() {
			return errors.New("the PINs differ")
		}
		return nil
	}
	return pin, again
}

func (m *Model) refuse() tea.Cmd {
	if !m.c.Allowed(finance.RightManageStaff) {
		return common.Status(common.StatusError, "%s", components.RightRefusal(m.c, finance.RightManageStaff))
	}
	return nil
}

func (m *Model) openAdd() tea.Cmd {
	if cmd := m.refuse(); cmd != nil {
		return cmd
	}
	name := components.TextField(m.c.Styles, "Name", "as shown at login", func(v string) error {
		if strings.TrimSpace(v) == "" {
			return errors.New("enter a name")
		}
		return nil
	})
	role := components.ChoiceField(m.c.Styles, "Role", roles, 0)
	pin, again := m.pinFields()
	m.form = components.NewForm(m.c.Styles, m.c.Keys, name, role, pin, again)
	m.form.Width = min(m.c.Width-6, 60)
	m.formKind = formAdd
	return nil
}

func (m *Model) selected() (finance.Staff, bool) {
	if m.tbl.Cursor < len(m.list) {
		return m.list[m.tbl.Cursor], true
	}
	return finance.Staff{}, false
}

func (m *Model) openPIN() tea.Cmd {
	if cmd := m.refuse(); cmd != nil {
		return cmd
	}
	st, ok := m.selected()
	if !ok {
		return nil
	}
	pin, again := m.pinFields()
	m.form = components.NewForm(m.c.Styles, m.c.Keys, pin, again)
	m.form.Width = min(m.c.Width-6, 60)
	m.formKind = formPIN
	m.target = st.Name
	return nil
}

func (m *Model) askDisable() tea.Cmd {
	if cmd := m.refuse(); cmd != nil {
		return cmd
	}
	st, ok := m.selected()
	if !ok {
		return nil
	}
	b, c, a := m.c.Backend, m.c, m.c.Actor
	if st.Disabled {
		m.pend.Ask(components.Confirm{Title: "Enable " + st.Name + "?", Lines: []string{"  They can log in again with their PIN as it was (p sets a new one)."}, Yes: "enable"}, func() tea.Cmd {
			return func() tea.Msg {
				ctx, cancel := c.Call()
				defer cancel()
				if err := b.EnableStaff(ctx, a, st.Name); err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{text: st.Name + " can log in again."}
			}
		})
		return nil
	}
	if st.Name == m.c.Actor.Staff {
		return common.Status(common.StatusError, "you cannot disable yourself")
	}
	m.pend.Ask(components.Confirm{Title: "Disable " + st.Name + "?", Lines: []string{"  They will no longer be able to log in, and their open desks lock at once. Their operations stay."}, Yes: "disable"}, func() tea.Cmd {
		return func() tea.Msg {
			ctx, cancel := c.Call()
			defer cancel()
			if err := b.DisableStaff(ctx, a, st.Name); err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{text: st.Name + " is disabled."}
		}
	})
	return nil
}

func (m *Model) updateForm(msg tea.KeyMsg) tea.Cmd {
	switch k := m.c.Keys; {
	case key.Matches(msg, k.Back):
		m.form = nil
		return nil
	case key.Matches(msg, k.Enter):
		if !m.form.Enter() {
			return nil
		}
		return m.save()
	}
	return m.form.Update(msg)
}

func (m *Model) save() tea.Cmd {
	b, c, a := m.c.Backend, m.c, m.c.Actor
	f := m.form.Fields
	m.pend.Start()
	if m.formKind == formAdd {
		name, role, pin := f[0].Value(), finance.Role(f[1].Value()), f[2].Value()
		return tea.Batch(common.Busy("adding…"), func() tea.Msg {
			ctx, cancel := c.Call()
			defer cancel()
			if err := b.AddStaff(ctx, a, name, role, pin); err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{text: fmt.Sprintf("%s added as %s.", name, role)}
		})
	}
	name, pin := m.target, f[0].Value()
	return tea.Batch(common.Busy("saving…"), func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		if err := b.ResetPIN(ctx, a, name, pin); err != nil {
			return doneMsg{err: err}
		}
		return doneMsg{text: "New PIN saved for " + name + "."}
	})
}

func (m *Model) View() string {
	s := m.c.Styles
	if m.pend.Active() {
		return m.pend.View(s, m.c.Width, m.c.Height)
	}
	if m.form != nil {
		title := "Add a staff member"
		if m.formKind == formPIN {
			title = "New PIN for " + m.target
		}
		return s.Title.Render(title) + "\n\n" + m.form.View() + "\n\n" + s.Muted.Render("enter: next, then save · esc: cancel")
	}
	var b strings.Builder
	b.WriteString(s.Title.Render("Staff") + "\n\n")
	if m.loadErr != "" {
		b.WriteString(s.Status.Error.Render(m.loadErr))
		return b.String()
	}
	b.WriteString(m.tbl.View())
	return b.String()
}
