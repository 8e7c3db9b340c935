package finance_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// Each kind of refused login has its own sentinel, and every one of them is
// still ErrForbidden for code that only asks whether the login was refused.
func TestLoginRefusalSentinels(t *testing.T) {
	f := newFixture(t, finance.WithLoginLimits(3, 10*time.Minute))
	steps := []struct {
		name, who, pin string
		want           error // nil = logged in
		msg            string
	}{
		{"first wrong PIN", "Ira", "0000", finance.ErrWrongPIN, "wrong PIN (2 tries left)"},
		{"second wrong PIN", "Ira", "0000", finance.ErrWrongPIN, "wrong PIN (1 try left)"},
		{"the last try locks her out", "Ira", "0000", finance.ErrLockedOut, "wrong PIN; Ira is locked out for 10m0s"},
		{"the right PIN while locked out", "Ira", deskPIN, finance.ErrLockedOut, "Ira is locked out after too many wrong PINs; try again after 10:10"},
		{"someone else is not locked out", "Max", "9999", finance.ErrWrongPIN, "wrong PIN (2 tries left)"},
		{"unknown person: as a wrong PIN", "Nobody", "1234", finance.ErrWrongPIN, "wrong name or PIN"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			_, err := f.svc.Login(f.ctx, st.who, st.pin)
			wantErr(t, err, st.want)
			if !strings.Contains(finance.Message(err), st.msg) {
				t.Errorf("message %q, want it to say %q", finance.Message(err), st.msg)
			}
			refused := errors.Is(st.want, finance.ErrWrongPIN) || errors.Is(st.want, finance.ErrLockedOut)
			if refused != errors.Is(err, finance.ErrForbidden) {
				t.Errorf("errors.Is(ErrForbidden) = %v for %v", !refused, err)
			}
			for _, other := range []error{finance.ErrWrongPIN, finance.ErrLockedOut, finance.ErrLocked} {
				if other != st.want && errors.Is(err, other) {
					t.Errorf("%v also matches %v", err, other)
				}
			}
		})
	}

	f.clock.Add(11 * time.Minute)
	a, err := f.svc.Login(f.ctx, "Ira", deskPIN)
	must(t, err)
	if a.Staff != f.desk.Staff || a.Role != f.desk.Role || a.Session == 0 {
		t.Errorf("actor %+v", a)
	}

	// Disabled is a refusal, but neither a wrong PIN nor a lockout: no wait helps.
	must(t, f.svc.DisableStaff(f.ctx, f.admin, "Ira"))
	_, err = f.svc.Login(f.ctx, "Ira", deskPIN)
	wantErr(t, err, finance.ErrForbidden)
	if errors.Is(err, finance.ErrWrongPIN) || errors.Is(err, finance.ErrLockedOut) || finance.Message(err) != "Ira is disabled" {
		t.Errorf("disabled: %v", err)
	}
}

func TestLoginSentinelsAreForbidden(t *testing.T) {
	for _, s := range []error{finance.ErrWrongPIN, finance.ErrLockedOut} {
		if !errors.Is(s, finance.ErrForbidden) {
			t.Errorf("%v is not ErrForbidden", s)
		}
		if errors.Is(finance.ErrForbidden, s) { //nolint:staticcheck // SA1032: the reverse order on purpose: the parent must not match a child
			t.Errorf("ErrForbidden matches %v", s)
		}
	}
	if errors.Is(finance.ErrWrongPIN, finance.ErrLockedOut) || errors.Is(finance.ErrLockedOut, finance.ErrWrongPIN) {
		t.Error("the two login sentinels match each other")
	}
}

// Each lockout in a row lasts longer: 5 minutes, then 30, then until an
// admin resets the PIN; a reset lifts it and starts the count again.
func TestLockoutGrows(t *testing.T) {
	f := newFixture(t)
	wrong := func() error {
		var err error
		for range 5 {
			_, err = f.svc.Login(f.ctx, "Ira", "0000")
		}
		return err
	}
	if err := wrong(); !strings.Contains(finance.Message(err), "locked out for 5m0s") {
		t.Fatalf("first lockout: %v", err)
	}
	f.clock.Add(6 * time.Minute)
	if err := wrong(); !strings.Contains(finance.Message(err), "locked out for 30m0s") {
		t.Fatalf("second lockout: %v", err)
	}
	f.clock.Add(31 * time.Minute)
	if err := wrong(); !strings.Contains(finance.Message(err), "until an admin resets the PIN") {
		t.Fatalf("third lockout: %v", err)
	}
	f.clock.Add(24 * 365 * time.Hour)
	_, err := f.svc.Login(f.ctx, "Ira", deskPIN)
	wantErr(t, err, finance.ErrLockedOut)
	must(t, f.svc.ResetPIN(f.ctx, f.admin, "Ira", "8642"))
	_, err = f.svc.Login(f.ctx, "Ira", "8642")
	must(t, err)
	if err := wrong(); !strings.Contains(finance.Message(err), "locked out for 5m0s") {
		t.Fatalf("after a reset: %v", err)
	}
}

// An admin's PIN may be held to more digits than everyone's.
func TestAdminPINLength(t *testing.T) {
	f := newBareFixture(t, finance.WithLimits(finance.Limits{AdminPINLength: 6}))
	wantErr(t, f.svc.Setup(f.ctx, testSettings(), "Olena", adminPIN), finance.ErrInvalid)
	must(t, f.svc.Setup(f.ctx, testSettings(), "Olena", "246810"))
	f.admin = finance.Actor{Staff: "Olena", Role: finance.RoleAdmin}
	wantErr(t, f.svc.AddStaff(f.ctx, f.admin, "Oksana", finance.RoleAdmin, "1234"), finance.ErrInvalid)
	must(t, f.svc.AddStaff(f.ctx, f.admin, "Oksana", finance.RoleAdmin, "123456"))
	must(t, f.svc.AddStaff(f.ctx, f.admin, "Dasha", finance.RoleDesk, "1234"))
	wantErr(t, f.svc.ResetPIN(f.ctx, f.admin, "Oksana", "4321"), finance.ErrInvalid)
}
