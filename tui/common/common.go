// Package common holds what every screen of the TUI shares: the session's
// size, styles, keys, backend, the person logged in, and the typed messages
// screens use to talk to the root model.
package common

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bojanz/currency"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/keymap"
	"github.com/paydesk/paydesk/tui/styles"
)

// Backend is the slice of *finance.Service the screens use. Declaring it here
// lets tests drive the screens with a fake; the service itself satisfies it.
type Backend interface {
	Setup(ctx context.Context, st finance.Settings, ownerName, ownerPIN string) error
	Settings(ctx context.Context) (finance.Settings, error)
	Today(ctx context.Context) (finance.Date, error)

	CreateClient(ctx context.Context, a finance.Actor, nc finance.NewClient) (finance.Client, error)
	SearchClients(ctx context.Context, q string, limit int) ([]finance.ClientSummary, error)
	ClientView(ctx context.Context, id finance.ClientID, p finance.Page) (finance.ClientView, error)
	ClientBalanceAfter(ctx context.Context, id finance.ClientID, op finance.OperationID) (finance.ClientAfter, error)
	UpdateClient(ctx context.Context, a finance.Actor, id finance.ClientID, u finance.ClientUpdate) (finance.Client, error)

	TopUp(ctx context.Context, a finance.Actor, r finance.TopUpRequest) (finance.Operation, error)
	Checkout(ctx context.Context, a finance.Actor, r finance.CheckoutRequest) (finance.Operation, error)
	CashOut(ctx context.Context, a finance.Actor, r finance.CashOutRequest) (finance.Operation, error)
	Reverse(ctx context.Context, a finance.Actor, r finance.ReverseRequest) (finance.Operation, error)
	Transfer(ctx context.Context, a finance.Actor, r finance.TransferRequest) (finance.Operation, error)
	MoveCash(ctx context.Context, a finance.Actor, r finance.CashMoveRequest) (finance.Operation, error)
	// Preview is what a request would post, for its confirm screen.
	Preview(ctx context.Context, a finance.Actor, r finance.Request) (finance.Preview, error)

	Operation(ctx context.Context, id finance.OperationID) (finance.Operation, error)
	DayOperations(ctx context.Context, a finance.Actor, d finance.Date, register string) ([]finance.Operation, error)
	DayTotals(ctx context.Context, a finance.Actor, d finance.Date) ([]finance.DayTotals, error)
	RangeTotals(ctx context.Context, a finance.Actor, from, to finance.Date) (map[string][]finance.DayTotals, error)

	CloseDay(ctx context.Context, a finance.Actor, r finance.CloseRequest) (finance.CloseResult, error)
	CloseRules() finance.CloseRules
	ZReport(ctx context.Context, a finance.Actor, d finance.Date, register string) ([]finance.ZReport, error)
	DayStatus(ctx context.Context, d finance.Date) (finance.DayStatus, error)
	ClosedDays(ctx context.Context, from, to finance.Date) (map[finance.Date]bool, error)
	OpenPastDay(ctx context.Context) (finance.Date, error)

	AddStaff(ctx context.Context, a finance.Actor, name string, role finance.Role, pin string) error
	DisableStaff(ctx context.Context, a finance.Actor, name string) error
	EnableStaff(ctx context.Context, a finance.Actor, name string) error
	ResetPIN(ctx context.Context, a finance.Actor, name, pin string) error
	StaffList(ctx context.Context) ([]finance.Staff, error)
	Login(ctx context.Context, name, pin string) (finance.Actor, error)
	Logout(a finance.Actor)
	SessionLive(a finance.Actor) bool
	Audit(ctx context.Context, a finance.Actor, since time.Time, limit int) ([]finance.AuditEntry, error)
	RecentAudit(ctx context.Context, a finance.Actor, since time.Time, limit int) ([]finance.AuditEntry, error)
	RecordAudit(ctx context.Context, a finance.Actor, action, subject, reason string) error
	Allowed(a finance.Actor, r finance.Right) bool
	// Approve checks a manager's PIN lent for one action (finance/approval.go).
	Approve(ctx context.Context, a finance.Actor, r finance.Right, ap finance.Approval) (string, error)
	CanUseRegister(a finance.Actor, register string) bool
	Subscribe() (<-chan finance.Change, func())

	RetryEvent(ctx context.Context, a finance.Actor, id string) error
	Bookings(ctx context.Context, f finance.BookingFilter) ([]finance.Booking, error)
	CancelBooking(ctx context.Context, a finance.Actor, id, reason string) (finance.Booking, error)
	StartRefund(ctx context.Context, a finance.Actor, r finance.RefundRequest) (finance.Refund, error)
	Inbox(ctx context.Context, limit int) ([]finance.ProviderEvent, error)
	InboxStats(ctx context.Context) (finance.InboxStats, error)
	// LastReconcile is the last reconcile's summary against a provider's balance.
	LastReconcile(ctx context.Context, provider string) (finance.ReconcileReport, bool, error)
}

var _ Backend = (*finance.Service)(nil)

// Refunder sends a saved card refund to the payment provider (set by the
// wiring when payments are configured).
type Refunder interface {
	Refund(ctx context.Context, key string) error
}

// Common is what every screen embeds. It is passed by value; the root
// rebuilds screens on login so Actor never goes stale.
type Common struct {
	Ctx      context.Context
	Width    int
	Height   int
	Styles   *styles.Styles
	Keys     *keymap.KeyMap
	Backend  Backend
	Actor    finance.Actor
	Settings finance.Settings
	Loc      *time.Location
	Now      func() time.Time
	Money    *Money

	ExportDir      string
	SyncConfigured bool
	SyncNote       string
	LastBackup     func() time.Time // nil: no scheduled backup
	Refunder       Refunder
	Chain          Chain // the chain's central database; nil = replication off
	// Static turns off timers (clock, spinner, idle lock) and the change
	// subscription, so tests can run every command synchronously.
	Static bool
}

// Timeout bounds one backend call made from a command.
const Timeout = 15 * time.Second

// Call returns a context for one backend call.
func (c Common) Call() (context.Context, context.CancelFunc) {
	ctx := c.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, Timeout)
}

// Today is the business date now in the location's time zone.
func (c Common) Today() finance.Date {
	loc := c.Loc
	if loc == nil {
		loc = time.UTC
	}
	return finance.DateOf(c.Now(), loc)
}

// Allowed reports whether the person logged in holds a right.
func (c Common) Allowed(r finance.Right) bool {
	if c.Backend == nil {
		return false
	}
	return c.Backend.Allowed(c.Actor, r)
}

// Registers lists the registers the person logged in may use.
func (c Common) Registers() []finance.Register {
	var out []finance.Register
	for _, r := range c.Settings.Registers {
		if c.Backend == nil || c.Backend.CanUseRegister(c.Actor, r.ID) {
			out = append(out, r)
		}
	}
	return out
}

// RegisterName is a register's display name.
func (c Common) RegisterName(id string) string {
	for _, r := range c.Settings.Registers {
		if r.ID == id {
			return r.Name
		}
	}
	return id
}

// AccountName is an account in words.
func (c Common) AccountName(acc finance.AccountID) string {
	if id, ok := finance.RegisterOf(acc); ok {
		return c.RegisterName(id)
	}
	if id, ok := finance.ClientOf(acc); ok {
		return "Deposit of client #" + strconv.FormatUint(uint64(id), 10)
	}
	switch acc {
	case finance.AccountPrepaid:
		return "Prepaid bookings"
	case finance.AccountRevenue:
		return "Revenue"
	case finance.AccountFees:
		return "Provider fees"
	case finance.AccountPaidInOut:
		return "Paid in/out"
	}
	return string(acc)
}

// KindName is an operation kind in words.
func KindName(k finance.OpKind) string {
	switch k {
	case finance.OpTopUp:
		return "top-up"
	case finance.OpCheckout:
		return "checkout"
	case finance.OpCashOut:
		return "cash-out"
	case finance.OpTransfer:
		return "transfer"
	case finance.OpPaidIn:
		return "paid in"
	case finance.OpPaidOut:
		return "paid out"
	case finance.OpReversal:
		return "reversal"
	case finance.OpOnlinePrepayment:
		return "prepayment"
	case finance.OpRefund:
		return "refund"
	case finance.OpRefundToDeposit:
		return "refund to deposit"
	case finance.OpProviderFee:
		return "provider fee"
	case finance.OpPayout:
		return "payout"
	case finance.OpOverShort:
		return "over/short"
	}
	return string(k)
}

// DatedNote says, after a post, that the operation was dated on a later day
// because its own was closed ("" when it was not).
func DatedNote(op finance.Operation) string {
	if op.BelongsTo == "" {
		return ""
	}
	return " " + string(op.BelongsTo) + " is closed: it is dated " + string(op.BusinessDate) + "."
}

// ErrText turns an error into the words shown in the status line.
func ErrText(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded):
		return "the database did not answer in time; try again"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return finance.Message(err)
}

// Money formats and parses amounts for the location.
type Money struct {
	f        *finance.Formatter
	currency string
	locale   string
	digits   int
}

// NewMoney builds the formatter for a location; if the finance formatter
// refuses the currency, amounts still show as "12.50 XXX".
func NewMoney(currencyCode, locale string) *Money {
	m := &Money{currency: currencyCode, locale: locale, digits: 2}
	if d, ok := currency.GetDigits(currencyCode); ok {
		m.digits = int(d)
	}
	if f, err := finance.NewFormatter(currencyCode, locale); err == nil && f != nil && f.Format(100) != "" {
		m.f = f
	}
	return m
}

// Format renders minor units for people: €1,234.50.
func (m *Money) Format(minor int64) string {
	if m == nil {
		return strconv.FormatInt(minor, 10)
	}
	if m.f != nil {
		return m.f.Format(minor)
	}
	return m.Plain(minor) + " " + m.currency
}

// Plain renders minor units the way a person would type them back.
func (m *Money) Plain(minor int64) string {
	if m == nil {
		return strconv.FormatInt(minor, 10)
	}
	if m.f != nil {
		return m.f.Plain(minor)
	}
	return finance.Decimal(minor, m.digits, ".")
}

// Signed renders an amount with an explicit sign, for postings.
func (m *Money) Signed(minor int64) string {
	if minor > 0 {
		return "+" + m.Format(minor)
	}
	if minor < 0 {
		return "−" + m.Format(-minor)
	}
	return m.Format(0)
}

// Parse reads a positive amount typed by a person.
func (m *Money) Parse(s string) (int64, error) {
	return finance.ParseAmount(strings.TrimSpace(s), m.currency, m.locale)
}

// ParseAllowZero reads an amount that may be zero.
func (m *Money) ParseAllowZero(s string) (int64, error) {
	return finance.ParseAmountAllowZero(strings.TrimSpace(s), m.currency, m.locale)
}

// Currency is the ISO code.
func (m *Money) Currency() string { return m.currency }

// Digits is the currency's number of minor digits.
func (m *Money) Digits() int { return m.digits }

// Component is one screen or widget: a model that can be resized and
// reports its own key help. Screens are pointers so Update mutates in place.
type Component interface {
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(width, height int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Capturing reports that typed keys belong to the screen (a text field
	// or a dialog has focus), so the frame must not treat them as shortcuts.
	Capturing() bool
}

// Unsaved is a screen that can hold work typed and not yet posted (a
// half-filled form, a cart). The root asks "Discard this top-up?" before a
// key throws it away.
type Unsaved interface {
	// Unsaved names the work at stake ("this top-up"), or "" for none. With
	// esc it answers for esc alone: "" where esc only steps back and keeps
	// the work; without, for the screen going away (quit, lock, a new
	// checkout over the cart).
	Unsaved(esc bool) string
}

// ---- messages from screens to the root

// StatusKind says how the status line shows a message.
type StatusKind int

const (
	StatusInfo StatusKind = iota
	StatusOK
	StatusError
	StatusBusy
)

// StatusMsg sets the status line.
type StatusMsg struct {
	Kind StatusKind
	Text string
}

// Status returns a command that sets the status line.
func Status(kind StatusKind, format string, args ...any) tea.Cmd {
	text := fmt.Sprintf(format, args...)
	return func() tea.Msg { return StatusMsg{Kind: kind, Text: text} }
}

// Busy sets a spinner with a message while a command runs.
func Busy(text string) tea.Cmd { return Status(StatusBusy, "%s", text) }

// Failed reports an error in the status line.
func Failed(err error) tea.Cmd { return Status(StatusError, "%s", ErrText(err)) }

// ChangedMsg tells the active screen the books changed (this desk or another).
type ChangedMsg struct{ Change finance.Change }

// ActivatedMsg is sent to a screen when its tab becomes the visible one.
type ActivatedMsg struct{}

// Tab names a main-screen tab.
type Tab int

const (
	TabClients Tab = iota
	TabCheckout
	TabBookings
	TabFinance
	TabSync
	TabStaff
	TabAudit
)

// OpenCheckoutMsg asks the root to show Checkout for a client (0 = walk-in).
type OpenCheckoutMsg struct{ Client *finance.ClientSummary }

// SwitchTabMsg asks the root to show a tab.
type SwitchTabMsg struct{ Tab Tab }

// SetupDoneMsg tells the root first-run setup finished and the owner is logged in.
type SetupDoneMsg struct {
	Settings finance.Settings
	Actor    finance.Actor
}

// LoggedInMsg tells the root who logged in.
type LoggedInMsg struct{ Actor finance.Actor }

// Truncate cuts s to at most w cells, marking the cut.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	if w == 1 {
		return "…"
	}
	return string(r[:w-1]) + "…"
}
