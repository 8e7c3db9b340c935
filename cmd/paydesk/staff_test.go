package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// runIn runs paydesk with this desk's --db and --config and stdin.
func (d *desk) runIn(stdin string, args ...string) result {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--db", d.db, "--config", d.config}, args...)...)
	cmd.Env = d.env
	cmd.Stdin = strings.NewReader(stdin)
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

func (d *desk) okIn(stdin string, args ...string) string {
	d.t.Helper()
	r := d.runIn(stdin, args...)
	if r.code != 0 {
		d.t.Fatalf("paydesk %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return strings.TrimSpace(r.out)
}

type staffOut struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

func TestStaffCommands(t *testing.T) {
	d := newDesk(t)
	d.init()
	if out := d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk"); out != "added Dasha (desk)" {
		t.Fatalf("staff add: %q", out)
	}
	d.okIn("1357\n", "staff", "add", "--name", "Iryna", "--role", "manager")

	bad := []struct {
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"4821\n", []string{"staff", "add", "--name", "Dasha", "--role", "desk"}, exitRefused, "already a staff member called Dasha"},
		{"", []string{"staff", "add", "--name", "Olha", "--role", "desk"}, exitRefused, "no PIN given"},
		{"12\n", []string{"staff", "add", "--name", "Olha", "--role", "desk"}, exitRefused, "4 to 8 digits"},
		{"4821\n", []string{"staff", "add", "--name", "Olha", "--role", "boss"}, exitRefused, "use desk, manager or admin"},
		{"4821\n", []string{"staff", "add", "--role", "desk"}, exitUsage, "--name is required"},
		{"4821\n", []string{"staff", "add", "--name", "Olha", "--role", "desk", "--pin", "4821"}, exitUsage, "-pin"},
		{"", []string{"staff", "disable", "Nobody"}, exitRefused, "not found"},
		{"", []string{"staff", "reset-pin", "Nobody"}, exitRefused, "no staff member called"},
		{"", []string{"audit", "--since", "yesterday"}, exitRefused, "not YYYY-MM-DD"},
	}
	for _, tc := range bad {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := d.runIn(tc.stdin, tc.args...)
			if r.code != tc.code || !strings.Contains(r.err, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", r.code, r.err, tc.code, tc.msg)
			}
		})
	}

	var list []staffOut
	d.json(&list, "staff", "list")
	if len(list) != 2 || list[0] != (staffOut{"Dasha", "desk", "active"}) || list[1] != (staffOut{"Iryna", "manager", "active"}) {
		t.Fatalf("staff list %+v", list)
	}
	if raw := d.ok("staff", "list", "--json"); strings.Contains(raw, "pin") && strings.Contains(raw, "hash") {
		t.Fatalf("staff list shows PIN hashes: %s", raw)
	}

	// A new PIN replaces the old one.
	if out := d.okIn("2468\n", "staff", "reset-pin", "Dasha"); out != "new PIN set for Dasha" {
		t.Fatalf("reset-pin: %q", out)
	}
	if r := d.runIn("4821\n", "--as", "Dasha", "ops"); r.code != exitRefused || !strings.Contains(r.err, "PIN") {
		t.Fatalf("the old PIN still works: %d %q", r.code, r.err)
	}
	d.okIn("2468\n", "--as", "Dasha", "ops")

	if out := d.ok("staff", "disable", "Dasha"); out != "Dasha can no longer log in" {
		t.Fatalf("disable: %q", out)
	}
	d.json(&list, "staff", "list")
	if list[0].Status != "disabled" {
		t.Fatalf("after disable: %+v", list)
	}
	if r := d.runIn("2468\n", "--as", "Dasha", "ops"); r.code != exitRefused || !strings.Contains(r.err, "disabled") {
		t.Fatalf("a disabled person logged in: %d %q", r.code, r.err)
	}
	if r := d.runIn("1357\n", "--as", "Iryna", "staff", "disable", "Iryna"); r.code != exitRefused || !strings.Contains(r.err, "may not manage staff") {
		t.Fatalf("a manager managed staff: %d %q", r.code, r.err)
	}
}

// The "done when", from the CLI: a desk person may deposit but is
// refused a reversal (the missing right named), and the audit log lists it
// all with names.
func TestActingAsDeskPerson(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	d.okIn("9753\n", "staff", "add", "--name", "Mila", "--role", "admin")
	client := d.ok("client", "add", "--name", "Oksana Koval", "--phone", "0671234567")

	op := d.okIn("4821\n", "--as", "Dasha", "deposit", "--client", client, "--amount", "50", "--register", "cash")
	var ops []opOut
	d.json(&ops, "ops")
	if len(ops) != 1 || ops[0].Kind != "top_up" {
		t.Fatalf("ops %+v", ops)
	}
	r := d.runIn("4821\n", "--as", "Dasha", "reverse", op, "--reason", "wrong client")
	if r.code != exitRefused || !strings.Contains(r.err, "Dasha (desk) may not reverse operations") {
		t.Fatalf("desk reversal: exit %d, stderr %q", r.code, r.err)
	}
	if r := d.runIn("0000\n", "--as", "Dasha", "ops"); r.code != exitRefused {
		t.Fatalf("a wrong PIN was accepted: %q", r.err)
	}
	if r := d.runIn("4821\n", "--as", "Dasha", "audit"); r.code != exitRefused || !strings.Contains(r.err, "may not") {
		t.Fatalf("a desk person read the audit log: %d %q", r.code, r.err)
	}
	d.okIn("9753\n", "--as", "Mila", "reverse", op, "--reason", "wrong client")

	var audit []struct {
		Staff  string `json:"staff"`
		Action string `json:"action"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(d.okIn("9753\n", "--as", "Mila", "audit", "--json")), &audit); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range audit {
		seen[e.Staff+" "+e.Action] = true
	}
	for _, want := range []string{"Dasha login", "Dasha top_up", "Dasha login_failed", "Mila login", "Mila reversal"} {
		if !seen[want] {
			t.Errorf("audit has no %q: %+v", want, audit)
		}
	}
	if out := d.ok("check"); !strings.Contains(out, "ok") {
		t.Fatalf("check: %s", out)
	}
}

func writePublicKey(t *testing.T, dir, name string) (string, gossh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".pub")
	if err := os.WriteFile(path, gossh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, signer
}

func TestSSHKeyAdd(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	keyFile, signer := writePublicKey(t, d.home, "dasha")

	out := d.ok("ssh-key", "add", "--staff", "Dasha", keyFile)
	if !strings.Contains(out, gossh.FingerprintSHA256(signer.PublicKey())) || !strings.Contains(out, "ssh -p 0 Dasha@127.0.0.1") {
		t.Fatalf("ssh-key add: %q", out)
	}
	otherFile, _ := writePublicKey(t, d.home, "other")
	key, _ := os.ReadFile(otherFile)
	d.okIn(string(key), "ssh-key", "add", "--staff", "Dasha", "-")

	var keys []sshKeyJSON
	d.json(&keys, "ssh-key", "list")
	if len(keys) != 2 || keys[0].Staff != "Dasha" || keys[0].Fingerprint != gossh.FingerprintSHA256(signer.PublicKey()) {
		t.Fatalf("ssh-key list %+v", keys)
	}
	st, err := os.Stat(filepath.Join(d.home, "config", "paydesk", "authorized_keys"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("authorized_keys: %v %v", err, st)
	}

	bad := []struct {
		stdin string
		args  []string
		msg   string
	}{
		{"", []string{"ssh-key", "add", "--staff", "Nobody", keyFile}, "no staff member called"},
		{"", []string{"ssh-key", "add", "--staff", "Dasha", filepath.Join(d.home, "missing.pub")}, "no such file"},
		{"not a key\n", []string{"ssh-key", "add", "--staff", "Dasha", "-"}, "not an SSH public key"},
		{"4821\n", []string{"--as", "Dasha", "ssh-key", "add", "--staff", "Dasha", keyFile}, "may not manage staff"},
	}
	for _, tc := range bad {
		r := d.runIn(tc.stdin, tc.args...)
		if r.code != exitRefused || !strings.Contains(r.err, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, r.code, r.err, tc.msg)
		}
	}
	d.json(&keys, "ssh-key", "list")
	if len(keys) != 2 {
		t.Fatalf("a refused key was added: %+v", keys)
	}
}

func TestAbsPathArgs(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { return filepath.Join(wd, p) }
	tests := []struct{ in, want []string }{
		{[]string{"--db", "b.db", "--config=c.toml", "backup", "copy.db"},
			[]string{"--db", abs("b.db"), "--config=" + abs("c.toml"), "backup", abs("copy.db")}},
		{[]string{"backup", "--force", "/tmp/x.db"}, []string{"backup", "--force", "/tmp/x.db"}},
		{[]string{"--as", "Dasha", "ssh-key", "add", "--staff", "Dasha", "k.pub"},
			[]string{"--as", "Dasha", "ssh-key", "add", "--staff", "Dasha", abs("k.pub")}},
		{[]string{"ssh-key", "add", "-", "--staff", "x"}, []string{"ssh-key", "add", "-", "--staff", "x"}},
		{[]string{"ops", "--date", "2026-01-02"}, []string{"ops", "--date", "2026-01-02"}},
		{[]string{"--log-level", "debug", "--db", "x.db", "backup", "y"}, []string{"--log-level", "debug", "--db", abs("x.db"), "backup", abs("y")}},
	}
	for _, tt := range tests {
		got := absPathArgs(tt.in)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("absPathArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSSHHint(t *testing.T) {
	tests := []struct{ addr, user, want string }{
		{"127.0.0.1:2222", "desk", "ssh -p 2222 desk@127.0.0.1"},
		{"0.0.0.0:22", "Dasha", "ssh Dasha@HOST"},
		{"[::1]:2222", "Anna K", "ssh -p 2222 'Anna K'@[::1]"},
		{"nonsense", "desk", "ssh desk@HOST"},
	}
	for _, tt := range tests {
		if got := sshHint(tt.addr, tt.user); got != tt.want {
			t.Errorf("sshHint(%q, %q) = %q, want %q", tt.addr, tt.user, got, tt.want)
		}
	}
}
