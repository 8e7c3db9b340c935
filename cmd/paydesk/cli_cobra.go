package main

// The command line on spf13/cobra. The tree is built from the one command
// table (commands()), so adding a command stays one row and one function:
// the function defines its flags with newFlags and reads them with parse, as
// before, and the tree learns those flags by asking the function for its
// --help (every command parses before it touches anything; a test holds
// every row to that). Cobra then gives the whole line its parsing (global
// flags before or after the command), help, shell completion and man page
// from the same definitions, and the function gets its own words of the line
// (the command's flags and arguments, without the global flags) to parse.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"

	"github.com/paydesk/paydesk/config"
	"github.com/paydesk/paydesk/finance"
)

// cmdline is one command line being run: its streams, what its global flags
// said, and the exit code of what it ran.
type cmdline struct {
	ctx            context.Context
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer
	shared         *sharedBooks

	o           config.Overrides
	as          string
	showVersion bool

	root *cobra.Command
	rows map[*cobra.Command]command
	code int
}

// run parses the line and runs what it names; the exit code is its outcome.
func (l *cmdline) run() int {
	l.root = l.tree(commands())
	l.root.SetArgs(l.args)
	l.root.SetIn(l.stdin)
	l.root.SetOut(l.stdout)
	l.root.SetErr(l.stderr)
	c, err := l.root.ExecuteContextC(l.ctx)
	if err != nil {
		row, ok := l.rows[c]
		if !ok {
			return exitCode(l.stdout, l.stderr, err, nil, l.root.PersistentFlags())
		}
		return exitCode(l.stdout, l.stderr, err, &row, nil)
	}
	return l.code
}

// tree is the cobra command tree of the table: a node for each first word
// shared by several rows ("client", "staff"), a leaf for each row.
func (l *cmdline) tree(table []command) *cobra.Command {
	root := &cobra.Command{
		Use:   "paydesk",
		Short: "the salon front desk (clients, deposits, checkout, cash registers, day totals)",
		Long: "paydesk is the salon front desk: with no command it opens the full-screen front desk; " +
			"with a command it runs that one command and exits 0 (ok), 1 (refused) or 2 (usage error).",
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true, // the man page stays the same from build to build
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{msg: fmt.Sprintf("unknown command %q", args[0])}
			}
			return nil
		},
		RunE: func(*cobra.Command, []string) error {
			l.code = l.start(nil, nil)
			return nil
		},
	}
	g := root.PersistentFlags()
	g.StringVar(&l.o.DB, "db", "", "database file (env PAYDESK_DB)")
	g.StringVar(&l.o.Config, "config", "", "config file (env PAYDESK_CONFIG)")
	g.StringVar(&l.o.LogLevel, "log-level", "", "debug, info, warn or error (env PAYDESK_LOG_LEVEL)")
	g.StringVar(&l.o.WebhookAddr, "webhook-addr", "", "Stripe webhook receiver address (env PAYDESK_WEBHOOK_ADDR)")
	g.StringVar(&l.o.SSHAddr, "ssh-addr", "", "SSH address of paydesk serve (env PAYDESK_SSH_ADDR)")
	g.StringVar(&l.as, "as", "", "act as this staff member, with their role's rights (PIN asked); default: the database's owner")
	g.BoolVar(&l.showVersion, "version", false, "print the version and exit")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{msg: err.Error(), flags: c.LocalNonPersistentFlags()}
	})
	cobraHelp := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		row, isRow := l.rows[c]
		switch {
		case isRow:
			printUsage(c.OutOrStdout(), row, &usageError{flags: l.describe(row, l.helpConfig())})
		case c == root || c.Parent() == root && c.Runnable() && c.HasSubCommands():
			printHelp(c.OutOrStdout(), root.PersistentFlags())
		default: // completion, man: cobra's own help
			cobraHelp(c, args)
		}
	})

	l.rows = make(map[*cobra.Command]command, len(table))
	groups := map[string]*cobra.Command{}
	for _, row := range table {
		parent, word := root, row.name
		if group, sub, ok := strings.Cut(row.name, " "); ok {
			parent, word = groups[group], sub
			if parent == nil {
				parent = l.group(group)
				groups[group] = parent
				root.AddCommand(parent)
			}
		}
		leaf := l.leaf(row, word)
		l.rows[leaf] = row
		parent.AddCommand(leaf)
	}
	for _, g := range groups {
		var subs []string
		for _, c := range g.Commands() {
			subs = append(subs, c.Name())
		}
		g.Short = g.Name() + " commands: " + strings.Join(subs, ", ")
	}
	root.AddCommand(manCommand(root))
	return root
}

// group is the node of rows that share a first word; alone it is no command.
func (l *cmdline) group(name string) *cobra.Command {
	return &cobra.Command{
		Use: name,
		RunE: func(c *cobra.Command, args []string) error {
			return &usageError{msg: fmt.Sprintf("unknown command %q", strings.Join(append([]string{name}, args...)[:min(2, len(args)+1)], " "))}
		},
	}
}

// leaf is one row of the table as a cobra command.
func (l *cmdline) leaf(row command, word string) *cobra.Command {
	c := &cobra.Command{
		Use:   strings.TrimSpace(word + " " + row.usage),
		Short: row.summary,
		Long:  row.summary,
		// The row checks its own arguments (parse), with its own messages.
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			l.code = l.start(&row, l.localArgs(c))
			return nil
		},
	}
	c.Flags().AddFlagSet(l.describe(row, &config.Config{}))
	return c
}

// describe is a row's flag set, as its --help reports it: every row parses
// its flags before it reads config or opens anything, so this runs nothing.
func (l *cmdline) describe(row command, cfg *config.Config) *pflag.FlagSet {
	a := &app{cfg: cfg, stdin: l.stdin, stdout: io.Discard, stderr: io.Discard}
	var ue *usageError
	if err := row.run(l.ctx, a, []string{"--help"}); errors.As(err, &ue) && ue.help && ue.flags != nil {
		return ue.flags
	}
	return newFlags(row.name)
}

// helpConfig is the config a command's help shows its defaults from
// (`paydesk init --help` starts from the config's setup); none if unreadable.
func (l *cmdline) helpConfig() *config.Config {
	cfg, err := config.Load(config.Options{Getenv: os.Getenv, Overrides: l.o})
	if err != nil {
		return &config.Config{}
	}
	return cfg
}

// localArgs are the command's own words of the line: what follows its name,
// less the global flags (which cobra has already read into l.o).
func (l *cmdline) localArgs(c *cobra.Command) []string {
	_, rest, err := l.root.Find(l.args)
	if err != nil {
		return nil
	}
	global := l.root.PersistentFlags()
	var out []string
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		if arg == "--" {
			return append(out, rest[i:]...)
		}
		if len(arg) < 2 || arg[0] != '-' {
			out = append(out, arg)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		var f *pflag.Flag
		if strings.HasPrefix(arg, "--") {
			f = c.Flags().Lookup(name)
		} else {
			f = c.Flags().ShorthandLookup(name[:1])
		}
		takesValue := f != nil && !hasValue && f.NoOptDefVal == "" && i+1 < len(rest)
		if f != nil && global.Lookup(f.Name) == f {
			if takesValue {
				i++
			}
			continue
		}
		out = append(out, arg)
		if takesValue {
			i++
			out = append(out, rest[i])
		}
	}
	return out
}

// start runs the front desk (cmd nil) or one command, once the line is read.
func (l *cmdline) start(cmd *command, args []string) int {
	if l.showVersion {
		fmt.Fprintln(l.stdout, versionString())
		return exitOK
	}
	cfg, err := config.Load(config.Options{Getenv: os.Getenv, Overrides: l.o})
	if err != nil {
		fmt.Fprintf(l.stderr, "paydesk: %v\n", err)
		return exitRefused
	}
	cfg.DB = canonicalDB(cfg.DB)
	logger, closeLog := openLog(cfg, l.stderr)
	defer closeLog()

	a := &app{cfg: cfg, stdin: l.stdin, stdout: l.stdout, stderr: l.stderr, log: logger,
		actor: finance.OwnerActor(osUser()), version: versionString(), args: l.forwardArgs(cmd, args),
		as: strings.TrimSpace(l.as)}
	a.kiosk = cfg.Kiosk
	if l.shared != nil {
		a.db, a.svc, a.repl, a.inServer = l.shared.db, l.shared.svc, l.shared.repl, true
		// The forwarded command line may name its own --config; serve's
		// kiosk setting is what counts.
		a.kiosk = a.kiosk || l.shared.kiosk
	}
	defer a.close()
	if cmd == nil && a.inServer {
		fmt.Fprintf(l.stderr, "paydesk: paydesk serve holds the database; open the front desk with `%s`\n", sshHint(cfg.SSHAddr, "NAME"))
		return exitRefused
	}
	if cmd == nil {
		logger.Info("start tui", "config", cfg)
		return a.exit(runTUI(l.ctx, a), nil)
	}
	return a.execute(l.ctx, *cmd, args)
}

// forwardArgs is the line to send to a running `paydesk serve`: the global
// flags first (where absPathArgs looks for paths), then the command.
func (l *cmdline) forwardArgs(cmd *command, args []string) []string {
	var out []string
	l.root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			out = append(out, "--"+f.Name+"="+f.Value.String())
		}
	})
	if cmd == nil {
		return out
	}
	out = append(out, strings.Fields(cmd.name)...)
	return append(out, args...)
}

// manCommand prints the man page, made from the same tree as the help and
// the completion: `paydesk man > paydesk.1`, or one page per command with
// --dir.
func manCommand(root *cobra.Command) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "man [--dir DIR]",
		Short: "print the man page (roff), or write one page per command into --dir",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			h := &doc.GenManHeader{Title: "PAYDESK", Section: "1", Source: "paydesk", Manual: "paydesk manual"}
			if dir != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				return doc.GenManTree(root, h, dir)
			}
			return doc.GenMan(root, h, c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "write paydesk.1, paydesk-deposit.1, ... into this folder")
	return c
}
