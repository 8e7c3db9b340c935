package main

// The payment sync's inbox from the CLI: sync list|show|retry|resolve.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

func syncCommands() []command {
	return []command{
		{"sync list", "[--status pending|applied|failed|flagged|resolved|ignored] [--limit N] [--json]",
			"the payment sync's events, newest first, with each one's outcome and reason", cmdSyncList},
		{"sync show", "EVENT_ID [--json]", "one event: its outcome, the reason in words, the operations it posted", cmdSyncShow},
		{"sync retry", "EVENT_ID [--json]",
			"apply a failed event (or a flagged one that posted nothing) again, now, as the sync worker does; it posts at most once", cmdSyncRetry},
		{"sync resolve", "EVENT_ID --reason TEXT [--json]",
			"close a flagged event once it is dealt with (admin; audited); it keeps its flag's reason", cmdSyncResolve},
	}
}

type eventJSON struct {
	ID         string              `json:"id"`
	Provider   string              `json:"provider"`
	Type       string              `json:"type"` // the provider's: payment_intent.succeeded
	Kind       finance.EventType   `json:"kind"` // paydesk's: payment_succeeded
	Status     finance.InboxStatus `json:"status"`
	Reason     string              `json:"reason"` // why: the flag, the failure, what it did
	Resolution string              `json:"resolution,omitempty"`
	Created    time.Time           `json:"created"`
	Received   time.Time           `json:"received"`
	Attempts   int                 `json:"attempts"`
	NextTry    *time.Time          `json:"next_try,omitempty"`
	Operation  finance.OperationID `json:"operation,omitempty"`
	ObjectID   string              `json:"object_id,omitempty"`
	PaymentRef string              `json:"payment_ref,omitempty"`
	BookingID  string              `json:"booking_id,omitempty"`
	Amount     int64               `json:"amount,omitempty"`
	Currency   string              `json:"currency,omitempty"`
	AmountText string              `json:"amount_text,omitempty"` // only in the location's currency
}

type eventViewJSON struct {
	eventJSON
	Operations []opJSON `json:"operations"`
}

func (v view) event(e finance.ProviderEvent) eventJSON {
	out := eventJSON{ID: e.ID, Provider: e.Provider, Type: e.RawType, Kind: e.Type, Status: e.Status, Reason: e.Error,
		Resolution: e.Resolution, Created: e.Created, Received: e.Received, Attempts: e.Attempts, Operation: e.Operation,
		ObjectID: e.ObjectID, PaymentRef: e.PaymentRef, BookingID: e.Metadata[finance.MetaBookingID],
		Amount: e.Amount, Currency: strings.ToUpper(e.Currency)}
	if out.Type == "" {
		out.Type = string(e.Type)
	}
	if !e.NextTry.IsZero() && e.Status == finance.InboxFailed {
		t := e.NextTry
		out.NextTry = &t
	}
	if e.Amount != 0 && strings.EqualFold(e.Currency, v.st.Currency) {
		out.AmountText = v.f.Format(e.Amount)
	}
	return out
}

func cmdSyncList(ctx context.Context, a *app, args []string) error {
	fs := newFlags("sync list")
	status := fs.String("status", "", "only events of this status: pending, applied, failed, flagged (not yet resolved), resolved or ignored")
	limit := fs.Int("limit", 100, "at most this many events (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *limit < 0 {
		return usagef(fs, "--limit must be 0 or more")
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	evs, err := svc.InboxList(ctx, finance.InboxStatus(strings.ToLower(strings.TrimSpace(*status))), *limit)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	out := make([]eventJSON, 0, len(evs))
	for _, e := range evs {
		out = append(out, v.event(e))
	}
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	if len(out) == 0 {
		_, err := fmt.Fprintln(a.stdout, "no events")
		return err
	}
	t := newTable(a.stdout, "RECEIVED", "EVENT", "TYPE", "STATUS", "TRIES", "OP", "REASON")
	for _, e := range out {
		op := ""
		if e.Operation != 0 {
			op = strconv.FormatUint(uint64(e.Operation), 10)
		}
		t.row(e.Received.In(v.loc).Format("2006-01-02 15:04"), e.ID, e.Type, string(e.Status),
			strconv.Itoa(e.Attempts), op, short(e.Reason, 70))
	}
	return t.flush()
}

func cmdSyncShow(ctx context.Context, a *app, args []string) error {
	fs := newFlags("sync show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	e, err := svc.Event(ctx, pos[0])
	if err != nil {
		return err
	}
	ops, err := svc.EventOperations(ctx, e.ID)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	return a.printEvent(v, e, ops, *asJSON)
}

func (a *app) printEvent(v view, e finance.ProviderEvent, ops []finance.Operation, asJSON bool) error {
	out := eventViewJSON{eventJSON: v.event(e), Operations: []opJSON{}}
	for _, o := range ops {
		out.Operations = append(out.Operations, v.op(o))
	}
	if asJSON {
		return writeJSON(a.stdout, out)
	}
	w := a.stdout
	fmt.Fprintf(w, "event %s  %s\n", e.ID, e.Status)
	line := func(label, val string) {
		if val != "" {
			fmt.Fprintf(w, "%-10s%s\n", label, val)
		}
	}
	line("type", out.Type+" ("+string(e.Type)+")")
	line("created", e.Created.In(v.loc).Format("2006-01-02 15:04:05"))
	line("received", e.Received.In(v.loc).Format("2006-01-02 15:04:05"))
	line("tries", strconv.Itoa(e.Attempts))
	if out.NextTry != nil {
		line("next try", out.NextTry.In(v.loc).Format("2006-01-02 15:04:05"))
	}
	line("object", e.ObjectID)
	if e.PaymentRef != e.ObjectID {
		line("payment", e.PaymentRef)
	}
	line("booking", out.BookingID)
	switch {
	case out.AmountText != "":
		line("amount", out.AmountText)
	case e.Amount != 0:
		line("amount", fmt.Sprintf("%d %s minor units", e.Amount, out.Currency))
	}
	line("reason", e.Error)
	line("resolved", e.Resolution)
	if len(out.Operations) == 0 {
		_, err := fmt.Fprintln(w, "\nno operations posted")
		return err
	}
	fmt.Fprintln(w, "\noperations:")
	t := newTable(w, "OP", "DATE", "KIND", "AMOUNT", "REF")
	for _, o := range out.Operations {
		t.row(strconv.FormatUint(uint64(o.ID), 10), string(o.BusinessDate), string(o.Kind), o.AmountText, o.ProviderRef)
	}
	return t.flush()
}

func cmdSyncRetry(ctx context.Context, a *app, args []string) error {
	fs := newFlags("sync retry")
	asJSON := fs.Bool("json", false, "print the event as JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	id := pos[0]
	e, err := svc.Event(ctx, id)
	if err != nil {
		return err
	}
	if e.Status == finance.InboxApplied {
		// Asked twice (or after the worker got there first): it posted once.
		fmt.Fprintf(a.stderr, "paydesk: event %s is applied already; nothing posted again\n", id)
	} else {
		if err := svc.RetryEvent(ctx, a.actor, id); err != nil {
			return err
		}
		prov, err := a.stripeProvider()
		if err != nil {
			return err
		}
		// The same path as serve's worker: the provider asked for what the
		// event left out, then the one apply, which posts at most once.
		w := payments.NewWorker(svc, prov, payments.Options{Logger: a.log})
		if e, err = w.ApplyNow(ctx, id); err != nil {
			return err
		}
	}
	ops, err := svc.EventOperations(ctx, id)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	if err := a.printEvent(v, e, ops, *asJSON); err != nil {
		return err
	}
	if e.Status == finance.InboxFailed || e.Status == finance.InboxPending {
		return fmt.Errorf("%w: event %s did not apply: %s; it is tried again with backoff (or run sync retry later)",
			finance.ErrConflict, id, firstLine(e.Error))
	}
	return nil
}

func cmdSyncResolve(ctx context.Context, a *app, args []string) error {
	fs := newFlags("sync resolve")
	reason := fs.String("reason", "", "what was done about the flag (required; kept with the event and in the audit log)")
	asJSON := fs.Bool("json", false, "print the event as JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "reason"); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	e, err := svc.ResolveEvent(ctx, a.actor, pos[0], *reason)
	if err != nil {
		return err
	}
	ops, err := svc.EventOperations(ctx, e.ID)
	if err != nil && !errors.Is(err, finance.ErrNotFound) {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	return a.printEvent(v, e, ops, *asJSON)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return cmp.Or(s, "no reason recorded")
}
