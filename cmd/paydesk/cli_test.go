package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paydesk/paydesk/store"
)

// binary is the real paydesk, built once for every CLI test.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paydesk-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Other users may run it: a test drops to one who cannot write a file.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "paydesk")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building paydesk:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	stopPG()
	os.RemoveAll(dir)
	os.Exit(code)
}

// desk is one temp installation: its own home, XDG dirs, config and database.
type desk struct {
	t      *testing.T
	home   string
	db     string
	config string
	env    []string
	// prefix runs the binary through a command (a shell that sets a limit
	// first); sys sets how the process starts (another user, for one).
	prefix []string
	sys    *syscall.SysProcAttr
}

const testConfig = `
[setup]
location = "Studio Mila"
currency = "EUR"
locale = "en"
time_zone = "UTC"
phone_region = "UA"
`

func newDesk(t *testing.T) *desk {
	t.Helper()
	return newDeskAt(t, t.TempDir())
}

// newDeskAt is newDesk in a home of the caller's.
func newDeskAt(t *testing.T, home string) *desk {
	t.Helper()
	d := &desk{t: t, home: home, db: filepath.Join(home, "books", "paydesk.db"), config: filepath.Join(home, "paydesk.toml")}
	if err := os.WriteFile(d.config, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	d.env = []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C", "TZ=UTC",
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"PAYDESK_SSH_ADDR=127.0.0.1:0", // serve's SSH server: any free port, never a fixed one
	}
	return d
}

type result struct {
	out, err string
	code     int
}

// run runs paydesk with this desk's --db and --config.
func (d *desk) run(args ...string) result {
	d.t.Helper()
	return d.runRaw(append([]string{"--db", d.db, "--config", d.config}, args...)...)
}

func (d *desk) runRaw(args ...string) result {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	line := append(append(append([]string{}, d.prefix...), binary), args...)
	cmd := exec.CommandContext(ctx, line[0], line[1:]...)
	cmd.Env = d.env
	cmd.SysProcAttr = d.sys
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatalf("paydesk %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// ok runs a command that must succeed and returns its trimmed stdout.
func (d *desk) ok(args ...string) string {
	d.t.Helper()
	r := d.run(args...)
	if r.code != 0 {
		d.t.Fatalf("paydesk %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return strings.TrimSpace(r.out)
}

func (d *desk) json(v any, args ...string) {
	d.t.Helper()
	out := d.ok(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		d.t.Fatalf("paydesk %s: bad JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (d *desk) init() {
	d.t.Helper()
	d.ok("init", "--location", "Studio Mila", "--currency", "EUR", "--locale", "en", "--timezone", "UTC", "--region", "UA")
}

type totalsOut struct {
	Date      string `json:"date"`
	Currency  string `json:"currency"`
	Registers []struct {
		Register    string `json:"register"`
		Name        string `json:"name"`
		Opening     int64  `json:"opening"`
		In          int64  `json:"in"`
		Out         int64  `json:"out"`
		Closing     int64  `json:"closing"`
		ClosingText string `json:"closing_text"`
		Count       int    `json:"count"`
		ByKind      map[string]struct {
			Amount     int64  `json:"amount"`
			AmountText string `json:"amount_text"`
		} `json:"by_kind"`
	} `json:"registers"`
}

type clientOut struct {
	ID          uint64 `json:"id"`
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	Balance     int64  `json:"balance"`
	BalanceText string `json:"balance_text"`
	Available   int64  `json:"available"`
	History     []struct {
		ID         uint64 `json:"id"`
		Kind       string `json:"kind"`
		Amount     int64  `json:"amount"`
		AmountText string `json:"amount_text"`
		ReversedBy uint64 `json:"reversed_by"`
		Reverses   uint64 `json:"reverses"`
	} `json:"history"`
}

// TestDoneWhen is issue 2's "done when": a client created, topped up, checked
// out partly from the balance and partly by card, a mistaken top-up
// reversed; the balance and day totals right; check passes.
func TestDoneWhen(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Anna Petrenko", "--phone", "050 123 4567", "--email", "anna@example.com")
	top := d.ok("deposit", "--client", id, "--amount", "100", "--register", "cash")
	wrong := d.ok("deposit", "--client", id, "--amount", "500", "--register", "Card Terminal") // by name, any case
	d.ok("reverse", wrong, "--reason", "typed 500 instead of 50")
	d.ok("checkout", "--client", id, "--total", "130.50", "--register", "card")

	var c clientOut
	d.json(&c, "client", "show", id)
	if c.Name != "Anna Petrenko" || c.Phone != "+380501234567" {
		t.Errorf("client %+v", c)
	}
	if c.Balance != 0 || c.BalanceText != "€0.00" {
		t.Errorf("balance %d %q, want 0 after spending all 100 of it", c.Balance, c.BalanceText)
	}
	if len(c.History) != 4 || c.History[3].ID == 0 || fmt.Sprint(c.History[3].ID) != top {
		t.Fatalf("history %+v", c.History)
	}
	if h := c.History[2]; fmt.Sprint(h.ID) != wrong || h.ReversedBy == 0 {
		t.Errorf("the mistaken top-up must show as reversed: %+v", h)
	}

	var tot totalsOut
	d.json(&tot, "totals")
	if tot.Currency != "EUR" || len(tot.Registers) != 4 {
		t.Fatalf("totals %+v", tot)
	}
	want := map[string][4]int64{ // opening, in, out, closing
		"cash":   {0, 10000, 0, 10000},
		"card":   {0, 50000 + 3050, 50000, 3050},
		"stripe": {0, 0, 0, 0},
		"bank":   {0, 0, 0, 0},
	}
	for _, r := range tot.Registers {
		w := want[r.Register]
		if got := [4]int64{r.Opening, r.In, r.Out, r.Closing}; got != w {
			t.Errorf("%s: opening/in/out/closing %v, want %v", r.Register, got, w)
		}
	}
	card := tot.Registers[1]
	if card.ByKind["checkout"].Amount != 3050 || card.ByKind["top_up"].Amount != 50000 || card.ByKind["reversal"].Amount != -50000 {
		t.Errorf("card by kind %+v", card.ByKind)
	}
	if card.ClosingText != "€30.50" {
		t.Errorf("closing text %q", card.ClosingText)
	}

	if out := d.ok("check"); !strings.Contains(out, "ok") {
		t.Errorf("check: %s", out)
	}
	// Human output is an aligned table naming the registers.
	if out := d.ok("totals"); !strings.Contains(out, "Card terminal") || !strings.Contains(out, "€30.50") {
		t.Errorf("totals table:\n%s", out)
	}
	if out := d.ok("ops"); strings.Count(out, "\n") != 4 || !strings.Contains(out, "reversed by") {
		t.Errorf("ops table:\n%s", out)
	}
}

func TestIdempotentKeys(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Olena", "--phone", "+380671112233")
	a := d.ok("deposit", "--client", id, "--amount", "80", "--register", "cash", "--key", "k-1")
	b := d.ok("deposit", "--client", id, "--amount", "80", "--register", "cash", "--key", "k-1")
	if a != b {
		t.Errorf("same key posted twice: %s, %s", a, b)
	}
	// The retry of a checkout must match the first even though the deposit
	// it drew from is now smaller.
	c1 := d.ok("checkout", "--client", id, "--total", "100", "--register", "card", "--key", "k-2")
	c2 := d.ok("checkout", "--client", id, "--total", "100", "--register", "card", "--key", "k-2")
	if c1 != c2 {
		t.Errorf("checkout retry posted again: %s, %s", c1, c2)
	}
	r := d.run("deposit", "--client", id, "--amount", "90", "--register", "cash", "--key", "k-1")
	if r.code != 1 || !strings.Contains(r.err, `key "k-1" was already used for a top up`) {
		t.Errorf("same key, other request: exit %d %q", r.code, r.err)
	}
	var c clientOut
	d.json(&c, "client", "show", id)
	if c.Balance != 0 || len(c.History) != 2 {
		t.Errorf("balance %d, %d operations; want 0 and 2", c.Balance, len(c.History))
	}
	// Without --key every run is new.
	x := d.ok("paid-in", "--register", "cash", "--amount", "5", "--reason", "float")
	y := d.ok("paid-in", "--register", "cash", "--amount", "5", "--reason", "float")
	if x == y {
		t.Error("two runs without --key must post twice")
	}
}

func TestSplitPaymentsAndOtherMoves(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Marta", "--phone", "0931234567")
	d.ok("deposit", "--client", id, "--amount", "20", "--register", "cash")
	d.ok("checkout", "--client", id, "--total", "100", "--pay", "cash=30", "--pay", "card=50")
	d.ok("checkout", "--walk-in", "--total", "15", "--register", "cash")
	d.ok("checkout", "--client", id, "--total", "10", "--balance", "0", "--register", "card")
	d.ok("deposit", "--client", id, "--amount", "40", "--register", "card")
	d.ok("cashout", "--client", id, "--amount", "15", "--register", "cash")
	d.ok("transfer", "--from", "cash", "--to", "bank", "--amount", "45")
	d.ok("paid-out", "--register", "cash", "--amount", "5", "--reason", "coffee")
	var c clientOut
	d.json(&c, "client", "show", id)
	if c.Balance != 2500 {
		t.Errorf("balance %d, want 2500", c.Balance)
	}
	var tot totalsOut
	d.json(&tot, "totals")
	closing := map[string]int64{}
	for _, r := range tot.Registers {
		closing[r.Register] = r.Closing
	}
	want := map[string]int64{"cash": 2000 + 3000 + 1500 - 1500 - 4500 - 500, "card": 5000 + 1000 + 4000, "bank": 4500, "stripe": 0}
	for k, w := range want {
		if closing[k] != w {
			t.Errorf("%s closing %d, want %d", k, closing[k], w)
		}
	}
	var ops []struct {
		Kind string `json:"kind"`
	}
	d.json(&ops, "ops", "--register", "bank")
	if len(ops) != 1 || ops[0].Kind != "transfer" {
		t.Errorf("ops touching bank: %+v", ops)
	}
	d.json(&ops, "ops", "--client", id)
	if len(ops) != 5 {
		t.Errorf("client ops: %d, want 5", len(ops))
	}
	d.ok("check")
}

// TestBadInput: every bad input gets exit 1 (refused) or 2 (usage) with a
// clear message, and changes nothing.
func TestBadInput(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Iryna", "--phone", "0501112233")
	d.ok("deposit", "--client", id, "--amount", "50", "--register", "cash")
	rev := d.ok("deposit", "--client", id, "--amount", "1", "--register", "cash")
	revOp := d.ok("reverse", rev, "--reason", "mistake")

	snapshot := func() string {
		return d.ok("ops", "--json") + d.ok("client", "list", "--json") + d.ok("totals", "--json")
	}
	before := snapshot()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"deposit", "--client", id, "--amount", "-5", "--register", "cash"}, 1, "amount"},
		{[]string{"deposit", "--client", id, "--amount", "abc", "--register", "cash"}, 1, "amount"},
		{[]string{"deposit", "--client", id, "--amount", "1.234", "--register", "cash"}, 1, "amount"},
		{[]string{"deposit", "--client", id, "--amount", "0", "--register", "cash"}, 1, "amount"},
		{[]string{"deposit", "--client", id, "--amount", "99999999999999999999", "--register", "cash"}, 1, "amount"},
		{[]string{"deposit", "--client", id, "--amount", "", "--register", "cash"}, 2, "--amount is required"},
		{[]string{"deposit", "--client", id, "--amount", "5"}, 2, "--register is required"},
		{[]string{"deposit", "--client", id, "--amount", "5", "--register", "safe"}, 1, "no register \"safe\""},
		{[]string{"deposit", "--client", "999", "--amount", "5", "--register", "cash"}, 1, "not found"},
		{[]string{"deposit", "--client", "anna", "--amount", "5", "--register", "cash"}, 1, "client id"},
		{[]string{"deposit", "--client", id, "--amount", "5", "--register", "cash", "--bogus"}, 2, "bogus"},
		{[]string{"checkout", "--total", "50", "--register", "cash"}, 2, "--walk-in"},
		{[]string{"checkout", "--client", id, "--total", "100"}, 2, "--register"},
		{[]string{"checkout", "--client", id, "--total", "10", "--balance", "20", "--register", "cash"}, 1, "more than the total"},
		{[]string{"checkout", "--client", id, "--total", "100", "--balance", "80", "--register", "cash"}, 1, ""},
		{[]string{"checkout", "--client", id, "--total", "100", "--pay", "cash=10", "--pay", "card=10"}, 1, "add up"},
		{[]string{"checkout", "--client", id, "--total", "100", "--pay", "cash10"}, 2, "REGISTER=AMOUNT"},
		{[]string{"checkout", "--walk-in", "--total", "10", "--balance", "5", "--register", "cash"}, 2, "walk-in"},
		{[]string{"cashout", "--client", id, "--amount", "60", "--register", "cash"}, 1, ""},
		{[]string{"reverse", rev, "--reason", "again"}, 1, "reversed"},
		{[]string{"reverse", revOp, "--reason", "undo the undo"}, 1, ""},
		{[]string{"reverse", rev}, 2, "--reason is required"},
		{[]string{"reverse", "--reason", "x"}, 2, "missing argument"},
		{[]string{"reverse", "4242", "--reason", "x"}, 1, "not found"},
		{[]string{"transfer", "--from", "cash", "--to", "cash", "--amount", "5"}, 1, ""},
		{[]string{"paid-out", "--register", "cash", "--amount", "5"}, 2, "--reason is required"},
		{[]string{"client", "add", "--name", "Other", "--phone", "0501112233"}, 1, "already belongs to"},
		{[]string{"client", "add", "--name", "Other", "--phone", "12"}, 1, "phone"},
		{[]string{"client", "add", "--phone", "0501112234"}, 2, "--name is required"},
		{[]string{"client", "show", "77"}, 1, "not found"},
		{[]string{"client", "frobnicate"}, 2, "unknown command"},
		{[]string{"launch"}, 2, "unknown command"},
		{[]string{"totals", "--date", "2024-13-01"}, 1, "YYYY-MM-DD"},
		{[]string{"totals", "--from", "2024-01-01"}, 2, "--to"},
		{[]string{"ops", "--client", "0"}, 1, "client id"},
		{[]string{"init"}, 1, "already set up"},
		{[]string{"demo"}, 1, "already holds data"},
		{[]string{"backup"}, 2, "missing argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := d.run(tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.out, r.err)
			}
			if !strings.HasPrefix(r.err, "paydesk: ") || !strings.Contains(r.err, tt.want) {
				t.Errorf("stderr %q, want a message containing %q", r.err, tt.want)
			}
			if tt.code == 2 && !strings.Contains(r.err, "usage: paydesk") {
				t.Errorf("a usage error must show the usage: %q", r.err)
			}
			if strings.Contains(r.err, "goroutine") || strings.Contains(r.err, "panic") {
				t.Errorf("panicked: %s", r.err)
			}
		})
	}
	if after := snapshot(); after != before {
		t.Errorf("bad input changed the books:\nbefore %s\nafter %s", before, after)
	}
	d.ok("check")
}

func TestNotSetUp(t *testing.T) {
	d := newDesk(t)
	for _, args := range [][]string{{"client", "list"}, {"totals"}, {"check"}, {"backup", filepath.Join(d.home, "b.db")}} {
		r := d.run(args...)
		if r.code != 1 || !strings.Contains(r.err, "paydesk init") {
			t.Errorf("%v: exit %d %q", args, r.code, r.err)
		}
	}
	if _, err := os.Stat(d.db); !os.IsNotExist(err) {
		t.Errorf("a refused command made the database file: %v", err)
	}
	// A refused init leaves no file behind either.
	r := d.run("init", "--currency", "XYZ")
	if r.code != 1 || !strings.Contains(r.err, "XYZ") {
		t.Errorf("init with a bad currency: exit %d %q", r.code, r.err)
	}
	if _, err := os.Stat(d.db); !os.IsNotExist(err) {
		t.Errorf("a refused init left a database file: %v", err)
	}
}

func TestVersionHelpAndDefaults(t *testing.T) {
	d := newDesk(t)
	r := d.runRaw("--version")
	if r.code != 0 || !strings.HasPrefix(r.out, "paydesk ") || !strings.Contains(r.out, "commit") {
		t.Errorf("--version: %d %q", r.code, r.out)
	}
	r = d.runRaw("--help")
	if r.code != 0 || !strings.Contains(r.out, "client add") || !strings.Contains(r.out, "--db") {
		t.Errorf("--help: %d %q", r.code, r.out)
	}
	r = d.runRaw("deposit", "--help")
	if r.code != 0 || !strings.Contains(r.out, "usage: paydesk deposit") || !strings.Contains(r.out, "--register R") {
		t.Errorf("deposit --help: %d %q", r.code, r.out)
	}
	r = d.runRaw("--nope")
	if r.code != 2 || !strings.Contains(r.err, "nope") {
		t.Errorf("unknown global flag: %d %q", r.code, r.err)
	}
	// Nothing was opened or created by version and help.
	if _, err := os.Stat(filepath.Join(d.home, "data")); !os.IsNotExist(err) {
		t.Errorf("--version/--help touched the data dir: %v", err)
	}

	// Without --db the database lives in the XDG data dir, and logs go to
	// the state dir, never the terminal.
	d.env = append(d.env, "STRIPE_SECRET_KEY=sk_test_do_not_print")
	r = d.runRaw("--log-level", "debug", "init", "--timezone", "UTC", "--region", "UA", "--currency", "EUR", "--locale", "en")
	if r.code != 0 {
		t.Fatalf("init at the default path: %d %s", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Join(d.home, "data", "paydesk", "paydesk.db")); err != nil {
		t.Errorf("default database: %v", err)
	}
	log, err := os.ReadFile(filepath.Join(d.home, "state", "paydesk", "paydesk.log"))
	if err != nil || !strings.Contains(string(log), "command") {
		t.Errorf("log file: %v %q", err, log)
	}
	if strings.Contains(string(log), "sk_test_do_not_print") || strings.Contains(r.out+r.err, "sk_test") {
		t.Error("the Stripe key reached the log or the terminal")
	}
	if r.err != "" {
		t.Errorf("stderr must stay quiet on success: %q", r.err)
	}
	// PAYDESK_DB points elsewhere.
	d.env = append(d.env, "PAYDESK_DB="+filepath.Join(d.home, "env.db"))
	if r := d.runRaw("client", "list"); r.code != 1 || !strings.Contains(r.err, "env.db") {
		t.Errorf("PAYDESK_DB: %d %q", r.code, r.err)
	}
}

func TestConfigRefusals(t *testing.T) {
	d := newDesk(t)
	if err := os.WriteFile(d.config, []byte(testConfig+"\n[stripe]\nsecret_key = \"sk_test_secret\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d.config, 0o644); err != nil {
		t.Fatal(err)
	}
	r := d.run("client", "list")
	if r.code != 1 || !strings.Contains(r.err, "chmod 600 "+d.config) || strings.Contains(r.err, "sk_test_secret") {
		t.Errorf("readable secret: %d %q", r.code, r.err)
	}
	if err := os.Chmod(d.config, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := d.run("init"); r.code != 0 {
		t.Errorf("private config must be accepted: %d %q", r.code, r.err)
	}
	if err := os.WriteFile(d.config, []byte("[setup]\ncurrency = \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := d.run("totals"); r.code != 1 || !strings.Contains(r.err, "line 2") {
		t.Errorf("bad TOML: %d %q", r.code, r.err)
	}
}

func TestBackup(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Sofia", "--phone", "0670000001")
	d.ok("deposit", "--client", id, "--amount", "25", "--register", "cash")
	copyPath := filepath.Join(d.home, "backups", "monday.db")
	if out := d.ok("backup", copyPath); !strings.Contains(out, copyPath) {
		t.Errorf("backup said %q", out)
	}
	if r := d.run("backup", copyPath); r.code != 1 || !strings.Contains(r.err, "exists") {
		t.Errorf("backup over an existing file: %d %q", r.code, r.err)
	}
	d.ok("backup", "--force", copyPath)
	// The copy is a whole database: it opens and passes every check.
	other := *d
	other.db = copyPath
	other.ok("check")
	var c clientOut
	other.json(&c, "client", "show", id)
	if c.Balance != 2500 {
		t.Errorf("backup balance %d", c.Balance)
	}
}

// TestLockedByAnotherProcess: while another process holds the database
// (here: this test), a command says so, naming the file, within seconds.
func TestLockedByAnotherProcess(t *testing.T) {
	d := newDesk(t)
	d.init()
	db, err := store.Open(context.Background(), d.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{{"totals"}, {"backup", filepath.Join(d.home, "b.db")}} {
		r := d.run(args...)
		if r.code != 1 || !strings.Contains(r.err, d.db) || !strings.Contains(r.err, "in use") {
			t.Errorf("%v while locked: exit %d %q", args, r.code, r.err)
		}
	}
}

func TestDemo(t *testing.T) {
	d := newDesk(t)
	var sum struct {
		Clients    int            `json:"clients"`
		Operations int            `json:"operations"`
		ByKind     map[string]int `json:"by_kind"`
	}
	d.json(&sum, "demo", "--clients", "12", "--days", "10")
	if sum.Clients != 12 || sum.Operations < 30 || sum.ByKind["checkout"] == 0 || sum.ByKind["reversal"] == 0 {
		t.Errorf("demo summary %+v", sum)
	}
	var list []clientOut
	d.json(&list, "client", "list")
	if len(list) != 12 || !strings.HasPrefix(list[0].Phone, "+380") {
		t.Errorf("demo clients %+v", list)
	}
	d.ok("check")
	if r := d.run("demo"); r.code != 1 || !strings.Contains(r.err, "already holds data") {
		t.Errorf("second demo: %d %q", r.code, r.err)
	}
}

// --dry-run prints the books' preview and posts nothing; the same command
// without it then posts exactly those postings.
func TestDryRunShowsWhatPosts(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Marta", "--phone", "0931234567")
	d.ok("deposit", "--client", id, "--amount", "20", "--register", "cash")
	cmds := [][]string{
		{"deposit", "--client", id, "--amount", "40", "--register", "card"},
		{"checkout", "--client", id, "--total", "30", "--register", "card"},
		{"checkout", "--walk-in", "--total", "15", "--pay", "cash=10", "--pay", "card=5"},
		{"cashout", "--client", id, "--amount", "15", "--register", "cash"},
		{"transfer", "--from", "card", "--to", "bank", "--amount", "5"},
		{"paid-in", "--register", "cash", "--amount", "5", "--reason", "float"},
		{"paid-out", "--register", "cash", "--amount", "5", "--reason", "coffee"},
		{"reverse", "3", "--reason", "wrong client"},
	}
	for i, args := range cmds {
		key := fmt.Sprintf("dry-%d", i)
		var pv struct {
			DryRun    bool `json:"dry_run"`
			Operation struct {
				ID       uint64        `json:"id"`
				Postings []postingJSON `json:"postings"`
			} `json:"operation"`
			After []struct {
				Account string `json:"account"`
			} `json:"after"`
		}
		before := d.ok("totals")
		d.json(&pv, append(args, "--key", key, "--dry-run")...)
		if after := d.ok("totals"); after != before {
			t.Errorf("%s --dry-run changed the totals:\n%s\n%s", args[0], before, after)
		}
		if !pv.DryRun || pv.Operation.ID != 0 || len(pv.Operation.Postings) < 2 || len(pv.After) == 0 {
			t.Errorf("%s --dry-run printed %+v", args[0], pv)
		}
		var op struct {
			Postings []postingJSON `json:"postings"`
		}
		d.json(&op, append(args, "--key", key)...)
		if fmt.Sprint(op.Postings) != fmt.Sprint(pv.Operation.Postings) {
			t.Errorf("%s posted %v, its dry run showed %v", args[0], op.Postings, pv.Operation.Postings)
		}
	}
	if out := d.ok("deposit", "--client", id, "--amount", "1", "--register", "cash", "--dry-run"); !strings.Contains(out, "would post (dry run, nothing posted)") {
		t.Errorf("dry run in words: %q", out)
	}
}

// An error names what it is about once: the store names the booking it did
// not find, and nothing above it names it again.
func TestErrorsNameTheirSubjectOnce(t *testing.T) {
	d := newDesk(t)
	d.init()
	for _, args := range [][]string{
		{"booking", "show", "bk_nope"},
		{"booking", "cancel", "bk_nope"},
		{"refund", "bk_nope", "--to-deposit", "--reason", "x"},
	} {
		r := d.run(args...)
		if r.code != 1 {
			t.Errorf("paydesk %v: exit %d, want 1\n%s", args, r.code, r.err)
			continue
		}
		if n := strings.Count(r.err, "bk_nope"); n != 1 {
			t.Errorf("paydesk %v names the booking %d times: %q", args, n, r.err)
		}
	}
}
