package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
	"github.com/paydesk/paydesk/tui/keymap"
)

// leaveAsk is the root's question before a key throws typed work away
// ("Discard this top-up? y/n"): then is what the key would have done.
type leaveAsk struct {
	title string
	then  func() tea.Cmd
}

// unsavedOn is what page p holds that esc (or the page going away) loses.
func unsavedOn(p common.Component, esc bool) string {
	if u, ok := p.(common.Unsaved); ok {
		return u.Unsaved(esc)
	}
	return ""
}

// anyUnsaved is the first work any tab holds: quitting or locking drops
// every tab, not only the visible one (a cart stays on Checkout while the
// person looks at Clients).
func (m *Model) anyUnsaved() string {
	if p := m.activePage(); p != nil {
		if w := unsavedOn(p, false); w != "" {
			return w
		}
	}
	for _, t := range m.tabs {
		if w := unsavedOn(t.page, false); w != "" {
			return w
		}
	}
	return ""
}

// guardLeave asks before then runs when what is work at stake; otherwise
// it runs then at once. how ends the question: " and quit", "".
func (m *Model) guardLeave(what, how string, then func() tea.Cmd) tea.Cmd {
	if what == "" {
		return then()
	}
	m.leave = &leaveAsk{title: "Discard " + what + how + "?", then: then}
	return nil
}

// onLeaveKey answers the question: y does what the key would have done, n
// or esc keeps the work; other keys wait.
func (m *Model) onLeaveKey(msg tea.KeyMsg) tea.Cmd {
	k := m.base.Keys
	switch {
	case key.Matches(msg, k.Confirm):
		then := m.leave.then
		m.leave = nil
		return then()
	case key.Matches(msg, k.Cancel):
		m.leave = nil
		return common.Status(common.StatusInfo, "Kept: carry on where you were.")
	}
	return nil
}

func (m *Model) leaveView() string {
	c := components.Confirm{Title: m.leave.title, Lines: []string{"  What was typed is not posted and will be lost."},
		Yes: "discard", No: "keep it"}
	return components.Center(m.base.Styles, m.width, m.contentHeight(), c.View(m.base.Styles, m.width))
}

func (m *Model) leaveKeys() []key.Binding {
	k := m.base.Keys
	return []key.Binding{keymap.Relabel(k.Confirm, "y", "discard"), keymap.Relabel(k.Cancel, "n/esc", "keep it")}
}
