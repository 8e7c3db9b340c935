package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxDesk drives the real binary's full-screen TUI inside a private tmux
// server: keys in with send-keys, the screen out with capture-pane.
type tmuxDesk struct {
	t      *testing.T
	socket string
	name   string
}

func (m *tmuxDesk) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-S", m.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (m *tmuxDesk) screen() string {
	out, err := m.tmux("capture-pane", "-p", "-t", m.name)
	if err != nil {
		m.t.Fatalf("capture-pane: %v: %s", err, out)
	}
	return out
}

// keys sends tmux key names ("Enter", "Escape", "C-u", "Down") one by one.
func (m *tmuxDesk) keys(keys ...string) {
	m.t.Helper()
	for _, k := range keys {
		if out, err := m.tmux("send-keys", "-t", m.name, k); err != nil {
			m.t.Fatalf("send-keys %s: %v: %s", k, err, out)
		}
	}
}

// text types literal text.
func (m *tmuxDesk) text(s string) {
	m.t.Helper()
	if out, err := m.tmux("send-keys", "-t", m.name, "-l", s); err != nil {
		m.t.Fatalf("send-keys -l %q: %v: %s", s, err, out)
	}
}

// waitFor polls the screen until it shows every string (the TUI answers in
// milliseconds; the deadline only stops a broken run from hanging).
func (m *tmuxDesk) waitFor(want ...string) string {
	m.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := m.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("the screen never showed %q:\n%s", missing, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestTUIEndToEnd runs first-run setup, a new client, a top-up, a
// partial-balance checkout, a reversal and the day's close (the drawer
// counted short) through the real binary's screen, then checks the Finance
// tab against `paydesk totals --json` and the seal with `paydesk verify`.
func TestTUIEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux; .ci/run installs it): skipping the TUI end-to-end test")
	}
	if testing.Short() {
		t.Skip("-short: skipping the TUI end-to-end test")
	}
	d := newDesk(t)
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	m := &tmuxDesk{t: t, socket: sock, name: "paydesk"}
	env := append([]string{"env", "-i", "TERM=xterm-256color", "NO_COLOR=1", "COLUMNS=120", "LINES=40"}, d.env...)
	for i := range env[1:] {
		env[1+i] = shellQuote(env[1+i])
	}
	cmd := strings.Join(env, " ") + " " + shellQuote(binary) + " --db " + shellQuote(d.db) + " --config " + shellQuote(d.config)
	if out, err := m.tmux("new-session", "-d", "-s", m.name, "-x", "120", "-y", "40", cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { m.tmux("kill-server") })

	// First run: the form is filled from the config's [setup]; add the owner.
	m.waitFor("Welcome to paydesk", "Studio Mila", "EUR")
	m.keys("Enter", "Enter", "Enter", "Enter", "Enter")
	m.text("Owner")
	m.keys("Enter")
	m.text("1234")
	m.keys("Enter")
	m.text("1234")
	m.keys("Enter", "Enter") // demo data: no
	m.waitFor("Studio Mila is set up", "Owner (admin)", "No clients yet")

	// The lock screen cannot be left for the shell: esc, q and ctrl+c do
	// nothing there; the PIN opens the desk again.
	m.keys("C-l")
	m.waitFor("Who are you?", "Switch user")
	m.keys("Escape", "q", "C-c", "C-d")
	m.waitFor("The desk is locked")
	if _, err := m.tmux("has-session", "-t", m.name); err != nil {
		t.Fatal("paydesk quit from the lock screen")
	}
	m.text("1234")
	m.keys("Enter")
	m.waitFor("Owner (admin)", "No clients yet")

	// New client.
	m.keys("n")
	m.waitFor("New client")
	m.text("Anna Test")
	m.keys("Enter")
	m.text("0671234567")
	m.keys("Enter", "Enter", "Enter")
	m.waitFor("Add Anna Test as a new client?", "+380671234567")
	m.keys("y")
	m.waitFor("Client Anna Test added", "+380671234567", "Balance €0.00")

	// Top-up 100 into the cash drawer.
	m.keys("t")
	m.waitFor("Top up Anna Test's deposit")
	m.text("100")
	m.keys("Enter", "Enter", "Enter")
	m.waitFor("Top up Anna Test's deposit by €100.00 into Cash drawer?")
	m.keys("y")
	m.waitFor("Top-up of €100.00 posted as operation #1", "Balance €100.00")

	// Checkout of 150: 100 from the deposit (the default), 50 cash.
	m.keys("c")
	m.waitFor("Checkout · Anna Test", "available €100.00")
	m.text("Haircut")
	m.keys("Enter")
	m.text("150")
	m.keys("Enter")
	m.waitFor("Total €150.00")
	m.keys("Enter")
	m.waitFor("Due       €150.00", "Covered.")
	// The client hands over €60 for the €50 in cash: €10 change, €50 posts.
	m.keys("Enter", "Enter", "Enter")
	m.text("60")
	m.waitFor("Covered. Change due €10.00.")
	m.keys("Enter", "Enter")
	s := m.waitFor("Check out Anna Test for €150.00?")
	for _, want := range []string{"Sale", "€150.00", "From Anna Test's deposit", "−€100.00", "Into Cash drawer", "+€50.00",
		"Anna Test's balance after", "Cash tendered €60.00 · change due €10.00"} {
		if !strings.Contains(s, want) {
			t.Fatalf("confirmation lacks %q:\n%s", want, s)
		}
	}
	m.keys("y")
	m.waitFor("Receipt", "Checkout of €150.00 posted as operation #2. Change due €10.00.")

	// The receipt: on screen with the cash handed over, then saved as text
	// and PDF in the receipts folder beside the database.
	m.keys("p")
	m.waitFor("Receipt · operation #2", "SALE", "From deposit", "Cash tendered", "€60.00", "Deposit balance after")
	m.keys("s")
	m.waitFor("Receipt #2 saved")
	saved, err := os.ReadFile(filepath.Join(filepath.Dir(d.db), "receipts", "op-2.txt"))
	if err != nil || !strings.Contains(string(saved), "Change                              €10.00") {
		t.Fatalf("the saved receipt: %v\n%s", err, saved)
	}
	if pdf, err := os.ReadFile(filepath.Join(filepath.Dir(d.db), "receipts", "op-2.pdf")); err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("the saved PDF: %v", err)
	}
	m.keys("Escape")
	m.waitFor("enter: next checkout")

	// Reverse the checkout from the client's history (newest first).
	m.keys("1")
	// "History" is the client's screen alone: the receipt shows the name,
	// #2 and "checkout" too, and a key sent before the switch is drawn can
	// reach the program in one read with "1" (bubbletea then reads "1r" as
	// one key, which nothing binds).
	m.waitFor("History", "Anna Test", "#2", "checkout")
	m.keys("r")
	m.waitFor("Reverse operation #2 (checkout)")
	m.text("wrong service")
	m.keys("Enter")
	m.waitFor("Reverse operation #2 (checkout)?")
	m.keys("y")
	m.waitFor("Reversal of €150.00 posted as operation #3", "REVERSED by #3", "Balance €100.00")

	// Finance: today's cash drawer: in 100 + 50, out 50 (the reversal).
	m.keys("4")
	fin := m.waitFor("Finance ·", "(today)", "Cash drawer", "All registers")
	rows := func(screen string) map[string][]string {
		shown := map[string][]string{}
		for _, line := range strings.Split(screen, "\n") {
			for _, reg := range []string{"Cash drawer", "Card terminal", "Stripe", "Bank"} {
				trimmed := strings.TrimLeft(line, "> ")
				if _, seen := shown[reg]; !seen && strings.HasPrefix(trimmed, reg+" ") {
					shown[reg] = strings.Fields(strings.TrimPrefix(strings.TrimPrefix(trimmed, reg), " ✓"))
				}
			}
		}
		return shown
	}
	shown := rows(fin)
	if got := shown["Cash drawer"]; strings.Join(got, " ") != "€0.00 €150.00 €50.00 €100.00" {
		t.Fatalf("cash drawer row %v, want opening €0.00 in €150.00 out €50.00 closing €100.00:\n%s", got, fin)
	}

	// Close the day: count the drawer €1.50 short, give the reason, close
	// every register, and read the Z-report.
	m.keys("C")
	m.waitFor("Close Cash drawer", "Counted total", "Expected €100.00")
	m.text("98.50")
	m.waitFor("counted €98.50", "short €1.50")
	m.keys("Enter")
	m.waitFor("Reason", "required: the drawer is short")
	m.text("coin under the drawer")
	m.keys("Enter", "Enter", "Right", "Enter")
	m.waitFor("Close Cash drawer for", "Short by €1.50", "This seals the day")
	m.keys("y")
	fin = m.waitFor("Closed and sealed", "CLOSED · sealed", "Cash drawer ✓", "closed day")
	shown = rows(fin)
	m.keys("z")
	m.waitFor("Z-report · Cash drawer", "closed by Owner", "short €1.50", "coin under the drawer", "over/short")
	m.keys("Escape")
	m.waitFor("CLOSED · sealed")

	// Quit, then ask the CLI: the screen and `paydesk totals --json` agree.
	m.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := m.tmux("has-session", "-t", m.name); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("paydesk did not quit on q:\n%s", m.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var totals struct {
		Registers []struct {
			Name        string `json:"name"`
			Opening     int64  `json:"opening"`
			In          int64  `json:"in"`
			Out         int64  `json:"out"`
			Closing     int64  `json:"closing"`
			OpeningText string `json:"opening_text"`
			InText      string `json:"in_text"`
			OutText     string `json:"out_text"`
			ClosingText string `json:"closing_text"`
		} `json:"registers"`
	}
	d.json(&totals, "totals")
	if len(totals.Registers) == 0 {
		t.Fatal("totals --json lists no registers")
	}
	for _, r := range totals.Registers {
		want := []string{r.OpeningText, r.InText, r.OutText, r.ClosingText}
		if got := shown[r.Name]; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: screen %v, totals --json %v", r.Name, got, want)
		}
		if r.Name == "Cash drawer" && (r.Opening != 0 || r.In != 15000 || r.Out != 5150 || r.Closing != 9850) {
			t.Errorf("cash drawer totals %+v", r)
		}
	}
	if out := d.ok("check"); !strings.Contains(out, "ok") || !strings.Contains(out, "1 sealed days") {
		t.Fatalf("check: %s", out)
	}
	if out := d.ok("verify"); !strings.Contains(out, "verified 1 sealed days") {
		t.Fatalf("verify: %s", out)
	}
}
