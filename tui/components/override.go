package components

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/charmbracelet/bubbles/key"
	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
)

// Override is the refusal of a missing right that offers a manager's PIN:
// "Olha (desk) may not reverse operations. Manager's PIN?" A good PIN
// (checked by the service's Approve) hands the screen an Approval for that
// one action; the request carries it and the service checks it again when
// it posts, so nothing here decides a right. The zero value is closed.
type Override struct {
	right  finance.Right
	form   *Form
	names  []string
	then   func(*finance.Approval) tea.Cmd
	busy   bool
	reason string
}

type (
	overrideStaffMsg struct {
		from  *Override
		names []string
		err   error
	}
	overrideDoneMsg struct {
		from *Override
		ap   finance.Approval
		err  error
	}
)

// Active is true while the question is open.
func (o *Override) Active() bool { return o.form != nil || o.busy }

// Close drops the question.
func (o *Override) Close() { *o = Override{} }

// Open asks for a manager's PIN for right r; then runs with the approval.
// It lists who may approve (not disabled, holding r, not the person asking).
func (o *Override) Open(c common.Common, r finance.Right, then func(*finance.Approval) tea.Cmd) tea.Cmd {
	*o = Override{right: r, then: then, busy: true, reason: RightRefusal(c, r)}
	b, a := c.Backend, c.Actor
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		staff, err := b.StaffList(ctx)
		var names []string
		for _, s := range staff {
			if !s.Disabled && s.Name != a.Staff && b.Allowed(finance.Actor{Staff: s.Name, Role: s.Role}, r) {
				names = append(names, s.Name)
			}
		}
		return overrideStaffMsg{from: o, names: names, err: err}
	}
}

// Update takes the override's own messages and, while it is open, every
// key. handled is false for anything else.
func (o *Override) Update(c common.Common, msg tea.Msg) (cmd tea.Cmd, handled bool) {
	switch msg := msg.(type) {
	case overrideStaffMsg:
		if msg.from != o {
			return nil, false
		}
		o.busy = false
		switch {
		case msg.err != nil:
			o.Close()
			return common.Failed(msg.err), true
		case len(msg.names) == 0:
			reason := o.reason
			o.Close()
			return common.Status(common.StatusError, "%s, and nobody else here may approve it.", reason), true
		}
		o.names = msg.names
		who := ChoiceField(c.Styles, "Manager", msg.names, 0)
		pin := SecretField(c.Styles, "PIN", nil)
		o.form = NewForm(c.Styles, c.Keys, who, pin)
		o.form.FocusField(1)
		o.form.Width = min(c.Width-6, 60)
		return nil, true
	case overrideDoneMsg:
		if msg.from != o {
			return nil, false
		}
		o.busy = false
		if msg.err != nil {
			if o.form != nil {
				o.form.Fields[1].Input.SetValue("")
				o.form.SetError(1, common.ErrText(msg.err))
			}
			return nil, true
		}
		then, ap := o.then, msg.ap
		o.Close()
		return tea.Batch(common.Status(common.StatusInfo, "%s approved this one action.", ap.Staff), then(&ap)), true
	case tea.KeyMsg:
		if !o.Active() {
			return nil, false
		}
		if o.busy {
			return nil, true
		}
		switch {
		case key.Matches(msg, c.Keys.Back):
			o.Close()
			return common.Status(common.StatusInfo, "canceled"), true
		case key.Matches(msg, c.Keys.Enter):
			pin := o.form.Fields[1].Value()
			if pin == "" {
				o.form.SetError(1, "the manager types their PIN")
				return nil, true
			}
			ap := finance.Approval{Staff: o.form.Fields[0].Value(), PIN: pin}
			o.busy = true
			b, a, r := c.Backend, c.Actor, o.right
			return func() tea.Msg {
				ctx, cancel := c.Call()
				defer cancel()
				name, err := b.Approve(ctx, a, r, ap)
				if err == nil {
					ap.Staff = name
				}
				return overrideDoneMsg{from: o, ap: ap, err: err}
			}, true
		}
		o.form.Update(msg)
		return nil, true
	}
	return nil, false
}

// View is the question, centred in w×h.
func (o *Override) View(c common.Common, w, h int) string {
	s := c.Styles
	if o.form == nil {
		return Center(s, w, h, s.Muted.Render("checking who may approve…"))
	}
	var b strings.Builder
	b.WriteString(s.Dialog.Title.Render(o.reason+".") + "\n")
	b.WriteString(s.Muted.Render("A manager's PIN allows it this once; the audit log names you both.") + "\n\n")
	b.WriteString(o.form.View() + "\n\n")
	approve, cancel := c.Keys.EnterFor("approve").Help(), c.Keys.BackFor("cancel").Help()
	b.WriteString(s.Help.Key.Render(approve.Key) + " " + s.Help.Desc.Render(approve.Desc) + "   " +
		s.Help.Key.Render(cancel.Key) + " " + s.Help.Desc.Render(cancel.Desc))
	return Center(s, w, h, s.Dialog.Box.Render(b.String()))
}
