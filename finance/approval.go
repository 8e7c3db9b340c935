package finance

import (
	"context"
	"errors"
	"fmt"
)

// Approval is a manager's PIN typed on the spot, carried on a request, so
// that one action the person at the desk lacks the right for is done anyway.
// The service checks it (authorize), never the screen: the PIN as any
// login's (a wrong one counts towards the manager's lockout), the
// manager's own right, and then the audit names both people. It is not part
// of what posts (json:"-"), so a replay with or without it is the same
// request.
type Approval struct {
	Staff string
	PIN   string
}

// Approve checks an approval for right r on behalf of a without doing
// anything else, so a screen can say at once whether the manager's PIN is
// good; the request that carries it is checked again when it posts.
// It returns the approver's name.
func (s *Service) Approve(ctx context.Context, a Actor, r Right, ap Approval) (string, error) {
	return s.approve(ctx, a, r, ap)
}

// authorize is require with an approval: the actor's own right, or, when
// it is missing and the request carries an approval, the approver's.
// approver is "" when the actor's own right sufficed.
func (s *Service) authorize(ctx context.Context, a Actor, r Right, ap *Approval) (approver string, err error) {
	err = s.require(a, r)
	var re *RightError
	if err == nil || ap == nil || !errors.As(err, &re) {
		return "", err
	}
	return s.approve(ctx, a, r, *ap)
}

func (s *Service) approve(ctx context.Context, a Actor, r Right, ap Approval) (string, error) {
	if a.Staff == "" {
		return "", errf(ErrForbidden, "nobody is logged in")
	}
	if err := s.checkSession(a); err != nil {
		return "", err
	}
	var (
		name    string
		refused error
	)
	err := s.update(ctx, func(tx Tx) error {
		st, why, err := s.checkPIN(tx, ap.Staff, ap.PIN, "approval_failed")
		if err != nil || why != nil {
			refused = why
			return err // a refusal still commits its audit line and count
		}
		switch {
		case st.Name == a.Staff:
			refused = errf(ErrForbidden, "%s cannot approve their own action", st.Name)
		case !s.rights.allows(st.Role, r):
			refused = &RightError{Staff: st.Name, Role: st.Role, Right: r}
		default:
			name = st.Name
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if refused != nil {
		return "", fmt.Errorf("approval refused: %w", refused)
	}
	return name, nil
}

// auditApproval writes the approver's own audit line for an approved
// action, in the action's transaction: the action's line names the person
// at the desk, this one the manager who lent the right.
func auditApproval(tx Tx, env postEnv, subject string) error {
	if env.approver == "" {
		return nil
	}
	return tx.AppendAudit(&AuditEntry{Time: env.Now, Staff: env.approver, Action: "approval", Subject: subject,
		Reason: fmt.Sprintf("approved for %s (%s): %s", env.Actor.Staff, env.Actor.Role, env.approved.Description())})
}
