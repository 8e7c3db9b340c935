package components

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/paydesk/paydesk/tui/styles"
)

// HeaderInfo is what the header shows.
type HeaderInfo struct {
	Location string
	Date     string // business date
	Clock    string
	Staff    string
	Sync     string
	SyncBad  bool
	SyncOff  bool
	Notice   string // a warning shown before the date: a day left open
	Chain    string // replication to the chain's database ("" when it is off)
	ChainBad bool
}

// Header renders one full-width line: location left, the rest right.
func Header(s *styles.Styles, width int, h HeaderInfo) string {
	left := s.Header.Location.Render(" " + h.Location + " ")
	sync := s.Header.SyncOK
	switch {
	case h.SyncBad:
		sync = s.Header.SyncBad
	case h.SyncOff:
		sync = s.Header.SyncOff
	}
	parts := []string{h.Date, h.Clock}
	if h.Staff != "" {
		parts = append(parts, h.Staff)
	}
	badges := sync.Render(h.Sync)
	if h.Chain != "" {
		chain := s.Header.SyncOK
		if h.ChainBad {
			chain = s.Header.SyncBad
		}
		badges += s.Header.Item.Render(" · ") + chain.Render(h.Chain)
	}
	right := s.Header.Item.Render(strings.Join(parts, " · ")+" · ") + badges + s.Header.Item.Render(" ")
	if h.Notice != "" {
		right = s.Header.SyncBad.Render(" "+h.Notice+" ") + s.Header.Item.Render(" ") + right
	}
	gap := width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		// Too narrow: the sync badge and the date matter most.
		right = s.Header.Item.Render(h.Date+" · ") + badges + s.Header.Item.Render(" ")
		if h.Notice != "" {
			right = s.Header.SyncBad.Render(" "+h.Notice+" ") + s.Header.Item.Render(" ") + right
		}
		gap = width - lipgloss.Width(left) - lipgloss.Width(right)
		if gap < 1 {
			left = s.Header.Location.Render(" " + Pad(h.Location, max(1, width-lipgloss.Width(right)-3), false) + " ")
			gap = max(0, width-lipgloss.Width(left)-lipgloss.Width(right))
		}
	}
	return left + s.Header.Base.Render(strings.Repeat(" ", gap)) + right
}

// Tabs renders the tab bar, numbering tabs for the 1-7 keys.
func Tabs(s *styles.Styles, width int, names []string, active int) string {
	parts := make([]string, len(names))
	for i, n := range names {
		label := itoa(i+1) + " " + n
		if i == active {
			if s.Plain {
				label = "[" + label + "]"
			}
			parts[i] = s.Tabs.Active.Render(label)
		} else {
			parts[i] = s.Tabs.Inactive.Render(label)
		}
	}
	line := " " + strings.Join(parts, s.Tabs.Sep.Render(" · "))
	if lipgloss.Width(line) > width {
		// Narrow terminal: only numbers for the inactive tabs.
		for i := range names {
			if i != active {
				parts[i] = s.Tabs.Inactive.Render(itoa(i + 1))
			}
		}
		line = " " + strings.Join(parts, s.Tabs.Sep.Render(" "))
	}
	return line
}

// NewHelp is bubbles/help coloured for this session.
func NewHelp(s *styles.Styles) help.Model {
	h := help.New()
	h.Styles.ShortKey = s.Help.Key
	h.Styles.ShortDesc = s.Help.Desc
	h.Styles.ShortSeparator = s.Help.Sep
	h.Styles.FullKey = s.Help.Key
	h.Styles.FullDesc = s.Help.Desc
	h.Styles.FullSeparator = s.Help.Sep
	h.Styles.Ellipsis = s.Help.Sep
	h.ShortSeparator = " · "
	return h
}

// KeyHelp adapts two binding lists to help.KeyMap.
type KeyHelp struct {
	Short []key.Binding
	Full  [][]key.Binding
}

func (k KeyHelp) ShortHelp() []key.Binding  { return k.Short }
func (k KeyHelp) FullHelp() [][]key.Binding { return k.Full }

// ShortHelp is the footer's key help on at most width cells: keys that do
// not fit give way whole to "…". (bubbles' own cut adds one key too many
// when the ellipsis has no room left, and a frame's cut then breaks a word.)
func ShortHelp(h help.Model, keys []key.Binding, width int) string {
	sep := h.Styles.ShortSeparator.Inline(true).Render(h.ShortSeparator)
	items := make([]string, 0, len(keys))
	widths := make([]int, 0, len(keys))
	total := 0
	for _, k := range keys {
		if !k.Enabled() {
			continue
		}
		item := h.Styles.ShortKey.Inline(true).Render(k.Help().Key) + " " + h.Styles.ShortDesc.Inline(true).Render(k.Help().Desc)
		if len(items) > 0 {
			item = sep + item
		}
		w := lipgloss.Width(item)
		items, widths, total = append(items, item), append(widths, w), total+w
	}
	if total <= width {
		return strings.Join(items, "")
	}
	tail := " " + h.Styles.Ellipsis.Inline(true).Render(h.Ellipsis)
	room := width - lipgloss.Width(tail)
	if room < 0 {
		return ""
	}
	used, n := 0, 0
	for n < len(items) && used+widths[n] <= room {
		used += widths[n]
		n++
	}
	return strings.Join(items[:n], "") + tail
}
