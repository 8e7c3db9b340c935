package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
)

func cmdOps(ctx context.Context, a *app, args []string) error {
	fs := newFlags("ops")
	date := fs.String("date", "", "business day YYYY-MM-DD (default today; with --client: only that day)")
	client := fs.String("client", "", "only this client's operations, newest first")
	reg := fs.String("register", "", "only operations touching this register")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	var day finance.Date
	if *date != "" {
		d, err := finance.ParseDate(*date)
		if err != nil {
			return err
		}
		day = d
	}
	svc, st, err := a.reportBooks(ctx)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	regID := ""
	if *reg != "" {
		if regID, err = register(st, *reg); err != nil {
			return err
		}
	}
	var ops []finance.Operation
	var clientID *finance.ClientID
	if *client != "" {
		id, err := parseClientID(*client)
		if err != nil {
			return err
		}
		clientID = &id
		if ops, err = clientOps(ctx, svc, id); err != nil {
			return err
		}
	} else {
		if day == "" {
			if day, err = svc.Today(ctx); err != nil {
				return err
			}
		}
		if ops, err = svc.DayOperations(ctx, a.actor, day, regID); err != nil {
			return err
		}
	}
	ops = filterOps(ops, day, regID)
	if *asJSON {
		out := make([]opJSON, 0, len(ops))
		for _, o := range ops {
			out = append(out, v.op(o))
		}
		return writeJSON(a.stdout, out)
	}
	if len(ops) == 0 {
		_, err := fmt.Fprintln(a.stdout, "no operations")
		return err
	}
	return opsTable(a.stdout, v, ops, clientID)
}

// clientOps reads a client's whole history, newest first, page by page.
func clientOps(ctx context.Context, svc *finance.Service, id finance.ClientID) ([]finance.Operation, error) {
	var all []finance.Operation
	page := finance.Page{Limit: 500}
	for {
		cv, err := svc.ClientView(ctx, id, page)
		if err != nil {
			return nil, err
		}
		all = append(all, cv.History...)
		if !cv.More || len(cv.History) == 0 {
			return all, nil
		}
		page.Before = cv.History[len(cv.History)-1].ID
	}
}

func filterOps(ops []finance.Operation, day finance.Date, reg string) []finance.Operation {
	out := ops[:0:0]
	for _, o := range ops {
		if day != "" && o.BusinessDate != day {
			continue
		}
		if reg != "" && !touches(o, finance.RegisterAccount(reg)) {
			continue
		}
		out = append(out, o)
	}
	return out
}

func touches(o finance.Operation, acc finance.AccountID) bool {
	for _, p := range o.Postings {
		if p.Account == acc {
			return true
		}
	}
	return false
}

// opsTable lists operations; for one client it also shows what each did to
// their balance.
func opsTable(w io.Writer, v view, ops []finance.Operation, client *finance.ClientID) error {
	header := []string{"ID", "DATE", "TIME", "KIND", "AMOUNT"}
	if client != nil {
		header = append(header, "BALANCE +/-")
	} else {
		header = append(header, "CLIENT")
	}
	t := newTable(w, append(header, "STAFF", "NOTE")...)
	for _, o := range ops {
		j := v.op(o)
		row := []string{strconv.FormatUint(uint64(o.ID), 10), string(o.BusinessDate),
			o.Time.In(v.loc).Format("15:04"), string(o.Kind), j.AmountText}
		if client != nil {
			var delta int64
			for _, p := range o.Postings {
				if p.Account == finance.ClientAccount(*client) {
					delta -= p.Amount // credit-normal: a credit is money owed to the client
				}
			}
			row = append(row, signed(v, delta))
		} else if o.ClientID != 0 {
			row = append(row, strconv.FormatUint(uint64(o.ClientID), 10))
		} else {
			row = append(row, "-")
		}
		note := o.Comment
		switch {
		case o.ReversedBy != 0:
			note = fmt.Sprintf("[reversed by %d] %s", o.ReversedBy, note)
		case o.Reverses != 0:
			note = fmt.Sprintf("[reverses %d] %s", o.Reverses, note)
		}
		t.row(append(row, o.Staff, short(note, 50))...)
	}
	return t.flush()
}

func signed(v view, n int64) string {
	switch {
	case n > 0:
		return "+" + v.f.Format(n)
	case n < 0:
		return "-" + v.f.Format(-n)
	}
	return "0"
}

func cmdTotals(ctx context.Context, a *app, args []string) error {
	fs := newFlags("totals")
	days := dayRangeFlags(fs, "business day YYYY-MM-DD (default today)")
	date, from, to := days.date, days.from, days.to
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := days.check(fs); err != nil {
		return err
	}
	svc, st, err := a.reportBooks(ctx)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	if *from != "" {
		f, err := finance.ParseDate(*from)
		if err != nil {
			return err
		}
		t, err := finance.ParseDate(*to)
		if err != nil {
			return err
		}
		if t < f {
			return fmt.Errorf("%w: --to %s is before --from %s", finance.ErrInvalid, t, f)
		}
		if f.AddDays(366) < t {
			return fmt.Errorf("%w: a range is at most 366 days", finance.ErrInvalid)
		}
		byReg, err := svc.RangeTotals(ctx, a.actor, f, t)
		if err != nil {
			return err
		}
		out := rangeTotalsJSON{From: f, To: t, Currency: st.Currency, Days: []dayTotalsJSON{}}
		for d := f; d <= t; d = d.AddDays(1) {
			day := dayTotalsJSON{Date: d, Currency: st.Currency, Registers: []registerTotalsJSON{}}
			for _, r := range st.Registers {
				for _, dt := range byReg[r.ID] {
					if dt.Date == d {
						day.Registers = append(day.Registers, v.totals(dt))
					}
				}
			}
			out.Days = append(out.Days, day)
		}
		if *asJSON {
			return writeJSON(a.stdout, out)
		}
		for i, day := range out.Days {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			if err := totalsTable(a.stdout, st, day); err != nil {
				return err
			}
		}
		return nil
	}
	var d finance.Date
	if *date != "" {
		if d, err = finance.ParseDate(*date); err != nil {
			return err
		}
	} else if d, err = svc.Today(ctx); err != nil {
		return err
	}
	list, err := svc.DayTotals(ctx, a.actor, d)
	if err != nil {
		return err
	}
	out := dayTotalsJSON{Date: d, Currency: st.Currency, Registers: []registerTotalsJSON{}}
	for _, t := range list {
		out.Registers = append(out.Registers, v.totals(t))
	}
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	return totalsTable(a.stdout, st, out)
}

func totalsTable(w io.Writer, st finance.Settings, day dayTotalsJSON) error {
	fmt.Fprintf(w, "%s · %s\n", st.Location, day.Date)
	t := newTable(w, "REGISTER", "OPENING", "IN", "OUT", "CLOSING", "POSTINGS")
	for _, r := range day.Registers {
		t.row(r.Name, r.OpeningText, r.InText, r.OutText, r.ClosingText, strconv.Itoa(r.Count))
	}
	if err := t.flush(); err != nil {
		return err
	}
	for _, r := range day.Registers {
		if len(r.ByKind) == 0 {
			continue
		}
		kinds := make([]string, 0, len(r.ByKind))
		for k := range r.ByKind {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = k + " " + r.ByKind[k].AmountText
		}
		fmt.Fprintf(w, "  %s: %s\n", r.Name, strings.Join(parts, ", "))
	}
	return nil
}

func cmdCheck(ctx context.Context, a *app, args []string) error {
	fs := newFlags("check")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	// Read-only, so a backup that may only be read can be checked, and a
	// check never writes into the file it checks.
	svc, _, err := a.readBooks(ctx)
	if err != nil {
		return err
	}
	// At a million operations a check takes a while: a terminal sees how
	// far it is (stderr only, never with --json).
	prog := newProgress(a.stderr, !*asJSON)
	// bbolt's own page-level check first: ledger sums mean little on a
	// damaged file.
	err = a.verify(ctx, func(step string, n int) { prog.set(step, n, 0) })
	if err != nil {
		prog.finish()
		return fmt.Errorf("database file check failed: %w", err)
	}
	rep, err := svc.CheckWithProgress(ctx, func(n, total int) { prog.set("the ledger's invariants, operations", n, total) })
	prog.finish()
	if err != nil {
		return err
	}
	if rep.Problems == nil {
		rep.Problems = []string{}
	}
	if *asJSON {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "checked %d operations, %d accounts, %d register days, %d sealed days\n", rep.Operations, rep.Accounts, rep.Days, rep.SealedDays)
		for _, p := range rep.Problems {
			fmt.Fprintf(a.stdout, "PROBLEM: %s\n", p)
		}
	}
	if n := len(rep.Problems); n > 0 {
		return fmt.Errorf("the books fail %d check(s); see the report above", n)
	}
	if !*asJSON {
		fmt.Fprintln(a.stdout, "ok: every invariant holds")
	}
	return nil
}

func cmdBackup(ctx context.Context, a *app, args []string) error {
	fs := newFlags("backup")
	force := fs.Bool("force", false, "replace an existing file at PATH")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if _, err := a.open(ctx, false); err != nil {
		return err
	}
	backup := a.db.Backup
	if *force {
		backup = a.db.BackupOverwrite
	}
	if err := backup(ctx, pos[0]); err != nil {
		if errors.Is(err, finance.ErrConflict) && !*force {
			return fmt.Errorf("%w, or add --force to replace it", err)
		}
		return err
	}
	size := ""
	if fi, err := os.Stat(pos[0]); err == nil {
		size = fmt.Sprintf(" (%d bytes)", fi.Size())
	}
	_, err = fmt.Fprintf(a.stdout, "backup written to %s%s\n", pos[0], size)
	return err
}

// verify runs the file check. A read-only open leaves the damage marker to
// its caller: it is a file beside the database, never a write into it, so
// check still leaves it (or removes it once the file passes) where the folder
// allows, and says so when it cannot.
func (a *app) verify(ctx context.Context, progress func(step string, done int)) error {
	err := a.db.VerifyWithProgress(ctx, progress)
	if !a.db.ReadOnly() {
		return err
	}
	var ve *store.VerifyError
	switch {
	case errors.As(err, &ve):
		if merr := store.WriteDamageMarker(a.db.Path(), err); merr != nil {
			return fmt.Errorf("%w (and the marker that stops writes could not be left beside it: %v)", err, merr)
		}
	case err == nil:
		if merr := store.RemoveDamageMarker(a.db.Path()); merr != nil {
			fmt.Fprintf(a.stderr, "paydesk: warning: the file passes, but its damage marker stays: %v\n", merr)
		}
	}
	return err
}
