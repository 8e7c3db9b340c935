package finance

// Money parsing and formatting. Parsing accepts what a person types ("50",
// "50.5", "50.50", "50,50" where the locale uses a decimal comma, "1 234,50")
// and rejects everything else with an ErrInvalid that says why: negative,
// zero, more decimals than the currency has, overflow, letters, empty.
// Formatting follows the location's locale via CLDR data (bojanz/currency).

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bojanz/currency"
)

// ParseAmount parses a positive amount typed by a person into minor units of currency.
func ParseAmount(s, currency, locale string) (int64, error) {
	return parseAmount(s, currency, locale, false)
}

// ParseAmountAllowZero is ParseAmount that also accepts zero (e.g. "take 0 from the balance").
func ParseAmountAllowZero(s, currency, locale string) (int64, error) {
	return parseAmount(s, currency, locale, true)
}

// Formatter formats minor units for one location.
type Formatter struct {
	currency string
	locale   string
	digits   int

	full  *currency.Formatter // symbol and grouping
	plain *currency.Formatter // neither
}

// NewFormatter builds a formatter; an unknown currency is ErrInvalid.
func NewFormatter(code, locale string) (*Formatter, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	d, ok := currency.GetDigits(code)
	if !ok || code == "" {
		return nil, errf(ErrInvalid, "unknown currency %q", code)
	}
	loc := cldrLocale(locale)
	full := currency.NewFormatter(loc)
	full.MinDigits, full.MaxDigits = d, d
	plain := currency.NewFormatter(loc)
	plain.MinDigits, plain.MaxDigits = d, d
	plain.NoGrouping = true
	plain.CurrencyDisplay = currency.DisplayNone
	return &Formatter{currency: code, locale: loc.String(), digits: int(d), full: full, plain: plain}, nil
}

// Format renders minor units with symbol and grouping: €1,234.50, 1 234,50 ₴.
func (f *Formatter) Format(minor int64) string {
	a, err := currency.NewAmountFromInt64(minor, f.currency)
	if err != nil {
		return fmt.Sprintf("%d %s", minor, f.currency)
	}
	return stripBidi(f.full.Format(a))
}

// Plain renders minor units without symbol or grouping, in the locale's decimal
// separator: what a person would type back ("1234.50").
func (f *Formatter) Plain(minor int64) string {
	a, err := currency.NewAmountFromInt64(minor, f.currency)
	if err != nil {
		return fmt.Sprint(minor)
	}
	return stripBidi(f.plain.Format(a))
}

// Decimal writes minor units as a signed decimal with digits decimals after
// sep and nothing else: Decimal(-5, 2, ".") is "-0.05". The one such writer:
// Plain's fast path, the CSV export and the desk's fallback use it.
func Decimal(minor int64, digits int, sep string) string {
	s := strconv.FormatInt(minor, 10)
	if digits <= 0 {
		return s
	}
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + sep + s[len(s)-digits:]
}

// Currency is the ISO code.
func (f *Formatter) Currency() string { return f.currency }

// Digits is the currency's number of minor digits.
func (f *Formatter) Digits() int { return f.digits }

// Locale is the CLDR locale the formatter uses.
func (f *Formatter) Locale() string { return f.locale }

// cldrLocale maps a configured locale to one CLDR knows; an empty or unknown
// locale formats as English rather than as nothing.
func cldrLocale(id string) currency.Locale {
	id = strings.ReplaceAll(strings.TrimSpace(id), "_", "-")
	if id == "" {
		return currency.NewLocale("en")
	}
	l := currency.NewLocale(id)
	probe := currency.NewFormatter(l)
	a, _ := currency.NewAmountFromInt64(100, "EUR")
	if probe.Format(a) == "" {
		return currency.NewLocale("en")
	}
	return l
}

// separators are a locale's decimal and grouping marks, read off CLDR by
// formatting a known number, since the library keeps them private.
type separators struct {
	decimal string
	group   string
}

func localeSeparators(loc currency.Locale) separators {
	f := currency.NewFormatter(loc)
	f.MinDigits, f.MaxDigits = 2, 2
	f.CurrencyDisplay = currency.DisplayNone
	a, _ := currency.NewAmountFromInt64(123456789, "EUR") // 1,234,567.89
	var runs []string
	var cur strings.Builder
	for _, r := range stripBidi(f.Format(a)) {
		if unicode.IsDigit(r) {
			if cur.Len() > 0 {
				runs = append(runs, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if len(runs) < 2 {
		return separators{decimal: ".", group: ","}
	}
	return separators{decimal: runs[len(runs)-1], group: runs[0]}
}

func stripBidi(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u200e', '\u200f', '\u061c':
			return -1
		}
		return r
	}, s)
}

// parseAmount reads a typed amount. Where a mark could be read two ways the
// rule is: the locale's decimal mark, or '.', is a decimal point; the
// locale's grouping mark is grouping; in a locale that groups with '.'
// (pt-BR, de) a lone '.' followed by exactly three digits is grouping
// ("1.500" is fifteen hundred there) and otherwise a decimal point. Grouping
// with ',' or '.' must look like grouping (the last group has three digits),
// so "50,50" in English is refused rather than read as 5050.
func parseAmount(raw, code, locale string, allowZero bool) (int64, error) {
	bad := func(why string) error {
		return errf(ErrInvalid, "%q is not an amount: %s", raw, why)
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	digits, ok := currency.GetDigits(code)
	if !ok || code == "" {
		return 0, errf(ErrInvalid, "unknown currency %q", code)
	}
	loc := cldrLocale(locale)
	seps := localeSeparators(loc)

	s := strings.TrimFunc(asciiDigits(stripBidi(raw)), unicode.IsSpace)
	if s == "" {
		return 0, errf(ErrInvalid, "enter an amount")
	}
	// The symbol as Format writes it (CLDR's carries bidi marks, د.ك.‏,
	// which stripBidi removed from s), or its English form.
	syms := []string{}
	for _, l := range []currency.Locale{loc, currency.NewLocale("en")} {
		if sym, ok := currency.GetSymbol(code, l); ok && stripBidi(sym) != "" {
			syms = append(syms, stripBidi(sym))
		}
	}
	for _, sym := range syms {
		if strings.HasPrefix(s, sym) {
			s = strings.TrimFunc(s[len(sym):], unicode.IsSpace)
			break
		} else if strings.HasSuffix(s, sym) {
			s = strings.TrimFunc(s[:len(s)-len(sym)], unicode.IsSpace)
			break
		}
	}
	if s == "" {
		return 0, errf(ErrInvalid, "enter an amount")
	}
	if r, _ := utf8.DecodeRuneInString(s); r == '-' || r == '\u2212' || r == '(' {
		return 0, bad("negative amounts are not allowed")
	}

	groupMark := seps.group
	// A space is grouping only where the locale groups with one (fr, uk:
	// "5 000"), and then in groups of three, as any grouping mark.
	spaceGroups := strings.TrimFunc(groupMark, unicode.IsSpace) == ""
	isGroupSpace := func(r rune) bool { return spaceGroups && unicode.IsSpace(r) }
	isDecimal := func(r rune) bool {
		return string(r) == seps.decimal || (r == '.' && groupMark != ".")
	}
	isGroup := func(r rune) bool {
		if isGroupSpace(r) {
			return true
		}
		if string(r) == groupMark {
			return true
		}
		// Swiss-style apostrophe grouping, typed with either apostrophe.
		if (groupMark == "'" || groupMark == "’") && (r == '\'' || r == '’') {
			return true
		}
		return false
	}
	if strings.ContainsFunc(s, unicode.IsLetter) {
		return 0, bad("letters are not allowed")
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', isDecimal(r), isGroup(r), r == '.', r == ',':
		case unicode.IsSpace(r):
			return 0, bad("a space is not a digit grouping here")
		case unicode.IsLetter(r):
			return 0, bad("letters are not allowed")
		default:
			return 0, bad(fmt.Sprintf("unexpected character %q", r))
		}
	}

	// A '.' in a locale that groups with '.': decide which it is.
	dotIsDecimal := false
	if groupMark == "." && !strings.Contains(s, seps.decimal) && strings.Count(s, ".") == 1 {
		after := s[strings.Index(s, ".")+1:]
		dotIsDecimal = len(after) != 3
	}
	decPos := -1
	for i, r := range s {
		if isDecimal(r) || (r == '.' && dotIsDecimal) {
			if decPos >= 0 {
				return 0, bad("more than one decimal mark")
			}
			decPos = i
		} else if !isGroup(r) && !(r >= '0' && r <= '9') {
			// ',' in a decimal-point locale that does not group with it, or similar.
			return 0, bad(fmt.Sprintf("%q is not used in amounts here", r))
		}
	}
	intPart, frac := s, ""
	if decPos >= 0 {
		_, w := utf8.DecodeRuneInString(s[decPos:])
		intPart, frac = s[:decPos], s[decPos+w:]
	}
	for _, r := range frac {
		if r < '0' || r > '9' {
			return 0, bad("only digits may follow the decimal mark")
		}
	}
	if len(frac) > int(digits) {
		if digits == 0 {
			return 0, bad(code + " has no decimal places")
		}
		return 0, bad(fmt.Sprintf("%s has only %d decimal places", code, digits))
	}
	intDigits, err := ungroup(intPart, isGroupSpace)
	if err != nil {
		why := err.Error()
		if seps.decimal == "." && strings.Contains(intPart, ",") {
			why += " (decimals take a point here: 50.50)"
		}
		return 0, bad(why)
	}
	if intDigits == "" && frac == "" {
		return 0, bad("no digits")
	}

	var v int64
	for _, r := range intDigits + frac + strings.Repeat("0", int(digits)-len(frac)) {
		d := int64(r - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, bad("too large")
		}
		v = v*10 + d
	}
	if v == 0 && !allowZero {
		return 0, bad("must be more than zero")
	}
	return v, nil
}

// ungroup removes grouping from the integer part. Spaces may sit anywhere
// between digits; punctuation grouping must look like grouping: the first
// group 1-3 digits, the last exactly 3, the ones between 2 or 3 (Indian
// grouping, 12,34,567).
func ungroup(s string, isSpace func(rune) bool) (string, error) {
	var groups []string
	var cur strings.Builder
	punct := false
	lastWasMark := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			cur.WriteRune(r)
			lastWasMark = false
		case isSpace(r):
			if cur.Len() == 0 {
				return "", fmt.Errorf("misplaced grouping")
			}
			punct = true // spaces group in threes too: "50 50" is not fifty-fifty
			groups = append(groups, cur.String())
			cur.Reset()
			lastWasMark = true
		default:
			if cur.Len() == 0 {
				return "", fmt.Errorf("misplaced %q", r)
			}
			punct = true
			groups = append(groups, cur.String())
			cur.Reset()
			lastWasMark = true
		}
	}
	if lastWasMark {
		return "", fmt.Errorf("misplaced grouping")
	}
	groups = append(groups, cur.String())
	if punct && len(groups) > 1 {
		for i, g := range groups {
			switch {
			case i == 0 && (len(g) < 1 || len(g) > 3),
				i == len(groups)-1 && len(g) != 3,
				i > 0 && i < len(groups)-1 && (len(g) < 2 || len(g) > 3):
				return "", fmt.Errorf("digit grouping looks wrong")
			}
		}
	}
	return strings.Join(groups, ""), nil
}

// asciiDigits writes the digits of any script (Persian ۱۲۳, Arabic-Indic
// ١٢٣, Bengali ১২৩, Devanagari १२३) as 0-9, so what the desk shows in the
// locale's own digits can be typed back.
func asciiDigits(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r > unicode.MaxASCII && unicode.Is(unicode.Nd, r) }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r <= unicode.MaxASCII || !unicode.Is(unicode.Nd, r) {
			return r
		}
		// Unicode's decimal digits come in runs that start at zero.
		zero := r
		for unicode.Is(unicode.Nd, zero-1) {
			zero--
		}
		return '0' + (r-zero)%10
	}, s)
}

// ---- accounts and dates

// The prefixes of register and client deposit accounts. Only the functions
// below read or write them: everything else asks them.
const (
	registerPrefix = "register/"
	clientPrefix   = "client/"
)

// RegisterAccount is the ledger account of a cash register.
func RegisterAccount(id string) AccountID { return AccountID(registerPrefix + id) }

// AccountPrefixes are what every register account and every client deposit
// account begins with, for SQL that selects them by pattern (the central
// database's reports) rather than one by one.
func AccountPrefixes() (register, client string) { return registerPrefix, clientPrefix }

// ClientAccount is the ledger account of a client's deposit.
func ClientAccount(id ClientID) AccountID { return AccountID(clientPrefix + uitoa(uint64(id))) }

// RegisterOf is the register id of a register account (RegisterAccount's
// inverse); ok is false for any other account.
func RegisterOf(acc AccountID) (string, bool) {
	return strings.CutPrefix(string(acc), registerPrefix)
}

// IsClientAccount reports whether acc names a client deposit, well formed
// or not (ClientOf tells which client).
func IsClientAccount(acc AccountID) bool { return strings.HasPrefix(string(acc), clientPrefix) }

// ClientOf is the client of a client deposit account (ClientAccount's
// inverse); ok is false for any other account.
func ClientOf(acc AccountID) (ClientID, bool) {
	s, ok := strings.CutPrefix(string(acc), clientPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return ClientID(n), true
}

func uitoa(u uint64) string {
	if u == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	return string(b[i:])
}

// CurrencyDigits is an ISO 4217 currency's number of minor digits (the
// units every amount in paydesk counts in); ok is false for an unknown code.
func CurrencyDigits(code string) (int, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return 0, false
	}
	d, ok := currency.GetDigits(code)
	return int(d), ok
}
