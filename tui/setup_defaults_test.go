package tui

import (
	"testing"

	"github.com/paydesk/paydesk/tui/common"
)

// A new user types the salon's name over the machine's suggestion: it must
// replace it, not append to it ("My salonStudio Anna"), while backspace
// edits the suggestion instead. A locale that is not a language is refused
// inline (a time zone typed one field too early was once accepted).
func TestSetupTypingReplacesSuggestionsAndChecksLocale(t *testing.T) {
	t.Parallel()
	b := newBooks(t, false)
	defaults := testSettings()
	defaults.Location = "My salon"
	h := newHarness(t, b, Deps{SetupDefaults: defaults}, 120, 40)

	h.typ("Studio Anna") // replaces "My salon"
	h.press("enter")
	h.press("backspace") // edits "EUR" into "EU" ...
	h.typ("R")           // ... and back: no replacing once edited
	h.press("enter")
	h.typ("Europe/Kyiv") // a time zone in the locale field
	h.press("tab")
	h.contains("unknown locale")
	h.press("shift+tab", "ctrl+u")
	h.typ("en")
	h.press("enter", "enter", "enter") // locale, zone, region as suggested
	h.typ("Anna")
	h.press("enter")
	h.typ("1234")
	h.press("enter")
	h.typ("1234")
	h.press("enter")
	if h.m.state != stateMain {
		t.Fatalf("not in the main screen after setup:\n%s", h.view())
	}
	st, err := b.svc.Settings(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if st.Location != "Studio Anna" || st.Currency != "EUR" || st.Locale != "en" {
		t.Fatalf("settings location %q currency %q locale %q", st.Location, st.Currency, st.Locale)
	}
}

// The CLI hands the desk its whole version line ("paydesk v1.2.3 commit …"):
// the help title says the name once.
func TestHelpTitleNamesPaydeskOnce(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"paydesk v1.2.3 commit abc", "v1.2.3"} {
		b := newBooks(t, true)
		h := newHarness(t, b, Deps{Version: v}, 120, 40)
		h.enter(owner)
		h.press("?")
		h.contains("All keys · paydesk v1.2.3")
		h.lacks("paydesk paydesk")
	}
}

// A refused post answers fast: its result can reach the status line before
// the spinner its own key press asked for. The late spinner must not spin
// over the refusal for good (seen on a real terminal: "posting the
// reversal…" forever after a refused reversal).
func TestLateSpinnerDoesNotHideTheResult(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 120, 40)
	h.enter(owner)
	h.press("1")
	h.send(common.StatusMsg{Kind: common.StatusError, Text: "Reversal refused: the deposit would go below zero"})
	h.send(common.StatusMsg{Kind: common.StatusBusy, Text: "posting the reversal…"})
	h.contains("Reversal refused")
	h.lacks("posting the reversal")

	// The next press's spinner shows as usual.
	h.press("1")
	h.send(common.StatusMsg{Kind: common.StatusBusy, Text: "loading…"})
	h.contains("loading…")
}
