package finance

import (
	"context"
	"time"
)

// Store is the persistence the domain needs. Package store implements it on
// bbolt. Every rule in this package runs inside one Update, so an operation,
// its balances, indexes, day aggregates, audit line and inbox mark commit
// together or not at all. fn may be called once; it must not keep tx.
type Store interface {
	View(ctx context.Context, fn func(tx ReadTx) error) error
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Page asks for at most Limit items after a cursor (0 = from the start).
type Page struct {
	Before OperationID // newest-first listings: only IDs below this (0 = newest)
	Limit  int
}

// ReadTx is a consistent read-only view. Lookups of missing things return an
// error wrapping ErrNotFound.
type ReadTx interface {
	Settings() (Settings, error) // ErrNotInitialized before setup

	Client(id ClientID) (Client, error)
	ClientByPhone(e164 string) (Client, error)
	// SearchClients matches q against name words (prefix, case- and
	// accent-insensitive) and phone digits (substring of at least 3 digits);
	// empty q lists clients by name. At most limit results, ordered by name.
	SearchClients(q string, limit int) ([]Client, error)
	ClientCount() (int, error)

	// Balance is the raw sum of an account's postings plus, for a register,
	// its start balance. A client's deposit is credit-normal: what the
	// business owes the client is -Balance(ClientAccount(id)).
	Balance(acc AccountID) (int64, error)

	Operation(id OperationID) (Operation, error)
	OperationByKey(key string) (Operation, error)
	// ClientOperations lists a client's operations newest first.
	ClientOperations(id ClientID, p Page) ([]Operation, error)
	// DayOperations lists a business day's operations oldest first.
	DayOperations(d Date) ([]Operation, error)
	// BookingOperations lists the operations that name a booking, oldest first.
	BookingOperations(bookingID string) ([]Operation, error)
	// ForEachOperation walks every operation in ID order (for checks and export).
	ForEachOperation(fn func(Operation) error) error
	LastOperationID() (OperationID, error)

	// RegisterDay reads one register's stored aggregate for a day without
	// scanning operations. A day with no postings still has an opening
	// (= the closing of the last earlier day with postings, or the start balance).
	RegisterDay(register string, d Date) (DayTotals, error)
	// RegisterDays reads the aggregates for from..to inclusive, one per day.
	RegisterDays(register string, from, to Date) ([]DayTotals, error)

	Booking(id string) (Booking, error)
	Bookings(f BookingFilter) ([]Booking, error)
	Refund(key string) (Refund, error)
	BookingRefunds(bookingID string) ([]Refund, error)

	Staff(name string) (Staff, error)
	StaffList() ([]Staff, error)
	Audit(since time.Time, limit int) ([]AuditEntry, error) // oldest first

	InboxEvent(id string) (ProviderEvent, error)
	// Inbox lists events newest first (by received time), at most limit.
	Inbox(limit int) ([]ProviderEvent, error)
	// DueEvents lists pending or failed events whose NextTry <= now, in Created order.
	DueEvents(now time.Time, limit int) ([]ProviderEvent, error)
	InboxStats() (InboxStats, error)
	Cursor(name string) (string, error) // provider poll cursors; "" when unset

	// DayClose reads one register's close of a day; DayCloses every close
	// of a day, by register id. LastClose is a register's latest close
	// (ErrNotFound: never closed).
	DayClose(d Date, register string) (DayClose, error)
	DayCloses(d Date) ([]DayClose, error)
	LastClose(register string) (DayClose, error)
	// DaySeal reads a sealed day's seal; LastSeal the newest (ErrNotFound:
	// none); ForEachSeal walks the chain oldest first.
	DaySeal(d Date) (DaySeal, error)
	LastSeal() (DaySeal, error)
	ForEachSeal(fn func(DaySeal) error) error
	// OperationDayBefore is the latest business date before d with any
	// operation ("" when none); RegisterDayBefore the latest before d with a
	// posting to the register. Both are one index seek.
	OperationDayBefore(d Date) (Date, error)
	// DayOperationIDs lists the ids the day index holds for d, without
	// reading the operations.
	DayOperationIDs(d Date) ([]OperationID, error)
	RegisterDayBefore(register string, d Date) (Date, error)
}

// AuditTailReader is a ReadTx that reads the audit log from its newest end,
// so a screen of recent entries costs only those entries. Optional: without
// it, RecentAudit reads from since and keeps the tail.
type AuditTailReader interface {
	AuditNewest(since time.Time, limit int) ([]AuditEntry, error) // newest first
}

// Tx is a read-write transaction.
type Tx interface {
	ReadTx

	PutSettings(s Settings) error
	// CreateClient assigns the ID; a phone already taken is ErrConflict.
	CreateClient(c Client) (Client, error)
	UpdateClient(c Client) error
	// AppendOperation assigns op.ID, stores it with its key, client, day and
	// booking indexes, applies its postings to stored balances and to the
	// per-register day aggregates. It trusts the caller (the domain rules)
	// for validity, but refuses postings that don't sum to zero.
	AppendOperation(op *Operation) error
	// MarkReversed sets original.ReversedBy = reversal.
	MarkReversed(original, reversal OperationID) error

	PutBooking(b Booking) error
	PutRefund(r Refund) error
	PutStaff(s Staff) error
	AppendAudit(e *AuditEntry) error // assigns Seq

	PutInboxEvent(e ProviderEvent) error
	SetCursor(name, value string) error

	// PutDayClose stores a register's close of a day and PutDaySeal a day's
	// seal. Both are written once: a second one for the same day (and
	// register) is ErrConflict, since a closed day is never reopened.
	PutDayClose(c DayClose) error
	PutDaySeal(s DaySeal) error
}

// BookingFilter selects bookings; zero values match everything.
type BookingFilter struct {
	Status    BookingStatus
	RefundDue bool // canceled with money left to refund
	ClientID  ClientID
	Limit     int
	Newest    bool // latest start first (default: earliest first)
}

// InboxStats summarises the inbox for the header badge.
type InboxStats struct {
	Total        int       `json:"total"`
	Pending      int       `json:"pending"`
	Failed       int       `json:"failed"`
	Flagged      int       `json:"flagged"`
	LastReceived time.Time `json:"last_received"`
	LastError    string    `json:"last_error,omitempty"`
}

// InboxFilterReader is a ReadTx that lists inbox events by a test, newest
// first, without their raw bodies (store.DB's does); a ReadTx without it
// is read through Inbox.
type InboxFilterReader interface {
	InboxWhere(keep func(ProviderEvent) bool, limit int) ([]ProviderEvent, error)
}

// ChangeLog is a ReadTx that lists what was written after a point, so a
// replica can ship everything after its cursor without scanning. Operations
// and audit entries are numbered in the order they were written already;
// records that change in place (clients, bookings, refunds, staff) are
// numbered in a change log the store writes in the same transaction.
// Optional: store.DB's transactions implement it.
type ChangeLog interface {
	// OperationsAfter lists operations with IDs above after, in ID order.
	OperationsAfter(after OperationID, limit int) ([]Operation, error)
	// AuditAfter lists audit entries with Seq above after, in Seq order.
	AuditAfter(after uint64, limit int) ([]AuditEntry, error)
	// ChangesAfter lists change-log entries with Seq above after, in order.
	ChangesAfter(after uint64, limit int) ([]ChangeEntry, error)
	// Heads are the newest operation ID, audit Seq and change Seq.
	Heads() (Heads, error)
}

// ChangeKind says what kind of record a change-log entry names.
type ChangeKind string

const (
	ChangeClient  ChangeKind = "client"
	ChangeBooking ChangeKind = "booking"
	ChangeRefund  ChangeKind = "refund"
	ChangeStaff   ChangeKind = "staff"
	ChangeClose   ChangeKind = "close" // ID: "<date>/<register>"
	ChangeSeal    ChangeKind = "seal"  // ID: the sealed date
)

// ChangeEntry says that one record was written (created or changed); the record
// itself is read as it is now.
type ChangeEntry struct {
	Seq  uint64     `json:"seq"`
	Kind ChangeKind `json:"kind"`
	ID   string     `json:"id"` // client id in decimal, booking id, refund key, staff name, close, seal
}

// Heads are where a location's append-only sequences stand.
type Heads struct {
	Operation OperationID `json:"operation"`
	Audit     uint64      `json:"audit"`
	Change    uint64      `json:"change"`
}
