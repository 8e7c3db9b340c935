package finance

import (
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Service is the one place every caller (TUI, CLI, SSH sessions, sync worker)
// goes through: it checks rights, validates input, runs the ledger rules
// inside one Store transaction, writes the audit line in that same
// transaction, and tells subscribers that the books changed.
type Service struct {
	store  Store
	now    func() time.Time
	rights Rights
	hub    *hub
	// sessions are the PIN logins open in this process (sessions.go).
	sessions *sessions
	// locations caches time.LoadLocation by zone name (read from Settings).
	locs *locationCache

	maxPINTries int           // wrong PINs in a row before a lockout
	lockout     time.Duration // how long a lockout lasts
	pinCost     int           // bcrypt cost for PIN hashes

	closeRules CloseRules
	limits     Limits

	dummyOnce sync.Once // dummyHash
	dummy     []byte

	typical typicalCache // the median top-up of late (unusual.go)
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
	s := &Service{store: st, now: time.Now, hub: newHub(), sessions: newSessions(), locs: newLocationCache(),
		maxPINTries: 5, lockout: 5 * time.Minute, pinCost: bcrypt.DefaultCost}
	for _, o := range opts {
		o(s)
	}
	s.rights = mergeRights(s.rights, DefaultRights())
	return s
}

// Now is the service clock.
func (s *Service) Now() time.Time { return s.now() }

// The methods live by topic: post.go (the one posting path), ledger.go (money
// movements), clients.go, reads.go (books and totals), check.go (invariants),
// staff.go (setup, staff, login, audit), bookings.go (provider side).

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

// ---- money movements. Key is the idempotency key: the same key with the
// same request returns the first operation; with another request, ErrConflict.

type TopUpRequest struct {
	Key      string
	ClientID ClientID
	Amount   int64
	Register string
	Note     string
	Approval *Approval `json:"-"` // a manager's PIN for a right the actor lacks; not part of what posts
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
	Payments    []Tender // the rest, exactly, unless RestTo is set
	// RestTo is a register that takes whatever the prepayment, the deposit
	// and Payments leave to pay ("" = Payments must cover it exactly). The
	// empty field is left out of the request's hash, so keys stored before
	// it existed still replay.
	RestTo   string `json:",omitempty"`
	Note     string
	Approval *Approval `json:"-"` // a manager's PIN for a right the actor lacks; not part of what posts
}

type CashOutRequest struct {
	Key      string
	ClientID ClientID
	Amount   int64
	Register string
	Note     string
	Approval *Approval `json:"-"` // a manager's PIN for a right the actor lacks; not part of what posts
}

type TransferRequest struct {
	Key      string
	From, To string
	Amount   int64
	Note     string
	Approval *Approval `json:"-"` // a manager's PIN for a right the actor lacks; not part of what posts
}

// CashMoveRequest is a paid-in (In=true) or paid-out with a required reason.
type CashMoveRequest struct {
	Key      string
	Register string
	Amount   int64
	In       bool
	Reason   string
	Approval *Approval `json:"-"` // a manager's PIN for a right the actor lacks; not part of what posts
}

type ReverseRequest struct {
	Key         string
	OperationID OperationID
	Reason      string
	Approval    *Approval `json:"-"` // a manager's PIN for a right the actor lacks; not part of what posts
}

// ---- reading the books

// CheckReport lists every invariant violation found; empty means the books are sound.
type CheckReport struct {
	Operations int      `json:"operations"`
	Accounts   int      `json:"accounts"`
	Days       int      `json:"days"`
	SealedDays int      `json:"sealed_days"`
	Problems   []string `json:"problems"`
}

// ---- staff, login, audit

// Allowed reports whether the actor holds a right (for screens to hide what
// they may not do; the service checks again on every call).
func (s *Service) Allowed(a Actor, r Right) bool {
	return s.rights.allows(a.Role, r) && s.sessions.live(a)
}

// CanUseRegister reports whether the actor's role may use a register.
func (s *Service) CanUseRegister(a Actor, register string) bool {
	return s.rights.allowsRegister(a.Role, register)
}

// Subscribe returns a channel that receives a Change after every committed
// write, and a cancel func. Slow subscribers miss changes rather than block
// writers; one that missed some receives a ChangeMissed once it catches up,
// so a refresh after it sees every write.
func (s *Service) Subscribe() (<-chan Change, func()) { return s.hub.subscribe() }

// ChangeMissed is the What of a Change that stands for changes a subscriber
// missed while it was behind: anything may have changed.
const ChangeMissed = "missed"

// Change says what kind of thing changed, so screens refresh only what they show.
type Change struct {
	What      string      `json:"what"`            // "operation", "client", "booking", "inbox", "staff", "settings", ChangeMissed
	Staff     string      `json:"staff,omitempty"` // a "staff" change: who was changed
	Operation OperationID `json:"operation,omitempty"`
	ClientID  ClientID    `json:"client_id,omitempty"`
}
