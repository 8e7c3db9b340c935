package clients

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

// Field labels; fieldFor finds a field by them.
const (
	lblName   = "Name"
	lblPhone  = "Phone"
	lblEmail  = "Email"
	lblNote   = "Note"
	lblCredit = "Credit limit"
)

// clientFields are the new-client and edit forms' text fields, with the
// same inline checks; the service has the last word on each.
func (m *Model) clientFields() (name, phone, email, note *components.Field) {
	s := m.c.Styles
	name = components.TextField(s, lblName, "first and last name", func(v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("enter the client's name")
		}
		return nil
	})
	phone = components.TextField(s, lblPhone, "+380 67 123 4567", func(v string) error {
		digits := 0
		for _, r := range v {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case strings.ContainsRune("+ -().", r):
			default:
				return fmt.Errorf("a phone has digits, spaces, + - ( ) only")
			}
		}
		if digits < 5 {
			return fmt.Errorf("enter the client's phone number")
		}
		return nil
	})
	phone.Hint = "without +country it is read as a " + m.c.Settings.PhoneRegion + " number"
	email = components.TextField(s, lblEmail, "optional", func(v string) error {
		if v != "" && (!strings.Contains(v, "@") || strings.ContainsAny(v, " ,;")) {
			return fmt.Errorf("that does not look like an email address")
		}
		return nil
	})
	note = components.TextField(s, lblNote, "optional", nil)
	// As long as the service allows, so editing never cuts what is stored.
	email.Input.CharLimit, note.Input.CharLimit = 254, 500
	return name, phone, email, note
}

// fieldFor is the field a service refusal is about, so its words appear
// under that field (0 when none fits).
func (m *Model) fieldFor(err error) int {
	text := strings.ToLower(common.ErrText(err))
	var label string
	switch {
	case errors.Is(err, finance.ErrConflict) || strings.Contains(text, "phone"):
		label = lblPhone // the only conflict a client can hit is a phone another client has
	case errors.Is(err, finance.ErrInsufficientFunds) || strings.Contains(text, "credit"):
		label = lblCredit
	case strings.Contains(text, "mail"):
		label = lblEmail
	case strings.Contains(text, "note"):
		label = lblNote
	case strings.Contains(text, "name"):
		label = lblName
	}
	for i, f := range m.form.Fields {
		if f.Label == label {
			return i
		}
	}
	return 0
}

// editKey is E in the help, disabled (so not shown) for someone who may
// change nothing about a client.
func (m *Model) editKey() key.Binding {
	k := m.c.Keys.Edit
	k.SetEnabled(m.c.Allowed(finance.RightClients) || m.c.Allowed(finance.RightCredit))
	return k
}

// openEdit opens the client's fields for editing: the contact fields for
// those who may edit clients, the credit limit only for those who may lend.
func (m *Model) openEdit() tea.Cmd {
	fields, credit := m.c.Allowed(finance.RightClients), m.c.Allowed(finance.RightCredit)
	if !fields && !credit {
		return common.Status(common.StatusError, "%s", components.RightRefusal(m.c, finance.RightClients))
	}
	v := m.view
	var fs []*components.Field
	if fields {
		name, phone, email, note := m.clientFields()
		name.Input.SetValue(v.Name)
		phone.Input.SetValue(v.Phone)
		email.Input.SetValue(v.Email)
		note.Input.SetValue(v.Note)
		fs = append(fs, name, phone, email, note)
	}
	if credit {
		limit := components.TextField(m.c.Styles, lblCredit, "0.00", func(s string) error {
			_, err := m.c.Money.ParseAllowZero(s)
			return err
		})
		limit.Input.SetValue(m.c.Money.Plain(v.CreditLimit))
		limit.Hint = "how far below zero the deposit may go (0 = no credit)"
		if v.Balance < 0 {
			limit.Hint += "; owes " + m.c.Money.Format(-v.Balance) + " now"
		}
		fs = append(fs, limit)
	}
	m.form = components.NewForm(m.c.Styles, m.c.Keys, fs...)
	m.form.Width = min(m.c.Width-6, 70)
	m.formKind = formEdit
	return nil
}

// reviewEdit asks to save exactly the fields that differ from the card; the
// others go to the service as nil, so they stay as they are even if another
// desk changed them meanwhile.
func (m *Model) reviewEdit() tea.Cmd {
	v := m.view
	var (
		u     finance.ClientUpdate
		lines []string
		what  []string
	)
	change := func(label, from, to string) {
		lines = append(lines, "  "+components.Pad(label, len(lblCredit), false)+"  "+orNone(from)+" → "+orNone(to))
		what = append(what, strings.ToLower(label))
	}
	for i, f := range m.form.Fields {
		val := f.Value()
		switch f.Label {
		case lblName:
			if val != v.Name {
				u.Name = &val
				change(f.Label, v.Name, val)
			}
		case lblPhone:
			if val != v.Phone {
				u.Phone = &val
				change(f.Label, v.Phone, val)
			}
		case lblEmail:
			if val != v.Email {
				u.Email = &val
				change(f.Label, v.Email, val)
			}
		case lblNote:
			if val != v.Note {
				u.Note = &val
				change(f.Label, v.Note, val)
			}
		case lblCredit:
			limit, err := m.c.Money.ParseAllowZero(val)
			if err != nil {
				m.form.SetError(i, common.ErrText(err))
				return nil
			}
			if limit != v.CreditLimit {
				u.CreditLimit = &limit
				change(f.Label, m.c.Money.Format(v.CreditLimit), m.c.Money.Format(limit))
				if after, ok := finance.AddInt64(v.Balance, limit); ok {
					lines = append(lines, "", "  Available after: "+m.c.Money.Format(after))
				}
			}
		}
	}
	if len(what) == 0 {
		m.closeForm()
		return common.Status(common.StatusInfo, "Nothing changed.")
	}
	b, c, a, id := m.c.Backend, m.c, m.c.Actor, v.ID
	m.pend.Ask(components.Confirm{Title: "Save changes to " + v.Name + "?", Lines: lines, Yes: "save"}, func() tea.Cmd {
		return tea.Batch(common.Busy("saving the client…"), func() tea.Msg {
			ctx, cancel := c.Call()
			defer cancel()
			cl, err := b.UpdateClient(ctx, a, id, u)
			return updatedMsg{client: cl, changed: what, err: err}
		})
	})
	return nil
}

// reviewNewClient shows the client as the service will store them: the
// phone in international form (a local number read in the location's
// region), spaces in the name tidied. A phone the service would refuse is
// marked under its field instead.
func (m *Model) reviewNewClient() tea.Cmd {
	f := m.form.Fields
	nc := finance.NewClient{Name: f[0].Value(), Phone: f[1].Value(), Email: f[2].Value(), Note: f[3].Value()}
	phone, err := finance.NormalizePhone(nc.Phone, m.c.Settings.PhoneRegion)
	if err != nil {
		m.form.SetError(1, common.ErrText(err))
		return nil
	}
	name := strings.Join(strings.Fields(nc.Name), " ")
	row := func(label, v string) string { return "  " + components.Pad(label, len(lblEmail), false) + "  " + v }
	lines := []string{row(lblName, name), row(lblPhone, phone)}
	if nc.Email != "" {
		lines = append(lines, row(lblEmail, nc.Email))
	}
	if nc.Note != "" {
		lines = append(lines, row(lblNote, nc.Note))
	}
	b, c, a := m.c.Backend, m.c, m.c.Actor
	m.pend.Ask(components.Confirm{Title: "Add " + name + " as a new client?", Lines: lines, Yes: "add the client"}, func() tea.Cmd {
		return tea.Batch(common.Busy("adding the client…"), func() tea.Msg {
			ctx, cancel := c.Call()
			defer cancel()
			cl, err := b.CreateClient(ctx, a, nc)
			return createdMsg{client: cl, err: err}
		})
	})
	return nil
}

func (m *Model) updated(msg updatedMsg) tea.Cmd {
	m.pend.Done()
	if msg.err != nil {
		// The form stays as typed; the service's words go under the field.
		m.form.SetError(m.fieldFor(msg.err), common.ErrText(msg.err))
		return common.Status(common.StatusError, "Edit refused: %s", common.ErrText(msg.err))
	}
	m.closeForm()
	return tea.Batch(common.Status(common.StatusOK, "Saved %s: %s.", msg.client.Name, strings.Join(msg.changed, ", ")),
		m.load(msg.client.ID, m.before), m.search())
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
