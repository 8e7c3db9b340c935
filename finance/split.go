package finance

// How a checkout's total is paid: a served booking's prepayment first, then
// the client's deposit, then the registers, with change from the cash one.
// The checkout rule and the desk's pay form both work it out here, so what
// the form shows while the person types is what the books will post.

// SplitInput is a checkout's payment as typed. Tenders, Rest and Cash index
// the same list of registers, the caller's.
type SplitInput struct {
	Total       int64   // the sale's total
	PrepaidLeft int64   // a served booking's prepayment still held (paid less refunded); 0 = none
	Client      bool    // a client pays, whose deposit may be used (false: a walk-in)
	Available   int64   // what the client's deposit may spend now (the deposit plus its credit)
	FromBalance *int64  // wanted from the deposit; nil = as much as covers what the prepayment leaves
	Tenders     []int64 // per register, as typed (0 = nothing)
	Rest        int     // the register that takes whatever is left unpaid (-1: none, the tenders must cover it)
	Cash        int     // the cash register, which gives change (-1: none, so paying too much is Short < 0)
	Handed      int64   // the cash the client handed over (0: not said); above the cash register's share is change
}

// Split is what each part of a checkout pays.
type Split struct {
	Prepaid     int64   // the prepayment applied to the sale (at most the total)
	Excess      int64   // prepaid beyond the total: it goes back to the client's deposit
	Due         int64   // the total less the prepayment
	FromBalance int64   // taken from the client's deposit
	Left        int64   // Due less FromBalance: the registers' share
	Tenders     []int64 // what each register takes, the change already off the cash register's
	Change      int64   // cash given back
	// Short is what is still to pay; negative, paid too much by a means that
	// gives no change. A checkout posts only when it is 0.
	Short int64
}

// SplitReason is why a checkout's payment cannot be split.
type SplitReason int

const (
	SplitExcessWalkIn   SplitReason = iota + 1 // prepaid beyond the total, and no client to keep the rest
	SplitWalkIn                                // a walk-in has no deposit to pay from
	SplitFromNegative                          // from the deposit below zero
	SplitFromOverDue                           // from the deposit above what the prepayment leaves to pay
	SplitFromOverFunds                         // from the deposit above what it may spend
	SplitTenderNegative                        // a register's amount below zero
	SplitTooLarge                              // the registers' amounts overflow
	SplitHandedShort                           // less cash handed over than the cash register's amount
)

// SplitError is a checkout payment that does not split, with the figure
// that explains it, so each edge says it in its own words (the form names
// its fields, the books their currency).
type SplitError struct {
	Reason SplitReason
	Tender int   // the register's index, for SplitTenderNegative, SplitTooLarge and SplitHandedShort
	Limit  int64 // the bound crossed: Due, Available, or the cash typed for SplitHandedShort
}

func (e *SplitError) Error() string {
	switch e.Reason {
	case SplitExcessWalkIn:
		return "the booking was prepaid more than the total and has no client to keep the rest"
	case SplitWalkIn:
		return "a walk-in has no deposit to pay from"
	case SplitFromNegative:
		return "the amount from the deposit cannot be negative"
	case SplitFromOverDue:
		return "the amount from the deposit is more than is left to pay"
	case SplitFromOverFunds:
		return "the deposit does not cover the amount from it"
	case SplitTenderNegative:
		return "a payment cannot be negative"
	case SplitTooLarge:
		return "payments are too large"
	case SplitHandedShort:
		return "less cash handed over than the cash paid"
	}
	return "the payment does not split"
}

func (e *SplitError) Unwrap() error {
	if e.Reason == SplitFromOverFunds {
		return ErrInsufficientFunds
	}
	return ErrInvalid
}

// SplitCheckout works out and checks a checkout's payment: the prepayment
// applied first, the deposit within what it may spend and what is left to
// pay, the registers' amounts (Rest taking what they leave), and change from
// the cash register where they, or the cash handed over, exceed the rest.
// Errors are *SplitError. Short is not an error here: the caller refuses a
// checkout whose Short is not 0 in its own words.
func SplitCheckout(in SplitInput) (Split, error) {
	sp, err := splitPrepaid(in)
	if err != nil {
		return Split{}, err
	}
	if sp.Excess > 0 && !in.Client {
		return Split{}, &SplitError{Reason: SplitExcessWalkIn}
	}
	if in.FromBalance != nil {
		from := *in.FromBalance
		switch {
		case !in.Client && from != 0:
			return Split{}, &SplitError{Reason: SplitWalkIn}
		case from < 0:
			return Split{}, &SplitError{Reason: SplitFromNegative}
		case from > in.Available:
			return Split{}, &SplitError{Reason: SplitFromOverFunds, Limit: in.Available}
		case from > sp.Due:
			return Split{}, &SplitError{Reason: SplitFromOverDue, Limit: sp.Due}
		}
	}
	return SplitFigures(in)
}

// SplitFigures is SplitCheckout's arithmetic with the deposit's amount taken
// as typed, unchecked: the figures a form shows while the person is still
// typing. Review with SplitCheckout.
// Every sum is checked: a figure typed near int64's edge is SplitTooLarge
// (Tender -1 when no one register's amount is to blame), never a wrapped
// negative on the screen.
func SplitFigures(in SplitInput) (Split, error) {
	tooLarge := &SplitError{Reason: SplitTooLarge, Tender: -1}
	sp, err := splitPrepaid(in)
	if err != nil {
		return Split{}, err
	}
	switch {
	case in.FromBalance != nil:
		sp.FromBalance = *in.FromBalance
	case in.Client:
		sp.FromBalance = max(min(in.Available, sp.Due), 0)
	}
	var ok bool
	if sp.Left, ok = SubInt64(sp.Due, sp.FromBalance); !ok {
		return Split{}, tooLarge
	}

	sp.Tenders = make([]int64, len(in.Tenders))
	var paid int64
	for i, a := range in.Tenders {
		if a < 0 {
			return Split{}, &SplitError{Reason: SplitTenderNegative, Tender: i}
		}
		if paid, ok = AddInt64(paid, a); !ok {
			return Split{}, &SplitError{Reason: SplitTooLarge, Tender: i}
		}
		sp.Tenders[i] = a
	}
	rest, ok := SubInt64(sp.Left, paid)
	if !ok {
		return Split{}, tooLarge
	}
	if rest > 0 && in.Rest >= 0 && in.Rest < len(sp.Tenders) {
		// It stays at most Left, so the add holds; checked all the same.
		if sp.Tenders[in.Rest], ok = AddInt64(sp.Tenders[in.Rest], rest); !ok {
			return Split{}, &SplitError{Reason: SplitTooLarge, Tender: in.Rest}
		}
		paid = sp.Left // paid + rest
	}
	cash := in.Cash
	if cash >= len(sp.Tenders) {
		cash = -1
	}
	over, ok := SubInt64(paid, sp.Left)
	if !ok {
		return Split{}, tooLarge
	}
	if over > 0 && cash >= 0 {
		// Cash typed above the rest is change; only the sale posts.
		took := min(over, sp.Tenders[cash])
		sp.Tenders[cash] -= took
		sp.Change += took
		paid -= took
	}
	if cash >= 0 && in.Handed > 0 {
		typed, ok := AddInt64(sp.Tenders[cash], sp.Change)
		if !ok {
			return Split{}, &SplitError{Reason: SplitTooLarge, Tender: cash}
		}
		if in.Handed < typed {
			return Split{}, &SplitError{Reason: SplitHandedShort, Tender: cash, Limit: typed}
		}
		// Handed >= typed >= the cash register's amount >= 0: no wrap.
		sp.Change = in.Handed - sp.Tenders[cash]
	}
	if sp.Short, ok = SubInt64(sp.Left, paid); !ok {
		return Split{}, tooLarge
	}
	return sp, nil
}

// splitPrepaid applies a served booking's prepayment: up to the total, the
// rest of it the client's.
func splitPrepaid(in SplitInput) (Split, error) {
	left := max(in.PrepaidLeft, 0)
	prepaid := min(left, in.Total)
	excess, ok1 := SubInt64(left, prepaid)
	due, ok2 := SubInt64(in.Total, prepaid)
	if !ok1 || !ok2 {
		return Split{}, &SplitError{Reason: SplitTooLarge, Tender: -1}
	}
	return Split{Prepaid: prepaid, Excess: excess, Due: due}, nil
}
