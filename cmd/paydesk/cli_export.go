package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/export"
)

// exportCommands are the rows cli_export.go adds to the command table.
func exportCommands() []command {
	return []command{
		{"export", "[--date YYYY-MM-DD | --from D --to D] [--out FILE]",
			"every posting of a day or a range as CSV, as the desk's export writes it (stdout, or --out FILE)", cmdExport},
	}
}

func cmdExport(ctx context.Context, a *app, args []string) error {
	fs := newFlags("export")
	days := dayRangeFlags(fs, "business day YYYY-MM-DD (default today)")
	date, from, to := days.date, days.from, days.to
	out := fs.String("out", "", "write this file (all or nothing) instead of stdout")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := days.check(fs); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	if !svc.Allowed(a.actor, finance.RightExport) {
		return &finance.RightError{Staff: a.actor.Staff, Role: a.actor.Role, Right: finance.RightExport}
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	var f, t finance.Date
	switch {
	case *from != "":
		if f, err = finance.ParseDate(*from); err != nil {
			return err
		}
		if t, err = finance.ParseDate(*to); err != nil {
			return err
		}
		if t < f {
			return fmt.Errorf("%w: --to %s is before --from %s", finance.ErrInvalid, t, f)
		}
	case *date != "":
		if f, err = finance.ParseDate(*date); err != nil {
			return err
		}
		t = f
	default:
		if f, err = svc.Today(ctx); err != nil {
			return err
		}
		t = f
	}
	if f, t, err = export.Range(f, t); err != nil {
		return err
	}
	subject := "stdout"
	if *out != "" {
		path, err := filepath.Abs(*out)
		if err != nil {
			return err
		}
		n, err := export.WriteFile(ctx, path, svc, a.actor, v.f, f, t)
		if err != nil {
			return err
		}
		subject = path
		if _, err := fmt.Fprintf(a.stdout, "%d rows to %s\n", n, path); err != nil {
			return err
		}
	} else if _, err := export.Write(ctx, a.stdout, svc, a.actor, v.f, f, t); err != nil {
		return err
	}
	return svc.RecordAudit(ctx, a.actor, "export", subject, fmt.Sprintf("%s..%s", f, t))
}
