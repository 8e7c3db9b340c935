package finance

import (
	"context"
	"errors"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// errTODO marks contract methods not yet implemented; gone once the
// foundation lands.
var errTODO = errors.New("not implemented yet")

// Service is the one place every caller (TUI, CLI, SSH sessions, sync worker)
// goes through: it checks rights, validates input, runs the ledger rules
// inside one Store transaction, writes the audit line in that same
// transaction, and tells subscribers that the books changed.
type Service struct {
	store  Store
	now    func() time.Time
	rights Rights
	hub    *hub
	// locations caches time.LoadLocation by zone name (read from Settings).
	locs *locationCache

	maxPINTries int           // wrong PINs in a row before a lockout
	lockout     time.Duration // how long a lockout lasts
	pinCost     int           // bcrypt cost for PIN hashes
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests, demo data, the benchmark's history).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRights sets the rights table; roles it leaves out get DefaultRights.
func WithRights(r Rights) Option { return func(s *Service) { s.rights = r } }

// WithLoginLimits sets how many wrong PINs in a row lock a person out, and
// for how long (defaults: 5 and 5 minutes). Values <= 0 keep the default.
func WithLoginLimits(maxTries int, lockout time.Duration) Option {
	return func(s *Service) {
		if maxTries > 0 {
			s.maxPINTries = maxTries
		}
		if lockout > 0 {
			s.lockout = lockout
		}
	}
}

// WithPINCost sets the bcrypt cost of PIN hashes. Tests and the demo lower it
// to bcrypt.MinCost; production keeps bcrypt.DefaultCost.
func WithPINCost(cost int) Option { return func(s *Service) { s.pinCost = cost } }

// NewService builds the service over a store.
func NewService(st Store, opts ...Option) *Service {
	s := &Service{store: st, now: time.Now, hub: newHub(), locs: newLocationCache(),
		maxPINTries: 5, lockout: 5 * time.Minute, pinCost: bcrypt.DefaultCost}
	for _, o := range opts {
		o(s)
	}
	s.rights = mergeRights(s.rights, DefaultRights())
	return s
}

// Store exposes the store for read-only views that need no rights check.
func (s *Service) Store() Store { return s.store }

// Now is the service clock.
func (s *Service) Now() time.Time { return s.now() }

// ---- setup and settings

// Setup stores the location's settings and creates the owner (an admin with
// a PIN) on a new database. ErrConflict if already set up.
func (s *Service) Setup(ctx context.Context, st Settings, ownerName, ownerPIN string) error {
	return errTODO
}

// Settings reads the location's settings (ErrNotInitialized before Setup).
func (s *Service) Settings(ctx context.Context) (Settings, error) { return Settings{}, errTODO }

// Today is the business date now, in the location's time zone.
func (s *Service) Today(ctx context.Context) (Date, error) { return "", errTODO }

// ---- clients

// NewClient is what the new-client form or `client add` submits.
type NewClient struct {
	Name  string
	Phone string // as typed; normalised to E.164 with Settings.PhoneRegion
	Email string
	Note  string
}

// ClientSummary is a client with the balance the business owes them.
type ClientSummary struct {
	Client
	Balance int64 `json:"balance"` // owed to the client (negative = client owes, within credit)
}

// ClientView is a client, balance and one page of history (newest first).
type ClientView struct {
	ClientSummary
	Available int64       `json:"available"` // what may be spent from the deposit now (balance + credit)
	History   []Operation `json:"history"`
	More      bool        `json:"more"` // another page exists
}

func (s *Service) CreateClient(ctx context.Context, a Actor, nc NewClient) (Client, error) {
	return Client{}, errTODO
}
func (s *Service) SearchClients(ctx context.Context, q string, limit int) ([]ClientSummary, error) {
	return nil, errTODO
}
func (s *Service) ClientView(ctx context.Context, id ClientID, p Page) (ClientView, error) {
	return ClientView{}, errTODO
}

// ---- money movements. Key is the idempotency key: the same key with the
// same request returns the first operation; with another request, ErrConflict.

type TopUpRequest struct {
	Key      string
	ClientID ClientID
	Amount   int64
	Register string
	Note     string
}

// Tender is one part of a payment, by register.
type Tender struct {
	Register string `json:"register"`
	Amount   int64  `json:"amount"`
}

type CheckoutRequest struct {
	Key         string
	ClientID    ClientID // 0 = walk-in (then FromBalance must be 0)
	BookingID   string   // a prepaid booking being served: its prepaid amount is applied first
	Lines       []LineItem
	Total       int64    // must equal the lines' sum when lines are given
	FromBalance *int64   // nil = as much of the deposit as covers what remains
	Payments    []Tender // the rest, exactly
	Note        string
}

type CashOutRequest struct {
	Key      string
	ClientID ClientID
	Amount   int64
	Register string
	Note     string
}

type TransferRequest struct {
	Key      string
	From, To string
	Amount   int64
	Note     string
}

// CashMoveRequest is a paid-in (In=true) or paid-out with a required reason.
type CashMoveRequest struct {
	Key      string
	Register string
	Amount   int64
	In       bool
	Reason   string
}

type ReverseRequest struct {
	Key         string
	OperationID OperationID
	Reason      string
}

func (s *Service) TopUp(ctx context.Context, a Actor, r TopUpRequest) (Operation, error) {
	return Operation{}, errTODO
}
func (s *Service) Checkout(ctx context.Context, a Actor, r CheckoutRequest) (Operation, error) {
	return Operation{}, errTODO
}
func (s *Service) CashOut(ctx context.Context, a Actor, r CashOutRequest) (Operation, error) {
	return Operation{}, errTODO
}
func (s *Service) Transfer(ctx context.Context, a Actor, r TransferRequest) (Operation, error) {
	return Operation{}, errTODO
}
func (s *Service) MoveCash(ctx context.Context, a Actor, r CashMoveRequest) (Operation, error) {
	return Operation{}, errTODO
}
func (s *Service) Reverse(ctx context.Context, a Actor, r ReverseRequest) (Operation, error) {
	return Operation{}, errTODO
}

// ---- reading the books

func (s *Service) Operation(ctx context.Context, id OperationID) (Operation, error) {
	return Operation{}, errTODO
}

// DayOperations lists a day's operations, optionally only those touching one register.
func (s *Service) DayOperations(ctx context.Context, a Actor, d Date, register string) ([]Operation, error) {
	return nil, errTODO
}

// DayTotals is every register's totals for a day (RightPastTotals for days before today).
func (s *Service) DayTotals(ctx context.Context, a Actor, d Date) ([]DayTotals, error) {
	return nil, errTODO
}

// RangeTotals is every register's totals per day from..to inclusive, keyed by register id.
func (s *Service) RangeTotals(ctx context.Context, a Actor, from, to Date) (map[string][]DayTotals, error) {
	return nil, errTODO
}

// CheckReport lists every invariant violation found; empty means the books are sound.
type CheckReport struct {
	Operations int      `json:"operations"`
	Accounts   int      `json:"accounts"`
	Days       int      `json:"days"`
	Problems   []string `json:"problems"`
}

// Check verifies every ledger invariant of DESIGN.md against the stored data.
func (s *Service) Check(ctx context.Context) (CheckReport, error) { return CheckReport{}, errTODO }

// ---- staff, login, audit

func (s *Service) AddStaff(ctx context.Context, a Actor, name string, role Role, pin string) error {
	return errTODO
}
func (s *Service) DisableStaff(ctx context.Context, a Actor, name string) error { return errTODO }
func (s *Service) ResetPIN(ctx context.Context, a Actor, name, pin string) error {
	return errTODO
}
func (s *Service) StaffList(ctx context.Context) ([]Staff, error) { return nil, errTODO }

// Login checks a PIN; too many wrong ones lock the person out for a while.
func (s *Service) Login(ctx context.Context, name, pin string) (Actor, error) {
	return Actor{}, errTODO
}
func (s *Service) Audit(ctx context.Context, a Actor, since time.Time, limit int) ([]AuditEntry, error) {
	return nil, errTODO
}

// RecordAudit appends an audit line for an action that is not an operation
// (export, settings change, logout).
func (s *Service) RecordAudit(ctx context.Context, a Actor, action, subject, reason string) error {
	return errTODO
}

// Allowed reports whether the actor holds a right (for screens to hide what
// they may not do; the service checks again on every call).
func (s *Service) Allowed(a Actor, r Right) bool { return s.rights.allows(a.Role, r) }

// CanUseRegister reports whether the actor's role may use a register.
func (s *Service) CanUseRegister(a Actor, register string) bool {
	return s.rights.allowsRegister(a.Role, register)
}

// Subscribe returns a channel that receives a Change after every committed
// write, and a cancel func. Slow subscribers miss changes rather than block
// writers; a missed change only delays a screen refresh.
func (s *Service) Subscribe() (<-chan Change, func()) { return s.hub.subscribe() }

// Change says what kind of thing changed, so screens refresh only what they show.
type Change struct {
	What      string      `json:"what"` // "operation", "client", "booking", "inbox", "staff", "settings"
	Operation OperationID `json:"operation,omitempty"`
	ClientID  ClientID    `json:"client_id,omitempty"`
}
