package payments

import "strconv"

// numericCurrencies are the ISO 4217 numeric codes of the currencies a
// salon's provider may report (Monobank's ccy, Viva's CurrencyCode), to
// their alpha codes. A code not listed is refused, never guessed.
var numericCurrencies = map[int]string{
	980: "UAH", 978: "EUR", 840: "USD", 826: "GBP", 985: "PLN", 203: "CZK", 348: "HUF", 946: "RON",
	975: "BGN", 756: "CHF", 752: "SEK", 578: "NOK", 208: "DKK", 986: "BRL", 124: "CAD", 36: "AUD",
	392: "JPY", 949: "TRY", 933: "BYN", 498: "MDL", 981: "GEL", 51: "AMD", 944: "AZN", 398: "KZT",
	484: "MXN", 32: "ARS", 152: "CLP", 170: "COP", 604: "PEN", 858: "UYU", 710: "ZAR", 800: "UGX",
}

// CurrencyAlpha is the lowercase alpha code of an ISO 4217 numeric code
// (980 -> "uah"), as finance's events carry currencies.
func CurrencyAlpha(numeric int) (string, bool) {
	a, ok := numericCurrencies[numeric]
	if !ok {
		return "", false
	}
	b := []byte(a)
	for i := range b {
		b[i] += 'a' - 'A'
	}
	return string(b), true
}

// CurrencyAlphaText is CurrencyAlpha of a code written as text ("978").
func CurrencyAlphaText(numeric string) (string, bool) {
	n, err := strconv.Atoi(numeric)
	if err != nil {
		return "", false
	}
	return CurrencyAlpha(n)
}
