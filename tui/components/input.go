package components

import (
	"strings"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Input is a one-line text field. It is deliberately small (bubbles'
// textinput pulls in a clipboard package and a blink timer per field; a
// front desk needs neither).
type Input struct {
	Placeholder string
	Mask        rune // when set, every character shows as Mask (PINs)
	CharLimit   int
	Width       int
	DigitsOnly  bool

	value   []rune
	pos     int
	focused bool
	// selected: the whole value is a suggestion; the first character typed
	// replaces it (a pre-filled amount), anything else keeps it.
	selected bool

	text, cursor, placeholder lipgloss.Style
}

// Value is the text typed.
func (in *Input) Value() string { return string(in.value) }

// SetValue replaces the text and puts the cursor at its end.
func (in *Input) SetValue(s string) {
	in.value = []rune(s)
	if in.CharLimit > 0 && len(in.value) > in.CharLimit {
		in.value = in.value[:in.CharLimit]
	}
	in.pos = len(in.value)
}

// Preselect fills in a suggestion that typing replaces: "40.00" then "50"
// is 50, not "40.0050". Moving, deleting or leaving the field keeps it.
func (in *Input) Preselect(s string) {
	in.SetValue(s)
	in.selected = len(in.value) > 0
}

// Selected reports whether the value is still an untouched suggestion.
func (in *Input) Selected() bool { return in.selected }

// Focus and Blur decide whether keys reach the field and the cursor shows.
func (in *Input) Focus()        { in.focused = true }
func (in *Input) Blur()         { in.focused = false }
func (in *Input) Focused() bool { return in.focused }

// Update edits the text for one key; other messages are ignored.
func (in *Input) Update(msg tea.Msg) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !in.focused {
		return
	}
	if in.selected {
		in.selected = false
		switch km.Type {
		case tea.KeyRunes, tea.KeySpace:
			in.value, in.pos = nil, 0
		case tea.KeyBackspace, tea.KeyDelete:
			in.value, in.pos = nil, 0
			return
		}
	}
	switch km.Type {
	case tea.KeyRunes, tea.KeySpace:
		in.insert(km.Runes)
	case tea.KeyBackspace:
		if in.pos > 0 {
			in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
			in.pos--
		}
	case tea.KeyDelete:
		if in.pos < len(in.value) {
			in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
		}
	case tea.KeyLeft:
		if in.pos > 0 {
			in.pos--
		}
	case tea.KeyRight:
		if in.pos < len(in.value) {
			in.pos++
		}
	case tea.KeyHome, tea.KeyCtrlA:
		in.pos = 0
	case tea.KeyEnd, tea.KeyCtrlE:
		in.pos = len(in.value)
	case tea.KeyCtrlU:
		in.value = append([]rune(nil), in.value[in.pos:]...)
		in.pos = 0
	case tea.KeyCtrlK:
		in.value = in.value[:in.pos]
	}
}

func (in *Input) insert(rs []rune) {
	var clean []rune
	for _, r := range rs {
		if r == '\n' || r == '\r' || r == '\t' {
			r = ' '
		}
		if !unicode.IsPrint(r) {
			continue
		}
		if in.DigitsOnly && !unicode.IsDigit(r) {
			continue
		}
		clean = append(clean, r)
	}
	if in.CharLimit > 0 && len(in.value)+len(clean) > in.CharLimit {
		clean = clean[:max(0, in.CharLimit-len(in.value))]
	}
	if len(clean) == 0 {
		return
	}
	v := make([]rune, 0, len(in.value)+len(clean))
	v = append(v, in.value[:in.pos]...)
	v = append(v, clean...)
	v = append(v, in.value[in.pos:]...)
	in.value = v
	in.pos += len(clean)
}

// View renders the field; the cursor is a reversed cell (invisible with the
// Ascii profile, which keeps golden files stable).
func (in *Input) View() string {
	shown := in.value
	if in.Mask != 0 {
		shown = []rune(strings.Repeat(string(in.Mask), len(in.value)))
	}
	if len(shown) == 0 && !in.focused && in.Placeholder != "" {
		return in.placeholder.Render(in.Placeholder)
	}
	if len(shown) == 0 && in.focused && in.Placeholder != "" {
		p := []rune(in.Placeholder)
		return in.cursor.Reverse(true).Render(string(p[0])) + in.placeholder.Render(string(p[1:]))
	}
	start := 0
	if in.Width > 0 && in.pos >= in.Width {
		start = in.pos - in.Width + 1
	}
	end := len(shown)
	if in.Width > 0 && end-start > in.Width {
		end = start + in.Width
	}
	if !in.focused {
		return in.text.Render(string(shown[start:end]))
	}
	if in.selected {
		return in.cursor.Reverse(true).Render(string(shown[start:end]))
	}
	var b strings.Builder
	b.WriteString(in.text.Render(string(shown[start:in.pos])))
	if in.pos < len(shown) {
		b.WriteString(in.cursor.Reverse(true).Render(string(shown[in.pos])))
		if in.pos+1 < end {
			b.WriteString(in.text.Render(string(shown[in.pos+1 : end])))
		}
	} else {
		b.WriteString(in.cursor.Reverse(true).Render(" "))
	}
	return b.String()
}
