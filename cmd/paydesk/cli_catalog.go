package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/paydesk/paydesk/finance"
)

// The service and product list from the command line: the same service
// methods as the catalogue screen (finance/catalog.go).

func catalogCommands() []command {
	return []command{
		{"catalog add", "--name N --price P [--kind service|product] [--duration MIN] [--staff NAME] [--json]",
			"add a service or product to the list checkout picks from; prints its id", cmdCatalogAdd},
		{"catalog list", "[--search Q] [--all] [--json]", "the service and product list (--all: deactivated items too)", cmdCatalogList},
		{"catalog edit", "ID [--name N] [--price P] [--kind K] [--duration MIN] [--staff NAME] [--active=false] [--json]",
			"change an item; --active=false takes it off the checkout's list", cmdCatalogEdit},
	}
}

type itemJSON struct {
	ID        finance.ItemID   `json:"id"`
	Name      string           `json:"name"`
	Kind      finance.ItemKind `json:"kind"`
	Price     int64            `json:"price"`
	PriceText string           `json:"price_text"`
	Currency  string           `json:"currency"`
	Duration  int              `json:"duration"` // minutes, 0 = not said
	Staff     string           `json:"staff"`
	Active    bool             `json:"active"`
	Created   time.Time        `json:"created"`
	Updated   time.Time        `json:"updated"`
}

func (v view) item(it finance.CatalogItem) itemJSON {
	return itemJSON{ID: it.ID, Name: it.Name, Kind: it.Kind, Price: it.Price, PriceText: v.f.Format(it.Price),
		Currency: it.Currency, Duration: it.Duration, Staff: it.Staff, Active: it.Active,
		Created: it.Created.In(v.loc), Updated: it.Updated.In(v.loc)}
}

func parseItemID(s string) (finance.ItemID, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%w: %q is not an item id, which is a number from 1 (see `paydesk catalog list`)", finance.ErrInvalid, s)
	}
	return finance.ItemID(n), nil
}

func itemFlags(fs *pflag.FlagSet) (name, price, kind *string, duration *int, staff *string) {
	name = fs.String("name", "", "what the desk and the receipt call it")
	price = fs.String("price", "", "its price, e.g. 45 or 45.50")
	kind = fs.String("kind", "service", "service or product")
	duration = fs.Int("duration", 0, "minutes a service takes (0 = not said)")
	staff = fs.String("staff", "", "who usually does it: the checkout line's default stylist")
	return
}

func cmdCatalogAdd(ctx context.Context, a *app, args []string) error {
	fs := newFlags("catalog add")
	name, price, kind, duration, staff := itemFlags(fs)
	asJSON := fs.Bool("json", false, "print the item as JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := required(fs, "name", "price"); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	p, err := amount(st, "price", *price, true)
	if err != nil {
		return err
	}
	it, err := svc.AddCatalogItem(ctx, a.actor, finance.NewItem{Name: *name, Price: p, Kind: finance.ItemKind(*kind),
		Duration: *duration, Staff: *staff})
	if err != nil {
		return err
	}
	return a.printItem(st, it, *asJSON)
}

func (a *app) printItem(st finance.Settings, it finance.CatalogItem, asJSON bool) error {
	if !asJSON {
		_, err := fmt.Fprintln(a.stdout, it.ID)
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	return writeJSON(a.stdout, v.item(it))
}

func cmdCatalogList(ctx context.Context, a *app, args []string) error {
	fs := newFlags("catalog list")
	q := fs.String("search", "", "words of the name (each a prefix)")
	all := fs.Bool("all", false, "deactivated items too")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
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
	items, err := svc.Catalog(ctx, finance.CatalogFilter{Query: *q, All: *all})
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]itemJSON, 0, len(items))
		for _, it := range items {
			out = append(out, v.item(it))
		}
		return writeJSON(a.stdout, out)
	}
	if len(items) == 0 {
		_, err := fmt.Fprintln(a.stdout, "no items (add one with `paydesk catalog add --name N --price P`)")
		return err
	}
	t := newTable(a.stdout, "ID", "NAME", "KIND", "PRICE", "MIN", "STAFF", "ACTIVE")
	for _, it := range items {
		dur, active := "", "yes"
		if it.Duration > 0 {
			dur = strconv.Itoa(it.Duration)
		}
		if !it.Active {
			active = "no"
		}
		t.row(strconv.FormatUint(uint64(it.ID), 10), short(it.Name, 40), string(it.Kind), v.f.Format(it.Price), dur, it.Staff, active)
	}
	return t.flush()
}

func cmdCatalogEdit(ctx context.Context, a *app, args []string) error {
	fs := newFlags("catalog edit")
	name, price, kind, duration, staff := itemFlags(fs)
	active := fs.Bool("active", true, "false takes the item off the checkout's list; true puts it back")
	asJSON := fs.Bool("json", false, "print the item as JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	id, err := parseItemID(pos[0])
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
	var u finance.ItemUpdate
	if set["name"] {
		u.Name = name
	}
	if set["kind"] {
		k := finance.ItemKind(*kind)
		u.Kind = &k
	}
	if set["duration"] {
		u.Duration = duration
	}
	if set["staff"] {
		u.Staff = staff
	}
	if set["active"] {
		u.Active = active
	}
	if u == (finance.ItemUpdate{}) && !set["price"] {
		return usagef(fs, "nothing to change: give at least one of --name, --price, --kind, --duration, --staff, --active")
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	if set["price"] {
		p, err := amount(st, "price", *price, true)
		if err != nil {
			return err
		}
		u.Price = &p
	}
	it, err := svc.EditCatalogItem(ctx, a.actor, id, u)
	if err != nil {
		return err
	}
	return a.printItem(st, it, *asJSON)
}
