// Command paydesk-crash proves, with figures, what survives a crash: it runs
// the real `paydesk serve` on a temp database under a mixed load (signed
// Stripe webhooks to the receiver, keyed deposits, checkouts, booking cancels
// and refunds to deposit through the CLI, which serve runs over its socket,
// and an SSH desk typing top-ups on the real front desk screen), kill -9s it
// at random moments and restarts it. After each restart it checks that every
// acknowledged request is in the books exactly once (a desk's top-up is
// acknowledged when its screen says "posted as operation #N"), that replaying
// the acknowledged requests posts nothing new, and that `paydesk check` is
// clean.
//
//	paydesk-crash                      25 kills, a table
//	paydesk-crash --kills 1000 --json  the long run, one JSON object
//	paydesk-crash --paydesk ./paydesk  use this binary instead of building one
//
// Exit status 0 when nothing was lost or doubled and every check passed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

type options struct {
	Kills   int
	Seed    uint64
	JSON    bool
	Paydesk string // the binary; built from this module when empty
	Dir     string // work folder; a temp one (removed after) when empty
	Workers int
	Desks   int // SSH desks typing top-ups
	Verbose bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("paydesk-crash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.Kills, "kills", 25, "how many times to kill -9 paydesk serve")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the load and the kill moments")
	fs.BoolVar(&o.JSON, "json", false, "print the figures as one JSON object")
	fs.StringVar(&o.Paydesk, "paydesk", "", "paydesk binary to test (default: go build this module's cmd/paydesk)")
	fs.StringVar(&o.Dir, "dir", "", "work folder, kept afterwards (default: a temp folder, removed)")
	fs.IntVar(&o.Workers, "workers", 3, "concurrent senders of the load")
	fs.IntVar(&o.Desks, "desks", 1, "SSH desks typing top-ups on the front desk screen (0: none)")
	fs.BoolVar(&o.Verbose, "v", false, "say what each cycle did on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || o.Kills < 1 || o.Workers < 1 || o.Desks < 0 {
		fmt.Fprintln(stderr, "paydesk-crash: usage: paydesk-crash [--kills N] [--seed S] [--json] [--paydesk BIN] [--dir DIR] [--workers N] [--desks N] [-v]")
		return 2
	}
	res, err := harness(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "paydesk-crash: %v\n", err)
		if res == nil {
			return 1
		}
	}
	if o.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else {
		res.print(stdout)
	}
	if err != nil || !res.Clean() {
		return 1
	}
	return 0
}
