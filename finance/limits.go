package finance

import (
	"slices"
	"strings"
)

// Limits are the location's guards against money posted where nobody meant
// it (config [limits]): an amount no single desk operation may pass, the
// registers that may go below zero, and how long an admin's PIN must be.
type Limits struct {
	// MaxAmount bounds what one operation typed at the desk moves, in whole
	// units of the location's currency; 0 = DefaultMaxAmount. Reversals
	// and the payment sync are not bound: the one undoes what is there, the
	// other records money already taken.
	MaxAmount int64
	// NegativeRegisters may go below zero. Every other cash drawer's floor
	// is zero: a transfer, paid-out or cash-out that would take it lower is
	// refused, and `paydesk check` reports one that is.
	NegativeRegisters []string
	// AdminPINLength is the fewest digits an admin's PIN may have (4 to 8;
	// 0 = 4, as everyone's).
	AdminPINLength int
	// AskTwiceFactor: a desk operation moving more than this many times the
	// typical top-up (the median of the latest ones) is confirmed twice;
	// 0 = DefaultAskTwiceFactor, below 0 = never.
	AskTwiceFactor int64
}

// WithLimits sets the limits (default: the zero Limits, i.e. the defaults).
func WithLimits(l Limits) Option { return func(s *Service) { s.limits = l } }

// Limits is what the service was configured with.
func (s *Service) Limits() Limits { return s.limits }

// lowValueCurrencies scale DefaultMaxAmount for currencies whose unit is
// worth far less than a euro, so the default stays near €10,000 of money.
var lowValueCurrencies = map[string]int64{
	"JPY": 1_500_000, "KRW": 15_000_000, "HUF": 4_000_000, "CLP": 10_000_000, "COP": 45_000_000,
	"IDR": 170_000_000, "VND": 270_000_000, "IRR": 450_000_000, "UZS": 130_000_000, "ISK": 1_500_000,
	"INR": 900_000, "RUB": 1_000_000, "UAH": 450_000, "KZT": 5_000_000, "PKR": 3_000_000,
	"NGN": 15_000_000, "TRY": 350_000, "THB": 400_000, "PHP": 600_000, "CZK": 250_000,
	"MXN": 200_000, "ARS": 10_000_000, "EGP": 500_000, "BDT": 1_200_000, "LKR": 3_000_000,
	"KES": 1_500_000, "SEK": 120_000, "NOK": 120_000, "DKK": 75_000, "PLN": 45_000,
	"ZAR": 200_000, "BRL": 60_000, "CNY": 80_000, "HKD": 85_000, "TWD": 350_000,
	"RSD": 1_200_000, "AMD": 4_500_000, "GEL": 30_000, "MDL": 200_000, "AED": 40_000, "SAR": 40_000,
}

// DefaultMaxAmount is the per-operation limit when config sets none, in
// whole units of currency: 10,000 (a salon's week of takings, well past any
// one visit), scaled up for currencies of small units.
func DefaultMaxAmount(currency string) int64 {
	if n, ok := lowValueCurrencies[strings.ToUpper(currency)]; ok {
		return n
	}
	return 10_000
}

// maxMinor is the per-operation limit in minor units of the settings' currency.
func (s *Service) maxMinor(env postEnv) int64 {
	units := s.limits.MaxAmount
	if units <= 0 {
		units = DefaultMaxAmount(env.Settings.Currency)
	}
	v := units
	for range env.Fmt.Digits() {
		if v > (1<<63-1)/10 {
			return 1<<63 - 1
		}
		v *= 10
	}
	return v
}

// checkMaxAmount refuses a desk operation that moves more than the limit.
func (s *Service) checkMaxAmount(env postEnv, op Operation) error {
	if op.Kind == OpReversal {
		return nil
	}
	var moved int64
	for _, p := range op.Postings {
		if p.Amount > 0 {
			moved, _ = AddInt64(moved, p.Amount)
		}
	}
	if limit := s.maxMinor(env); moved > limit {
		return errf(ErrInvalid, "%s is more than one operation may move here (the limit is %s; config [limits] max_amount raises it)",
			env.Money(moved), env.Money(limit))
	}
	return nil
}

// hasFloor reports whether reg may not go below zero.
func (s *Service) hasFloor(reg Register) bool {
	return reg.Kind == RegisterCash && !slices.Contains(s.limits.NegativeRegisters, reg.ID)
}

// checkFloor refuses taking out from reg what it does not hold.
func (s *Service) checkFloor(tx ReadTx, env postEnv, reg Register, out int64) error {
	if !s.hasFloor(reg) {
		return nil
	}
	bal, err := tx.Balance(RegisterAccount(reg.ID))
	if err != nil {
		return err
	}
	if after, ok := AddInt64(bal, -out); !ok || after < 0 {
		return errf(ErrInsufficientFunds, "%s holds %s; taking %s out would leave it below zero", reg.Name,
			env.Money(bal), env.Money(out))
	}
	return nil
}
