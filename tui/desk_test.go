package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// An amount far above the usual top-up asks twice: the first y only says
// why, the second posts.
func TestUnusualAmountAsksTwice(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	addClient(h, "Anna Kovalenko", "0671234567")
	for i := range 5 {
		if _, err := b.svc.TopUp(ctx(), owner, finance.TopUpRequest{Key: fmt.Sprint("t", i), ClientID: 1, Amount: 2000, Register: "card"}); err != nil {
			t.Fatal(err)
		}
	}
	h.press("t")
	h.typ("5000")
	h.press("enter", "enter", "enter")
	h.contains("Top up Anna Kovalenko's deposit by €5,000.00")
	h.lacks("Unusual amount")
	h.press("y")
	h.contains("Unusual amount: €5,000.00 is far above the typical top-up here (€20.00)", "yes, post the top-up")
	if id, _ := lastOp(b); id != 5 {
		t.Fatalf("posted after one y (last op %d)", id)
	}
	h.press("y")
	h.contains("Top-up of €5,000.00 posted as operation #6")

	// A usual amount is asked once.
	h.press("t")
	h.typ("30")
	h.press("enter", "enter", "enter", "y")
	h.contains("Top-up of €30.00 posted as operation #7")
}

// A footer never offers a key whose right is missing: a desk person's card
// shows top-up and checkout, not cash-out or reverse; a manager's shows
// reverse (managers may reverse and refund by default).
func TestFooterOffersOnlyWhatTheRoleMay(t *testing.T) {
	t.Parallel()
	b := goldenBooks(t)
	footer := func(a finance.Actor) string {
		h := newHarness(t, b, Deps{}, 120, 40)
		h.enter(a)
		h.press("/")
		h.typ("anna")
		h.press("enter", "enter")
		h.contains("Anna Kovalenko", "History")
		v := h.view()
		return v[strings.LastIndex(v, "\n"):]
	}
	desk := footer(finance.Actor{Staff: "Olha", Role: finance.RoleDesk})
	for _, k := range []string{"t top up", "c checkout"} {
		if !strings.Contains(desk, k) {
			t.Errorf("desk footer lacks %q: %s", k, desk)
		}
	}
	for _, k := range []string{"o cash out", "r reverse"} {
		if strings.Contains(desk, k) {
			t.Errorf("desk footer offers %q: %s", k, desk)
		}
	}
	mgr := footer(finance.Actor{Staff: "Max", Role: finance.RoleManager})
	if !strings.Contains(mgr, "r reverse") || !strings.Contains(mgr, "o cash out") {
		t.Errorf("manager footer lacks reverse or cash-out: %s", mgr)
	}
}
