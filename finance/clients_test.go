package finance_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

func TestCreateClient(t *testing.T) {
	f := newFixture(t)
	c, err := f.svc.CreateClient(f.ctx, f.desk, finance.NewClient{Name: "  Anna   Petrenko ", Phone: "067 123-45-67",
		Email: "anna@example.com", Note: "likes tea"})
	must(t, err)
	if c.ID == 0 || c.Name != "Anna Petrenko" || c.Phone != "+380671234567" || c.Email != "anna@example.com" || c.Note != "likes tea" {
		t.Errorf("client %+v", c)
	}
	cases := []struct {
		name string
		who  finance.Actor
		nc   finance.NewClient
		want error
		msg  string
	}{
		{"duplicate phone", f.desk, finance.NewClient{Name: "Other", Phone: "+380 67 123 4567"}, finance.ErrConflict, "Anna Petrenko"},
		{"no name", f.desk, finance.NewClient{Name: "   ", Phone: "+380501112233"}, finance.ErrInvalid, "name"},
		{"no phone", f.desk, finance.NewClient{Name: "X"}, finance.ErrInvalid, "phone"},
		{"bad phone", f.desk, finance.NewClient{Name: "X", Phone: "12"}, finance.ErrInvalid, "phone"},
		{"letters phone", f.desk, finance.NewClient{Name: "X", Phone: "call me"}, finance.ErrInvalid, "phone"},
		{"bad email", f.desk, finance.NewClient{Name: "X", Phone: "+380501112233", Email: "anna@"}, finance.ErrInvalid, "email"},
		{"email with name", f.desk, finance.NewClient{Name: "X", Phone: "+380501112233", Email: "Anna <a@b.com>"}, finance.ErrInvalid, "email"},
		{"long name", f.desk, finance.NewClient{Name: strings.Repeat("a", 101), Phone: "+380501112233"}, finance.ErrInvalid, "name"},
		{"no right", finance.Actor{Staff: "x", Role: "visitor"}, finance.NewClient{Name: "X", Phone: "+380501112233"}, finance.ErrForbidden, "create"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snap()
			_, err := f.svc.CreateClient(f.ctx, tc.who, tc.nc)
			wantErr(t, err, tc.want)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q does not mention %q", err, tc.msg)
			}
			f.unchanged(before)
		})
	}
}

func TestClientCreditDefaultAndSearch(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	f.client("Oksana Koval", "+380501234567")
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t", ClientID: anna.ID, Amount: 2500, Register: "cash"})
	must(t, err)
	got, err := f.svc.SearchClients(f.ctx, "anna", 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != anna.ID || got[0].Balance != 2500 {
		t.Errorf("search anna: %+v", got)
	}
	all, err := f.svc.SearchClients(f.ctx, "", 0)
	must(t, err)
	if len(all) != 2 {
		t.Errorf("all clients: %d", len(all))
	}
}

func TestClientHistoryPages(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	for i := range 7 {
		_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t" + string(rune('a'+i)), ClientID: anna.ID, Amount: int64(100 * (i + 1)), Register: "cash"})
		must(t, err)
	}
	v, err := f.svc.ClientView(f.ctx, anna.ID, finance.Page{Limit: 3})
	must(t, err)
	if len(v.History) != 3 || !v.More || postingTo(v.History[0], cashAcc) != 700 || v.Balance != 2800 || v.Available != 2800 {
		t.Fatalf("first page: %d ops, more %v, balance %d", len(v.History), v.More, v.Balance)
	}
	seen := 3
	for v.More {
		v, err = f.svc.ClientView(f.ctx, anna.ID, finance.Page{Limit: 3, Before: v.History[len(v.History)-1].ID})
		must(t, err)
		seen += len(v.History)
	}
	if seen != 7 {
		t.Errorf("pages listed %d ops", seen)
	}
	_, err = f.svc.ClientView(f.ctx, 404, finance.Page{})
	wantErr(t, err, finance.ErrNotFound)
}

// A whole number typed the local way finds the client even where the trunk
// prefix is not part of the international digits (GB: 07911 vs 447911).
func TestSearchClientsByLocalPhone(t *testing.T) {
	f := newBareFixture(t)
	st := testSettings()
	st.PhoneRegion = "GB"
	must(t, f.svc.Setup(f.ctx, st, "Olena", adminPIN))
	admin := finance.Actor{Staff: "Olena", Role: finance.RoleAdmin}
	c, err := f.svc.CreateClient(f.ctx, admin, finance.NewClient{Name: "Amelia Hart", Phone: "+44 7911 123456"})
	must(t, err)
	for _, q := range []string{"07911 123456", "(07911) 123-456", "+44 7911 123456", "123456", "amelia"} {
		got, err := f.svc.SearchClients(f.ctx, q, 10)
		must(t, err)
		if len(got) != 1 || got[0].ID != c.ID {
			t.Errorf("search %q: %+v", q, got)
		}
	}
}

// ClientBalanceAfter walks today's balance back through the client's later
// operations in one read, across more than one page of history, and counts
// only that client's deposit.
func TestClientBalanceAfter(t *testing.T) {
	f := newFixture(t)
	anna, bob := f.client("Anna", "+380501112233"), f.client("Bob", "+380501112244")
	const n = 505 // more than one page of history (500)
	ids := make([]finance.OperationID, n)
	for i := range n {
		op, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: fmt.Sprintf("a%d", i), ClientID: anna.ID, Amount: int64(i + 1), Register: "cash"})
		must(t, err)
		ids[i] = op.ID
		if i%100 == 0 {
			_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: fmt.Sprintf("b%d", i), ClientID: bob.ID, Amount: 7, Register: "cash"})
			must(t, err)
		}
	}
	for _, i := range []int{0, 3, 4, 250, n - 2, n - 1} {
		got, err := f.svc.ClientBalanceAfter(f.ctx, anna.ID, ids[i])
		must(t, err)
		if want := int64((i + 1) * (i + 2) / 2); got.Balance != want || got.Name != "Anna" {
			t.Errorf("after op %d (#%d): %+v, want Anna with %d", i, ids[i], got, want)
		}
	}
	if _, err := f.svc.ClientBalanceAfter(f.ctx, 999, ids[0]); !errors.Is(err, finance.ErrNotFound) {
		t.Errorf("no such client: %v", err)
	}
}
