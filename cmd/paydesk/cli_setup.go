package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/demo"
	"github.com/paydesk/paydesk/store"
)

func cmdInit(ctx context.Context, a *app, args []string) error {
	fs := newFlags("init")
	s := a.cfg.Setup
	fs.StringVar(&s.Location, "location", s.Location, "the location's name")
	fs.StringVar(&s.Currency, "currency", s.Currency, "ISO 4217 currency code")
	fs.StringVar(&s.Locale, "locale", s.Locale, "BCP 47 locale for formatting amounts")
	fs.StringVar(&s.TimeZone, "timezone", s.TimeZone, "IANA time zone of the business day")
	fs.StringVar(&s.PhoneRegion, "region", s.PhoneRegion, "two-letter country code for local phone numbers")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	s.Currency, s.PhoneRegion = strings.ToUpper(s.Currency), strings.ToUpper(s.PhoneRegion)
	st := s.Settings()
	if err := precheck(st); err != nil {
		return err
	}
	err := a.newDatabase(ctx, func(svc *finance.Service) error { return svc.Setup(ctx, st, "", "") })
	if errors.Is(err, finance.ErrConflict) {
		return fmt.Errorf("%w: %s is already set up", finance.ErrConflict, a.cfg.DB)
	}
	if err != nil {
		return err
	}
	regs := make([]string, len(st.Registers))
	for i, r := range st.Registers {
		regs[i] = fmt.Sprintf("%s (%s)", r.Name, r.ID)
	}
	if saved, err := a.svc.Settings(ctx); err == nil {
		st = saved // as stored: an empty locale reads "en"
	}
	// The desk opens with a PIN, and init made no one who has one.
	_, err = fmt.Fprintf(a.stdout, "set up %s for %s: %s, %s, %s, phone region %s\nregisters: %s\n"+
		"commands work now; to open the desk, add yourself first: paydesk staff add --name NAME --role admin\n",
		a.cfg.DB, st.Location, st.Currency, st.Locale, st.TimeZone, st.PhoneRegion, strings.Join(regs, ", "))
	return err
}

// precheck catches what setup would refuse before any file is made.
func precheck(st finance.Settings) error {
	if strings.TrimSpace(st.Location) == "" {
		return fmt.Errorf("%w: the location needs a name (--location)", finance.ErrInvalid)
	}
	if _, err := finance.NewFormatter(st.Currency, st.Locale); err != nil {
		return fmt.Errorf("currency %q / locale %q: %w", st.Currency, st.Locale, err)
	}
	if _, err := time.LoadLocation(st.TimeZone); err != nil || st.TimeZone == "" {
		return fmt.Errorf("%w: time zone %q is not an IANA zone such as Europe/Kyiv", finance.ErrInvalid, st.TimeZone)
	}
	if len(st.PhoneRegion) != 2 {
		return fmt.Errorf("%w: phone region %q is not a two-letter country code such as UA", finance.ErrInvalid, st.PhoneRegion)
	}
	return nil
}

// newDatabase opens (creating) the database and runs fill. If the file was
// made here and fill fails, the file is removed again, so a refused init or
// demo leaves nothing behind.
func (a *app) newDatabase(ctx context.Context, fill func(svc *finance.Service) error) error {
	created := !store.Exists(a.cfg.DB)
	svc, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	if err := fill(svc); err != nil {
		if created {
			a.close()
			if rmErr := os.Remove(a.cfg.DB); rmErr != nil {
				a.log.Error("remove half-made database", "err", rmErr)
			}
		}
		return err
	}
	return nil
}

func cmdDemo(ctx context.Context, a *app, args []string) error {
	fs := newFlags("demo")
	clients := fs.Int("clients", 40, "how many clients")
	days := fs.Int("days", 30, "days of history, today included")
	seed := fs.Uint64("seed", 1, "the same seed makes the same demo")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *clients < 1 || *clients > 10000 {
		return usagef(fs, "--clients must be 1 to 10000")
	}
	if *days < 1 || *days > 365 {
		return usagef(fs, "--days must be 1 to 365")
	}
	st := a.cfg.Setup.Settings()
	var sum demo.Summary
	err := a.newDatabase(ctx, func(svc *finance.Service) error {
		var err error
		sum, err = demo.Fill(ctx, a.db, demo.Options{Settings: st, Days: *days, Clients: *clients,
			Seed: *seed, Staff: a.actor.Staff, Rights: a.cfg.RightsTable()})
		return err
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.stdout, sum)
	}
	w := a.stdout
	fmt.Fprintf(w, "demo data for %s written to %s\n", sum.Location, a.cfg.DB)
	fmt.Fprintf(w, "%d clients, %d operations from %s to %s:\n", sum.Clients, sum.Operations, sum.From, sum.To)
	kinds := make([]string, 0, len(sum.ByKind))
	for k := range sum.ByKind {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %-18s %d\n", k, sum.ByKind[finance.OpKind(k)])
	}
	for _, n := range sum.Notes {
		fmt.Fprintln(w, n)
	}
	_, err = fmt.Fprintln(w, "try: paydesk totals · paydesk client list · paydesk ops --date", sum.To)
	return err
}
