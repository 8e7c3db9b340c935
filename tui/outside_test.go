package tui

import (
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// Text that came in a webhook (a client's name, the service, a booking id)
// reaches the screens cleaned: no escape sequence, bell or bidi override of
// it is in any View, whichever screen shows it.
func TestWebhookTextReachesTheScreensClean(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	nasty := "\x1b]0;owned\x07\x1b[2J\x1b[31mAnna\x1b[0m \u202eKoval\u202c\u2066"
	for i, md := range []map[string]string{
		{"booking_id": "bk_1", "client_name": nasty, "client_phone": "+380671234567",
			"service": "\x1b[5mColoring\u202e" + strings.Repeat("x", 5000), "booking_total": "4000"},
		{"booking_id": "bk_\x1b[31m2", "client_name": "Bohdan", "client_phone": "+380671234568"},
	} {
		id := []string{"evt_1", "evt_2"}[i]
		ev := finance.ProviderEvent{ID: id, Provider: "stripe", Type: finance.EventPaymentSucceeded,
			RawType: "payment_intent.succeeded", Created: testNow, ObjectID: "pi_" + id, PaymentRef: "pi_" + id,
			Amount: 4000, Currency: "eur", FailureText: "\x1b[31mdeclined\u202e", Metadata: md}
		if _, err := b.svc.RecordEvent(ctx(), ev); err != nil {
			t.Fatal(err)
		}
		_ = b.svc.ApplyEvent(ctx(), id) // the second fails: its booking id is not plain
	}
	h := newHarness(t, b, Deps{SyncConfigured: true}, 120, 40)
	h.enter(owner)
	clean := func(where string) {
		t.Helper()
		v := h.view()
		for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\u202c", "\u2066"} {
			if strings.Contains(v, bad) {
				t.Fatalf("%s: %q reached the screen:\n%q", where, bad, v)
			}
		}
	}
	h.contains("Anna Koval")
	clean("clients")
	h.press("enter")
	h.contains("Anna Koval")
	clean("client")
	h.press("3")
	h.contains("bk_1", "Coloring")
	clean("bookings")
	h.press("enter")
	clean("booking")
	h.press("5")
	h.contains("payment_intent.succeeded")
	clean("sync")
	for range 2 {
		h.press("enter")
		clean("sync event")
		h.press("esc", "down")
	}
	h.press("4")
	clean("finance")
}
