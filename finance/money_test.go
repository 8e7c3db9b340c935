package finance_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

func TestParseAmount(t *testing.T) {
	cases := []struct {
		in, cur, loc string
		want         int64
	}{
		{"50", "EUR", "en", 5000},
		{"50.5", "EUR", "en", 5050},
		{"50.50", "EUR", "en", 5050},
		{" 1,234.50 ", "EUR", "en", 123450},
		{"1,234,567", "EUR", "en", 123456700},
		{"€50", "EUR", "en", 5000},
		{".5", "EUR", "en", 50},
		{"50,50", "UAH", "uk", 5050},
		{"50.50", "UAH", "uk", 5050},
		{"1 234,50", "UAH", "uk", 123450},
		{"1\u00a0234,50\u00a0₴", "UAH", "uk", 123450},
		{"1.234,50", "BRL", "pt-BR", 123450},
		{"R$ 1.234,50", "BRL", "pt-BR", 123450},
		{"50,5", "BRL", "pt-BR", 5050},
		{"50.50", "BRL", "pt-BR", 5050},
		{"1.500", "BRL", "pt-BR", 150000}, // grouping there
		{"1.234,5", "EUR", "de", 123450},
		{"1\u202f234,50", "EUR", "fr", 123450},
		{"1'234.50", "CHF", "de-CH", 123450},
		{"12,34,567.89", "INR", "en-IN", 123456789},
		{"500", "JPY", "ja", 500},
		{"1,000", "JPY", "en", 1000},
		{"1.250", "KWD", "en", 1250},
		{"92233720368547758.07", "EUR", "en", 9223372036854775807},
		{"50", "EUR", "", 5000},
	}
	for _, c := range cases {
		got, err := finance.ParseAmount(c.in, c.cur, c.loc)
		if err != nil || got != c.want {
			t.Errorf("ParseAmount(%q, %s, %s) = %d, %v; want %d", c.in, c.cur, c.loc, got, err, c.want)
		}
	}
}

func TestParseAmountRefusals(t *testing.T) {
	cases := []struct {
		in, cur, loc, why string
	}{
		{"", "EUR", "en", "enter an amount"},
		{"   ", "EUR", "en", "enter an amount"},
		{"-5", "EUR", "en", "negative"},
		{"−5", "EUR", "en", "negative"},
		{"0", "EUR", "en", "more than zero"},
		{"0.00", "EUR", "en", "more than zero"},
		{"5a", "EUR", "en", "letters"},
		{"five", "EUR", "en", "letters"},
		{"50 EUR", "EUR", "en", "letters"},
		{"50.505", "EUR", "en", "2 decimal places"},
		{"5.5", "JPY", "ja", "no decimal places"},
		{"50,50", "EUR", "en", "grouping"}, // a decimal comma is not English
		{"50,50", "CHF", "de-CH", "not used"},
		{"1.2.3", "EUR", "en", "more than one"},
		{"50,5.5", "UAH", "uk", "more than one"},
		{"92233720368547758.08", "EUR", "en", "too large"},
		{"99999999999999999999999", "EUR", "en", "too large"},
		{"5%", "EUR", "en", "unexpected"},
		{"1,,000", "EUR", "en", "misplaced"},
		{"50.", "EUR", "en", ""}, // accepted: see below
		{"50", "XXQ", "en", "unknown currency"},
	}
	for _, c := range cases {
		got, err := finance.ParseAmount(c.in, c.cur, c.loc)
		if c.in == "50." {
			if err != nil || got != 5000 {
				t.Errorf("%q: %d, %v", c.in, got, err)
			}
			continue
		}
		if !errors.Is(err, finance.ErrInvalid) {
			t.Errorf("ParseAmount(%q, %s, %s) = %d, %v; want ErrInvalid", c.in, c.cur, c.loc, got, err)
			continue
		}
		if !strings.Contains(err.Error(), c.why) {
			t.Errorf("ParseAmount(%q): %q does not say %q", c.in, err, c.why)
		}
	}
	if v, err := finance.ParseAmountAllowZero("0", "EUR", "en"); err != nil || v != 0 {
		t.Errorf("ParseAmountAllowZero(0) = %d, %v", v, err)
	}
	if _, err := finance.ParseAmountAllowZero("-1", "EUR", "en"); !errors.Is(err, finance.ErrInvalid) {
		t.Errorf("ParseAmountAllowZero(-1) = %v", err)
	}
}

func TestFormat(t *testing.T) {
	const nb, nnb = "\u00a0", "\u202f"
	cases := []struct {
		cur, loc    string
		minor       int64
		full, plain string
	}{
		{"EUR", "en", 123450, "€1,234.50", "1234.50"},
		{"EUR", "en", -2000, "-€20.00", "-20.00"},
		{"EUR", "en", 0, "€0.00", "0.00"},
		{"UAH", "uk", 123450, "1" + nb + "234,50" + nb + "₴", "1234,50"},
		{"BRL", "pt-BR", 123450, "R$" + nb + "1.234,50", "1234,50"},
		{"EUR", "de", 123450, "1.234,50" + nb + "€", "1234,50"},
		{"EUR", "fr", 123450, "1" + nnb + "234,50" + nb + "€", "1234,50"},
		{"JPY", "ja", 1234, "￥1,234", "1234"},
		{"USD", "en", 5, "$0.05", "0.05"},
		{"KWD", "en", 1234567, "KWD" + nb + "1,234.567", "1234.567"},
		{"EUR", "", 100, "€1.00", "1.00"},
	}
	for _, c := range cases {
		f, err := finance.NewFormatter(c.cur, c.loc)
		if err != nil {
			t.Fatalf("%s/%s: %v", c.cur, c.loc, err)
		}
		if got := f.Format(c.minor); got != c.full {
			t.Errorf("%s/%s Format(%d) = %q, want %q", c.cur, c.loc, c.minor, got, c.full)
		}
		if got := f.Plain(c.minor); got != c.plain {
			t.Errorf("%s/%s Plain(%d) = %q, want %q", c.cur, c.loc, c.minor, got, c.plain)
		}
		// What Plain prints parses back to the same amount.
		if c.minor > 0 {
			back, err := finance.ParseAmount(f.Plain(c.minor), c.cur, c.loc)
			if err != nil || back != c.minor {
				t.Errorf("%s/%s: Plain(%d) parses back as %d, %v", c.cur, c.loc, c.minor, back, err)
			}
			back, err = finance.ParseAmount(f.Format(c.minor), c.cur, c.loc)
			if err != nil || back != c.minor {
				t.Errorf("%s/%s: Format(%d) parses back as %d, %v", c.cur, c.loc, c.minor, back, err)
			}
		}
	}
	if _, err := finance.NewFormatter("NOPE", "en"); !errors.Is(err, finance.ErrInvalid) {
		t.Errorf("unknown currency: %v", err)
	}
	f, _ := finance.NewFormatter("jpy", "en")
	if f.Digits() != 0 || f.Currency() != "JPY" {
		t.Errorf("JPY digits %d currency %s", f.Digits(), f.Currency())
	}
}

func TestDecimal(t *testing.T) {
	cases := []struct {
		minor  int64
		digits int
		sep    string
		want   string
	}{
		{123450, 2, ".", "1234.50"},
		{5, 2, ".", "0.05"},
		{-5, 2, ".", "-0.05"},
		{0, 2, ",", "0,00"},
		{-123450, 2, ",", "-1234,50"},
		{1234, 0, ".", "1234"},
		{-1234, 0, ".", "-1234"},
		{7, 3, ".", "0.007"},
		{-9223372036854775808, 2, ".", "-92233720368547758.08"},
		{9223372036854775807, 2, ".", "92233720368547758.07"},
	}
	for _, c := range cases {
		if got := finance.Decimal(c.minor, c.digits, c.sep); got != c.want {
			t.Errorf("Decimal(%d, %d, %q) = %q, want %q", c.minor, c.digits, c.sep, got, c.want)
		}
	}
}
