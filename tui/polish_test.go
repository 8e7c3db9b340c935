package tui

import (
	"testing"

	"github.com/paydesk/paydesk/tui/common"
)

// Counts read as words: "1 posting", not "1 postings" or "1 booking(s)".
func TestCountsAgreeWithTheirNouns(t *testing.T) {
	t.Parallel()
	h := newHarness(t, goldenBooks(t), Deps{SyncConfigured: true}, 120, 40)
	h.enter(owner)

	h.press("4")
	h.contains("Cash drawer by kind", "(1 posting)")
	h.lacks("(1 postings)")
	h.press("down")
	h.contains("Card terminal by kind", "(3 postings)")

	h.press("2")
	h.typ("anna")
	h.press("enter")
	h.contains("1 prepaid booking · ctrl+b")
	h.lacks("booking(s)")

	h.send(common.SwitchTabMsg{Tab: common.TabSync}) // the item field would take a typed 5
	h.contains("1 event · 0 pending")
}
