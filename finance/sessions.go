package finance

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Sessions: a PIN login is good until that person is disabled, gets a new
// PIN or another role. Each staff member has a generation; Login hands it
// out in Actor.Session, and those changes move it on, so every call made
// with an older one is refused (require checks it) and every screen that
// holds one locks itself (SessionLive, after the Change{What: "staff"} the
// change publishes, or at its next clock tick). Sessions live in this
// process: every desk (the local one, each SSH session, commands through
// serve's socket) goes through one Service, and a restart ends them all.
//
// Actors with Session 0 are not PIN sessions: the owner at the CLI, the
// payment sync, and tests that build an Actor by hand.

// sessions counts, per staff member, the generation and the logins open in it.
type sessions struct {
	mu     sync.Mutex
	byName map[string]*staffSessions
}

type staffSessions struct {
	gen  uint64
	open int
}

func newSessions() *sessions { return &sessions{byName: map[string]*staffSessions{}} }

func (t *sessions) entry(name string) *staffSessions {
	e := t.byName[name]
	if e == nil {
		e = &staffSessions{gen: 1}
		t.byName[name] = e
	}
	return e
}

func (t *sessions) start(name string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(name)
	e.open++
	return e.gen
}

func (t *sessions) live(a Actor) bool {
	if a.Session == 0 {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byName[a.Staff]
	return e != nil && e.gen == a.Session
}

func (t *sessions) stop(a Actor) {
	if a.Session == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byName[a.Staff]; e != nil && e.gen == a.Session && e.open > 0 {
		e.open--
	}
}

// end moves name to a new generation and says how many logins were open.
func (t *sessions) end(name string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(name)
	e.gen++
	n := e.open
	e.open = 0
	return n
}

// SessionLive reports whether a's login still holds: false once that person
// was disabled, given a new PIN or another role since. Screens ask it to
// lock themselves; the service refuses such an actor anyway.
func (s *Service) SessionLive(a Actor) bool { return s.sessions.live(a) }

// checkSession refuses an actor whose login was ended.
func (s *Service) checkSession(a Actor) error {
	if !s.sessions.live(a) {
		return fmt.Errorf("%w: %s was changed (disabled, a new PIN or another role); log in again", ErrSessionEnded, a.Staff)
	}
	return nil
}

// Logout ends one login (the lock screen, a quit, the end of a CLI command).
func (s *Service) Logout(a Actor) { s.sessions.stop(a) }

// endSessions ends every open login of name after a change to that person
// (why: "disabled", "PIN reset", "role changed"), tells every screen, and
// records it when any login was open.
func (s *Service) endSessions(ctx context.Context, by Actor, name, why string) error {
	n := s.sessions.end(name)
	s.publish(Change{What: "staff", Staff: name})
	if n == 0 {
		return nil
	}
	return s.update(ctx, func(tx Tx) error {
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: by.Staff, Action: "session_end",
			Subject: "staff " + name, Reason: why, Detail: fmt.Sprintf("%d open %s ended", n, plural(n, "login", "logins"))})
	})
}

// EnableStaff lets a disabled person log in again (with their PIN as it was;
// reset it too if it may be known to others). Only an admin enables an admin.
func (s *Service) EnableStaff(ctx context.Context, a Actor, name string) error {
	if err := s.require(a, RightManageStaff); err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	err := s.update(ctx, func(tx Tx) error {
		st, err := tx.Staff(name)
		if err != nil {
			return err
		}
		if !st.Disabled {
			return nil
		}
		if st.Role == RoleAdmin && a.Role != RoleAdmin {
			return errf(ErrForbidden, "only an admin may enable an admin")
		}
		st.Disabled, st.FailedPINs = false, 0
		if err := tx.PutStaff(st); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: "staff_enable", Subject: "staff " + st.Name})
	})
	if err != nil {
		return err
	}
	s.publish(Change{What: "staff", Staff: name})
	return nil
}

// SetRole gives a person another role and ends their open logins, so the
// new rights apply from their next PIN. Only an admin makes or unmakes an
// admin; nobody changes their own role (another admin must), and the last
// active admin stays one.
func (s *Service) SetRole(ctx context.Context, a Actor, name string, role Role) error {
	if err := s.require(a, RightManageStaff); err != nil {
		return err
	}
	switch role {
	case RoleDesk, RoleManager, RoleAdmin:
	default:
		return errf(ErrInvalid, "role %q; use desk, manager or admin", role)
	}
	name = strings.TrimSpace(name)
	changed := false
	var from Role
	err := s.update(ctx, func(tx Tx) error {
		changed = false
		st, err := tx.Staff(name)
		if err != nil {
			return err
		}
		if st.Role == role {
			return nil
		}
		if st.Name == a.Staff {
			return errf(ErrInvalid, "you cannot change your own role; another admin can")
		}
		if (role == RoleAdmin || st.Role == RoleAdmin) && a.Role != RoleAdmin {
			return errf(ErrForbidden, "only an admin may make or unmake an admin")
		}
		if st.Role == RoleAdmin && !st.Disabled {
			if err := lastAdminCheck(tx, st.Name); err != nil {
				return err
			}
		}
		from = st.Role
		st.Role = role
		if err := tx.PutStaff(st); err != nil {
			return err
		}
		changed = true
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: "staff_set_role",
			Subject: "staff " + st.Name, Detail: fmt.Sprintf("role %s -> %s", from, role)})
	})
	if err != nil || !changed {
		return err
	}
	return s.endSessions(ctx, a, name, "role changed")
}

// lastAdminCheck refuses taking name, an active admin, away from the admins
// when nobody else is one: the desk could never manage staff again.
func lastAdminCheck(tx ReadTx, name string) error {
	all, err := tx.StaffList()
	if err != nil {
		return err
	}
	for _, x := range all {
		if x.Role == RoleAdmin && !x.Disabled && x.Name != name {
			return nil
		}
	}
	return errf(ErrInvalid, "%s is the last active admin", name)
}
