package finance

import "time"

// Money is an amount in minor units (cents, kopiyky) of one ISO 4217 currency.
// A location has exactly one currency, so most of the domain carries bare
// int64 minor units and attaches the currency only at the edges.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Date is a business date, "YYYY-MM-DD", in the location's time zone.
// Its string form sorts chronologically, which the store's keys rely on.
type Date string

// AccountID names a ledger account. Fixed accounts are constants; registers
// and client deposits are built with RegisterAccount and ClientAccount.
//
//	register/<register id>   a cash drawer, card terminal, online provider or bank
//	client/<client id>       what the business owes a client (credit-normal)
//	prepaid                  money taken online for bookings not yet served
//	revenue, fees, paid_in_out
type AccountID string

const (
	AccountPrepaid   AccountID = "prepaid"
	AccountRevenue   AccountID = "revenue"
	AccountFees      AccountID = "fees"
	AccountPaidInOut AccountID = "paid_in_out" // counterpart of paid-in / paid-out with a reason
	AccountOverShort AccountID = "over_short"  // counterpart of a drawer count's difference at close
	// AccountDisputes holds what the provider withdrew for open disputes:
	// the money is no longer in the provider's register, nor yet lost.
	AccountDisputes AccountID = "disputes"
)

// RegisterKind is what kind of cash register an account is.
type RegisterKind string

const (
	RegisterCash   RegisterKind = "cash"
	RegisterCard   RegisterKind = "card"
	RegisterOnline RegisterKind = "online" // a payment provider such as Stripe
	RegisterBank   RegisterKind = "bank"
)

// Register is a cash register: somewhere money physically or electronically sits.
type Register struct {
	ID           string       `json:"id" toml:"id"`     // short slug: "cash", "card", "stripe", "bank"
	Name         string       `json:"name" toml:"name"` // "Cash drawer"
	Kind         RegisterKind `json:"kind" toml:"kind"`
	StartBalance int64        `json:"start_balance" toml:"start_balance"` // minor units, before the first operation
}

// Settings describe the location. They are written by first-run setup and
// stored in the database, so every process on the file agrees on them.
type Settings struct {
	Location    string     `json:"location"`        // "Studio Mila"
	Currency    string     `json:"currency"`        // ISO 4217, "EUR"
	Locale      string     `json:"locale"`          // BCP 47 for formatting, "en", "uk", "pt-BR"
	TimeZone    string     `json:"time_zone"`       // IANA, "Europe/Kyiv"
	PhoneRegion string     `json:"phone_region"`    // ISO 3166 alpha-2 default for phone parsing, "UA"
	Registers   []Register `json:"registers"`       // in display order
	CreditLimit int64      `json:"credit_limit"`    // default deposit floor: how far below zero a client may go (0 = no credit)
	OnlineRegID string     `json:"online_register"` // register that online provider money lands in, default "stripe"
	BankRegID   string     `json:"bank_register"`   // register payouts land in, default "bank"
	SchemaNote  string     `json:"-"`
}

// ClientID identifies a client; assigned by the store, never reused.
type ClientID uint64

// Client is a customer with a deposit account.
type Client struct {
	ID          ClientID  `json:"id"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone"` // E.164, unique
	Email       string    `json:"email,omitempty"`
	Note        string    `json:"note,omitempty"`
	CreditLimit int64     `json:"credit_limit"` // this client's floor below zero, minor units (0 = no credit)
	Created     time.Time `json:"created"`
}

// OperationID identifies an operation; assigned by the store in posting order.
type OperationID uint64

// OpKind is what staff see as the operation's type in Finance.
type OpKind string

const (
	OpTopUp            OpKind = "top_up"
	OpCheckout         OpKind = "checkout"
	OpCashOut          OpKind = "cash_out"
	OpTransfer         OpKind = "transfer"
	OpPaidIn           OpKind = "paid_in"
	OpPaidOut          OpKind = "paid_out"
	OpReversal         OpKind = "reversal"
	OpOnlinePrepayment OpKind = "online_prepayment"
	OpRefund           OpKind = "refund"            // back to the card through the provider
	OpRefundToDeposit  OpKind = "refund_to_deposit" // into the client's deposit instead
	OpProviderFee      OpKind = "provider_fee"
	OpPayout           OpKind = "payout"
	OpOverShort        OpKind = "over_short"        // a counted drawer's difference from what was expected, at close
	OpDispute          OpKind = "dispute"           // funds withdrawn for a dispute, reinstated, or lost
	OpProviderReversal OpKind = "provider_reversal" // the provider undid what it reported (a failed refund or payout)
)

// Posting moves Amount into (debit, +) or out of (credit, -) one account.
// An operation's postings sum to zero.
type Posting struct {
	Account AccountID `json:"account"`
	Amount  int64     `json:"amount"`
}

// LineItem is one service or product sold at checkout.
type LineItem struct {
	Description string `json:"description"`
	UnitPrice   int64  `json:"unit_price"`
	Quantity    int64  `json:"quantity"`
}

// Operation is one money movement as staff see it in Finance. Operations are
// append-only: never edited, never deleted; a mistake is undone by a reversal.
type Operation struct {
	ID           OperationID `json:"id"`
	Key          string      `json:"key"`          // idempotency key
	RequestHash  string      `json:"request_hash"` // hash of the request that made it, for key conflicts
	Kind         OpKind      `json:"kind"`
	BusinessDate Date        `json:"business_date"`
	Time         time.Time   `json:"time"`
	Staff        string      `json:"staff"` // who did it ("stripe" for the sync worker)
	ClientID     ClientID    `json:"client_id,omitempty"`
	BookingID    string      `json:"booking_id,omitempty"`
	Comment      string      `json:"comment,omitempty"` // note or reason
	Lines        []LineItem  `json:"lines,omitempty"`
	Postings     []Posting   `json:"postings"`
	Reverses     OperationID `json:"reverses,omitempty"`     // set on a reversal: the original
	ReversedBy   OperationID `json:"reversed_by,omitempty"`  // set on the original once reversed
	ProviderRef  string      `json:"provider_ref,omitempty"` // provider object id: pi_..., re_..., po_...
	// BelongsTo is set when the day the operation happened on was already
	// closed: it is dated on the first open day and names the day it belongs to.
	BelongsTo Date `json:"belongs_to,omitempty"`
}

// DayTotals is one register's business day: what it opened with, what came
// in and went out, and the net by operation kind. Closing = Opening + In - Out.
type DayTotals struct {
	Register string           `json:"register"`
	Date     Date             `json:"date"`
	Opening  int64            `json:"opening"`
	In       int64            `json:"in"`
	Out      int64            `json:"out"` // positive number
	Closing  int64            `json:"closing"`
	ByKind   map[OpKind]int64 `json:"by_kind"` // net per kind (in - out)
	Count    int              `json:"count"`   // postings to this register that day
}

// BookingStatus tracks a booking made online.
type BookingStatus string

const (
	BookingPrepaid  BookingStatus = "prepaid"  // money taken, not yet served
	BookingServed   BookingStatus = "served"   // checked out at the desk
	BookingCanceled BookingStatus = "canceled" // canceled; refund due if money remains
	BookingRefunded BookingStatus = "refunded" // canceled and fully refunded
)

// Booking is an appointment or group event prepaid through the booking widget.
type Booking struct {
	ID            string        `json:"id"` // the booking system's id (metadata booking_id)
	ClientID      ClientID      `json:"client_id"`
	Service       string        `json:"service"`
	StartsAt      time.Time     `json:"starts_at"`
	GroupEvent    bool          `json:"group_event"`
	Total         int64         `json:"total"`    // booking price, minor units
	Paid          int64         `json:"paid"`     // prepaid online so far
	Refunded      int64         `json:"refunded"` // refunded (card or deposit) so far
	Status        BookingStatus `json:"status"`
	Flag          string        `json:"flag,omitempty"`           // for an admin: e.g. partial prepayment of a group event
	PaymentIntent string        `json:"payment_intent,omitempty"` // the latest payment; Payers has them all
	// Payers is every payment toward the booking, one per payment: a group
	// event paid by several people lists each. Bookings stored before it
	// have none; PayerList makes their one payer from the fields above.
	Payers  []BookingPayer `json:"payers,omitempty"`
	Created time.Time      `json:"created"`
	Updated time.Time      `json:"updated"`
}

// BookingPayer is one payment toward a booking: through which provider
// payment, by whom, how much, and how much of it has gone back (to the card
// or to the payer's deposit). Refunds go back to the payers, never all to
// one of them.
type BookingPayer struct {
	Provider   string   `json:"provider,omitempty"`
	PaymentRef string   `json:"payment_ref,omitempty"` // the provider's payment id (pi_...)
	ClientID   ClientID `json:"client_id,omitempty"`   // 0: the payment named no client paydesk could make
	Amount     int64    `json:"amount"`
	Refunded   int64    `json:"refunded,omitempty"`
	// CardRefunded is the part of Refunded that went back to the card
	// (a provider refund), which is what the provider's amount_refunded counts.
	CardRefunded int64 `json:"card_refunded,omitempty"`
	// Unmatched is the part of CardRefunded posted from a charge's
	// amount_refunded (webhook-only mode) before the refund's own id was
	// seen: a refund by id up to it was posted already. Matched lists the
	// refund ids so matched, so a repeated event matches once.
	Unmatched int64       `json:"unmatched,omitempty"`
	Matched   []string    `json:"matched,omitempty"`
	ProvenOp  OperationID `json:"proven_op,omitempty"` // the latest amount_refunded posting
}

// RefundStatus tracks a refund sent to the provider.
type RefundStatus string

const (
	RefundRequested RefundStatus = "requested" // key saved, provider not yet answered
	RefundPending   RefundStatus = "pending"   // provider accepted, not final
	RefundSucceeded RefundStatus = "succeeded" // posted to the ledger
	RefundFailed    RefundStatus = "failed"
)

// Refund is a refund of a booking to the card, saved before the provider call
// so that a crash or retry never refunds twice.
type Refund struct {
	Key         string       `json:"key"` // idempotency key sent to the provider
	BookingID   string       `json:"booking_id"`
	Amount      int64        `json:"amount"`
	Reason      string       `json:"reason"`
	Staff       string       `json:"staff"`
	Status      RefundStatus `json:"status"`
	ProviderRef string       `json:"provider_ref,omitempty"` // re_...
	Error       string       `json:"error,omitempty"`
	OperationID OperationID  `json:"operation_id,omitempty"`
	Created     time.Time    `json:"created"`
	Updated     time.Time    `json:"updated"`

	// Provider is who the card refund goes through: the provider of the
	// payment it refunds. "" on refunds saved before there were several
	// providers: the booking's payment says (ProviderName).
	Provider string `json:"provider,omitempty"`
	// Parts, when set, spread a card refund over the booking's payments
	// (a group event paid in parts): one provider refund per payment, each
	// with its own key. Empty: one refund of the booking's latest payment,
	// keyed by Key.
	Parts []RefundPart `json:"parts,omitempty"`
}

// RefundPart is the share of a card refund asked of one payment: never more
// than that payment has left, saved with its key before the provider call.
type RefundPart struct {
	PaymentRef  string       `json:"payment_ref"` // pi_...
	Amount      int64        `json:"amount"`
	Key         string       `json:"key"` // the provider's idempotency key for this part
	Status      RefundStatus `json:"status"`
	ProviderRef string       `json:"provider_ref,omitempty"` // re_...
	Error       string       `json:"error,omitempty"`
	OperationID OperationID  `json:"operation_id,omitempty"`
}

// InboxStatus is where a provider event stands.
type InboxStatus string

const (
	InboxPending InboxStatus = "pending"
	InboxApplied InboxStatus = "applied"
	InboxIgnored InboxStatus = "ignored" // a type paydesk does not act on
	InboxFailed  InboxStatus = "failed"  // apply failed; retried with backoff
	InboxFlagged InboxStatus = "flagged" // applied, but needs an admin (e.g. partial group prepayment)
	// InboxResolved is a flagged event an admin has closed, with the reason
	// in Resolution; the flag's reason stays in Error.
	InboxResolved InboxStatus = "resolved"
)

// InboxStatuses lists every inbox status, in the order the sync views name them.
func InboxStatuses() []InboxStatus {
	return []InboxStatus{InboxPending, InboxApplied, InboxIgnored, InboxFailed, InboxFlagged, InboxResolved}
}

// ProviderEvent is a payment provider's event, decoded into provider-neutral
// terms and kept durably in the inbox, keyed by the provider's event id.
type ProviderEvent struct {
	ID        string      `json:"id"`       // evt_...
	Provider  string      `json:"provider"` // "stripe"
	Type      EventType   `json:"type"`
	RawType   string      `json:"raw_type"` // payment_intent.succeeded
	Created   time.Time   `json:"created"`
	Received  time.Time   `json:"received"`
	Status    InboxStatus `json:"status"`
	Attempts  int         `json:"attempts"`
	NextTry   time.Time   `json:"next_try,omitempty"`
	Error     string      `json:"error,omitempty"`
	Operation OperationID `json:"operation,omitempty"`

	// Neutral payload: which fields are set depends on Type.
	ObjectID    string            `json:"object_id,omitempty"`   // pi_, ch_, re_, po_, dp_
	PaymentRef  string            `json:"payment_ref,omitempty"` // the payment intent the object belongs to
	Amount      int64             `json:"amount,omitempty"`
	Currency    string            `json:"currency,omitempty"`
	Fee         int64             `json:"fee,omitempty"`
	Refunds     []ProviderRefund  `json:"refunds,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	FailureText string            `json:"failure_text,omitempty"`
	// FeeCurrency is the currency of Fee (the provider's balance currency,
	// which need not be the payment's); "" = unknown yet.
	FeeCurrency string `json:"fee_currency,omitempty"`
	// Status of the provider object when it matters (a dispute's won/lost,
	// a checkout session's payment status).
	ObjectStatus string `json:"object_status,omitempty"`
	// Problem is set by the provider's decoder when the event must not post
	// (another account, live/test mode mismatch, an amount out of range):
	// it is flagged with this reason instead.
	Problem string `json:"problem,omitempty"`
	// Resolution is an admin's reason for closing a flagged event.
	Resolution string `json:"resolution,omitempty"`
	Raw        []byte `json:"raw,omitempty"` // the body as received, for re-decoding
}

// ProviderRefund is one refund as the provider reports it.
type ProviderRefund struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
	Status string `json:"status"`        // succeeded, pending, failed, canceled
	Key    string `json:"key,omitempty"` // our idempotency key from metadata, when we issued it
}

// EventType is a provider-neutral event kind.
type EventType string

const (
	EventPaymentSucceeded EventType = "payment_succeeded"
	EventPaymentFailed    EventType = "payment_failed"
	EventPaymentCanceled  EventType = "payment_canceled"
	EventPaymentPending   EventType = "payment_pending" // checkout completed, an async payment still to settle
	EventRefundUpdated    EventType = "refund_updated"
	EventFee              EventType = "fee"
	EventPayoutPaid       EventType = "payout_paid"
	EventPayoutFailed     EventType = "payout_failed" // failed or canceled: undoes a paid payout
	EventDisputeOpened    EventType = "dispute_opened"
	EventDisputeWithdrawn EventType = "dispute_funds_withdrawn"
	EventDisputeReinstate EventType = "dispute_funds_reinstated"
	EventDisputeClosed    EventType = "dispute_closed"
	EventUnknown          EventType = "unknown"
)

// Role is a staff member's role.
type Role string

const (
	RoleDesk    Role = "desk"
	RoleManager Role = "manager"
	RoleAdmin   Role = "admin"
)

// Staff is a person who uses paydesk.
type Staff struct {
	Name        string    `json:"name"` // unique
	Role        Role      `json:"role"`
	PINHash     []byte    `json:"pin_hash"`
	Disabled    bool      `json:"disabled"`
	FailedPINs  int       `json:"failed_pins"`
	LockedUntil time.Time `json:"locked_until,omitempty"`
	// Lockouts counts lockouts since the last good PIN or reset: each lasts
	// longer than the one before, the third until an admin resets the PIN.
	Lockouts         int       `json:"lockouts,omitempty"`
	LockedUntilReset bool      `json:"locked_until_reset,omitempty"`
	Created          time.Time `json:"created"`
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	Seq     uint64    `json:"seq"` // assigned by the store
	Time    time.Time `json:"time"`
	Staff   string    `json:"staff"`
	Action  string    `json:"action"`            // "top_up", "reverse", "login", "login_failed", "lockout", "export", "staff_add"...
	Subject string    `json:"subject,omitempty"` // what it was done to: "op 42", "client 7", "booking bk_1"
	Reason  string    `json:"reason,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}
