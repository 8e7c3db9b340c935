package finance_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

func TestCatalogAddListEdit(t *testing.T) {
	f := newFixture(t)
	cut, err := f.svc.AddCatalogItem(f.ctx, f.mgr, finance.NewItem{Name: "Haircut", Price: 4500, Duration: 45, Staff: "ira"})
	must(t, err)
	if cut.ID == 0 || cut.Kind != finance.ItemService || cut.Currency != "EUR" || !cut.Active || cut.Staff != "Ira" {
		t.Fatalf("added %+v", cut)
	}
	_, err = f.svc.AddCatalogItem(f.ctx, f.admin, finance.NewItem{Name: "Shampoo Élan", Price: 1200, Kind: finance.ItemProduct})
	must(t, err)
	_, err = f.svc.AddCatalogItem(f.ctx, f.admin, finance.NewItem{Name: "Colour", Price: 9000, Duration: 90})
	must(t, err)

	all, err := f.svc.Catalog(f.ctx, finance.CatalogFilter{})
	must(t, err)
	if len(all) != 3 || all[0].Name != "Colour" || all[2].Name != "Shampoo Élan" {
		t.Fatalf("listed %+v", all)
	}
	for q, want := range map[string]int{"ha": 1, "co": 1, "elan": 1, "sham el": 1, "x": 0, "": 3} {
		got, err := f.svc.Catalog(f.ctx, finance.CatalogFilter{Query: q})
		must(t, err)
		if len(got) != want {
			t.Errorf("search %q: %d items, want %d", q, len(got), want)
		}
	}

	f.clock.Add(time.Minute)
	price, off := int64(5000), false
	ed, err := f.svc.EditCatalogItem(f.ctx, f.mgr, cut.ID, finance.ItemUpdate{Price: &price, Active: &off})
	must(t, err)
	if ed.Price != 5000 || ed.Active || !ed.Updated.After(ed.Created) {
		t.Fatalf("edited %+v", ed)
	}
	active, err := f.svc.Catalog(f.ctx, finance.CatalogFilter{})
	must(t, err)
	withOld, err := f.svc.Catalog(f.ctx, finance.CatalogFilter{All: true})
	must(t, err)
	if len(active) != 2 || len(withOld) != 3 {
		t.Errorf("after deactivating: %d active, %d in all", len(active), len(withOld))
	}
	audit, err := f.svc.Audit(f.ctx, f.admin, time.Time{}, 100)
	must(t, err)
	var adds, edits int
	for _, e := range audit {
		switch e.Action {
		case "catalog_add":
			adds++
		case "catalog_edit":
			edits++
			if e.Staff != "Max" || e.Detail != "price 4500 EUR -> 5000 EUR; deactivated" {
				t.Errorf("edit audit %+v", e)
			}
		}
	}
	if adds != 3 || edits != 1 {
		t.Errorf("audit: %d adds, %d edits", adds, edits)
	}
	// The same values again: no change, no audit line.
	if _, err := f.svc.EditCatalogItem(f.ctx, f.mgr, cut.ID, finance.ItemUpdate{Price: &price}); err != nil {
		t.Fatal(err)
	}
	f.reopen()
	got, err := f.svc.CatalogItem(f.ctx, cut.ID)
	must(t, err)
	if got.Price != 5000 || got.Active {
		t.Errorf("after reopen %+v", got)
	}
}

func TestCatalogRefusals(t *testing.T) {
	f := newFixture(t)
	neg, zero, bad := int64(-1), "", finance.ItemKind("gift")
	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"desk has no catalog right", func() error {
			_, err := f.svc.AddCatalogItem(f.ctx, f.desk, finance.NewItem{Name: "Cut", Price: 1})
			return err
		}, finance.ErrForbidden},
		{"no name", func() error {
			_, err := f.svc.AddCatalogItem(f.ctx, f.mgr, finance.NewItem{Name: "  ", Price: 1})
			return err
		}, finance.ErrInvalid},
		{"negative price", func() error {
			_, err := f.svc.AddCatalogItem(f.ctx, f.mgr, finance.NewItem{Name: "Cut", Price: -5})
			return err
		}, finance.ErrInvalid},
		{"unknown kind", func() error {
			_, err := f.svc.AddCatalogItem(f.ctx, f.mgr, finance.NewItem{Name: "Cut", Kind: bad})
			return err
		}, finance.ErrInvalid},
		{"product with a duration", func() error {
			_, err := f.svc.AddCatalogItem(f.ctx, f.mgr, finance.NewItem{Name: "Gel", Kind: finance.ItemProduct, Duration: 5})
			return err
		}, finance.ErrInvalid},
		{"too long", func() error {
			_, err := f.svc.AddCatalogItem(f.ctx, f.mgr, finance.NewItem{Name: "Perm", Duration: 24*60 + 1})
			return err
		}, finance.ErrInvalid},
		{"unknown staff", func() error {
			_, err := f.svc.AddCatalogItem(f.ctx, f.mgr, finance.NewItem{Name: "Cut", Staff: "Nobody"})
			return err
		}, finance.ErrNotFound},
		{"edit unknown item", func() error {
			_, err := f.svc.EditCatalogItem(f.ctx, f.mgr, 99, finance.ItemUpdate{Name: &zero})
			return err
		}, finance.ErrNotFound},
		{"edit to a negative price", func() error {
			it, err := f.svc.AddCatalogItem(f.ctx, f.mgr, finance.NewItem{Name: "Cut", Price: 100})
			if err != nil {
				return err
			}
			_, err = f.svc.EditCatalogItem(f.ctx, f.mgr, it.ID, finance.ItemUpdate{Price: &neg})
			return err
		}, finance.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}
