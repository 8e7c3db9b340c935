package components

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/keymap"
	"github.com/paydesk/paydesk/tui/styles"
)

// Pending is the one way a screen asks before money (or anything it cannot
// take back) moves: a question waiting for y/n, then a busy wait while the
// call runs, during which keys are ignored so nothing is sent twice. The zero
// value asks nothing and is not busy.
type Pending struct {
	confirm *Confirm
	run     func() tea.Cmd
	busy    bool
	preview *previewWait // a preview asked for and not yet answered
}

// Ask opens the question; run is called only when the person says yes.
func (p *Pending) Ask(c Confirm, run func() tea.Cmd) {
	p.confirm, p.run = &c, run
}

// Active is true while a question waits for its answer.
func (p *Pending) Active() bool { return p.confirm != nil }

// Busy is true from yes (or Start) until Done.
func (p *Pending) Busy() bool { return p.busy }

// Start marks a call that needed no question (a direct save, an export) as
// running, so keys wait for it the same way.
func (p *Pending) Start() { p.busy = true }

// Clear drops the question unanswered; a running call stays running.
func (p *Pending) Clear() { p.confirm, p.run = nil, nil }

// Done is the answer to the call having come back: not busy, no question.
func (p *Pending) Done() {
	p.busy, p.preview = false, nil
	p.Clear()
}

// HandleKey takes a key while busy (ignored) or while a question is open
// (y runs it, n/esc drops it, anything else is ignored). handled is false
// when the key is the screen's own.
func (p *Pending) HandleKey(msg tea.KeyMsg, k *keymap.KeyMap) (cmd tea.Cmd, handled bool) {
	if p.busy {
		return nil, true
	}
	if p.confirm == nil {
		return nil, false
	}
	switch {
	case key.Matches(msg, k.Confirm):
		if p.confirm.Twice != "" && !p.confirm.Asked {
			// An unusual amount: the first yes only shows why it is asked again.
			p.confirm.Asked = true
			return nil, true
		}
		p.busy = true
		return p.run(), true
	case key.Matches(msg, k.Cancel):
		p.Clear()
	case key.Matches(msg, k.Postings):
		p.confirm.ShowPostings = !p.confirm.ShowPostings
	}
	return nil, true
}

// Keys are the footer's keys while a question is open: p only when the
// question has postings to show.
func (p *Pending) Keys(k *keymap.KeyMap) []key.Binding {
	if p.confirm != nil && len(p.confirm.Postings) > 0 {
		return []key.Binding{k.Confirm, k.Cancel, k.Postings}
	}
	return []key.Binding{k.Confirm, k.Cancel}
}

// View renders the open question centred in a w×h area ("" if none).
func (p *Pending) View(s *styles.Styles, w, h int) string {
	if p.confirm == nil {
		return ""
	}
	return Center(s, w, h, p.confirm.View(s, w))
}

// previewWait is what a Pending does with the answer to its preview.
type previewWait struct {
	confirm func(finance.Preview) Confirm
	run     func() tea.Cmd
	refused func(error) tea.Cmd
}

// PreviewMsg is the backend's answer to a Pending's preview. Every screen
// sees it (the root hands results to all); only the Pending that asked
// takes it.
type PreviewMsg struct {
	from    *Pending
	Preview finance.Preview
	Err     error
}

// Preview is Ask for a money movement: the question shows what the
// service's Preview of req says will post, never postings the screen works
// out itself. Keys wait while the preview runs; then confirm builds the
// question from the preview, and run is called on yes. If the service
// refuses req, refused says why (the form stays open, its key kept) and no
// question is asked.
func (p *Pending) Preview(c common.Common, req finance.Request, confirm func(finance.Preview) Confirm,
	run func() tea.Cmd, refused func(error) tea.Cmd) tea.Cmd {
	p.Clear()
	p.busy = true
	p.preview = &previewWait{confirm: confirm, run: run, refused: refused}
	b, a := c.Backend, c.Actor
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		pv, err := b.Preview(ctx, a, req)
		return PreviewMsg{from: p, Preview: pv, Err: err}
	}
}

// HandlePreview takes a preview's answer if this Pending asked for it;
// handled is false for anyone else's.
func (p *Pending) HandlePreview(msg PreviewMsg) (cmd tea.Cmd, handled bool) {
	if msg.from != p || p.preview == nil {
		return nil, false
	}
	w := p.preview
	p.preview, p.busy = nil, false
	if msg.Err != nil {
		return w.refused(msg.Err), true
	}
	p.Ask(w.confirm(msg.Preview), w.run)
	return nil, true
}
