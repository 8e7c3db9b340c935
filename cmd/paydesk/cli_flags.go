package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/pflag"

	"github.com/paydesk/paydesk/finance"
)

// newFlags makes a command's flag set; errors are returned, never printed
// or exited on, so the dispatcher decides the exit code. The cobra tree reads
// the same set (through the command's --help path) for its help, completion
// and man page, so a command's flags are written once, beside its logic.
func newFlags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses flags and positional arguments in any order ("reverse 12
// --reason x" as well as "reverse --reason x 12"), and checks the number of
// positionals. "--" ends flags.
func parse(fs *pflag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, &usageError{flags: fs, help: true}
		}
		return nil, usagef(fs, "%v", err)
	}
	pos := fs.Args()
	switch {
	case len(pos) < minPos:
		return nil, usagef(fs, "missing argument")
	case len(pos) > maxPos:
		return nil, usagef(fs, "unexpected argument %q", pos[maxPos])
	}
	return pos, nil
}

// required reports the first empty required flag as a usage error.
func required(fs *pflag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			return usagef(fs, "--%s is required", n)
		}
	}
	return nil
}

// keyFlag is the idempotency key: given, a retry of the same command posts
// once; omitted, every run is a new operation.
func keyFlag(fs *pflag.FlagSet) *string {
	return fs.String("key", "", "idempotency key: the same key posts once (default: a new UUID)")
}

func keyOrNew(k string) string {
	if k == "" {
		return uuid.NewString()
	}
	return k
}

// parseClientID reads a client id as printed by `client add`.
func parseClientID(s string) (finance.ClientID, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%w: %q is not a client id, which is a number from 1 (see `paydesk client list`)", finance.ErrInvalid, s)
	}
	return finance.ClientID(n), nil
}

func parseOpID(s string) (finance.OperationID, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%w: %q is not an operation id, which is a number from 1 (see `paydesk ops`)", finance.ErrInvalid, s)
	}
	return finance.OperationID(n), nil
}

// amount parses what a person typed in the location's currency and locale.
func amount(st finance.Settings, flagName, s string, allowZero bool) (int64, error) {
	parse := finance.ParseAmount
	if allowZero {
		parse = finance.ParseAmountAllowZero
	}
	v, err := parse(s, st.Currency, st.Locale)
	if err != nil {
		return 0, fmt.Errorf("--%s: %w", flagName, err)
	}
	return v, nil
}

// register finds a register by id or name, case-insensitively.
func register(st finance.Settings, s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, r := range st.Registers {
		if strings.EqualFold(r.ID, s) || strings.EqualFold(r.Name, s) {
			return r.ID, nil
		}
	}
	names := make([]string, len(st.Registers))
	for i, r := range st.Registers {
		names[i] = fmt.Sprintf("%s (%s)", r.ID, r.Name)
	}
	return "", fmt.Errorf("%w: no register %q; the registers are %s", finance.ErrInvalid, s, strings.Join(names, ", "))
}

// payFlag collects repeated --pay REGISTER=AMOUNT.
type payFlag []string

func (p *payFlag) String() string { return strings.Join(*p, ",") }

// Type names the value in help and completion, as the usage lines write it.
func (p *payFlag) Type() string { return "value" }
func (p *payFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want REGISTER=AMOUNT, got %q", v)
	}
	*p = append(*p, v)
	return nil
}

// dayRange is the --date | --from --to choice of the commands that report
// on days (totals, export, chain totals), with one rule for what goes together.
type dayRange struct{ date, from, to *string }

func dayRangeFlags(fs *pflag.FlagSet, dateHelp string) dayRange {
	return dayRange{
		date: fs.String("date", "", dateHelp),
		from: fs.String("from", "", "first day of a range"),
		to:   fs.String("to", "", "last day of a range"),
	}
}

// check refuses a day and a range together, and half a range.
func (r dayRange) check(fs *pflag.FlagSet) error {
	if *r.date != "" && (*r.from != "" || *r.to != "") {
		return usagef(fs, "use --date or --from/--to, not both")
	}
	if (*r.from == "") != (*r.to == "") {
		return usagef(fs, "a range needs both --from and --to")
	}
	return nil
}
