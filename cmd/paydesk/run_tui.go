package main

import (
	"context"
	"flag"
)

// runTUI opens the full-screen front desk. Until the TUI lands it prints the
// help, as a bare `paydesk` did in the first release.
func runTUI(ctx context.Context, a *app) error {
	fs := flag.NewFlagSet("paydesk", flag.ContinueOnError)
	fs.String("db", a.cfg.DB, "database file (env PAYDESK_DB)")
	fs.String("config", a.cfg.File, "config file (env PAYDESK_CONFIG)")
	fs.String("log-level", a.cfg.LogLevel, "debug, info, warn or error")
	printHelp(a.stdout, fs)
	return ctx.Err()
}
