package demo_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/demo"
)

func TestDemoStaffCanLogIn(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	now := time.Date(2025, 3, 14, 18, 0, 0, 0, time.UTC)
	svc := finance.NewService(db, finance.WithClock(func() time.Time { return now }), finance.WithPINCost(4))
	if err := svc.Setup(ctx, settings("UA", "UAH", "uk", "Europe/Kyiv"), "Олена", "1111"); err != nil {
		t.Fatal(err)
	}
	// Олена is taken by the owner, so the team must pick other names.
	team, err := demo.AddStaff(ctx, svc, finance.OwnerActor("owner"), "UA", func(n int) []int {
		p := rand.New(rand.NewPCG(1, 2)).Perm(n)
		for i, v := range p { // put the owner's name first
			if v == 0 {
				p[0], p[i] = p[i], p[0]
			}
		}
		return p
	})
	if err != nil {
		t.Fatal(err)
	}
	roles := map[finance.Role]int{}
	for _, m := range team {
		roles[m.Role]++
		if m.Name == "Олена" {
			t.Errorf("the owner's name was reused")
		}
		a, err := svc.Login(ctx, m.Name, m.PIN)
		if err != nil || a.Role != m.Role || a.Staff != m.Name {
			t.Errorf("%s cannot log in with the printed PIN: %+v %v", m.Name, a, err)
		}
	}
	if roles[finance.RoleAdmin] != 1 || roles[finance.RoleManager] != 1 || roles[finance.RoleDesk] != 2 {
		t.Fatalf("team roles %v", roles)
	}
	var desk string
	for _, m := range team {
		if m.Role == finance.RoleDesk {
			desk = m.Name
		}
	}
	_, err = svc.Reverse(ctx, finance.Actor{Staff: desk, Role: finance.RoleDesk}, finance.ReverseRequest{Key: "k", OperationID: 1, Reason: "x"})
	var re *finance.RightError
	if !errors.As(err, &re) || re.Right != finance.RightReverse {
		t.Fatalf("a demo desk person may reverse: %v", err)
	}
}

func TestFillPrintsStaffPINs(t *testing.T) {
	db := openStore(t)
	sum, err := demo.Fill(context.Background(), db, demo.Options{Settings: settings("DE", "EUR", "de", "Europe/Berlin"),
		Now: time.Date(2025, 3, 14, 18, 0, 0, 0, time.UTC), Days: 2, Clients: 3})
	if err != nil {
		t.Fatal(err)
	}
	pins := 0
	for _, n := range sum.Notes {
		if len(n) > 6 && n[:6] == "staff " {
			pins++
		}
	}
	if pins != 4 {
		t.Fatalf("notes %q", sum.Notes)
	}
}
