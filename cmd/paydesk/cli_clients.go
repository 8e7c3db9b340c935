package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/paydesk/paydesk/finance"
)

func cmdClientAdd(ctx context.Context, a *app, args []string) error {
	fs := newFlags("client add")
	name := fs.String("name", "", "client's name (required)")
	phone := fs.String("phone", "", "phone number, as typed; local numbers use the location's region (required)")
	email := fs.String("email", "", "email address")
	note := fs.String("note", "", "a note for the desk")
	asJSON := fs.Bool("json", false, "print the client as JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := required(fs, "name", "phone"); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	c, err := svc.CreateClient(ctx, a.actor, finance.NewClient{Name: *name, Phone: *phone, Email: *email, Note: *note})
	if err != nil {
		return err
	}
	if *asJSON {
		v, err := newView(st)
		if err != nil {
			return err
		}
		return writeJSON(a.stdout, v.client(c, 0))
	}
	_, err = fmt.Fprintln(a.stdout, c.ID)
	return err
}

func cmdClientList(ctx context.Context, a *app, args []string) error {
	fs := newFlags("client list")
	q := fs.String("search", "", "name words or at least 3 phone digits")
	limit := fs.Int("limit", 100, "at most this many clients")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *limit < 1 {
		return usagef(fs, "--limit must be at least 1")
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	list, err := svc.SearchClients(ctx, *q, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]clientJSON, 0, len(list))
		for _, c := range list {
			out = append(out, v.client(c.Client, c.Balance))
		}
		return writeJSON(a.stdout, out)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(a.stdout, "no clients found")
		return err
	}
	t := newTable(a.stdout, "ID", "NAME", "PHONE", "BALANCE")
	for _, c := range list {
		t.row(strconv.FormatUint(uint64(c.ID), 10), short(c.Name, 40), c.Phone, v.f.Format(c.Balance))
	}
	return t.flush()
}

func cmdClientShow(ctx context.Context, a *app, args []string) error {
	fs := newFlags("client show")
	limit := fs.Int("limit", 20, "history: at most this many operations, newest first")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *limit < 1 {
		return usagef(fs, "--limit must be at least 1")
	}
	id, err := parseClientID(pos[0])
	if err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	cv, err := svc.ClientView(ctx, id, finance.Page{Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		out := clientViewJSON{clientJSON: v.client(cv.Client, cv.Balance), Available: cv.Available,
			AvailableText: v.f.Format(cv.Available), History: []opJSON{}, More: cv.More}
		for _, o := range cv.History {
			out.History = append(out.History, v.op(o))
		}
		return writeJSON(a.stdout, out)
	}
	w := a.stdout
	fmt.Fprintf(w, "%s  (client %d)\n", cv.Name, cv.ID)
	fmt.Fprintf(w, "phone      %s\n", cv.Phone)
	if cv.Email != "" {
		fmt.Fprintf(w, "email      %s\n", cv.Email)
	}
	if cv.Note != "" {
		fmt.Fprintf(w, "note       %s\n", cv.Note)
	}
	fmt.Fprintf(w, "balance    %s\n", v.f.Format(cv.Balance))
	if cv.CreditLimit > 0 {
		fmt.Fprintf(w, "credit     %s (available %s)\n", v.f.Format(cv.CreditLimit), v.f.Format(cv.Available))
	}
	fmt.Fprintln(w)
	if len(cv.History) == 0 {
		_, err := fmt.Fprintln(w, "no operations yet")
		return err
	}
	if err := opsTable(w, v, cv.History, &id); err != nil {
		return err
	}
	if cv.More {
		fmt.Fprintf(w, "(older operations: `paydesk ops --client %d`)\n", cv.ID)
	}
	return nil
}
