package main

// Staff, PINs and the audit log from the command line, and acting as a named
// staff member (--as). Rights are checked by finance.Service, never here.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/deskserver"
)

// staffCommands are the rows staff.go adds to the command table.
func staffCommands() []command {
	return []command{
		{"staff add", "--name NAME --role desk|manager|admin", "add a staff member (PIN asked, or one line on stdin)", cmdStaffAdd},
		{"staff list", "[--json]", "list staff with role and status", cmdStaffList},
		{"staff disable", "NAME", "stop a staff member from logging in (their open logins end at once)", cmdStaffDisable},
		{"staff enable", "NAME", "let a disabled staff member log in again", cmdStaffEnable},
		{"staff set-role", "NAME --role desk|manager|admin", "give a staff member another role (their open logins end at once)", cmdStaffSetRole},
		{"staff reset-pin", "NAME", "set a new PIN for a staff member, lift a lockout, end their open logins", cmdStaffResetPIN},
		{"audit", "[--since YYYY-MM-DD] [--limit N] [--oldest] [--json]", "who did what, newest first: operations, logins, staff and settings changes", cmdAudit},
	}
}

func cmdStaffAdd(ctx context.Context, a *app, args []string) error {
	fs := newFlags("staff add")
	name := fs.String("name", "", "the person's name, as they pick it on the login screen (required)")
	role := fs.String("role", "", "desk, manager or admin (required)")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := required(fs, "name", "role"); err != nil {
		return err
	}
	r, err := parseRole(*role)
	if err != nil {
		return err
	}
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	// Refuse before asking for a PIN that would be thrown away.
	if !svc.Allowed(a.actor, finance.RightManageStaff) {
		return &finance.RightError{Staff: a.actor.Staff, Role: a.actor.Role, Right: finance.RightManageStaff}
	}
	pin, err := a.newPIN(strings.TrimSpace(*name))
	if err != nil {
		return err
	}
	if err := svc.AddStaff(ctx, a.actor, *name, r, pin); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "added %s (%s)\n", strings.TrimSpace(*name), r)
	return err
}

func parseRole(s string) (finance.Role, error) {
	switch r := finance.Role(strings.ToLower(strings.TrimSpace(s))); r {
	case finance.RoleDesk, finance.RoleManager, finance.RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q; use desk, manager or admin", finance.ErrInvalid, s)
}

// staffJSON is a staff member for --json: never the PIN hash.
type staffJSON struct {
	Name        string       `json:"name"`
	Role        finance.Role `json:"role"`
	Status      string       `json:"status"` // active, disabled, locked
	Disabled    bool         `json:"disabled"`
	LockedUntil *time.Time   `json:"locked_until,omitempty"`
	FailedPINs  int          `json:"failed_pins"`
	Created     time.Time    `json:"created"`
}

func cmdStaffList(ctx context.Context, a *app, args []string) error {
	fs := newFlags("staff list")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	list, err := svc.StaffList(ctx)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	now := svc.Now()
	out := make([]staffJSON, 0, len(list))
	for _, s := range list {
		j := staffJSON{Name: s.Name, Role: s.Role, Status: "active", Disabled: s.Disabled, FailedPINs: s.FailedPINs, Created: s.Created}
		switch {
		case s.Disabled:
			j.Status = "disabled"
		case now.Before(s.LockedUntil):
			j.Status = "locked"
			lu := s.LockedUntil
			j.LockedUntil = &lu
		}
		out = append(out, j)
	}
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	if len(out) == 0 {
		_, err := fmt.Fprintln(a.stdout, "no staff yet: add someone with `paydesk staff add --name NAME --role desk`")
		return err
	}
	t := newTable(a.stdout, "NAME", "ROLE", "STATUS", "SINCE")
	for _, s := range out {
		status := s.Status
		if s.LockedUntil != nil {
			status = "locked until " + s.LockedUntil.In(v.loc).Format("15:04")
		}
		t.row(s.Name, string(s.Role), status, s.Created.In(v.loc).Format("2006-01-02"))
	}
	return t.flush()
}

func cmdStaffDisable(ctx context.Context, a *app, args []string) error {
	fs := newFlags("staff disable")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	if err := svc.DisableStaff(ctx, a.actor, pos[0]); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "%s can no longer log in\n", strings.TrimSpace(pos[0]))
	return err
}

func cmdStaffEnable(ctx context.Context, a *app, args []string) error {
	fs := newFlags("staff enable")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	if err := svc.EnableStaff(ctx, a.actor, pos[0]); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "%s can log in again\n", strings.TrimSpace(pos[0]))
	return err
}

func cmdStaffSetRole(ctx context.Context, a *app, args []string) error {
	fs := newFlags("staff set-role")
	role := fs.String("role", "", "desk, manager or admin (required)")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "role"); err != nil {
		return err
	}
	r, err := parseRole(*role)
	if err != nil {
		return err
	}
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	if err := svc.SetRole(ctx, a.actor, pos[0], r); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "%s is now %s\n", strings.TrimSpace(pos[0]), r)
	return err
}

func cmdStaffResetPIN(ctx context.Context, a *app, args []string) error {
	fs := newFlags("staff reset-pin")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(pos[0])
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	if !svc.Allowed(a.actor, finance.RightManageStaff) {
		return &finance.RightError{Staff: a.actor.Staff, Role: a.actor.Role, Right: finance.RightManageStaff}
	}
	if _, err := findStaff(ctx, svc, name); err != nil {
		return err
	}
	pin, err := a.newPIN(name)
	if err != nil {
		return err
	}
	if err := svc.ResetPIN(ctx, a.actor, name, pin); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "new PIN set for %s\n", name)
	return err
}

// findStaff looks a staff member up by name, as the service matches it.
func findStaff(ctx context.Context, svc *finance.Service, name string) (finance.Staff, error) {
	list, err := svc.StaffList(ctx)
	if err != nil {
		return finance.Staff{}, err
	}
	for _, s := range list {
		if s.Name == name {
			return s, nil
		}
	}
	return finance.Staff{}, fmt.Errorf("%w: no staff member called %q (see `paydesk staff list`)", finance.ErrNotFound, name)
}

type auditJSON struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Staff   string    `json:"staff"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Reason  string    `json:"reason"`
	Detail  string    `json:"detail"`
}

// defaultAuditDays is how far back `audit` looks without --since.
const defaultAuditDays = 7

func cmdAudit(ctx context.Context, a *app, args []string) error {
	fs := newFlags("audit")
	since := fs.String("since", "", "from this business date on, YYYY-MM-DD (default: the last 7 days)")
	limit := fs.Int("limit", 1000, "at most this many entries (the newest, or with --oldest the oldest)")
	oldest := fs.Bool("oldest", false, "oldest first (default: newest first, as the Audit tab)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *limit < 1 || *limit > 10000 {
		return usagef(fs, "--limit must be 1 to 10000")
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	var from finance.Date
	if *since != "" {
		if from, err = finance.ParseDate(*since); err != nil {
			return fmt.Errorf("--since: %w", err)
		}
	} else {
		from = finance.DateOf(svc.Now(), v.loc).AddDays(-(defaultAuditDays - 1))
	}
	read := svc.RecentAudit
	if *oldest {
		read = svc.Audit
	}
	entries, err := read(ctx, a.actor, from.Time(v.loc), *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]auditJSON, len(entries))
		for i, e := range entries {
			out[i] = auditJSON(e)
		}
		return writeJSON(a.stdout, out)
	}
	if len(entries) == 0 {
		_, err := fmt.Fprintf(a.stdout, "nothing in the audit log since %s\n", from)
		return err
	}
	t := newTable(a.stdout, "TIME", "STAFF", "ACTION", "SUBJECT", "REASON", "DETAIL")
	for _, e := range entries {
		t.row(e.Time.In(v.loc).Format("2006-01-02 15:04:05"), e.Staff, e.Action, short(e.Subject, 30),
			short(e.Reason, 40), short(e.Detail, 50))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(entries) == *limit {
		which := "newest"
		if *oldest {
			which = "oldest"
		}
		fmt.Fprintf(a.stderr, "paydesk: showing the %s %d entries since %s; use --limit or --since for more\n", which, *limit, from)
	}
	return nil
}

// ---- acting as a staff member

var errWrongNameOrPIN = fmt.Errorf("%w: wrong name or PIN", finance.ErrForbidden)

// loginAs makes the command act as a staff member, after their PIN. Wrong
// PINs count towards the lockout exactly as on the login screen.
func (a *app) loginAs(ctx context.Context, name string) error {
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	pin, err := readSecret(a.stdin, a.stderr, fmt.Sprintf("PIN for %s: ", name))
	if err != nil {
		return err
	}
	actor, err := svc.Login(ctx, name, pin)
	if errors.Is(err, finance.ErrWrongPIN) {
		// The same words for a name nobody has as for a wrong PIN (tries
		// left would tell the guesser the name is real).
		return errWrongNameOrPIN
	}
	if err != nil {
		return err
	}
	a.actor = actor
	a.log.Info("acting as staff", "staff", actor.Staff, "role", actor.Role)
	return nil
}

// newPIN asks for a new PIN: twice at a terminal (a typo there would lock
// the person out of their first login), once from piped stdin.
func (a *app) newPIN(name string) (string, error) {
	pin, err := readSecret(a.stdin, a.stderr, fmt.Sprintf("New PIN for %s (4 to 8 digits): ", name))
	if err != nil {
		return "", err
	}
	if !interactive(a.stdin) {
		return pin, nil
	}
	again, err := readSecret(a.stdin, a.stderr, "Repeat the PIN: ")
	if err != nil {
		return "", err
	}
	if again != pin {
		return "", fmt.Errorf("%w: the two PINs differ; nothing was changed", finance.ErrInvalid)
	}
	return pin, nil
}

// interactive reports whether a person types the input: a local terminal,
// or the terminal of a CLI whose command runs inside `paydesk serve`.
func interactive(stdin io.Reader) bool {
	if f, ok := stdin.(*os.File); ok {
		return term.IsTerminal(f.Fd())
	}
	if sr, ok := stdin.(deskserver.SecretReader); ok {
		return sr.IsTerminal()
	}
	return false
}

// maxSecretLine bounds a secret read from a pipe.
const maxSecretLine = 256

// readSecret reads a PIN: typed without echo at a terminal, else one line of
// stdin. A PIN is never a flag, so it never shows in `ps` or shell history.
func readSecret(stdin io.Reader, stderr io.Writer, prompt string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(f.Fd()) {
		fmt.Fprint(stderr, prompt)
		b, err := term.ReadPassword(f.Fd())
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read PIN: %w", err)
		}
		return string(b), nil
	}
	if sr, ok := stdin.(deskserver.SecretReader); ok && sr.IsTerminal() {
		s, err := sr.ReadSecret(prompt)
		if err != nil {
			return "", fmt.Errorf("read PIN: %w", err)
		}
		return s, nil
	}
	if stdin == nil {
		return "", errNoPIN
	}
	line, err := readLine(stdin, maxSecretLine)
	if err != nil {
		return "", err
	}
	return line, nil
}

var errNoPIN = fmt.Errorf("%w: no PIN given: type it when asked, or give it as one line on stdin", finance.ErrInvalid)

// readLine reads one line a byte at a time, so that what follows it on stdin
// (a second PIN) is left for the next read.
func readLine(r io.Reader, max int) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			if b.Len() >= max {
				return "", fmt.Errorf("%w: the PIN line is too long", finance.ErrInvalid)
			}
			b.WriteByte(buf[0])
		}
		if errors.Is(err, io.EOF) {
			if b.Len() == 0 {
				return "", errNoPIN
			}
			break
		}
		if err != nil {
			return "", fmt.Errorf("read PIN: %w", err)
		}
	}
	return strings.TrimRight(b.String(), "\r"), nil
}

// runAs runs a command as the --as staff member when one is given. The PIN
// is asked after the database opens, so a locked database is forwarded to
// `paydesk serve` before anyone types a PIN that would be asked again there.
func (a *app) runAs(ctx context.Context, cmd command, args []string) error {
	if a.as == "" || helpAsked(args) {
		return cmd.run(ctx, a, args)
	}
	if err := a.loginAs(ctx, a.as); err != nil {
		return err
	}
	defer a.svc.Logout(a.actor)
	return cmd.run(ctx, a, args)
}

// ownerRefused is errKiosk when kiosk mode refuses to run cmd as the owner
// (no --as): checked before the command is forwarded to serve, and again
// inside serve, with serve's own setting.
func (a *app) ownerRefused(cmd command, args []string) error {
	if a.kiosk && a.as == "" && !kioskFree[cmd.name] && !helpAsked(args) {
		return errKiosk
	}
	return nil
}

// kioskFree are the commands kiosk mode runs without --as: they act as
// nobody (serve holds the file for the desks; init and demo refuse books
// that hold anything).
var kioskFree = map[string]bool{"serve": true, "init": true, "demo": true}

var errKiosk = fmt.Errorf("%w: kiosk mode: this terminal is shared, so a command needs --as NAME and that person's PIN "+
	"(paydesk --as NAME COMMAND ...)", finance.ErrForbidden)

func helpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
