package finance_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

func TestNormalizePhone(t *testing.T) {
	ok := []struct{ in, region, want string }{
		{"067 123 4567", "UA", "+380671234567"},
		{"(067) 123-45-67", "UA", "+380671234567"},
		{"+380 67 123 45 67", "UA", "+380671234567"},
		{"+380671234567", "", "+380671234567"},
		{"+1 650-253-0000", "UA", "+16502530000"},
		{"030 1234567", "de", "+49301234567"},
		{"(11) 91234-5678", "BR", "+5511912345678"},
	}
	for _, c := range ok {
		got, err := finance.NormalizePhone(c.in, c.region)
		if err != nil || got != c.want {
			t.Errorf("NormalizePhone(%q, %s) = %q, %v; want %q", c.in, c.region, got, err, c.want)
		}
	}
	bad := []struct{ in, region string }{
		{"", "UA"}, {"12", "UA"}, {"hello", "UA"}, {"067 123 4567", ""}, {"+380 12", "UA"}, {"0671234567890123", "UA"},
	}
	for _, c := range bad {
		if got, err := finance.NormalizePhone(c.in, c.region); !errors.Is(err, finance.ErrInvalid) {
			t.Errorf("NormalizePhone(%q, %s) = %q, %v; want ErrInvalid", c.in, c.region, got, err)
		}
	}
	if !finance.ValidPhoneRegion("ua") || finance.ValidPhoneRegion("QQ") {
		t.Error("ValidPhoneRegion")
	}
}

// A number cut short says so, not "not a phone number".
func TestShortPhoneSaysTooShort(t *testing.T) {
	for _, typed := range []string{"067123", "12", "+38067"} {
		_, err := finance.NormalizePhone(typed, "UA")
		if err == nil || !strings.Contains(err.Error(), "too short") {
			t.Errorf("%q: %v, want \"too short\"", typed, err)
		}
	}
}
