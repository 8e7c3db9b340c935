package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/paydesk/paydesk/finance"
)

const usageClientEdit = "ID [--name N] [--phone P] [--email E] [--note N] [--credit-limit A] [--json]"

// cmdClientEdit changes only the fields given on the command line: a flag
// given empty (--note "") clears that field, an absent flag keeps it.
func cmdClientEdit(ctx context.Context, a *app, args []string) error {
	fs := newFlags("client edit")
	name := fs.String("name", "", "new name")
	phone := fs.String("phone", "", "new phone number, as typed; local numbers use the location's region")
	email := fs.String("email", "", "new email address (empty clears it)")
	note := fs.String("note", "", "new note for the desk (empty clears it)")
	credit := fs.String("credit-limit", "", "how far below zero the deposit may go, e.g. 50 (0 = no credit; needs the credit right)")
	asJSON := fs.Bool("json", false, "print the client as JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
	if !set["name"] && !set["phone"] && !set["email"] && !set["note"] && !set["credit-limit"] {
		return usagef(fs, "nothing to change: give at least one of --name, --phone, --email, --note, --credit-limit")
	}
	id, err := parseClientID(pos[0])
	if err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	var u finance.ClientUpdate
	pick := func(flagName string, v *string) *string {
		if set[flagName] {
			return v
		}
		return nil
	}
	u.Name, u.Phone, u.Email, u.Note = pick("name", name), pick("phone", phone), pick("email", email), pick("note", note)
	if set["credit-limit"] {
		limit, err := amount(st, "credit-limit", *credit, true)
		if err != nil {
			return err
		}
		u.CreditLimit = &limit
	}
	c, err := svc.UpdateClient(ctx, a.actor, id, u)
	if err != nil {
		return err
	}
	if !*asJSON {
		_, err = fmt.Fprintln(a.stdout, c.ID)
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	cv, err := svc.ClientView(ctx, id, finance.Page{Limit: 1})
	if err != nil {
		return err
	}
	return writeJSON(a.stdout, v.client(cv.Client, cv.Balance))
}
