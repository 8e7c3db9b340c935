package tui

import (
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// The desk may not close; a manager counts the drawer and closes the day; a
// later top-up at the desk lands on the next day and the status says so;
// the header names a day left open once it has ended.
func TestCloseDayFlow(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	owner := finance.OwnerActor("Mila")
	anna, err := b.svc.CreateClient(ctx(), owner, finance.NewClient{Name: "Anna Kovalenko", Phone: "0671234567"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.TopUp(ctx(), owner, finance.TopUpRequest{Key: "c1", ClientID: anna.ID, Amount: 5000, Register: "cash"}); err != nil {
		t.Fatal(err)
	}

	desk := newHarness(t, b, Deps{}, 120, 40)
	desk.enter(finance.Actor{Staff: "Olha", Role: finance.RoleDesk})
	desk.press("4", "C")
	desk.contains("may not close the day")
	desk.lacks("Counted total")

	h := newHarness(t, b, Deps{}, 120, 40)
	h.enter(finance.Actor{Staff: "Max", Role: finance.RoleManager})
	h.press("4", "C")
	h.contains("Close Cash drawer", "Expected €150.00")
	h.typ("150")
	h.contains("counted €150.00", "exact")
	h.press("enter", "enter", "enter", "right", "enter")
	h.contains("This seals the day")
	h.press("y")
	h.contains("Closed and sealed 2025-03-14", "CLOSED · sealed", "Cash drawer ✓")
	h.press("C")
	h.contains("was closed for 2025-03-14 by Max")

	// A top-up after the close, from the client's screen.
	desk.press("1", "/")
	desk.typ("anna")
	desk.press("enter", "enter", "t")
	desk.typ("10")
	desk.press("enter", "enter", "enter", "y")
	desk.contains("2025-03-14 is closed: it is dated 2025-03-15")

	// The next day, the header says nothing: the 14th is sealed. A day
	// with operations left open shows once it has ended.
	b.clock.t = b.clock.t.Add(24 * time.Hour)
	h2 := newHarness(t, b, Deps{}, 120, 40)
	h2.enter(finance.Actor{Staff: "Max", Role: finance.RoleManager})
	h2.lacks("not closed")
	b.clock.t = b.clock.t.Add(24 * time.Hour)
	h3 := newHarness(t, b, Deps{}, 120, 40)
	h3.enter(finance.Actor{Staff: "Max", Role: finance.RoleManager})
	h3.contains("2025-03-15 not closed")
	h4 := newHarness(t, b, Deps{SyncConfigured: true}, 80, 24)
	h4.enter(finance.Actor{Staff: "Max", Role: finance.RoleManager})
	h4.contains("2025-03-15 not closed")
	h4.sized(80, 24)
}
