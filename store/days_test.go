package store

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

func TestRegisterDay(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "A", phone(1))
	appendOp(t, db, topUp("1", c.ID, "cash", 5000, "2026-03-02"))
	appendOp(t, db, cashMove("2", "cash", -1200, "2026-03-02"))
	appendOp(t, db, topUp("3", c.ID, "card", 700, "2026-03-02"))
	appendOp(t, db, cashMove("4", "cash", 300, "2026-03-05"))

	want := map[string]finance.DayTotals{
		"cash/2026-03-01": {Opening: 10000, Closing: 10000},
		"cash/2026-03-02": {Opening: 10000, In: 5000, Out: 1200, Closing: 13800, Count: 2,
			ByKind: map[finance.OpKind]int64{finance.OpTopUp: 5000, finance.OpPaidOut: -1200}},
		"cash/2026-03-03": {Opening: 13800, Closing: 13800},
		"cash/2026-03-05": {Opening: 13800, In: 300, Closing: 14100, Count: 1, ByKind: map[finance.OpKind]int64{finance.OpPaidIn: 300}},
		"cash/2026-04-01": {Opening: 14100, Closing: 14100},
		"card/2026-03-02": {Opening: 0, In: 700, Closing: 700, Count: 1, ByKind: map[finance.OpKind]int64{finance.OpTopUp: 700}},
		"card/2026-03-05": {Opening: 700, Closing: 700},
		"bank/2026-03-02": {Opening: 500, Closing: 500}, // configured, never used
		"bank/1999-01-01": {Opening: 500, Closing: 500},
	}
	view(t, db, func(tx finance.ReadTx) error {
		for k, w := range want {
			reg, d := k[:4], k[5:]
			got, err := tx.RegisterDay(reg, finance.Date(d))
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			sameDay(t, k, got, w)
			if got.Register != reg || got.Date != finance.Date(d) {
				t.Errorf("%s: labelled %s %s", k, got.Register, got.Date)
			}
		}
		_, err := tx.RegisterDay("nosuch", "2026-03-02")
		wantErr(t, err, finance.ErrNotFound)
		_, err = tx.RegisterDay("cash", "2026-02-30")
		wantErr(t, err, finance.ErrInvalid)
		_, err = tx.RegisterDays("cash", "2026-03-05", "2026-03-01")
		wantErr(t, err, finance.ErrInvalid)
		_, err = tx.RegisterDays("cash", "2000-01-01", "2026-03-01")
		wantErr(t, err, finance.ErrInvalid)

		days, err := tx.RegisterDays("cash", "2026-02-28", "2026-03-06")
		if err != nil || len(days) != 7 {
			t.Fatalf("range = %d days, %v", len(days), err)
		}
		for i, d := range days {
			one, _ := tx.RegisterDay("cash", d.Date)
			sameDay(t, string(d.Date), d, one)
			if i > 0 && d.Opening != days[i-1].Closing {
				t.Errorf("%s opens %d, previous closed %d", d.Date, d.Opening, days[i-1].Closing)
			}
			if d.Date != finance.Date("2026-02-28").AddDays(i) {
				t.Errorf("day %d is %s", i, d.Date)
			}
		}
		return nil
	})
}

func sameDay(t *testing.T, label string, got, want finance.DayTotals) {
	t.Helper()
	if got.Opening != want.Opening || got.In != want.In || got.Out != want.Out || got.Closing != want.Closing || got.Count != want.Count {
		t.Errorf("%s = open %d in %d out %d close %d n %d, want open %d in %d out %d close %d n %d", label,
			got.Opening, got.In, got.Out, got.Closing, got.Count, want.Opening, want.In, want.Out, want.Closing, want.Count)
	}
	if got.ByKind == nil {
		t.Errorf("%s: ByKind is nil", label)
	}
	if len(got.ByKind) != len(want.ByKind) {
		t.Errorf("%s: by kind %v, want %v", label, got.ByKind, want.ByKind)
	}
	for k, v := range want.ByKind {
		if got.ByKind[k] != v {
			t.Errorf("%s: by kind %v, want %v", label, got.ByKind, want.ByKind)
		}
	}
}

// TestDayAggregatesMatchPostings posts random operations on random days,
// backdated and not, over several registers, and checks invariant 5 against
// sums recomputed from the operations themselves.
func TestDayAggregatesMatchPostings(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "A", phone(1))
	rng := rand.New(rand.NewPCG(1, 2))
	regs := []string{"cash", "card", "stripe", "bank"}
	first := finance.Date("2026-01-01")
	for i := 0; i < 300; i++ {
		d := first.AddDays(rng.IntN(40))
		reg := regs[rng.IntN(len(regs))]
		amount := int64(rng.IntN(20000) - 8000)
		if amount == 0 {
			amount = 1
		}
		var op *finance.Operation
		switch rng.IntN(3) {
		case 0:
			op = topUp(fmt.Sprint(i), c.ID, reg, amount, d)
		case 1:
			op = cashMove(fmt.Sprint(i), reg, amount, d)
		default: // a transfer between two registers, both sides in one op
			to := regs[(rng.IntN(3)+1+indexOf(regs, reg))%len(regs)]
			op = &finance.Operation{Key: fmt.Sprint(i), Kind: finance.OpTransfer, BusinessDate: d, Postings: []finance.Posting{
				{Account: finance.RegisterAccount(reg), Amount: -amount}, {Account: finance.RegisterAccount(to), Amount: amount}}}
		}
		appendOp(t, db, op)
	}
	view(t, db, func(tx finance.ReadTx) error {
		s, _ := tx.Settings()
		for _, r := range s.Registers {
			days, err := tx.RegisterDays(r.ID, first.AddDays(-1), first.AddDays(41))
			if err != nil {
				t.Fatal(err)
			}
			prevClose := r.StartBalance
			for _, day := range days {
				ops, _ := tx.DayOperations(day.Date)
				var in, out int64
				n := 0
				kinds := map[finance.OpKind]int64{}
				for _, op := range ops {
					for _, p := range op.Postings {
						if p.Account != finance.RegisterAccount(r.ID) {
							continue
						}
						n++
						kinds[op.Kind] += p.Amount
						if p.Amount > 0 {
							in += p.Amount
						} else {
							out -= p.Amount
						}
					}
				}
				want := finance.DayTotals{Opening: prevClose, In: in, Out: out, Closing: prevClose + in - out, Count: n, ByKind: kinds}
				if n == 0 {
					want.ByKind = map[finance.OpKind]int64{}
				}
				sameDay(t, r.ID+" "+string(day.Date), day, want)
				prevClose = want.Closing
			}
			if bal, _ := tx.Balance(finance.RegisterAccount(r.ID)); bal != prevClose {
				t.Errorf("%s balance %d, last closing %d", r.ID, bal, prevClose)
			}
		}
		return nil
	})
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func TestStartBalanceChangeAppliesEverywhere(t *testing.T) {
	db := openTest(t)
	appendOp(t, db, cashMove("1", "cash", 100, "2026-03-02"))
	update(t, db, func(tx finance.Tx) error {
		s, _ := tx.Settings()
		s.Registers[0].StartBalance = 0
		return tx.PutSettings(s)
	})
	view(t, db, func(tx finance.ReadTx) error {
		dt, _ := tx.RegisterDay("cash", "2026-03-02")
		bal, _ := tx.Balance(finance.RegisterAccount("cash"))
		if dt.Opening != 0 || dt.Closing != 100 || bal != 100 {
			t.Errorf("day %+v, balance %d", dt, bal)
		}
		return nil
	})
}

func TestDayAggEncoding(t *testing.T) {
	for _, a := range []dayAgg{
		{ByKind: map[finance.OpKind]int64{}},
		{Closing: -5, In: 1 << 60, Out: 7, Count: 3, ByKind: map[finance.OpKind]int64{finance.OpTopUp: 10, finance.OpReversal: -3}},
	} {
		got, err := decodeDayAgg(a.encode())
		if err != nil {
			t.Fatal(err)
		}
		if got.Closing != a.Closing || got.In != a.In || got.Out != a.Out || got.Count != a.Count || len(got.ByKind) != len(a.ByKind) {
			t.Errorf("round trip %+v -> %+v", a, got)
		}
		for k, v := range a.ByKind {
			if got.ByKind[k] != v {
				t.Errorf("kind %s = %d, want %d", k, got.ByKind[k], v)
			}
		}
	}
	full := dayAgg{Closing: 1, ByKind: map[finance.OpKind]int64{finance.OpTopUp: 10}}.encode()
	for _, bad := range [][]byte{nil, {0xff}, full[:len(full)-1], append(full, 0)} {
		if _, err := decodeDayAgg(bad); err == nil {
			t.Errorf("decoded damaged record %x", bad)
		}
	}
}
