package finance_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// Check reports broken books in words; the store is tampered with directly,
// past the service's rules, to make each kind of damage.
func TestCheckFindsDamage(t *testing.T) {
	f := newFixture(t)
	f.allowBrokenBooks()
	anna := f.client("Anna Petrenko", "+380671234567")
	top, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 1000, Register: "cash"})
	must(t, err)
	rep := f.mustCheck()
	if rep.Operations != 1 || rep.Days != 1 || rep.Accounts < 5 {
		t.Errorf("report %+v", rep)
	}
	must(t, f.db.Update(f.ctx, func(tx finance.Tx) error {
		// Anna spends more than she has.
		op := finance.Operation{Key: "x", Kind: finance.OpCheckout, BusinessDate: f.today(), Time: f.clock.Now(), Staff: "x", ClientID: anna.ID,
			Postings: []finance.Posting{{Account: finance.ClientAccount(anna.ID), Amount: 3000}, {Account: finance.AccountRevenue, Amount: -3000}}}
		if err := tx.AppendOperation(&op); err != nil {
			return err
		}
		// A reversal link with no reversal behind it.
		return tx.MarkReversed(top.ID, op.ID)
	}))
	rep, err = f.svc.Check(f.ctx)
	must(t, err)
	text := rep.String()
	for _, want := range []string{"below the floor", "says reversed by"} {
		if !strings.Contains(text, want) {
			t.Errorf("report does not mention %q:\n%s", want, text)
		}
	}
}

func TestNobodyMayPost(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.MoveCash(f.ctx, finance.Actor{Role: finance.RoleAdmin}, finance.CashMoveRequest{Key: "k", Register: "cash", Amount: 1, In: true, Reason: "r"})
	wantErr(t, err, finance.ErrForbidden)
}

// A balance near int64's limit is reported, though it adds up: the next
// posting to it would overflow.
func TestCheckReportsBalanceNearOverflow(t *testing.T) {
	f := newFixture(t)
	f.allowBrokenBooks()
	f.mustCheck()
	huge := finance.BalanceCeiling + 1
	must(t, f.db.Update(f.ctx, func(tx finance.Tx) error {
		op := finance.Operation{Key: "huge", Kind: finance.OpPaidIn, BusinessDate: f.today(), Time: f.clock.Now(), Staff: "x",
			Postings: []finance.Posting{{Account: finance.RegisterAccount("card"), Amount: huge}, {Account: finance.AccountRevenue, Amount: -huge}}}
		return tx.AppendOperation(&op)
	}))
	rep, err := f.svc.Check(f.ctx)
	must(t, err)
	if text := rep.String(); !strings.Contains(text, "register/card") || !strings.Contains(text, "near the limit") {
		t.Fatalf("report does not name the card register near the limit:\n%s", text)
	}
	n := 0
	for _, p := range rep.Problems {
		if strings.Contains(p, "register/card") && strings.Contains(p, "near the limit") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the card register near the limit is said %d times: %v", n, rep.Problems)
	}
}

// A flagged provider event must say why; check names one that does not.
func TestCheckFlaggedEventNeedsAReason(t *testing.T) {
	f := newFixture(t)
	f.allowBrokenBooks()
	_, err := f.deliver(finance.ProviderEvent{ID: "evt_d", Type: finance.EventDisputeOpened, ObjectID: "dp_1", PaymentRef: "pi_x"})
	must(t, err)
	rep, err := f.svc.Check(f.ctx)
	must(t, err)
	if len(rep.Problems) != 0 {
		t.Fatalf("a flagged event with its reason: %v", rep.Problems)
	}
	must(t, f.db.Update(f.ctx, func(tx finance.Tx) error {
		e, err := tx.InboxEvent("evt_d")
		if err != nil {
			return err
		}
		e.Error = ""
		return tx.PutInboxEvent(e)
	}))
	rep, err = f.svc.Check(f.ctx)
	must(t, err)
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "evt_d") {
		t.Fatalf("problems = %v, want the flagged event without a reason", rep.Problems)
	}
}

// CheckWithProgress says where its scan is, ending at every operation, and
// reports what Check does.
func TestCheckWithProgressCounts(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	const n = 9000 // past two of the scan's progress steps (every 4,096)
	must(t, f.db.Update(f.ctx, func(tx finance.Tx) error {
		for i := range n {
			op := finance.Operation{Key: fmt.Sprintf("p%d", i), Kind: finance.OpTopUp, BusinessDate: f.today(), Time: f.clock.Now(),
				Staff: "Ira", ClientID: anna.ID, Postings: []finance.Posting{
					{Account: finance.ClientAccount(anna.ID), Amount: -1}, {Account: finance.RegisterAccount("cash"), Amount: 1}}}
			if err := tx.AppendOperation(&op); err != nil {
				return err
			}
		}
		return nil
	}))
	f.allowBrokenBooks() // balances and day figures were not kept up by hand
	var calls [][2]int
	rep, err := f.svc.CheckWithProgress(f.ctx, func(done, total int) { calls = append(calls, [2]int{done, total}) })
	must(t, err)
	want := [][2]int{{0, n}, {4096, n}, {8192, n}}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("progress %v, want %v", calls, want)
	}
	plain, err := f.svc.Check(f.ctx)
	must(t, err)
	if rep.String() != plain.String() {
		t.Errorf("with progress:\n%s\nwithout:\n%s", rep, plain)
	}
}
