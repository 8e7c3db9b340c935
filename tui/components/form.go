// Package components holds the widgets every screen is built from: form
// fields with inline validation, a table, a confirmation dialog, the header,
// tabs, footer, status line and a bar chart.
package components

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/tui/keymap"
	"github.com/paydesk/paydesk/tui/styles"
)

// Field is one labelled input. A field with Choices is picked with ←/→
// instead of typed.
type Field struct {
	Label    string
	Hint     string
	Input    *Input
	Choices  []string // when set, the field is a picker
	Choice   int
	Validate func(string) error // inline validation; nil accepts anything
	Err      string
}

// Value is what the field holds: the typed text or the chosen option.
func (f *Field) Value() string {
	if len(f.Choices) > 0 {
		return f.Choices[f.Choice]
	}
	return strings.TrimSpace(f.Input.Value())
}

// Form is a column of fields, one focused at a time.
type Form struct {
	Fields []*Field
	Focus  int
	Width  int
	styles *styles.Styles
	keys   *keymap.KeyMap
	// initial is what the fields held when the first key reached the form
	// (after any pre-filling), so Dirty means typed by the person.
	initial []string
}

// NewInput is a text input styled for this session.
func NewInput(s *styles.Styles, placeholder string) *Input {
	return &Input{Placeholder: placeholder, CharLimit: 120, Width: 30,
		text: s.Form.Text, cursor: s.Form.Cursor, placeholder: s.Form.Placeholder}
}

// NewForm builds a form; the first field gets focus.
func NewForm(s *styles.Styles, k *keymap.KeyMap, fields ...*Field) *Form {
	f := &Form{Fields: fields, styles: s, keys: k, Width: 60}
	f.setFocus(0)
	return f
}

// TextField is a typed field.
func TextField(s *styles.Styles, label, placeholder string, validate func(string) error) *Field {
	return &Field{Label: label, Input: NewInput(s, placeholder), Validate: validate}
}

// SecretField is a typed field whose characters are hidden (PINs).
func SecretField(s *styles.Styles, label string, validate func(string) error) *Field {
	in := NewInput(s, "")
	in.Mask = '•'
	in.DigitsOnly = true
	in.CharLimit = 12
	return &Field{Label: label, Input: in, Validate: validate}
}

// ChoiceField is a picker over fixed options.
func ChoiceField(s *styles.Styles, label string, choices []string, selected int) *Field {
	if selected < 0 || selected >= len(choices) {
		selected = 0
	}
	return &Field{Label: label, Input: NewInput(s, ""), Choices: choices, Choice: selected}
}

func (f *Form) setFocus(i int) {
	if len(f.Fields) == 0 {
		return
	}
	if i < 0 {
		i = len(f.Fields) - 1
	}
	if i >= len(f.Fields) {
		i = 0
	}
	for j, fl := range f.Fields {
		if j == i {
			fl.Input.Focus()
		} else {
			fl.Input.Blur()
		}
	}
	f.Focus = i
}

// Focused is the field with focus.
func (f *Form) Focused() *Field {
	if len(f.Fields) == 0 {
		return nil
	}
	return f.Fields[f.Focus]
}

// FocusField moves focus to field i.
func (f *Form) FocusField(i int) { f.setFocus(i) }

// OnLast reports whether the last field has focus.
func (f *Form) OnLast() bool { return f.Focus == len(f.Fields)-1 }

// Enter is what Enter does in a form that submits from its last field: it
// moves to the next field, or on the last one checks every field and reports
// whether the form may be submitted (focus goes to the first bad field).
func (f *Form) Enter() (submit bool) {
	if !f.OnLast() {
		f.setFocus(f.Focus + 1)
		return false
	}
	return f.Validate()
}

// Next checks the focused field as leaving it with Tab does, and moves on
// only when it is valid: Enter must not carry a bad value past its field.
// It reports whether focus moved.
func (f *Form) Next() bool {
	fl := f.Focused()
	if fl == nil || !f.validateOne(fl) {
		return false
	}
	f.setFocus(f.Focus + 1)
	return true
}

// Update moves between fields and edits the focused one. Enter is left to
// the owner, which decides whether it submits or moves on.
func (f *Form) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || len(f.Fields) == 0 {
		return nil
	}
	if f.initial == nil {
		f.initial = f.values()
	}
	fl := f.Focused()
	switch {
	case key.Matches(km, f.keys.NextFld):
		f.validateOne(fl)
		f.setFocus(f.Focus + 1)
		return nil
	case key.Matches(km, f.keys.PrevFld):
		f.validateOne(fl)
		f.setFocus(f.Focus - 1)
		return nil
	}
	if len(fl.Choices) > 0 {
		switch {
		case key.Matches(km, f.keys.ChoicePrev):
			fl.Choice = (fl.Choice + len(fl.Choices) - 1) % len(fl.Choices)
		case key.Matches(km, f.keys.ChoiceNext):
			fl.Choice = (fl.Choice + 1) % len(fl.Choices)
		}
		return nil
	}
	fl.Input.Update(msg)
	fl.Err = "" // a new keystroke earns a fresh verdict on leaving the field
	return nil
}

func (f *Form) values() []string {
	out := make([]string, len(f.Fields))
	for i, fl := range f.Fields {
		out[i] = fl.Value()
	}
	return out
}

// Dirty reports whether the person changed a field since the form opened:
// leaving it then throws typed work away, so the screen asks first.
func (f *Form) Dirty() bool {
	if f == nil || f.initial == nil {
		return false
	}
	for i, v := range f.values() {
		if v != f.initial[i] {
			return true
		}
	}
	return false
}

func (f *Form) validateOne(fl *Field) bool {
	fl.Err = ""
	if fl.Validate == nil {
		return true
	}
	if err := fl.Validate(fl.Value()); err != nil {
		fl.Err = err.Error()
		return false
	}
	return true
}

// Validate checks every field, marks errors inline, focuses the first bad
// one and reports whether all are valid.
func (f *Form) Validate() bool {
	first := -1
	for i, fl := range f.Fields {
		if !f.validateOne(fl) && first < 0 {
			first = i
		}
	}
	if first >= 0 {
		f.setFocus(first)
		return false
	}
	return true
}

// SetError marks a field with an error found outside the form (e.g. the
// service refused the phone) and focuses it.
func (f *Form) SetError(i int, msg string) {
	if i < 0 || i >= len(f.Fields) {
		return
	}
	f.Fields[i].Err = msg
	f.setFocus(i)
}

// View renders the fields as label, input, and error or hint.
func (f *Form) View() string {
	labelW := 0
	for _, fl := range f.Fields {
		if n := len([]rune(fl.Label)); n > labelW {
			labelW = n
		}
	}
	var b strings.Builder
	for i, fl := range f.Fields {
		label := fl.Label + strings.Repeat(" ", labelW-len([]rune(fl.Label)))
		ls := f.styles.Form.Label
		marker := "  "
		if i == f.Focus {
			ls = f.styles.Form.FocusedLabel
			marker = "> "
		}
		b.WriteString(ls.Render(marker + label))
		b.WriteString("  ")
		if len(fl.Choices) > 0 {
			b.WriteString(choiceView(f.styles, fl, i == f.Focus))
		} else {
			w := f.Width - labelW - 6
			if w < 8 {
				w = 8
			}
			fl.Input.Width = w
			b.WriteString(fl.Input.View())
		}
		switch {
		case fl.Err != "":
			b.WriteString("\n" + strings.Repeat(" ", labelW+4) + f.styles.Form.Error.Render("✗ "+fl.Err))
		case fl.Hint != "" && i == f.Focus:
			b.WriteString("\n" + strings.Repeat(" ", labelW+4) + f.styles.Form.Hint.Render(fl.Hint))
		}
		if i < len(f.Fields)-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func choiceView(s *styles.Styles, fl *Field, focused bool) string {
	parts := make([]string, len(fl.Choices))
	for i, c := range fl.Choices {
		if i == fl.Choice {
			parts[i] = s.Form.FocusedLabel.Render("[" + c + "]")
		} else {
			parts[i] = s.Muted.Render(" " + c + " ")
		}
	}
	out := strings.Join(parts, " ")
	if focused {
		out += s.Form.Hint.Render("  ←/→")
	}
	return out
}
