package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

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

// A desk person refused a reversal is offered a manager's PIN: a wrong one
// is said under the field, a good one opens the reversal, which posts as
// the desk person's with the manager named in the audit.
func TestManagerPINOnTheSpot(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			t.Parallel()
			b := goldenBooks(t)
			h := newHarness(t, b, Deps{}, size[0], size[1])
			olha, err := b.svc.Login(ctx(), "Olha", "5555")
			if err != nil {
				t.Fatal(err)
			}
			h.enter(olha)
			h.press("/")
			h.typ("anna")
			h.press("enter", "enter")
			h.press("down", "down", "down") // the checkout (newest first: prepayment, reversal, top-up, checkout)
			h.press("r")
			h.contains("Olha (desk) may not reverse operations.", "A manager's PIN allows it this once", "[Mila]")
			h.sized(size[0], size[1])
			h.golden(fmt.Sprintf("override_%dx%d", size[0], size[1]))
			h.typ("9999")
			h.press("enter")
			h.contains("wrong PIN")
			h.typ("1234")
			h.press("enter")
			h.contains("Mila approved this one action.", "Reverse operation #2 (checkout)")
			h.typ("typed twice")
			h.press("enter")
			h.contains("Approved by Mila", "Reason: typed twice")
			h.press("y")
			h.contains("Reversal of €60.00 posted as operation #")
			es, err := b.svc.RecentAudit(ctx(), finance.OwnerActor("t"), testNow.Add(-1e12), 5)
			if err != nil {
				t.Fatal(err)
			}
			var desk, mgr bool
			for _, e := range es {
				desk = desk || (e.Staff == "Olha" && e.Action == string(finance.OpReversal))
				mgr = mgr || (e.Staff == "Mila" && e.Action == "approval" && strings.Contains(e.Reason, "Olha (desk)"))
			}
			if !desk || !mgr {
				t.Fatalf("audit lacks a name: %+v", es)
			}
		})
	}
}

// bubbletea v1 hands a fast "1r" over as one KeyMsg of two runes. Outside
// text fields it is split into keys: "4" then "1" lands on Clients, and
// "/anna" starts a search and types the rest into it.
func TestFastKeysAreSplitOutsideTextFields(t *testing.T) {
	t.Parallel()
	b := goldenBooks(t)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("41")})
	if h.m.active != 0 {
		t.Fatalf("active tab %d after a fast 41, want 0 (Clients)", h.m.active)
	}
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/anna")})
	h.contains("Anna Kovalenko")
	h.lacks("Bohdan")
	// In a text field the runes stay text: "t5" opens the top-up and types 5.
	h.press("enter", "enter")
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("t50")})
	h.contains("Top up Anna Kovalenko's deposit", "50")
	h.press("enter", "enter", "enter")
	h.contains("by €50.00")
}

// A pre-filled amount is selected: typing replaces it ("40.00" then "50"
// is 50, not "40.0050"); moving first keeps it for editing.
func TestPrefilledAmountIsReplacedByTyping(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	addClient(h, "Anna Kovalenko", "0671234567")
	h.press("t")
	h.typ("40")
	h.press("enter", "enter", "enter", "y")
	h.contains("Top-up of €40.00 posted")
	h.press("o")
	h.contains("Cash out Anna Kovalenko's deposit", "40.00")
	h.typ("25")
	h.press("enter", "enter", "enter")
	h.contains("Pay €25.00 out of Anna Kovalenko's deposit")
	h.press("esc", "esc", "y", "o") // the question, the form (discard it), a new cash-out
	h.press("end")                  // moving keeps the suggestion for editing
	h.press("backspace", "backspace", "backspace", "backspace")
	h.typ(".5")
	h.press("enter", "enter", "enter")
	h.contains("Pay €4.50 out of")
}

// After a post the history's cursor is on the operation just posted, so an
// immediate r reverses that one and never another.
func TestCursorGoesToTheOperationJustPosted(t *testing.T) {
	t.Parallel()
	b := goldenBooks(t)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("/")
	h.typ("anna")
	h.press("enter", "enter")
	h.press("down", "down", "down", "down") // somewhere down the history
	h.press("t")
	h.typ("15")
	h.press("enter", "enter", "enter", "y")
	h.contains("Top-up of €15.00 posted as operation #6")
	h.press("r")
	h.contains("Reverse operation #6 (top-up)")
}

// The Bookings and Finance refusals offer the manager's PIN too: a desk
// person refunds a canceled booking and pays out with a manager's PIN.
func TestManagerPINForARefundAndAPaidOut(t *testing.T) {
	t.Parallel()
	b := goldenBooks(t)
	if _, err := b.svc.CancelBooking(ctx(), finance.OwnerActor("Mila"), "bk_1", "client called"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, Deps{}, 100, 30)
	olha, err := b.svc.Login(ctx(), "Olha", "5555")
	if err != nil {
		t.Fatal(err)
	}
	h.enter(olha)
	h.press("3", "R")
	h.contains("Olha (desk) may not refund bookings.", "[Mila]")
	h.typ("1234")
	h.press("enter")
	h.contains("Refund booking bk_1")
	h.press("enter", "enter")
	h.typ("canceled")
	h.press("enter")
	h.contains("Approved by Mila")
	h.press("y")
	h.contains("Refunded €40.00 of booking bk_1 to the deposit.")

	h.press("4", "o")
	h.contains("Olha (desk) may not pay in or pay out.")
	h.typ("1234")
	h.press("enter")
	h.contains("Paid out · Cash drawer")
	h.typ("5")
	h.press("enter")
	h.typ("stamps")
	h.press("enter")
	h.contains("Approved by Mila")
	h.press("y")
	h.contains("Paid-out of €5.00 posted")
}

// At checkout by cash the client's cash is typed as handed over: the screen
// shows the change, only the sale posts, and overpaying the cash field is
// change, not an error.
func TestCashTenderedAndChangeDue(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("2", "ctrl+w")
	h.typ("Haircut")
	h.press("enter")
	h.typ("45")
	h.press("enter", "enter")
	h.contains("Cash tendered", "Covered.")
	h.press("tab", "tab", "tab") // from balance, cash, card, to cash tendered
	h.typ("50")
	h.contains("Covered. Change due €5.00.")
	h.press("enter", "enter")
	h.contains("Check out walk-in for €45.00?", "Into Cash drawer", "+€45.00", "Cash tendered €50.00 · change due €5.00")
	h.press("y")
	h.contains("Checkout of €45.00 posted as operation #1. Change due €5.00.")
	op, err := b.svc.Operation(ctx(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range op.Postings {
		if p.Account == finance.RegisterAccount("cash") && p.Amount != 4500 {
			t.Fatalf("the drawer took %d, want the sale's 4500 only", p.Amount)
		}
	}

	// Typing the cash handed over into the drawer's own field: change too.
	h.press("enter", "ctrl+w")
	h.typ("Trim")
	h.press("enter")
	h.typ("18")
	h.press("enter", "enter", "tab", "ctrl+u")
	h.typ("20")
	h.contains("Covered. Change due €2.00.")
	h.press("enter", "enter", "enter", "enter")
	h.contains("Cash tendered €20.00 · change due €2.00", "+€18.00")
	h.press("y")
	h.contains("Change due €2.00.")

	// Too little cash handed over is said under the field.
	h.press("enter", "ctrl+w")
	h.typ("Trim")
	h.press("enter")
	h.typ("18")
	h.press("enter", "enter", "tab", "tab", "tab")
	h.typ("10")
	h.press("enter", "enter")
	h.contains("less than the €18.00 in cash")
}

// / starts a fresh search: the last one's text is gone.
func TestSlashStartsAFreshSearch(t *testing.T) {
	t.Parallel()
	b := goldenBooks(t)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("/")
	h.typ("anna")
	h.press("enter")
	h.lacks("Bohdan")
	h.press("/")
	h.typ("bohd")
	h.contains("Bohdan Shevchenko")
	h.lacks("Anna Kovalenko")
}

// A phone cut short says "too short" under the field.
func TestShortPhoneSaysTooShortOnTheForm(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("n")
	h.typ("Anna")
	h.press("enter")
	h.typ("067123")
	h.press("enter", "enter", "enter")
	h.contains("too short for a phone number")
}
