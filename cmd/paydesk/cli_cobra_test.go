package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/paydesk/paydesk/config"
)

func testLine(args ...string) *cmdline {
	l := &cmdline{ctx: context.Background(), args: args, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	l.root = l.tree(commands())
	return l
}

// TestEveryRowInTheTree: every row of the command table is a cobra command
// at its name, with the flags its own --help reports, and asking a row for
// its --help opens nothing (the tree is built that way on every run).
func TestEveryRowInTheTree(t *testing.T) {
	l := testLine()
	for _, row := range commands() {
		t.Run(row.name, func(t *testing.T) {
			a := &app{cfg: &config.Config{}, stdout: io.Discard, stderr: io.Discard}
			err := row.run(context.Background(), a, []string{"--help"})
			var ue *usageError
			if !errors.As(err, &ue) || !ue.help || ue.flags == nil {
				t.Fatalf("--help must return its flags before doing anything, got %v", err)
			}
			if a.db != nil || a.svc != nil {
				t.Fatal("--help opened the database")
			}
			c, rest, err := l.root.Find(strings.Fields(row.name))
			if err != nil || len(rest) != 0 || l.rows[c].name != row.name {
				t.Fatalf("cobra finds %q for %q (rest %q, err %v)", c.CommandPath(), row.name, rest, err)
			}
			ue.flags.VisitAll(func(f *pflag.Flag) {
				if c.Flags().Lookup(f.Name) == nil {
					t.Errorf("--%s is not a flag of the cobra command", f.Name)
				}
			})
		})
	}
}

// TestLocalArgs: global flags are taken out wherever they are, and a
// command's own flags and values pass on as typed, even a value that looks
// like a global flag.
func TestLocalArgs(t *testing.T) {
	tests := []struct {
		args  []string
		local []string
		o     config.Overrides
	}{
		{[]string{"serve", "--webhook-addr", "127.0.0.1:1", "--ssh-addr=127.0.0.1:2"}, nil,
			config.Overrides{WebhookAddr: "127.0.0.1:1", SSHAddr: "127.0.0.1:2"}},
		{[]string{"--db", "a.db", "deposit", "--client", "1", "--config", "c.toml", "--note", "--db", "--json"},
			[]string{"--client", "1", "--note", "--db", "--json"}, config.Overrides{DB: "a.db", Config: "c.toml"}},
		{[]string{"checkout", "--pay", "cash=1", "--log-level=debug", "--pay=card=2", "--", "--db"},
			[]string{"--pay", "cash=1", "--pay=card=2", "--", "--db"}, config.Overrides{LogLevel: "debug"}},
		{[]string{"client", "show", "7", "--db", "x.db", "--limit", "3"}, []string{"7", "--limit", "3"},
			config.Overrides{DB: "x.db"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			l := testLine(tt.args...)
			c, rest, err := l.root.Find(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.ParseFlags(rest); err != nil {
				t.Fatal(err)
			}
			if got := l.localArgs(c); !reflect.DeepEqual(got, tt.local) {
				t.Errorf("local args %q, want %q", got, tt.local)
			}
			if l.o != tt.o {
				t.Errorf("globals %+v, want %+v", l.o, tt.o)
			}
			// The line forwarded to `paydesk serve` has the globals first.
			row := l.rows[c]
			fwd := l.forwardArgs(&row, l.localArgs(c))
			if n := len(fwd) - len(strings.Fields(row.name)) - len(tt.local); n < 0 || strings.Join(fwd[n:], " ") != strings.TrimSpace(row.name+" "+strings.Join(tt.local, " ")) {
				t.Errorf("forwarded %q", fwd)
			}
		})
	}
}

// TestFlagsAfterTheCommand: the global flags work after the command, through
// the real binary.
func TestFlagsAfterTheCommand(t *testing.T) {
	d := newDesk(t)
	d.runRaw("init", "--db", d.db, "--config", d.config)
	if _, err := os.Stat(d.db); err != nil {
		t.Fatalf("init --db after the command did not make the database: %v", err)
	}
	id := strings.TrimSpace(d.runRaw("client", "add", "--name", "Iryna", "--db", d.db, "--phone", "0501112233", "--config", d.config).out)
	if r := d.runRaw("deposit", "--client", id, "--amount", "5", "--register", "cash", "--db="+d.db, "--config="+d.config); r.code != 0 {
		t.Fatalf("deposit with globals after: %d %s", r.code, r.err)
	}
	if r := d.runRaw("totals", "--db", d.db, "--nope", "--config", d.config); r.code != 2 || !strings.Contains(r.err, "nope") || !strings.Contains(r.err, "usage: paydesk totals") {
		t.Errorf("unknown flag after the command: %d %q", r.code, r.err)
	}
	if r := d.runRaw("check", "--version"); r.code != 0 || !strings.HasPrefix(r.out, "paydesk ") {
		t.Errorf("--version after a command: %d %q", r.code, r.out)
	}
}

// TestServeFlagsAfter: `paydesk serve --ssh-addr A --webhook-addr B` serves
// on A, the issue's own example.
func TestServeFlagsAfter(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts paydesk serve")
	}
	d := newDesk(t)
	d.init()
	addr := freePort(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(binary, "serve", "--db", d.db, "--config", d.config,
		"--ssh-addr", addr, "--webhook-addr", freePort(t))
	cmd.Env = d.env // PAYDESK_SSH_ADDR=127.0.0.1:0 there: the flag must win
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	re := regexp.MustCompile("ssh -p ([0-9]+) ")
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			if m[1] != port {
				t.Fatalf("serve listens on %s, want the --ssh-addr port %s", m[1], port)
			}
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return
		}
	}
	t.Fatalf("serve did not start: %s", errb.String())
}

// TestCompletionAndMan: the shells' completion scripts and the man page come
// out of the same tree, without a database.
func TestCompletionAndMan(t *testing.T) {
	d := newDesk(t)
	for shell, want := range map[string]string{"bash": "__start_paydesk", "zsh": "#compdef paydesk", "fish": "complete -c paydesk"} {
		r := d.runRaw("completion", shell)
		if r.code != 0 || !strings.Contains(r.out, want) {
			t.Errorf("completion %s: exit %d, no %q in %.200q (stderr %q)", shell, r.code, want, r.out, r.err)
		}
	}
	// What the scripts ask the binary: the flags of a command.
	r := d.runRaw("__complete", "deposit", "--")
	for _, want := range []string{"--amount", "--register", "--client", "--db"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("completing deposit flags: no %s in %q", want, r.out)
		}
	}
	r = d.runRaw("__complete", "client", "")
	if !strings.Contains(r.out, "add") || !strings.Contains(r.out, "edit") {
		t.Errorf("completing client subcommands: %q", r.out)
	}
	r = d.runRaw("man")
	if r.code != 0 || !strings.Contains(r.out, `.TH "PAYDESK" "1"`) || !strings.Contains(r.out, "paydesk-deposit(1)") {
		t.Errorf("man: exit %d %.300q", r.code, r.out)
	}
	dir := filepath.Join(d.home, "man")
	if r := d.runRaw("man", "--dir", dir); r.code != 0 {
		t.Fatalf("man --dir: %d %s", r.code, r.err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "paydesk-deposit.1"))
	if err != nil || !bytes.Contains(page, []byte("--register")) {
		t.Errorf("man --dir: deposit page %v %.200q", err, page)
	}
	if _, err := os.Stat(filepath.Join(d.home, "data")); !os.IsNotExist(err) {
		t.Errorf("completion/man touched the data dir: %v", err)
	}
}
