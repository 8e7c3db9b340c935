package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/paydesk/paydesk/internal/deskserver"
	"github.com/paydesk/paydesk/internal/vterm"
)

// served is a running `paydesk serve`.
type served struct {
	sshAddr string
	socket  string
	stop    func() // SIGTERM, wait, check the socket is gone; once
}

// serve starts `paydesk serve` on the desk's database (SSH on a free port)
// and stops it with SIGTERM when the test ends, checking it cleaned up.
func (d *desk) serve() *served {
	d.t.Helper()
	cmd := exec.Command(binary, "--db", d.db, "--config", d.config, "serve")
	cmd.Env = d.env
	out, err := cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	s := &served{socket: deskserver.SocketPath(d.db)}
	port := regexp.MustCompile("ssh -p ([0-9]+) ")
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := port.FindStringSubmatch(sc.Text()); m != nil {
			s.sshAddr = "127.0.0.1:" + m[1]
			break
		}
	}
	if s.sshAddr == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		d.t.Fatalf("serve did not start: %s", errb.String())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			d.t.Errorf("serve: %v\n%s", err, errb.String())
		}
		if _, err := os.Lstat(s.socket); !errors.Is(err, os.ErrNotExist) {
			d.t.Errorf("serve left its socket behind: %v", err)
		}
	}
	s.stop = stop
	d.t.Cleanup(stop)
	return s
}

// While serve holds the database every CLI command still works, with the
// same output and exit code as when it runs on its own.
func TestCommandsRunThroughServe(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	client := d.ok("client", "add", "--name", "Oksana Koval", "--phone", "0671234567")
	d.ok("deposit", "--client", client, "--amount", "80", "--register", "cash")

	commands := [][]string{
		{"ops"},
		{"ops", "--json"},
		{"totals"},
		{"client", "show", client},
		{"staff", "list"},
		{"check"},
		{"reverse", "99", "--reason", "no such operation"},
		{"client", "show", "77"},
		{"deposit", "--client", client},
		{"nosuch"},
	}
	srv := d.serve()
	var through []result
	for _, c := range commands {
		through = append(through, d.run(c...))
	}
	// --as asks the PIN through the server; rights apply there too.
	if r := d.runIn("4821\n", "--as", "Dasha", "reverse", "1", "--reason", "x"); r.code != exitRefused ||
		!strings.Contains(r.err, "Dasha (desk) may not reverse operations") {
		t.Fatalf("--as through serve: %d %q", r.code, r.err)
	}
	op := d.okIn("4821\n", "--as", "Dasha", "deposit", "--client", client, "--amount", "5", "--register", "cash")
	// The front desk is not opened on this terminal: serve says how to reach it.
	if r := d.run(); r.code != exitRefused || !strings.Contains(r.err, "ssh -p ") || !strings.Contains(r.err, "@127.0.0.1") {
		t.Fatalf("local TUI while serving: %d %q", r.code, r.err)
	}
	srv.stop()

	d.ok("reverse", op, "--reason", "undo the test deposit") // the books as they were, for the comparison
	for i, c := range commands {
		alone := d.run(c...)
		got := through[i]
		if c[0] == "ops" || c[0] == "totals" || c[0] == "check" || c[0] == "client" && alone.code == 0 {
			continue // the deposit and its reversal changed these; compared below
		}
		if got != alone {
			t.Errorf("paydesk %s through serve: %+v\nalone: %+v", strings.Join(c, " "), got, alone)
		}
	}
	for i, c := range commands {
		if through[i].code != 0 && c[0] != "reverse" && c[0] != "client" && c[0] != "deposit" && c[0] != "nosuch" {
			t.Errorf("paydesk %s through serve failed: %+v", strings.Join(c, " "), through[i])
		}
	}
	if !strings.Contains(through[5].out, "every invariant holds") {
		t.Errorf("check through serve: %+v", through[5])
	}
	var ops []opOut
	if err := json.Unmarshal([]byte(through[1].out), &ops); err != nil || len(ops) != 1 || ops[0].Amount != 8000 {
		t.Errorf("ops --json through serve: %v %+v", err, ops)
	}
}

// ---- desks over SSH, on the real front desk screens (read through internal/vterm)

type sshDesk struct {
	t     *testing.T
	name  string
	sess  *gossh.Session
	in    io.Writer
	term  *vterm.Screen
	ended <-chan struct{}
}

const deskW, deskH = 100, 30

func openSSHDesk(t *testing.T, addr, user string, key gossh.Signer) *sshDesk {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("%s: dial: %v", user, err)
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm-256color", deskH, deskW, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	term := vterm.Attach(out, in, deskW, deskH) // answers the renderer's terminal queries too
	d := &sshDesk{t: t, name: user, sess: s, in: in, term: term, ended: term.Done()}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); c.Close() })
	return d
}

func (d *sshDesk) screen() string { return d.term.String() }

// await waits until the screen shows every want; the limit only stops a
// hung test. It returns an error rather than failing, so goroutines may use it.
func (d *sshDesk) await(want ...string) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := d.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s's screen never showed %q; it shows:\n%s", d.name, missing, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *sshDesk) waitFor(want ...string) {
	d.t.Helper()
	if err := d.await(want...); err != nil {
		d.t.Fatal(err)
	}
}

func (d *sshDesk) keys(s string) error {
	_, err := io.WriteString(d.in, s)
	return err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The "done when" over SSH: a desk person and an admin, each on
// their own SSH session to one serve, log in with their PINs and top up at
// the same moment; each screen shows the other's operation too; the desk
// person is refused a reversal; the books check out.
func TestTwoDesksOverSSH(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	d.okIn("9753\n", "staff", "add", "--name", "Mila", "--role", "admin")
	d.ok("client", "add", "--name", "Oksana Koval", "--phone", "0671234567")
	dashaKey, dasha := writePublicKey(t, d.home, "dasha")
	milaKey, mila := writePublicKey(t, d.home, "mila")
	d.ok("ssh-key", "add", "--staff", "Dasha", dashaKey)
	d.ok("ssh-key", "add", "--staff", "Mila", milaKey)
	_, stranger := writePublicKey(t, d.home, "stranger")

	srv := d.serve()
	if _, err := gossh.Dial("tcp", srv.sshAddr, &gossh.ClientConfig{User: "desk",
		Auth: []gossh.AuthMethod{gossh.PublicKeys(stranger)}, HostKeyCallback: gossh.InsecureIgnoreHostKey()}); err == nil {
		t.Fatal("an unknown key got in")
	}

	a := openSSHDesk(t, srv.sshAddr, "Dasha", dasha)
	b := openSSHDesk(t, srv.sshAddr, "Mila", mila)
	// Each key is bound to its person: each desk offers only them.
	a.waitFor("Who are you?", "Dasha")
	b.waitFor("Who are you?", "Mila")
	if strings.Contains(a.screen(), "admin") || strings.Contains(b.screen(), "Dasha") {
		t.Fatalf("a bound key offers another person:\n%s\n%s", a.screen(), b.screen())
	}
	must(t, a.keys("4821\r"))
	must(t, b.keys("9753\r"))
	a.waitFor("Dasha (desk)", "Oksana Koval")
	b.waitFor("Mila (admin)", "Oksana Koval")

	// Both open the client and top up at the same moment.
	errs := make(chan error, 2)
	for _, x := range []struct {
		d      *sshDesk
		amount string
	}{{a, "50"}, {b, "30"}} {
		go func() {
			steps := []struct{ keys, want string }{
				{"\r", "t top up"},
				{"t", "Top up"},
				{x.amount + "\r\rfrom " + x.d.name + "\r", "?"},
				{"y", "posted as operation #"},
			}
			for _, st := range steps {
				if err := x.d.keys(st.keys); err != nil {
					errs <- err
					return
				}
				if err := x.d.await(st.want); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Each screen catches up with the other desk's top-up.
	a.waitFor("Balance €80.00", "from Dasha", "from Mila")
	b.waitFor("Balance €80.00", "from Dasha", "from Mila")

	// The desk person is refused a reversal on the screen, the right named.
	must(t, a.keys("r"))
	a.waitFor("may not reverse operations")

	var ops []opOut
	d.json(&ops, "ops") // through serve's socket
	if len(ops) != 2 || ops[0].Kind != "top_up" || ops[1].Kind != "top_up" {
		t.Fatalf("ops %+v", ops)
	}
	if r := d.runIn("4821\n", "--as", "Dasha", "reverse", "1", "--reason", "x"); r.code != exitRefused ||
		!strings.Contains(r.err, "may not reverse operations") {
		t.Fatalf("desk reversal: %d %q", r.code, r.err)
	}
	if out := d.ok("check"); !strings.Contains(out, "every invariant holds") {
		t.Fatalf("check: %s", out)
	}
	srv.stop()
	for _, x := range []*sshDesk{a, b} {
		select {
		case <-x.ended:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s's session outlived serve", x.name)
		}
	}
	if _, err := net.DialTimeout("tcp", srv.sshAddr, time.Second); err == nil {
		t.Fatal("serve still accepts SSH after stopping")
	}
}
