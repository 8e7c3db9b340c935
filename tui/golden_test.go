package tui

import (
	"fmt"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// goldenBooks is a small, fixed set of books: two clients, a top-up, a
// partial-balance checkout, a reversal, and a prepaid booking from Stripe.
func goldenBooks(t testing.TB) *books {
	t.Helper()
	b := newBooks(t, true)
	owner := finance.OwnerActor("Mila")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	anna, err := b.svc.CreateClient(ctx(), owner, finance.NewClient{Name: "Anna Kovalenko", Phone: "0671234567", Note: "prefers mornings"})
	must(err)
	_, err = b.svc.CreateClient(ctx(), owner, finance.NewClient{Name: "Bohdan Shevchenko", Phone: "0509876543"})
	must(err)
	_, err = b.svc.TopUp(ctx(), owner, finance.TopUpRequest{Key: "g1", ClientID: anna.ID, Amount: 5000, Register: "cash", Note: "first visit"})
	must(err)
	_, err = b.svc.Checkout(ctx(), owner, finance.CheckoutRequest{Key: "g2", ClientID: anna.ID,
		Lines: []finance.LineItem{{Description: "Haircut", UnitPrice: 4500, Quantity: 1}, {Description: "Styling", UnitPrice: 1500, Quantity: 1}},
		Total: 6000, Payments: []finance.Tender{{Register: "card", Amount: 1000}}})
	must(err)
	top, err := b.svc.TopUp(ctx(), owner, finance.TopUpRequest{Key: "g3", ClientID: anna.ID, Amount: 2000, Register: "card"})
	must(err)
	_, err = b.svc.Reverse(ctx(), owner, finance.ReverseRequest{Key: "g4", OperationID: top.ID, Reason: "wrong client"})
	must(err)
	ev := finance.ProviderEvent{ID: "evt_1", Provider: "stripe", Type: finance.EventPaymentSucceeded, RawType: "payment_intent.succeeded",
		Created: testNow, Received: testNow, Status: finance.InboxPending, ObjectID: "pi_1", PaymentRef: "pi_1", Amount: 4000, Currency: "eur",
		Metadata: map[string]string{"booking_id": "bk_1", "client_name": "Anna Kovalenko", "client_phone": "+380671234567",
			"service": "Coloring", "starts_at": "2025-03-20T10:00:00Z", "booking_total": "4000"}}
	_, err = b.svc.RecordEvent(ctx(), ev)
	must(err)
	must(b.svc.ApplyEvent(ctx(), "evt_1"))
	withStaff(t, b, "Mila", "admin", "1234", "Olha", "desk", "5555")
	return b
}

// TestGoldenScreens renders every screen at 80×24 and 120×40 with the Ascii
// profile and a fixed clock; go test ./tui -update rewrites the files.
func TestGoldenScreens(t *testing.T) {
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

			fresh := newHarness(t, newBooks(t, false), Deps{SetupDefaults: testSettings(), Version: "test"}, w, hgt)
			g(fresh, "setup")

			b := goldenBooks(t)
			h := newHarness(t, b, Deps{SyncConfigured: true, Version: "test"}, w, hgt)
			g(h, "login")
			h.login("1234")
			g(h, "clients")
			h.press("/")
			h.typ("anna")
			g(h, "clients_search")
			h.press("enter", "enter")
			g(h, "client")
			h.press("enter")
			g(h, "client_op")
			h.press("esc", "t")
			h.typ("25")
			g(h, "topup_form")
			h.press("enter", "enter", "enter")
			g(h, "topup_confirm")
			h.press("esc", "esc")
			g(h, "topup_discard")
			h.press("y", "esc", "n")
			h.press("enter")
			g(h, "client_new_invalid")
			h.press("esc")

			h.press("2")
			g(h, "checkout_client")
			h.typ("anna")
			h.press("enter")
			h.typ("Manicure")
			h.press("enter")
			h.typ("30")
			h.press("enter")
			g(h, "checkout_items")
			h.press("ctrl+b")
			g(h, "checkout_booking")
			h.press("ctrl+b", "enter")
			g(h, "checkout_pay")
			h.press("enter", "enter", "enter", "enter", "enter")
			g(h, "checkout_confirm")
			h.press("y")
			g(h, "checkout_receipt")

			h.press("esc", "esc", "3")
			g(h, "bookings")
			h.press("4")
			g(h, "finance")
			h.press("enter")
			g(h, "finance_ops")
			h.press("enter")
			g(h, "finance_op")
			h.press("esc", "esc", "5")
			g(h, "sync")
			h.press("6")
			g(h, "staff")
			h.press("7")
			g(h, "audit")
			h.press("?")
			g(h, "help")

			// Closing the day: the Z-report, the drawer count, its reason,
			// the confirmation, the day marked closed.
			h.press("esc", "4")
			h.press("z")
			g(h, "finance_zreport")
			h.press("esc", "C")
			h.press("tab", "tab", "tab")
			h.typ("1") // €100 + €50 + €20 + €5: €175 of €180
			h.press("tab")
			h.typ("1")
			h.press("tab")
			h.typ("1")
			h.press("tab", "tab")
			h.typ("1")
			g(h, "finance_close_count")
			h.press("enter")
			h.typ("change given twice")
			g(h, "finance_close_form")
			h.press("enter", "enter", "right", "enter")
			g(h, "finance_close_confirm")
			h.press("y")
			g(h, "finance_closed")
			h.press("z")
			g(h, "finance_zreport_closed")
		})
	}
}
