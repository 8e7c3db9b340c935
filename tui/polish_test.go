package tui

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
	"github.com/paydesk/paydesk/tui/styles"
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

// At 80 columns a line too long for the screen ends in "…" where whole
// words (or whole kinds, whole keys) were left out: never a stray "(" or a
// word cut without a mark. The count of postings always shows.
func TestLongLinesEndInAnEllipsisAt80Columns(t *testing.T) {
	t.Parallel()
	h := newHarness(t, goldenBooks(t), Deps{SyncConfigured: true}, 80, 24)
	h.enter(owner)
	h.press("4", "down")
	kinds := line(t, h, "Card terminal by kind")
	if !strings.HasSuffix(kinds, " · …  (3 postings)") || !strings.Contains(kinds, "checkout +€10.00") {
		t.Errorf("by-kind line %q: want whole kinds, then \" · …\", then the count", kinds)
	}

	h.send(common.StatusMsg{Kind: common.StatusError, Text: "the books are open on another desk\nclose that desk first; for several desks at once, run paydesk serve and open each over SSH"})
	status := line(t, h, "✗ the books")
	if !strings.HasSuffix(status, "…") || !strings.Contains(status, "another desk close that desk") {
		t.Errorf("status line %q: want the message on one line, cut with …", status)
	}

	for i, l := range strings.Split(h.view(), "\n") {
		if w := lipgloss.Width(l); w > 80 {
			t.Errorf("line %d is %d cells wide: %q", i, w, l)
		}
		if strings.HasSuffix(strings.TrimRight(l, " "), "(") {
			t.Errorf("line %d ends in a stray (: %q", i, l)
		}
	}
}

// line is the screen's line that holds s.
func line(t *testing.T, h *harness, s string) string {
	t.Helper()
	for _, l := range strings.Split(h.view(), "\n") {
		if strings.Contains(l, s) {
			return strings.TrimRight(l, " ")
		}
	}
	t.Fatalf("no line holds %q:\n%s", s, h.view())
	return ""
}

func TestShortHelpDropsWholeKeys(t *testing.T) {
	t.Parallel()
	st := styles.New(lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.Ascii)))
	h := components.NewHelp(st)
	keys := []key.Binding{
		key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "alpha")),
		key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "beta")),
		key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "gamma"), key.WithDisabled()),
		key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delta")),
	}
	for _, c := range []struct {
		width int
		want  string
	}{
		{100, "a alpha · b beta · d delta"},
		{26, "a alpha · b beta · d delta"},
		{25, "a alpha · b beta …"},
		{18, "a alpha · b beta …"},
		{17, "a alpha …"},
		{9, "a alpha …"},
		{8, " …"},
		{1, ""},
	} {
		if got := components.ShortHelp(h, keys, c.width); got != c.want {
			t.Errorf("width %d: %q, want %q", c.width, got, c.want)
		}
	}
}

// The new-client form says "then review": the review shows the client as
// they will be stored (the phone in international form, the name tidied),
// n goes back to the form as typed, and a phone the service would refuse is
// marked under its field before any review.
func TestNewClientIsReviewedAsStored(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 80, 24)
	h.enter(owner)
	h.press("n")
	h.contains("enter: next field, then review")
	h.typ("Anna   Kovalenko")
	h.press("enter")
	h.typ("067 123 45")
	h.press("enter", "enter", "enter")
	h.contains("too short for a phone number", "New client")
	h.lacks("as a new client?")

	h.typ("67")
	h.press("tab")
	h.typ("anna@example.com")
	h.press("enter", "enter")
	h.contains("Add Anna Kovalenko as a new client?", "Name   Anna Kovalenko", "Phone  +380671234567",
		"Email  anna@example.com", "add the client")
	if n, _ := b.svc.SearchClients(ctx(), "", 10); len(n) != 0 {
		t.Fatalf("%d clients before the review was confirmed", len(n))
	}
	h.press("n")
	h.contains("New client", "067 123 4567")
	h.press("enter")
	h.press("y")
	h.contains("Client Anna Kovalenko added (+380671234567)")
	if n, _ := b.svc.SearchClients(ctx(), "", 10); len(n) != 1 {
		t.Fatalf("%d clients, want 1", len(n))
	}
}

// The note typed at checkout is stored with the operation for good, so the
// confirmation shows it with the postings (a top-up's note too).
func TestConfirmationsShowTheNote(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 80, 24)
	h.enter(owner)
	h.press("2", "ctrl+w")
	h.typ("Manicure")
	h.press("enter")
	h.typ("30")
	h.press("enter", "enter")                   // the line, then to payment
	h.press("enter", "enter", "enter", "enter") // from balance, cash, card, cash tendered: as filled
	h.typ("paid with the gift voucher #12")
	h.press("enter")
	h.contains("Check out walk-in for €30.00?", "Note: paid with the gift voucher #12")
	h.press("y")
	op, err := b.svc.Operation(ctx(), 1)
	if err != nil || op.Comment != "paid with the gift voucher #12" {
		t.Fatalf("operation %+v, %v", op, err)
	}

	h.send(common.SwitchTabMsg{Tab: common.TabClients})
	addClient(h, "Anna Kovalenko", "0671234567")
	h.press("t")
	h.typ("50")
	h.press("enter", "enter")
	h.typ("first visit")
	h.press("enter")
	h.contains("Top up Anna Kovalenko's deposit by €50.00", "Note: first visit")
}

// In setup, Enter checks the field it leaves as Tab does: a bad value is
// marked under its field and the focus stays there.
func TestSetupEnterValidatesTheFieldItLeaves(t *testing.T) {
	t.Parallel()
	h := newHarness(t, newBooks(t, false), Deps{SetupDefaults: testSettings()}, 80, 24)
	h.press("ctrl+u", "enter")
	h.contains("> Location name", "✗ enter a location name")

	h.typ("Studio Anna")
	h.press("enter")
	h.contains("> Currency")
	h.lacks("enter a location name")
	h.press("ctrl+u")
	h.typ("EURO")
	h.press("enter")
	h.contains("> Currency", `✗ "EURO" is not an ISO 4217 currency code`)
	h.press("backspace", "enter")
	h.contains("> Locale")

	h.press("enter", "enter") // locale, zone as suggested
	h.press("ctrl+u")
	h.typ("U")
	h.press("enter")
	h.contains("> Phone region", "✗ two letters")
}

// Demo data makes demo staff whose PINs only the demo's notes hold: after
// setup they show once, before the desk opens, and never again.
func TestSetupShowsTheDemoStaffPINsOnce(t *testing.T) {
	t.Parallel()
	notes := []string{"staff Olena        admin    PIN 4821", "staff Taras        desk     PIN 0937",
		"log in with these PINs; `paydesk staff reset-pin NAME` sets a new one"}
	for _, c := range []struct {
		name    string
		err     error
		status  string
		stopped bool
	}{
		{"loaded", nil, "Studio Mila is set up. Welcome, Mila.", false},
		{"stopped early", fmt.Errorf("demo history: %w", finance.ErrInvalid), "set up, but the demo data failed", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			demo := func(context.Context) ([]string, error) { return notes, c.err }
			h := newHarness(t, newBooks(t, false), Deps{SetupDefaults: testSettings(), Demo: demo}, 80, 24)
			h.press("enter", "enter", "enter", "enter", "enter")
			h.typ("Mila")
			h.press("enter")
			h.typ("1234")
			h.press("enter")
			h.typ("1234")
			h.press("enter", "right", "enter") // demo data: yes
			h.contains("Studio Mila is set up with demo data", "only time the desk shows them",
				"staff Olena        admin    PIN 4821", "staff Taras        desk     PIN 0937", "enter: open the desk as Mila")
			if stopped := strings.Contains(h.view(), "The demo data stopped early"); stopped != c.stopped {
				t.Errorf("the panel says the demo stopped early: %v, want %v", stopped, c.stopped)
			}
			h.press("q", "1", "esc") // only enter leaves the panel
			if h.m.state != stateSetup {
				t.Fatalf("left the PIN panel on a key other than enter: state %v", h.m.state)
			}
			h.press("enter")
			if h.m.state != stateMain {
				t.Fatalf("state %v after the PIN panel, want the desk:\n%s", h.m.state, h.view())
			}
			h.contains("Mila (admin)", c.status)
			h.lacks("PIN 4821")
		})
	}
}

// The header's backup badge: how long ago, and a problem when none ran for
// more than a day or none ever did.
func TestBackupBadge(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		last time.Time
		want string
		bad  bool
	}{
		{time.Time{}, "no backup yet", true},
		{now.Add(-9 * time.Hour), "backup 9h ago", false},
		{now.Add(-30 * time.Hour), "backup 30h ago", true},
	} {
		if got, bad := backupBadge(now, tc.last); got != tc.want || bad != tc.bad {
			t.Errorf("backupBadge(%v) = %q %v, want %q %v", tc.last, got, bad, tc.want, tc.bad)
		}
	}
}
