package finance_test

import (
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

func TestSetupOnce(t *testing.T) {
	f := newFixture(t)
	err := f.svc.Setup(f.ctx, testSettings(), "Mallory", "9999")
	wantErr(t, err, finance.ErrConflict)
	st, err := f.svc.Settings(f.ctx)
	must(t, err)
	if st.Currency != "EUR" || st.OnlineRegID != "stripe" || st.BankRegID != "bank" || len(st.Registers) != 4 {
		t.Errorf("settings %+v", st)
	}
}

func TestSetupValidates(t *testing.T) {
	cases := []struct {
		name string
		edit func(*finance.Settings)
		pin  string
	}{
		{"unknown currency", func(s *finance.Settings) { s.Currency = "XXY" }, "1234"},
		{"unknown locale", func(s *finance.Settings) { s.Locale = "xx" }, "1234"},
		{"zone typed as locale", func(s *finance.Settings) { s.Locale = "Europe/Kyiv" }, "1234"},
		{"bad zone", func(s *finance.Settings) { s.TimeZone = "Mars/Olympus" }, "1234"},
		{"bad region", func(s *finance.Settings) { s.PhoneRegion = "QQ" }, "1234"},
		{"duplicate register", func(s *finance.Settings) { s.Registers = append(s.Registers, s.Registers[0]) }, "1234"},
		{"bad register kind", func(s *finance.Settings) { s.Registers[0].Kind = "sock" }, "1234"},
		{"bad register id", func(s *finance.Settings) { s.Registers[0].ID = "Cash Drawer" }, "1234"},
		{"negative credit", func(s *finance.Settings) { s.CreditLimit = -1 }, "1234"},
		{"short pin", func(*finance.Settings) {}, "12"},
		{"letters pin", func(*finance.Settings) {}, "12ab"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newBareFixture(t)
			st := testSettings()
			c.edit(&st)
			wantErr(t, f.svc.Setup(f.ctx, st, "Olena", c.pin), finance.ErrInvalid)
			_, err := f.svc.Settings(f.ctx)
			wantErr(t, err, finance.ErrNotInitialized)
		})
	}
}

func TestStaffAndLogin(t *testing.T) {
	f := newFixture(t, finance.WithLoginLimits(3, 10*time.Minute))
	a, err := f.svc.Login(f.ctx, "Ira", deskPIN)
	must(t, err)
	if a.Staff != f.desk.Staff || a.Role != f.desk.Role || a.Session == 0 {
		t.Errorf("actor %+v", a)
	}
	wantErr(t, f.svc.AddStaff(f.ctx, f.desk, "Bob", finance.RoleDesk, "1111"), finance.ErrForbidden)
	wantErr(t, f.svc.AddStaff(f.ctx, f.admin, "ira", finance.RoleDesk, "1111"), finance.ErrConflict)
	wantErr(t, f.svc.AddStaff(f.ctx, f.admin, "Bob", "owner", "1111"), finance.ErrInvalid)
	wantErr(t, f.svc.AddStaff(f.ctx, f.admin, "Bob", finance.RoleDesk, "123456789"), finance.ErrInvalid)
	wantErr(t, f.svc.AddStaff(f.ctx, f.admin, "stripe", finance.RoleDesk, "1111"), finance.ErrInvalid)

	// Two wrong PINs, then the right one resets the count.
	for range 2 {
		_, err = f.svc.Login(f.ctx, "Ira", "0000")
		wantErr(t, err, finance.ErrForbidden)
	}
	_, err = f.svc.Login(f.ctx, "Ira", deskPIN)
	must(t, err)
	// Three wrong in a row lock her out, even with the right PIN.
	for range 3 {
		_, err = f.svc.Login(f.ctx, "Ira", "0000")
		wantErr(t, err, finance.ErrForbidden)
	}
	_, err = f.svc.Login(f.ctx, "Ira", deskPIN)
	wantErr(t, err, finance.ErrForbidden)
	f.clock.Add(11 * time.Minute)
	_, err = f.svc.Login(f.ctx, "Ira", deskPIN)
	must(t, err)

	must(t, f.svc.ResetPIN(f.ctx, f.admin, "Ira", "24680"))
	_, err = f.svc.Login(f.ctx, "Ira", deskPIN)
	wantErr(t, err, finance.ErrForbidden)
	_, err = f.svc.Login(f.ctx, "Ira", "24680")
	must(t, err)

	must(t, f.svc.DisableStaff(f.ctx, f.admin, "Ira"))
	_, err = f.svc.Login(f.ctx, "Ira", "24680")
	wantErr(t, err, finance.ErrForbidden)
	wantErr(t, f.svc.DisableStaff(f.ctx, f.admin, "Olena"), finance.ErrInvalid) // herself, and the last admin
	_, err = f.svc.Login(f.ctx, "Nobody", "1234")
	wantErr(t, err, finance.ErrWrongPIN)

	list, err := f.svc.StaffList(f.ctx)
	must(t, err)
	if len(list) != 3 {
		t.Fatalf("staff %+v", list)
	}
	for _, s := range list {
		if s.PINHash != nil {
			t.Errorf("%s: PIN hash leaked to the list", s.Name)
		}
	}

	// The audit log tells the story, and only managers and admins read it.
	_, err = f.svc.Audit(f.ctx, f.desk, time.Time{}, 0)
	wantErr(t, err, finance.ErrForbidden)
	must(t, f.svc.RecordAudit(f.ctx, f.mgr, "export", "ops 2025-03-14", "month end"))
	log, err := f.svc.Audit(f.ctx, f.mgr, time.Time{}, 0)
	must(t, err)
	count := map[string]int{}
	for _, e := range log {
		count[e.Action]++
	}
	want := map[string]int{"setup": 1, "staff_add": 3, "login": 4, "login_failed": 8, "lockout": 1,
		"staff_reset_pin": 1, "staff_disable": 1, "export": 1}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("audit %s: %d lines, want %d (all: %v)", k, count[k], v, count)
		}
	}
}

func TestPostingsAreAudited(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	top, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 100, Register: "cash"})
	must(t, err)
	_, err = f.svc.Reverse(f.ctx, f.admin, finance.ReverseRequest{Key: "r", OperationID: top.ID, Reason: "typo"})
	must(t, err)
	log, err := f.svc.Audit(f.ctx, f.admin, time.Time{}, 0)
	must(t, err)
	var got []string
	for _, e := range log {
		got = append(got, e.Staff+" "+e.Action+" "+e.Reason)
	}
	want := []string{"Ira top_up ", "Olena reversal typo"}
	tail := got[len(got)-2:]
	if tail[0] != want[0] || tail[1] != want[1] {
		t.Errorf("audit tail %q, want %q", tail, want)
	}
}
