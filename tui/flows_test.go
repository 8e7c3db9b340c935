package tui

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
)

func ctx() context.Context { return context.Background() }

func TestFirstRunSetupCreatesBooksAndLogsOwnerIn(t *testing.T) {
	t.Parallel()
	b := newBooks(t, false)
	h := newHarness(t, b, Deps{SetupDefaults: testSettings()}, 80, 24)
	if h.m.state != stateSetup {
		t.Fatalf("state %v, want setup:\n%s", h.m.state, h.view())
	}
	h.contains("Welcome to paydesk", "Studio Mila", "EUR", "Europe/Kyiv")

	// Enter walks the suggested fields and stops at the empty owner, marked.
	for i := 0; i < 7; i++ {
		h.press("enter")
	}
	h.contains("> Owner name", "enter the owner's name")
	if h.m.state != stateSetup {
		t.Fatal("setup accepted an empty owner")
	}

	h.typ("Mila")
	h.press("enter")
	h.typ("12")
	h.press("enter")
	h.contains("> Owner PIN", "a PIN has 4 to 12 digits")

	h.typ("34")
	h.press("enter")
	h.typ("9999")
	h.press("enter")
	h.contains("the PINs differ")
	h.press("ctrl+u")
	h.typ("1234")
	h.press("enter")

	if h.m.state != stateMain {
		t.Fatalf("not in the main screen after setup:\n%s", h.view())
	}
	h.contains("Studio Mila", "Mila (admin)", "1 Clients", "6 Staff", "7 Audit", "is set up")
	st, err := b.svc.Settings(ctx())
	if err != nil || st.Currency != "EUR" || st.TimeZone != "Europe/Kyiv" || len(st.Registers) != 4 {
		t.Fatalf("settings %+v, %v", st, err)
	}
	if _, err := b.svc.Login(ctx(), "Mila", "1234"); err != nil {
		t.Fatalf("owner cannot log in with the PIN set up: %v", err)
	}
}

func TestSetupOffersDemoOnlyWhenAvailable(t *testing.T) {
	t.Parallel()
	b := newBooks(t, false)
	h := newHarness(t, b, Deps{SetupDefaults: testSettings()}, 80, 24)
	h.lacks("Demo data")
	called := false
	h2 := newHarness(t, newBooks(t, false), Deps{SetupDefaults: testSettings(), Demo: func(context.Context) ([]string, error) { called = true; return nil, nil }}, 80, 24)
	h2.contains("Demo data")
	for i := 0; i < 5; i++ {
		h2.press("enter")
	}
	h2.typ("Mila")
	h2.press("enter")
	h2.typ("1234")
	h2.press("enter")
	h2.typ("1234")
	h2.press("enter")
	h2.press("right") // yes
	h2.press("enter")
	if !called || h2.m.state != stateMain {
		t.Fatalf("demo called %v, state %v", called, h2.m.state)
	}
}

func TestLoginRefusesWrongPINAndLocksOnSwitchUser(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	withStaff(t, b, "Mila", "admin", "1234", "Olha", "desk", "5555")
	h := newHarness(t, b, Deps{}, 80, 24)
	if h.m.state != stateLogin {
		t.Fatalf("state %v, want login", h.m.state)
	}
	h.contains("Who are you?", "Mila", "Olha")
	h.typ("0000")
	h.press("enter")
	if h.m.state != stateLogin {
		t.Fatal("a wrong PIN logged in")
	}
	h.contains("✗")

	h.press("down") // Olha
	h.login("5555")
	h.contains("Olha (desk)")
	h.lacks("Staff", "Audit") // a desk person sees neither tab

	h.press("ctrl+l")
	if h.m.state != stateLogin {
		t.Fatal("ctrl+l did not lock")
	}
	h.contains("Switch user")
	h.press("up")
	h.login("1234")
	h.contains("Mila (admin)", "6 Staff", "7 Audit")
}

func TestIdleLock(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{IdleLock: 5 * 60 * 1e9}, 80, 24)
	h.enter(owner)
	h.send(tickMsg(testNow.Add(4 * 60 * 1e9)))
	if h.m.state != stateMain {
		t.Fatal("locked too early")
	}
	h.send(tickMsg(testNow.Add(6 * 60 * 1e9)))
	if h.m.state != stateLogin {
		t.Fatal("did not lock after idle time")
	}
	h.contains("Locked after 5m0s")
}

// addClient adds a client through the n form and its review.
func addClient(h *harness, name, phone string) {
	h.t.Helper()
	h.press("1", "n")
	h.typ(name)
	h.press("enter")
	h.typ(phone)
	h.press("enter", "enter", "enter")
	h.contains("as a new client?")
	h.press("y")
}

func TestNewClientFormValidatesInline(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 80, 24)
	h.enter(owner)
	h.press("n")
	h.contains("New client")
	h.press("enter", "enter", "enter", "enter")
	h.contains("enter the client's name", "enter the client's phone number")
	h.typ("Anna Kovalenko")
	h.press("enter")
	h.typ("067 123 45 67")
	h.press("enter")
	h.typ("not-an-email")
	h.press("enter", "enter")
	h.contains("that does not look like an email address")
	h.press("ctrl+u")
	h.press("enter", "enter")
	h.contains("Add Anna Kovalenko as a new client?", "Phone  +380671234567")
	h.press("y")
	h.contains("Client Anna Kovalenko added", "+380671234567", "Balance €0.00")

	// The same phone again: the service's refusal lands under the phone field.
	h.press("esc")
	addClient(h, "Anna Again", "+380671234567")
	h.contains("New client", "✗")
	if n, _ := b.svc.SearchClients(ctx(), "", 10); len(n) != 1 {
		t.Fatalf("%d clients, want 1", len(n))
	}
}

func TestTopUpCheckoutReverseOnTheScreens(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	addClient(h, "Anna Kovalenko", "0671234567")

	// Top-up 50 into the cash drawer: form, confirmation with the postings, post.
	h.press("t")
	h.typ("50")
	h.press("enter", "enter")
	h.typ("first visit")
	h.press("enter")
	// The deposit's line has the sign of the client's history: + for a top-up.
	h.contains("Top up Anna Kovalenko's deposit by €50.00 into Cash drawer?", "Into Cash drawer", "+€50.00",
		"Into Anna Kovalenko's deposit", "Anna Kovalenko's balance after", "€50.00")
	h.lacks("−€50.00")
	h.press("enter") // Enter does not confirm a money action
	h.press("y")
	h.contains("Top-up of €50.00 posted as operation #1", "Balance €50.00")
	h.press("y") // nothing open: a second y posts nothing
	if id, _ := lastOp(b); id != 1 {
		t.Fatalf("last op %d, want 1", id)
	}

	// Checkout of 75 from the client's card: 50 from the deposit, 25 cash.
	h.press("c")
	h.contains("Checkout · Anna Kovalenko", "available €50.00")
	h.typ("Haircut")
	h.press("enter")
	h.typ("75")
	h.press("enter")
	h.contains("Haircut", "€75.00", "Total €75.00")
	h.press("enter") // empty line: to payment
	h.contains("Due       €75.00", "From balance", "Cash drawer")
	if v := h.m.tabs[h.m.active].page.View(); !strings.Contains(v, "50.00") || !strings.Contains(v, "25.00") {
		t.Fatalf("defaults are not 50 from balance and 25 cash:\n%s", v)
	}
	h.press("enter", "enter", "enter", "enter", "enter")
	h.contains("Check out Anna Kovalenko for €75.00?", "Sale", "€75.00", "From Anna Kovalenko's deposit", "−€50.00",
		"Into Cash drawer", "+€25.00", "Anna Kovalenko's balance after", "€0.00")
	h.press("y")
	h.contains("Receipt", "Checkout of €75.00 posted as operation #2")

	cv, err := b.svc.ClientView(ctx(), 1, finance.Page{Limit: 10})
	if err != nil || cv.Balance != 0 {
		t.Fatalf("balance %d, %v; want 0", cv.Balance, err)
	}

	// Reversing the top-up is refused: its money was spent.
	h.press("1", "esc", "enter") // back to the list, open Anna
	h.press("down")              // the top-up (history is newest first)
	h.press("r")
	h.typ("typo")
	h.press("enter", "y")
	h.contains("Reversal refused")
	// Reverse the checkout instead.
	h.press("esc", "y") // the typed reason: discard it
	h.press("up", "r")
	h.press("enter")
	h.contains("a reversal needs a reason")
	h.typ("wrong client")
	h.press("enter")
	h.contains("Reverse operation #2 (checkout)?", "Sale undone", "−€75.00", "Into Anna Kovalenko's deposit", "+€50.00",
		"Out of Cash drawer", "−€25.00", "Reason: wrong client", "Anna Kovalenko's balance after")
	h.press("y")
	h.contains("Reversal of €75.00 posted as operation #", "REVERSED by #", "Balance €50.00")
	op, _ := b.svc.Operation(ctx(), 2)
	if op.ReversedBy == 0 {
		t.Fatal("checkout not marked reversed")
	}

	// Finance shows the day: cash opens at 100, in 50+25, out 25 (the reversal), closes at 150.
	h.press("4")
	h.contains("Finance · Fri 14 Mar 2025 (today)", "Cash drawer", "€100.00", "€75.00", "€25.00", "€150.00",
		"checkout +€25.00 · reversal −€25.00 · top-up +€50.00")
	rep, err := b.svc.Check(ctx())
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check: %v %v", rep.Problems, err)
	}
}

func lastOp(b *books) (finance.OperationID, error) {
	var id finance.OperationID
	err := b.db.View(ctx(), func(tx finance.ReadTx) error {
		var err error
		id, err = tx.LastOperationID()
		return err
	})
	return id, err
}

func TestRefusedCashOutKeepsTheFormAndItsKey(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 80, 24)
	h.enter(owner)
	addClient(h, "Anna Kovalenko", "0671234567")
	h.press("o")
	h.press("ctrl+u")
	h.typ("20")
	h.press("enter", "enter", "enter", "y")
	h.contains("Cash-out refused")
	key := h.m.tabs[0].page.(interface{ FormKey() string }).FormKey()
	if key == "" {
		t.Fatal("form closed after a refusal")
	}
	h.press("esc")
	h.contains("Discard this cash-out?")
	h.press("y")
	h.press("o")
	if k2 := h.m.tabs[0].page.(interface{ FormKey() string }).FormKey(); k2 == key || k2 == "" {
		t.Fatal("a new form must get a new idempotency key")
	}
}

func TestWalkInCheckoutSplitOverTwoRegisters(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("2")
	h.press("ctrl+w")
	h.typ("Manicure")
	h.press("enter")
	h.typ("30")
	h.press("tab")
	h.typ("2")
	h.press("enter")
	h.contains("Manicure", "€60.00")
	h.press("enter")
	// Auto-filled: all 60 on cash. Split: 20 cash, 40 card.
	h.press("tab")
	h.press("ctrl+u")
	h.typ("20")
	h.press("tab")
	h.typ("30")
	h.press("enter", "enter", "enter") // past cash tendered and the note
	h.contains("registers must add up to €60.00 (€10.00 still to pay)")
	h.press("tab", "ctrl+u")
	h.typ("40")
	h.press("enter", "enter", "enter")
	h.contains("Check out walk-in for €60.00?", "+€20.00", "+€40.00")
	h.press("y")
	h.contains("Receipt", "Manicure")
	dt, err := b.svc.DayTotals(ctx(), finance.OwnerActor("t"), "2025-03-14")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, d := range dt {
		got[d.Register] = d.In
	}
	if got["cash"] != 2000 || got["card"] != 4000 {
		t.Fatalf("day totals in %v", got)
	}
}

func TestFinanceStepsDaysWeeksMonthsAndGoTo(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("4")
	steps := []struct {
		keys []string
		want string
	}{
		{[]string{"left"}, "Thu 13 Mar 2025"},
		{[]string{"right", "right"}, "Sat 15 Mar 2025"},
		{[]string{"t"}, "Fri 14 Mar 2025 (today)"},
		{[]string{"shift+left"}, "Fri 7 Mar 2025"},
		{[]string{"shift+right", "shift+right"}, "Fri 21 Mar 2025"},
		{[]string{"["}, "Fri 21 Feb 2025"},
		{[]string{"]", "]"}, "Mon 21 Apr 2025"},
	}
	for _, s := range steps {
		h.press(s.keys...)
		h.contains(s.want)
	}
	h.press("g", "ctrl+u")
	h.typ("2024-12-31")
	h.press("enter")
	h.contains("Tue 31 Dec 2024")
	h.press("g", "ctrl+u")
	h.typ("31.12.2024")
	h.press("enter")
	h.contains("a date as YYYY-MM-DD")
}

func TestFinanceDeskMayNotSeePastDays(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(finance.Actor{Staff: "Olha", Role: finance.RoleDesk})
	h.press("4")
	h.contains("Fri 14 Mar 2025 (today)", "Cash drawer")
	h.press("left")
	h.contains("may not see past days' totals")
	h.press("e")
	h.contains("may not export")
}

func TestFinanceOpsPostingsAndExport(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	owner := finance.OwnerActor("Mila")
	cl, err := b.svc.CreateClient(ctx(), owner, finance.NewClient{Name: "Anna Kovalenko", Phone: "0671234567"})
	if err != nil {
		t.Fatal(err)
	}
	top, err := b.svc.TopUp(ctx(), owner, finance.TopUpRequest{Key: "k1", ClientID: cl.ID, Amount: 5000, Register: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Reverse(ctx(), owner, finance.ReverseRequest{Key: "k2", OperationID: top.ID, Reason: "typo"}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("4", "enter")
	h.contains("Cash drawer · Fri 14 Mar 2025", "#1", "REVERSED by #2", "#2", "reverses #1")
	h.press("enter")
	h.contains("Operation #1 · top-up", "Postings", "Reversed by operation #2")
	h.press("enter") // follow the link
	h.contains("Operation #2 · reversal", "Reverses operation #1")
	h.press("esc", "esc")

	h.press("e")
	h.contains("Exported 4 postings to")
	path := filepath.Join(b.dir, "exports", "paydesk-studio-mila-2025-03-14.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[0][0] != "operation" || recs[1][8] != "50.00" && recs[1][8] != "-50.00" {
		t.Fatalf("csv: %v", recs)
	}
	var sum float64
	_ = sum
	audit, _ := b.svc.Audit(ctx(), owner, testNow.Add(-1e12), 100)
	found := false
	for _, e := range audit {
		found = found || (e.Action == "export" && strings.Contains(e.Subject, "paydesk-studio-mila-2025-03-14.csv"))
	}
	if !found {
		t.Fatal("export not in the audit log")
	}

	// A range export through the E prompt.
	h.press("E", "enter", "enter")
	h.contains("Exported 4 postings to")
	if _, err := os.Stat(filepath.Join(b.dir, "exports", "paydesk-studio-mila-2025-03-08_2025-03-14.csv")); err != nil {
		t.Fatal(err)
	}

	// The same day again: the file is there, so the desk asks; n keeps it.
	if err := os.WriteFile(path, []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.press("e")
	h.contains("Write over paydesk-studio-mila-2025-03-14.csv?", "y write over it", "n/esc keep the old file")
	h.press("n")
	if got, _ := os.ReadFile(path); string(got) != "kept" {
		t.Fatalf("the file was written over without a yes: %q", got)
	}
	h.press("e", "y")
	h.contains("Exported 4 postings to")
	if got, _ := os.ReadFile(path); !strings.HasPrefix(string(got), "operation,") {
		t.Fatalf("not written over on yes: %q", got)
	}

	// A range given backwards is refused, not swapped.
	h.press("E", "ctrl+u")
	h.typ("2025-03-15")
	h.press("enter", "enter")
	h.contains("the range ends (2025-03-14) before it starts (2025-03-15)")
}

func TestBookingsSyncStaffAuditScreens(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	withStaff(t, b, "Mila", "admin", "1234")
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("3")
	h.contains("No bookings yet", "not configured")
	h.press("5")
	h.contains("Payment sync", "not configured", "The inbox is empty")

	h.press("6")
	h.contains("Staff", "Mila", "admin", "active") // withStaff above
	h.press("a")
	h.typ("Olha")
	h.press("enter", "enter")
	h.typ("5555")
	h.press("enter")
	h.typ("5555")
	h.press("enter")
	h.contains("Olha added as desk")
	h.press("down", "p")
	h.typ("7777")
	h.press("enter")
	h.typ("7777")
	h.press("enter")
	h.contains("New PIN saved for Olha")
	if _, err := b.svc.Login(ctx(), "Olha", "7777"); err != nil {
		t.Fatal(err)
	}
	h.press("d", "y")
	h.contains("Olha is disabled", "disabled")

	h.press("7")
	h.contains("Audit log", "staff_add", "Olha")
}

func TestBookingCancelAndRefundToDeposit(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	owner := finance.OwnerActor("Mila")
	ev := finance.ProviderEvent{ID: "evt_1", Provider: "stripe", Type: finance.EventPaymentSucceeded, RawType: "payment_intent.succeeded",
		Created: testNow, Received: testNow, Status: finance.InboxPending, ObjectID: "pi_1", PaymentRef: "pi_1", Amount: 4000, Currency: "eur",
		Metadata: map[string]string{"booking_id": "bk_1", "client_name": "Anna Kovalenko", "client_phone": "+380671234567",
			"service": "Coloring", "starts_at": "2025-03-20T10:00:00Z", "booking_total": "4000"}}
	if _, err := b.svc.RecordEvent(ctx(), ev); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.ApplyEvent(ctx(), "evt_1"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, Deps{SyncConfigured: true}, 100, 30)
	h.enter(owner)
	h.press("3")
	h.contains("bk_1", "Coloring", "prepaid")
	h.press("R")
	h.contains("cancel it first")
	h.press("x")
	h.typ("client called")
	h.press("enter", "y")
	h.contains("Booking bk_1 canceled.", "canceled")
	h.press("R")
	h.contains("Refund booking bk_1", "[deposit]") // no refunder: the card is not the default
	h.press("enter", "enter")
	h.typ("canceled")
	h.press("enter")
	h.contains("Refund €40.00 of booking bk_1 to the client's deposit?", "From the online prepayment", "−€40.00", "'s deposit", "+€40.00")
	h.press("y")
	h.contains("Refunded €40.00 of booking bk_1 to the deposit.")
	bk, err := b.svc.Booking(ctx(), "bk_1")
	if err != nil || bk.Refunded != 4000 {
		t.Fatalf("booking %+v, %v", bk, err)
	}
	_ = owner
	h.press("5")
	h.contains("payment_intent.succeeded", "applied")
}

func TestChangesFromAnotherDeskRefreshTheScreen(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 80, 24)
	h.enter(owner)
	h.contains("No clients yet")
	if _, err := b.svc.CreateClient(ctx(), finance.OwnerActor("other desk"), finance.NewClient{Name: "Bohdan", Phone: "0501112233"}); err != nil {
		t.Fatal(err)
	}
	h.send(changeMsg{change: finance.Change{What: "client"}})
	h.contains("Bohdan")
}

// A burst of changes (webhooks applied by the thousand) schedules one
// reload, not one per change; it reloads what the last write left.
func TestChangesGatherIntoOneRefresh(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 80, 24)
	h.enter(owner)
	h.contains("No clients yet")
	scheduled := 0
	for i := range 100 {
		if _, err := b.svc.CreateClient(ctx(), finance.OwnerActor("other desk"),
			finance.NewClient{Name: fmt.Sprintf("Client %03d", i), Phone: fmt.Sprintf("050111%04d", i)}); err != nil {
			t.Fatal(err)
		}
		if _, cmd := h.m.Update(changeMsg{change: finance.Change{What: "client"}}); cmd != nil {
			scheduled++
		}
	}
	if scheduled != 1 {
		t.Fatalf("100 changes scheduled %d commands, want 1 (the reload)", scheduled)
	}
	h.contains("No clients yet") // not reloaded yet
	h.send(refreshMsg{})
	h.contains("Client 000")
	// The next change schedules a reload again.
	if _, cmd := h.m.Update(changeMsg{change: finance.Change{What: finance.ChangeMissed}}); cmd == nil {
		t.Fatal("a change after the reload scheduled nothing")
	}
}

func TestEveryScreenFitsTheTerminal(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		h := newHarness(t, b, Deps{}, size[0], size[1])
		h.sized(size[0], size[1])
		h.enter(owner)
		for _, tab := range []string{"1", "2", "3", "4", "5", "6", "7"} {
			h.press(tab)
			h.sized(size[0], size[1])
		}
		h.press("?")
		h.sized(size[0], size[1])
	}
	h := newHarness(t, b, Deps{}, 60, 20)
	h.contains("needs at least 80×24")
	h.send(windowSize(90, 30))
	h.lacks("needs at least")
}

func windowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// A group event paid by two people: the refund's confirm screen shows each
// payer's share before y, and y posts those shares.
func TestGroupRefundShowsEachPayersShare(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	for i, p := range []struct {
		name, phone string
		amount      int64
	}{{"Anna Kovalenko", "+380671234567", 3000}, {"Bohdan Shevchuk", "+380671234568", 1000}} {
		id := fmt.Sprintf("evt_%d", i)
		ev := finance.ProviderEvent{ID: id, Provider: "stripe", Type: finance.EventPaymentSucceeded, RawType: "payment_intent.succeeded",
			Created: testNow, Received: testNow, Status: finance.InboxPending, ObjectID: fmt.Sprintf("pi_%d", i), Amount: p.amount, Currency: "eur",
			Metadata: map[string]string{"booking_id": "bk_g", "client_name": p.name, "client_phone": p.phone,
				"service": "Yoga", "starts_at": "2025-03-20T10:00:00Z", "booking_total": "4000", "group_event": "true"}}
		if _, err := b.svc.RecordEvent(ctx(), ev); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.ApplyEvent(ctx(), id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.svc.CancelBooking(ctx(), owner, "bk_g", "closed"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, Deps{SyncConfigured: true}, 100, 30)
	h.enter(owner)
	h.press("3")
	h.contains("bk_g", "Payers #1 €30.00, #2 €10.00")
	h.press("R")
	h.press("ctrl+u")
	h.typ("20")
	h.press("enter", "enter")
	h.typ("closed")
	h.press("enter")
	h.contains("Refund €20.00 of booking bk_g to the deposits of its 2 payers?", "€15.00", "€5.00")
	h.press("y")
	h.contains("Refunded €20.00 of booking bk_g to the deposit.")
	for id, want := range map[finance.ClientID]int64{1: 1500, 2: 500} {
		v, err := b.svc.ClientView(ctx(), id, finance.Page{Limit: 1})
		if err != nil || v.Balance != want {
			t.Errorf("client %d owed %d (%v), want %d", id, v.Balance, err, want)
		}
	}
}

// [ssh] hide_roles: the PIN screen lists names and not who is an admin.
func TestLoginScreenCanHideRoles(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	if err := b.svc.AddStaff(ctx(), owner, "Iryna", finance.RoleAdmin, "13579"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, Deps{}, 80, 24)
	h.contains("Who are you?", "Iryna", "admin")
	h = newHarness(t, b, Deps{HideRoles: true}, 80, 24)
	h.contains("Who are you?", "Iryna")
	h.lacks("admin", "Role")
}

// A desk in webhook-only mode says once, at the top of the Sync tab, what
// it cannot post (no fee event per payment says it instead).
func TestSyncTabShowsItsStandingNote(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{SyncConfigured: true, SyncNote: "Fees need the secret key."}, 100, 30)
	h.enter(owner)
	h.press("5")
	h.contains("Payment sync", "Fees need the secret key.")
}

// A line whose price times quantity, or whose sum with the lines before it,
// would wrap int64 is refused under the price with the books' words, and
// the total on screen stays what the accepted lines come to.
func TestCheckoutRefusesLinesThatOverflow(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("2")
	h.press("ctrl+w")
	h.typ("Gold")
	h.press("enter")
	h.typ("90000000000000000")
	h.press("tab")
	h.typ("2")
	h.press("enter")
	h.contains("too large: line 1 is too large")
	h.lacks("Total -")
	h.press("tab", "ctrl+u")
	h.typ("1")
	h.press("enter")
	h.contains("Gold", "Total €90,000,000,000,000,000.00")
	h.typ("More")
	h.press("enter")
	h.typ("90000000000000000")
	h.press("enter")
	h.contains("too large: the lines add up to too much", "Total €90,000,000,000,000,000.00")
}

// The Audit tab follows the right Service.Audit asks (past totals), not a
// role: a desk given that right in the rights table sees it, and a manager
// without it does not.
func TestAuditTabFollowsTheRight(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	r := finance.DefaultRights()
	desk, mgr := r[finance.RoleDesk], r[finance.RoleManager]
	desk.Rights = append(append([]finance.Right{}, desk.Rights...), finance.RightPastTotals)
	mgr.Rights = slices.DeleteFunc(slices.Clone(mgr.Rights), func(x finance.Right) bool { return x == finance.RightPastTotals })
	r[finance.RoleDesk], r[finance.RoleManager] = desk, mgr
	b.svc = finance.NewService(b.db, finance.WithClock(b.clock.now), finance.WithRights(r))

	h := newHarness(t, b, Deps{}, 120, 30)
	h.enter(finance.Actor{Staff: "Olha", Role: finance.RoleDesk})
	h.contains("Audit")
	h = newHarness(t, b, Deps{}, 120, 30)
	h.enter(finance.Actor{Staff: "Max", Role: finance.RoleManager})
	h.lacks("Audit")
}
