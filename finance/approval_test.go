package finance_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// A desk person refused a reversal gets it done with a manager's PIN on the
// spot: the service checks the PIN and the manager's right, the operation is
// the desk person's, and the audit log names both.
func TestManagerApprovalLendsARightForOneAction(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna", "+380671234567")
	top, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 5000, Register: "cash"})
	must(t, err)
	desk, err := f.svc.Login(f.ctx, "Ira", deskPIN)
	must(t, err)

	req := finance.ReverseRequest{Key: "r", OperationID: top.ID, Reason: "wrong client"}
	var re *finance.RightError
	if _, err := f.svc.Reverse(f.ctx, desk, req); !errors.As(err, &re) {
		t.Fatalf("without approval: %v, want a RightError", err)
	}

	for _, c := range []struct {
		name string
		ap   finance.Approval
		want error
	}{
		{"a wrong PIN", finance.Approval{Staff: "Max", PIN: "0000"}, finance.ErrWrongPIN},
		{"someone without the right", finance.Approval{Staff: "Ira", PIN: deskPIN}, finance.ErrForbidden},
		{"nobody by that name", finance.Approval{Staff: "Nobody", PIN: "1111"}, finance.ErrWrongPIN},
	} {
		r := req
		r.Approval = &c.ap
		if _, err := f.svc.Preview(f.ctx, desk, r); !errors.Is(err, c.want) {
			t.Errorf("%s, preview: %v, want %v", c.name, err, c.want)
		}
		if _, err := f.svc.Reverse(f.ctx, desk, r); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if f.lastOp() != top.ID {
		t.Fatal("a refused approval posted")
	}

	if who, err := f.svc.Approve(f.ctx, desk, finance.RightReverse, finance.Approval{Staff: "Max", PIN: mgrPIN}); err != nil || who != "Max" {
		t.Fatalf("approve: %q %v", who, err)
	}
	req.Approval = &finance.Approval{Staff: "Max", PIN: mgrPIN}
	pv, err := f.svc.Preview(f.ctx, desk, req)
	must(t, err)
	rev, err := f.svc.Reverse(f.ctx, desk, req)
	must(t, err)
	if rev.Staff != "Ira" || len(rev.Postings) != len(pv.Operation.Postings) {
		t.Fatalf("reversal %+v", rev)
	}
	es, err := f.svc.Audit(f.ctx, f.admin, f.clock.Now().Add(-1e12), 100)
	must(t, err)
	var byDesk, byMgr bool
	for _, e := range es {
		subj := "op " + itoa(int(rev.ID)) + ","
		if strings.HasPrefix(e.Subject, subj) && e.Staff == "Ira" && e.Action == string(finance.OpReversal) {
			byDesk = true
		}
		if strings.HasPrefix(e.Subject, subj) && e.Staff == "Max" && e.Action == "approval" && strings.Contains(e.Reason, "Ira (desk)") &&
			strings.Contains(e.Reason, "reverse operations") {
			byMgr = true
		}
	}
	if !byDesk || !byMgr {
		t.Fatalf("audit lacks both names (desk %v, manager %v): %+v", byDesk, byMgr, es)
	}

	// The wrong PIN counted towards Max's lockout: his next login says so.
	if _, err := f.svc.Login(f.ctx, "Max", "0000"); err == nil || !strings.Contains(err.Error(), "tries left") {
		t.Fatalf("Max's count: %v", err)
	}
}

// A refund is lent the same way.
func TestManagerApprovalForARefund(t *testing.T) {
	f := newFixture(t)
	_, err := f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
	must(t, err)
	_, err = f.svc.CancelBooking(f.ctx, f.admin, "bk_1", "client called")
	must(t, err)
	req := finance.RefundRequest{Key: "rf", BookingID: "bk_1", ToDeposit: true, Reason: "canceled"}
	if _, err := f.svc.StartRefund(f.ctx, f.desk, req); !errors.Is(err, finance.ErrForbidden) {
		t.Fatalf("desk refund: %v", err)
	}
	req.Approval = &finance.Approval{Staff: "Max", PIN: mgrPIN}
	if _, err := f.svc.Preview(f.ctx, f.desk, req); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartRefund(f.ctx, f.desk, req); err != nil {
		t.Fatal(err)
	}
	if e := f.lastAudit(); e.Staff != "Max" || e.Action != "approval" || e.Subject != "booking bk_1" {
		t.Fatalf("last audit %+v", e)
	}
}
