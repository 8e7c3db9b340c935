package main

// Several desks on one database: `paydesk serve` runs an SSH server (one TUI
// per desk) and a unix socket through which other paydesk processes run
// their commands, since bbolt lets only one process open the file. This file
// wires internal/deskserver to the CLI, the TUI and the one shared
// *finance.Service, and holds `ssh-key add|list`.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/deskserver"
	"github.com/paydesk/paydesk/replicate"
	"github.com/paydesk/paydesk/store"
	"github.com/paydesk/paydesk/tui"
)

// sshCommands are the rows ssh.go adds to the command table.
func sshCommands() []command {
	return []command{
		{"ssh-key add", "--staff NAME KEYFILE|-", "let an SSH key connect to `paydesk serve` as NAME (the desk still asks the PIN)", cmdSSHKeyAdd},
		{"ssh-key list", "[--json]", "list the SSH keys that may connect, with their staff", cmdSSHKeyList},
		{"ssh-key remove", "(FINGERPRINT | --staff NAME)", "stop an SSH key (or all of a person's) from connecting; its open desks are closed", cmdSSHKeyRemove},
	}
}

// hostKeyFile is the SSH host key's name beside the database.
const hostKeyFile = "ssh_host_ed25519_key"

// maxKeyFile bounds a public key file read from disk or stdin.
const maxKeyFile = 64 << 10

func cmdSSHKeyAdd(ctx context.Context, a *app, args []string) error {
	fs := newFlags("ssh-key add")
	staff := fs.String("staff", "", "the staff member the key belongs to (required)")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "staff"); err != nil {
		return err
	}
	name := strings.TrimSpace(*staff)
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	// A key opens the door to every desk screen, so adding one is managing staff.
	if !svc.Allowed(a.actor, finance.RightManageStaff) {
		return &finance.RightError{Staff: a.actor.Staff, Role: a.actor.Role, Right: finance.RightManageStaff}
	}
	st, err := findStaff(ctx, svc, name)
	if err != nil {
		return err
	}
	if st.Disabled {
		return fmt.Errorf("%w: %s is disabled", finance.ErrInvalid, name)
	}
	data, err := readKeyFile(a.stdin, pos[0])
	if err != nil {
		return err
	}
	key, err := deskserver.ParsePublicKey(data)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", finance.ErrInvalid, pos[0], err)
	}
	if err := deskserver.AddAuthorizedKey(a.cfg.AuthorizedKeys, key, name); err != nil {
		return fmt.Errorf("%w: %v", finance.ErrInvalid, err)
	}
	if err := svc.RecordAudit(ctx, a.actor, "ssh_key_add", "staff "+name, gossh.FingerprintSHA256(key)); err != nil {
		a.log.Warn("audit ssh key", "err", err)
	}
	fmt.Fprintf(a.stdout, "key %s added for %s in %s\n", gossh.FingerprintSHA256(key), name, a.cfg.AuthorizedKeys)
	_, err = fmt.Fprintf(a.stdout, "connect with: %s\n", sshHint(a.cfg.SSHAddr, name))
	return err
}

func readKeyFile(stdin io.Reader, path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		if stdin == nil {
			return nil, fmt.Errorf("%w: no key on stdin", finance.ErrInvalid)
		}
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", finance.ErrInvalid, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("%w: %s is too big for a public key", finance.ErrInvalid, path)
	}
	return data, nil
}

func cmdSSHKeyRemove(ctx context.Context, a *app, args []string) error {
	fs := newFlags("ssh-key remove")
	staff := fs.String("staff", "", "remove every key of this staff member")
	pos, err := parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(*staff)
	if (len(pos) == 1) == (name != "") {
		return usagef(fs, "give a key's fingerprint (see `paydesk ssh-key list`) or --staff NAME")
	}
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	if !svc.Allowed(a.actor, finance.RightManageStaff) {
		return &finance.RightError{Staff: a.actor.Staff, Role: a.actor.Role, Right: finance.RightManageStaff}
	}
	removed, err := deskserver.RemoveAuthorizedKeys(a.cfg.AuthorizedKeys, func(k deskserver.AuthorizedKey) bool {
		if name != "" {
			return k.Staff == name
		}
		return gossh.FingerprintSHA256(k.Key) == strings.TrimSpace(pos[0])
	})
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		what := "no key for " + name
		if name == "" {
			what = "no key with fingerprint " + strings.TrimSpace(pos[0])
		}
		return fmt.Errorf("%w: %s in %s (see `paydesk ssh-key list`)", finance.ErrNotFound, what, a.cfg.AuthorizedKeys)
	}
	for _, k := range removed {
		fp := gossh.FingerprintSHA256(k.Key)
		if err := svc.RecordAudit(ctx, a.actor, "ssh_key_remove", "staff "+k.Staff, fp); err != nil {
			a.log.Warn("audit ssh key", "err", err)
		}
		if _, err := fmt.Fprintf(a.stdout, "key %s of %s removed\n", fp, k.Staff); err != nil {
			return err
		}
	}
	return nil
}

type sshKeyJSON struct {
	Staff       string `json:"staff"`
	Type        string `json:"type"`
	Fingerprint string `json:"fingerprint"`
}

func cmdSSHKeyList(ctx context.Context, a *app, args []string) error {
	fs := newFlags("ssh-key list")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	keys, problems, err := deskserver.ReadAuthorizedKeys(a.cfg.AuthorizedKeys)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(a.stderr, "paydesk: warning: ignored %s\n", p)
	}
	out := make([]sshKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = sshKeyJSON{Staff: k.Staff, Type: k.Key.Type(), Fingerprint: gossh.FingerprintSHA256(k.Key)}
	}
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	if len(out) == 0 {
		_, err := fmt.Fprintf(a.stdout, "no SSH keys in %s: add one with `paydesk ssh-key add --staff NAME ~/.ssh/id_ed25519.pub`\n", a.cfg.AuthorizedKeys)
		return err
	}
	t := newTable(a.stdout, "STAFF", "TYPE", "FINGERPRINT")
	for _, k := range out {
		t.row(k.Staff, k.Type, k.Fingerprint)
	}
	return t.flush()
}

// sshHint is the command a desk types to reach serve's SSH server.
func sshHint(addr, user string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "ssh " + user + "@HOST"
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "HOST"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if strings.ContainsAny(user, " \t'\"") {
		user = "'" + strings.ReplaceAll(user, "'", "") + "'"
	}
	if port == "22" {
		return fmt.Sprintf("ssh %s@%s", user, host)
	}
	return fmt.Sprintf("ssh -p %s %s@%s", port, user, host)
}

// ---- serve: the desks' SSH server and the command socket

// sharedBooks is the database `paydesk serve` holds, lent to commands that
// other paydesk processes run through the socket.
type sharedBooks struct {
	db    *store.DB
	svc   *finance.Service
	kiosk bool                  // serve's config: commands from other processes need --as too
	repl  *replicate.Replicator // nil when replication is off
}

// refunderFunc adapts a function to tui.Refunder.
type refunderFunc func(ctx context.Context, key string) error

func (f refunderFunc) Refund(ctx context.Context, key string) error { return f(ctx, key) }

// startDesks starts serve's SSH server and command socket on the open
// database; refund (may be nil) sends the desks' card refunds. Both stop when
// ctx ends; wait returns once they have, and must be called before the
// database is closed.
func (a *app) startDesks(ctx context.Context, refund func(ctx context.Context, key string) error) (wait func(), err error) {
	if a.svc == nil || a.db == nil {
		return nil, errors.New("serve: the database is not open")
	}
	var refunder tui.Refunder
	if refund != nil {
		refunder = refunderFunc(refund)
	}
	shared := &sharedBooks{db: a.db, svc: a.svc, kiosk: a.cfg.Kiosk, repl: a.repl}
	sock, err := deskserver.ListenSocket(deskserver.SocketPath(a.cfg.DB), shared.dispatch,
		deskserver.WithSocketLogger(a.log.With("part", "socket")))
	if err != nil {
		return nil, err
	}
	var sshSrv *deskserver.SSHServer
	var ln net.Listener
	if a.cfg.SSHAddr != "" {
		sshSrv, err = deskserver.NewSSHServer(deskserver.SSHConfig{
			Addr:               a.cfg.SSHAddr,
			HostKeyPath:        filepath.Join(filepath.Dir(a.cfg.DB), hostKeyFile),
			AuthorizedKeysPath: a.cfg.AuthorizedKeys,
			HandshakeTimeout:   a.cfg.SSHHandshakeTimeout,
			MaxUnauthenticated: a.cfg.SSHMaxUnauthenticated,
			NewModel:           a.deskModel(shared.svc, refunder),
			CheckStaff:         func(ctx context.Context, name string) error { return staffMayConnect(ctx, shared.svc, name) },
			Logger:             a.log.With("part", "ssh"),
		})
		if err == nil {
			ln, err = sshSrv.Listen()
		}
		if err != nil {
			_ = sock.Close()
			return nil, err
		}
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := sock.Serve(ctx); err != nil {
			a.log.Error("command socket", "err", err)
		}
	}()
	fmt.Fprintf(a.stdout, "paydesk serve: commands from other paydesk processes on %s\n", sock.Path())
	if sshSrv != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sshSrv.Serve(ctx, ln); err != nil {
				a.log.Error("ssh server", "err", err)
			}
		}()
		fmt.Fprintf(a.stdout, "paydesk serve: desks connect with `%s` (keys in %s)\n",
			sshHint(ln.Addr().String(), "NAME"), a.cfg.AuthorizedKeys)
	}
	a.log.Info("desk servers started", "socket", sock.Path(), "ssh_addr", a.cfg.SSHAddr)
	return wg.Wait, nil
}

// deskModel builds each SSH session's front desk over the one shared service,
// so that what one desk posts reaches the others through Subscribe.
func (a *app) deskModel(svc *finance.Service, refunder tui.Refunder) deskserver.ModelFunc {
	setup := a.cfg.Setup.Settings()
	syncOn := a.refundsOn()
	var badge func() (string, bool)
	if a.repl != nil {
		badge = chainBadge(a.repl)
	}
	chain := a.chainView()
	return func(s deskserver.Session) (tea.Model, error) {
		return tui.New(tui.Deps{
			Service:        svc,
			Renderer:       s.Renderer,
			ExportDir:      a.cfg.ExportDir,
			Receipt:        receiptConfig(a.cfg),
			IdleLock:       a.cfg.IdleLock,
			SyncConfigured: syncOn,
			SyncNote:       a.syncNote(),
			Version:        a.version,
			Refunder:       refunder,
			LastBackup:     a.lastBackup,
			Ctx:            s.Context,
			SetupDefaults:  setup,
			Staff:          s.Staff,
			StaffOnly:      a.cfg.SSHBindKeys,
			HideRoles:      a.cfg.SSHHideRoles,
			Detachable:     true,
			Replication:    badge,
			Chain:          chain,
		}), nil
	}
}

// staffMayConnect refuses keys of unknown or disabled staff at the door.
func staffMayConnect(ctx context.Context, svc *finance.Service, name string) error {
	st, err := findStaff(ctx, svc, name)
	if err != nil {
		return err
	}
	if st.Disabled {
		return fmt.Errorf("%w: %s is disabled", finance.ErrForbidden, name)
	}
	return nil
}

// dispatch runs a command line sent through the socket, in this process,
// on the shared database.
func (b *sharedBooks) dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdin, stdout, stderr, b)
}

// ---- the client side: noticing the lock

// forward has the `paydesk serve` holding the database run this command
// line, when one answers on the socket beside it. ok is false when there is
// no server to ask (the caller then reports the lock as it is).
func (a *app) forward(ctx context.Context) (code int, ok bool) {
	sock := deskserver.SocketPath(a.cfg.DB)
	if _, err := os.Lstat(sock); err != nil {
		return 0, false
	}
	a.log.Info("paydesk serve holds the database; running the command there", "socket", sock)
	code, err := deskserver.Forward(ctx, sock, absPathArgs(a.args), a.stdin, a.stdout, a.stderr)
	if errors.Is(err, deskserver.ErrNoServer) {
		return 0, false
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "paydesk: running the command in paydesk serve: %v\n", err)
		return exitRefused, true
	}
	return code, true
}

// absPathArgs makes the paths in a command line absolute, since the server
// resolves them from its own working directory: --db and --config, and the
// file arguments of backup and ssh-key add.
func absPathArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	abs := func(p string) string {
		if p == "" || p == "-" || filepath.IsAbs(p) {
			return p
		}
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	i := 0
	for ; i < len(out); i++ { // global flags, up to the command name
		arg := out[i]
		if !strings.HasPrefix(arg, "-") {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		isPath := name == "db" || name == "config"
		switch {
		case hasVal && isPath:
			out[i] = "--" + name + "=" + abs(val)
		case hasVal || !globalValued[name]:
		case i+1 < len(out):
			if isPath {
				out[i+1] = abs(out[i+1])
			}
			i++
		}
	}
	rest := out[i:]
	var pathArg func(args []string) int // index of the file positional, or -1
	switch {
	case len(rest) >= 1 && rest[0] == "backup":
		pathArg = func(args []string) int { return firstPositional(args, 1, nil) }
	case len(rest) >= 2 && rest[0] == "ssh-key" && rest[1] == "add":
		pathArg = func(args []string) int { return firstPositional(args, 2, map[string]bool{"staff": true}) }
	}
	if pathArg != nil {
		if j := pathArg(rest); j >= 0 {
			rest[j] = abs(rest[j])
		}
	}
	if len(rest) >= 1 && rest[0] == "receipt" {
		for j := 1; j < len(rest); j++ { // --pdf FILE, --text FILE
			name, val, hasVal := strings.Cut(strings.TrimLeft(rest[j], "-"), "=")
			if !strings.HasPrefix(rest[j], "--") || (name != "pdf" && name != "text") {
				continue
			}
			if hasVal {
				rest[j] = "--" + name + "=" + abs(val)
			} else if j+1 < len(rest) {
				rest[j+1] = abs(rest[j+1])
				j++
			}
		}
	}
	return out
}

// globalValued are the global flags that take a value (see runWith).
var globalValued = map[string]bool{"db": true, "config": true, "log-level": true, "webhook-addr": true,
	"ssh-addr": true, "as": true}

// firstPositional finds the first argument from start on that is not a flag
// or a flag's value (valued names the flags that take one).
func firstPositional(args []string, start int, valued map[string]bool) int {
	for j := start; j < len(args); j++ {
		arg := args[j]
		if arg == "--" {
			if j+1 < len(args) {
				return j + 1
			}
			return -1
		}
		if strings.HasPrefix(arg, "-") && arg != "-" {
			name, _, hasVal := strings.Cut(strings.TrimLeft(arg, "-"), "=")
			if valued[name] && !hasVal {
				j++
			}
			continue
		}
		return j
	}
	return -1
}
