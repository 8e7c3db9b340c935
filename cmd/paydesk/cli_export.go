package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/export"
)

// exportCommands are the rows cli_export.go adds to the command table.
func exportCommands() []command {
	return []command{
		{"export", "[--date YYYY-MM-DD | --from D --to D] [--out FILE [--force]]",
			"every posting of a day or a range as CSV, as the desk's export writes it (stdout, or --out FILE; an existing FILE only with --force)", cmdExport},
	}
}

func cmdExport(ctx context.Context, a *app, args []string) error {
	fs := newFlags("export")
	days := dayRangeFlags(fs, "business day YYYY-MM-DD (default today)")
	date, from, to := days.date, days.from, days.to
	out := fs.String("out", "", "write this file (all or nothing) instead of stdout")
	force := fs.Bool("force", false, "with --out: write over a file already there")
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
	settings, err := svc.Settings(ctx)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(settings.TimeZone)
	if err != nil {
		return fmt.Errorf("the location's time zone %q: %w", settings.TimeZone, err)
	}
	subject := "stdout"
	if *out != "" {
		path, err := filepath.Abs(*out)
		if err != nil {
			return err
		}
		n, err := export.WriteFile(ctx, path, *force, svc, a.actor, v.f, f, t, loc)
		if errors.Is(err, export.ErrExists) {
			return fmt.Errorf("%w: %s is there already; --force writes over it", finance.ErrInvalid, path)
		}
		if err != nil {
			return err
		}
		subject = path
		if _, err := fmt.Fprintf(a.stdout, "%d rows to %s\n", n, path); err != nil {
			return err
		}
	} else if _, err := export.Write(ctx, a.stdout, svc, a.actor, v.f, f, t, loc); err != nil {
		return err
	}
	// The file's name is the subject (a subject holds 100 characters; a
	// folder can be longer), the range and the folder the reason.
	reason := fmt.Sprintf("%s..%s", f, t)
	if subject != "stdout" {
		reason += " into " + filepath.Dir(subject)
		subject = filepath.Base(subject)
	}
	return svc.RecordAudit(ctx, a.actor, "export", subject, reason)
}
