package finance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

const (
	maxStaffNameLen   = 64
	maxActionLen      = 64
	defaultAuditLimit = 200
	maxAuditLimit     = 10000
)

var registerIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// DefaultRegisters are the four registers a new location starts with: the
// one list (config's defaults and first-run setup take it from here).
func DefaultRegisters() []Register {
	return []Register{
		{ID: "cash", Name: "Cash drawer", Kind: RegisterCash},
		{ID: "card", Name: "Card terminal", Kind: RegisterCard},
		{ID: "stripe", Name: "Stripe", Kind: RegisterOnline},
		{ID: "bank", Name: "Bank", Kind: RegisterBank},
	}
}

// SetupDefaults fills what a new location's settings leave empty: the one
// place for setup defaults (config's guess from the machine starts from it,
// first-run setup fills from it).
func SetupDefaults(st Settings) Settings {
	if st.Currency == "" {
		st.Currency = "USD"
	}
	if st.Locale == "" {
		st.Locale = "en"
	}
	if st.TimeZone == "" {
		st.TimeZone = "UTC"
	}
	if st.PhoneRegion == "" {
		st.PhoneRegion = "US"
	}
	if len(st.Registers) == 0 {
		st.Registers = DefaultRegisters()
	}
	if st.OnlineRegID == "" {
		st.OnlineRegID = "stripe"
	}
	if st.BankRegID == "" {
		st.BankRegID = "bank"
	}
	return st
}

// checkSettings validates settings for setup and fills the defaults.
func (s *Service) checkSettings(st Settings) (Settings, error) {
	var err error
	if st.Location, err = cleanText("location name", st.Location, maxNameLen); err != nil {
		return Settings{}, err
	}
	st.Currency = strings.ToUpper(strings.TrimSpace(st.Currency))
	if st.Locale = strings.TrimSpace(st.Locale); st.Locale == "" {
		st.Locale = "en"
	}
	if err := ValidLocale(st.Locale); err != nil {
		return Settings{}, err
	}
	if _, err := NewFormatter(st.Currency, st.Locale); err != nil {
		return Settings{}, err
	}
	st.TimeZone = strings.TrimSpace(st.TimeZone)
	if _, err := s.location(st); err != nil {
		return Settings{}, err
	}
	st.PhoneRegion = strings.ToUpper(strings.TrimSpace(st.PhoneRegion))
	if st.PhoneRegion != "" && !ValidPhoneRegion(st.PhoneRegion) {
		return Settings{}, errf(ErrInvalid, "unknown phone region %q (use a two-letter country code such as UA)", st.PhoneRegion)
	}
	if st.CreditLimit < 0 {
		return Settings{}, errf(ErrInvalid, "the credit limit cannot be negative")
	}
	if len(st.Registers) == 0 {
		st.Registers = DefaultRegisters()
	}
	regs := make([]Register, 0, len(st.Registers))
	seen := map[string]bool{}
	for _, r := range st.Registers {
		r.ID = strings.TrimSpace(r.ID)
		if !registerIDPattern.MatchString(r.ID) {
			return Settings{}, errf(ErrInvalid, "register id %q must be a short lowercase slug (a-z, 0-9, - and _)", r.ID)
		}
		if seen[r.ID] {
			return Settings{}, errf(ErrInvalid, "register %q is listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.Name, err = cleanText("register name", r.Name, maxNameLen); err != nil {
			return Settings{}, err
		}
		if r.Name == "" {
			r.Name = r.ID
		}
		switch r.Kind {
		case RegisterCash, RegisterCard, RegisterOnline, RegisterBank:
		default:
			return Settings{}, errf(ErrInvalid, "register %q has kind %q; use cash, card, online or bank", r.ID, r.Kind)
		}
		regs = append(regs, r)
	}
	st.Registers = regs
	pick := func(field, id string, def string, kind RegisterKind) (string, error) {
		if id = strings.TrimSpace(id); id != "" {
			if !seen[id] {
				return "", errf(ErrInvalid, "%s %q is not one of the registers", field, id)
			}
			return id, nil
		}
		if seen[def] {
			return def, nil
		}
		for _, r := range regs {
			if r.Kind == kind {
				return r.ID, nil
			}
		}
		return "", nil
	}
	if st.OnlineRegID, err = pick("online register", st.OnlineRegID, "stripe", RegisterOnline); err != nil {
		return Settings{}, err
	}
	if st.BankRegID, err = pick("bank register", st.BankRegID, "bank", RegisterBank); err != nil {
		return Settings{}, err
	}
	return st, nil
}

// Setup stores the location's settings and creates the owner (an admin with
// a PIN) on a new database. ErrConflict if already set up.
func (s *Service) Setup(ctx context.Context, st Settings, ownerName, ownerPIN string) error {
	st, err := s.checkSettings(st)
	if err != nil {
		return err
	}
	var owner *Staff
	if strings.TrimSpace(ownerName) != "" {
		o, err := s.newStaff(ownerName, RoleAdmin, ownerPIN)
		if err != nil {
			return err
		}
		owner = &o
	}
	who := "owner"
	if owner != nil {
		who = owner.Name
	}
	err = s.update(ctx, func(tx Tx) error {
		switch _, err := tx.Settings(); {
		case err == nil:
			return errf(ErrConflict, "this database is already set up")
		case !errors.Is(err, ErrNotInitialized):
			return err
		}
		if err := tx.PutSettings(st); err != nil {
			return err
		}
		if err := tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: who, Action: "setup",
			Subject: "settings", Detail: st.Location + ", " + st.Currency}); err != nil {
			return err
		}
		if owner == nil {
			return nil
		}
		if err := tx.PutStaff(*owner); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: who, Action: "staff_add",
			Subject: "staff " + owner.Name, Detail: "role admin"})
	})
	if err != nil {
		return err
	}
	s.publish(Change{What: "settings"})
	return nil
}

// newStaff validates a person and hashes their PIN.
func (s *Service) newStaff(name string, role Role, pin string) (Staff, error) {
	name, err := requiredText("name", name, maxStaffNameLen)
	if err != nil {
		return Staff{}, err
	}
	if strings.EqualFold(name, SystemActor().Staff) {
		return Staff{}, errf(ErrInvalid, "%q is reserved for the payment sync", name)
	}
	switch role {
	case RoleDesk, RoleManager, RoleAdmin:
	default:
		return Staff{}, errf(ErrInvalid, "role %q; use desk, manager or admin", role)
	}
	if role == RoleAdmin {
		if err := s.checkAdminPIN(pin); err != nil {
			return Staff{}, err
		}
	}
	hash, err := s.hashPIN(pin)
	if err != nil {
		return Staff{}, err
	}
	return Staff{Name: name, Role: role, PINHash: hash, Created: s.now()}, nil
}

// checkAdminPIN holds an admin's PIN to [limits] admin_pin_length.
func (s *Service) checkAdminPIN(pin string) error {
	if n := s.limits.AdminPINLength; n > 4 && len(pin) < n {
		return errf(ErrInvalid, "an admin's PIN is at least %d digits here", n)
	}
	return nil
}

// lockoutFor is how long the nth lockout in a row lasts: the configured
// lockout (5 minutes), then six times it (30 minutes); ok is false from the
// third on, which lasts until an admin resets the PIN. Four-digit PINs
// cannot be walked that way: 15 guesses, then a person has to act.
func (s *Service) lockoutFor(n int) (time.Duration, bool) {
	switch n {
	case 1:
		return s.lockout, true
	case 2:
		return 6 * s.lockout, true
	}
	return 0, false
}

// dummyHash is a PIN hash of the service's cost that no PIN is checked for
// in earnest, made once.
func (s *Service) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("00000000"), s.pinCost)
	})
	return s.dummy
}

func (s *Service) hashPIN(pin string) ([]byte, error) {
	if len(pin) < 4 || len(pin) > 8 || strings.Trim(pin, "0123456789") != "" {
		return nil, errf(ErrInvalid, "a PIN is 4 to 8 digits")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), s.pinCost)
	if err != nil {
		return nil, errf(ErrInvalid, "cannot hash the PIN: %v", err)
	}
	return h, nil
}

// AddStaff adds a person. Only an admin may add another admin, so a
// manager granted staff rights cannot raise anyone above themselves.
func (s *Service) AddStaff(ctx context.Context, a Actor, name string, role Role, pin string) error {
	if err := s.require(a, RightManageStaff); err != nil {
		return err
	}
	if role == RoleAdmin && a.Role != RoleAdmin {
		return errf(ErrForbidden, "only an admin may add an admin")
	}
	st, err := s.newStaff(name, role, pin)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx Tx) error {
		all, err := tx.StaffList()
		if err != nil {
			return err
		}
		for _, x := range all {
			if strings.EqualFold(x.Name, st.Name) {
				return errf(ErrConflict, "there is already a staff member called %s", x.Name)
			}
		}
		if err := tx.PutStaff(st); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: "staff_add",
			Subject: "staff " + st.Name, Detail: "role " + string(st.Role)})
	})
	if err != nil {
		return err
	}
	s.publish(Change{What: "staff"})
	return nil
}

// DisableStaff stops a person from logging in. Nobody disables themselves or
// the last active admin, so the desk can never lock everyone out.
func (s *Service) DisableStaff(ctx context.Context, a Actor, name string) error {
	if err := s.require(a, RightManageStaff); err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	err := s.update(ctx, func(tx Tx) error {
		st, err := tx.Staff(name)
		if err != nil {
			return err
		}
		if st.Disabled {
			return nil
		}
		if st.Name == a.Staff {
			return errf(ErrInvalid, "you cannot disable yourself")
		}
		if st.Role == RoleAdmin {
			all, err := tx.StaffList()
			if err != nil {
				return err
			}
			admins := 0
			for _, x := range all {
				if x.Role == RoleAdmin && !x.Disabled {
					admins++
				}
			}
			if admins <= 1 {
				return errf(ErrInvalid, "%s is the last active admin", st.Name)
			}
		}
		st.Disabled = true
		if err := tx.PutStaff(st); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: "staff_disable", Subject: "staff " + st.Name})
	})
	if err != nil {
		return err
	}
	return s.endSessions(ctx, a, name, "disabled")
}

// ResetPIN sets a new PIN and lifts any lockout.
func (s *Service) ResetPIN(ctx context.Context, a Actor, name, pin string) error {
	if err := s.require(a, RightManageStaff); err != nil {
		return err
	}
	hash, err := s.hashPIN(pin)
	if err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	err = s.update(ctx, func(tx Tx) error {
		st, err := tx.Staff(name)
		if err != nil {
			return err
		}
		if st.Role == RoleAdmin && a.Role != RoleAdmin {
			return errf(ErrForbidden, "only an admin may reset an admin's PIN")
		}
		if st.Role == RoleAdmin {
			if err := s.checkAdminPIN(pin); err != nil {
				return err
			}
		}
		st.PINHash, st.FailedPINs, st.LockedUntil = hash, 0, time.Time{}
		st.Lockouts, st.LockedUntilReset = 0, false
		if err := tx.PutStaff(st); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: "staff_reset_pin", Subject: "staff " + st.Name})
	})
	if err != nil {
		return err
	}
	return s.endSessions(ctx, a, name, "PIN reset")
}

// StaffList lists everyone, without PIN hashes (no screen needs them).
func (s *Service) StaffList(ctx context.Context) ([]Staff, error) {
	return read(ctx, s, func(tx ReadTx) ([]Staff, error) {
		all, err := tx.StaffList()
		if err != nil {
			return nil, err
		}
		out := make([]Staff, len(all))
		for i, x := range all {
			x.PINHash = nil
			out[i] = x
		}
		return out, nil
	})
}

// Login checks a PIN; too many wrong ones lock the person out for a while.
// The failure count and the audit line are committed even when the login is
// refused, which is why the refusal is returned after the transaction.
// Refusals: ErrWrongPIN while tries remain; ErrLockedOut for the try that
// uses up the last one and for every try until the lockout ends (the person
// must wait either way); plain ErrForbidden for a disabled person. All three
// match ErrForbidden.
func (s *Service) Login(ctx context.Context, name, pin string) (Actor, error) {
	var (
		actor   Actor
		refused error
	)
	err := s.update(ctx, func(tx Tx) error {
		st, why, err := s.checkPIN(tx, name, pin, "login_failed")
		if err != nil || why != nil {
			refused = why
			return err
		}
		actor = Actor{Staff: st.Name, Role: st.Role}
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: st.Name, Action: "login"})
	})
	if err != nil {
		return Actor{}, err
	}
	if refused != nil {
		return Actor{}, refused
	}
	actor.Session = s.sessions.start(actor.Staff)
	return actor, nil
}

// checkPIN is the one check of a person's PIN (a login, a manager's
// approval): disabled and locked-out people are refused, a wrong PIN counts
// towards a lockout, and each refusal is audited as failAction. refused is
// the refusal in words; err is the store's. A good PIN clears the count.
func (s *Service) checkPIN(tx Tx, name, pin, failAction string) (st Staff, refused, err error) {
	name = strings.TrimSpace(name)
	st, err = tx.Staff(name)
	if errors.Is(err, ErrNotFound) {
		// Answered as a wrong PIN, after as much work as one, so a
		// guesser learns nothing of who works here.
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(pin))
		return Staff{}, errf(ErrWrongPIN, "wrong name or PIN"), nil
	}
	if err != nil {
		return Staff{}, nil, err
	}
	now := s.now()
	audit := func(action, reason string) error {
		return tx.AppendAudit(&AuditEntry{Time: now, Staff: st.Name, Action: action, Reason: reason})
	}
	if st.Disabled {
		return st, errf(ErrForbidden, "%s is disabled", st.Name), audit(failAction, "disabled")
	}
	if st.LockedUntilReset {
		return st, errf(ErrLockedOut, "%s is locked out after too many wrong PINs until an admin resets the PIN", st.Name),
			audit(failAction, "locked out until reset")
	}
	if now.Before(st.LockedUntil) {
		loc := time.Local
		if set, err := tx.Settings(); err == nil {
			if l, err := s.location(set); err == nil {
				loc = l
			}
		}
		return st, errf(ErrLockedOut, "%s is locked out after too many wrong PINs; try again after %s", st.Name, st.LockedUntil.In(loc).Format("15:04")),
			audit(failAction, "locked out")
	}
	if bcrypt.CompareHashAndPassword(st.PINHash, []byte(pin)) != nil {
		st.FailedPINs++
		if st.FailedPINs >= s.maxPINTries {
			st.Lockouts++
			st.FailedPINs = 0
			if d, ok := s.lockoutFor(st.Lockouts); ok {
				st.LockedUntil = now.Add(d)
				refused = errf(ErrLockedOut, "wrong PIN; %s is locked out for %s", st.Name, d)
			} else {
				st.LockedUntilReset = true
				refused = errf(ErrLockedOut, "wrong PIN; %s is locked out until an admin resets the PIN", st.Name)
			}
			if err := tx.PutStaff(st); err != nil {
				return st, nil, err
			}
			if err := audit(failAction, "wrong PIN"); err != nil {
				return st, nil, err
			}
			return st, refused, audit("lockout", fmt.Sprintf("%d wrong PINs", s.maxPINTries))
		}
		left := s.maxPINTries - st.FailedPINs
		if err := tx.PutStaff(st); err != nil {
			return st, nil, err
		}
		return st, errf(ErrWrongPIN, "wrong PIN (%d %s left)", left, plural(left, "try", "tries")), audit(failAction, "wrong PIN")
	}
	st.FailedPINs, st.LockedUntil, st.Lockouts = 0, time.Time{}, 0
	return st, nil, tx.PutStaff(st)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// auditLimit checks that a may read the audit log and bounds a page of it.
func (s *Service) auditLimit(a Actor, limit int) (int, error) {
	if err := s.require(a, RightPastTotals); err != nil {
		return 0, err
	}
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	return min(limit, maxAuditLimit), nil
}

// Audit reads the audit log, oldest first. It needs RightPastTotals: the log
// shows past days' activity, so whoever may not see past days' totals may
// not read it either (by default: managers and admins).
func (s *Service) Audit(ctx context.Context, a Actor, since time.Time, limit int) ([]AuditEntry, error) {
	limit, err := s.auditLimit(a, limit)
	if err != nil {
		return nil, err
	}
	return read(ctx, s, func(tx ReadTx) ([]AuditEntry, error) { return tx.Audit(since, limit) })
}

// RecentAudit reads the newest entries at or after since, newest first, with
// the same right and limits as Audit (which reads from since onwards: on a
// busy desk its first entries are the oldest of the window, not the latest).
func (s *Service) RecentAudit(ctx context.Context, a Actor, since time.Time, limit int) ([]AuditEntry, error) {
	limit, err := s.auditLimit(a, limit)
	if err != nil {
		return nil, err
	}
	return read(ctx, s, func(tx ReadTx) ([]AuditEntry, error) {
		if t, ok := tx.(AuditTailReader); ok {
			return t.AuditNewest(since, limit)
		}
		all, err := tx.Audit(since, 0)
		if err != nil {
			return nil, err
		}
		var out []AuditEntry
		for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
			out = append(out, all[i])
		}
		return out, nil
	})
}

// RecordAudit appends an audit line for an action that is not an operation
// (export, settings change, logout). Anyone may record their own action.
func (s *Service) RecordAudit(ctx context.Context, a Actor, action, subject, reason string) error {
	action, err := requiredText("action", action, maxActionLen)
	if err != nil {
		return err
	}
	if subject, err = cleanText("subject", subject, maxNameLen); err != nil {
		return err
	}
	if reason, err = cleanText("reason", reason, maxReasonLen); err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error {
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: action, Subject: subject, Reason: reason})
	})
}
