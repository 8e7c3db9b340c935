// Package tui is paydesk's full-screen terminal app. The root model here is
// a small router: it owns the frame (header, tabs, status line, key help),
// sends window sizes to every screen and keys to the visible one, and runs
// every backend call as a tea.Cmd. One model is built per terminal (the
// local one, or each SSH session), each with its own renderer.
package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/receipt"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
	"github.com/paydesk/paydesk/tui/keymap"
	"github.com/paydesk/paydesk/tui/pages/audit"
	"github.com/paydesk/paydesk/tui/pages/bookings"
	"github.com/paydesk/paydesk/tui/pages/checkout"
	"github.com/paydesk/paydesk/tui/pages/clients"
	"github.com/paydesk/paydesk/tui/pages/ledger"
	"github.com/paydesk/paydesk/tui/pages/login"
	"github.com/paydesk/paydesk/tui/pages/setup"
	"github.com/paydesk/paydesk/tui/pages/staff"
	"github.com/paydesk/paydesk/tui/pages/syncview"
	"github.com/paydesk/paydesk/tui/styles"
)

// Refunder sends a saved card refund to the payment provider.
type Refunder interface {
	Refund(ctx context.Context, key string) error
}

// Chain and its results are what the Finance tab's chain view reads from the
// chain's central database (common.Chain, implemented by the wiring).
type (
	Chain         = common.Chain
	ChainDay      = common.ChainDay
	ChainLocation = common.ChainLocation
)

// Deps is what one TUI session needs. Only Service is required.
type Deps struct {
	Service        *finance.Service
	Renderer       *lipgloss.Renderer // per terminal; nil = the process's stdout renderer
	Now            func() time.Time   // nil = the service clock
	ExportDir      string             // where `e` writes CSV files
	IdleLock       time.Duration      // lock after this long without a key (0 = never)
	SyncConfigured bool               // payment provider keys are set
	SyncNote       string             // a standing word on the sync, e.g. what webhook-only mode leaves out
	Version        string
	Refunder       Refunder // sends card refunds; nil = only refunds to deposit
	// LastBackup is when serve's scheduled backup last succeeded (zero:
	// none yet); nil = no scheduled backup, and no badge for it.
	LastBackup func() time.Time

	// Ctx ends the session (the SSH session's context); nil = Background.
	Ctx context.Context
	// SetupDefaults seed the first-run form (from config and the machine).
	SetupDefaults finance.Settings
	// Demo, when set, is offered at first run to load demo data. notes are
	// lines shown once after setup, before the desk opens: the demo staff's
	// PINs are shown nowhere else. Notes returned with an error (staff made
	// before a later step failed) are shown too.
	Demo func(ctx context.Context) (notes []string, err error)
	// Staff is who this terminal belongs to (an SSH key's staff member),
	// preselected on the PIN screen; the PIN is still asked. With StaffOnly
	// nobody else may log in here (the key is bound to that person).
	Staff     string
	StaffOnly bool
	// HideRoles leaves staff roles off the PIN screen ([ssh] hide_roles).
	HideRoles bool
	// Detachable: leaving ends only this session, not a program whose
	// terminal is a shell (an SSH desk). Then ctrl+c on the PIN screen
	// disconnects and quitting needs no right. A local desk is never
	// detachable: its PIN screen cannot be left, and quitting to the shell
	// needs the quit right.
	Detachable bool
	// Replication, when set, is the header's chain badge: how far behind
	// the chain's central database this location is. nil = replication off.
	Replication func() (badge string, bad bool)
	// Chain reads the chain's central database for the Finance tab's chain
	// view (admins with the chain right); nil = replication not configured.
	Chain Chain
	// Receipt is [receipt]: the receipt's width, folder and printer.
	Receipt receipt.Config
}

// New builds the root model for one terminal.
func New(d Deps) tea.Model {
	var b common.Backend
	if d.Service != nil {
		b = d.Service
	}
	return newModel(d, b, false)
}

type state int

const (
	stateLoading state = iota
	stateSetup
	stateLogin
	stateMain
	stateFatal
)

// minimum size the layout is designed for.
const (
	minWidth  = 80
	minHeight = 24
)

// Model is the root model.
type Model struct {
	deps    Deps
	base    common.Common // without an actor
	c       common.Common // with the person logged in
	state   state
	fatal   string
	width   int
	height  int
	help    help.Model
	full    bool // `?` full help shown
	spinner spinner.Model

	// A screen's command is tea.Batch(common.Busy(…), work): both run at
	// once, and a quick refusal can report before the spinner arrives. keys
	// counts key presses and settled is keys when a result last reached the
	// status line; a spinner for a press that has settled already is late
	// and dropped, or it would spin over the result for good.
	keys, settled int

	status     common.StatusMsg
	setup      *setup.Model
	login      *login.Model
	tabs       []tabPage
	active     int
	sub        <-chan finance.Change
	unsub      func()
	stats      finance.InboxStats
	statsErr   error
	openDay    finance.Date // a day left open past its end, for the header
	lastInput  time.Time
	ticking    bool
	spinActive bool

	// Changes gather for refreshAfter before the screen reloads:
	// refreshDue says a reload is scheduled, changed is the latest change,
	// statsStale that the header's sync badge must reload too.
	refreshDue, statsStale bool
	changed                finance.Change

	// recon is the last reconcile against Stripe's balance (header badge).
	recon finance.ReconcileReport

	// leave is the open "Discard this top-up?" question (nil: none).
	leave *leaveAsk
	// offer is the receipt the tab offerTab offers after its last post;
	// rview is that receipt shown (receipt.go).
	offer    *common.ReceiptOfferMsg
	offerTab int
	rview    *receiptView
}

type tabPage struct {
	id   common.Tab
	name string
	page common.Component
}

type (
	settingsMsg struct {
		settings finance.Settings
		loc      *time.Location
		err      error
	}
	tickMsg   time.Time
	changeMsg struct{ change finance.Change }
	subEndMsg struct{}
	statsMsg  struct {
		stats finance.InboxStats
		recon finance.ReconcileReport
		err   error
	}
	openDayMsg struct {
		day finance.Date
		err error
	}
)

func newModel(d Deps, b common.Backend, static bool) *Model {
	if d.Ctx == nil {
		d.Ctx = context.Background()
	}
	if d.Now == nil {
		if d.Service != nil {
			d.Now = d.Service.Now
		} else {
			d.Now = time.Now
		}
	}
	st := styles.New(d.Renderer)
	var refunder common.Refunder
	if d.Refunder != nil {
		refunder = d.Refunder
	}
	base := common.Common{
		Ctx: d.Ctx, Styles: st, Keys: keymap.Default(), Backend: b, Now: d.Now, Loc: time.UTC,
		Money: common.NewMoney("USD", "en"), ExportDir: d.ExportDir, SyncConfigured: d.SyncConfigured, SyncNote: d.SyncNote, LastBackup: d.LastBackup,
		Refunder: refunder, Chain: d.Chain, Static: static,
	}
	sp := spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(st.Status.Busy))
	m := &Model{deps: d, base: base, c: base, help: components.NewHelp(st), spinner: sp,
		width: minWidth, height: minHeight, lastInput: d.Now(), settled: -1}
	if b == nil {
		m.state, m.fatal = stateFatal, "no database service"
	}
	return m
}

// Init loads the settings (or learns that setup is needed) and starts the
// clock and the change subscription.
func (m *Model) Init() tea.Cmd {
	if m.state == stateFatal {
		return nil
	}
	cmds := []tea.Cmd{m.loadSettings()}
	if !m.base.Static {
		m.sub, m.unsub = m.base.Backend.Subscribe()
		cmds = append(cmds, m.waitChange(), m.tick())
		m.ticking = true
	}
	return tea.Batch(cmds...)
}

func (m *Model) loadSettings() tea.Cmd {
	b, c := m.base.Backend, m.base
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		st, err := b.Settings(ctx)
		if err != nil {
			return settingsMsg{err: err}
		}
		loc, err := time.LoadLocation(st.TimeZone)
		if err != nil {
			loc = time.UTC // the service refuses a bad zone at setup; this is belt and braces
		}
		return settingsMsg{settings: st, loc: loc}
	}
}

// refreshAfter is how long changes gather before the screen reloads. A
// burst of webhooks commits thousands of changes a second; reloading for
// each would keep a core busy querying and rendering while the sync worker
// needs it, and the desk's keys would queue behind the reloads. A tenth of
// a second is below what a person notices on a screen they are reading.
const refreshAfter = 100 * time.Millisecond

// refreshMsg ends a gathering of changes: the screen reloads once.
type refreshMsg struct{}

// waitChange reads one change; Update re-issues it (the glow pattern), and
// it ends with the session's context.
func (m *Model) waitChange() tea.Cmd {
	ch, ctx := m.sub, m.base.Ctx
	return func() tea.Msg {
		select {
		case c, ok := <-ch:
			if !ok {
				return subEndMsg{}
			}
			return changeMsg{change: c}
		case <-ctx.Done():
			return subEndMsg{}
		}
	}
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *Model) loadStats() tea.Cmd {
	if !m.base.SyncConfigured {
		return nil
	}
	b, c := m.base.Backend, m.base
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		s, err := b.InboxStats(ctx)
		if err != nil {
			return statsMsg{err: err}
		}
		r, _, err := b.LastReconcile(ctx, "stripe")
		return statsMsg{stats: s, recon: r, err: err}
	}
}

// loadOpenDay asks whether a day before today was left open.
func (m *Model) loadOpenDay() tea.Cmd {
	b, c := m.base.Backend, m.base
	return func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		d, err := b.OpenPastDay(ctx)
		return openDayMsg{day: d, err: err}
	}
}

func (m *Model) quit() tea.Cmd {
	m.logout()
	if m.unsub != nil {
		m.unsub()
		m.unsub = nil
	}
	return tea.Quit
}

// contentHeight is what is left for a screen under the header and tabs and
// above the status line and footer.
func (m *Model) contentHeight() int { return max(1, m.height-5) }

func (m *Model) resizePages() {
	w, h := m.width, m.contentHeight()
	m.help.Width = w
	if m.setup != nil {
		m.setup.SetSize(w, h)
	}
	if m.login != nil {
		m.login.SetSize(w, h)
	}
	for _, t := range m.tabs {
		t.page.SetSize(w, h)
	}
}

// ---- update

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resizePages()
		return m, nil
	case settingsMsg:
		switch {
		case errors.Is(msg.err, finance.ErrNotInitialized):
			m.state = stateSetup
			m.setup = setup.New(m.base, m.setupDefaults(), m.deps.Demo)
			m.resizePages()
		case msg.err != nil:
			m.state, m.fatal = stateFatal, common.ErrText(msg.err)
		default:
			m.applySettings(msg.settings, msg.loc)
			return m, m.lock("")
		}
		return m, nil
	case common.SetupDoneMsg:
		loc, err := time.LoadLocation(msg.Settings.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		m.applySettings(msg.Settings, loc)
		m.setup = nil
		return m, m.enter(msg.Actor)
	case common.LoggedInMsg:
		return m, m.enter(msg.Actor)
	case common.StatusMsg:
		if msg.Kind == common.StatusBusy && m.settled == m.keys {
			return m, nil
		}
		if msg.Kind != common.StatusBusy {
			m.settled = m.keys
		}
		m.status = msg
		if msg.Kind == common.StatusBusy && !m.base.Static && !m.spinActive {
			m.spinActive = true
			return m, m.spinner.Tick
		}
		return m, nil
	case spinner.TickMsg:
		if m.status.Kind != common.StatusBusy {
			m.spinActive = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case tickMsg:
		return m, m.onTick(time.Time(msg))
	case changeMsg:
		if m.sub != nil {
			cmds = append(cmds, m.waitChange())
		}
		if w := msg.change.What; w == "staff" || w == finance.ChangeMissed {
			// At once, not after the refresh gathering: a login ended by an
			// admin must not post another thing.
			cmds = append(cmds, m.checkSession())
		}
		m.changed = msg.change
		if w := msg.change.What; w == "inbox" || w == finance.ChangeMissed {
			m.statsStale = true
		}
		if !m.refreshDue {
			m.refreshDue = true
			cmds = append(cmds, tea.Tick(refreshAfter, func(time.Time) tea.Msg { return refreshMsg{} }))
		}
		return m, tea.Batch(cmds...)
	case refreshMsg:
		m.refreshDue = false
		if m.statsStale {
			m.statsStale = false
			cmds = append(cmds, m.loadStats())
		}
		if m.state == stateMain {
			cmds = append(cmds, m.activePage().Update(common.ChangedMsg{Change: m.changed}), m.loadOpenDay())
		}
		return m, tea.Batch(cmds...)
	case subEndMsg:
		return m, nil
	case statsMsg:
		m.stats, m.recon, m.statsErr = msg.stats, msg.recon, msg.err
		return m, nil
	case openDayMsg:
		if msg.err == nil {
			m.openDay = msg.day
		}
		return m, nil
	case common.OpenCheckoutMsg:
		if i := m.tabIndex(common.TabCheckout); i >= 0 {
			// A new checkout replaces the cart: ask before it goes.
			return m, m.guardLeave(unsavedOn(m.tabs[i].page, false), " and start a new checkout", func() tea.Cmd {
				m.active = i
				return m.tabs[i].page.Update(msg)
			})
		}
		return m, nil
	case common.SwitchTabMsg:
		if i := m.tabIndex(msg.Tab); i >= 0 {
			return m, m.activate(i)
		}
		return m, nil
	case common.ReceiptOfferMsg:
		m.offer, m.offerTab = &msg, m.active
		return m, nil
	case receiptBuiltMsg:
		return m, m.receiptBuilt(msg)
	case receiptDoneMsg:
		return m, m.receiptDone(msg)
	case tea.KeyMsg:
		m.lastInput = m.c.Now()
		return m, m.onKeys(msg)
	}
	// Anything else answers some screen's command: every screen sees it and
	// keeps only its own (a result must land even after a tab switch).
	if m.setup != nil {
		cmds = append(cmds, m.setup.Update(msg))
	}
	if m.login != nil {
		cmds = append(cmds, m.login.Update(msg))
	}
	for _, t := range m.tabs {
		cmds = append(cmds, t.page.Update(msg))
	}
	return m, tea.Batch(cmds...)
}

func (m *Model) setupDefaults() finance.Settings {
	return finance.SetupDefaults(m.deps.SetupDefaults)
}

func (m *Model) applySettings(st finance.Settings, loc *time.Location) {
	m.base.Settings = st
	m.base.Loc = loc
	m.base.Money = common.NewMoney(st.Currency, st.Locale)
	m.c = m.base
}

// lock drops the main screens and shows the PIN screen.
func (m *Model) lock(reason string) tea.Cmd {
	prefer := m.c.Actor.Staff
	if prefer == "" || m.deps.StaffOnly {
		prefer = m.deps.Staff
	}
	m.logout()
	m.state = stateLogin
	m.tabs, m.full, m.leave = nil, false, nil
	m.offer, m.rview = nil, nil // the next person sees no one else's receipt
	m.c = m.base
	var o login.Options
	if m.deps.StaffOnly {
		o.Only = m.deps.Staff
	}
	o.HideRoles = m.deps.HideRoles
	if m.deps.Detachable {
		leave := m.base.Keys.Disconnect
		o.Leave = &leave
	}
	m.login = login.New(m.base, prefer, reason, o)
	m.resizePages()
	return tea.Batch(m.login.Init(), m.loadStats())
}

// enter builds the main screens for the person who logged in; screens are
// rebuilt on every login so nothing of the previous person's work remains.
func (m *Model) enter(a finance.Actor) tea.Cmd {
	m.c = m.base
	m.c.Actor = a
	m.login = nil
	m.state = stateMain
	m.lastInput = m.c.Now()
	c := m.c
	m.tabs = []tabPage{
		{common.TabClients, "Clients", clients.New(c)},
		{common.TabCheckout, "Checkout", checkout.New(c)},
		{common.TabBookings, "Bookings", bookings.New(c)},
		{common.TabFinance, "Finance", ledger.New(c)},
		{common.TabSync, "Sync", syncview.New(c)},
	}
	if m.base.Backend.Allowed(a, finance.RightManageStaff) {
		m.tabs = append(m.tabs, tabPage{common.TabStaff, "Staff", staff.New(c)})
	}
	if m.base.Backend.Allowed(a, finance.RightPastTotals) { // what Service.Audit asks
		m.tabs = append(m.tabs, tabPage{common.TabAudit, "Audit", audit.New(c)})
	}
	m.resizePages()
	m.active = 0
	return tea.Batch(m.activePage().Update(common.ActivatedMsg{}), m.loadStats(), m.loadOpenDay())
}

func (m *Model) tabIndex(t common.Tab) int {
	for i, tp := range m.tabs {
		if tp.id == t {
			return i
		}
	}
	return -1
}

func (m *Model) activePage() common.Component {
	if m.active < len(m.tabs) {
		return m.tabs[m.active].page
	}
	return nil
}

func (m *Model) activate(i int) tea.Cmd {
	if i < 0 || i >= len(m.tabs) {
		return nil
	}
	m.active = i
	return m.tabs[i].page.Update(common.ActivatedMsg{})
}

// logout ends the login of whoever is at the desk, if anyone.
func (m *Model) logout() {
	if m.state == stateMain && m.c.Actor.Staff != "" && m.base.Backend != nil {
		m.base.Backend.Logout(m.c.Actor)
	}
}

// tryQuit leaves the desk if the person at it may: on a local terminal
// quitting hands the shell over, so it takes the quit right.
func (m *Model) tryQuit() tea.Cmd {
	a := m.c.Actor
	if m.deps.Detachable || m.base.Backend.Allowed(a, finance.RightQuit) {
		return m.quit()
	}
	return common.Status(common.StatusError, "%s (%s) may not quit the desk; ctrl+l locks it.", a.Staff, a.Role)
}

// guardQuit asks before quitting drops typed work, when quitting is allowed
// at all (a refusal needs no question first).
func (m *Model) guardQuit() tea.Cmd {
	if m.deps.Detachable || m.base.Backend.Allowed(m.c.Actor, finance.RightQuit) {
		return m.guardLeave(m.anyUnsaved(), " and quit", m.tryQuit)
	}
	return m.tryQuit()
}

// checkSession locks the desk when the person at it was disabled, given a
// new PIN or another role since they logged in (by another desk, an admin
// here, or the CLI through serve). The service refuses that login anyway;
// this takes its screens away.
func (m *Model) checkSession() tea.Cmd {
	if m.state != stateMain || m.base.Backend.SessionLive(m.c.Actor) {
		return nil
	}
	who := m.c.Actor.Staff
	return tea.Batch(m.lock(fmt.Sprintf("%s's login was ended: an admin disabled them, reset their PIN or changed their role.", who)),
		common.Status(common.StatusError, "%s was logged out by a staff change.", who))
}

func (m *Model) onTick(t time.Time) tea.Cmd {
	var cmds []tea.Cmd
	if !m.base.Static {
		cmds = append(cmds, m.tick())
	}
	// Every tick too, in case the change was missed.
	if cmd := m.checkSession(); cmd != nil {
		return tea.Batch(append(cmds, cmd)...)
	}
	if m.state == stateMain && m.deps.IdleLock > 0 && t.Sub(m.lastInput) >= m.deps.IdleLock {
		cmds = append(cmds, m.lock(fmt.Sprintf("Locked after %s without a key press.", m.deps.IdleLock)))
	}
	if t.Second()%15 == 0 {
		cmds = append(cmds, m.loadStats())
	}
	if m.state == stateMain && t.Second() == 0 {
		cmds = append(cmds, m.loadOpenDay()) // a day ends at midnight, not on a change
	}
	return tea.Batch(cmds...)
}

// onKeys takes one key message. bubbletea v1 reads what arrived in one read
// as one message, so "1r" typed fast is a single KeyMsg of two runes that
// no shortcut matches. Where no text field has the keys, such a message is
// split into one key per rune, each handled as if typed alone; as soon as a
// key opens a text field the rest is typed into it. A paste stays whole.
func (m *Model) onKeys(msg tea.KeyMsg) tea.Cmd {
	if msg.Type != tea.KeyRunes || msg.Paste || len(msg.Runes) < 2 {
		m.keys++
		return m.onKey(msg)
	}
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		if !m.shortcuts() {
			rest := msg
			rest.Runes = msg.Runes[i:]
			m.keys++
			return tea.Batch(append(cmds, m.onKey(rest))...)
		}
		m.keys++
		cmds = append(cmds, m.onKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
	}
	return tea.Batch(cmds...)
}

// shortcuts reports whether a rune now is a shortcut rather than text: the
// main screens with no field or question taking the keys.
func (m *Model) shortcuts() bool {
	if m.state != stateMain || m.full || m.leave != nil {
		return m.state == stateMain && m.leave == nil
	}
	p := m.activePage()
	return p != nil && !p.Capturing()
}

func (m *Model) onKey(msg tea.KeyMsg) tea.Cmd {
	k := m.base.Keys
	switch m.state {
	case stateFatal, stateLoading:
		if key.Matches(msg, k.Quit, k.ForceQuit, k.Back) {
			return m.quit()
		}
		return nil
	case stateSetup:
		// Nobody exists yet to protect the desk from: whoever started it
		// may leave.
		if key.Matches(msg, k.ForceQuit) {
			return m.quit()
		}
		return m.setup.Update(msg)
	case stateLogin:
		// The lock: no key leads to the terminal underneath, only a PIN.
		if key.Matches(msg, k.ForceQuit) {
			if m.deps.Detachable {
				return m.quit()
			}
			return common.Status(common.StatusInfo, "The desk is locked: pick yourself and type your PIN.")
		}
		return m.login.Update(msg)
	}
	if m.leave != nil {
		return m.onLeaveKey(msg)
	}
	if key.Matches(msg, k.ForceQuit) {
		return m.guardQuit()
	}
	if m.full {
		m.full = false
		return nil
	}
	if key.Matches(msg, k.Lock) {
		return m.guardLeave(m.anyUnsaved(), " and lock the desk", func() tea.Cmd {
			return tea.Batch(m.lock("Switch user: pick yourself and type your PIN."),
				common.Status(common.StatusInfo, "%s locked the desk.", m.c.Actor.Staff))
		})
	}
	if m.rview != nil {
		return m.receiptKey(msg)
	}
	page := m.activePage()
	if m.offersReceipt(page) && key.Matches(msg, k.Receipt) {
		return m.openReceipt()
	}
	if key.Matches(msg, k.Back) {
		if w := unsavedOn(page, true); w != "" {
			return m.guardLeave(w, "", func() tea.Cmd { return page.Update(msg) })
		}
	}
	if !page.Capturing() {
		switch {
		case key.Matches(msg, k.Quit):
			return m.guardQuit()
		case key.Matches(msg, k.Help):
			m.full = true
			return nil
		case key.Matches(msg, k.NextTab):
			return m.activate((m.active + 1) % len(m.tabs))
		case key.Matches(msg, k.PrevTab):
			return m.activate((m.active + len(m.tabs) - 1) % len(m.tabs))
		case key.Matches(msg, k.Tab1):
			return m.activate(int(msg.String()[0] - '1'))
		}
	}
	return page.Update(msg)
}

// ---- view

func (m *Model) View() string {
	w, h := m.width, m.height
	if w < minWidth || h < minHeight {
		hint := " (ctrl+c quits)"
		if m.state == stateLogin && !m.deps.Detachable {
			hint = ""
		}
		return fit(fmt.Sprintf("paydesk needs at least %d×%d; this terminal is %d×%d.\nMake the window larger%s.",
			minWidth, minHeight, w, h, hint), w, h)
	}
	s := m.base.Styles
	var content string
	var hk help.KeyMap = components.KeyHelp{Short: []key.Binding{m.base.Keys.ForceQuit}}
	tabs := ""
	switch m.state {
	case stateLoading:
		content = s.Muted.Render("Opening the books…")
	case stateFatal:
		content = s.Status.Error.Render("paydesk cannot start: "+m.fatal) + "\n\n" + s.Muted.Render("q quits")
	case stateSetup:
		content = m.setup.View()
		hk = m.setup
	case stateLogin:
		content = m.login.View()
		hk = m.login
	case stateMain:
		page := m.activePage()
		names := make([]string, len(m.tabs))
		for i, t := range m.tabs {
			names[i] = t.name
		}
		tabs = components.Tabs(s, w, names, m.active)
		short := m.c.Offered(page.ShortHelp())
		if m.offersReceipt(page) {
			// First: a full footer is cut at its end.
			short = append([]key.Binding{m.base.Keys.Receipt}, short...)
		}
		switch {
		case m.leave != nil:
			content = m.leaveView()
		case m.full:
			content = m.fullHelp(page)
		case m.rview != nil:
			content = m.receiptViewText()
			short = m.receiptKeys()
		default:
			content = page.View()
		}
		if m.rview == nil {
			short = append(short, m.frameKeys(page)...)
		}
		hk = components.KeyHelp{Short: short}
		if m.leave != nil {
			hk = components.KeyHelp{Short: m.leaveKeys()}
		}
	}
	var b strings.Builder
	b.WriteString(m.header() + "\n")
	b.WriteString(fit(tabs, w, 1) + "\n")
	b.WriteString("\n")
	b.WriteString(fit(content, w, m.contentHeight()) + "\n")
	b.WriteString(fit(m.statusLine(), w, 1) + "\n")
	b.WriteString(fit(" "+components.ShortHelp(m.help, hk.ShortHelp(), w-1), w, 1))
	return b.String()
}

// frameKeys are the frame's keys shown after the screen's own.
func (m *Model) frameKeys(page common.Component) []key.Binding {
	k := m.base.Keys
	if page.Capturing() {
		return nil
	}
	if !m.deps.Detachable && !m.base.Backend.Allowed(m.c.Actor, finance.RightQuit) {
		return []key.Binding{k.Help, k.Lock}
	}
	return []key.Binding{k.Help, k.Quit}
}

func (m *Model) fullHelp(page common.Component) string {
	s := m.base.Styles
	k := m.base.Keys
	groups := append(page.FullHelp(), []key.Binding{k.NextTab, k.PrevTab, k.Tab1, k.Lock, k.Help, k.Quit})
	h := m.help
	h.ShowAll = true
	title := "All keys"
	if v := m.deps.Version; v != "" {
		// The CLI's version line already starts with the name.
		if !strings.HasPrefix(v, "paydesk ") {
			v = "paydesk " + v
		}
		title += " · " + v
	}
	return s.Title.Render(title) + "\n\n" + h.View(components.KeyHelp{Full: groups}) + "\n\n" + s.Muted.Render("any key closes this")
}

func (m *Model) header() string {
	s := m.base.Styles
	st := m.base.Settings
	loc := m.base.Loc
	now := m.base.Now().In(loc)
	info := components.HeaderInfo{Location: st.Location, Clock: now.Format("15:04"), Staff: m.c.Actor.Staff}
	if m.state == stateSetup || st.Location == "" {
		info.Location = "paydesk"
		info.Date = ""
		info.Clock = ""
	} else {
		info.Date = string(finance.DateOf(now, loc))
	}
	if info.Staff != "" {
		info.Staff += " (" + string(m.c.Actor.Role) + ")"
	}
	info.Sync, info.SyncBad, info.SyncOff = m.syncBadge(now)
	if m.openDay != "" && m.state == stateMain {
		info.Notice = string(m.openDay) + " not closed"
	}
	if m.deps.Replication != nil {
		info.Chain, info.ChainBad = m.deps.Replication()
	}
	if m.base.LastBackup != nil {
		text, bad := backupBadge(now, m.base.LastBackup())
		info.Sync += " · " + text
		info.SyncBad = info.SyncBad || bad
	}
	if info.Date == "" {
		info.Date = "setup"
		info.Clock = m.deps.Version
	}
	return components.Header(s, m.width, info)
}

func (m *Model) syncBadge(now time.Time) (text string, bad, off bool) {
	switch {
	case !m.base.SyncConfigured:
		return "sync off", false, true
	case m.statsErr != nil:
		return "sync: " + common.ErrText(m.statsErr), true, false
	case m.stats.Failed > 0:
		return fmt.Sprintf("sync: %d failing, see 5", m.stats.Failed), true, false
	case len(m.recon.DiffDays()) > 0:
		return fmt.Sprintf("Stripe differs on %s, see 5", common.Count(len(m.recon.DiffDays()), "day", "days")), true, false
	case m.stats.LastReceived.IsZero():
		return "sync live, no events yet", false, false
	}
	return "sync live, last " + ago(now.Sub(m.stats.LastReceived)), false, false
}

// backupBadge says when the scheduled backup last ran; more than a day and a
// bit ago (or never) is shown as a problem.
func backupBadge(now, last time.Time) (string, bool) {
	if last.IsZero() {
		return "no backup yet", true
	}
	return "backup " + ago(now.Sub(last)), now.Sub(last) > 26*time.Hour
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func (m *Model) statusLine() string {
	s := m.base.Styles
	st := m.status
	// One line: a message of several (an error's hint) is cut with "…" as
	// a whole, not at its first line break without a mark.
	st.Text = strings.ReplaceAll(st.Text, "\n", " ")
	switch st.Kind {
	case common.StatusBusy:
		return " " + m.spinner.View() + " " + s.Status.Busy.Render(st.Text)
	case common.StatusOK:
		return " " + s.Status.OK.Render("✓ "+st.Text)
	case common.StatusError:
		return " " + s.Status.Error.Render("✗ "+st.Text)
	}
	return " " + s.Status.Info.Render(st.Text)
}

// fit makes a block exactly w×h: long lines cut with "…" (never a
// half-printed word without a mark), missing lines added, so the footer
// never moves.
func fit(block string, w, h int) string {
	lines := strings.Split(block, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
