package stripe

import (
	"fmt"
	"strings"

	"github.com/paydesk/paydesk/finance"
)

// Stripe counts amounts in its own units per currency, which are not
// always ISO 4217's minor units (docs.stripe.com/currencies, the same at
// API 2023-10-16 and since):
//
//   - zero-decimal currencies: the amount is whole units (JPY 500 = ¥500);
//   - three-decimal currencies: thousandths, and refunds (and charges) must
//     end in 0;
//   - every other currency, ISK, HUF, TWD and UGX included: hundredths.
//     ISK and UGX are zero-decimal in ISO 4217 and in fact, but two-decimal
//     at Stripe "for backwards compatibility", the decimals always 00 (the
//     special cases on that page: "to charge 5 UGX, provide an amount value
//     of 500"; Stripe refuses an amount not divisible by 100), so 100 at
//     Stripe is 1 krona or shilling, 1 in paydesk. UGX is also in Stripe's
//     zero-decimal list, which the special case overrides: read as
//     zero-decimal, every UGX amount was 100 times too large. HUF and TWD are
//     two-decimal in both (Stripe pays them out in whole units only).
var (
	zeroDecimal = map[string]bool{
		"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true, "mga": true,
		"pyg": true, "rwf": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true,
	}
	threeDecimal = map[string]bool{"bhd": true, "jod": true, "kwd": true, "omr": true, "tnd": true}
)

// maxStripeAmount is Stripe's documented maximum charge: an amount of up
// to eight digits in Stripe's units (99999999 = $999,999.99). Anything
// larger cannot be a real charge, and is refused with a flag rather than
// posted, so a misread amount never jams a register near int64's limit.
const maxStripeAmount = 99_999_999

// stripeDigits is how many decimals Stripe's amounts carry in cur.
func stripeDigits(cur string) int {
	cur = strings.ToLower(cur)
	switch {
	case zeroDecimal[cur]:
		return 0
	case threeDecimal[cur]:
		return 3
	}
	return 2
}

// toMinor converts a Stripe amount in cur to paydesk's minor units of cur
// (ISO 4217 digits). An amount beyond Stripe's maximum, an unknown
// currency, or one that does not divide into whole minor units is an error
// in words, for the event's flag.
func toMinor(amount int64, cur string) (int64, error) {
	if amount < 0 {
		if amount < -maxStripeAmount { // math.MinInt64 has no positive twin
			return 0, fmt.Errorf("amount %d %s is below Stripe's minimum of -%d: not a real amount", amount, strings.ToUpper(cur), maxStripeAmount)
		}
		v, err := toMinor(-amount, cur)
		return -v, err
	}
	if amount > maxStripeAmount {
		return 0, fmt.Errorf("amount %d %s is above Stripe's maximum of %d: not a real charge", amount, strings.ToUpper(cur), maxStripeAmount)
	}
	iso, ok := finance.CurrencyDigits(cur)
	if !ok {
		return 0, fmt.Errorf("currency %q is not an ISO 4217 currency", cur)
	}
	for d := stripeDigits(cur); d < iso; d++ {
		amount *= 10 // at most 10^3 on eight digits: cannot overflow
	}
	for d := stripeDigits(cur); d > iso; d-- {
		if amount%10 != 0 {
			return 0, fmt.Errorf("amount %d %s is not a whole number of %s minor units", amount, strings.ToUpper(cur), strings.ToUpper(cur))
		}
		amount /= 10
	}
	return amount, nil
}

// fromMinor converts paydesk's minor units of cur to Stripe's amount,
// refusing what Stripe would refuse: three-decimal amounts not ending in 0,
// and amounts above the maximum.
func fromMinor(amount int64, cur string) (int64, error) {
	iso, ok := finance.CurrencyDigits(cur)
	if !ok {
		return 0, fmt.Errorf("%w: currency %q is not an ISO 4217 currency", finance.ErrInvalid, cur)
	}
	if amount <= 0 || amount > maxStripeAmount {
		return 0, fmt.Errorf("%w: amount %d %s is out of Stripe's range", finance.ErrInvalid, amount, strings.ToUpper(cur))
	}
	out := amount
	for d := iso; d < stripeDigits(cur); d++ {
		out *= 10
	}
	for d := iso; d > stripeDigits(cur); d-- {
		if out%10 != 0 {
			return 0, fmt.Errorf("%w: Stripe takes %s in whole units only: %d", finance.ErrInvalid, strings.ToUpper(cur), amount)
		}
		out /= 10
	}
	if out > maxStripeAmount {
		return 0, fmt.Errorf("%w: amount %d %s is above Stripe's maximum", finance.ErrInvalid, amount, strings.ToUpper(cur))
	}
	if threeDecimal[strings.ToLower(cur)] && out%10 != 0 {
		return 0, fmt.Errorf("%w: Stripe takes %s amounts only in multiples of 10 (the last digit must be 0): %d",
			finance.ErrInvalid, strings.ToUpper(cur), amount)
	}
	return out, nil
}
