package finance

import (
	"slices"
	"sync"
)

// DefaultAskTwiceFactor is how many times the typical top-up an amount must
// pass before its confirmation asks twice (config [limits] ask_twice_factor).
const DefaultAskTwiceFactor = 10

// typicalWindow bounds the work of finding the typical top-up: the median
// of the latest typicalTopUps top-ups among the latest typicalScan
// operations, recomputed once every typicalEvery new operations. A
// preview pays a cached read; the scan is a few hundred point lookups.
const (
	typicalScan   = 500
	typicalTopUps = 101
	typicalEvery  = 50
	// fewer top-ups than this say nothing of what is usual here
	typicalMin = 5
)

// typicalCache holds the last median and the operation it was taken at.
type typicalCache struct {
	mu     sync.Mutex
	at     OperationID
	valid  bool
	median int64
}

// askTwiceFactor is the configured factor; 0 means never ask twice.
func (s *Service) askTwiceFactor() int64 {
	switch f := s.limits.AskTwiceFactor; {
	case f < 0:
		return 0
	case f == 0:
		return DefaultAskTwiceFactor
	default:
		return f
	}
}

// typicalTopUp is the median top-up of late, or 0 when there are too few
// to tell.
func (s *Service) typicalTopUp(tx ReadTx) (int64, error) {
	last, err := tx.LastOperationID()
	if err != nil {
		return 0, err
	}
	c := &s.typical
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.valid && last >= c.at && last-c.at < typicalEvery {
		return c.median, nil
	}
	var amounts []int64
	for id := last; id > 0 && last-id < typicalScan && len(amounts) < typicalTopUps; id-- {
		op, err := tx.Operation(id)
		if err != nil {
			continue // a gap in the numbers is no reason to refuse a preview
		}
		if op.Kind == OpTopUp && op.ReversedBy == 0 {
			amounts = append(amounts, opMoved(op))
		}
	}
	median := int64(0)
	if len(amounts) >= typicalMin {
		slices.Sort(amounts)
		median = amounts[len(amounts)/2]
	}
	c.at, c.valid, c.median = last, true, median
	return median, nil
}

// opMoved is what an operation moves: the sum of its debits.
func opMoved(op Operation) int64 {
	var n int64
	for _, p := range op.Postings {
		if p.Amount > 0 {
			n, _ = AddInt64(n, p.Amount)
		}
	}
	return n
}

// markUnusual sets the preview's Typical and Unusual from typ, the typical
// top-up: a desk operation
// moving more than the factor times the typical top-up is asked about
// twice. Reversals undo what is there and are never unusual.
func (s *Service) markUnusual(typ int64, pv *Preview) {
	f := s.askTwiceFactor()
	if f == 0 || typ == 0 || pv.Replayed {
		return
	}
	switch pv.Operation.Kind {
	case OpTopUp, OpCheckout, OpCashOut, OpTransfer, OpPaidIn, OpPaidOut:
	default:
		return
	}
	pv.Typical = typ
	if limit, ok := MulInt64(typ, f); ok && opMoved(pv.Operation) > limit {
		pv.Unusual = true
	}
}

// MulInt64 multiplies, reporting overflow (the one checked product, as AddInt64 is the one checked sum).
func MulInt64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a {
		return 0, false
	}
	return c, true
}
