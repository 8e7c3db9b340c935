package payments_test

import (
	"testing"

	"github.com/paydesk/paydesk/payments"
)

func TestMajorToMinor(t *testing.T) {
	for _, tc := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"3", "UAH", 300, true},
		{"10.5", "uah", 1050, true},
		{"110.00", "BRL", 11000, true},
		{"0.01", "EUR", 1, true},
		{"1.230", "EUR", 123, true}, // a trailing zero beyond the cents
		{"500", "JPY", 500, true},
		{"1.234", "KWD", 1234, true},
		{"1.234", "EUR", 0, false}, // a third decimal that is not zero
		{"0.1", "JPY", 0, false},
		{"-5", "EUR", 0, false},
		{"1e3", "EUR", 0, false},
		{"", "EUR", 0, false},
		{".5", "EUR", 0, false},
		{"1.2.3", "EUR", 0, false},
		{"12", "XXX1", 0, false},
		{"9999999999999999999", "EUR", 0, false},
	} {
		got, err := payments.MajorToMinor(tc.in, tc.cur)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("MajorToMinor(%q, %s) = %d, %v; want %d (ok %t)", tc.in, tc.cur, got, err, tc.want, tc.ok)
		}
		if tc.ok {
			back, err := payments.MinorToMajor(got, tc.cur)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := payments.MajorToMinor(back, tc.cur); err != nil || again != got {
				t.Errorf("round trip of %q: %q -> %d, %v", tc.in, back, again, err)
			}
		}
	}
}
