package finance_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

var (
	cashAcc   = finance.RegisterAccount("cash")
	cardAcc   = finance.RegisterAccount("card")
	stripeAcc = finance.RegisterAccount("stripe")
)

func TestTopUp(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "067 123 4567")
	op, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "k1", ClientID: anna.ID, Amount: 5000, Register: "cash", Note: "  first visit  "})
	must(t, err)
	if op.Kind != finance.OpTopUp || op.ClientID != anna.ID || op.Staff != "Ira" || op.Comment != "first visit" {
		t.Errorf("op = %+v", op)
	}
	if op.BusinessDate != "2025-03-14" {
		t.Errorf("business date %s", op.BusinessDate)
	}
	if got := f.owed(anna.ID); got != 5000 {
		t.Errorf("owed %d, want 5000", got)
	}
	tot := f.totals()["cash"]
	if tot.Opening != 10000 || tot.In != 5000 || tot.Out != 0 || tot.Closing != 15000 || tot.ByKind[finance.OpTopUp] != 5000 || tot.Count != 1 {
		t.Errorf("cash totals %+v", tot)
	}
	f.mustCheck()
}

func TestTopUpRefusals(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	cases := []struct {
		name string
		who  finance.Actor
		req  finance.TopUpRequest
		want error
	}{
		{"zero", f.desk, finance.TopUpRequest{Key: "a", ClientID: anna.ID, Amount: 0, Register: "cash"}, finance.ErrInvalid},
		{"negative", f.desk, finance.TopUpRequest{Key: "b", ClientID: anna.ID, Amount: -5, Register: "cash"}, finance.ErrInvalid},
		{"no key", f.desk, finance.TopUpRequest{ClientID: anna.ID, Amount: 5, Register: "cash"}, finance.ErrInvalid},
		{"unknown client", f.desk, finance.TopUpRequest{Key: "c", ClientID: 999, Amount: 5, Register: "cash"}, finance.ErrNotFound},
		{"unknown register", f.desk, finance.TopUpRequest{Key: "d", ClientID: anna.ID, Amount: 5, Register: "safe"}, finance.ErrNotFound},
		{"no register", f.desk, finance.TopUpRequest{Key: "e", ClientID: anna.ID, Amount: 5}, finance.ErrInvalid},
		{"note too long", f.desk, finance.TopUpRequest{Key: "f", ClientID: anna.ID, Amount: 5, Register: "cash", Note: strings.Repeat("x", 501)}, finance.ErrInvalid},
		{"no right", finance.Actor{Staff: "Guest", Role: "guest"}, finance.TopUpRequest{Key: "g", ClientID: anna.ID, Amount: 5, Register: "cash"}, finance.ErrForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.snap(cashAcc, finance.ClientAccount(anna.ID))
			_, err := f.svc.TopUp(f.ctx, c.who, c.req)
			wantErr(t, err, c.want)
			f.unchanged(before, cashAcc, finance.ClientAccount(anna.ID))
		})
	}
	f.mustCheck()
}

func TestCheckoutSplit(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 2000, Register: "cash"})
	must(t, err)
	// €50 visit: €20 from the deposit (default: all she has), €10 cash, €20 card.
	op, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{
		Key: "co", ClientID: anna.ID,
		Lines:    []finance.LineItem{{Description: "Haircut", UnitPrice: 3500, Quantity: 1}, {Description: "Shampoo", UnitPrice: 750, Quantity: 2}},
		Payments: []finance.Tender{{Register: "cash", Amount: 1000}, {Register: "card", Amount: 2000}},
	})
	must(t, err)
	want := map[finance.AccountID]int64{finance.AccountRevenue: -5000, finance.ClientAccount(anna.ID): 2000, cashAcc: 1000, cardAcc: 2000}
	if len(op.Postings) != len(want) {
		t.Fatalf("postings %+v", op.Postings)
	}
	for _, p := range op.Postings {
		if want[p.Account] != p.Amount {
			t.Errorf("posting %s %d, want %d", p.Account, p.Amount, want[p.Account])
		}
	}
	if f.owed(anna.ID) != 0 {
		t.Errorf("owed %d", f.owed(anna.ID))
	}
	tot := f.totals()
	if tot["cash"].In != 3000 || tot["cash"].ByKind[finance.OpCheckout] != 1000 || tot["card"].Closing != 2000 {
		t.Errorf("totals %+v", tot)
	}
	if f.balance(finance.AccountRevenue) != -5000 {
		t.Errorf("revenue %d", f.balance(finance.AccountRevenue))
	}
	f.mustCheck()
}

func TestCheckoutPartialFromBalance(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 5000, Register: "cash"})
	must(t, err)
	_, err = f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "co", ClientID: anna.ID, Total: 4000,
		FromBalance: i64(1500), Payments: []finance.Tender{{Register: "card", Amount: 2500}}})
	must(t, err)
	if f.owed(anna.ID) != 3500 {
		t.Errorf("owed %d, want 3500", f.owed(anna.ID))
	}
	// Nothing from the deposit, all by card.
	_, err = f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "co2", ClientID: anna.ID, Total: 1000,
		FromBalance: i64(0), Payments: []finance.Tender{{Register: "card", Amount: 1000}}})
	must(t, err)
	// Walk-in.
	op, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "co3", Total: 1200,
		Payments: []finance.Tender{{Register: "cash", Amount: 1200}}})
	must(t, err)
	if op.ClientID != 0 {
		t.Errorf("walk-in op names client %d", op.ClientID)
	}
	if f.owed(anna.ID) != 3500 {
		t.Errorf("owed %d, want 3500", f.owed(anna.ID))
	}
	f.mustCheck()
}

func TestCheckoutRefusals(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 2000, Register: "cash"})
	must(t, err)
	card := []finance.Tender{{Register: "card", Amount: 5000}}
	cases := []struct {
		name string
		req  finance.CheckoutRequest
		want error
		msg  string
	}{
		{"zero total", finance.CheckoutRequest{ClientID: anna.ID, Total: 0}, finance.ErrInvalid, "total"},
		{"lines disagree", finance.CheckoutRequest{ClientID: anna.ID, Total: 100, Lines: []finance.LineItem{{Description: "x", UnitPrice: 50, Quantity: 1}}, Payments: card}, finance.ErrInvalid, "lines"},
		{"line without description", finance.CheckoutRequest{ClientID: anna.ID, Lines: []finance.LineItem{{UnitPrice: 50, Quantity: 1}}}, finance.ErrInvalid, "description"},
		{"line zero quantity", finance.CheckoutRequest{ClientID: anna.ID, Lines: []finance.LineItem{{Description: "x", UnitPrice: 50}}}, finance.ErrInvalid, "quantity"},
		{"more from balance than she has", finance.CheckoutRequest{ClientID: anna.ID, Total: 5000, FromBalance: i64(3000), Payments: []finance.Tender{{Register: "card", Amount: 2000}}}, finance.ErrInsufficientFunds, "Anna Petrenko has €20.00; paying €30.00 would leave the deposit below zero"},
		{"from balance above total", finance.CheckoutRequest{ClientID: anna.ID, Total: 1000, FromBalance: i64(1500)}, finance.ErrInvalid, "more than"},
		{"negative from balance", finance.CheckoutRequest{ClientID: anna.ID, Total: 1000, FromBalance: i64(-1), Payments: []finance.Tender{{Register: "card", Amount: 1001}}}, finance.ErrInvalid, "negative"},
		{"payments short", finance.CheckoutRequest{ClientID: anna.ID, Total: 5000, Payments: []finance.Tender{{Register: "card", Amount: 2000}}}, finance.ErrInvalid, "do not match"},
		{"payments over", finance.CheckoutRequest{ClientID: anna.ID, Total: 5000, Payments: card}, finance.ErrInvalid, "do not match"},
		{"walk-in from balance", finance.CheckoutRequest{Total: 5000, FromBalance: i64(100), Payments: card}, finance.ErrInvalid, "walk-in"},
		{"unknown register", finance.CheckoutRequest{ClientID: anna.ID, Total: 5000, FromBalance: i64(0), Payments: []finance.Tender{{Register: "safe", Amount: 5000}}}, finance.ErrNotFound, "safe"},
		{"negative tender", finance.CheckoutRequest{ClientID: anna.ID, Total: 5000, FromBalance: i64(0), Payments: []finance.Tender{{Register: "card", Amount: 6000}, {Register: "cash", Amount: -1000}}}, finance.ErrInvalid, "negative"},
		{"unknown client", finance.CheckoutRequest{ClientID: 77, Total: 5000, Payments: card}, finance.ErrNotFound, ""},
		{"unknown booking", finance.CheckoutRequest{ClientID: anna.ID, BookingID: "bk_none", Total: 5000, Payments: card}, finance.ErrNotFound, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.Key = fmt.Sprint("bad", i)
			before := f.snap(cashAcc, cardAcc, finance.AccountRevenue, finance.ClientAccount(anna.ID))
			_, err := f.svc.Checkout(f.ctx, f.desk, c.req)
			wantErr(t, err, c.want)
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("message %q does not say %q", err, c.msg)
			}
			f.unchanged(before, cashAcc, cardAcc, finance.AccountRevenue, finance.ClientAccount(anna.ID))
		})
	}
	f.mustCheck()
}

func TestCreditLimit(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	must(t, f.db.Update(f.ctx, func(tx finance.Tx) error {
		anna.CreditLimit = 3000
		return tx.UpdateClient(anna)
	}))
	// Default FromBalance uses the credit too.
	op, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c1", ClientID: anna.ID, Total: 5000,
		Payments: []finance.Tender{{Register: "cash", Amount: 2000}}})
	must(t, err)
	if f.owed(anna.ID) != -3000 {
		t.Fatalf("owed %d after op %+v", f.owed(anna.ID), op)
	}
	_, err = f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c2", ClientID: anna.ID, Total: 100, FromBalance: i64(100)})
	wantErr(t, err, finance.ErrInsufficientFunds)
	if !strings.Contains(err.Error(), "credit limit of €30.00") {
		t.Errorf("message %q", err)
	}
	v, err := f.svc.ClientView(f.ctx, anna.ID, finance.Page{})
	must(t, err)
	if v.Available != 0 || v.Balance != -3000 {
		t.Errorf("view %+v", v.ClientSummary)
	}
	f.mustCheck()
}

func TestCashOut(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 2000, Register: "card"})
	must(t, err)
	_, err = f.svc.CashOut(f.ctx, f.desk, finance.CashOutRequest{Key: "o1", ClientID: anna.ID, Amount: 500, Register: "cash"})
	wantErr(t, err, finance.ErrForbidden) // desk may not cash out

	before := f.snap(cashAcc, finance.ClientAccount(anna.ID))
	_, err = f.svc.CashOut(f.ctx, f.mgr, finance.CashOutRequest{Key: "o2", ClientID: anna.ID, Amount: 2500, Register: "cash"})
	wantErr(t, err, finance.ErrInsufficientFunds)
	if !strings.Contains(err.Error(), "Anna Petrenko has €20.00; cashing out €25.00") {
		t.Errorf("message %q", err)
	}
	f.unchanged(before, cashAcc, finance.ClientAccount(anna.ID))

	_, err = f.svc.CashOut(f.ctx, f.mgr, finance.CashOutRequest{Key: "o3", ClientID: anna.ID, Amount: 2000, Register: "cash"})
	must(t, err)
	if f.owed(anna.ID) != 0 || f.balance(cashAcc) != 8000 {
		t.Errorf("owed %d cash %d", f.owed(anna.ID), f.balance(cashAcc))
	}
	if tot := f.totals()["cash"]; tot.Out != 2000 || tot.Closing != 8000 || tot.ByKind[finance.OpCashOut] != -2000 {
		t.Errorf("cash totals %+v", tot)
	}
	f.mustCheck()
}

func TestTransferAndMoveCash(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.Transfer(f.ctx, f.mgr, finance.TransferRequest{Key: "tr", From: "cash", To: "bank", Amount: 4000, Note: "evening deposit"})
	must(t, err)
	_, err = f.svc.MoveCash(f.ctx, f.mgr, finance.CashMoveRequest{Key: "in", Register: "cash", Amount: 1000, In: true, Reason: "float"})
	must(t, err)
	_, err = f.svc.MoveCash(f.ctx, f.mgr, finance.CashMoveRequest{Key: "out", Register: "cash", Amount: 300, Reason: "coffee"})
	must(t, err)
	tot := f.totals()
	if c := tot["cash"]; c.Opening != 10000 || c.In != 1000 || c.Out != 4300 || c.Closing != 6700 ||
		c.ByKind[finance.OpTransfer] != -4000 || c.ByKind[finance.OpPaidIn] != 1000 || c.ByKind[finance.OpPaidOut] != -300 {
		t.Errorf("cash %+v", c)
	}
	if b := tot["bank"]; b.Closing != 4000 {
		t.Errorf("bank %+v", b)
	}
	if f.balance(finance.AccountPaidInOut) != -700 {
		t.Errorf("paid_in_out %d", f.balance(finance.AccountPaidInOut))
	}
	cases := []struct {
		name string
		fn   func() error
		want error
	}{
		{"same register", func() error {
			_, err := f.svc.Transfer(f.ctx, f.mgr, finance.TransferRequest{Key: "x1", From: "cash", To: "cash", Amount: 1})
			return err
		}, finance.ErrInvalid},
		{"transfer zero", func() error {
			_, err := f.svc.Transfer(f.ctx, f.mgr, finance.TransferRequest{Key: "x2", From: "cash", To: "card"})
			return err
		}, finance.ErrInvalid},
		{"desk may not transfer", func() error {
			_, err := f.svc.Transfer(f.ctx, f.desk, finance.TransferRequest{Key: "x3", From: "cash", To: "card", Amount: 1})
			return err
		}, finance.ErrForbidden},
		{"paid-out without reason", func() error {
			_, err := f.svc.MoveCash(f.ctx, f.mgr, finance.CashMoveRequest{Key: "x4", Register: "cash", Amount: 1, Reason: "   "})
			return err
		}, finance.ErrInvalid},
		{"paid-in unknown register", func() error {
			_, err := f.svc.MoveCash(f.ctx, f.mgr, finance.CashMoveRequest{Key: "x5", Register: "piggy", Amount: 1, In: true, Reason: "r"})
			return err
		}, finance.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.snap(cashAcc, cardAcc, finance.AccountPaidInOut)
			wantErr(t, c.fn(), c.want)
			f.unchanged(before, cashAcc, cardAcc, finance.AccountPaidInOut)
		})
	}
	f.mustCheck()
}

func TestRegisterRights(t *testing.T) {
	rights := finance.DefaultRights()
	d := rights[finance.RoleDesk]
	d.Registers = []string{"cash"}
	rights[finance.RoleDesk] = d
	f := newFixture(t, finance.WithRights(rights))
	anna := f.client("Anna Petrenko", "+380671234567")
	before := f.snap(cardAcc)
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "k", ClientID: anna.ID, Amount: 100, Register: "card"})
	wantErr(t, err, finance.ErrForbidden)
	f.unchanged(before, cardAcc)
	_, err = f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "k2", ClientID: anna.ID, Amount: 100, Register: "cash"})
	must(t, err)
	ts, err := f.svc.DayTotals(f.ctx, f.desk, f.today())
	must(t, err)
	if len(ts) != 1 || ts[0].Register != "cash" {
		t.Errorf("desk sees totals %+v", ts)
	}
}
