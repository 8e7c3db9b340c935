package deskserver

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	gossh "golang.org/x/crypto/ssh"
)

// ledger is a stand-in for the one *finance.Service every session shares:
// posts from any desk fan out to every subscriber.
type ledger struct {
	mu   sync.Mutex
	ops  []string
	subs map[chan struct{}]bool
}

func newLedger() *ledger { return &ledger{subs: map[chan struct{}]bool{}} }

func (l *ledger) post(staff string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, staff)
	for c := range l.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func (l *ledger) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.ops)
	slices.Sort(out)
	return out
}

func (l *ledger) subscribe() (chan struct{}, func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := make(chan struct{}, 1)
	l.subs[c] = true
	return c, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.subs, c)
	}
}

type changedMsg struct{}

// deskModel is a tiny desk screen: a PIN prompt, then "p" posts and the
// screen lists every desk's operations.
type deskModel struct {
	l        *ledger
	sess     Session
	changes  chan struct{}
	pin      string
	loggedIn bool
	msg      string
	ops      []string
	w, h     int
}

func (m *deskModel) wait() tea.Cmd {
	return func() tea.Msg {
		select {
		case <-m.changes:
			return changedMsg{}
		case <-m.sess.Context.Done():
			return nil
		}
	}
}

func (m *deskModel) Init() tea.Cmd { return m.wait() }

func (m *deskModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case changedMsg:
		m.ops = m.l.snapshot()
		return m, m.wait()
	case tea.KeyMsg:
		if !m.loggedIn {
			switch msg.Type {
			case tea.KeyEnter:
				if m.pin == "1234" {
					m.loggedIn, m.msg = true, ""
					m.ops = m.l.snapshot()
				} else {
					m.msg = "wrong PIN"
				}
				m.pin = ""
			case tea.KeyRunes:
				m.pin += string(msg.Runes)
			}
			return m, nil
		}
		switch msg.String() {
		case "p":
			staff := m.sess.Staff
			return m, func() tea.Msg { m.l.post(staff); return nil }
		case "x":
			panic("a bug in one desk's screen")
		case "q":
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m *deskModel) View() string {
	if !m.loggedIn {
		return fmt.Sprintf("PIN for %s: %s\n%s", m.sess.Staff, strings.Repeat("*", len(m.pin)), m.msg)
	}
	return fmt.Sprintf("desk of %s size=%dx%d\nops=%d: %s", m.sess.Staff, m.w, m.h, len(m.ops), strings.Join(m.ops, ","))
}

type testServer struct {
	addr     string
	keysPath string
	ledger   *ledger
	stop     func()
	srv      *SSHServer
}

func startSSH(t *testing.T, staffKeys map[string]gossh.Signer, check func(context.Context, string) error) *testServer {
	t.Helper()
	return startSSHWith(t, staffKeys, check, nil)
}

// startSSHWith is startSSH with the config adjusted by tune (nil: as is).
func startSSHWith(t *testing.T, staffKeys map[string]gossh.Signer, check func(context.Context, string) error,
	tune func(*SSHConfig)) *testServer {
	t.Helper()
	dir := t.TempDir()
	keysPath := filepath.Join(dir, "authorized_keys")
	for staff, s := range staffKeys {
		if err := AddAuthorizedKey(keysPath, s.PublicKey(), staff); err != nil {
			t.Fatal(err)
		}
	}
	l := newLedger()
	cfg := SSHConfig{
		Addr:               "127.0.0.1:0",
		HostKeyPath:        filepath.Join(dir, "host_ed25519"),
		AuthorizedKeysPath: keysPath,
		CheckStaff:         check,
		NewModel: func(s Session) (tea.Model, error) {
			if s.Renderer == nil {
				return nil, errors.New("no renderer")
			}
			c, cancel := l.subscribe()
			context.AfterFunc(s.Context, cancel)
			return &deskModel{l: l, sess: s, changes: c, w: s.Width, h: s.Height}, nil
		},
	}
	if tune != nil {
		tune(&cfg)
	}
	srv, err := NewSSHServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &testServer{addr: ln.Addr().String(), keysPath: keysPath, ledger: l, stop: stop, srv: srv}
}

func newSigner(t *testing.T) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// desk is an SSH client with a terminal, as a front desk would connect.
type desk struct {
	t      *testing.T
	client *gossh.Client
	sess   *gossh.Session
	in     io.WriteCloser
	mu     sync.Mutex
	out    bytes.Buffer
	ended  chan error
}

func dialSSH(addr, user string, key gossh.Signer) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User:            user,
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

func openDesk(t *testing.T, addr, user string, key gossh.Signer, w, h int) *desk {
	t.Helper()
	c, err := dialSSH(addr, user, key)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &desk{t: t, client: c, sess: s, in: in, ended: make(chan error, 1)}
	go d.read(out)
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { d.ended <- s.Wait() }()
	t.Cleanup(func() { s.Close(); c.Close() })
	return d
}

// read collects the screen and answers the terminal queries a real
// terminal answers (device attributes), so the renderer need not time out.
func (d *desk) read(r io.Reader) {
	buf := make([]byte, 4096)
	answered := false
	for {
		n, err := r.Read(buf)
		if n > 0 {
			d.mu.Lock()
			d.out.Write(buf[:n])
			ask := !answered && bytes.Contains(d.out.Bytes(), []byte("\x1b[c"))
			d.mu.Unlock()
			if ask {
				answered = true
				_, _ = d.in.Write([]byte("\x1b]11;rgb:0000/0000/0000\x07\x1b[?62;c"))
			}
		}
		if err != nil {
			return
		}
	}
}

func (d *desk) screen() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

// waitFor waits until the screen has shown want; the generous limit only
// guards against a hung test, it does not measure speed.
func (d *desk) waitFor(want string) {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(d.screen(), want) {
		if time.Now().After(deadline) {
			d.t.Fatalf("screen never showed %q; it shows:\n%q", want, d.screen())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (d *desk) typeKeys(s string) {
	d.t.Helper()
	if _, err := d.in.Write([]byte(s)); err != nil {
		d.t.Fatal(err)
	}
}

func (d *desk) login() {
	d.t.Helper()
	d.waitFor("PIN for")
	d.typeKeys("1234\r")
	d.waitFor("desk of")
}

func TestTwoDesksSeeEachOthersPosts(t *testing.T) {
	anna, bob := newSigner(t), newSigner(t)
	srv := startSSH(t, map[string]gossh.Signer{"anna": anna, "bob": bob}, nil)

	desks := make([]*desk, 2)
	var wg sync.WaitGroup
	for i, k := range []gossh.Signer{anna, bob} {
		desks[i] = openDesk(t, srv.addr, "desk", k, 80+i, 24)
	}
	// Both log in and post at the same moment.
	for _, d := range desks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.waitFor("PIN for")
			d.typeKeys("1234\rp")
		}()
	}
	wg.Wait()
	for _, d := range desks {
		d.waitFor("ops=2: anna,bob")
	}
	if got := srv.ledger.snapshot(); !slices.Equal(got, []string{"anna", "bob"}) {
		t.Fatalf("ledger %v", got)
	}
	if !strings.Contains(desks[0].screen(), "desk of anna size=80x24") ||
		!strings.Contains(desks[1].screen(), "desk of bob size=81x24") {
		t.Fatalf("each session should have its own staff and size:\n%q\n%q", desks[0].screen(), desks[1].screen())
	}
	// A resize reaches that desk only.
	if err := desks[0].sess.WindowChange(40, 120); err != nil {
		t.Fatal(err)
	}
	desks[0].waitFor("size=120x40")
	if strings.Contains(desks[1].screen(), "size=120x40") {
		t.Fatal("a resize leaked into another session")
	}
}

func TestWrongPINIsRefusedByTheScreen(t *testing.T) {
	anna := newSigner(t)
	srv := startSSH(t, map[string]gossh.Signer{"anna": anna}, nil)
	d := openDesk(t, srv.addr, "desk", anna, 80, 24)
	d.waitFor("PIN for anna")
	d.typeKeys("9999\r")
	d.waitFor("wrong PIN")
	d.typeKeys("p") // not logged in: nothing posts
	d.typeKeys("\r1234\r")
	d.waitFor("desk of anna")
	if got := srv.ledger.snapshot(); len(got) != 0 {
		t.Fatalf("posted before login: %v", got)
	}
}

func TestPanicEndsOnlyThatSession(t *testing.T) {
	anna, bob := newSigner(t), newSigner(t)
	srv := startSSH(t, map[string]gossh.Signer{"anna": anna, "bob": bob}, nil)
	a := openDesk(t, srv.addr, "desk", anna, 80, 24)
	b := openDesk(t, srv.addr, "desk", bob, 80, 24)
	a.login()
	b.login()

	a.typeKeys("x") // the model panics
	select {
	case <-a.ended:
	case <-time.After(15 * time.Second):
		t.Fatal("the panicking session did not end")
	}

	b.typeKeys("p")
	b.waitFor("ops=1: bob")
	c := openDesk(t, srv.addr, "desk", anna, 80, 24)
	c.login()
	c.waitFor("ops=1: bob")
}

func TestUnknownKeyIsRefused(t *testing.T) {
	anna, stranger, dora := newSigner(t), newSigner(t), newSigner(t)
	srv := startSSH(t, map[string]gossh.Signer{"anna": anna, "dora": dora}, func(_ context.Context, staff string) error {
		if staff == "dora" {
			return errors.New("disabled")
		}
		return nil
	})
	for name, k := range map[string]gossh.Signer{"unknown key": stranger, "disabled staff": dora} {
		t.Run(name, func(t *testing.T) {
			c, err := dialSSH(srv.addr, "desk", k)
			if err == nil {
				c.Close()
				t.Fatal("logged in")
			}
			if !strings.Contains(err.Error(), "unable to authenticate") {
				t.Fatalf("unexpected error: %v", err)
			}
		})
	}
}

func TestKeyAddedWhileRunningIsAccepted(t *testing.T) {
	anna, bob := newSigner(t), newSigner(t)
	srv := startSSH(t, map[string]gossh.Signer{"anna": anna}, nil)
	if _, err := dialSSH(srv.addr, "desk", bob); err == nil {
		t.Fatal("bob logged in before his key was added")
	}
	if err := AddAuthorizedKey(srv.keysPath, bob.PublicKey(), "bob"); err != nil {
		t.Fatal(err)
	}
	d := openDesk(t, srv.addr, "desk", bob, 80, 24)
	d.waitFor("PIN for bob")
}

func TestSessionWithoutTerminalIsRefused(t *testing.T) {
	anna := newSigner(t)
	srv := startSSH(t, map[string]gossh.Signer{"anna": anna}, nil)
	c, err := dialSSH(srv.addr, "desk", anna)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.CombinedOutput("")
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() == 0 {
		t.Fatalf("want a non-zero exit, got %v", err)
	}
	if !strings.Contains(strings.ToLower(string(out)), "pty") {
		t.Fatalf("no explanation: %q", out)
	}
}

func TestShutdownEndsSessions(t *testing.T) {
	anna := newSigner(t)
	srv := startSSH(t, map[string]gossh.Signer{"anna": anna}, nil)
	d := openDesk(t, srv.addr, "desk", anna, 80, 24)
	d.login()
	srv.stop()
	select {
	case <-d.ended:
	case <-time.After(15 * time.Second):
		t.Fatal("session outlived the server")
	}
	if c, err := net.DialTimeout("tcp", srv.addr, time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting after shutdown")
	}
}

func TestHostKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "host_ed25519")
	k1, err := LoadOrCreateHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("host key mode %v, err %v", st.Mode().Perm(), err)
	}
	k2, err := LoadOrCreateHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1.PublicKey().Marshal(), k2.PublicKey().Marshal()) {
		t.Fatal("host key changed between starts")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateHostKey(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a world-readable host key was used: %v", err)
	}
}
