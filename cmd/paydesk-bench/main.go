// Command paydesk-bench builds a realistic paydesk database at scale and
// measures every row of the performance budget in DESIGN.md on this machine,
// next to the raw limits of bbolt on the same disk.
//
//	paydesk-bench                      full scale: 100,000 clients, 1,000,000 operations, 5 years
//	paydesk-bench --quick --json       small scale for CI, one JSON array
//	paydesk-bench --db books.db --keep build into a file and keep it
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// options are the command line.
type options struct {
	Clients int
	Ops     int
	Days    int
	JSON    bool
	Quick   bool
	DB      string
	Keep    bool
	Seed    int64
	CPUProf string
	Senders int
	// Backlog is how many events the poll-backlog row pulls (0 = the scale's default).
	Backlog int
}

func main() {
	if path := os.Getenv(probeEnv); path != "" {
		os.Exit(probeMain(path, os.Stdout, os.Stderr))
	}
	if path := os.Getenv(webhookEnv); path != "" {
		os.Exit(webhookMain(path, os.Stdout, os.Stderr))
	}
	if path := os.Getenv(pagesEnv); path != "" {
		os.Exit(pagesMain(path, os.Stdout, os.Stderr))
	}
	if path := os.Getenv(checkEnv); path != "" {
		os.Exit(checkMain(path, os.Stdout, os.Stderr))
	}
	if path := os.Getenv(chainEnv); path != "" {
		os.Exit(chainMain(path, os.Stdout, os.Stderr))
	}
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("paydesk-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Clients, "clients", 100_000, "clients to create")
	fs.IntVar(&o.Ops, "ops", 1_000_000, "ledger operations to post")
	fs.IntVar(&o.Days, "days", 5*365, "business days the operations span, ending yesterday")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON array, a row per measurement")
	fs.BoolVar(&o.Quick, "quick", false, "small scale for CI (2,000 clients, 20,000 operations, 60 days) unless set")
	fs.StringVar(&o.DB, "db", "", "database file to build (must not exist yet; default: a temporary file)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the database file afterwards")
	fs.Int64Var(&o.Seed, "seed", 1, "random seed of the generated books")
	fs.IntVar(&o.Senders, "senders", 0, "concurrent webhook senders, and raw Batch goroutines (default 128; 32 with --quick)")
	fs.IntVar(&o.Backlog, "backlog", 0, "events in the 30-day poll backlog row (default 100000; 2000 with --quick)")
	fs.StringVar(&o.CPUProf, "cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: paydesk-bench [--clients N] [--ops M] [--days D] [--json] [--quick] [--db PATH] [--keep]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.Quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["clients"] {
			o.Clients = 2000
		}
		if !set["ops"] {
			o.Ops = 20_000
		}
		if !set["days"] {
			o.Days = 60
		}
	}
	switch {
	case o.Clients < 10:
		return o, errors.New("--clients must be at least 10")
	case o.Ops < 100:
		return o, errors.New("--ops must be at least 100")
	case o.Backlog < 0 || o.Backlog > 1_000_000:
		return o, fmt.Errorf("--backlog must be between 0 and 1000000")
	case o.Senders < 0 || o.Senders > 1024:
		return o, errors.New("--senders must be between 1 and 1024")
	case o.Days < 2:
		return o, errors.New("--days must be at least 2")
	case o.Ops/o.Days > 50_000:
		return o, errors.New("more than 50,000 operations a day: raise --days")
	}
	return o, nil
}

func cli(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "paydesk-bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	if o.CPUProf != "" {
		f, err := os.Create(o.CPUProf)
		if err != nil {
			fmt.Fprintln(stderr, "paydesk-bench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "paydesk-bench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	rows, err := run(ctx, o, logf)
	if err != nil {
		fmt.Fprintln(stderr, "paydesk-bench:", err)
		return 1
	}
	if o.JSON {
		err = writeJSON(stdout, rows)
	} else {
		err = writeTable(stdout, rows)
	}
	if err != nil {
		fmt.Fprintln(stderr, "paydesk-bench:", err)
		return 1
	}
	return 0
}
