// Package styles holds every lipgloss style the TUI uses. Styles are built
// per *lipgloss.Renderer, because each SSH session has its own terminal and
// colour profile; nothing here is package-level. A renderer with the Ascii
// profile (NO_COLOR, tests) renders plain text.
package styles

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles groups the styles of the frame, tables, forms and status line.
type Styles struct {
	Renderer *lipgloss.Renderer
	// Plain is a terminal without colour or attributes (NO_COLOR, a dumb
	// terminal): what colour tells apart elsewhere is told by symbols too
	// (the active tab in brackets, the chart's out bars shaded).
	Plain bool

	App lipgloss.Style

	Header struct {
		Base     lipgloss.Style
		Location lipgloss.Style
		Item     lipgloss.Style
		SyncOK   lipgloss.Style
		SyncOff  lipgloss.Style
		SyncBad  lipgloss.Style
	}
	Tabs struct {
		Active   lipgloss.Style
		Inactive lipgloss.Style
		Sep      lipgloss.Style
	}
	Title    lipgloss.Style
	Subtitle lipgloss.Style
	Muted    lipgloss.Style
	Label    lipgloss.Style
	Value    lipgloss.Style
	Strong   lipgloss.Style
	Positive lipgloss.Style
	Negative lipgloss.Style
	Reversed lipgloss.Style // operations that were reversed: struck through where supported

	Table struct {
		Header   lipgloss.Style
		Row      lipgloss.Style
		Selected lipgloss.Style
	}
	Form struct {
		Label        lipgloss.Style
		FocusedLabel lipgloss.Style
		Error        lipgloss.Style
		Hint         lipgloss.Style
		Cursor       lipgloss.Style
		Text         lipgloss.Style
		Placeholder  lipgloss.Style
	}
	Dialog struct {
		Box   lipgloss.Style
		Title lipgloss.Style
	}
	Status struct {
		Info  lipgloss.Style
		OK    lipgloss.Style
		Error lipgloss.Style
		Busy  lipgloss.Style
	}
	Help struct {
		Key  lipgloss.Style
		Desc lipgloss.Style
		Sep  lipgloss.Style
	}
	Chart struct {
		In   lipgloss.Style
		Out  lipgloss.Style
		Axis lipgloss.Style
	}
}

// New builds the styles for one renderer.
func New(r *lipgloss.Renderer) *Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	accent := lipgloss.AdaptiveColor{Light: "#5A3FD6", Dark: "#B9A8FF"}
	muted := lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"}
	green := lipgloss.AdaptiveColor{Light: "#1E7B34", Dark: "#5FD287"}
	red := lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF7A70"}
	yellow := lipgloss.AdaptiveColor{Light: "#8A6100", Dark: "#F2C94C"}
	barBg := lipgloss.AdaptiveColor{Light: "#E8E4FA", Dark: "#2A2540"}

	s := &Styles{Renderer: r, Plain: r.ColorProfile() == termenv.Ascii}
	s.App = r.NewStyle()

	s.Header.Base = r.NewStyle().Background(barBg)
	s.Header.Location = r.NewStyle().Bold(true).Foreground(accent).Background(barBg)
	s.Header.Item = r.NewStyle().Background(barBg)
	s.Header.SyncOK = r.NewStyle().Foreground(green).Background(barBg)
	s.Header.SyncOff = r.NewStyle().Foreground(muted).Background(barBg)
	s.Header.SyncBad = r.NewStyle().Bold(true).Foreground(red).Background(barBg)

	s.Tabs.Active = r.NewStyle().Bold(true).Underline(true).Foreground(accent)
	s.Tabs.Inactive = r.NewStyle().Foreground(muted)
	s.Tabs.Sep = r.NewStyle().Foreground(muted)

	s.Title = r.NewStyle().Bold(true).Foreground(accent)
	s.Subtitle = r.NewStyle().Bold(true)
	s.Muted = r.NewStyle().Foreground(muted)
	s.Label = r.NewStyle().Foreground(muted)
	s.Value = r.NewStyle()
	s.Strong = r.NewStyle().Bold(true)
	s.Positive = r.NewStyle().Foreground(green)
	s.Negative = r.NewStyle().Foreground(red)
	s.Reversed = r.NewStyle().Foreground(muted).Strikethrough(true)

	s.Table.Header = r.NewStyle().Bold(true).Foreground(muted)
	s.Table.Row = r.NewStyle()
	s.Table.Selected = r.NewStyle().Bold(true).Foreground(accent).Background(barBg)

	s.Form.Label = r.NewStyle().Foreground(muted)
	s.Form.FocusedLabel = r.NewStyle().Bold(true).Foreground(accent)
	s.Form.Error = r.NewStyle().Foreground(red)
	s.Form.Hint = r.NewStyle().Foreground(muted)
	s.Form.Cursor = r.NewStyle().Foreground(accent)
	s.Form.Text = r.NewStyle()
	s.Form.Placeholder = r.NewStyle().Foreground(muted)

	s.Dialog.Box = r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1)
	s.Dialog.Title = r.NewStyle().Bold(true).Foreground(accent)

	s.Status.Info = r.NewStyle().Foreground(muted)
	s.Status.OK = r.NewStyle().Foreground(green)
	s.Status.Error = r.NewStyle().Bold(true).Foreground(red)
	s.Status.Busy = r.NewStyle().Foreground(yellow)

	s.Help.Key = r.NewStyle().Bold(true)
	s.Help.Desc = r.NewStyle().Foreground(muted)
	s.Help.Sep = r.NewStyle().Foreground(muted)

	s.Chart.In = r.NewStyle().Foreground(green)
	s.Chart.Out = r.NewStyle().Foreground(red)
	s.Chart.Axis = r.NewStyle().Foreground(muted)
	return s
}
