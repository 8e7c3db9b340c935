package main

import (
	"net/http"
	"strings"
	"testing"
)

// Issue 20, case 1: a deposit keyed "stripe:pi_X" by hand no longer takes
// the key of payment pi_X: when that payment's webhook arrives it makes its
// booking and the money is on the Stripe register; the typed key still
// replays its deposit and refuses another kind of operation in words.
func TestTypedKeyCannotTakeAPaymentsKey(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Olena", "--phone", "+380671112233")
	first := d.ok("deposit", "--client", id, "--amount", "25", "--register", "cash", "--key", "stripe:pi_typed")

	s := serveWebhooks(t, d)
	if code := s.post(paymentEvent("evt_typed", "pi_typed", "bk_typed", 2500, "Oksana Koval", "+380671234567", 2500, false)); code != http.StatusOK {
		t.Fatalf("payment event: HTTP %d", code)
	}
	s.waitDone("evt_typed")
	s.stop()

	var bookings []struct {
		ID   string `json:"id"`
		Paid int64  `json:"paid"`
	}
	d.json(&bookings, "booking", "list")
	if len(bookings) != 1 || bookings[0].ID != "bk_typed" || bookings[0].Paid != 2500 {
		t.Fatalf("bookings = %+v", bookings)
	}
	var tot totalsOut
	d.json(&tot, "totals")
	for _, r := range tot.Registers {
		if r.Register == "stripe" && r.Closing != 2500-73 { // less the fake API's fee
			t.Errorf("stripe register closes at %d, want 2427", r.Closing)
		}
	}
	if again := d.ok("deposit", "--client", id, "--amount", "25", "--register", "cash", "--key", "stripe:pi_typed"); again != first {
		t.Errorf("typed key posted again: %s, then %s", first, again)
	}
	r := d.run("cashout", "--client", id, "--amount", "5", "--register", "cash", "--key", "stripe:pi_typed")
	if r.code == 0 || !strings.Contains(r.err, `key "stripe:pi_typed" was already used for a top up`) {
		t.Errorf("cash-out under a deposit's key: exit %d %q", r.code, r.err)
	}
	d.ok("check")
}
