// Package setup is the first-run screen: it asks for the location and the
// owner, creates the database's settings and logs the owner in.
package setup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/bojanz/currency"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

// Demo loads demo data into a freshly set-up database (nil: not offered);
// notes are lines for the person who set up, shown once (demo staff PINs).
type Demo func(ctx context.Context) (notes []string, err error)

const (
	fLocation = iota
	fCurrency
	fLocale
	fZone
	fRegion
	fOwner
	fPIN
	fPIN2
	fDemo
)

// Model is the setup screen.
type Model struct {
	c        common.Common
	defaults finance.Settings
	demo     Demo
	form     *components.Form
	busy     bool
	// untouched marks fields still holding the machine's guess: the first
	// letter typed there replaces the guess rather than appending to it
	// ("My salonStudio Mila"), as a preselected default does.
	untouched map[int]bool
	// done holds a finished setup while its demo notes are on screen; Enter
	// goes on to the desk, and the notes are never shown again.
	done *doneMsg
}

type doneMsg struct {
	settings  finance.Settings
	actor     finance.Actor
	demoNotes []string
	demoErr   error
	err       error
}

// New builds the setup form, filled with the machine's defaults.
func New(c common.Common, defaults finance.Settings, demo Demo) *Model {
	s := c.Styles
	m := &Model{c: c, defaults: defaults, demo: demo}
	fields := []*components.Field{
		components.TextField(s, "Location name", "Studio Mila", required("a location name")),
		components.TextField(s, "Currency", "EUR", validCurrency),
		components.TextField(s, "Locale", "en", finance.ValidLocale),
		components.TextField(s, "Time zone", "Europe/Kyiv", validZone),
		components.TextField(s, "Phone region", "UA", validRegion),
		components.TextField(s, "Owner name", "your name", required("the owner's name")),
		components.SecretField(s, "Owner PIN", validPIN),
		components.SecretField(s, "Repeat PIN", nil),
	}
	fields[fLocation].Input.SetValue(defaults.Location)
	fields[fCurrency].Input.SetValue(defaults.Currency)
	fields[fLocale].Input.SetValue(defaults.Locale)
	fields[fZone].Input.SetValue(defaults.TimeZone)
	fields[fRegion].Input.SetValue(defaults.PhoneRegion)
	m.untouched = map[int]bool{}
	for _, i := range []int{fLocation, fCurrency, fLocale, fZone, fRegion} {
		m.untouched[i] = fields[i].Value() != ""
	}
	fields[fLocation].Hint = "typing replaces the suggestion; backspace edits it"
	fields[fLocale].Hint = "how amounts are written: en, uk, de-DE, pt-BR"
	fields[fCurrency].Hint = "ISO 4217 code; one currency per location"
	fields[fZone].Hint = "IANA name; decides each day's business date"
	fields[fRegion].Hint = "phones typed without +country are read as this region's"
	fields[fPIN].Hint = "4 to 12 digits"
	if demo != nil {
		fields = append(fields, components.ChoiceField(s, "Demo data", []string{"no", "yes"}, 0))
		fields[fDemo].Hint = "fill the books with sample clients and operations to try things out"
	}
	pin := fields[fPIN]
	fields[fPIN2].Validate = func(v string) error {
		if v != pin.Value() {
			return errors.New("the PINs differ")
		}
		return nil
	}
	m.form = components.NewForm(s, c.Keys, fields...)
	return m
}

func required(what string) func(string) error {
	return func(v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("enter %s", what)
		}
		return nil
	}
}

func validCurrency(v string) error {
	if !currency.IsValid(strings.ToUpper(strings.TrimSpace(v))) {
		return fmt.Errorf("%q is not an ISO 4217 currency code", v)
	}
	return nil
}

func validZone(v string) error {
	if v == "" || v == "Local" {
		return errors.New("enter an IANA time zone such as Europe/Kyiv")
	}
	if _, err := time.LoadLocation(v); err != nil {
		return fmt.Errorf("unknown time zone %q", v)
	}
	return nil
}

func validRegion(v string) error {
	if len(v) != 2 || !unicode.IsLetter(rune(v[0])) || !unicode.IsLetter(rune(v[1])) {
		return errors.New("two letters, such as UA, DE or US")
	}
	return nil
}

func validPIN(v string) error {
	if len(v) < 4 || len(v) > 12 {
		return errors.New("a PIN has 4 to 12 digits")
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return errors.New("a PIN has digits only")
		}
	}
	return nil
}

func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.form.Width = min(w-4, 72)
}

func (m *Model) Capturing() bool { return true }

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	if m.done != nil {
		return []key.Binding{k.EnterFor("open the desk"), k.ForceQuit}
	}
	return []key.Binding{k.NextFld, k.PrevFld, k.EnterFor("next / create"), k.ForceQuit}
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// Update handles typing, and Enter: the next field once this one is valid,
// or create on the last one.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case doneMsg:
		m.busy = false
		if msg.err != nil {
			return common.Failed(msg.err)
		}
		if len(msg.demoNotes) > 0 {
			m.done = &msg
			return common.Status(common.StatusInfo, "Demo data loaded. Note the PINs, then enter opens the desk.")
		}
		return finish(msg)
	case tea.KeyMsg:
		if m.busy {
			return nil
		}
		if m.done != nil {
			if msg.Type == tea.KeyEnter {
				return finish(*m.done)
			}
			return nil
		}
		if msg.Type == tea.KeyEnter {
			if !m.form.OnLast() {
				m.form.Next() // a bad value stays marked under its field
				return nil
			}
			return m.submit()
		}
		m.replaceUntouched(msg)
		return m.form.Update(msg)
	}
	return nil
}

// finish hands the set-up books and the logged-in owner to the root.
func finish(msg doneMsg) tea.Cmd {
	done := func() tea.Msg { return common.SetupDoneMsg{Settings: msg.settings, Actor: msg.actor} }
	if msg.demoErr != nil {
		return tea.Batch(done, common.Status(common.StatusError, "set up, but the demo data failed: %s", common.ErrText(msg.demoErr)))
	}
	return tea.Batch(done, common.Status(common.StatusOK, "%s is set up. Welcome, %s.", msg.settings.Location, msg.actor.Staff))
}

// replaceUntouched clears a suggested value when the first letter is typed
// over it; any other editing key (backspace, arrows) means "edit it" instead.
func (m *Model) replaceUntouched(msg tea.KeyMsg) {
	k := m.c.Keys
	i := m.form.Focus
	if !m.untouched[i] || key.Matches(msg, k.NextFld, k.PrevFld) {
		return
	}
	m.untouched[i] = false
	if msg.Type == tea.KeyRunes || msg.Type == tea.KeySpace {
		m.form.Fields[i].Input.SetValue("")
	}
}

func (m *Model) submit() tea.Cmd {
	if !m.form.Validate() {
		return common.Status(common.StatusError, "please fix the marked field")
	}
	f := m.form.Fields
	st := m.defaults
	st.Location = f[fLocation].Value()
	st.Currency = strings.ToUpper(f[fCurrency].Value())
	st.Locale = f[fLocale].Value()
	st.TimeZone = f[fZone].Value()
	st.PhoneRegion = strings.ToUpper(f[fRegion].Value())
	st = finance.SetupDefaults(st)
	owner, pin := f[fOwner].Value(), f[fPIN].Value()
	wantDemo := m.demo != nil && len(f) > fDemo && f[fDemo].Value() == "yes"
	m.busy = true
	b, demo, c := m.c.Backend, m.demo, m.c
	return tea.Batch(common.Busy("creating the database…"), func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		if err := b.Setup(ctx, st, owner, pin); err != nil {
			return doneMsg{err: fmt.Errorf("setup: %w", err)}
		}
		actor, err := b.Login(ctx, owner, pin)
		if err != nil {
			return doneMsg{err: fmt.Errorf("log in as the owner: %w", err)}
		}
		saved, err := b.Settings(ctx)
		if err != nil {
			saved = st
		}
		var demoNotes []string
		var demoErr error
		if wantDemo {
			// Demo data can be large; it gets its own, longer deadline.
			dctx, dcancel := context.WithTimeout(c.Ctx, 2*time.Minute)
			demoNotes, demoErr = demo(dctx)
			dcancel()
		}
		return doneMsg{settings: saved, actor: actor, demoNotes: demoNotes, demoErr: demoErr}
	})
}

func (m *Model) View() string {
	s := m.c.Styles
	if m.done != nil {
		return m.notesView()
	}
	var b strings.Builder
	b.WriteString(s.Title.Render("Welcome to paydesk") + "\n")
	b.WriteString(s.Muted.Render("No database yet. Tell paydesk about the location and its owner.") + "\n\n")
	b.WriteString(m.form.View())
	regs := make([]string, 0, len(m.defaults.Registers))
	for _, r := range m.defaults.Registers {
		regs = append(regs, r.Name)
	}
	if len(regs) == 0 {
		for _, r := range finance.DefaultRegisters() {
			regs = append(regs, r.Name)
		}
	}
	b.WriteString("\n\n" + s.Muted.Render("Registers: "+strings.Join(regs, ", ")))
	return b.String()
}

// notesView is the one-time panel after demo data: its notes (the demo
// staff and their PINs), which no other screen shows.
func (m *Model) notesView() string {
	s := m.c.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render(m.done.settings.Location+" is set up with demo data") + "\n\n")
	b.WriteString(s.Strong.Render("Write these down: this is the only time the desk shows them.") + "\n\n")
	for _, n := range m.done.demoNotes {
		b.WriteString("  " + n + "\n")
	}
	if m.done.demoErr != nil {
		b.WriteString("\n" + s.Status.Error.Render("The demo data stopped early: "+common.ErrText(m.done.demoErr)) + "\n")
	}
	b.WriteString("\n" + s.Muted.Render("enter: open the desk as "+m.done.actor.Staff+" · ctrl+l later switches to a demo person"))
	return b.String()
}
