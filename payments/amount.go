package payments

import (
	"fmt"
	"strings"

	"github.com/paydesk/paydesk/finance"
)

// MajorToMinor reads an amount a provider writes in major units as a
// decimal ("3", "10.5", "110.00": LiqPay, Viva, PIX) into minor units of
// currency, exactly: never through a float. More decimals than the currency
// has are refused unless they are zeros; a sign, an exponent or anything
// but digits and one point is refused.
func MajorToMinor(s, currency string) (int64, error) {
	digits, ok := finance.CurrencyDigits(strings.ToUpper(currency))
	if !ok {
		return 0, fmt.Errorf("unknown currency %q", currency)
	}
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || !AllDigits(whole) || !AllDigits(frac) {
		return 0, fmt.Errorf("amount %q is not a plain decimal number", s)
	}
	if len(frac) > digits {
		if strings.Trim(frac[digits:], "0") != "" {
			return 0, fmt.Errorf("amount %q has more decimals than %s has", s, strings.ToUpper(currency))
		}
		frac = frac[:digits]
	}
	frac += strings.Repeat("0", digits-len(frac))
	all := strings.TrimLeft(whole+frac, "0")
	if len(all) > 18 {
		// 18 digits always fit an int64; finance flags anything beyond
		// MaxEventAmount anyway.
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	var n int64
	for _, c := range all {
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// MinorToMajor writes minor units of currency as the decimal a provider
// reads in major units ("3.00").
func MinorToMajor(n int64, currency string) (string, error) {
	digits, ok := finance.CurrencyDigits(strings.ToUpper(currency))
	if !ok {
		return "", fmt.Errorf("unknown currency %q", currency)
	}
	if n < 0 {
		return "", fmt.Errorf("negative amount %d", n)
	}
	return finance.Decimal(n, digits, "."), nil
}

// AllDigits reports whether s is nothing but ASCII digits.
func AllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
