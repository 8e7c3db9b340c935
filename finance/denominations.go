package finance

import "strings"

// Denomination is one note or coin of a currency, in minor units.
type Denomination struct {
	Value int64 `json:"value"`
	Coin  bool  `json:"coin"`
}

// denominations lists the notes and coins in circulation, largest first,
// for the currencies paydesk's locations use. A currency not listed is
// counted as a total.
var denominations = map[string]struct{ notes, coins []int64 }{
	"EUR": {[]int64{50000, 20000, 10000, 5000, 2000, 1000, 500}, []int64{200, 100, 50, 20, 10, 5, 2, 1}},
	"USD": {[]int64{10000, 5000, 2000, 1000, 500, 200, 100}, []int64{25, 10, 5, 1}},
	"GBP": {[]int64{5000, 2000, 1000, 500}, []int64{200, 100, 50, 20, 10, 5, 2, 1}},
	"UAH": {[]int64{100000, 50000, 20000, 10000, 5000, 2000}, []int64{1000, 500, 200, 100, 50, 10}},
	"PLN": {[]int64{50000, 20000, 10000, 5000, 2000, 1000}, []int64{500, 200, 100, 50, 20, 10, 5, 2, 1}},
	"CHF": {[]int64{100000, 20000, 10000, 5000, 2000, 1000}, []int64{500, 200, 100, 50, 20, 10, 5}},
	"BRL": {[]int64{20000, 10000, 5000, 2000, 1000, 500, 200}, []int64{100, 50, 25, 10, 5}},
	"CZK": {[]int64{500000, 200000, 100000, 50000, 20000, 10000}, []int64{5000, 2000, 1000, 500, 200, 100}},
}

// Denominations lists a currency's notes then coins, largest first; nil
// when paydesk does not know them.
func Denominations(currency string) []Denomination {
	d, ok := denominations[strings.ToUpper(currency)]
	if !ok {
		return nil
	}
	out := make([]Denomination, 0, len(d.notes)+len(d.coins))
	for _, v := range d.notes {
		out = append(out, Denomination{Value: v})
	}
	for _, v := range d.coins {
		out = append(out, Denomination{Value: v, Coin: true})
	}
	return out
}
