package finance_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// A flagged event stays flagged until an admin resolves it, with a reason,
// audited; retry re-applies a failed one or a flagged one that posted
// nothing, never one that posted (that would only hide its flag).
func TestResolveAndRetryFlaggedEvents(t *testing.T) {
	f := newFixture(t)
	usd := payEvent("evt_usd", "pi_usd", "bk_usd", 2500, nil)
	usd.Currency = "usd"
	group := payEvent("evt_grp", "pi_grp", "bk_grp", 1000, map[string]string{finance.MetaGroupEvent: "true"})
	for _, e := range []finance.ProviderEvent{usd, group} {
		f.clock.Add(time.Second) // listed newest first: received one after the other
		if _, err := f.deliver(e); err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
		if got := f.event(e.ID); got.Status != finance.InboxFlagged || got.Error == "" {
			t.Fatalf("%s = %s %q, want flagged with a reason", e.ID, got.Status, got.Error)
		}
	}

	// Only an admin retries or resolves.
	var re *finance.RightError
	if err := f.svc.RetryEvent(f.ctx, f.mgr, "evt_usd"); !errors.As(err, &re) {
		t.Fatalf("manager's retry: %v, want a right error", err)
	}
	if _, err := f.svc.ResolveEvent(f.ctx, f.mgr, "evt_usd", "checked"); !errors.As(err, &re) {
		t.Fatalf("manager's resolve: %v, want a right error", err)
	}

	// A flagged event that posted is resolved, not retried.
	err := f.svc.RetryEvent(f.ctx, f.admin, "evt_grp")
	wantErr(t, err, finance.ErrConflict)
	if !strings.Contains(err.Error(), "resolve") {
		t.Errorf("retry of a flagged event that posted: %v, want it to point at resolve", err)
	}

	// One that posted nothing is applied again, and flagged again: its cause is still there.
	before := f.balance(accStripe)
	must(t, f.svc.RetryEvent(f.ctx, f.admin, "evt_usd"))
	if e := f.event("evt_usd"); e.Status != finance.InboxPending || !strings.Contains(e.Error, "USD") {
		t.Fatalf("after retry: %s %q, want pending keeping its reason until applied", e.Status, e.Error)
	}
	must(t, f.svc.ApplyEvent(f.ctx, "evt_usd"))
	must(t, f.svc.ApplyEvent(f.ctx, "evt_usd"))
	if e := f.event("evt_usd"); e.Status != finance.InboxFlagged || e.Operation != 0 {
		t.Fatalf("after the second apply: %s op %d", e.Status, e.Operation)
	}
	if got := f.balance(accStripe); got != before {
		t.Fatalf("re-applying a flagged event moved the Stripe register from %d to %d", before, got)
	}

	_, err = f.svc.ResolveEvent(f.ctx, f.admin, "evt_usd", "  ")
	wantErr(t, err, finance.ErrInvalid)
	_, err = f.svc.ResolveEvent(f.ctx, f.admin, "evt_nope", "x")
	wantErr(t, err, finance.ErrNotFound)
	stats, err := f.svc.InboxStats(f.ctx)
	must(t, err)
	if stats.Flagged != 2 {
		t.Fatalf("flagged = %d before resolving, want 2", stats.Flagged)
	}
	e, err := f.svc.ResolveEvent(f.ctx, f.admin, "evt_usd", "client paid again in EUR; the USD charge refunded in the dashboard")
	must(t, err)
	if e.Status != finance.InboxResolved || !strings.Contains(e.Error, "USD") || !strings.Contains(e.Resolution, "dashboard") {
		t.Fatalf("resolved event = %s %q %q", e.Status, e.Error, e.Resolution)
	}
	if stats, _ = f.svc.InboxStats(f.ctx); stats.Flagged != 1 {
		t.Errorf("flagged = %d after resolving one, want 1", stats.Flagged)
	}
	_, err = f.svc.ResolveEvent(f.ctx, f.admin, "evt_usd", "again")
	wantErr(t, err, finance.ErrConflict)
	wantErr(t, f.svc.RetryEvent(f.ctx, f.admin, "evt_usd"), finance.ErrConflict)
	must(t, f.svc.ApplyEvent(f.ctx, "evt_usd")) // a resolved event is never applied again
	if e := f.event("evt_usd"); e.Status != finance.InboxResolved {
		t.Fatalf("apply after resolve: %s", e.Status)
	}
	// A flagged event that posted is resolved too, and keeps its operation.
	grp, err := f.svc.ResolveEvent(f.ctx, f.admin, "evt_grp", "the second half is paid at the desk")
	must(t, err)
	if grp.Operation == 0 {
		t.Errorf("resolving lost the event's operation")
	}
	ops, err := f.svc.EventOperations(f.ctx, "evt_grp")
	must(t, err)
	if len(ops) != 1 || ops[0].ID != grp.Operation || ops[0].Kind != finance.OpOnlinePrepayment {
		t.Errorf("evt_grp's operations = %+v", ops)
	}

	for _, tc := range []struct {
		status finance.InboxStatus
		want   []string
	}{
		{finance.InboxResolved, []string{"evt_grp", "evt_usd"}},
		{finance.InboxFlagged, nil},
		{"", []string{"evt_grp", "evt_usd"}},
	} {
		evs, err := f.svc.InboxList(f.ctx, tc.status, 0)
		must(t, err)
		var got []string
		for _, e := range evs {
			got = append(got, e.ID)
			if e.Raw != nil {
				t.Errorf("%s listed with its raw body", e.ID)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("InboxList(%q) = %v, want %v", tc.status, got, tc.want)
		}
	}
	_, err = f.svc.InboxList(f.ctx, "bogus", 0)
	wantErr(t, err, finance.ErrInvalid)

	audit, err := f.svc.Audit(f.ctx, f.admin, time.Time{}, 0)
	must(t, err)
	n := 0
	for _, a := range audit {
		if a.Action == "event_resolve" && a.Staff == "Olena" && a.Reason != "" && a.Detail != "" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d event_resolve audit entries with a reason and the flag, want 2", n)
	}
}

// A failed event is retried by an admin, and posts once however often.
func TestRetryFailedEventPostsOnce(t *testing.T) {
	f := newFixture(t)
	// A refund of a payment not yet seen fails (the payment is on its way).
	_, err := f.deliver(refundEvent("evt_r", "pi_1", finance.ProviderRefund{ID: "re_1", Amount: 1000, Status: "succeeded"}))
	if err == nil {
		t.Fatal("a refund of an unknown payment applied")
	}
	if _, err := f.deliver(payEvent("evt_p", "pi_1", "bk_1", 2500, nil)); err != nil {
		t.Fatal(err)
	}
	must(t, f.svc.RetryEvent(f.ctx, f.admin, "evt_r"))
	must(t, f.svc.ApplyEvent(f.ctx, "evt_r"))
	// Asked again once it went through: refused, and applying it again is a no-op.
	wantErr(t, f.svc.RetryEvent(f.ctx, f.admin, "evt_r"), finance.ErrConflict)
	must(t, f.svc.ApplyEvent(f.ctx, "evt_r"))
	if e := f.event("evt_r"); e.Status != finance.InboxApplied && e.Status != finance.InboxFlagged {
		t.Fatalf("evt_r = %s %q", e.Status, e.Error)
	}
	wantErr(t, f.svc.RetryEvent(f.ctx, f.admin, "evt_p"), finance.ErrConflict)
	if got := f.balance(accStripe); got != 1500 {
		t.Fatalf("stripe register = %d, want 2500 - 1000 once", got)
	}
}

// check finds a flagged event without a reason, and a resolved one that
// does not say how.
func TestCheckFlaggedEventsHaveReasons(t *testing.T) {
	f := newFixture(t)
	f.allowBrokenBooks()
	usd := payEvent("evt_usd", "pi_usd", "bk_usd", 2500, nil)
	usd.Currency = "usd"
	if _, err := f.deliver(usd); err != nil {
		t.Fatal(err)
	}
	if rep := f.mustCheck(); len(rep.Problems) != 0 {
		t.Fatalf("problems with a flag that has a reason: %v", rep.Problems)
	}
	for _, tc := range []struct {
		status finance.InboxStatus
		why    string
		want   string
	}{
		{finance.InboxFlagged, "", "flagged without a reason"},
		{finance.InboxResolved, "not posted: USD", "resolved without saying how"},
	} {
		must(t, f.db.Update(f.ctx, func(tx finance.Tx) error {
			e, err := tx.InboxEvent("evt_usd")
			if err != nil {
				return err
			}
			e.Status, e.Error, e.Resolution = tc.status, tc.why, ""
			return tx.PutInboxEvent(e)
		}))
		rep, err := f.svc.Check(f.ctx)
		must(t, err)
		if !strings.Contains(strings.Join(rep.Problems, "\n"), tc.want) {
			t.Errorf("check problems = %v, want %q", rep.Problems, tc.want)
		}
	}
}
