// Command paydesk is the salon front desk: a full-screen terminal app (the
// default) and a scriptable CLI over the same books. This file holds the one
// command table and what every command shares (the app, exit codes, usage);
// cli_cobra.go turns the table into the cobra tree that reads the line.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/paydesk/paydesk/config"
	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/logfile"
	"github.com/paydesk/paydesk/replicate"
	"github.com/paydesk/paydesk/store"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitRefused = 1 // the books said no, or something failed: reason on stderr
	exitUsage   = 2 // the command line was wrong: usage on stderr
)

// command is one row of the command table. name is one or two words
// ("deposit", "client add"); run gets the command's own words of the line
// (after the name, without the global flags), defines its flags with
// newFlags and reads them with parse before it does anything else: the
// cobra tree learns a row's flags (for help, completion and the man page)
// by running it with --help.
type command struct {
	name    string
	usage   string // arguments after the name, for the usage line
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

// commands is the one command table. Other parts of paydesk add their rows
// here (payments.go: booking, refund, stripe, serve; staff.go: staff, audit;
// ssh.go: ssh-key). A new command is one row and one function; the cobra
// tree, help, completion and man page follow from it.
func commands() []command {
	return append([]command{
		{"init", "[--location NAME] [--currency CODE] [--locale TAG] [--timezone ZONE] [--region CC]",
			"set up a new database without the first-run screen", cmdInit},
		{"client add", "--name NAME --phone PHONE [--email E] [--note N] [--json]",
			"add a client; prints the new client's id", cmdClientAdd},
		{"client list", "[--search Q] [--limit N] [--json]", "list clients with their balances", cmdClientList},
		{"client show", "ID [--limit N] [--json]", "a client's balance and history", cmdClientShow},
		{"client edit", usageClientEdit, "change a client's name, phone, email, note or credit limit", cmdClientEdit},
		{"deposit", "--client ID --amount A --register R [--note N] [--key K] [--json]",
			"top up a client's deposit; prints the operation id", cmdDeposit},
		{"checkout", "(--client ID | --walk-in) --total T [--balance B] (--register R | --pay R=AMOUNT ...) [--note N] [--key K] [--json]",
			"check out a visit: from the deposit first (or --balance B), the rest by register(s)", cmdCheckout},
		{"cashout", "--client ID --amount A --register R [--note N] [--key K] [--json]",
			"pay a client money back from their deposit", cmdCashOut},
		{"transfer", "--from R --to R --amount A [--note N] [--key K] [--json]",
			"move money between registers", cmdTransfer},
		{"paid-in", "--register R --amount A --reason TEXT [--key K] [--json]",
			"put money into a register for a reason", cmdPaidIn},
		{"paid-out", "--register R --amount A --reason TEXT [--key K] [--json]",
			"take money out of a register for a reason", cmdPaidOut},
		{"reverse", "OPID --reason TEXT [--key K] [--json]", "undo a mistaken operation with a reversal", cmdReverse},
		{"ops", "[--date YYYY-MM-DD] [--client ID] [--register R] [--json]",
			"list a day's (or a client's) operations", cmdOps},
		{"totals", "[--date YYYY-MM-DD | --from D --to D] [--json]",
			"per register: opening, in, out, closing, by kind", cmdTotals},
		{"check", "[--json]", "verify every ledger invariant; exit 1 and a report if any fails", cmdCheck},
		{"backup", "PATH [--force]", "write a consistent copy of the database (safe while paydesk runs)", cmdBackup},
		{"restore", "BACKUP", "check a backup and put it in place of the database (the one replaced is kept beside it)", cmdRestore},
		{"demo", "[--clients N] [--days N] [--seed N] [--json]",
			"fill a new database with a month of realistic demo data", cmdDemo},
		{"booking list", usageBookingList, "list prepaid bookings (--refund-due: canceled with money left)", cmdBookingList},
		{"booking show", "ID [--json]", "a booking with its refunds and operations", cmdBookingShow},
		{"booking cancel", "ID [--reason TEXT] [--json]", "cancel a booking; what was paid becomes refund due", cmdBookingCancel},
		{"refund", usageRefund, "refund a canceled booking to the card (Stripe) or to the client's deposit", cmdRefund},
		{"stripe setup", "--url URL", "create the Stripe webhook endpoint and save its secret in the config file", cmdStripeSetup},
		{"pix setup", "--url URL", "register URL/webhooks as the Pix key's callback at the PSP (PUT /webhook/{chave})", cmdPixSetup},
		{"serve", "", "run headless until SIGINT/SIGTERM: desks over SSH, other paydesk commands through a socket, Stripe webhooks, poller and sync worker", cmdServe},
	}, slices.Concat(staffCommands(), sshCommands(), closeCommands(), replicateCommands(), exportCommands(), reconcileCommands(), syncCommands(), receiptCommands(), catalogCommands())...)
}

// app is what every command works with. The database is opened lazily, by
// the commands that need it, so --version and help never touch it.
type app struct {
	cfg     *config.Config
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	log     *slog.Logger
	actor   finance.Actor
	version string

	db     *store.DB
	svc    *finance.Service
	ownsDB bool                  // opened here, so closed here (a server may hand in its own)
	repl   *replicate.Replicator // serve's replicator, nil when replication is off or serve is not this process

	// lastBackup is when serve's scheduled backup last succeeded; nil
	// outside serve or with no [backup] dir.
	lastBackup func() time.Time

	args     []string // the whole command line, to forward it to `paydesk serve`
	as       string   // --as: act as this staff member, after their PIN
	inServer bool     // running inside `paydesk serve` for another process
	kiosk    bool     // no command acts as the owner (config [desk] kiosk; serve's own when inServer)
}

// run is the whole CLI: global flags, config, one command, an exit code.
// Tests and the server-side command runner call it with their own streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdin, stdout, stderr, nil)
}

// runWith is run on a database already open in this process (shared, when
// `paydesk serve` runs a command for another process), or on its own. The
// line is read by the cobra tree of the command table (cli_cobra.go).
func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, shared *sharedBooks) int {
	l := &cmdline{ctx: ctx, args: args, stdin: stdin, stdout: stdout, stderr: stderr, shared: shared}
	return l.run()
}

// execute runs one command (its own words of the line, after the name) and
// maps its outcome to an exit code.
func (a *app) execute(ctx context.Context, cmd command, args []string) int {
	a.log.Info("command", "name", cmd.name, "db", a.cfg.DB, "in_server", a.inServer)
	if err := a.ownerRefused(cmd, args); err != nil {
		a.log.Warn("command refused", "name", cmd.name, "err", err)
		return a.exit(err, &cmd)
	}
	if cmd.name == "serve" && a.inServer {
		fmt.Fprintln(a.stderr, "paydesk: paydesk serve is already running on this database")
		return exitRefused
	}
	// While `paydesk serve` holds the database, it runs the command: asked
	// first when its socket is there (no wait for the file lock), and again
	// if the lock turns up anyway.
	forwardable := !a.inServer && cmd.name != "serve"
	if forwardable {
		if code, ok := a.forward(ctx); ok {
			return code
		}
	}
	err := a.runAs(ctx, cmd, args)
	if errors.Is(err, finance.ErrLocked) && forwardable {
		if code, ok := a.forward(ctx); ok {
			return code
		}
	}
	if err != nil {
		a.log.Warn("command failed", "name", cmd.name, "err", err)
	}
	return a.exit(err, &cmd)
}

func (a *app) exit(err error, cmd *command) int {
	return exitCode(a.stdout, a.stderr, err, cmd, nil)
}

// exitCode reports err on the streams and maps it to an exit code. A usage
// error shows the command's usage, or the whole help (with the global flags)
// when it is not about one command.
func exitCode(stdout, stderr io.Writer, err error, cmd *command, global *pflag.FlagSet) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue) && ue.help:
		if cmd != nil {
			printUsage(stdout, *cmd, ue)
		}
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "paydesk: %s\n", ue.msg)
		switch {
		case cmd != nil:
			printUsage(stderr, *cmd, ue)
		case global != nil:
			fmt.Fprintln(stderr)
			printHelp(stderr, global)
		}
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "paydesk: interrupted")
		return exitRefused
	default:
		fmt.Fprintf(stderr, "paydesk: %s\n", finance.Message(err))
		return exitRefused
	}
}

// usageError is a wrong command line: exit 2 with the command's usage.
type usageError struct {
	msg   string
	flags *pflag.FlagSet
	help  bool // --help was asked for: usage on stdout, exit 0
}

func (e *usageError) Error() string { return e.msg }

func usagef(fs *pflag.FlagSet, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), flags: fs}
}

func printUsage(w io.Writer, c command, ue *usageError) {
	fmt.Fprintf(w, "usage: paydesk %s %s\n  %s\n", c.name, c.usage, c.summary)
	if ue != nil && ue.flags != nil {
		printFlags(w, ue.flags)
	}
}

// printFlags lists flags GNU-style (--name VALUE), as the usage lines write them.
func printFlags(w io.Writer, fs *pflag.FlagSet) {
	type row struct{ left, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		name, usage := pflag.UnquoteUsage(f)
		left := "--" + f.Name
		switch name {
		case "":
		case "string":
			left += " VALUE"
		case "int", "uint", "uint64", "int64":
			left += " N"
		default:
			left += " " + strings.ToUpper(name)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	})
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.left, r.usage)
	}
}

func printHelp(w io.Writer, global *pflag.FlagSet) {
	fmt.Fprintf(w, `paydesk: the salon front desk (clients, deposits, checkout, cash registers, day totals)

usage: paydesk [global flags]                 open the front desk (full-screen)
       paydesk [global flags] COMMAND [flags]  run one command (exit 0 ok, 1 refused, 2 usage error)

commands:
`)
	table := commands()
	width := 0
	for _, c := range table {
		width = max(width, len(c.name))
	}
	for _, c := range table {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nglobal flags (before or after the command):\n")
	printFlags(w, global)
	fmt.Fprintf(w, "\n`paydesk COMMAND --help` shows a command's flags; `paydesk completion bash|zsh|fish` prints a\nshell completion script and `paydesk man` the man page.\n")
}

// openLog sends log/slog to the log file, never to the terminal the TUI
// owns; it rotates by size (log_max_size_mb, log_max_files). If the file
// can't be opened, logging is off and stderr says why once.
func openLog(cfg *config.Config, stderr io.Writer) (*slog.Logger, func()) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := os.MkdirAll(filepath.Dir(cfg.LogFile), 0o700); err != nil {
		fmt.Fprintf(stderr, "paydesk: warning: no log: %v\n", err)
		return discard, func() {}
	}
	f, err := logfile.Open(cfg.LogFile, int64(cfg.LogMaxSizeMB)<<20, cfg.LogMaxFiles)
	if err != nil {
		fmt.Fprintf(stderr, "paydesk: warning: no log: %v\n", err)
		return discard, func() {}
	}
	h := slog.NewTextHandler(f, &slog.HandlerOptions{Level: cfg.SlogLevel()})
	return slog.New(h).With("pid", os.Getpid()), func() { f.Close() }
}

func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "owner"
}

func versionString() string {
	v, rev, when, dirty := version, "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	out := "paydesk " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += " commit " + rev
		if dirty {
			out += "+modified"
		}
		if when != "" {
			out += " " + when
		}
	} else {
		out += " commit unknown"
	}
	return out + " " + runtime.Version()
}

// ---- the database, opened on demand

// canonicalDB is the one name of the database file however it was reached
// (a symlink to it or to its folder, a relative path, ".." segments), so
// the socket beside the file that `paydesk serve` holds is found from any of
// them and every message names the same file. A file not made yet keeps
// its own name in its resolved folder.
func canonicalDB(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// errNotSetUp is what every command says on a database without settings.
func (a *app) errNotSetUp() error {
	return fmt.Errorf("%w: %s; run `paydesk` (first-run setup) or `paydesk init` first",
		finance.ErrNotInitialized, a.cfg.DB)
}

// open opens the database file. Unless create is set, a missing file is
// "not set up" and no file is made.
func (a *app) open(ctx context.Context, create bool) (*finance.Service, error) {
	return a.openMode(ctx, create, false)
}

// openMode opens the file for writing, or for reading only: check and the
// reports (totals, ops) read a backup that may only be read (mode 0444, a
// read-only folder or disk), beside other readers, and write nothing.
func (a *app) openMode(ctx context.Context, create, readOnly bool) (*finance.Service, error) {
	if a.svc != nil {
		return a.svc, nil
	}
	if fi, err := os.Stat(a.cfg.DB); err == nil && fi.IsDir() {
		// Otherwise a folder reads as "not set up", and init fails on it.
		return nil, fmt.Errorf("%w: %s is a folder; --db names the database file, such as %s",
			finance.ErrInvalid, a.cfg.DB, filepath.Join(a.cfg.DB, "paydesk.db"))
	}
	if !create && !store.Exists(a.cfg.DB) {
		return nil, a.errNotSetUp()
	}
	db, err := store.Open(ctx, a.cfg.DB, store.Options{ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	a.db, a.ownsDB = db, true
	a.svc = finance.NewService(db, finance.WithRights(a.cfg.RightsTable()), finance.WithCloseRules(a.cfg.Close),
		finance.WithLimits(a.cfg.Limits))
	return a.svc, nil
}

// books opens a set-up database and reads its settings.
func (a *app) books(ctx context.Context) (*finance.Service, finance.Settings, error) {
	return a.booksMode(ctx, false)
}

// readBooks is books opened read-only (see openMode); a file that needs a
// schema upgrade is refused.
func (a *app) readBooks(ctx context.Context) (*finance.Service, finance.Settings, error) {
	return a.booksMode(ctx, true)
}

// reportBooks is readBooks for the reports, which upgrade an old file as
// they did before read-only opens.
func (a *app) reportBooks(ctx context.Context) (*finance.Service, finance.Settings, error) {
	svc, st, err := a.readBooks(ctx)
	if errors.Is(err, store.ErrNeedsUpgrade) {
		return a.books(ctx)
	}
	return svc, st, err
}

func (a *app) booksMode(ctx context.Context, readOnly bool) (*finance.Service, finance.Settings, error) {
	svc, err := a.openMode(ctx, false, readOnly)
	if err != nil {
		return nil, finance.Settings{}, err
	}
	st, err := svc.Settings(ctx)
	if errors.Is(err, finance.ErrNotInitialized) {
		return nil, finance.Settings{}, a.errNotSetUp()
	}
	return svc, st, err
}

func (a *app) close() {
	if a.db != nil && a.ownsDB {
		if err := a.db.Close(); err != nil {
			a.log.Error("close database", "err", err)
		}
	}
	a.db, a.svc = nil, nil
}
