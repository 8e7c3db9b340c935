package finance_test

import (
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// Every amount the desk shows can be typed back: Format then ParseAmount
// gives the same amount, over locales that group with commas, dots,
// spaces, apostrophes and Arabic marks, write their own digits, and put the
// symbol on either side.
func TestFormatParseRoundTrip(t *testing.T) {
	locales := []string{"en", "en-IN", "de", "de-CH", "fr", "uk", "ru", "pl", "pt-BR", "es", "it", "nl", "sv", "ja",
		"hi", "bn", "fa", "ar", "ar-EG", "ar-KW", "mr", "ne"}
	currencies := []string{"EUR", "USD", "UAH", "KWD", "JPY", "INR", "BDT", "IRR", "GBP", "CHF", "BRL", "PLN", "EGP"}
	amounts := []int64{1, 99, 100, 1050, 123456, 10000000, 123456789}
	for _, loc := range locales {
		for _, cur := range currencies {
			f, err := finance.NewFormatter(cur, loc)
			if err != nil {
				t.Fatalf("%s %s: %v", loc, cur, err)
			}
			for _, a := range amounts {
				for _, shown := range []string{f.Format(a), f.Plain(a)} {
					got, err := finance.ParseAmount(shown, cur, loc)
					if err != nil || got != a {
						t.Errorf("%s %s: %q parses as %d, %v; want %d", loc, cur, shown, got, err, a)
					}
				}
			}
		}
	}
}

// A space is grouping only where the locale groups with one, in threes.
func TestSpacesGroupOnlyInThrees(t *testing.T) {
	for _, c := range []struct {
		s, loc string
		want   int64 // 0: refused
	}{
		{"5 000", "fr", 500000},
		{"5 000", "uk", 500000},
		{"1 234 567,50", "uk", 123456750},
		{"50 50", "fr", 0},
		{"1 2 3", "fr", 0},
		{"50 50", "en", 0},
		{"5 000", "en", 0},
		{"۱۲۳٫۴۵", "fa", 12345},
		{"১,২৩৪.৫০", "bn", 123450},
		{"१,२३४.५०", "hi", 123450},
	} {
		got, err := finance.ParseAmount(c.s, "EUR", c.loc)
		if c.want == 0 && err == nil {
			t.Errorf("%q in %s = %d, want refused", c.s, c.loc, got)
		}
		if c.want != 0 && (err != nil || got != c.want) {
			t.Errorf("%q in %s = %d, %v; want %d", c.s, c.loc, got, err, c.want)
		}
	}
	f, err := finance.NewFormatter("KWD", "ar")
	if err != nil {
		t.Fatal(err)
	}
	if shown := f.Format(1234500); !strings.Contains(shown, "د.ك.") {
		t.Errorf("KWD in ar shows as %q", shown)
	} else if got, err := finance.ParseAmount(shown, "KWD", "ar"); err != nil || got != 1234500 {
		t.Errorf("%q parses as %d, %v", shown, got, err)
	}
}
