package tui

import "testing"

// Leaving typed work asks first: esc on a form the person typed into, ctrl+c
// or ctrl+l with a form or a cart anywhere, and a new checkout over a cart.
// A form nobody typed into, or esc stepping back inside a checkout, asks
// nothing.
func TestLeavingTypedWorkAsksFirst(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 80, 24)
	h.enter(owner)
	addClient(h, "Anna Kovalenko", "0671234567")

	// A top-up opened and left untouched goes at once.
	h.press("t", "esc")
	h.lacks("Discard", "Top up Anna")
	// Typed into: esc asks; n keeps the form and what was typed.
	h.press("t")
	h.typ("25")
	h.press("esc")
	h.contains("Discard this top-up?", "y discard", "n/esc keep it")
	h.press("n")
	h.contains("Top up Anna Kovalenko's deposit", "25", "Kept")
	// esc from the review goes back to the form without a question.
	h.press("enter", "enter", "enter")
	h.contains("Top up Anna Kovalenko's deposit by €25.00")
	h.press("esc")
	h.lacks("Discard")
	h.contains("Top up Anna Kovalenko's deposit")
	// ctrl+c asks before quitting; y quits.
	h.press("ctrl+c")
	h.contains("Discard this top-up and quit?")
	if h.quit {
		t.Fatal("quit before the answer")
	}
	h.press("esc")
	h.contains("Top up Anna Kovalenko's deposit")
	h.press("ctrl+l")
	h.contains("Discard this top-up and lock the desk?")
	h.press("n", "esc", "y")
	h.lacks("Top up Anna")

	// A cart on Checkout: quitting from another tab asks about it.
	h.press("2")
	h.typ("anna")
	h.press("enter")
	h.typ("Haircut")
	h.press("enter")
	h.typ("30")
	h.press("enter")
	h.press("esc") // back to the client step: the cart stays, no question
	h.lacks("Discard")
	h.press("esc", "1")
	h.press("ctrl+c")
	h.contains("Discard this cart and quit?")
	h.press("n")
	// c on a client opens a new checkout over the cart: asked too.
	h.press("c")
	h.contains("Discard this cart and start a new checkout?")
	h.press("n")
	h.contains("Clients")
	h.press("2", "enter") // Anna again: the cart is still there
	h.contains("Haircut")
	h.press("esc", "esc")
	h.press("1", "c", "y")
	h.lacks("Haircut")
	if id, _ := lastOp(b); id != 0 {
		t.Fatalf("discarding posted operation %d", id)
	}
	h.press("esc", "esc", "1", "ctrl+c")
	if !h.quit {
		t.Fatalf("ctrl+c with nothing typed must quit at once:\n%s", h.view())
	}
}
