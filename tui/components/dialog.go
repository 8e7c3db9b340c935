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
}

// View renders the dialog box, at most width cells wide.
func (c Confirm) View(s *styles.Styles, width int) string {
	var b strings.Builder
	b.WriteString(s.Dialog.Title.Render(c.Title))
	b.WriteString("\n\n")
	b.WriteString(strings.Join(c.Lines, "\n"))
	yes := c.Yes
	if yes == "" {
		yes = "confirm"
	}
	b.WriteString("\n\n" + s.Help.Key.Render("y") + " " + s.Help.Desc.Render(yes) + "   " +
		s.Help.Key.Render("n/esc") + " " + s.Help.Desc.Render("cancel"))
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
