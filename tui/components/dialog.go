package components

import (
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/paydesk/paydesk/tui/styles"
)

// Confirm is the question every money action asks before it runs: a title,
// exactly what will be posted, and y/n.
type Confirm struct {
	Title string
	Lines []string
	Yes   string // "post", "reverse", "refund"...
	No    string // what n does; "" = "cancel"
	// Postings, when set, are the ledger's postings, shown instead of
	// Lines while ShowPostings is on (one key away: p).
	Postings     []string
	ShowPostings bool
	// Twice, when set, is why this question is asked twice (an unusual
	// amount): the first y shows it, the second runs. Asked says the first
	// y was given.
	Twice string
	Asked bool
}

// View renders the dialog box, at most width cells wide.
func (c Confirm) View(s *styles.Styles, width int) string {
	var b strings.Builder
	b.WriteString(s.Dialog.Title.Render(c.Title))
	b.WriteString("\n\n")
	lines := c.Lines
	if c.ShowPostings && len(c.Postings) > 0 {
		lines = append([]string{"  Postings (debit +, credit −):"}, c.Postings...)
	}
	b.WriteString(strings.Join(lines, "\n"))
	yes := c.Yes
	if yes == "" {
		yes = "confirm"
	}
	if c.Asked {
		b.WriteString("\n\n" + s.Status.Error.Render(c.Twice))
		yes = "yes, " + yes
	}
	no := c.No
	if no == "" {
		no = "cancel"
	}
	b.WriteString("\n\n" + s.Help.Key.Render("y") + " " + s.Help.Desc.Render(yes) + "   " +
		s.Help.Key.Render("n/esc") + " " + s.Help.Desc.Render(no))
	if len(c.Postings) > 0 {
		what := "postings"
		if c.ShowPostings {
			what = "in words"
		}
		b.WriteString("   " + s.Help.Key.Render("p") + " " + s.Help.Desc.Render(what))
	}
	box := s.Dialog.Box
	if width > 4 {
		inner := lipgloss.Width(b.String())
		if inner > width-4 {
			box = box.Width(width - 4)
		}
	}
	return box.Render(b.String())
}

// Center places a block in the middle of a w×h area.
func Center(s *styles.Styles, w, h int, block string) string {
	return s.Renderer.Place(w, h, lipgloss.Center, lipgloss.Center, block)
}
