package main

import (
	"fmt"
	"net/http"
	"os"
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
	s.waitDone("evt_typed", "evt_typed:fee") // the fee is an event of its own, after its payment
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

// Issue 20, cases 2 and 3 through the binary and the receiver: a group
// event paid by three people lists its payers and a refund to deposit goes
// back to each in proportion; a payment for a booking refunded in full is
// refund due, listed so, and refund returns it.
func TestGroupRefundPerPayerAndPaymentAfterRefund(t *testing.T) {
	d := newDesk(t)
	d.init()
	s := serveWebhooks(t, d)
	for i, p := range []struct {
		name, phone string
		amount      int64
	}{{"Anna", "+380671110001", 3000}, {"Bohdan", "+380671110002", 2000}, {"Chrystia", "+380671110003", 4000}} {
		evt, pi := fmt.Sprintf("evt_g%d", i), fmt.Sprintf("pi_g%d", i)
		if code := s.post(paymentEvent(evt, pi, "bk_group", p.amount, p.name, p.phone, 9000, true)); code != http.StatusOK {
			t.Fatalf("payment %d: HTTP %d", i, code)
		}
		s.waitDone(evt)
	}
	if code := s.post(paymentEvent("evt_l1", "pi_l1", "bk_late", 2500, "Dana", "+380671110004", 2500, false)); code != http.StatusOK {
		t.Fatal(code)
	}
	s.waitDone("evt_l1")
	d.ok("booking", "cancel", "bk_late")
	d.ok("refund", "bk_late", "--to-deposit", "--reason", "sick")
	if code := s.post(paymentEvent("evt_l2", "pi_l2", "bk_late", 2500, "Dana", "+380671110004", 2500, false)); code != http.StatusOK {
		t.Fatal(code)
	}
	s.waitDone("evt_l2")
	s.stop()

	var show struct {
		Payers []struct {
			ClientID   uint64 `json:"client_id"`
			PaymentRef string `json:"payment_ref"`
			Amount     int64  `json:"amount"`
		} `json:"payers"`
	}
	d.json(&show, "booking", "show", "bk_group")
	if len(show.Payers) != 3 || show.Payers[2].PaymentRef != "pi_g2" || show.Payers[2].Amount != 4000 {
		t.Fatalf("payers = %+v", show.Payers)
	}
	if out := d.ok("booking", "show", "bk_group"); !strings.Contains(out, "payers:") || !strings.Contains(out, "pi_g1") {
		t.Errorf("booking show does not list the payers:\n%s", out)
	}
	d.ok("booking", "cancel", "bk_group")
	d.ok("refund", "bk_group", "--to-deposit", "--amount", "45", "--reason", "half: studio flooded")
	for i, want := range []int64{1500, 1000, 2000} {
		var c clientOut
		d.json(&c, "client", "show", fmt.Sprint(show.Payers[i].ClientID))
		if c.Balance != want {
			t.Errorf("payer %d (%s) owed %d, want %d", i, c.Name, c.Balance, want)
		}
	}
	// The admin's own split of the rest.
	r := d.run("refund", "bk_group", "--to-deposit", "--reason", "the rest", "--split", fmt.Sprint(show.Payers[0].ClientID, "=45"))
	if r.code == 0 || !strings.Contains(r.err, "left on booking bk_group") {
		t.Errorf("split over a payer's part: exit %d %q", r.code, r.err)
	}
	d.ok("refund", "bk_group", "--to-deposit", "--reason", "the rest",
		"--split", fmt.Sprint(show.Payers[0].ClientID, "=15"), "--split", fmt.Sprint(show.Payers[1].ClientID, "=10"),
		"--split", fmt.Sprint(show.Payers[2].ClientID, "=20"))

	var due []struct {
		ID   string `json:"id"`
		Left int64  `json:"refund_left"`
	}
	d.json(&due, "booking", "list", "--refund-due")
	if len(due) != 1 || due[0].ID != "bk_late" || due[0].Left != 2500 {
		t.Fatalf("refund due = %+v", due)
	}
	d.ok("refund", "bk_late", "--to-deposit", "--reason", "paid after the refund")
	d.json(&due, "booking", "list", "--refund-due")
	if len(due) != 0 {
		t.Errorf("still refund due: %+v", due)
	}
	d.ok("check")
}

// Issue 20, case 4: a cash drawer cannot hold less than nothing. Transfers,
// paid-outs and cash-outs that would take it below zero are refused (config
// may let a register go below), and check reports a drawer that is below.
func TestRegisterFloors(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Olena", "--phone", "+380671112233")
	dep := d.ok("deposit", "--client", id, "--amount", "50", "--register", "cash")
	for _, args := range [][]string{
		{"transfer", "--from", "cash", "--to", "bank", "--amount", "80"},
		{"paid-out", "--register", "cash", "--amount", "60", "--reason", "flowers"},
	} {
		r := d.run(args...)
		if r.code == 0 || !strings.Contains(r.err, "would leave it below zero") {
			t.Errorf("%s: exit %d %q", args[0], r.code, r.err)
		}
	}
	d.ok("transfer", "--from", "cash", "--to", "bank", "--amount", "50")
	if r := d.run("cashout", "--client", id, "--amount", "10", "--register", "cash"); r.code == 0 ||
		!strings.Contains(r.err, "holds €0.00") {
		t.Errorf("cash-out from an empty drawer: exit %d %q", r.code, r.err)
	}
	d.ok("check")

	// Nor may a reversal take back out cash that is gone.
	if r := d.run("reverse", dep, "--reason", "typed the wrong client"); r.code == 0 || !strings.Contains(r.err, "below zero") {
		t.Errorf("reversal of banked cash: exit %d %q", r.code, r.err)
	}

	// Config lets a register go below zero; once it no longer does, check
	// reports the drawer below its floor.
	cfg := testConfig + "\n[limits]\nnegative_registers = [\"cash\"]\n"
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d.ok("paid-out", "--register", "cash", "--amount", "5", "--reason", "stamps")
	d.ok("check")
	if err := os.WriteFile(d.config, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	r := d.run("check")
	if r.code != 1 || !strings.Contains(r.out+r.err, "register cash (cash) is at -500, below its floor of 0") {
		t.Errorf("check of a drawer below zero: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

// Issue 20, case 5: one operation may move at most the configured limit
// (a salon's default: 10,000 of the currency), refused with the limit named.
func TestAmountLimit(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Olena", "--phone", "+380671112233")
	r := d.run("deposit", "--client", id, "--amount", "50000", "--register", "cash")
	if r.code == 0 || !strings.Contains(r.err, "the limit is €10,000.00") {
		t.Errorf("deposit over the default limit: exit %d %q", r.code, r.err)
	}
	d.ok("deposit", "--client", id, "--amount", "10000", "--register", "cash")
	cfg := testConfig + "\n[limits]\nmax_amount = 500\n"
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r = d.run("checkout", "--client", id, "--total", "600")
	if r.code == 0 || !strings.Contains(r.err, "€600.00 is more than one operation may move here (the limit is €500.00") {
		t.Errorf("checkout over a configured limit: exit %d %q", r.code, r.err)
	}
	d.ok("check")
}

// Issue 20, case 6: --as answers a name nobody has exactly as a wrong PIN.
func TestAsUnknownNameAnswersAsAWrongPIN(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	wrong := d.runIn("1111\n", "--as", "Dasha", "ops")
	nobody := d.runIn("1111\n", "--as", "Nobody", "ops")
	if wrong.code != exitRefused || wrong.code != nobody.code || wrong.out != nobody.out ||
		strings.ReplaceAll(wrong.err, "Dasha", "X") != strings.ReplaceAll(nobody.err, "Nobody", "X") {
		t.Errorf("wrong PIN: exit %d %q\nunknown name: exit %d %q", wrong.code, wrong.err, nobody.code, nobody.err)
	}
	if !strings.Contains(wrong.err, "wrong name or PIN") {
		t.Errorf("wrong PIN says %q", wrong.err)
	}
}
