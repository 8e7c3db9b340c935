package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// The Finance tab's register actions (transfer, paid-in, paid-out) and the
// client card's edit, driven through Update/View on the real store.

// maxAmount is the largest amount a person can type: the service takes it,
// but a register already holding money would overflow, so it is refused.
const maxAmount = "92233720368547758.07"

// withRights is the same books seen through a service with another rights
// table (the store is shared, as two processes would share the file).
func withRights(b *books, r finance.Rights) *books {
	return &books{svc: finance.NewService(b.db, finance.WithClock(b.clock.now), finance.WithRights(r)),
		db: b.db, clock: b.clock, dir: b.dir}
}

func dayTotals(t *testing.T, b *books) map[string]finance.DayTotals {
	t.Helper()
	dt, err := b.svc.DayTotals(ctx(), finance.OwnerActor("t"), "2025-03-14")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]finance.DayTotals{}
	for _, d := range dt {
		out[d.Register] = d
	}
	return out
}

func checkBooks(t *testing.T, b *books) {
	t.Helper()
	rep, err := b.svc.Check(ctx())
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check: %v %v", rep.Problems, err)
	}
}

func auditActions(t *testing.T, b *books) []string {
	t.Helper()
	es, err := b.svc.Audit(ctx(), finance.OwnerActor("t"), testNow.Add(-1e12), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func (h *harness) formKey(tab int) string {
	return h.m.tabs[tab].page.(interface{ FormKey() string }).FormKey()
}

func TestFinanceTransferPostsAndRefreshesTheDay(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("4")
	h.contains("m transfer", "i paid in", "o paid out")

	h.press("m")
	h.contains("Transfer from Cash drawer", "Posts on today, 2025-03-14", "Cash drawer holds €100.00", "[Card terminal]")
	h.press("right", "right") // Bank
	h.contains("[Bank]")
	h.press("enter")
	h.typ("60")
	h.press("enter")
	h.typ("evening deposit")
	h.press("enter")
	h.contains("Transfer €60.00 from Cash drawer to Bank?", "Into Bank", "+€60.00", "Out of Cash drawer", "−€60.00",
		"Note: evening deposit", "Cash drawer after", "€40.00", "Bank after", "p postings")
	h.press("p") // the ledger's postings, one key away
	h.contains("Postings (debit +, credit −)", "p in words")
	h.press("p")
	h.lacks("Postings (debit +")
	h.press("enter") // Enter does not confirm a money action
	if id, _ := lastOp(b); id != 0 {
		t.Fatal("posted without y")
	}
	h.press("y")
	h.contains("Transfer of €60.00 posted as operation #1.", "Finance · Fri 14 Mar 2025 (today)", "€40.00", "transfer −€60.00")
	if h.formKey(3) != "" {
		t.Fatal("the form stayed open after posting")
	}

	op, err := b.svc.Operation(ctx(), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []finance.Posting{{Account: "register/bank", Amount: 6000}, {Account: "register/cash", Amount: -6000}}
	if op.Kind != finance.OpTransfer || op.Staff != "Mila" || op.Comment != "evening deposit" || fmt.Sprint(op.Postings) != fmt.Sprint(want) {
		t.Fatalf("operation %+v", op)
	}
	dt := dayTotals(t, b)
	if dt["cash"].Closing != 4000 || dt["cash"].Out != 6000 || dt["bank"].Closing != 6000 || dt["bank"].In != 6000 {
		t.Fatalf("day totals %+v", dt)
	}
	// All registers: the move between two of them is neither in nor out,
	// and is said apart.
	var all string
	for _, l := range strings.Split(h.view(), "\n") {
		if strings.Contains(l, "All registers") {
			all = l
		}
	}
	if f := strings.Fields(all); len(f) != 6 || f[3] != "€0.00" || f[4] != "€0.00" {
		t.Fatalf("All registers row %q: want in and out €0.00", all)
	}
	h.contains("Between registers €60.00 (transfers, payouts): not in the in/out above")
	checkBooks(t, b)
}

func TestFinancePaidInAndPaidOut(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("4", "i")
	h.contains("Paid in · Cash drawer")
	h.typ("25")
	h.press("enter", "enter")
	h.contains("a paid-in or paid-out needs a reason")
	h.typ("float for change")
	h.press("enter")
	h.contains("Pay €25.00 into Cash drawer?", "Into Cash drawer", "+€25.00",
		"Reason: float for change", "Cash drawer after", "€125.00")
	h.press("y")
	h.contains("Paid-in of €25.00 posted as operation #1.", "€125.00")

	// More than the drawer holds: the books' preview refuses it (a cash
	// drawer's floor) before any question, and the form stays as typed.
	h.press("o")
	h.contains("Paid out · Cash drawer", "Cash drawer holds €125.00")
	h.typ("200")
	h.press("enter")
	h.typ("supplies")
	h.press("enter")
	h.lacks("Pay €200.00 out of Cash drawer?")
	h.contains("Paid-out refused: Cash drawer holds €125.00; taking €200.00 out would leave it below zero")
	h.contains("Paid out · Cash drawer")
	h.press("up", "ctrl+u")
	h.typ("30")
	h.press("enter", "enter")
	h.contains("Pay €30.00 out of Cash drawer?", "Out of Cash drawer", "−€30.00", "Cash drawer after", "€95.00")
	h.lacks("(below zero: count the drawer first)")
	h.press("y")
	h.contains("Paid-out of €30.00 posted as operation #2.", "paid in +€25.00 · paid out −€30.00")

	dt := dayTotals(t, b)["cash"]
	if dt.Opening != 10000 || dt.In != 2500 || dt.Out != 3000 || dt.Closing != 9500 ||
		dt.ByKind[finance.OpPaidIn] != 2500 || dt.ByKind[finance.OpPaidOut] != -3000 {
		t.Fatalf("cash day %+v", dt)
	}
	op, _ := b.svc.Operation(ctx(), 2)
	if op.Kind != finance.OpPaidOut || op.Comment != "supplies" {
		t.Fatalf("operation %+v", op)
	}
	checkBooks(t, b)
}

func TestFinanceActionOnAPastDayPostsTodayAndShowsToday(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("4", "left")
	h.contains("Thu 13 Mar 2025")
	h.press("i")
	h.lacks("holds") // what the drawer holds now is not what the past day shows
	h.typ("5")
	h.press("enter")
	h.typ("tips jar")
	h.press("enter")
	h.contains("It posts on today, 2025-03-14, not on the day shown.")
	h.lacks("after:")
	h.press("y")
	h.contains("Paid-in of €5.00 posted", "Fri 14 Mar 2025 (today)", "paid in +€5.00")
	if op, _ := b.svc.Operation(ctx(), 1); op.BusinessDate != "2025-03-14" {
		t.Fatalf("posted on %s", op.BusinessDate)
	}
}

func TestRefusedRegisterActionsChangeNothingAndKeepTheKey(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	// A paid-in first, so the drawer's own postings are not zero: a huge
	// amount into it then overflows in the store, whatever day is shown.
	if _, err := b.svc.MoveCash(ctx(), finance.OwnerActor("Mila"), finance.CashMoveRequest{Key: "p1", Register: "cash", Amount: 100, In: true, Reason: "float"}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	h.press("4")
	before := dayTotals(t, b)

	// With today on screen the form itself refuses what a register cannot hold.
	h.press("down", "m") // from the card terminal
	h.contains("Transfer from Card terminal", "[Cash drawer]")
	h.press("enter")
	h.typ(maxAmount)
	h.press("enter", "enter")
	h.contains("✗ too large: Cash drawer holds €101.00 and could not book it")
	h.lacks("Transfer €")
	h.press("esc", "y")

	// With a past day on screen the service is asked, and its preview
	// refuses before any question is put.
	h.press("left", "m")
	h.press("enter")
	h.typ(maxAmount)
	h.press("enter", "enter")
	h.lacks("Transfer €92,233,720,368,547,758.07 from Card terminal to Cash drawer?")
	h.contains("Transfer refused: ", "is more than one operation may move here", "Transfer from Card terminal")
	key := h.formKey(3)
	if key == "" {
		t.Fatal("the form closed after a refusal")
	}
	h.press("i") // typed into the open form's note, not a new action
	if h.formKey(3) != key {
		t.Fatal("the key changed while the form stayed open")
	}
	h.press("backspace")
	if id, _ := lastOp(b); id != 1 {
		t.Fatalf("a refused transfer posted operation %d", id)
	}
	if after := dayTotals(t, b); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("totals changed: %v -> %v", before, after)
	}
	for _, a := range auditActions(t, b) {
		if a == string(finance.OpTransfer) {
			t.Fatal("a refused transfer is in the audit log")
		}
	}

	// Fixed and confirmed again: it posts once, under the same key, and today shows.
	h.press("up", "ctrl+u")
	h.typ("10")
	h.press("enter", "enter", "y")
	h.contains("Transfer of €10.00 posted as operation #2.", "Fri 14 Mar 2025 (today)")
	op, err := b.svc.Operation(ctx(), 2)
	if err != nil || op.Key != finance.DeskKey(key) {
		t.Fatalf("op key %q, form key %q, %v", op.Key, key, err)
	}

	// A paid-out the card terminal (now -€10.00) cannot book: refused by
	// the form today, by the service on a past day.
	h.press("o")
	h.typ(maxAmount)
	h.press("enter")
	h.typ("test")
	h.press("enter")
	h.contains("✗ too large: Card terminal holds -€10.00")
	h.press("esc", "y", "left", "o")
	h.typ(maxAmount)
	h.press("enter")
	h.typ("test")
	h.press("enter")
	h.contains("Paid-out refused: ", "is more than one operation may move here", "Paid out · Card terminal")
	if id, _ := lastOp(b); id != 2 {
		t.Fatalf("last op %d, want 2", id)
	}
	h.press("esc", "y")
	h.contains("canceled", "Finance · Thu 13 Mar 2025")
	checkBooks(t, b)
}

func TestRegisterActionsNeedTheirRights(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(finance.Actor{Staff: "Olha", Role: finance.RoleDesk})
	h.press("4")
	h.lacks("m transfer", "i paid in", "o paid out")
	for _, c := range []struct{ key, want string }{
		{"m", "Olha (desk) may not transfer between registers"},
		{"i", "Olha (desk) may not pay in or pay out"},
		{"o", "Olha (desk) may not pay in or pay out"},
	} {
		h.press(c.key)
		h.contains(c.want, "Finance · Fri 14 Mar 2025")
	}

	// A manager kept to the cash drawer and card terminal.
	d := finance.DefaultRights()[finance.RoleManager]
	d.Registers = []string{"cash", "card"}
	rb := withRights(b, finance.Rights{finance.RoleManager: d})
	hm := newHarness(t, rb, Deps{}, 100, 30)
	hm.enter(finance.Actor{Staff: "Petro", Role: finance.RoleManager})
	hm.press("4")
	hm.contains("m transfer", "i paid in", "Cash drawer", "Card terminal")
	hm.lacks("Stripe", "Bank") // the service shows only the registers this person may use
	hm.press("m")
	hm.contains("Transfer from Cash drawer", "[Card terminal]")
	hm.lacks("Stripe", "Bank") // only registers this person may use
	if id, _ := lastOp(b); id != 0 {
		t.Fatalf("operation %d posted", id)
	}
}

func TestClientEditSavesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	addClient(h, "Anna Kovalenko", "0671234567")
	h.contains("E edit")
	h.press("E")
	h.contains("Edit client #1 · Anna Kovalenko", "Anna Kovalenko", "+380671234567", "Credit limit", "0.00")

	h.press("ctrl+u", "tab")
	h.contains("enter the client's name")
	h.press("up")
	h.typ("Anna Petrenko")
	h.press("tab", "tab")
	h.typ("anna@example.com")
	h.press("tab")
	h.typ("allergic to latex")
	h.press("tab", "ctrl+u")
	h.typ("30")
	h.press("enter")
	h.contains("Save changes to Anna Kovalenko?", "Anna Kovalenko → Anna Petrenko", "(none) → anna@example.com",
		"(none) → allergic to latex", "€0.00 → €30.00", "Available after: €30.00")
	h.lacks("Phone")
	h.press("y")
	h.contains("Saved Anna Petrenko: name, email, note, credit limit.", "Anna Petrenko", "anna@example.com",
		"Available €30.00", "Credit limit €30.00", "allergic to latex")

	cv, err := b.svc.ClientView(ctx(), 1, finance.Page{Limit: 1})
	if err != nil || cv.Name != "Anna Petrenko" || cv.Email != "anna@example.com" || cv.Note != "allergic to latex" ||
		cv.CreditLimit != 3000 || cv.Phone != "+380671234567" {
		t.Fatalf("client %+v, %v", cv.Client, err)
	}
	if a := auditActions(t, b); !strings.Contains(strings.Join(a, " "), "client_edit") {
		t.Fatalf("no client_edit in the audit log: %v", a)
	}

	// Through every field with nothing changed: nothing is sent.
	h.press("E", "enter", "enter", "enter", "enter", "enter")
	h.contains("Nothing changed.", "Anna Petrenko")
	h.lacks("Save changes")
}

func TestClientEditRefusalsShowTheServiceWordsAndChangeNothing(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(owner)
	addClient(h, "Anna Kovalenko", "0671234567")
	h.press("esc")
	addClient(h, "Bohdan Shevchenko", "0509876543")
	h.contains("Bohdan Shevchenko", "+380509876543")

	// Anna's phone: refused by the service, its words under the phone field.
	h.press("E", "tab", "ctrl+u")
	h.typ("067 123 45 67")
	h.press("enter", "enter", "enter", "enter")
	h.contains("Phone         +380509876543 → 067 123 45 67")
	h.press("y")
	h.contains("Edit refused: +380671234567 already belongs to Anna Kovalenko (client 1)",
		"Edit client #2", "✗ +380671234567 already belongs")
	cv, _ := b.svc.ClientView(ctx(), 2, finance.Page{Limit: 1})
	if cv.Phone != "+380509876543" {
		t.Fatalf("phone changed to %s", cv.Phone)
	}
	h.press("esc", "y")

	// A credit limit below what the client already owes.
	owner := finance.OwnerActor("Mila")
	limit := int64(5000)
	if _, err := b.svc.UpdateClient(ctx(), owner, 2, finance.ClientUpdate{CreditLimit: &limit}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Checkout(ctx(), owner, finance.CheckoutRequest{Key: "c1", ClientID: 2, Total: 4000}); err != nil {
		t.Fatal(err)
	}
	h.send(changeMsg{change: finance.Change{What: "operation", ClientID: 2}})
	h.contains("Balance -€40.00", "Credit limit €50.00")
	h.press("E", "up") // to the credit limit
	h.contains("owes €40.00 now")
	h.press("ctrl+u")
	h.typ("10")
	h.press("enter", "y")
	h.contains("Edit refused: Bohdan Shevchenko already owes €40.00; the credit limit cannot be lower than that",
		"✗ Bohdan Shevchenko already owes")
	if cv, _ := b.svc.ClientView(ctx(), 2, finance.Page{Limit: 1}); cv.CreditLimit != 5000 {
		t.Fatalf("credit limit changed to %d", cv.CreditLimit)
	}

	// A name longer than the service keeps.
	h.press("esc", "y", "E", "ctrl+u")
	h.typ(strings.Repeat("a", 101))
	h.press("enter", "enter", "enter", "enter", "enter", "y")
	h.contains("Edit refused: name is 101 characters long; at most 100")
	if cv, _ := b.svc.ClientView(ctx(), 2, finance.Page{Limit: 1}); cv.Name != "Bohdan Shevchenko" {
		t.Fatalf("name changed to %q", cv.Name)
	}
	edits := 0
	for _, a := range auditActions(t, b) {
		if a == "client_edit" {
			edits++
		}
	}
	if edits != 1 { // the limit set above, nothing from the screen
		t.Fatalf("%d client_edit audit lines, want 1", edits)
	}
	checkBooks(t, b)
}

func TestClientEditFollowsRights(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	if _, err := b.svc.CreateClient(ctx(), finance.OwnerActor("Mila"), finance.NewClient{Name: "Anna Kovalenko", Phone: "0671234567"}); err != nil {
		t.Fatal(err)
	}

	// The desk edits contact fields but never sees the credit limit.
	h := newHarness(t, b, Deps{}, 100, 30)
	h.enter(finance.Actor{Staff: "Olha", Role: finance.RoleDesk})
	h.press("enter", "E")
	h.contains("Edit client #1", "Name", "Phone", "Email", "Note")
	h.lacks("Credit limit")
	h.press("tab", "tab", "tab")
	h.typ("prefers mornings")
	h.press("enter", "y")
	h.contains("Saved Anna Kovalenko: note.")

	// A role with neither right: no E in the help, and E says which right is missing.
	r := finance.Rights{finance.RoleDesk: {Rights: []finance.Right{finance.RightTopUp}},
		finance.RoleManager: {Rights: []finance.Right{finance.RightCredit}}}
	rb := withRights(b, r)
	hd := newHarness(t, rb, Deps{}, 100, 30)
	hd.enter(finance.Actor{Staff: "Ivan", Role: finance.RoleDesk})
	hd.press("enter")
	hd.lacks("E edit")
	hd.press("E")
	hd.contains("Ivan (desk) may not create or edit clients")
	hd.lacks("Edit client #1")

	// Credit without client editing: only the limit is offered.
	hm := newHarness(t, rb, Deps{}, 100, 30)
	hm.enter(finance.Actor{Staff: "Petro", Role: finance.RoleManager})
	hm.press("enter", "E")
	hm.contains("Edit client #1", "Credit limit")
	hm.lacks("Phone ")
	hm.press("ctrl+u")
	hm.typ("12,50")
	hm.press("enter")
	hm.contains("✗")
	hm.press("ctrl+u")
	hm.typ("12.50")
	hm.press("enter", "y")
	hm.contains("Saved Anna Kovalenko: credit limit.", "Credit limit €12.50")
	if cv, _ := b.svc.ClientView(ctx(), 1, finance.Page{Limit: 1}); cv.CreditLimit != 1250 || cv.Note != "prefers mornings" {
		t.Fatalf("client %+v", cv.Client)
	}
}

// TestGoldenActionForms renders the new forms and confirmations at 80×24
// and 120×40 (go test ./tui -update rewrites them).
func TestGoldenActionForms(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, hgt := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, hgt), func(t *testing.T) {
			t.Parallel()
			g := func(h *harness, name string) {
				t.Helper()
				h.sized(w, hgt)
				h.golden(fmt.Sprintf("%s_%dx%d", name, w, hgt))
			}
			h := newHarness(t, goldenBooks(t), Deps{SyncConfigured: true, Version: "test"}, w, hgt)
			h.enter(owner)
			h.press("enter", "E")
			g(h, "client_edit")
			h.press("tab", "tab")
			h.typ("anna@example.com")
			h.press("tab", "tab", "ctrl+u")
			h.typ("50")
			h.press("enter")
			g(h, "client_edit_confirm")
			h.press("n", "esc", "y", "esc")

			h.press("4", "m")
			g(h, "transfer_form")
			h.press("right", "right", "enter")
			h.typ("60")
			h.press("enter")
			h.typ("evening deposit")
			h.press("enter")
			g(h, "transfer_confirm")
			h.press("n", "esc", "y", "i", "enter", "enter")
			g(h, "paid_in_invalid")
			h.press("esc", "o") // nothing typed into the paid-in: no question
			h.typ("12.50")
			h.press("enter")
			h.typ("window cleaner")
			h.press("enter")
			g(h, "paid_out_confirm")
		})
	}
}
