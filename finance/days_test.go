package finance_test

import (
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// Business dates follow the location's zone, and each day opens where the
// last day with postings closed.
func TestDaysChainAndPastRight(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	// 23:30 in Kyiv is still the 14th there, though already 21:30 UTC.
	f.clock.t = time.Date(2025, 3, 14, 23, 30, 0, 0, kyiv(t))
	op, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "a", ClientID: anna.ID, Amount: 1000, Register: "cash"})
	must(t, err)
	if op.BusinessDate != "2025-03-14" {
		t.Fatalf("business date %s", op.BusinessDate)
	}
	f.clock.Add(time.Hour) // 00:30 on the 15th in Kyiv
	op, err = f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "b", ClientID: anna.ID, Amount: 500, Register: "cash"})
	must(t, err)
	if op.BusinessDate != "2025-03-15" {
		t.Fatalf("business date %s", op.BusinessDate)
	}
	f.clock.Add(48 * time.Hour) // the 17th; the 16th had nothing
	_, err = f.svc.MoveCash(f.ctx, f.mgr, finance.CashMoveRequest{Key: "c", Register: "cash", Amount: 200, Reason: "flowers"})
	must(t, err)

	want := []struct {
		d                     finance.Date
		open, in, out, closed int64
	}{
		{"2025-03-13", 10000, 0, 0, 10000},
		{"2025-03-14", 10000, 1000, 0, 11000},
		{"2025-03-15", 11000, 500, 0, 11500},
		{"2025-03-16", 11500, 0, 0, 11500},
		{"2025-03-17", 11500, 0, 200, 11300},
	}
	for _, w := range want {
		ts, err := f.svc.DayTotals(f.ctx, f.mgr, w.d)
		must(t, err)
		c := ts[0]
		if c.Register != "cash" || c.Opening != w.open || c.In != w.in || c.Out != w.out || c.Closing != w.closed {
			t.Errorf("%s: %+v", w.d, c)
		}
	}
	rng, err := f.svc.RangeTotals(f.ctx, f.mgr, "2025-03-13", "2025-03-17")
	must(t, err)
	if days := rng["cash"]; len(days) != 5 || days[4].Closing != 11300 || days[2].Opening != 11000 {
		t.Errorf("range %+v", days)
	}
	if len(rng) != 4 {
		t.Errorf("range has %d registers", len(rng))
	}

	// The desk sees today only.
	_, err = f.svc.DayTotals(f.ctx, f.desk, "2025-03-15")
	wantErr(t, err, finance.ErrForbidden)
	_, err = f.svc.DayOperations(f.ctx, f.desk, "2025-03-15", "")
	wantErr(t, err, finance.ErrForbidden)
	_, err = f.svc.RangeTotals(f.ctx, f.desk, "2025-03-15", "2025-03-17")
	wantErr(t, err, finance.ErrForbidden)
	_, err = f.svc.DayTotals(f.ctx, f.desk, "2025-03-17")
	must(t, err)

	ops, err := f.svc.DayOperations(f.ctx, f.mgr, "2025-03-14", "cash")
	must(t, err)
	if len(ops) != 1 {
		t.Errorf("ops on the 14th touching cash: %d", len(ops))
	}
	ops, err = f.svc.DayOperations(f.ctx, f.mgr, "2025-03-17", "card")
	must(t, err)
	if len(ops) != 0 {
		t.Errorf("ops on the 17th touching card: %d", len(ops))
	}

	_, err = f.svc.DayTotals(f.ctx, f.mgr, "14.03.2025")
	wantErr(t, err, finance.ErrInvalid)
	_, err = f.svc.RangeTotals(f.ctx, f.mgr, "2025-03-17", "2025-03-13")
	wantErr(t, err, finance.ErrInvalid)
	f.mustCheck()
}
