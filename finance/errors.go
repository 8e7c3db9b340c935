package finance

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, so callers branch with errors.Is and the screen's edge turns the rest
// of the chain into plain words with Message. ErrWrongPIN and ErrLockedOut
// refine ErrForbidden: an error wrapping either also matches ErrForbidden.
var (
	ErrInvalid           = errors.New("invalid input")       // a field is wrong: amount, phone, name...
	ErrNotFound          = errors.New("not found")           // unknown client, operation, booking, staff
	ErrConflict          = errors.New("conflict")            // duplicate phone, idempotency key reused for another request
	ErrInsufficientFunds = errors.New("insufficient funds")  // a deposit would drop below its floor
	ErrAlreadyReversed   = errors.New("already reversed")    // an operation may be reversed once
	ErrNotReversible     = errors.New("not reversible")      // a reversal is never itself reversed
	ErrForbidden         = errors.New("not allowed")         // the actor lacks a right; wraps *RightError
	ErrNotInitialized    = errors.New("database not set up") // no Settings yet: run setup first
	ErrLocked            = errors.New("database in use")     // another process holds the database file
	ErrRefundExceeds     = errors.New("refund exceeds the paid amount")
	ErrGroupPartial      = errors.New("group events must be prepaid in full")

	// Login refusals, so a login screen can tell "try again" from "wait"
	// without reading the words. A disabled person is plain ErrForbidden.
	ErrWrongPIN  error = &loginRefusal{"wrong PIN"}                            // the PIN did not match; tries remain
	ErrLockedOut error = &loginRefusal{"locked out after too many wrong PINs"} // this attempt or an earlier one used the last try
	// ErrSessionEnded: the login the actor came from was ended (the person
	// was disabled, got a new PIN or another role): log in again.
	ErrSessionEnded error = &loginRefusal{"the login was ended"}
)

// loginRefusal is a kind of ErrForbidden: existing errors.Is(err,
// ErrForbidden) checks keep treating every refused login as a refusal.
type loginRefusal struct{ msg string }

func (e *loginRefusal) Error() string { return e.msg }
func (e *loginRefusal) Unwrap() error { return ErrForbidden }

// RightError says which right an actor is missing.
type RightError struct {
	Staff string
	Role  Role
	Right Right
}

func (e *RightError) Error() string {
	return fmt.Sprintf("%s (%s) may not %s", e.Staff, e.Role, e.Right.Description())
}

func (e *RightError) Unwrap() error { return ErrForbidden }

// Message turns an error into the words shown to staff: the error text without
// Go's wrapping noise. Unknown (internal) errors keep their text too, since the
// desk operator is also the one who reads the log.
func Message(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	// fmt.Errorf("%w: ...", ErrInvalid) elsewhere puts the sentinel's bare
	// category in front ("invalid input: no register ..."); the words after
	// it already say what is wrong.
	for _, s := range []error{ErrInvalid, ErrNotFound, ErrConflict} {
		if rest, ok := strings.CutPrefix(msg, s.Error()+": "); ok && errors.Is(err, s) && rest != "" {
			return rest
		}
	}
	return msg
}

// domainError is a refusal in plain words that still matches its sentinel
// with errors.Is, without the sentinel's own text in front.
type domainError struct {
	sentinel error
	msg      string
}

func (e *domainError) Error() string { return e.msg }
func (e *domainError) Unwrap() error { return e.sentinel }

// errf makes a domainError: errf(ErrInvalid, "amount %s is too large", x).
func errf(sentinel error, format string, args ...any) error {
	return &domainError{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}

// PaymentMismatchError is a checkout whose payments do not add up to what is
// left to pay once the prepayment and the deposit are taken. It carries the
// figures so a caller can say it in its own terms (the CLI names its flags).
type PaymentMismatchError struct {
	Paid        int64 // the payments' sum
	Due         int64 // what was left for them to pay
	Total       int64
	Prepaid     int64 // applied from a prepaid booking
	FromBalance int64 // taken from the client's deposit
	msg         string
}

func (e *PaymentMismatchError) Error() string { return e.msg }
func (e *PaymentMismatchError) Unwrap() error { return ErrInvalid }
