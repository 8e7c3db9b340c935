package finance_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// Errors wrapped with fmt.Errorf("%w: ...") outside finance read at the
// screen's edge without the bare category in front; the sentinel still
// matches, and other texts are left alone.
func TestMessageDropsBareCategoryPrefix(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: no register %q", finance.ErrInvalid, "nope"), `no register "nope"`},
		{fmt.Errorf("%w: no staff member called %q", finance.ErrNotFound, "Ann"), `no staff member called "Ann"`},
		{fmt.Errorf("%w: the database already holds data", finance.ErrConflict), "the database already holds data"},
		{fmt.Errorf("booking %s: %w", "bk1", finance.ErrNotFound), "booking bk1: not found"},
		{fmt.Errorf("%w: booking bk1 is refunded in full already", finance.ErrRefundExceeds), "refund exceeds the paid amount: booking bk1 is refunded in full already"},
		{errors.New("invalid input: not ours"), "invalid input: not ours"},
		{finance.ErrInvalid, "invalid input"},
	} {
		if got := finance.Message(tt.err); got != tt.want {
			t.Errorf("Message(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
