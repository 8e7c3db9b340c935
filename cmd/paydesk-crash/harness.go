package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// figures are what a run proves. Lost and doubled count acknowledged
// requests, each once however many cycles saw it.
type figures struct {
	Command         string         `json:"command"`
	Kills           int            `json:"kills"`
	Seed            uint64         `json:"seed"`
	Acknowledged    int            `json:"acknowledged"`
	ByKind          map[string]int `json:"acknowledged_by_kind"`
	Unacknowledged  int            `json:"unacknowledged"` // cut off by a kill or refused: may or may not be in the books
	Lost            int            `json:"lost"`
	Doubled         int            `json:"doubled"`
	Replayed        int            `json:"replayed"`
	ReplayPosted    int            `json:"replay_posted"`   // operations that appeared after replays
	ReplayMismatch  int            `json:"replay_mismatch"` // a replay answered with another operation, or refused
	CheckFailures   int            `json:"check_failures"`
	Checks          int            `json:"checks"`
	RestartFailures int            `json:"restart_failures"`
	DeskStalls      int            `json:"desk_stalls"` // an SSH desk's screen that stopped answering while serve was up
	Operations      int            `json:"operations"`  // in the books at the end
	Seconds         float64        `json:"seconds"`
	Problems        []string       `json:"problems,omitempty"`
}

// Clean says the run proved what it should.
func (f *figures) Clean() bool {
	return f.Lost == 0 && f.Doubled == 0 && f.ReplayPosted == 0 && f.ReplayMismatch == 0 &&
		f.CheckFailures == 0 && f.RestartFailures == 0 && f.Acknowledged > 0
}

func (f *figures) problem(format string, args ...any) {
	if len(f.Problems) < 20 {
		f.Problems = append(f.Problems, fmt.Sprintf(format, args...))
	}
}

func (f *figures) print(w io.Writer) {
	kinds := make([]string, 0, len(f.ByKind))
	for k := range f.ByKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var by []string
	for _, k := range kinds {
		by = append(by, fmt.Sprintf("%s %d", k, f.ByKind[k]))
	}
	fmt.Fprintf(w, "%s\n", f.Command)
	fmt.Fprintf(w, "kills              %d (seed %d, %.0f s)\n", f.Kills, f.Seed, f.Seconds)
	fmt.Fprintf(w, "acknowledged       %d (%s)\n", f.Acknowledged, strings.Join(by, ", "))
	fmt.Fprintf(w, "unacknowledged     %d (cut off by a kill)\n", f.Unacknowledged)
	fmt.Fprintf(w, "lost               %d\n", f.Lost)
	fmt.Fprintf(w, "doubled            %d\n", f.Doubled)
	fmt.Fprintf(w, "replayed           %d (new operations %d, other answers %d)\n", f.Replayed, f.ReplayPosted, f.ReplayMismatch)
	fmt.Fprintf(w, "check failures     %d of %d\n", f.CheckFailures, f.Checks)
	fmt.Fprintf(w, "restart failures   %d\n", f.RestartFailures)
	fmt.Fprintf(w, "desk stalls        %d\n", f.DeskStalls)
	fmt.Fprintf(w, "operations at end  %d\n", f.Operations)
	for _, p := range f.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
}

// ack is one acknowledged request: what was sent and what came back.
type ack struct {
	kind    string // webhook, deposit, checkout, cancel, refund, ssh
	key     string // idempotency key (CLI), event id (webhook) or the note typed (ssh)
	args    []string
	opID    uint64
	booking string
	body    []byte
	bad     bool // already counted lost or doubled
}

const webhookSecret = "whsec_paydesk_crash"

type rig struct {
	o       options
	log     io.Writer
	bin     string
	dir     string
	db      string
	cfg     string
	env     []string
	addr    string // webhook receiver
	sshAddr string // serve's SSH desks
	deskKey gossh.Signer
	hostKey []byte // serve's SSH host key, as first seen
	serve   *exec.Cmd
	exited  chan error
	errOut  *bytes.Buffer

	mu       sync.Mutex
	fig      *figures
	acks     []*ack
	replayed int // acks[:replayed] were replayed
	clients  []string
	open     []string // bookings applied and not canceled
	canceled []string // canceled, maybe with money left to refund
	n        int      // request counter for ids and keys
}

func harness(ctx context.Context, o options, log io.Writer) (*figures, error) {
	start := time.Now()
	fig := &figures{Command: fmt.Sprintf("paydesk-crash --kills %d --seed %d", o.Kills, o.Seed),
		Kills: 0, Seed: o.Seed, ByKind: map[string]int{}}
	r := &rig{o: o, log: log, fig: fig}
	if !o.Verbose {
		r.log = io.Discard
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "paydesk-crash-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	r.dir = dir
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	var runErr error
	for cycle := 1; cycle <= o.Kills && ctx.Err() == nil; cycle++ {
		if err := r.cycle(ctx, cycle, rng); err != nil {
			runErr = err
			break
		}
	}
	if runErr == nil && ctx.Err() == nil {
		// Everything acknowledged, replayed once more at the end.
		r.replayed = 0
		runErr = r.verify(ctx, true)
	}
	if n, err := r.countOps(ctx); err == nil {
		fig.Operations = n
	}
	r.stop()
	fig.Seconds = time.Since(start).Seconds()
	if runErr == nil {
		runErr = ctx.Err()
	}
	return fig, runErr
}

// setup builds paydesk (unless given), writes the config and makes the
// books: a location in UTC and a few clients.
func (r *rig) setup(ctx context.Context) error {
	r.bin = r.o.Paydesk
	if r.bin == "" {
		r.bin = filepath.Join(r.dir, "paydesk")
		build := exec.CommandContext(ctx, "go", "build", "-o", r.bin, "github.com/paydesk/paydesk/cmd/paydesk")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building paydesk: %w", err)
		}
	} else if abs, err := filepath.Abs(r.bin); err == nil {
		r.bin = abs
	}
	r.db = filepath.Join(r.dir, "books", "paydesk.db")
	r.cfg = filepath.Join(r.dir, "paydesk.toml")
	cfg := "[setup]\nlocation = \"Crash Test\"\ncurrency = \"EUR\"\nlocale = \"en\"\ntime_zone = \"UTC\"\nphone_region = \"UA\"\n"
	if err := os.WriteFile(r.cfg, []byte(cfg), 0o600); err != nil {
		return err
	}
	var err error
	if r.addr, err = freePort(); err != nil {
		return err
	}
	if r.sshAddr, err = freePort(); err != nil {
		return err
	}
	r.env = []string{
		"HOME=" + r.dir, "PATH=" + os.Getenv("PATH"), "LANG=C", "TZ=UTC",
		"XDG_CONFIG_HOME=" + filepath.Join(r.dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(r.dir, "data"),
		"XDG_STATE_HOME=" + filepath.Join(r.dir, "state"),
		"PAYDESK_SSH_ADDR=" + r.sshAddr,
		"PAYDESK_WEBHOOK_ADDR=" + r.addr,
		"STRIPE_WEBHOOK_SECRET=" + webhookSecret,
	}
	if _, code, err := r.paydesk(ctx, "init"); err != nil || code != 0 {
		return fmt.Errorf("paydesk init: exit %d %v", code, err)
	}
	for i := range 6 {
		out, code, err := r.paydesk(ctx, "client", "add", "--name", fmt.Sprintf("Crash Client %d", i+1),
			"--phone", fmt.Sprintf("+38067100%04d", i+1))
		if err != nil || code != 0 {
			return fmt.Errorf("paydesk client add: exit %d %v %s", code, err, out)
		}
		r.clients = append(r.clients, strings.TrimSpace(out))
	}
	return r.setupDesk(ctx)
}

// freePort is a loopback address nothing listens on now; serve gets the
// same one after every restart.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// paydesk runs one command of the real binary; err is only for a binary
// that could not run at all.
func (r *rig) paydesk(ctx context.Context, args ...string) (string, int, error) {
	return r.paydeskIn(ctx, "", args...)
}

// paydeskIn is paydesk with stdin (a PIN).
func (r *rig) paydeskIn(ctx context.Context, stdin string, args ...string) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, append([]string{"--db", r.db, "--config", r.cfg}, args...)...)
	cmd.Env = r.env
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String() + errb.String(), ee.ExitCode(), nil
	}
	if err != nil {
		return "", -1, err
	}
	return out.String(), 0, nil
}

// start runs paydesk serve; ready waits until its socket and receiver answer.
func (r *rig) start(ctx context.Context) error {
	if err := r.spawn(); err != nil {
		return err
	}
	return r.ready(ctx)
}

func (r *rig) spawn() error {
	// Whatever answers on the socket now is not the serve about to start:
	// one left running would take the load and make the kills meaningless.
	if dialOK("unix", r.db+".sock") {
		return fmt.Errorf("another paydesk serve still answers on %s.sock", r.db)
	}
	cmd := exec.Command(r.bin, "--db", r.db, "--config", r.cfg, "serve")
	cmd.Env = r.env
	r.errOut = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, r.errOut
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting paydesk serve: %w", err)
	}
	r.serve = cmd
	r.exited = make(chan error, 1)
	go func() { r.exited <- cmd.Wait() }()
	return nil
}

func (r *rig) ready(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	sock := r.db + ".sock"
	for {
		if err := r.exitedEarly(); err != nil {
			return err
		}
		if dialOK("unix", sock) && dialOK("tcp", r.addr) && dialOK("tcp", r.sshAddr) {
			return r.exitedEarly() // it listens, and it is the one started
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("paydesk serve did not start within 30 s: %s", r.errOut.String())
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) exitedEarly() error {
	select {
	case err := <-r.exited:
		r.exited <- err
		return fmt.Errorf("paydesk serve exited while starting (%v): %s", err, r.errOut.String())
	default:
		return nil
	}
}

func dialOK(network, addr string) bool {
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (r *rig) kill() {
	_ = r.serve.Process.Signal(syscall.SIGKILL)
	err := <-r.exited
	r.exited <- err // kill and stop may both wait on it
}

func (r *rig) stop() {
	if r.serve == nil {
		return
	}
	_ = r.serve.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.exited:
		r.exited <- err
	case <-time.After(15 * time.Second):
		r.kill()
	}
}

// cycle is one kill: load, kill -9 at a random moment (now and then while
// serve is still starting), restart, verify.
func (r *rig) cycle(ctx context.Context, n int, rng *rand.Rand) error {
	if rng.IntN(10) == 0 {
		// Killed while opening the file and migrating, before it listens.
		r.kill()
		if err := r.spawn(); err != nil {
			return err
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		r.kill()
		fmt.Fprintf(r.log, "cycle %d: kill while starting\n", n)
	} else {
		stopLoad := make(chan struct{})
		var wg sync.WaitGroup
		// The desks log in first, so that the kill timer covers their postings.
		desks := r.openDesks(ctx, rng)
		for w := range r.o.Workers {
			wg.Add(1)
			seed := rng.Uint64()
			go func() {
				defer wg.Done()
				r.load(ctx, rand.New(rand.NewPCG(seed, uint64(w))), stopLoad)
			}()
		}
		for _, d := range desks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.deskLoad(ctx, d, stopLoad)
			}()
		}
		wait := time.Duration(30+rng.IntN(320)) * time.Millisecond
		time.Sleep(wait)
		fmt.Fprintf(r.log, "cycle %d: kill after %v of load\n", n, wait)
		r.kill()
		close(stopLoad)
		wg.Wait()
		for _, d := range desks {
			d.close()
		}
	}
	r.fig.Kills++
	if err := r.start(ctx); err != nil {
		r.fig.RestartFailures++
		r.fig.problem("cycle %d: %v", n, err)
		// One more try on the same file before giving up on the run.
		r.kill()
		if err := r.start(ctx); err != nil {
			return err
		}
	}
	return r.verify(ctx, false)
}

// ---- the load

func (r *rig) next() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	return r.n
}

func (r *rig) record(a *ack) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acks = append(r.acks, a)
	r.fig.Acknowledged++
	r.fig.ByKind[a.kind]++
}

func (r *rig) unacknowledged() {
	r.mu.Lock()
	r.fig.Unacknowledged++
	r.mu.Unlock()
}

// pick takes a random element out of list (nil when empty).
func (r *rig) pick(rng *rand.Rand, list *[]string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(*list) == 0 {
		return "", false
	}
	i := rng.IntN(len(*list))
	v := (*list)[i]
	*list = slices.Delete(*list, i, i+1)
	return v, true
}

func (r *rig) load(ctx context.Context, rng *rand.Rand, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		switch p := rng.IntN(100); {
		case p < 35:
			r.webhook(ctx, rng)
		case p < 65:
			n := r.next()
			r.cli(ctx, "deposit", n, "deposit", "--client", r.clients[rng.IntN(len(r.clients))],
				"--amount", amountText(100+rng.IntN(20000)), "--register", []string{"cash", "card"}[rng.IntN(2)])
		case p < 82:
			n := r.next()
			r.cli(ctx, "checkout", n, "checkout", "--client", r.clients[rng.IntN(len(r.clients))],
				"--total", amountText(100+rng.IntN(9000)), "--balance", "0", "--register", "card")
		case p < 91:
			b, ok := r.pick(rng, &r.open)
			if !ok {
				continue
			}
			out, code, err := r.paydesk(ctx, "booking", "cancel", b, "--reason", "crash test")
			if err != nil || code != 0 {
				r.unacknowledged()
				r.mu.Lock()
				r.open = append(r.open, b) // try again later
				r.mu.Unlock()
				continue
			}
			_ = out
			r.record(&ack{kind: "cancel", booking: b, args: []string{"booking", "cancel", b, "--reason", "crash test"}})
			r.mu.Lock()
			r.canceled = append(r.canceled, b)
			r.mu.Unlock()
		default:
			b, ok := r.pick(rng, &r.canceled)
			if !ok {
				continue
			}
			n := r.next()
			if !r.cli(ctx, "refund", n, "refund", b, "--to-deposit", "--reason", "crash test") {
				r.mu.Lock()
				r.canceled = append(r.canceled, b)
				r.mu.Unlock()
			}
		}
	}
}

func amountText(minor int) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// cli runs one keyed money command; exit 0 and an operation id is an
// acknowledgement.
func (r *rig) cli(ctx context.Context, kind string, n int, args ...string) bool {
	key := fmt.Sprintf("crash-%d-%d", r.o.Seed, n)
	args = append(args, "--key", key, "--json")
	out, code, err := r.paydesk(ctx, args...)
	if err != nil || code != 0 {
		r.unacknowledged()
		return false
	}
	id, ok := opIDOf(out)
	if !ok {
		r.unacknowledged()
		return false
	}
	r.record(&ack{kind: kind, key: key, args: args, opID: id})
	return true
}

// opIDOf reads the operation id from a money command's JSON: an operation's
// "id", or a refund's "operation_id".
func opIDOf(out string) (uint64, bool) {
	var v struct {
		ID          uint64 `json:"id"`
		OperationID uint64 `json:"operation_id"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return 0, false
	}
	if v.OperationID != 0 {
		return v.OperationID, true
	}
	return v.ID, v.ID != 0
}

var names = []string{"Oksana Koval", "Iryna Melnyk", "Taras Bondar", "Olha Shevchenko", "Marta Lysenko", "Daria Tkachenko"}

func (r *rig) webhook(ctx context.Context, rng *rand.Rand) {
	n := r.next()
	amount := 1000 + rng.IntN(8000)
	c := rng.IntN(len(names))
	bk := fmt.Sprintf("bk-crash-%d-%d", r.o.Seed, n)
	evt := fmt.Sprintf("evt_crash_%d_%d", r.o.Seed, n)
	pi := fmt.Sprintf(`{"id":"pi_crash_%d_%d","object":"payment_intent","amount":%d,"amount_received":%d,"currency":"eur","status":"succeeded",`+
		`"metadata":{"booking_id":%q,"client_name":%q,"client_phone":"+38050200%04d","service":"Haircut",`+
		`"starts_at":"2030-01-02T10:00:00Z","booking_total":"%d"}}`, r.o.Seed, n, amount, amount, bk, names[c], c+1, amount)
	body := []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"payment_intent.succeeded","created":%d,`+
		`"api_version":"2023-10-16","data":{"object":%s}}`, evt, time.Now().Unix(), pi))
	if code, err := r.post(ctx, body); err != nil || code != 200 {
		r.unacknowledged()
		return
	}
	r.record(&ack{kind: "webhook", key: evt, booking: bk, body: body})
}

var httpClient = newHTTPClient()

// ---- verification

type opRow struct {
	ID        uint64 `json:"id"`
	Key       string `json:"key"`
	Kind      string `json:"kind"`
	BookingID string `json:"booking_id"`
	Comment   string `json:"comment"`
}

type snapshot struct {
	count    int
	byKey    map[string]int // by the key's last ":" part, so a namespaced key still matches
	byID     map[uint64]opRow
	byNote   map[string]int // the SSH desk's top-ups, by the note typed
	prepay   map[string]int // booking -> online prepayments
	bookings map[string]string
}

func keyTail(k string) string {
	if i := strings.LastIndexByte(k, ':'); i >= 0 {
		return k[i+1:]
	}
	return k
}

// snap reads the whole books through the CLI: every day's operations from
// the first day of the run to today, and the bookings.
func (r *rig) snap(ctx context.Context) (*snapshot, error) {
	s := &snapshot{byKey: map[string]int{}, byID: map[uint64]opRow{}, byNote: map[string]int{}, prepay: map[string]int{}, bookings: map[string]string{}}
	for _, day := range r.days() {
		out, code, err := r.paydesk(ctx, "ops", "--date", day, "--json")
		if err != nil || code != 0 {
			return nil, fmt.Errorf("paydesk ops --date %s: exit %d %v %s", day, code, err, out)
		}
		var ops []opRow
		if err := json.Unmarshal([]byte(out), &ops); err != nil {
			return nil, fmt.Errorf("paydesk ops --json: %w", err)
		}
		for _, op := range ops {
			s.count++
			s.byKey[keyTail(op.Key)]++
			s.byID[op.ID] = op
			if strings.HasPrefix(op.Comment, "ssh-crash-") {
				s.byNote[op.Comment]++
			}
			if op.Kind == "online_prepayment" {
				s.prepay[op.BookingID]++
			}
		}
	}
	out, code, err := r.paydesk(ctx, "booking", "list", "--limit", "1000000", "--json")
	if err != nil || code != 0 {
		return nil, fmt.Errorf("paydesk booking list: exit %d %v %s", code, err, out)
	}
	var bs []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if strings.TrimSpace(out) != "" && strings.TrimSpace(out) != "no bookings" {
		if err := json.Unmarshal([]byte(out), &bs); err != nil {
			return nil, fmt.Errorf("paydesk booking list --json: %w", err)
		}
	}
	for _, b := range bs {
		s.bookings[b.ID] = b.Status
	}
	return s, nil
}

var firstDay = time.Now().UTC()

func (r *rig) days() []string {
	var out []string
	for d := firstDay.Truncate(24 * time.Hour); !d.After(time.Now().UTC()); d = d.Add(24 * time.Hour) {
		out = append(out, d.Format("2006-01-02"))
	}
	return out
}

func (r *rig) countOps(ctx context.Context) (int, error) {
	s, err := r.snap(ctx)
	if err != nil {
		return 0, err
	}
	return s.count, nil
}

// settled waits until the webhooks acknowledged are applied and the books
// stop moving (the worker finishing events stored before the kill).
func (r *rig) settled(ctx context.Context) (*snapshot, error) {
	deadline := time.Now().Add(30 * time.Second)
	var prev *snapshot
	for {
		s, err := r.snap(ctx)
		if err != nil {
			return nil, err
		}
		missing := 0
		for _, a := range r.acks {
			if a.kind == "webhook" && s.prepay[a.booking] == 0 {
				missing++
			}
		}
		if missing == 0 && prev != nil && prev.count == s.count {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, nil // what is missing now is lost
		}
		prev = s
		time.Sleep(50 * time.Millisecond)
	}
}

// verify checks every acknowledged request is in the books once, replays
// the ones not replayed yet, and runs paydesk check.
func (r *rig) verify(ctx context.Context, final bool) error {
	s, err := r.settled(ctx)
	if err != nil {
		return err
	}
	r.exactlyOnce(s)
	r.refreshPicks(s)

	todo := r.acks[r.replayed:]
	r.replayed = len(r.acks)
	if len(todo) > 0 {
		r.replay(ctx, todo)
		after, err := r.settled(ctx)
		if err != nil {
			return err
		}
		if d := after.count - s.count; d != 0 {
			r.fig.ReplayPosted += d
			r.fig.problem("replaying %d requests changed the books by %d operations", len(todo), d)
		}
		r.exactlyOnce(after)
	}
	out, code, err := r.paydesk(ctx, "check", "--json")
	if err != nil {
		return err
	}
	r.fig.Checks++
	if code != 0 {
		r.fig.CheckFailures++
		r.fig.problem("paydesk check: exit %d: %s", code, strings.TrimSpace(out))
	}
	if final {
		fmt.Fprintf(r.log, "final: %d acknowledged, %d operations\n", len(r.acks), s.count)
	}
	return nil
}

func (r *rig) exactlyOnce(s *snapshot) {
	for _, a := range r.acks {
		if a.bad {
			continue
		}
		var n int
		switch a.kind {
		case "webhook":
			n = s.prepay[a.booking]
		case "cancel":
			if st := s.bookings[a.booking]; st == "canceled" || st == "refunded" {
				n = 1
			}
		case "ssh":
			n = s.byNote[a.key]
			if op, ok := s.byID[a.opID]; n == 1 && (!ok || op.Comment != a.key || op.Kind != "top_up") {
				r.fig.problem("ssh top-up %s: the screen said operation %d, which the books hold as %+v", a.key, a.opID, op)
				n = 0
			}
		default:
			n = s.byKey[a.key]
			if op, ok := s.byID[a.opID]; n == 1 && (!ok || keyTail(op.Key) != a.key) {
				r.fig.problem("%s %s: acknowledged as operation %d, which the books do not hold under that key", a.kind, a.key, a.opID)
				n = 0
			}
		}
		switch {
		case n == 0:
			a.bad = true
			r.fig.Lost++
			r.fig.problem("lost: %s %s%s", a.kind, a.key, a.booking)
		case n > 1:
			a.bad = true
			r.fig.Doubled++
			r.fig.problem("doubled (%d times): %s %s%s", n, a.kind, a.key, a.booking)
		}
	}
}

// refreshPicks gives the load the bookings it may cancel: applied ones, as
// the books say, that were not canceled yet.
func (r *rig) refreshPicks(s *snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.open = r.open[:0]
	for id, st := range s.bookings {
		if st == "prepaid" && strings.HasPrefix(id, "bk-crash-") {
			r.open = append(r.open, id)
		}
	}
	slices.Sort(r.open)
}

// replay sends each acknowledged request again: a CLI command must answer
// with the same operation, a webhook with 200. An SSH desk's top-up has no
// request to send again: its key lived in the form, which ended with the
// session; the cashier reads the status line instead.
func (r *rig) replay(ctx context.Context, todo []*ack) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(2, r.o.Workers))
	for _, a := range todo {
		if a.kind == "ssh" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ok := true
			var what string
			switch a.kind {
			case "webhook":
				code, err := r.post(ctx, a.body)
				ok, what = err == nil && code == 200, fmt.Sprintf("HTTP %d %v", code, err)
			case "cancel":
				// A second cancel may be refused (already canceled); it must post nothing, which settled() sees.
				_, _, _ = r.paydesk(ctx, a.args...)
			default:
				out, code, err := r.paydesk(ctx, a.args...)
				id, _ := opIDOf(out)
				ok, what = err == nil && code == 0 && id == a.opID, fmt.Sprintf("exit %d, operation %d (first %d)", code, id, a.opID)
			}
			r.mu.Lock()
			r.fig.Replayed++
			if !ok {
				r.fig.ReplayMismatch++
				r.fig.problem("replay of %s %s%s: %s", a.kind, a.key, a.booking, what)
			}
			r.mu.Unlock()
		}()
	}
	wg.Wait()
}

func (r *rig) post(ctx context.Context, body []byte) (int, error) {
	return postSigned(ctx, "http://"+r.addr+"/webhooks/stripe", body, webhookSecret, time.Now())
}
