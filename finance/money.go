package finance

// Money parsing and formatting. Parsing accepts what a person types ("50",
// "50.5", "50.50", "50,50" where the locale uses a decimal comma, "1 234,50")
// and rejects everything else with an ErrInvalid that says why: negative,
// zero, more decimals than the currency has, overflow, letters, empty.
// Formatting follows the location's locale via CLDR data (bojanz/currency).

// ParseAmount parses a positive amount typed by a person into minor units of currency.
func ParseAmount(s, currency, locale string) (int64, error) { return 0, errTODO }

// ParseAmountAllowZero is ParseAmount that also accepts zero (e.g. "take 0 from the balance").
func ParseAmountAllowZero(s, currency, locale string) (int64, error) { return 0, errTODO }

// Formatter formats minor units for one location.
type Formatter struct {
	currency string
	locale   string
	digits   int
}

// NewFormatter builds a formatter; an unknown currency is ErrInvalid.
func NewFormatter(currency, locale string) (*Formatter, error) { return nil, errTODO }

// Format renders minor units with symbol and grouping: €1,234.50, 1 234,50 ₴.
func (f *Formatter) Format(minor int64) string { return "" }

// Plain renders minor units without symbol or grouping, in the locale's decimal
// separator: what a person would type back ("1234.50").
func (f *Formatter) Plain(minor int64) string { return "" }

// Currency is the ISO code.
func (f *Formatter) Currency() string { return f.currency }

// Digits is the currency's number of minor digits.
func (f *Formatter) Digits() int { return f.digits }

// ---- accounts and dates

// RegisterAccount is the ledger account of a cash register.
func RegisterAccount(id string) AccountID { return AccountID("register/" + id) }

// ClientAccount is the ledger account of a client's deposit.
func ClientAccount(id ClientID) AccountID { return AccountID("client/" + uitoa(uint64(id))) }

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
