package finance_test

import (
	"errors"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

func TestDefaultRights(t *testing.T) {
	svc := finance.NewService(nil)
	desk := finance.Actor{Staff: "Ira", Role: finance.RoleDesk}
	mgr := finance.Actor{Staff: "Max", Role: finance.RoleManager}
	admin := finance.Actor{Staff: "Olena", Role: finance.RoleAdmin}
	cases := []struct {
		right            finance.Right
		desk, mgr, admin bool
	}{
		{finance.RightTopUp, true, true, true},
		{finance.RightCheckout, true, true, true},
		{finance.RightClients, true, true, true},
		{finance.RightCashOut, false, true, true},
		{finance.RightTransfer, false, true, true},
		{finance.RightPaidInOut, false, true, true},
		{finance.RightPastTotals, false, true, true},
		{finance.RightExport, false, true, true},
		{finance.RightReverse, false, true, true},
		{finance.RightRefund, false, true, true},
		{finance.RightBookings, false, true, true},
		{finance.RightCloseDay, false, true, true},
		{finance.RightManageStaff, false, false, true},
		{finance.RightSettings, false, false, true},
	}
	for _, c := range cases {
		for _, x := range []struct {
			a    finance.Actor
			want bool
		}{{desk, c.desk}, {mgr, c.mgr}, {admin, c.admin}} {
			if got := svc.Allowed(x.a, c.right); got != x.want {
				t.Errorf("%s may %s: %v, want %v", x.a.Role, c.right, got, x.want)
			}
		}
	}
	if svc.Allowed(finance.Actor{Staff: "?", Role: "stranger"}, finance.RightTopUp) {
		t.Error("an unknown role holds a right")
	}
}

func TestCustomRights(t *testing.T) {
	r := finance.Rights{finance.RoleDesk: {Rights: []finance.Right{finance.RightTopUp, finance.RightReverse}, Registers: []string{"cash"}}}
	svc := finance.NewService(nil, finance.WithRights(r))
	desk := finance.Actor{Staff: "Ira", Role: finance.RoleDesk}
	if !svc.Allowed(desk, finance.RightReverse) || svc.Allowed(desk, finance.RightCheckout) {
		t.Error("configured desk rights not applied")
	}
	if !svc.CanUseRegister(desk, "cash") || svc.CanUseRegister(desk, "card") {
		t.Error("register list not applied")
	}
	// Roles the config leaves out keep their defaults.
	if !svc.Allowed(finance.Actor{Role: finance.RoleManager}, finance.RightCashOut) {
		t.Error("manager lost default rights")
	}
}

// Every refusal names the missing right, and every right has words.
func TestRightErrorWords(t *testing.T) {
	err := error(&finance.RightError{Staff: "Ira", Role: finance.RoleDesk, Right: finance.RightReverse})
	if !errors.Is(err, finance.ErrForbidden) || err.Error() != "Ira (desk) may not reverse operations" {
		t.Errorf("%v", err)
	}
	for _, r := range finance.AllRights() {
		if r.Description() == "" || (r != finance.RightExport && r.Description() == string(r)) {
			t.Errorf("right %s has no description", r)
		}
	}
}

// Each service entry point refuses an actor without its right.
func TestEachRightEnforced(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	nobody := finance.Actor{Staff: "Guest", Role: "guest"}
	calls := map[finance.Right]func() error{
		finance.RightTopUp: func() error {
			_, err := f.svc.TopUp(f.ctx, nobody, finance.TopUpRequest{Key: "1", ClientID: anna.ID, Amount: 1, Register: "cash"})
			return err
		},
		finance.RightCheckout: func() error {
			_, err := f.svc.Checkout(f.ctx, nobody, finance.CheckoutRequest{Key: "2", Total: 1, Payments: []finance.Tender{{Register: "cash", Amount: 1}}})
			return err
		},
		finance.RightCashOut: func() error {
			_, err := f.svc.CashOut(f.ctx, nobody, finance.CashOutRequest{Key: "3", ClientID: anna.ID, Amount: 1, Register: "cash"})
			return err
		},
		finance.RightTransfer: func() error {
			_, err := f.svc.Transfer(f.ctx, nobody, finance.TransferRequest{Key: "4", From: "cash", To: "card", Amount: 1})
			return err
		},
		finance.RightPaidInOut: func() error {
			_, err := f.svc.MoveCash(f.ctx, nobody, finance.CashMoveRequest{Key: "5", Register: "cash", Amount: 1, Reason: "r"})
			return err
		},
		finance.RightReverse: func() error {
			_, err := f.svc.Reverse(f.ctx, nobody, finance.ReverseRequest{Key: "6", OperationID: 1, Reason: "r"})
			return err
		},
		finance.RightClients: func() error {
			_, err := f.svc.CreateClient(f.ctx, nobody, finance.NewClient{Name: "X", Phone: "+380501112233"})
			return err
		},
		finance.RightManageStaff: func() error { return f.svc.AddStaff(f.ctx, nobody, "X", finance.RoleDesk, "1234") },
		finance.RightPastTotals: func() error {
			_, err := f.svc.Audit(f.ctx, nobody, f.clock.Now(), 1)
			return err
		},
	}
	for right, call := range calls {
		before := f.snap(cashAcc)
		err := call()
		var re *finance.RightError
		if !errors.As(err, &re) || re.Right != right {
			t.Errorf("%s: got %v, want a RightError for it", right, err)
		}
		f.unchanged(before, cashAcc)
	}
}
