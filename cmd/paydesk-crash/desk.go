package main

// The SSH desk of the load: a cashier at serve's SSH server, on the real
// front desk screen, typing the keys of a top-up and confirming it. A posting
// counts as acknowledged only once the screen says "posted as operation #N",
// since that is all a cashier has to go on; after each restart the books
// must hold operation N, with the note typed, exactly once.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/paydesk/paydesk/internal/vterm"
)

const (
	deskStaff = "Crash Desk"
	deskPIN   = "4826"
	// Wide enough that the status line is never cut before the operation id.
	deskW, deskH = 120, 40
	// awaitLimit only stops a desk whose screen hangs while serve is up;
	// a killed serve ends the session, which ends every wait at once.
	awaitLimit = 20 * time.Second
)

// setupDesk adds the desk person (role desk, with a PIN) and registers an
// SSH key for them, made from the seed so that a run is the same each time.
func (r *rig) setupDesk(ctx context.Context) error {
	if out, code, err := r.paydeskIn(ctx, deskPIN+"\n", "staff", "add", "--name", deskStaff, "--role", "desk"); err != nil || code != 0 {
		return fmt.Errorf("paydesk staff add: exit %d %v %s", code, err, out)
	}
	seed := make([]byte, ed25519.SeedSize)
	kr := rand.New(rand.NewPCG(r.o.Seed, 0x55a))
	for i := range seed {
		seed[i] = byte(kr.Uint32())
	}
	signer, err := gossh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		return err
	}
	pub := filepath.Join(r.dir, "desk_ed25519.pub")
	if err := os.WriteFile(pub, gossh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		return err
	}
	if out, code, err := r.paydesk(ctx, "ssh-key", "add", "--staff", deskStaff, pub); err != nil || code != 0 {
		return fmt.Errorf("paydesk ssh-key add: exit %d %v %s", code, err, out)
	}
	r.deskKey = signer
	return nil
}

// desk is one SSH session on the front desk screen.
type desk struct {
	client *gossh.Client
	sess   *gossh.Session
	in     io.Writer
	term   *vterm.Screen
	ended  <-chan struct{} // closed when the session's output ends (serve killed)
	rng    *rand.Rand      // what this desk types
}

var errEnded = errors.New("the SSH session ended")

// dialDesk connects with the desk person's key, asks for a terminal and
// starts the desk. The host key must be the same after every restart: serve
// keeps it beside the database, and a new one after a crash would have every
// desk refuse to connect.
func (r *rig) dialDesk(ctx context.Context) (*desk, error) {
	cfg := &gossh.ClientConfig{
		User: "desk", Auth: []gossh.AuthMethod{gossh.PublicKeys(r.deskKey)}, Timeout: 10 * time.Second,
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.hostKey == nil {
				r.hostKey = key.Marshal()
				return nil
			}
			if !bytes.Equal(r.hostKey, key.Marshal()) {
				return fmt.Errorf("serve's SSH host key changed to %s", gossh.FingerprintSHA256(key))
			}
			return nil
		},
	}
	c, err := gossh.Dial("tcp", r.sshAddr, cfg)
	if err != nil {
		return nil, fmt.Errorf("ssh dial: %w", err)
	}
	s, err := c.NewSession()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("ssh session: %w", err)
	}
	d := &desk{client: c, sess: s}
	fail := func(err error) (*desk, error) { d.close(); return nil, err }
	if err := s.RequestPty("xterm-256color", deskH, deskW, gossh.TerminalModes{}); err != nil {
		return fail(fmt.Errorf("ssh pty: %w", err))
	}
	in, err := s.StdinPipe()
	if err != nil {
		return fail(err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	d.in = in
	d.term = vterm.Attach(out, in, deskW, deskH)
	d.ended = d.term.Done()
	if err := s.Shell(); err != nil {
		return fail(fmt.Errorf("ssh shell: %w", err))
	}
	return d, nil
}

func (d *desk) close() {
	if d.sess != nil {
		d.sess.Close()
	}
	d.client.Close()
}

func (d *desk) screen() string { return d.term.String() }

func (d *desk) keys(s string) error {
	if _, err := io.WriteString(d.in, s); err != nil {
		return fmt.Errorf("%w: %v", errEnded, err)
	}
	return nil
}

// await polls the screen until ok says it shows what is wanted.
func (d *desk) await(ctx context.Context, what string, ok func(screen string) bool) (string, error) {
	deadline := time.Now().Add(awaitLimit)
	for {
		s := d.screen()
		if ok(s) {
			return s, nil
		}
		select {
		case <-d.ended:
			if s := d.screen(); ok(s) {
				return s, nil
			}
			return "", errEnded
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the desk's screen never showed %s within %v; it shows:\n%s", what, awaitLimit, s)
		}
	}
}

func (d *desk) awaitText(ctx context.Context, want ...string) (string, error) {
	return d.await(ctx, fmt.Sprintf("%q", want), func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

// openDesks opens the run's SSH desks at once, each logged in on a client
// of the seed's choice. A desk that cannot log in while serve is up is a
// stall: the cycle goes on without it.
func (r *rig) openDesks(ctx context.Context, rng *rand.Rand) []*desk {
	type pick struct {
		client int
		seed   uint64
	}
	picks := make([]pick, r.o.Desks)
	for i := range picks { // drawn before any network wait, so the seed decides the same
		picks[i] = pick{rng.IntN(len(r.clients)), rng.Uint64()}
	}
	desks := make([]*desk, len(picks))
	var wg sync.WaitGroup
	for i, p := range picks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			d, err := r.openDesk(ctx, p.client)
			fmt.Fprintf(r.log, "ssh desk %d: logged in on client %d in %v (%v)\n", i+1, p.client+1, time.Since(start).Round(time.Millisecond), err)
			if err != nil {
				r.mu.Lock()
				r.fig.DeskStalls++
				r.fig.problem("ssh desk %d: %v", i+1, err)
				r.mu.Unlock()
				return
			}
			d.rng = rand.New(rand.NewPCG(p.seed, uint64(i)))
			desks[i] = d
		}()
	}
	wg.Wait()
	return slices.DeleteFunc(desks, func(d *desk) bool { return d == nil })
}

// openDesk connects, logs in with the PIN and opens the client, so that
// the load's kill timer covers postings, not the login.
func (r *rig) openDesk(ctx context.Context, client int) (*desk, error) {
	name := fmt.Sprintf("Crash Client %d", client+1)
	d, err := r.dialDesk(ctx)
	if err != nil {
		return nil, err
	}
	steps := []struct {
		keys string
		want []string
	}{
		{"", []string{"Who are you?", deskStaff}},
		{deskPIN + "\r", []string{deskStaff + " (desk)", "Crash Client 1"}},
		{"/", []string{"esc clear"}},
		{name, []string{"Search " + name}},
	}
	for _, st := range steps {
		if err := d.keys(st.keys); err != nil {
			d.close()
			return nil, err
		}
		if len(st.want) > 0 {
			if _, err := d.awaitText(ctx, st.want...); err != nil {
				d.close()
				return nil, fmt.Errorf("logging in: %w", err)
			}
		}
	}
	// The search answers a moment after the typing: open the client only
	// once the list under the search line holds just them.
	if _, err := d.await(ctx, "only "+name+" in the list", func(s string) bool {
		_, list, ok := strings.Cut(s, "Search "+name)
		return ok && strings.Contains(list, name) && strings.Count(list, "Crash Client ") == 1
	}); err != nil {
		d.close()
		return nil, err
	}
	if err := d.keys("\r\r"); err != nil {
		d.close()
		return nil, err
	}
	if _, err := d.awaitText(ctx, name, "client #", "t top up"); err != nil {
		d.close()
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	return d, nil
}

var postedRE = regexp.MustCompile(`Top-up of (€[0-9,.]+) posted as operation #([0-9]+)`)

// deskLoad tops up the open client's deposit until stop, or until the
// session ends with serve. Each top-up carries a note of its own, which is
// how the books are searched for it.
func (r *rig) deskLoad(ctx context.Context, d *desk, stop <-chan struct{}) {
	rng := d.rng
	var last uint64 // the screen's newest operation: a stale status line is no acknowledgement
	for {
		select {
		case <-stop:
			return
		case <-d.ended:
			return
		default:
		}
		n := r.next()
		minor := 100 + rng.IntN(20000) // the CLI deposits' range: a usual amount, asked once
		card := rng.IntN(2) == 1
		note := fmt.Sprintf("ssh-crash-%d-%d", r.o.Seed, n)
		id, err := r.deskTopUp(ctx, d, minor, card, note, last)
		if err != nil {
			r.unacknowledged()
			if !errors.Is(err, errEnded) && ctx.Err() == nil {
				select {
				case <-stop: // killed during the wait
				default:
					r.mu.Lock()
					r.fig.DeskStalls++
					r.fig.problem("ssh desk: %v", err)
					r.mu.Unlock()
				}
			}
			return
		}
		last = id
		r.record(&ack{kind: "ssh", key: note, opID: id})
		fmt.Fprintf(r.log, "ssh desk: %s posted as operation %d\n", note, id)
	}
}

// deskTopUp types one top-up and its confirmation and returns the
// operation the screen says was posted.
func (r *rig) deskTopUp(ctx context.Context, d *desk, minor int, card bool, note string, last uint64) (uint64, error) {
	amount := amountText(minor)
	shown := "€" + amount
	if err := d.keys("t"); err != nil {
		return 0, err
	}
	if _, err := d.awaitText(ctx, "'s deposit", "Amount", "Note"); err != nil {
		return 0, err
	}
	reg := ""
	if card {
		reg = "\x1b[C" // → picks the next register: card
	}
	if err := d.keys(amount + "\r" + reg + "\r" + note + "\r"); err != nil {
		return 0, err
	}
	if _, err := d.awaitText(ctx, "deposit by "+shown+" into", "y post the top-up"); err != nil {
		return 0, err
	}
	// An amount far above the usual may be asked twice: the second y is
	// what a cashier who means it types.
	var id uint64
	var refused string
	for asked := false; ; asked = true {
		if err := d.keys("y"); err != nil {
			return 0, err
		}
		again := false
		_, err := d.await(ctx, "the top-up posted", func(s string) bool {
			id, refused = postedOp(s, shown, last)
			again = !asked && id == 0 && refused == "" && strings.Contains(s, "yes, post the top-up")
			return id != 0 || refused != "" || again
		})
		if err != nil {
			return 0, err
		}
		if !again {
			break
		}
	}
	if refused != "" {
		return 0, errors.New(refused)
	}
	return id, nil
}

// postedOp reads the status line of a top-up of shown: the operation it
// posted as, when newer than last (the line of the one before may still be
// on the screen), or the desk's words when it was refused.
func postedOp(screen, shown string, last uint64) (id uint64, refused string) {
	for _, m := range postedRE.FindAllStringSubmatch(screen, -1) {
		n, err := strconv.ParseUint(m[2], 10, 64)
		if err == nil && m[1] == shown && n > last {
			return n, ""
		}
	}
	if i := strings.Index(screen, "Top-up refused"); i >= 0 {
		line, _, _ := strings.Cut(screen[i:], "\n")
		return 0, strings.TrimSpace(line)
	}
	return 0, ""
}
