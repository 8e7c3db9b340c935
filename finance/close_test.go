package finance_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
)

// cashDay puts one cash top-up and one card top-up on today's books.
func (f *fixture) cashDay(c finance.Client, cash, card int64) {
	f.t.Helper()
	if cash > 0 {
		_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: newKey(), ClientID: c.ID, Amount: cash, Register: "cash"})
		must(f.t, err)
	}
	if card > 0 {
		_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: newKey(), ClientID: c.ID, Amount: card, Register: "card"})
		must(f.t, err)
	}
}

var keySeq atomic.Int64

func newKey() string { return "close-test-" + strconv.FormatInt(keySeq.Add(1), 10) }

func itoa(n int) string { return strconv.Itoa(n) }

func (f *fixture) closeAll(counted int64, reason string) finance.CloseResult {
	f.t.Helper()
	res, err := f.svc.CloseDay(f.ctx, f.mgr, finance.CloseRequest{Key: newKey(), Counted: &counted, Reason: reason})
	if err != nil {
		f.t.Fatalf("close: %v", err)
	}
	return res
}

func (f *fixture) auditActions() []string {
	f.t.Helper()
	es, err := f.svc.Audit(f.ctx, f.admin, time.Time{}, 0)
	must(f.t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func TestCloseOverAndShort(t *testing.T) {
	for _, tc := range []struct {
		name    string
		counted int64 // the drawer holds 10000 start + 5000 taken = 15000
		want    int64
		word    string
	}{
		{"over", 15250, 250, "over"},
		{"short", 14000, -1000, "short"},
		{"exact", 15000, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, finance.WithCloseRules(finance.CloseRules{ReasonThreshold: 500}))
			c := f.client("Anna", "050 123 4567")
			f.cashDay(c, 5000, 2000)
			day := f.today()
			res := f.closeAll(tc.counted, "miscounted change")
			if len(res.Closes) != 4 || res.Seal == nil {
				t.Fatalf("closing every register: %d closes, seal %v", len(res.Closes), res.Seal)
			}
			cash := res.Closes[0]
			if cash.Register != "cash" || cash.Expected != 15000 || cash.Counted != tc.counted || cash.OverShort != tc.want {
				t.Fatalf("cash close %+v", cash)
			}
			if got := f.balance(finance.AccountOverShort); got != -tc.want {
				t.Errorf("over_short account %d, want %d", got, -tc.want)
			}
			if got := f.balance(finance.RegisterAccount("cash")); got != tc.counted {
				t.Errorf("cash register %d after the close, want the counted %d", got, tc.counted)
			}
			if tc.want != 0 {
				if len(cash.Operations) != 1 {
					t.Fatalf("close posted %v", cash.Operations)
				}
				op, err := f.svc.Operation(f.ctx, cash.Operations[0])
				must(t, err)
				if op.Kind != finance.OpOverShort || op.BusinessDate != day || postingTo(op, "register/cash") != tc.want {
					t.Errorf("over/short operation %+v", op)
				}
			} else if len(cash.Operations) != 0 {
				t.Errorf("an exact count posted %v", cash.Operations)
			}
			z, err := f.svc.ZReport(f.ctx, f.mgr, day, "cash")
			must(t, err)
			if z[0].Close == nil || z[0].Close.OverShort != tc.want || z[0].Seal == nil || z[0].Seal.Seal != res.Seal.Seal {
				t.Errorf("Z-report %+v", z[0])
			}
			acts := strings.Join(f.auditActions(), " ")
			if strings.Count(acts, "close_day") != 4 || !strings.Contains(acts, "day_sealed") {
				t.Errorf("audit: %s", acts)
			}
			f.mustCheck()
			v, err := f.svc.Verify(f.ctx)
			must(t, err)
			if !v.OK() || v.Days != 1 {
				t.Errorf("verify %+v", v)
			}
		})
	}
}

func TestCloseRefusals(t *testing.T) {
	f := newFixture(t, finance.WithCloseRules(finance.CloseRules{ReasonThreshold: 500}))
	c := f.client("Anna", "050 123 4567")
	f.cashDay(c, 5000, 0)
	counted := int64(14000) // short by 1000, over the threshold
	for _, tc := range []struct {
		name string
		who  finance.Actor
		req  finance.CloseRequest
		want error
	}{
		{"desk may not close", f.desk, finance.CloseRequest{Counted: &counted, Reason: "x"}, finance.ErrForbidden},
		{"short without a reason", f.mgr, finance.CloseRequest{Counted: &counted}, finance.ErrInvalid},
		{"cash not counted", f.mgr, finance.CloseRequest{}, finance.ErrInvalid},
		{"counting a card terminal", f.mgr, finance.CloseRequest{Register: "card", Counted: &counted}, finance.ErrInvalid},
		{"a future day", f.mgr, finance.CloseRequest{Date: f.today().AddDays(1), Register: "card"}, finance.ErrInvalid},
		{"not a coin", f.mgr, finance.CloseRequest{Register: "cash", Counts: []finance.DenomCount{{Value: 300, Count: 1}}}, finance.ErrInvalid},
		{"counts disagree", f.mgr, finance.CloseRequest{Register: "cash", Counted: &counted, Reason: "x",
			Counts: []finance.DenomCount{{Value: 5000, Count: 2}}}, finance.ErrInvalid},
		{"float above the count", f.mgr, finance.CloseRequest{Register: "cash", Counted: &counted, Reason: "x", Float: i64(20000)}, finance.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snap(finance.RegisterAccount("cash"), finance.AccountOverShort)
			_, err := f.svc.CloseDay(f.ctx, tc.who, tc.req)
			wantErr(t, err, tc.want)
			after := f.snap()
			if after.lastOp != before.lastOp {
				t.Errorf("a refused close posted")
			}
			if after.audit != before.audit+1 {
				t.Errorf("a refused close wrote %d audit lines, want 1", after.audit-before.audit)
			}
			st, err := f.svc.DayStatus(f.ctx, f.today())
			must(t, err)
			if len(st.Closes) != 0 {
				t.Errorf("a refused close closed %v", st.Closes)
			}
		})
	}
	if acts := f.auditActions(); acts[len(acts)-1] != "close_refused" {
		t.Errorf("last audit action %q", acts[len(acts)-1])
	}
	// The card terminal closes on its own; it cannot close twice.
	_, err := f.svc.CloseDay(f.ctx, f.mgr, finance.CloseRequest{Register: "card"})
	must(t, err)
	_, err = f.svc.CloseDay(f.ctx, f.mgr, finance.CloseRequest{Register: "card"})
	wantErr(t, err, finance.ErrConflict)
}

func TestCloseByDenominationWithFloat(t *testing.T) {
	f := newFixture(t)
	c := f.client("Anna", "050 123 4567")
	f.cashDay(c, 5000, 0) // drawer: 15000
	res, err := f.svc.CloseDay(f.ctx, f.mgr, finance.CloseRequest{Register: "cash", Float: i64(5000),
		Counts: []finance.DenomCount{{Value: 5000, Count: 2}, {Value: 2000, Count: 2}, {Value: 500, Count: 2}, {Value: 200, Count: 0}}})
	must(t, err)
	cc := res.Closes[0]
	if cc.Counted != 15000 || cc.OverShort != 0 || cc.ToBank != 10000 || cc.Float != 5000 || len(cc.Counts) != 3 {
		t.Fatalf("close %+v", cc)
	}
	if got := f.balance(finance.RegisterAccount("cash")); got != 5000 {
		t.Errorf("drawer keeps %d, want the float 5000", got)
	}
	if got := f.balance(finance.RegisterAccount("bank")); got != 10000 {
		t.Errorf("bank %d, want 10000", got)
	}
	if res.Seal != nil {
		t.Error("one register closed sealed the day")
	}
	// The bank then closes on its totals, with the cash that moved in.
	res, err = f.svc.CloseDay(f.ctx, f.mgr, finance.CloseRequest{})
	must(t, err)
	for _, c := range res.Closes {
		if c.Register == "bank" && c.Expected != 10000 {
			t.Errorf("bank closed expecting %d", c.Expected)
		}
	}
	if res.Seal == nil {
		t.Error("the last registers' close did not seal the day")
	}
	f.mustCheck()
}

// A post into a closed day lands on the next open day, names the day it
// belongs to, and leaves the closed day's totals as they were; a replayed
// key still returns its first result.
func TestPostIntoClosedDayLandsOnOpenDay(t *testing.T) {
	f := newFixture(t)
	c := f.client("Anna", "050 123 4567")
	first, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "before-close", ClientID: c.ID, Amount: 5000, Register: "cash"})
	must(t, err)
	day := f.today()
	f.closeAll(15000, "")
	closed, err := f.svc.DayTotals(f.ctx, f.mgr, day)
	must(t, err)

	late, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "after-close", ClientID: c.ID, Amount: 700, Register: "card"})
	must(t, err)
	if late.BusinessDate != day.AddDays(1) || late.BelongsTo != day {
		t.Fatalf("late top-up dated %s, belongs to %q; want %s, %s", late.BusinessDate, late.BelongsTo, day.AddDays(1), day)
	}
	again, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "before-close", ClientID: c.ID, Amount: 5000, Register: "cash"})
	must(t, err)
	if again.ID != first.ID || again.BusinessDate != day || again.BelongsTo != "" {
		t.Errorf("replay after the close: %+v, want the first operation %d as it was", again, first.ID)
	}
	// A non-register operation (a client's deposit refund path) on a sealed day moves too.
	after, err := f.svc.DayTotals(f.ctx, f.mgr, day)
	must(t, err)
	for i := range closed {
		if closed[i].Closing != after[i].Closing || closed[i].Count != after[i].Count {
			t.Errorf("closed day's %s totals moved: %+v -> %+v", closed[i].Register, closed[i], after[i])
		}
	}
	ops, err := f.svc.DayOperations(f.ctx, f.mgr, day.AddDays(1), "")
	must(t, err)
	if len(ops) != 1 || ops[0].ID != late.ID {
		t.Errorf("next day's operations %v", ops)
	}
	es, err := f.svc.Audit(f.ctx, f.admin, time.Time{}, 0)
	must(t, err)
	if last := es[len(es)-1]; !strings.Contains(last.Subject, "belongs to "+string(day)) {
		t.Errorf("the late operation's audit line %+v does not say where it belongs", last)
	}
	// The next morning it is simply that day's operation.
	f.clock.Add(24 * time.Hour)
	if got, err := f.svc.Operation(f.ctx, late.ID); err != nil || got.BelongsTo != day {
		t.Errorf("stored late op %+v %v", got, err)
	}
	f.mustCheck()
	v, err := f.svc.Verify(f.ctx)
	must(t, err)
	if !v.OK() {
		t.Errorf("verify %+v", v)
	}
}

func TestDaysSealInOrderAndDrawerGate(t *testing.T) {
	f := newFixture(t, finance.WithCloseRules(finance.CloseRules{RequireClosedDrawer: true}))
	c := f.client("Anna", "050 123 4567")
	f.cashDay(c, 1000, 0)
	f.closeAll(11000, "")
	f.clock.Add(24 * time.Hour)
	f.cashDay(c, 1000, 0) // day 2: opens with day 1 closed
	d2 := f.today()
	f.clock.Add(24 * time.Hour)
	// Day 3: day 2's drawer is open, so cash is refused; card is fine.
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: newKey(), ClientID: c.ID, Amount: 100, Register: "cash"})
	wantErr(t, err, finance.ErrConflict)
	f.cashDay(c, 0, 100)
	// Day 3 cannot be closed before day 2.
	_, err = f.svc.CloseDay(f.ctx, f.mgr, finance.CloseRequest{Counted: i64(12000)})
	wantErr(t, err, finance.ErrConflict)
	_, err = f.svc.CloseDay(f.ctx, f.mgr, finance.CloseRequest{Date: d2, Counted: i64(12000)})
	must(t, err)
	f.cashDay(c, 1000, 0)
	open, err := f.svc.OpenPastDay(f.ctx)
	must(t, err)
	if open != "" {
		t.Errorf("open past day %q after closing day 2", open)
	}
	f.clock.Add(24 * time.Hour)
	if open, _ = f.svc.OpenPastDay(f.ctx); open != d2.AddDays(1) {
		t.Errorf("open past day %q, want %s", open, d2.AddDays(1))
	}
	f.mustCheck()
}

// A byte changed in a sealed day's stored operation (in a copy of the file)
// makes verify, and check, name that day; so do an operation taken out of
// the day's index and a seal whose link was changed.
func TestVerifyFindsTamperedByte(t *testing.T) {
	f := newFixture(t)
	c := f.client("Anna", "050 123 4567")
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: newKey(), ClientID: c.ID, Amount: 100, Register: "cash", Note: "day one"})
	must(t, err)
	f.closeAll(10100, "")
	f.clock.Add(24 * time.Hour)
	target, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: newKey(), ClientID: c.ID, Amount: 200, Register: "cash", Note: "tamper me"})
	must(t, err)
	day2 := f.today()
	f.closeAll(10300, "")
	f.clock.Add(24 * time.Hour)
	f.cashDay(c, 0, 50)
	f.closeAll(10300, "")
	day3 := f.today()

	var k [8]byte
	for i := range 8 {
		k[7-i] = byte(uint64(target.ID) >> (8 * i))
	}
	for _, tc := range []struct {
		name   string
		tamper func(btx *bolt.Tx) error
		day    finance.Date
		why    string
	}{
		{"a byte of an operation's record", func(btx *bolt.Tx) error {
			ops := btx.Bucket([]byte("ops"))
			v := bytes.Clone(ops.Get(k[:]))
			i := bytes.Index(v, []byte("tamper me"))
			if i < 0 {
				return errors.New("note not found in the record")
			}
			v[i] = 'T'
			return ops.Put(k[:], v)
		}, day2, "operation " + itoa(int(target.ID)) + "'s stored record changed"},
		{"an operation out of the day index", func(btx *bolt.Tx) error {
			return btx.Bucket([]byte("ops_day")).Delete(append([]byte(day2), k[:]...))
		}, day2, "operation " + itoa(int(target.ID)) + ", sealed with the day, is gone from it"},
		{"a seal's link", func(btx *bolt.Tx) error {
			b := btx.Bucket([]byte("day_seals"))
			v := bytes.Clone(b.Get([]byte(day3)))
			i := bytes.Index(v, []byte(`"prev_seal":"`))
			if i < 0 {
				return errors.New("no prev_seal in the seal")
			}
			v[i+len(`"prev_seal":"`)] = 'x'
			return b.Put([]byte(day3), v)
		}, day3, "link to the previous sealed day"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			copyPath := filepath.Join(t.TempDir(), "copy.db")
			must(t, f.db.Backup(f.ctx, copyPath))
			bdb, err := bolt.Open(copyPath, 0o600, nil)
			must(t, err)
			must(t, bdb.Update(tc.tamper))
			must(t, bdb.Close())
			db, err := store.Open(f.ctx, copyPath, store.Options{NoSync: true})
			must(t, err)
			defer db.Close()
			svc := finance.NewService(db, f.opts...)
			v, err := svc.Verify(f.ctx)
			must(t, err)
			if v.OK() || v.Broken != tc.day || !strings.Contains(v.Why, tc.why) {
				t.Errorf("verify on the tampered copy: %+v; want day %s broken: %s", v, tc.day, tc.why)
			}
			rep, err := svc.Check(f.ctx)
			must(t, err)
			if got := strings.Join(rep.Problems, "\n"); !strings.Contains(got, "sealed day "+string(tc.day)) || !strings.Contains(got, tc.why) {
				t.Errorf("check problems %v; want day %s: %s", rep.Problems, tc.day, tc.why)
			}
		})
	}
	// The original is untouched.
	if v, _ := f.svc.Verify(f.ctx); !v.OK() || v.Days != 3 {
		t.Errorf("original verify %+v", v)
	}
}

// A chain of 1,000 sealed days verifies, and check includes it.
func TestVerifyThousandDayChain(t *testing.T) {
	f := newFixture(t)
	c := f.client("Anna", "050 123 4567")
	for range 1000 {
		f.cashDay(c, 0, 100)
		f.closeAll(10000, "")
		f.clock.Add(24 * time.Hour)
	}
	v, err := f.svc.Verify(f.ctx)
	must(t, err)
	if !v.OK() || v.Days != 1000 || v.Operations != 1000 {
		t.Fatalf("verify %+v", v)
	}
	rep := f.mustCheck()
	if rep.SealedDays != 1000 {
		t.Errorf("check verified %d sealed days", rep.SealedDays)
	}
}

// The Z-report's figures are the day's totals.
func TestZReportMatchesTotals(t *testing.T) {
	f := newFixture(t)
	c := f.client("Anna", "050 123 4567")
	f.cashDay(c, 5000, 3000)
	_, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: newKey(), ClientID: c.ID, Total: 6000, FromBalance: i64(5000),
		Payments: []finance.Tender{{Register: "cash", Amount: 1000}}})
	must(t, err)
	_, err = f.svc.CashOut(f.ctx, f.admin, finance.CashOutRequest{Key: newKey(), ClientID: c.ID, Amount: 500, Register: "cash"})
	must(t, err)
	f.closeAll(15500, "")
	day := f.today()
	totals, err := f.svc.DayTotals(f.ctx, f.mgr, day)
	must(t, err)
	zs, err := f.svc.ZReport(f.ctx, f.mgr, day, "")
	must(t, err)
	if len(zs) != len(totals) {
		t.Fatalf("%d Z-reports for %d registers", len(zs), len(totals))
	}
	for i, z := range zs {
		tt := totals[i]
		if z.Register.ID != tt.Register || z.Opening != tt.Opening || z.In != tt.In || z.Out != tt.Out ||
			z.Closing != tt.Closing || z.Count != tt.Count {
			t.Errorf("register %s: Z %+v, totals %+v", tt.Register, z, tt)
		}
		for _, lines := range [][]finance.ZLine{z.ByKind, z.ByStaff} {
			var in, out int64
			for _, l := range lines {
				in += l.In
				out += l.Out
			}
			if in != z.In || out != z.Out {
				t.Errorf("register %s: lines add to %d/%d, totals %d/%d", tt.Register, in, out, z.In, z.Out)
			}
		}
		for _, l := range z.ByKind {
			if net := l.In - l.Out; net != tt.ByKind[finance.OpKind(l.Name)] {
				t.Errorf("register %s kind %s: Z net %d, totals %d", tt.Register, l.Name, net, tt.ByKind[finance.OpKind(l.Name)])
			}
		}
	}
}
