package main

// The chain: `paydesk serve` ships this location's books to the central
// PostgreSQL ([replicate] url, location); `paydesk replicate ...` says how
// far it is and checks it, `paydesk chain ...` reports across locations.

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/replicate"
)

func replicateCommands() []command {
	return []command{
		{"replicate status", "[--json]", "how far behind the chain's central database this location is", cmdReplicateStatus},
		{"replicate sync", "", "ship everything not yet shipped now, and wait for it", cmdReplicateSync},
		{"replicate verify", "[--json]", "compare counts and sums per day with the central database; exit 1 at the first difference", cmdReplicateVerify},
		{"chain totals", "[--date YYYY-MM-DD | --from D --to D] [--json]", "every location's registers: opening, in, out, closing, by kind", cmdChainTotals},
		{"chain clients", "--search Q [--limit N] [--json]", "clients across locations, matched by phone, with each location's balance", cmdChainClients},
		{"chain refunds-due", "[--json]", "canceled bookings with money left to refund, at every location", cmdChainRefundsDue},
	}
}

// replicator builds this location's replicator from the config, or nil when
// replication is not configured. It ships the file's records, not the
// service's operations, so it is given the store this process opened.
func (a *app) replicator() (*replicate.Replicator, error) {
	if !a.cfg.ReplicateURL.IsSet() {
		return nil, nil
	}
	return replicate.New(replicate.Options{URL: a.cfg.ReplicateURL.Reveal(), Location: a.cfg.ReplicateLocation,
		Store: a.db, Log: a.log.With("part", "replicate")})
}

// runReplication ships in the background until ctx ends, and looks at once
// after each write to the books instead of at the next poll.
func runReplication(ctx context.Context, r *replicate.Replicator, svc *finance.Service) (wait func()) {
	changes, cancel := svc.Subscribe()
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-changes:
				if !ok {
					return
				}
				r.Poke()
			}
		}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		_ = r.Run(ctx)
	}()
	return func() { <-done; <-done; cancel() }
}

// chainBadge is the header's replication badge.
func chainBadge(r *replicate.Replicator) func() (string, bool) {
	return func() (string, bool) {
		st := r.Status()
		n := st.Behind.Total()
		switch {
		case !st.Connected && st.LastError != "":
			return fmt.Sprintf("chain offline, %d behind", n), true
		case !st.Connected:
			return "chain connecting", false
		case n > 0:
			return fmt.Sprintf("chain %d behind", n), false
		}
		return "chain ✓", false
	}
}

var errNoReplication = fmt.Errorf("%w: replication is not configured: set [replicate] url and location in the config file (or PAYDESK_REPLICATE_URL and PAYDESK_REPLICATE_LOCATION)", finance.ErrInvalid)

// central connects to the chain's database for a report, after checking
// the actor may see the chain.
func (a *app) central(ctx context.Context) (*pgx.Conn, error) {
	if !a.cfg.ReplicateURL.IsSet() {
		return nil, errNoReplication
	}
	if a.svc != nil && !a.svc.Allowed(a.actor, finance.RightChain) {
		return nil, fmt.Errorf("%w: %s (%s) may not %s", finance.ErrForbidden, a.actor.Staff, a.actor.Role, finance.RightChain.Description())
	}
	return replicate.Connect(ctx, a.cfg.ReplicateURL.Reveal())
}

type replicateStatusJSON struct {
	replicate.Status
	CentralCursor *replicate.Cursor `json:"central_cursor,omitempty"`
	CentralError  string            `json:"central_error,omitempty"`
}

func cmdReplicateStatus(ctx context.Context, a *app, args []string) error {
	fs := newFlags("replicate status")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if !a.cfg.ReplicateURL.IsSet() {
		return errNoReplication
	}
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	var out replicateStatusJSON
	if a.repl != nil {
		out.Status = a.repl.Status()
	} else {
		// No serve running: what the file says, and the central cursor if it answers.
		out.Status = replicate.Status{Location: a.cfg.ReplicateLocation, Central: replicate.Redact(a.cfg.ReplicateURL.Reveal())}
		lc, err := replicate.ReadLocalCursor(ctx, a.db)
		if err != nil {
			return err
		}
		out.Shipped, out.ShippedAt = lc.Shipped, lc.At
		if out.Local, err = svc.Heads(ctx); err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		cur, err := centralCursor(cctx, a.cfg.ReplicateURL.Reveal(), a.cfg.ReplicateLocation)
		cancel()
		if err != nil {
			out.CentralError = finance.Message(err)
		} else {
			out.CentralCursor = &cur
			out.Shipped = cur
		}
	}
	out.Behind = behindOf(out.Local, out.Shipped)
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	w := a.stdout
	fmt.Fprintf(w, "location %s -> %s\n", out.Location, out.Central)
	switch {
	case out.Running && out.Connected:
		fmt.Fprintln(w, "replicating: paydesk serve is connected")
	case out.Running:
		fmt.Fprintln(w, "replicating: paydesk serve is trying to reach the central database")
	default:
		fmt.Fprintln(w, "not replicating now: `paydesk serve` ships the books")
	}
	fmt.Fprintf(w, "local:    operation %d, audit entry %d, change %d\n", out.Local.Operation, out.Local.Audit, out.Local.Change)
	fmt.Fprintf(w, "shipped:  operation %d, audit entry %d, change %d", out.Shipped.Operation, out.Shipped.Audit, out.Shipped.Change)
	if !out.ShippedAt.IsZero() {
		fmt.Fprintf(w, " (last batch %s ago)", time.Since(out.ShippedAt).Round(time.Second))
	}
	fmt.Fprintln(w)
	if n := out.Behind.Total(); n == 0 {
		fmt.Fprintln(w, "behind:   nothing: the central database has everything")
	} else {
		fmt.Fprintf(w, "behind:   %d operations, %d audit entries, %d changed records\n", out.Behind.Operations, out.Behind.Audit, out.Behind.Changes)
	}
	if out.LastError != "" {
		fmt.Fprintf(w, "last error (%s ago): %s\n", time.Since(out.ErrorAt).Round(time.Second), out.LastError)
	}
	if out.CentralError != "" {
		fmt.Fprintf(w, "central database: %s\n", out.CentralError)
	}
	return nil
}

func behindOf(local, shipped replicate.Cursor) replicate.Behind {
	sub := func(a, b uint64) uint64 {
		if a > b {
			return a - b
		}
		return 0
	}
	return replicate.Behind{Operations: sub(uint64(local.Operation), uint64(shipped.Operation)),
		Audit: sub(local.Audit, shipped.Audit), Changes: sub(local.Change, shipped.Change)}
}

func centralCursor(ctx context.Context, url, location string) (replicate.Cursor, error) {
	conn, err := replicate.Connect(ctx, url)
	if err != nil {
		return replicate.Cursor{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	locs, err := replicate.Locations(ctx, conn)
	if err != nil {
		return replicate.Cursor{}, err
	}
	for _, l := range locs {
		if l.ID == location {
			return l.Cursor, nil
		}
	}
	return replicate.Cursor{}, nil
}

func cmdReplicateSync(ctx context.Context, a *app, args []string) error {
	fs := newFlags("replicate sync")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	if a.repl != nil {
		// Inside serve: its replicator ships; wait until it has caught up.
		deadline := time.Now().Add(2 * time.Minute)
		for {
			a.repl.Poke()
			st := a.repl.Status()
			local, err := svc.Heads(ctx)
			if err != nil {
				return err
			}
			if st.Connected && st.Shipped == local {
				fmt.Fprintf(a.stdout, "shipped: everything through operation %d\n", local.Operation)
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%w: still %d behind after 2 minutes: %s", replicate.ErrCentral, behindOf(local, st.Shipped).Total(), st.LastError)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	r, err := a.replicator()
	if err != nil {
		return err
	}
	if r == nil {
		return errNoReplication
	}
	n, err := r.SyncOnce(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "shipped %d operations; the central database has everything\n", n)
	return nil
}

func cmdReplicateVerify(ctx context.Context, a *app, args []string) error {
	fs := newFlags("replicate verify")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if _, _, err := a.books(ctx); err != nil {
		return err
	}
	conn, err := a.central(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rep, err := replicate.Verify(ctx, a.db, conn, a.cfg.ReplicateLocation)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "compared %d operations over %d days through operation %d (local has %d)\n",
			rep.Operations, rep.Days, rep.Through.Operation, rep.Local.Operation)
		if rep.Difference == nil {
			fmt.Fprintln(a.stdout, "ok: the central database matches this file")
		}
	}
	if rep.Difference != nil {
		return fmt.Errorf("the central database differs from this file: first difference at %s", rep.Difference)
	}
	return nil
}

// ---- chain reports

type chainLocationJSON struct {
	Location  string               `json:"location"`
	Name      string               `json:"name"`
	Currency  string               `json:"currency"`
	ShippedAt time.Time            `json:"shipped_at,omitzero"`
	Registers []registerTotalsJSON `json:"registers,omitempty"`
	Days      []dayTotalsJSON      `json:"days,omitempty"`
}

type chainTotalsJSON struct {
	Date      finance.Date        `json:"date,omitempty"`
	From      finance.Date        `json:"from,omitempty"`
	To        finance.Date        `json:"to,omitempty"`
	Locations []chainLocationJSON `json:"locations"`
}

func locationView(l replicate.Location) (view, finance.Settings, error) {
	st := finance.Settings{Location: l.Name + " (" + l.ID + ")", Currency: l.Currency, Locale: l.Locale,
		TimeZone: l.TimeZone, Registers: l.Registers}
	if st.TimeZone == "" {
		st.TimeZone = "UTC"
	}
	v, err := newView(st)
	return v, st, err
}

// locationViews is each location's money formatter and currency, by id, as
// the central database knows them: the chain's reports print every amount
// the way its own desk would.
func locationViews(ctx context.Context, conn *pgx.Conn) (map[string]view, map[string]string, error) {
	locs, err := replicate.Locations(ctx, conn)
	if err != nil {
		return nil, nil, err
	}
	views := map[string]view{}
	currency := map[string]string{}
	for _, l := range locs {
		v, _, err := locationView(l)
		if err != nil {
			return nil, nil, err
		}
		views[l.ID], currency[l.ID] = v, l.Currency
	}
	return views, currency, nil
}

func cmdChainTotals(ctx context.Context, a *app, args []string) error {
	fs := newFlags("chain totals")
	days := dayRangeFlags(fs, "business day YYYY-MM-DD (default today, UTC)")
	date, from, to := days.date, days.from, days.to
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := days.check(fs); err != nil {
		return err
	}
	rng := *from != ""
	var f, t finance.Date
	var err error
	switch {
	case rng:
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
		f = finance.Date(time.Now().UTC().Format(time.DateOnly))
		t = f
	}
	conn, err := a.central(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	all, err := replicate.Totals(ctx, conn, f, t)
	if err != nil {
		return err
	}
	out := chainTotalsJSON{Locations: []chainLocationJSON{}}
	if rng {
		out.From, out.To = f, t
	} else {
		out.Date = f
	}
	for _, lt := range all {
		v, st, err := locationView(lt.Location)
		if err != nil {
			return err
		}
		cl := chainLocationJSON{Location: lt.ID, Name: lt.Name, Currency: lt.Currency, ShippedAt: lt.ShippedAt}
		for d := f; d <= t; d = d.AddDays(1) {
			day := dayTotalsJSON{Date: d, Currency: lt.Currency, Registers: []registerTotalsJSON{}}
			for _, r := range st.Registers {
				for _, dt := range lt.Days[r.ID] {
					if dt.Date == d {
						day.Registers = append(day.Registers, v.totals(dt))
					}
				}
			}
			if rng {
				cl.Days = append(cl.Days, day)
			} else {
				cl.Registers = day.Registers
			}
		}
		out.Locations = append(out.Locations, cl)
		if !*asJSON {
			days := cl.Days
			if !rng {
				days = []dayTotalsJSON{{Date: f, Currency: lt.Currency, Registers: cl.Registers}}
			}
			for _, day := range days {
				if err := totalsTable(a.stdout, st, day); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout)
			}
		}
	}
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	if len(all) == 0 {
		fmt.Fprintln(a.stdout, "no location has shipped anything to the central database yet")
	}
	return nil
}

type chainClientJSON struct {
	Phone     string               `json:"phone"`
	Locations []chainClientAtJSON  `json:"locations"`
	Total     map[string]moneyJSON `json:"total_by_currency"`
}

type chainClientAtJSON struct {
	replicate.ClientAt
	Currency    string `json:"currency"`
	BalanceText string `json:"balance_text"`
}

func cmdChainClients(ctx context.Context, a *app, args []string) error {
	fs := newFlags("chain clients")
	q := fs.String("search", "", "name words or 3+ digits of a phone number (required)")
	limit := fs.Int("limit", 50, "at most this many people")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *q == "" {
		return usagef(fs, "--search is required")
	}
	conn, err := a.central(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	views, currency, err := locationViews(ctx, conn)
	if err != nil {
		return err
	}
	found, err := replicate.Clients(ctx, conn, *q, *limit)
	if err != nil {
		return err
	}
	out := []chainClientJSON{}
	for _, c := range found {
		cj := chainClientJSON{Phone: c.Phone, Total: map[string]moneyJSON{}}
		for _, at := range c.At {
			v := views[at.Location]
			cur := currency[at.Location]
			cj.Locations = append(cj.Locations, chainClientAtJSON{ClientAt: at, Currency: cur, BalanceText: v.f.Format(at.Balance)})
			tot := cj.Total[cur]
			tot.Amount += at.Balance
			tot.AmountText = v.f.Format(tot.Amount)
			cj.Total[cur] = tot
		}
		out = append(out, cj)
	}
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(a.stdout, "no client matches at any location")
		return nil
	}
	tw := newTable(a.stdout, "PHONE", "LOCATION", "CLIENT", "NAME", "BALANCE")
	for _, c := range out {
		for _, at := range c.Locations {
			tw.row(c.Phone, at.Location, strconv.FormatUint(uint64(at.ClientID), 10), at.Name, at.BalanceText)
		}
	}
	return tw.flush()
}

type refundDueJSON struct {
	replicate.RefundDue
	Currency string `json:"currency"`
	DueText  string `json:"due_text"`
}

func cmdChainRefundsDue(ctx context.Context, a *app, args []string) error {
	fs := newFlags("chain refunds-due")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	conn, err := a.central(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	views, currency, err := locationViews(ctx, conn)
	if err != nil {
		return err
	}
	due, err := replicate.RefundsDue(ctx, conn)
	if err != nil {
		return err
	}
	out := []refundDueJSON{}
	for _, r := range due {
		out = append(out, refundDueJSON{RefundDue: r, Currency: currency[r.Location], DueText: views[r.Location].f.Format(r.Due)})
	}
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(a.stdout, "no refunds due at any location")
		return nil
	}
	tw := newTable(a.stdout, "LOCATION", "BOOKING", "CLIENT", "PHONE", "SERVICE", "DUE")
	for _, r := range out {
		tw.row(r.Location, r.BookingID, r.ClientName, r.ClientPhone, r.Service, r.DueText)
	}
	return tw.flush()
}
