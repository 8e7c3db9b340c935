package finance_test

import (
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// A login ends when its person is disabled, given a new PIN or another role:
// every call made with it is refused from then on, the screens are told,
// and the audit log says whose logins were ended by whom.
func TestChangesToAPersonEndTheirLogins(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *fixture) error
		why    string
	}{
		{"disabled", func(f *fixture) error { return f.svc.DisableStaff(f.ctx, f.admin, "Ira") }, "disabled"},
		{"PIN reset", func(f *fixture) error { return f.svc.ResetPIN(f.ctx, f.admin, "Ira", "2468") }, "PIN reset"},
		{"role changed", func(f *fixture) error { return f.svc.SetRole(f.ctx, f.admin, "Ira", finance.RoleManager) }, "role changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.client("Anna Koval", "+380501234567")
			ira, err := f.svc.Login(f.ctx, "Ira", deskPIN)
			must(t, err)
			ira2, err := f.svc.Login(f.ctx, "Ira", deskPIN) // a second desk
			must(t, err)
			max, err := f.svc.Login(f.ctx, "Max", mgrPIN)
			must(t, err)
			_, err = f.svc.TopUp(f.ctx, ira, finance.TopUpRequest{Key: "k1", ClientID: c.ID, Amount: 1000, Register: "cash"})
			must(t, err)

			changes, stop := f.svc.Subscribe()
			defer stop()
			must(t, tc.change(f))
			for _, a := range []finance.Actor{ira, ira2} {
				if f.svc.SessionLive(a) {
					t.Fatalf("%+v still live", a)
				}
			}
			if !f.svc.SessionLive(max) || !f.svc.SessionLive(f.admin) {
				t.Fatal("someone else's login was ended")
			}
			sawStaff := false
			for len(changes) > 0 {
				if ch := <-changes; ch.What == "staff" && ch.Staff == "Ira" {
					sawStaff = true
				}
			}
			if !sawStaff {
				t.Fatal(`no Change{What: "staff", Staff: "Ira"} for the screens`)
			}

			before := f.owed(c.ID)
			_, err = f.svc.TopUp(f.ctx, ira, finance.TopUpRequest{Key: "k2", ClientID: c.ID, Amount: 1000, Register: "cash"})
			wantErr(t, err, finance.ErrSessionEnded)
			wantErr(t, err, finance.ErrForbidden)
			if !strings.Contains(finance.Message(err), "log in again") {
				t.Errorf("message %q", finance.Message(err))
			}
			if f.owed(c.ID) != before {
				t.Fatal("an ended login posted money")
			}
			_, err = f.svc.DayTotals(f.ctx, ira2, f.today())
			wantErr(t, err, finance.ErrSessionEnded)
			if _, err := f.svc.TopUp(f.ctx, max, finance.TopUpRequest{Key: "k3", ClientID: c.ID, Amount: 500, Register: "cash"}); err != nil {
				t.Fatalf("another person's login: %v", err)
			}

			entries, err := f.svc.RecentAudit(f.ctx, f.admin, f.clock.Now().AddDate(0, 0, -1), 20)
			must(t, err)
			found := false
			for _, e := range entries {
				if e.Action == "session_end" && e.Staff == "Olena" && e.Subject == "staff Ira" && e.Reason == tc.why &&
					e.Detail == "2 open logins ended" {
					found = true
				}
			}
			if !found {
				t.Fatalf("no session_end audit line: %+v", entries)
			}

			// Logging in again (where still allowed) gives a live login.
			if tc.why != "disabled" {
				pin := deskPIN
				if tc.why == "PIN reset" {
					pin = "2468"
				}
				again, err := f.svc.Login(f.ctx, "Ira", pin)
				must(t, err)
				if !f.svc.SessionLive(again) {
					t.Fatal("a new login is not live")
				}
				if tc.why == "role changed" && again.Role != finance.RoleManager {
					t.Fatalf("role after the change: %s", again.Role)
				}
			}
		})
	}
}

// Ending logins is audited only when some were open; logged-out logins
// do not count.
func TestNoSessionEndLineWithoutOpenLogins(t *testing.T) {
	f := newFixture(t)
	ira, err := f.svc.Login(f.ctx, "Ira", deskPIN)
	must(t, err)
	f.svc.Logout(ira)
	must(t, f.svc.DisableStaff(f.ctx, f.admin, "Ira"))
	entries, err := f.svc.RecentAudit(f.ctx, f.admin, f.clock.Now().AddDate(0, 0, -1), 20)
	must(t, err)
	for _, e := range entries {
		if e.Action == "session_end" {
			t.Fatalf("session_end without open logins: %+v", e)
		}
	}
}

func TestEnableAndSetRoleRules(t *testing.T) {
	f := newFixture(t)
	must(t, f.svc.DisableStaff(f.ctx, f.admin, "Ira"))
	_, err := f.svc.Login(f.ctx, "Ira", deskPIN)
	wantErr(t, err, finance.ErrForbidden)
	wantErr(t, f.svc.EnableStaff(f.ctx, f.desk, "Ira"), finance.ErrForbidden)
	must(t, f.svc.EnableStaff(f.ctx, f.admin, "Ira"))
	if _, err := f.svc.Login(f.ctx, "Ira", deskPIN); err != nil {
		t.Fatalf("after enable: %v", err)
	}
	wantErr(t, f.svc.EnableStaff(f.ctx, f.admin, "Nobody"), finance.ErrNotFound)

	wantErr(t, f.svc.SetRole(f.ctx, f.admin, "Ira", "boss"), finance.ErrInvalid)
	wantErr(t, f.svc.SetRole(f.ctx, f.desk, "Max", finance.RoleDesk), finance.ErrForbidden)
	// A manager with the staff right still cannot make an admin.
	withStaff := finance.NewService(f.db, finance.WithRights(finance.Rights{
		finance.RoleManager: {Rights: []finance.Right{finance.RightManageStaff}}}))
	wantErr(t, withStaff.SetRole(f.ctx, f.mgr, "Ira", finance.RoleAdmin), finance.ErrForbidden)
	wantErr(t, f.svc.SetRole(f.ctx, f.admin, "Olena", finance.RoleDesk), finance.ErrInvalid) // own role
	must(t, f.svc.SetRole(f.ctx, f.admin, "Max", finance.RoleAdmin))
	max := finance.Actor{Staff: "Max", Role: finance.RoleAdmin}
	must(t, f.svc.SetRole(f.ctx, max, "Olena", finance.RoleManager))
	// Max is now the only admin: nobody can unmake him (and not himself).
	must(t, f.svc.SetRole(f.ctx, max, "Ira", finance.RoleAdmin))
	ira := finance.Actor{Staff: "Ira", Role: finance.RoleAdmin}
	must(t, f.svc.DisableStaff(f.ctx, max, "Ira"))
	wantErr(t, f.svc.SetRole(f.ctx, ira, "Max", finance.RoleDesk), finance.ErrInvalid)
	staff, err := f.svc.StaffList(f.ctx)
	must(t, err)
	roles := map[string]finance.Role{}
	for _, s := range staff {
		roles[s.Name] = s.Role
	}
	if roles["Max"] != finance.RoleAdmin || roles["Olena"] != finance.RoleManager {
		t.Fatalf("roles %v", roles)
	}
	f.mustCheck()
}
