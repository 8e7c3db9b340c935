package finance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// maxProblems keeps a badly broken file's report readable.
const maxProblems = 200

// Check verifies every ledger invariant of DESIGN.md against the stored data:
//
//  1. every operation's postings sum to zero;
//  2. every stored balance equals the sum of its postings (plus, for a
//     register, its start balance);
//  3. no client deposit is below its floor (-credit limit);
//  4. reversals and originals point at each other one-to-one, and a
//     reversal's postings are the original's negated;
//  5. every register's stored day aggregate equals that day's postings, and
//     each day opens with the previous posted day's closing.
func (s *Service) Check(ctx context.Context) (CheckReport, error) {
	var rep CheckReport
	err := s.view(ctx, func(tx ReadTx) error {
		rep = CheckReport{}
		return checkLedger(ctx, tx, &rep)
	})
	return rep, err
}

type dayAgg struct {
	in, out int64
	count   int
	byKind  map[OpKind]int64
}

func checkLedger(ctx context.Context, tx ReadTx, rep *CheckReport) error {
	problem := func(format string, args ...any) {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
		} else if len(rep.Problems) == maxProblems {
			rep.Problems = append(rep.Problems, "... more problems not listed")
		}
	}
	st, err := tx.Settings()
	if err != nil {
		return err
	}
	balances := map[AccountID]int64{}
	for _, r := range st.Registers {
		balances[RegisterAccount(r.ID)] = r.StartBalance
	}
	days := map[string]map[Date]*dayAgg{} // register -> date -> sums
	reversedBy := map[OperationID]OperationID{}
	reverses := map[OperationID]OperationID{}
	var lastID OperationID
	n := 0
	err = tx.ForEachOperation(func(op Operation) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rep.Operations++
		if op.ID <= lastID {
			problem("operation %d comes after operation %d: IDs out of order", op.ID, lastID)
		}
		lastID = op.ID
		var sum int64
		for _, p := range op.Postings {
			sum += p.Amount
			balances[p.Account] += p.Amount
			reg, ok := registerOf(p.Account)
			if !ok {
				continue
			}
			byDay := days[reg]
			if byDay == nil {
				byDay = map[Date]*dayAgg{}
				days[reg] = byDay
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
		if sum != 0 {
			problem("operation %d (%s): postings sum to %d, not zero", op.ID, op.Kind, sum)
		}
		if len(op.Postings) < 2 {
			problem("operation %d (%s) has %d posting(s)", op.ID, op.Kind, len(op.Postings))
		}
		if op.ReversedBy != 0 {
			reversedBy[op.ID] = op.ReversedBy
		}
		if op.Reverses != 0 {
			if other, dup := reverses[op.Reverses]; dup {
				problem("operations %d and %d both reverse operation %d", other, op.ID, op.Reverses)
			}
			reverses[op.Reverses] = op.ID
			if op.Reverses >= op.ID {
				problem("reversal %d points forward at operation %d", op.ID, op.Reverses)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	// 4. Reversal links, both ways, and negated postings.
	for orig, rev := range reverses {
		o, err := tx.Operation(orig)
		if err != nil {
			problem("reversal %d points at operation %d, which cannot be read: %v", rev, orig, err)
			continue
		}
		if o.ReversedBy != rev {
			problem("reversal %d reverses operation %d, but that operation says reversed by %d", rev, orig, o.ReversedBy)
		}
		if o.Kind == OpReversal {
			problem("reversal %d reverses reversal %d", rev, orig)
		}
		r, err := tx.Operation(rev)
		if err == nil && !negated(o.Postings, r.Postings) {
			problem("reversal %d does not negate operation %d's postings", rev, orig)
		}
	}
	for orig, rev := range reversedBy {
		if reverses[orig] != rev {
			problem("operation %d says reversed by %d, but %d does not reverse it", orig, rev, rev)
		}
	}

	// 2 and 3. Stored balances and client floors.
	accounts := slices.Sorted(maps.Keys(balances))
	rep.Accounts = len(accounts)
	for _, acc := range accounts {
		want := balances[acc]
		got, err := tx.Balance(acc)
		if err != nil {
			problem("account %s: balance cannot be read: %v", acc, err)
			continue
		}
		if got != want {
			problem("account %s: stored balance %d, postings add up to %d", acc, got, want)
		}
		if id, ok := clientOf(acc); ok {
			c, err := tx.Client(id)
			if err != nil {
				problem("account %s has postings but client %d cannot be read: %v", acc, id, err)
				continue
			}
			if owed := -want; owed < -c.CreditLimit {
				problem("client %d (%s) is below the floor: owed %d, credit limit %d", id, c.Name, owed, c.CreditLimit)
			}
		}
	}

	// 5. Day aggregates per register, in date order, chained.
	for _, r := range st.Registers {
		byDay := days[r.ID]
		dates := slices.Sorted(maps.Keys(byDay))
		running := r.StartBalance
		for _, d := range dates {
			rep.Days++
			agg := byDay[d]
			t, err := tx.RegisterDay(r.ID, d)
			if err != nil {
				problem("register %s %s: day totals cannot be read: %v", r.ID, d, err)
				continue
			}
			where := fmt.Sprintf("register %s on %s", r.ID, d)
			if t.Opening != running {
				problem("%s: opening %d, but the previous day closed at %d", where, t.Opening, running)
			}
			if t.In != agg.in || t.Out != agg.out {
				problem("%s: stored in/out %d/%d, postings give %d/%d", where, t.In, t.Out, agg.in, agg.out)
			}
			if t.Count != agg.count {
				problem("%s: stored count %d, postings give %d", where, t.Count, agg.count)
			}
			if t.Closing != t.Opening+t.In-t.Out {
				problem("%s: closing %d is not opening %d + in %d - out %d", where, t.Closing, t.Opening, t.In, t.Out)
			}
			for k, v := range agg.byKind {
				if t.ByKind[k] != v {
					problem("%s: %s net stored %d, postings give %d", where, k, t.ByKind[k], v)
				}
			}
			for k, v := range t.ByKind {
				if _, ok := agg.byKind[k]; !ok && v != 0 {
					problem("%s: %s net stored %d, but no such postings", where, k, v)
				}
			}
			running += agg.in - agg.out
		}
	}
	for reg := range days {
		if !slices.ContainsFunc(st.Registers, func(r Register) bool { return r.ID == reg }) {
			problem("postings to register %q, which is not in the settings", reg)
		}
	}
	return nil
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
