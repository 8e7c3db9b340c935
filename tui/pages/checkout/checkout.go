// Package checkout is the Checkout tab: pick a client or walk-in, add line
// items or a prepaid booking, take what the deposit covers, pay the rest by
// one register or split, confirm exactly what posts, print a receipt.
package checkout

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/google/uuid"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

type step int

const (
	stepClient step = iota
	stepItems
	stepPay
	stepReceipt
)

// Model is the Checkout tab.
type Model struct {
	c    common.Common
	step step
	key  string // idempotency key of this checkout, made when it opens

	// client step
	filter    *components.Input
	filtering bool
	seq       int
	results   []finance.ClientSummary
	list      *components.Table

	client    *finance.ClientSummary // nil = walk-in
	available int64
	bookings  []finance.Booking
	booking   int // index into bookings, -1 = none

	// items step
	lines    []finance.LineItem
	lineForm *components.Form
	lineTbl  *components.Table

	// pay step
	regs       []finance.Register
	payForm    *components.Form
	tendersSet bool // the person typed into a register field: stop auto-filling
	// tenderField is the pay form's "Cash tendered" field (-1: no cash
	// register): what the client handed over, so the screen says the change.
	tenderField int
	change      int64 // the change due of the checkout under review

	pend    components.Pending
	req     finance.CheckoutRequest
	receipt finance.Operation
}

type (
	searchMsg struct {
		seq  int
		rows []finance.ClientSummary
		err  error
	}
	clientMsg struct {
		view     finance.ClientView
		bookings []finance.Booking
		err      error
	}
	doneMsg struct {
		op  finance.Operation
		err error
	}
)

// New builds the Checkout tab, ready for a new sale.
func New(c common.Common) *Model {
	m := &Model{c: c}
	m.filter = components.NewInput(c.Styles, "client name or phone")
	m.list = components.NewTable(c.Styles,
		components.Column{Title: "Client", Flex: true, Width: 16},
		components.Column{Title: "Phone", Width: 16},
		components.Column{Title: "Balance", Width: 13, Right: true})
	m.lineTbl = components.NewTable(c.Styles,
		components.Column{Title: "Item", Flex: true, Width: 16},
		components.Column{Title: "Price", Width: 12, Right: true},
		components.Column{Title: "Qty", Width: 4, Right: true},
		components.Column{Title: "Amount", Width: 12, Right: true})
	m.lineTbl.NoCursor = true
	m.reset()
	return m
}

// reset starts a new checkout with a new idempotency key.
func (m *Model) reset() {
	m.step = stepClient
	m.key = uuid.NewString()
	m.client, m.available, m.bookings, m.booking = nil, 0, nil, -1
	m.lines = nil
	m.lineTbl.SetRows(nil)
	m.payForm, m.tendersSet = nil, false
	m.pend.Clear()
	m.receipt = finance.Operation{}
	m.filter.SetValue("")
	m.filtering = true
	m.filter.Focus()
	m.newLineForm()
}

func (m *Model) newLineForm() {
	s := m.c.Styles
	desc := components.TextField(s, "Item", "service or product", nil)
	price := components.TextField(s, "Price", "0.00", func(v string) error {
		if v == "" {
			return nil
		}
		_, err := m.c.Money.Parse(v)
		return err
	})
	qty := components.TextField(s, "Qty", "1", func(v string) error {
		if v == "" {
			return nil
		}
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 999 {
			return fmt.Errorf("a whole number from 1 to 999")
		}
		return nil
	})
	qty.Input.CharLimit = 3
	m.lineForm = components.NewForm(s, m.c.Keys, desc, price, qty)
	m.lineForm.Width = min(m.c.Width-4, 60)
}

// Init lists clients for the picker.
func (m *Model) Init() tea.Cmd { return m.search() }

func (m *Model) SetSize(w, h int) {
	m.c.Width, m.c.Height = w, h
	m.filter.Width = max(10, min(40, w-20))
	m.list.Width = w
	m.list.Height = max(3, h-5)
	m.lineTbl.Width = min(w, 90)
	m.lineTbl.Height = max(2, h-14)
	if m.lineForm != nil {
		m.lineForm.Width = min(w-4, 60)
	}
	if m.payForm != nil {
		m.payForm.Width = min(w-4, 60)
	}
}

func (m *Model) Capturing() bool {
	return m.pend.Active() || m.step == stepItems || m.step == stepPay || (m.step == stepClient && m.filtering)
}

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	enter := k.EnterFor
	switch {
	case m.pend.Active():
		return m.pend.Keys(k)
	case m.step == stepClient:
		return []key.Binding{k.Up, k.Down, enter("pick"), k.WalkIn, k.Back}
	case m.step == stepItems:
		b := []key.Binding{k.NextFld, enter("add line / pay"), k.DeleteLine}
		if len(m.bookings) > 0 {
			b = append(b, k.PickBooking)
		}
		return append(b, k.Back)
	case m.step == stepPay:
		return []key.Binding{k.NextFld, k.PrevFld, enter("review"), k.Back}
	}
	return []key.Binding{enter("new checkout")}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.Enter, k.WalkIn}, {k.NextFld, k.PrevFld, k.DeleteLine, k.PickBooking}, {k.Confirm, k.Cancel, k.Back}}
}

func (m *Model) search() tea.Cmd {
	m.seq++
	seq, q, b, c := m.seq, m.filter.Value(), m.c.Backend, m.c
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		rows, err := b.SearchClients(ctx, q, 100)
		return searchMsg{seq: seq, rows: rows, err: err}
	}
}

// pick loads the chosen client's available balance and prepaid bookings.
func (m *Model) pick(cl finance.ClientSummary) tea.Cmd {
	m.client = &cl
	m.step = stepItems
	m.filtering = false
	m.filter.Blur()
	b, c := m.c.Backend, m.c
	id := cl.ID
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		v, err := b.ClientView(ctx, id, finance.Page{Limit: 1})
		if err != nil {
			return clientMsg{err: err}
		}
		bks, err := b.Bookings(ctx, finance.BookingFilter{ClientID: id, Status: finance.BookingPrepaid, Limit: 20})
		if err != nil {
			bks = nil // bookings are optional here; the sale still works without them
		}
		return clientMsg{view: v, bookings: bks}
	}
}

func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.OpenCheckoutMsg:
		m.reset()
		if msg.Client == nil {
			m.walkIn()
			return m.search()
		}
		return tea.Batch(m.search(), m.pick(*msg.Client))
	case common.ActivatedMsg, common.ChangedMsg:
		if m.step == stepClient {
			return m.search()
		}
		return nil
	case searchMsg:
		if msg.seq != m.seq || msg.err != nil {
			if msg.err != nil {
				return common.Failed(msg.err)
			}
			return nil
		}
		m.results = msg.rows
		rows := []components.Row{{Cells: []string{"Walk-in (no client)", "", ""}}}
		for _, r := range msg.rows {
			rows = append(rows, components.Row{Cells: []string{r.Name, r.Phone, m.c.Money.Format(r.Balance)}})
		}
		m.list.SetRows(rows)
		return nil
	case clientMsg:
		if msg.err != nil {
			m.step = stepClient
			m.client = nil
			return common.Failed(msg.err)
		}
		cl := msg.view.ClientSummary
		m.client = &cl
		m.available = msg.view.Available
		m.bookings = msg.bookings
		return nil
	case components.PreviewMsg:
		cmd, _ := m.pend.HandlePreview(msg)
		return cmd
	case doneMsg:
		m.pend.Done()
		if msg.err != nil {
			// Same key stays: a retry after fixing the amounts cannot post twice.
			return common.Status(common.StatusError, "Checkout refused: %s", common.ErrText(msg.err))
		}
		m.receipt = msg.op
		m.step = stepReceipt
		offer := common.OfferReceipt(msg.op.ID, 0, 0)
		if m.change > 0 {
			offer = common.OfferReceipt(msg.op.ID, cashTaken(m.req.Payments, m.regs)+m.change, m.change)
			return tea.Batch(common.Status(common.StatusOK, "Checkout of %s posted as operation #%d. Change due %s.%s", m.c.Money.Format(m.req.Total),
				msg.op.ID, m.c.Money.Format(m.change), common.DatedNote(msg.op)), offer)
		}
		return tea.Batch(common.Status(common.StatusOK, "Checkout of %s posted as operation #%d.%s", m.c.Money.Format(m.req.Total), msg.op.ID, common.DatedNote(msg.op)), offer)
	case tea.KeyMsg:
		if cmd, ok := m.pend.HandleKey(msg, m.c.Keys); ok {
			return cmd
		}
		switch m.step {
		case stepClient:
			return m.updateClient(msg)
		case stepItems:
			return m.updateItems(msg)
		case stepPay:
			return m.updatePay(msg)
		case stepReceipt:
			if key.Matches(msg, m.c.Keys.Enter, m.c.Keys.Back) {
				m.reset()
				return m.search()
			}
		}
	}
	return nil
}

func (m *Model) walkIn() {
	m.client = nil
	m.available = 0
	m.bookings = nil
	m.step = stepItems
	m.filtering = false
	m.filter.Blur()
}

func (m *Model) updateClient(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.WalkIn):
		m.walkIn()
		return nil
	case key.Matches(msg, k.Back):
		if m.filtering {
			m.filtering = false
			m.filter.Blur()
		}
		return nil
	case key.Matches(msg, k.Filter):
		if !m.filtering {
			m.filtering = true
			m.filter.Focus()
			if m.filter.Value() != "" {
				m.filter.SetValue("") // a fresh search
				m.list.Top()
				return m.search()
			}
			return nil
		}
	case key.Matches(msg, k.ListUp) || (!m.filtering && key.Matches(msg, k.Up)):
		m.list.Move(-1)
		return nil
	case key.Matches(msg, k.ListDown) || (!m.filtering && key.Matches(msg, k.Down)):
		m.list.Move(1)
		return nil
	case key.Matches(msg, k.Enter):
		if m.list.Cursor == 0 {
			m.walkIn()
			return nil
		}
		if i := m.list.Cursor - 1; i < len(m.results) {
			return m.pick(m.results[i])
		}
		return nil
	}
	if !m.filtering {
		return nil
	}
	before := m.filter.Value()
	m.filter.Update(msg)
	if m.filter.Value() != before {
		m.list.Top()
		if m.filter.Value() != "" {
			m.list.Move(1) // the first match, not walk-in
		}
		return m.search()
	}
	return nil
}

func (m *Model) updateItems(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Back):
		m.step = stepClient
		m.filtering = true
		m.filter.Focus()
		return nil
	case key.Matches(msg, k.DeleteLine):
		if len(m.lines) > 0 {
			m.lines = m.lines[:len(m.lines)-1]
			m.syncLines()
		}
		return nil
	case key.Matches(msg, k.PickBooking):
		if len(m.bookings) > 0 {
			m.booking++
			if m.booking >= len(m.bookings) {
				m.booking = -1
			}
		}
		return nil
	case key.Matches(msg, k.Enter):
		f := m.lineForm.Fields
		if f[0].Value() == "" && f[1].Value() == "" {
			if len(m.lines) == 0 && m.booking < 0 {
				return common.Status(common.StatusError, "add an item (name, price) or pick a booking first")
			}
			if why := m.totalErr(m.allLines()); why != "" {
				return common.Status(common.StatusError, "%s", why) // a booking picked over large lines
			}
			return m.toPay()
		}
		if !m.lineForm.OnLast() && (f[0].Value() == "" || f[1].Value() == "") {
			m.lineForm.FocusField(m.lineForm.Focus + 1)
			return nil
		}
		return m.addLine()
	}
	return m.lineForm.Update(msg)
}

func (m *Model) addLine() tea.Cmd {
	f := m.lineForm.Fields
	if f[0].Value() == "" {
		m.lineForm.SetError(0, "name the item")
		return nil
	}
	price, err := m.c.Money.Parse(f[1].Value())
	if err != nil {
		m.lineForm.SetError(1, common.ErrText(err))
		return nil
	}
	qty := int64(1)
	if v := f[2].Value(); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			m.lineForm.SetError(2, "a whole number from 1 to 999")
			return nil
		}
		qty = int64(n)
	}
	l := finance.LineItem{Description: f[0].Value(), UnitPrice: price, Quantity: qty}
	if why := m.totalErr(append(m.allLines(), l)); why != "" {
		m.lineForm.SetError(1, why)
		return nil
	}
	m.lines = append(m.lines, l)
	m.syncLines()
	m.newLineForm()
	return nil
}

func (m *Model) syncLines() {
	rows := make([]components.Row, len(m.lines))
	for i, l := range m.lines {
		rows[i] = components.Row{Cells: []string{l.Description, m.c.Money.Format(l.UnitPrice), strconv.FormatInt(l.Quantity, 10),
			m.c.Money.Format(l.UnitPrice * l.Quantity)}} // addLine let in only lines whose product holds
	}
	m.lineTbl.SetRows(rows)
	m.lineTbl.Bottom()
}

// allLines is the sale: the booking's service (if one is served) and the items.
func (m *Model) allLines() []finance.LineItem {
	var out []finance.LineItem
	if b := m.selectedBooking(); b != nil {
		out = append(out, finance.LineItem{Description: "Booking: " + b.Service, UnitPrice: b.Total, Quantity: 1})
	}
	return append(out, m.lines...)
}

func (m *Model) selectedBooking() *finance.Booking {
	if m.booking < 0 || m.booking >= len(m.bookings) {
		return nil
	}
	return &m.bookings[m.booking]
}

// total is the sale's total, 0 when the lines overflow (addLine and toPay
// refuse that with totalErr's words, so a wrapped figure never shows).
func (m *Model) total() int64 {
	t, err := finance.LinesTotal(m.allLines())
	if err != nil {
		return 0
	}
	return t
}

// totalErr says why the lines cannot be a sale: their total overflows.
func (m *Model) totalErr(lines []finance.LineItem) string {
	if _, err := finance.LinesTotal(lines); err != nil {
		return "too large: " + common.ErrText(err)
	}
	return ""
}

// splitIn is the sale as the books split it, before the pay form's amounts.
func (m *Model) splitIn() finance.SplitInput {
	in := finance.SplitInput{Total: m.total(), Client: m.client != nil, Available: m.available, Rest: -1, Cash: -1}
	if b := m.selectedBooking(); b != nil {
		in.PrepaidLeft = b.Paid - b.Refunded
	}
	return in
}

// figures is the split before any amount is typed: the prepayment and what
// it leaves due (errors cannot arise without amounts).
func (m *Model) figures() finance.Split {
	sp, _ := finance.SplitFigures(m.splitIn())
	return sp
}

func (m *Model) prepaid() int64 { return m.figures().Prepaid }

func (m *Model) due() int64 { return m.figures().Due }

func (m *Model) toPay() tea.Cmd {
	m.regs = nil
	for _, r := range m.c.Registers() {
		if r.Kind == finance.RegisterCash || r.Kind == finance.RegisterCard {
			m.regs = append(m.regs, r)
		}
	}
	s := m.c.Styles
	fields := []*components.Field{}
	from := components.TextField(s, "From balance", "0.00", func(v string) error {
		if v == "" {
			return nil
		}
		_, err := m.c.Money.ParseAllowZero(v)
		return err
	})
	def := m.figures().FromBalance // the books' default: as much of the deposit as covers what is due
	if m.client != nil {
		from.Hint = "available " + m.c.Money.Format(m.available)
	} else {
		from.Hint = "walk-in: no deposit"
	}
	from.Input.Preselect(m.c.Money.Plain(def))
	fields = append(fields, from)
	for _, r := range m.regs {
		f := components.TextField(s, r.Name, "0.00", func(v string) error {
			if v == "" {
				return nil
			}
			_, err := m.c.Money.ParseAllowZero(v)
			return err
		})
		fields = append(fields, f)
	}
	m.tenderField = -1
	for _, r := range m.regs {
		if r.Kind == finance.RegisterCash {
			t := components.TextField(s, "Cash tendered", "what the client hands over", func(v string) error {
				if v == "" {
					return nil
				}
				_, err := m.c.Money.ParseAllowZero(v)
				return err
			})
			t.Hint = "optional: the change due is shown; only the sale posts"
			m.tenderField = len(fields)
			fields = append(fields, t)
			break
		}
	}
	fields = append(fields, components.TextField(s, "Note", "optional", nil))
	m.payForm = components.NewForm(s, m.c.Keys, fields...)
	m.payForm.Width = min(m.c.Width-4, 60)
	m.tendersSet = false
	m.autoTender()
	m.step = stepPay
	return nil
}

// amountOf reads a pay field; empty counts as zero.
func (m *Model) amountOf(i int) (int64, error) {
	v := m.payForm.Fields[i].Value()
	if v == "" {
		return 0, nil
	}
	return m.c.Money.ParseAllowZero(v)
}

// payIn reads the pay form into the books' split: the deposit's amount,
// the registers' and the cash handed over. A field that does not read is
// a fieldErr.
func (m *Model) payIn() (finance.SplitInput, error) {
	in := m.splitIn()
	from, err := m.amountOf(0)
	if err != nil {
		return in, fieldErr{0, common.ErrText(err)}
	}
	in.FromBalance = &from
	in.Tenders = make([]int64, len(m.regs))
	for i, r := range m.regs {
		if in.Tenders[i], err = m.amountOf(1 + i); err != nil {
			return in, fieldErr{1 + i, common.ErrText(err)}
		}
		if r.Kind == finance.RegisterCash && in.Cash < 0 {
			in.Cash = i
		}
	}
	if m.tenderField >= 0 && in.Cash >= 0 {
		if in.Handed, err = m.amountOf(m.tenderField); err != nil {
			return in, fieldErr{m.tenderField, common.ErrText(err)}
		}
	}
	return in, nil
}

// splitErr puts a split the books refuse on the pay field it is about.
func (m *Model) splitErr(err error) fieldErr {
	var se *finance.SplitError
	if !errors.As(err, &se) {
		return fieldErr{0, common.ErrText(err)}
	}
	switch se.Reason {
	case finance.SplitWalkIn:
		return fieldErr{0, "a walk-in has no deposit to take from"}
	case finance.SplitFromOverFunds:
		return fieldErr{0, "only " + m.c.Money.Format(m.available) + " is available"}
	case finance.SplitFromOverDue:
		return fieldErr{0, "more than the " + m.c.Money.Format(se.Limit) + " due"}
	case finance.SplitTooLarge:
		return fieldErr{1 + se.Tender, "too large"}
	case finance.SplitTenderNegative:
		return fieldErr{1 + se.Tender, common.ErrText(err)}
	case finance.SplitHandedShort:
		return fieldErr{m.tenderField, "less than the " + m.c.Money.Format(se.Limit) + " in cash"}
	}
	return fieldErr{0, common.ErrText(err)}
}

// autoTender puts the rest on the first register until the person types
// into a register field themselves.
func (m *Model) autoTender() {
	if m.tendersSet || len(m.regs) == 0 {
		return
	}
	from, err := m.amountOf(0)
	if err != nil {
		return
	}
	in := m.splitIn()
	in.FromBalance, in.Tenders, in.Rest = &from, make([]int64, len(m.regs)), 0
	sp, err := finance.SplitFigures(in)
	if err != nil {
		return
	}
	for i := range m.regs {
		v := ""
		if i == 0 {
			v = m.c.Money.Plain(sp.Tenders[0])
		}
		m.payForm.Fields[1+i].Input.SetValue(v)
	}
}

func (m *Model) updatePay(msg tea.KeyMsg) tea.Cmd {
	switch k := m.c.Keys; {
	case key.Matches(msg, k.Back):
		m.step = stepItems
		m.payForm = nil
		return nil
	case key.Matches(msg, k.Enter):
		if !m.payForm.OnLast() {
			m.payForm.FocusField(m.payForm.Focus + 1)
			return nil
		}
		return m.review()
	}
	focus := m.payForm.Focus
	before := m.payForm.Focused().Value()
	cmd := m.payForm.Update(msg)
	if m.payForm.Fields[focus].Value() != before {
		if focus >= 1 && focus <= len(m.regs) {
			m.tendersSet = true
		}
		m.autoTender()
	}
	return cmd
}

// checkedSplit is the pay form's split as the books check it, or the
// fieldErr to show.
func (m *Model) checkedSplit() (finance.Split, error) {
	in, err := m.payIn()
	if err != nil {
		return finance.Split{}, err
	}
	sp, err := finance.SplitCheckout(in)
	if err != nil {
		return finance.Split{}, m.splitErr(err)
	}
	if sp.Short != 0 {
		word, diff := "still to pay", sp.Short
		if diff < 0 {
			word, diff = "too much", -diff
		}
		return finance.Split{}, fieldErr{1, fmt.Sprintf("registers must add up to %s (%s %s)", m.c.Money.Format(sp.Left), m.c.Money.Format(diff), word)}
	}
	return sp, nil
}

// review checks the amounts and shows exactly what will post.
func (m *Model) review() tea.Cmd {
	if !m.payForm.Validate() {
		return nil
	}
	total := m.total()
	sp, err := m.checkedSplit()
	if err != nil {
		var fe fieldErr
		if errors.As(err, &fe) {
			m.payForm.SetError(fe.field, fe.why)
		}
		return nil
	}
	amounts, change, from := sp.Tenders, sp.Change, sp.FromBalance
	var tenders []finance.Tender
	for i, r := range m.regs {
		if amounts[i] > 0 {
			tenders = append(tenders, finance.Tender{Register: r.ID, Amount: amounts[i]})
		}
	}
	m.change = change
	fb := from
	m.req = finance.CheckoutRequest{Key: m.key, Lines: m.allLines(), Total: total, FromBalance: &fb, Payments: tenders,
		Note: m.payForm.Fields[len(m.payForm.Fields)-1].Value()}
	names := map[finance.AccountID]string{}
	who := "walk-in"
	if m.client != nil {
		m.req.ClientID = m.client.ID
		names[finance.ClientAccount(m.client.ID)] = m.client.Name
		who = m.client.Name
	}
	if b := m.selectedBooking(); b != nil {
		m.req.BookingID = b.ID
	}
	lines := []string{}
	for _, l := range m.req.Lines {
		lines = append(lines, fmt.Sprintf("  %s  %s", components.Pad(fmt.Sprintf("%s × %d", l.Description, l.Quantity), 30, false),
			components.Pad(m.c.Money.Format(l.UnitPrice*l.Quantity), 12, true)))
	}
	if change > 0 {
		lines = append(lines, "", fmt.Sprintf("  Cash tendered %s · change due %s", m.c.Money.Format(cashTaken(tenders, m.regs)+change),
			m.c.Money.Format(change)))
	}
	if m.req.Note != "" {
		// The note is stored with the operation for good: it is confirmed too.
		lines = append(lines, "", "  Note: "+m.req.Note)
	}
	return m.pend.Preview(m.c, m.req, func(pv finance.Preview) components.Confirm {
		// What posts is the service's preview: the prepayment applied first
		// and whatever exceeds the total to the client's deposit included.
		return components.Reviewed(m.c, fmt.Sprintf("Check out %s for %s?", who, m.c.Money.Format(total)), "post the checkout", pv, names, lines...)
	}, m.post, func(err error) tea.Cmd {
		return common.Status(common.StatusError, "Checkout refused: %s", common.ErrText(err))
	})
}

// post runs on yes; the Pending is busy from then until doneMsg.
func (m *Model) post() tea.Cmd {
	b, c, a, req := m.c.Backend, m.c, m.c.Actor, m.req
	return tea.Batch(common.Busy("posting the checkout…"), func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		op, err := b.Checkout(ctx, a, req)
		return doneMsg{op: op, err: err}
	})
}

// ---- view

func (m *Model) View() string {
	s := m.c.Styles
	if m.pend.Active() {
		return m.pend.View(s, m.c.Width, m.c.Height)
	}
	var b strings.Builder
	switch m.step {
	case stepClient:
		b.WriteString(s.Title.Render("Checkout · who is paying?") + "\n\n")
		label := s.Label.Render("Client ")
		if m.filtering {
			label = s.Form.FocusedLabel.Render("Client ")
		}
		b.WriteString(label + m.filter.View() + "\n\n")
		b.WriteString(m.list.View())
	case stepItems:
		b.WriteString(m.clientLine() + "\n")
		b.WriteString(m.bookingLine())
		b.WriteString("\n" + m.lineTbl.View() + "\n\n")
		b.WriteString(m.lineForm.View() + "\n\n")
		b.WriteString(s.Strong.Render("Total "+m.c.Money.Format(m.total())) + "   " +
			s.Muted.Render("enter on an empty line: to payment"))
	case stepPay:
		b.WriteString(m.clientLine() + "\n\n")
		b.WriteString(s.Label.Render("Total     ") + s.Strong.Render(m.c.Money.Format(m.total())) + "\n")
		if p := m.prepaid(); p > 0 {
			b.WriteString(s.Label.Render("Prepaid   ") + m.c.Money.Format(p) + "\n")
		}
		b.WriteString(s.Label.Render("Due       ") + m.c.Money.Format(m.due()) + "\n\n")
		b.WriteString(m.payForm.View() + "\n\n")
		b.WriteString(m.payStatus())
	case stepReceipt:
		names := map[finance.AccountID]string{}
		if m.client != nil {
			names[finance.ClientAccount(m.client.ID)] = "Deposit of " + m.client.Name
		}
		b.WriteString(s.Title.Render("Receipt") + "\n\n")
		b.WriteString(components.OperationView(m.c, m.receipt, names))
		b.WriteString("\n\n" + s.Muted.Render("p: the receipt to save or print · enter: next checkout"))
	}
	return b.String()
}

func (m *Model) clientLine() string {
	s := m.c.Styles
	if m.client == nil {
		return s.Title.Render("Checkout · walk-in")
	}
	return s.Title.Render("Checkout · "+m.client.Name) + s.Muted.Render("  balance "+m.c.Money.Format(m.client.Balance)+
		" · available "+m.c.Money.Format(m.available))
}

func (m *Model) bookingLine() string {
	s := m.c.Styles
	if len(m.bookings) == 0 {
		return ""
	}
	b := m.selectedBooking()
	if b == nil {
		return s.Muted.Render(common.Count(len(m.bookings), "prepaid booking", "prepaid bookings")+" · ctrl+b to serve one") + "\n"
	}
	when := b.StartsAt
	if m.c.Loc != nil {
		when = when.In(m.c.Loc)
	}
	return s.Strong.Render("Booking ") + fmt.Sprintf("%s · %s · %s, prepaid %s", b.ID, b.Service, when.Format("02 Jan 15:04"),
		m.c.Money.Format(b.Paid-b.Refunded)) + s.Muted.Render(" · ctrl+b next") + "\n"
}

func (m *Model) payStatus() string {
	s := m.c.Styles
	in, err := m.payIn()
	if err != nil {
		return ""
	}
	sp, err := finance.SplitFigures(in)
	if err != nil {
		return ""
	}
	change, rest := sp.Change, sp.Short
	switch {
	case rest == 0 && change > 0:
		return s.Positive.Render("Covered. Change due " + m.c.Money.Format(change) + ". enter on the last field to review.")
	case rest == 0:
		return s.Positive.Render("Covered. enter on the last field to review.")
	case rest > 0:
		return s.Status.Busy.Render(m.c.Money.Format(rest) + " still to allocate")
	}
	return s.Negative.Render(m.c.Money.Format(-rest) + " too much")
}

// cashTaken is what the cash register takes of a checkout's tenders.
func cashTaken(ts []finance.Tender, regs []finance.Register) int64 {
	for _, t := range ts {
		for _, r := range regs {
			if r.ID == t.Register && r.Kind == finance.RegisterCash {
				return t.Amount
			}
		}
	}
	return 0
}

// fieldErr is a pay field's amount that cannot be settled, and why.
type fieldErr struct {
	field int
	why   string
}

func (e fieldErr) Error() string { return e.why }
