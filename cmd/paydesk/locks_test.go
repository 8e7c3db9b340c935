package main

import (
	"os"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

func TestStaffEnableAndSetRole(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	if out := d.ok("staff", "set-role", "Dasha", "--role", "manager"); out != "Dasha is now manager" {
		t.Fatalf("set-role: %q", out)
	}
	d.ok("staff", "disable", "Dasha")
	if out := d.ok("staff", "enable", "Dasha"); out != "Dasha can log in again" {
		t.Fatalf("enable: %q", out)
	}
	var list []staffOut
	d.json(&list, "staff", "list")
	if len(list) != 1 || list[0] != (staffOut{"Dasha", "manager", "active"}) {
		t.Fatalf("staff list %+v", list)
	}
	d.okIn("4821\n", "--as", "Dasha", "totals") // a manager's right
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"", []string{"staff", "set-role", "Dasha"}, exitUsage, "--role is required"},
		{"", []string{"staff", "set-role", "Dasha", "--role", "boss"}, exitRefused, "use desk, manager or admin"},
		{"", []string{"staff", "set-role", "Nobody", "--role", "desk"}, exitRefused, "not found"},
		{"", []string{"staff", "enable", "Nobody"}, exitRefused, "not found"},
		{"4821\n", []string{"--as", "Dasha", "staff", "set-role", "Dasha", "--role", "admin"}, exitRefused, "may not manage staff"},
	} {
		r := d.runIn(tc.stdin, tc.args...)
		if r.code != tc.code || !strings.Contains(r.err, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.err, tc.code, tc.msg)
		}
	}
	var audit []struct {
		Action string `json:"action"`
		Detail string `json:"detail"`
	}
	d.json(&audit, "audit")
	seen := map[string]bool{}
	for _, e := range audit {
		seen[e.Action] = true
	}
	for _, want := range []string{"staff_set_role", "staff_disable", "staff_enable"} {
		if !seen[want] {
			t.Errorf("no %s in the audit log: %+v", want, audit)
		}
	}
}

// Kiosk mode: no command acts as the database's owner; each needs --as and
// that person's PIN, whether run on the file or through serve, and a
// command line cannot turn it off with its own --config or environment.
func TestKioskModeNeedsAPINForEveryCommand(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	d.okIn("9753\n", "staff", "add", "--name", "Mila", "--role", "admin")
	plain := d.config + ".plain"
	if err := os.WriteFile(plain, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.config, []byte(testConfig+"\n[desk]\nkiosk = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refusedAsOwner := func(where string) {
		t.Helper()
		for _, args := range [][]string{{"ops"}, {"staff", "list"}, {"staff", "disable", "Dasha"}, {"check"},
			{"client", "add", "--name", "X", "--phone", "0671234567"}} {
			r := d.run(args...)
			if r.code != exitRefused || !strings.Contains(r.err, "kiosk mode") || !strings.Contains(r.err, "--as NAME") {
				t.Errorf("%s: %v as the owner: exit %d, stderr %q", where, args, r.code, r.err)
			}
		}
	}
	refusedAsOwner("on the file")
	d.okIn("4821\n", "--as", "Dasha", "ops")
	if r := d.runIn("0000\n", "--as", "Dasha", "ops"); r.code != exitRefused {
		t.Fatalf("a wrong PIN: %d", r.code)
	}
	if out := d.ok("ops", "--help"); !strings.Contains(out, "usage") {
		t.Fatalf("help in kiosk mode: %q", out)
	}

	srv := d.serve()
	_ = srv
	refusedAsOwner("through serve")
	// serve's kiosk setting holds for a command line naming a plain config.
	if r := d.runRaw("--db", d.db, "--config", plain, "staff", "list"); r.code != exitRefused || !strings.Contains(r.err, "kiosk mode") {
		t.Fatalf("--config without kiosk through a kiosk serve: exit %d, stderr %q", r.code, r.err)
	}
	d.okIn("9753\n", "--as", "Mila", "staff", "list")

	// PAYDESK_KIOSK turns it on for a plain config too.
	d.env = append(d.env, "PAYDESK_KIOSK=1")
	srv.stop()
	if r := d.runRaw("--db", d.db, "--config", plain, "ops"); r.code != exitRefused || !strings.Contains(r.err, "kiosk mode") {
		t.Fatalf("PAYDESK_KIOSK=1: exit %d, stderr %q", r.code, r.err)
	}
}

func TestSSHKeyRemove(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	d.okIn("9753\n", "staff", "add", "--name", "Mila", "--role", "admin")
	k1, s1 := writePublicKey(t, d.home, "d1")
	k2, _ := writePublicKey(t, d.home, "d2")
	k3, s3 := writePublicKey(t, d.home, "m1")
	d.ok("ssh-key", "add", "--staff", "Dasha", k1)
	d.ok("ssh-key", "add", "--staff", "Dasha", k2)
	d.ok("ssh-key", "add", "--staff", "Mila", k3)

	fp := gossh.FingerprintSHA256(s1.PublicKey())
	if out := d.ok("ssh-key", "remove", fp); out != "key "+fp+" of Dasha removed" {
		t.Fatalf("remove by fingerprint: %q", out)
	}
	if out := d.ok("ssh-key", "remove", "--staff", "Dasha"); strings.Count(out, "removed") != 1 {
		t.Fatalf("remove --staff: %q", out)
	}
	var keys []sshKeyJSON
	d.json(&keys, "ssh-key", "list")
	if len(keys) != 1 || keys[0].Fingerprint != gossh.FingerprintSHA256(s3.PublicKey()) {
		t.Fatalf("keys left %+v", keys)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"", []string{"ssh-key", "remove", fp}, exitRefused, "no key with fingerprint"},
		{"", []string{"ssh-key", "remove", "--staff", "Dasha"}, exitRefused, "no key for Dasha"},
		{"", []string{"ssh-key", "remove"}, exitUsage, "fingerprint"},
		{"", []string{"ssh-key", "remove", fp, "--staff", "Mila"}, exitUsage, "fingerprint"},
		{"4821\n", []string{"--as", "Dasha", "ssh-key", "remove", "--staff", "Mila"}, exitRefused, "may not manage staff"},
	} {
		r := d.runIn(tc.stdin, tc.args...)
		if r.code != tc.code || !strings.Contains(r.err, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.err, tc.code, tc.msg)
		}
	}
}

// The "done when": a person disabled while their desk is open over
// SSH loses it at once, and their key's connection is closed; another
// desk carries on. A role change locks the desk until the next PIN.
func TestDisablingEndsAnOpenSSHDesk(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	d.okIn("9753\n", "staff", "add", "--name", "Mila", "--role", "admin")
	d.ok("client", "add", "--name", "Oksana Koval", "--phone", "0671234567")
	dashaKey, dasha := writePublicKey(t, d.home, "dasha")
	milaKey, mila := writePublicKey(t, d.home, "mila")
	d.ok("ssh-key", "add", "--staff", "Dasha", dashaKey)
	d.ok("ssh-key", "add", "--staff", "Mila", milaKey)
	srv := d.serve()
	a := openSSHDesk(t, srv.sshAddr, "Dasha", dasha)
	b := openSSHDesk(t, srv.sshAddr, "Mila", mila)
	a.waitFor("Who are you?")
	b.waitFor("Who are you?")
	must(t, a.keys("4821\r"))
	must(t, b.keys("9753\r"))
	a.waitFor("Dasha (desk)", "Oksana Koval")
	b.waitFor("Mila (admin)")

	// A role change: Dasha's desk locks, and her next PIN gives the new role.
	d.okIn("9753\n", "--as", "Mila", "staff", "set-role", "Dasha", "--role", "manager")
	a.waitFor("login was ended")
	must(t, a.keys("4821\r"))
	a.waitFor("Dasha (manager)")

	start := time.Now()
	d.okIn("9753\n", "--as", "Mila", "staff", "disable", "Dasha")
	select {
	case <-a.ended:
		t.Logf("Dasha's connection closed %s after `staff disable` returned", time.Since(start).Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatalf("Dasha's desk stayed open after she was disabled:\n%s", a.screen())
	}
	b.waitFor("Mila (admin)")
	if _, err := gossh.Dial("tcp", srv.sshAddr, &gossh.ClientConfig{User: "Dasha",
		Auth: []gossh.AuthMethod{gossh.PublicKeys(dasha)}, HostKeyCallback: gossh.InsecureIgnoreHostKey()}); err == nil {
		t.Fatal("a disabled person's key connected")
	}
	var audit []struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	}
	d.json(&audit, "audit")
	ended := 0
	for _, e := range audit {
		if e.Action == "session_end" {
			ended++
		}
	}
	if ended != 2 {
		t.Fatalf("%d session_end lines in the audit log, want 2 (role change, disable): %+v", ended, audit)
	}
}
