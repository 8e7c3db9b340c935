package finance

import (
	"fmt"
	"math/bits"
	"strings"
)

// A booking's payers: who paid what toward it, so a refund goes back to the
// people who paid (a group event is paid by several), never all to the last.

// PayerList is the booking's payers; a booking stored before payers were
// kept gets its one payer from its client, its payment and its totals.
func (b Booking) PayerList() []BookingPayer {
	if len(b.Payers) > 0 || b.Paid <= 0 {
		return b.Payers
	}
	return []BookingPayer{{PaymentRef: b.PaymentIntent, ClientID: b.ClientID, Amount: b.Paid, Refunded: b.Refunded}}
}

// ProviderOf is the provider that took payment paymentRef of b (Stripe
// for payments recorded before bookings named their provider).
func (b Booking) ProviderOf(paymentRef string) string {
	for _, p := range b.PayerList() {
		if p.PaymentRef == paymentRef && p.Provider != "" {
			return p.Provider
		}
	}
	return defaultProvider
}

// ProviderName is the provider a card refund goes through: its own, or,
// for a refund saved before refunds named one, its booking's latest payment's.
func (r Refund) ProviderName(b Booking) string {
	if r.Provider != "" {
		return r.Provider
	}
	return b.ProviderOf(b.PaymentIntent)
}

// addPayer records one payment toward b.
func (b *Booking) addPayer(provider, paymentRef string, client ClientID, amount int64) {
	b.Payers = b.PayerList()
	b.Payers = append(b.Payers, BookingPayer{Provider: provider, PaymentRef: paymentRef, ClientID: client, Amount: amount})
}

// countRefund records amount going back on the payment paymentRef (the
// latest payment when it is not known or not listed).
func (b *Booking) countRefund(paymentRef string, amount int64) {
	b.Payers = b.PayerList()
	b.Refunded += amount
	if len(b.Payers) == 0 {
		return
	}
	i := len(b.Payers) - 1
	for j, p := range b.Payers {
		if paymentRef != "" && p.PaymentRef == paymentRef {
			i = j
		}
	}
	b.Payers[i].Refunded += amount
}

// PayerShare is what one payer gets back of a refund to deposit.
type PayerShare struct {
	ClientID ClientID
	Amount   int64
}

// RefundSplit divides a refund to deposit among the booking's payers in
// proportion to what each has left on it (paid less refunded), largest
// remainders first so the shares add up to amount exactly; payments by the
// same client are one share. It is what an admin is shown before confirming.
func RefundSplit(b Booking, amount int64) []PayerShare {
	type left struct {
		client ClientID
		n      int64
	}
	var ls []left
	var total int64
	for _, p := range b.PayerList() {
		n := p.Amount - p.Refunded
		if n <= 0 {
			continue
		}
		total += n
		found := false
		for i := range ls {
			if ls[i].client == p.ClientID {
				ls[i].n += n
				found = true
			}
		}
		if !found {
			ls = append(ls, left{p.ClientID, n})
		}
	}
	if total <= 0 || amount <= 0 {
		return nil
	}
	out := make([]PayerShare, len(ls))
	rem := make([]int64, len(ls))
	var given int64
	for i, l := range ls {
		// amount <= total and both fit int64; the product is split to stay in range.
		q, r := mulDiv(amount, l.n, total)
		out[i] = PayerShare{ClientID: l.client, Amount: q}
		rem[i] = r
		given += q
	}
	for given < amount {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best].Amount++
		rem[best] = -1
		given++
	}
	kept := out[:0]
	for _, s := range out {
		if s.Amount > 0 {
			kept = append(kept, s)
		}
	}
	return kept
}

// mulDiv is a*b/c with its remainder, for 0 <= a, b <= c, without overflow.
func mulDiv(a, b, c int64) (q, r int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	qq, rr := bits.Div64(hi, lo, uint64(c)) // hi < c since a <= c
	return int64(qq), int64(rr)
}

// checkSplit checks an admin's own split of a refund to deposit: every
// share to a payer of the booking, none more than that payer has left, the
// shares adding up to amount.
func checkSplit(b Booking, amount int64, split []PayerShare, env postEnv) ([]PayerShare, error) {
	left := map[ClientID]int64{}
	for _, p := range b.PayerList() {
		left[p.ClientID] += p.Amount - p.Refunded
	}
	var sum int64
	merged := []PayerShare{}
	for _, s := range split {
		if s.Amount <= 0 {
			return nil, errf(ErrInvalid, "a share of the refund must be positive")
		}
		l, ok := left[s.ClientID]
		if !ok || s.ClientID == 0 {
			return nil, errf(ErrInvalid, "client %d did not pay for booking %s", s.ClientID, b.ID)
		}
		if s.Amount > l {
			return nil, errf(ErrRefundExceeds, "client %d has %s left on booking %s; %s is more", s.ClientID,
				env.Money(max(l, 0)), b.ID, env.Money(s.Amount))
		}
		left[s.ClientID] -= s.Amount
		var ok2 bool
		if sum, ok2 = AddInt64(sum, s.Amount); !ok2 {
			return nil, errf(ErrInvalid, "the shares overflow")
		}
		merged = append(merged, s)
	}
	if sum != amount {
		return nil, errf(ErrInvalid, "the shares add up to %s, the refund is %s", env.Money(sum), env.Money(amount))
	}
	return merged, nil
}

// applySplit counts each share as refunded on that client's payments, oldest
// first, and says who got what for the audit line.
func (b *Booking) applySplit(shares []PayerShare, fm func(int64) string) string {
	b.Payers = b.PayerList()
	parts := make([]string, 0, len(shares))
	for _, s := range shares {
		b.Refunded += s.Amount
		rest := s.Amount
		for i := range b.Payers {
			p := &b.Payers[i]
			if p.ClientID != s.ClientID || rest == 0 {
				continue
			}
			n := min(rest, p.Amount-p.Refunded)
			if n > 0 {
				p.Refunded += n
				rest -= n
			}
		}
		parts = append(parts, fmt.Sprintf("client %d %s", s.ClientID, fm(s.Amount)))
	}
	return strings.Join(parts, ", ")
}
