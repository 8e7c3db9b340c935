package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/receipt"
	"github.com/paydesk/paydesk/tui/common"
)

// The receipt view: after a post that a client takes a receipt for, the
// screen that posted offers `p` (common.ReceiptOfferMsg); the root opens
// the receipt over it, built from the books, with save and print. It is the
// root's and not a tab's, so every screen that posts shares one.

type receiptView struct {
	offer common.ReceiptOfferMsg
	r     receipt.Receipt
	lines []string
	err   error
	busy  bool
	top   int // first line shown
}

type (
	receiptBuiltMsg struct {
		op  finance.OperationID
		r   receipt.Receipt
		err error
	}
	receiptDoneMsg struct {
		text string
		err  error
	}
)

// openReceipt shows the offered receipt and builds it in a command.
func (m *Model) openReceipt() tea.Cmd {
	o := *m.offer
	m.rview = &receiptView{offer: o, busy: true}
	b, c, opts := m.base.Backend, m.c, m.deps.Receipt.Options()
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		r, err := receipt.Build(ctx, b, o.Op, opts)
		return receiptBuiltMsg{op: o.Op, r: r.WithCash(o.Tendered, o.Change), err: err}
	}
}

func (m *Model) receiptBuilt(msg receiptBuiltMsg) tea.Cmd {
	v := m.rview
	if v == nil || v.offer.Op != msg.op {
		return nil // closed, or another one opened meanwhile
	}
	v.busy, v.err, v.r = false, msg.err, msg.r
	if msg.err != nil {
		return common.Status(common.StatusError, "Receipt #%d: %s", msg.op, common.ErrText(msg.err))
	}
	text, err := receipt.Text(msg.r, m.deps.Receipt.Columns())
	if err != nil {
		v.err = err
		return common.Status(common.StatusError, "Receipt #%d: %s", msg.op, common.ErrText(err))
	}
	v.lines = strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	return nil
}

// receiptKey handles a key while the receipt is shown.
func (m *Model) receiptKey(msg tea.KeyMsg) tea.Cmd {
	k := m.base.Keys
	v := m.rview
	switch {
	case key.Matches(msg, k.Back, k.Quit):
		m.rview = nil
		return nil
	case key.Matches(msg, k.Up):
		v.top = max(0, v.top-1)
	case key.Matches(msg, k.Down):
		v.top = min(v.top+1, max(0, len(v.lines)-m.receiptRoom()))
	case v.busy || v.err != nil:
	case key.Matches(msg, k.SaveReceipt):
		return m.receiptWork("saving the receipt…", func() (string, error) {
			s, err := receipt.Save(m.deps.Receipt.Dir, v.r, m.deps.Receipt.Columns())
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Receipt #%d saved: %s and %s.", v.r.Op, s.Text, s.PDF), nil
		})
	case key.Matches(msg, k.PrintReceipt):
		if !m.deps.Receipt.CanPrint() {
			return common.Status(common.StatusError, "No receipt printer is set up: [receipt] device or queue in the config file.")
		}
		cfg, r := m.deps.Receipt, v.r
		return m.receiptWork("printing the receipt…", func() (string, error) {
			ctx, cancel := m.c.Call()
			defer cancel()
			if err := receipt.Print(ctx, cfg, r); err != nil {
				return "", err
			}
			return fmt.Sprintf("Receipt #%d sent to the printer.", r.Op), nil
		})
	}
	return nil
}

func (m *Model) receiptWork(busy string, fn func() (string, error)) tea.Cmd {
	m.rview.busy = true
	return tea.Batch(common.Busy(busy), func() tea.Msg {
		text, err := fn()
		return receiptDoneMsg{text: text, err: err}
	})
}

func (m *Model) receiptDone(msg receiptDoneMsg) tea.Cmd {
	if m.rview != nil {
		m.rview.busy = false
	}
	if msg.err != nil {
		return common.Status(common.StatusError, "%s", common.ErrText(msg.err))
	}
	return common.Status(common.StatusOK, "%s", msg.text)
}

// receiptRoom is how many receipt lines fit under the view's title.
func (m *Model) receiptRoom() int { return max(1, m.contentHeight()-2) }

func (m *Model) receiptViewText() string {
	s := m.base.Styles
	v := m.rview
	title := s.Title.Render(fmt.Sprintf("Receipt · operation #%d", v.offer.Op))
	switch {
	case v.err != nil:
		return title + "\n\n" + s.Status.Error.Render(common.ErrText(v.err))
	case v.lines == nil:
		return title + "\n\n" + s.Muted.Render("Reading the books…")
	}
	room := m.receiptRoom()
	top := min(v.top, max(0, len(v.lines)-room))
	shown := v.lines[top:min(len(v.lines), top+room)]
	more := ""
	if top+room < len(v.lines) {
		more = s.Muted.Render(fmt.Sprintf("  ↓ %d more", len(v.lines)-top-room))
	}
	var b strings.Builder
	b.WriteString(title + more + "\n\n")
	b.WriteString(strings.Join(shown, "\n"))
	return b.String()
}

func (m *Model) receiptKeys() []key.Binding {
	k := m.base.Keys
	b := []key.Binding{k.Up, k.Down, k.SaveReceipt}
	if m.deps.Receipt.CanPrint() {
		b = append(b, k.PrintReceipt)
	}
	return append(b, k.Back)
}

// offersReceipt says whether `p` opens the last receipt now: on the screen
// that posted it, with no field or question taking the keys.
func (m *Model) offersReceipt(page common.Component) bool {
	return m.offer != nil && m.rview == nil && m.active == m.offerTab && !page.Capturing()
}
