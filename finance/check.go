package finance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// BalanceCeiling is how large a balance may grow before check reports it: an
// eighth of int64's range, so there is room left to reverse whatever put it
// there. Real books stay many orders of magnitude below it; a balance beyond
// it is damage or an event that should have been refused.
const BalanceCeiling int64 = 1 << 60

// maxProblems keeps a badly broken file's report readable.
const maxProblems = 200

// Check verifies every ledger invariant (docs/ARCHITECTURE.md) against the stored data:
//
//  1. every operation's postings sum to zero;
//  2. every stored balance equals the sum of its postings (plus, for a
//     register, its start balance);
//  3. no client deposit is below its floor (-credit limit);
//  4. reversals and originals point at each other one-to-one, and a
//     reversal's postings are the original's negated;
//  5. every register's stored day aggregate equals that day's postings, and
//     each day opens with the previous posted day's closing;
//  6. every sealed day's seal still holds and links to the one before (Verify);
//  7. no stored balance is near int64's limit (beyond ±BalanceCeiling);
//  8. no cash drawer is below its floor of zero (unless Limits lets it);
//  9. every flagged provider event says why, and every resolved one how.
func (s *Service) Check(ctx context.Context) (CheckReport, error) {
	return s.CheckWithProgress(ctx, nil)
}

// CheckWithProgress is Check, telling progress how far the scan of the
// operations is (done of about total) every few thousand operations, so a
// check of millions can show it. progress runs in Check's goroutine and
// must be quick; nil is Check.
func (s *Service) CheckWithProgress(ctx context.Context, progress func(done, total int)) (CheckReport, error) {
	return read(ctx, s, func(tx ReadTx) (CheckReport, error) {
		var rep CheckReport
		// 6. The seal chain (seal.go), fed by the one scan of the operations.
		seals, err := newSealScan(tx)
		if err != nil {
			return CheckReport{}, err
		}
		if err := checkLedger(ctx, tx, &rep, seals.add, s.hasFloor, progress); err != nil {
			return CheckReport{}, err
		}
		v, err := seals.finish(ctx, tx)
		if err != nil {
			return CheckReport{}, err
		}
		rep.SealedDays = v.Days
		if !v.OK() {
			rep.Problems = append(rep.Problems, fmt.Sprintf("sealed day %s does not match its seal: %s", v.Broken, v.Why))
		}
		return rep, nil
	})
}

type dayAgg struct {
	in, out int64
	count   int
	byKind  map[OpKind]int64
}

// ledgerCheck is one run of the invariant check: a single pass over the
// operations gathers what the later checks compare with the stored figures,
// so a file of millions of operations is read once.
type ledgerCheck struct {
	tx         ReadTx
	rep        *CheckReport
	st         Settings
	balances   map[AccountID]int64
	days       map[string]map[Date]*dayAgg // register -> date -> sums
	reversedBy map[OperationID]OperationID
	reverses   map[OperationID]OperationID
	each       func(Operation) // another check fed by the same scan (seals)
}

// each, when set, also sees every operation as the scan reads it.
func checkLedger(ctx context.Context, tx ReadTx, rep *CheckReport, each func(Operation),
	hasFloor func(Register) bool, progress func(done, total int)) error {
	st, err := tx.Settings()
	if err != nil {
		return err
	}
	c := &ledgerCheck{tx: tx, rep: rep, st: st, each: each,
		balances:   map[AccountID]int64{},
		days:       map[string]map[Date]*dayAgg{},
		reversedBy: map[OperationID]OperationID{},
		reverses:   map[OperationID]OperationID{},
	}
	for _, r := range st.Registers {
		c.balances[RegisterAccount(r.ID)] = r.StartBalance
	}
	if err := c.scanOperations(ctx, progress); err != nil {
		return err
	}
	c.checkReversals()
	c.checkBalances()
	c.checkDays()
	c.checkRegistersKnown()
	c.checkFloors(hasFloor)
	return c.checkFlaggedReasons()
}

// checkFlaggedReasons: every flagged provider event says why, in words, so
// an admin can act on it; every resolved one keeps that reason and says how
// an admin closed it.
func (c *ledgerCheck) checkFlaggedReasons() error {
	st, err := c.tx.InboxStats()
	if err != nil || st.Total == 0 {
		return err
	}
	need := func(e ProviderEvent) bool { return e.Status == InboxFlagged || e.Status == InboxResolved }
	var evs []ProviderEvent
	if r, ok := c.tx.(InboxFilterReader); ok {
		evs, err = r.InboxWhere(need, 0)
	} else if st.Flagged > 0 {
		evs, err = c.tx.Inbox(st.Total)
	}
	if err != nil {
		return err
	}
	for _, e := range evs {
		switch {
		case !need(e):
		case strings.TrimSpace(e.Error) == "":
			c.problem("provider event %s (%s) is %s without a reason", e.ID, e.RawType, e.Status)
		case e.Status == InboxResolved && strings.TrimSpace(e.Resolution) == "":
			c.problem("provider event %s (%s) is resolved without saying how", e.ID, e.RawType)
		}
	}
	return nil
}

// checkFloors is invariant 8: a cash drawer holds nothing less than nothing.
// Refusals keep new operations above it; this finds a file where an older
// paydesk, a reversal or a changed config left one below.
func (c *ledgerCheck) checkFloors(hasFloor func(Register) bool) {
	for _, r := range c.st.Registers {
		if bal := c.balances[RegisterAccount(r.ID)]; hasFloor(r) && bal < 0 {
			c.problem("register %s (%s) is at %d, below its floor of 0", r.ID, r.Kind, bal)
		}
	}
}

func (c *ledgerCheck) problem(format string, args ...any) {
	if len(c.rep.Problems) < maxProblems {
		c.rep.Problems = append(c.rep.Problems, fmt.Sprintf(format, args...))
	} else if len(c.rep.Problems) == maxProblems {
		c.rep.Problems = append(c.rep.Problems, "... more problems not listed")
	}
}

// scanOperations reads every operation once, in id order, checking
// invariant 1 on each and gathering balances, day sums and reversal links.
func (c *ledgerCheck) scanOperations(ctx context.Context, progress func(done, total int)) error {
	var lastID OperationID
	n, total := 0, 0
	if progress != nil {
		// Operation ids count up from 1, so the newest is about how many
		// there are; a guess is all progress needs.
		last, err := c.tx.LastOperationID()
		if err != nil {
			return err
		}
		total = int(last)
		progress(0, total)
	}
	return c.tx.ForEachOperation(func(op Operation) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(n, max(total, n))
			}
		}
		c.rep.Operations++
		if op.ID <= lastID {
			c.problem("operation %d comes after operation %d: IDs out of order", op.ID, lastID)
		}
		lastID = op.ID
		c.checkOperation(op)
		c.gather(op)
		if c.each != nil {
			c.each(op)
		}
		return nil
	})
}

// checkOperation is invariant 1: postings sum to zero, at least two of them,
// and a reversal points back at an earlier operation, only once.
func (c *ledgerCheck) checkOperation(op Operation) {
	var sum int64
	for _, p := range op.Postings {
		sum += p.Amount
	}
	if sum != 0 {
		c.problem("operation %d (%s): postings sum to %d, not zero", op.ID, op.Kind, sum)
	}
	if len(op.Postings) < 2 {
		c.problem("operation %d (%s) has %d posting(s)", op.ID, op.Kind, len(op.Postings))
	}
	if op.Reverses != 0 {
		if other, dup := c.reverses[op.Reverses]; dup {
			c.problem("operations %d and %d both reverse operation %d", other, op.ID, op.Reverses)
		}
		if op.Reverses >= op.ID {
			c.problem("reversal %d points forward at operation %d", op.ID, op.Reverses)
		}
	}
}

// gather adds op to the balances, the registers' day sums and the links
// that the later checks compare with what is stored.
func (c *ledgerCheck) gather(op Operation) {
	for _, p := range op.Postings {
		c.balances[p.Account] += p.Amount
		reg, ok := RegisterOf(p.Account)
		if !ok {
			continue
		}
		byDay := c.days[reg]
		if byDay == nil {
			byDay = map[Date]*dayAgg{}
			c.days[reg] = byDay
		}
		agg := byDay[op.BusinessDate]
		if agg == nil {
			agg = &dayAgg{byKind: map[OpKind]int64{}}
			byDay[op.BusinessDate] = agg
		}
		if p.Amount > 0 {
			agg.in += p.Amount
		} else {
			agg.out -= p.Amount
		}
		agg.count++
		agg.byKind[op.Kind] += p.Amount
	}
	if op.ReversedBy != 0 {
		c.reversedBy[op.ID] = op.ReversedBy
	}
	if op.Reverses != 0 {
		c.reverses[op.Reverses] = op.ID
	}
}

// checkReversals is invariant 4: reversal links, both ways, and negated postings.
func (c *ledgerCheck) checkReversals() {
	for orig, rev := range c.reverses {
		o, err := c.tx.Operation(orig)
		if err != nil {
			c.problem("reversal %d points at operation %d, which cannot be read: %v", rev, orig, err)
			continue
		}
		if o.ReversedBy != rev {
			c.problem("reversal %d reverses operation %d, but that operation says reversed by %d", rev, orig, o.ReversedBy)
		}
		if o.Kind == OpReversal {
			c.problem("reversal %d reverses reversal %d", rev, orig)
		}
		r, err := c.tx.Operation(rev)
		if err == nil && !negated(o.Postings, r.Postings) {
			c.problem("reversal %d does not negate operation %d's postings", rev, orig)
		}
	}
	for orig, rev := range c.reversedBy {
		if c.reverses[orig] != rev {
			c.problem("operation %d says reversed by %d, but %d does not reverse it", orig, rev, rev)
		}
	}
}

// checkBalances is invariants 2, 3 and 7: stored balances equal their
// postings, no client deposit is below its floor, none is near overflow.
func (c *ledgerCheck) checkBalances() {
	accounts := slices.Sorted(maps.Keys(c.balances))
	c.rep.Accounts = len(accounts)
	for _, acc := range accounts {
		want := c.balances[acc]
		got, err := c.tx.Balance(acc)
		if err != nil {
			c.problem("account %s: balance cannot be read: %v", acc, err)
			continue
		}
		if got != want {
			c.problem("account %s: stored balance %d, postings add up to %d", acc, got, want)
		}
		if got > BalanceCeiling || got < -BalanceCeiling {
			c.problem("account %s: balance %d is near the limit of what can be stored (beyond ±%d): later postings to it would overflow", acc, got, BalanceCeiling)
		}
		if id, ok := ClientOf(acc); ok {
			cl, err := c.tx.Client(id)
			if err != nil {
				c.problem("account %s has postings but client %d cannot be read: %v", acc, id, err)
				continue
			}
			if owed := -want; owed < -cl.CreditLimit {
				c.problem("client %d (%s) is below the floor: owed %d, credit limit %d", id, cl.Name, owed, cl.CreditLimit)
			}
		}
	}
}

// checkDays is invariant 5: every register's stored day aggregate equals
// that day's postings, in date order, each day opening at the last close.
func (c *ledgerCheck) checkDays() {
	for _, r := range c.st.Registers {
		byDay := c.days[r.ID]
		dates := slices.Sorted(maps.Keys(byDay))
		running := r.StartBalance
		for _, d := range dates {
			c.rep.Days++
			agg := byDay[d]
			t, err := c.tx.RegisterDay(r.ID, d)
			if err != nil {
				c.problem("register %s %s: day totals cannot be read: %v", r.ID, d, err)
				continue
			}
			where := fmt.Sprintf("register %s on %s", r.ID, d)
			if t.Opening != running {
				c.problem("%s: opening %d, but the previous day closed at %d", where, t.Opening, running)
			}
			if t.In != agg.in || t.Out != agg.out {
				c.problem("%s: stored in/out %d/%d, postings give %d/%d", where, t.In, t.Out, agg.in, agg.out)
			}
			if t.Count != agg.count {
				c.problem("%s: stored count %d, postings give %d", where, t.Count, agg.count)
			}
			if t.Closing != t.Opening+t.In-t.Out {
				c.problem("%s: closing %d is not opening %d + in %d - out %d", where, t.Closing, t.Opening, t.In, t.Out)
			}
			for k, v := range agg.byKind {
				if t.ByKind[k] != v {
					c.problem("%s: %s net stored %d, postings give %d", where, k, t.ByKind[k], v)
				}
			}
			for k, v := range t.ByKind {
				if _, ok := agg.byKind[k]; !ok && v != 0 {
					c.problem("%s: %s net stored %d, but no such postings", where, k, v)
				}
			}
			running += agg.in - agg.out
		}
	}
}

// checkRegistersKnown: every register posted to is one the settings name.
func (c *ledgerCheck) checkRegistersKnown() {
	for reg := range c.days {
		if !slices.ContainsFunc(c.st.Registers, func(r Register) bool { return r.ID == reg }) {
			c.problem("postings to register %q, which is not in the settings", reg)
		}
	}
}

// negated reports whether b is exactly a with every amount's sign flipped.
func negated(a, b []Posting) bool {
	sum := map[AccountID]int64{}
	for _, p := range a {
		sum[p.Account] += p.Amount
	}
	for _, p := range b {
		sum[p.Account] += p.Amount
	}
	for _, v := range sum {
		if v != 0 {
			return false
		}
	}
	return true
}

// String renders the report for `paydesk check`.
func (r CheckReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d operations, %d accounts, %d register-days checked\n", r.Operations, r.Accounts, r.Days)
	if len(r.Problems) == 0 {
		b.WriteString("ok: every invariant holds\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%d problem(s):\n", len(r.Problems))
	for _, p := range r.Problems {
		b.WriteString("  - " + p + "\n")
	}
	return b.String()
}
