package finance

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text from outside (a provider's events, with the booking widget's metadata,
// which a client typed) gets the cleaning staff input gets (stripTerminal)
// before anything stores or shows it. Ids must be plain: one with a control
// character is refused, since cleaning it would make it another id. Free
// text is cleaned here and cut to its field's length where it is applied
// (applyPayment), with a flag, because refusing the event would leave
// money taken and not booked.

// maxBookingIDLen bounds a booking id from a provider's metadata: it is a
// key, so an over-long one is refused, never cut into another booking's.
const maxBookingIDLen = 100

// plainID refuses an id that carries characters a terminal acts on, or
// that is longer than any provider's.
func plainID(field, v string) error {
	if len(v) > maxProviderIDLen {
		return errf(ErrInvalid, "%s is %d bytes long; at most %d", field, len(v), maxProviderIDLen)
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) || isBidiControl(r) }) {
		return errf(ErrInvalid, "%s %q has control characters", field, v)
	}
	return nil
}

// cleanEvent checks an event's ids and cleans its text, in place, before it
// is recorded (and again when its payload is filled in later).
func cleanEvent(e *ProviderEvent) error {
	for _, f := range []struct{ name, v string }{
		{"event id", e.ID}, {"provider", e.Provider}, {"event type", e.RawType}, {"object id", e.ObjectID},
		{"payment id", e.PaymentRef}, {"currency", e.Currency},
	} {
		if err := plainID(f.name, f.v); err != nil {
			return fmt.Errorf("event %q: %w", strings.ToValidUTF8(e.ID, "?"), err)
		}
	}
	for _, r := range e.Refunds {
		for _, v := range []string{r.ID, r.Status, r.Key} {
			if err := plainID("refund", v); err != nil {
				return fmt.Errorf("event %s: %w", e.ID, err)
			}
		}
	}
	e.FailureText, _ = cutText("failure text", e.FailureText, maxReasonLen)
	if len(e.Metadata) > 0 {
		md := make(map[string]string, len(e.Metadata))
		for k, v := range e.Metadata {
			// Lengths are each field's business where it is applied. The
			// booking id stays as sent: applying refuses one that is not
			// plain, visibly, where cleaning would file the money under
			// another id (and refusing here would stop the poller's batch).
			if k != MetaBookingID {
				v = stripTerminal(v)
			}
			md[stripTerminal(k)] = v
		}
		e.Metadata = md
	}
	return nil
}
