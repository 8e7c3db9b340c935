package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/bcrypt"

	"github.com/paydesk/paydesk/finance"
)

// StaffMember is a demo staff member and the PIN made for them.
type StaffMember struct {
	Name string       `json:"name"`
	Role finance.Role `json:"role"`
	PIN  string       `json:"pin"`
}

// demoRoles is the demo's team: one admin, one manager, two at the desk.
var demoRoles = []finance.Role{finance.RoleAdmin, finance.RoleManager, finance.RoleDesk, finance.RoleDesk}

// addStaff creates the demo team with the location's kind of names and
// lists their PINs in the summary's notes, which is the only place they are
// ever shown. A name already taken (the owner made at first run) is skipped.
func addStaff(ctx context.Context, e *Env) error {
	// A 4-digit PIN has 10,000 values: no bcrypt cost protects it from
	// someone holding the file, only the lockout protects it at the desk.
	// So the demo hashes at the lowest cost and stays quick to fill.
	svc := finance.NewService(e.store, finance.WithClock(e.Clock.Now), finance.WithPINCost(bcrypt.MinCost))
	team, err := AddStaff(ctx, svc, e.Actor, e.Settings.PhoneRegion, e.Rand.Perm)
	for _, m := range team {
		e.Summary.Notes = append(e.Summary.Notes, fmt.Sprintf("staff %-12s %-8s PIN %s", m.Name, m.Role, m.PIN))
	}
	if len(team) > 0 {
		e.Summary.Notes = append(e.Summary.Notes, "log in with these PINs; `paydesk staff reset-pin NAME` sets a new one")
	}
	return err
}

// AddStaff adds an admin, a manager and two desk people named as people are
// in region, each with a fresh random PIN, as actor. perm shuffles the names
// (pass a seeded rand's Perm for a repeatable team).
func AddStaff(ctx context.Context, svc *finance.Service, actor finance.Actor, region string, perm func(int) []int) ([]StaffMember, error) {
	first := namesFor(region).first
	order := perm(len(first))
	var team []StaffMember
	next := 0
	for _, role := range demoRoles {
		for added := false; !added; {
			if next >= len(order) {
				return team, nil // every name taken: a smaller team
			}
			name := first[order[next]]
			next++
			pin, err := randomPIN()
			if err != nil {
				return team, err
			}
			switch err := svc.AddStaff(ctx, actor, name, role, pin); {
			case errors.Is(err, finance.ErrConflict):
				// someone of that name exists already: try the next name
			case err != nil:
				return team, fmt.Errorf("add %s: %w", name, err)
			default:
				team = append(team, StaffMember{Name: name, Role: role, PIN: pin})
				added = true
			}
		}
	}
	return team, nil
}

// randomPIN makes a 4-digit PIN from the system's randomness: demo books
// sometimes become real books, so their PINs must not be guessable from the
// seed.
func randomPIN() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(10000))
	if err != nil {
		return "", fmt.Errorf("make a PIN: %w", err)
	}
	return fmt.Sprintf("%04d", n.Int64()), nil
}
