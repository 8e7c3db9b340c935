package main

import (
	"strings"
	"testing"
)

type itemOut struct {
	ID       uint64 `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Price    int64  `json:"price"`
	Text     string `json:"price_text"`
	Currency string `json:"currency"`
	Duration int    `json:"duration"`
	Staff    string `json:"staff"`
	Active   bool   `json:"active"`
}

func TestCatalogCommands(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.okIn("4821\n", "staff", "add", "--name", "Dasha", "--role", "desk")
	cut := d.ok("catalog", "add", "--name", "Haircut", "--price", "45", "--duration", "45", "--staff", "dasha")
	if cut != "1" {
		t.Fatalf("add printed %q", cut)
	}
	var gel itemOut
	d.json(&gel, "catalog", "add", "--name", "Styling gel", "--price", "12.50", "--kind", "product")
	if gel.ID != 2 || gel.Price != 1250 || gel.Kind != "product" || gel.Currency != "EUR" || !gel.Active || gel.Text != "€12.50" {
		t.Errorf("add --json: %+v", gel)
	}
	var list []itemOut
	d.json(&list, "catalog", "list")
	if len(list) != 2 || list[0].Name != "Haircut" || list[0].Staff != "Dasha" || list[0].Duration != 45 {
		t.Fatalf("list: %+v", list)
	}
	if out := d.ok("catalog", "list", "--search", "sty"); !strings.Contains(out, "Styling gel") || strings.Contains(out, "Haircut") {
		t.Errorf("list --search:\n%s", out)
	}
	var ed itemOut
	d.json(&ed, "catalog", "edit", cut, "--price", "50", "--active=false")
	if ed.Price != 5000 || ed.Active || ed.Name != "Haircut" {
		t.Errorf("edit: %+v", ed)
	}
	d.json(&list, "catalog", "list")
	if len(list) != 1 {
		t.Errorf("a deactivated item is still listed: %+v", list)
	}
	d.json(&list, "catalog", "list", "--all")
	if len(list) != 2 {
		t.Errorf("--all: %+v", list)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"catalog", "add", "--price", "5"}, 2, "name"},
		{[]string{"catalog", "add", "--name", "X", "--price", "-5"}, 1, "price"},
		{[]string{"catalog", "add", "--name", "X", "--price", "5", "--kind", "gift"}, 1, "neither service nor product"},
		{[]string{"catalog", "add", "--name", "X", "--price", "5", "--staff", "Nobody"}, 1, "no staff member"},
		{[]string{"catalog", "edit", cut}, 2, "nothing to change"},
		{[]string{"catalog", "edit", "99", "--name", "X"}, 1, "not found"},
		{[]string{"catalog", "edit", "abc", "--name", "X"}, 1, "item id"},
	} {
		r := d.run(tt.args...)
		if r.code != tt.code || !strings.Contains(r.err, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, r.code, r.err, tt.code, tt.want)
		}
	}
	if out := d.ok("audit"); !strings.Contains(out, "catalog_edit") || !strings.Contains(out, "catalog_add") {
		t.Errorf("audit has no catalogue lines:\n%s", out)
	}
}
