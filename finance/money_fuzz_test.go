package finance_test

import (
	"errors"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// fuzzLocales are the locations the fuzzers parse for: a decimal point, a
// decimal comma with space grouping, '.' grouping, apostrophe grouping, and
// currencies with 2, 0 and 3 minor digits.
var fuzzLocales = []struct{ currency, locale string }{
	{"EUR", "en"}, {"UAH", "uk"}, {"BRL", "pt-BR"}, {"EUR", "de"}, {"CHF", "de-CH"},
	{"JPY", "ja"}, {"KWD", "ar"}, {"INR", "hi"}, {"PLN", "pl"},
}

// FuzzParseAmount: whatever is typed, the parser answers with a positive
// amount or an ErrInvalid, never a panic; what it accepts, formatted back
// for the location (plain, and with symbol and grouping), reads as the same
// amount.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"50", "50.5", "50,50", "1 234,50", "1.500", "€1,234.50", "12,34,567.89",
		"1'234.50", "-5", "0", "0.001", "9223372036854775807", "92233720368547758.07", "٥٠", "", " ", "abc",
		"1e3", "(5)", "5..0", "\u202e50", "\u00a01\u00a0000"} {
		for i := range fuzzLocales {
			f.Add(s, uint8(i), false)
		}
	}
	f.Fuzz(func(t *testing.T, s string, which uint8, allowZero bool) {
		loc := fuzzLocales[int(which)%len(fuzzLocales)]
		parse := finance.ParseAmount
		if allowZero {
			parse = finance.ParseAmountAllowZero
		}
		v, err := parse(s, loc.currency, loc.locale)
		if err != nil {
			if !errors.Is(err, finance.ErrInvalid) {
				t.Fatalf("%q: error %v is not ErrInvalid", s, err)
			}
			return
		}
		if v < 0 || (v == 0 && !allowZero) {
			t.Fatalf("%q (%s %s) parsed to %d", s, loc.currency, loc.locale, v)
		}
		fm, err := finance.NewFormatter(loc.currency, loc.locale)
		if err != nil {
			t.Fatal(err)
		}
		for _, back := range []string{fm.Plain(v), fm.Format(v)} {
			got, err := finance.ParseAmountAllowZero(back, loc.currency, loc.locale)
			if err != nil || got != v {
				t.Fatalf("%q (%s %s) = %d, formatted %q reads back as %d, %v", s, loc.currency, loc.locale, v, back, got, err)
			}
		}
	})
}

// FuzzNormalizePhone: a phone number is refused with ErrInvalid or comes
// back as E.164 (+ and digits), and normalizing that again changes nothing.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"050 123 4567", "+380501234567", "+1 (415) 555-0100", "0", "", "++380", "+",
		"050\x1b[31m1234567", "tel:+380501234567", "٠٥٠١٢٣٤٥٦٧", "+999999999999999999999", "050-123-45-67 ext. 9"} {
		for _, r := range []string{"UA", "US", "BR", "", "ZZ"} {
			f.Add(s, r)
		}
	}
	f.Fuzz(func(t *testing.T, s, region string) {
		got, err := finance.NormalizePhone(s, region)
		if err != nil {
			if !errors.Is(err, finance.ErrInvalid) {
				t.Fatalf("%q %q: error %v is not ErrInvalid", s, region, err)
			}
			return
		}
		if len(got) < 2 || got[0] != '+' {
			t.Fatalf("%q %q -> %q: not E.164", s, region, got)
		}
		for _, r := range got[1:] {
			if r < '0' || r > '9' {
				t.Fatalf("%q %q -> %q: not E.164", s, region, got)
			}
		}
		again, err := finance.NormalizePhone(got, region)
		if err != nil || again != got {
			t.Fatalf("%q %q -> %q, again -> %q %v", s, region, got, again, err)
		}
	})
}
