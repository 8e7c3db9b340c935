package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

func TestClientCRUD(t *testing.T) {
	db := openTest(t)
	a := mustClient(t, db, "Olena Kovalenko", "+380671234567")
	if a.ID != 1 {
		t.Errorf("first id = %d", a.ID)
	}
	update(t, db, func(tx finance.Tx) error {
		_, err := tx.CreateClient(finance.Client{Name: "Other", Phone: "+380671234567"})
		wantErr(t, err, finance.ErrConflict)
		return nil
	})
	b := mustClient(t, db, "Petro Shevchenko", "+380501112233")

	// Changing name and phone moves every index entry.
	b.Name, b.Phone, b.Email = "Petro Ivanenko", "+380509998877", "p@example.com"
	update(t, db, func(tx finance.Tx) error { return tx.UpdateClient(b) })
	view(t, db, func(tx finance.ReadTx) error {
		got, err := tx.Client(b.ID)
		if err != nil || got.Email != "p@example.com" || got.Name != "Petro Ivanenko" {
			t.Errorf("Client = %+v, %v", got, err)
		}
		if _, err := tx.ClientByPhone("+380501112233"); err == nil {
			t.Error("old phone still indexed")
		}
		if got, err := tx.ClientByPhone("+380509998877"); err != nil || got.ID != b.ID {
			t.Errorf("new phone: %+v, %v", got, err)
		}
		if res, _ := tx.SearchClients("shevchenko", 10); len(res) != 0 {
			t.Errorf("old name still found: %v", names(res))
		}
		if res, _ := tx.SearchClients("112233", 10); len(res) != 0 {
			t.Errorf("old digits still found: %v", names(res))
		}
		if res, _ := tx.SearchClients("ivanen", 10); len(res) != 1 {
			t.Errorf("new name not found: %v", names(res))
		}
		if n, _ := tx.ClientCount(); n != 2 {
			t.Errorf("count = %d", n)
		}
		return nil
	})
	// Taking someone else's phone is a conflict and changes nothing.
	update(t, db, func(tx finance.Tx) error {
		b.Phone = a.Phone
		wantErr(t, tx.UpdateClient(b), finance.ErrConflict)
		wantErr(t, tx.UpdateClient(finance.Client{ID: 99, Name: "x"}), finance.ErrNotFound)
		return nil
	})
	view(t, db, func(tx finance.ReadTx) error {
		_, err := tx.Client(42)
		wantErr(t, err, finance.ErrNotFound)
		if err.Error() != "client 42 not found" {
			t.Errorf("message = %q", err)
		}
		_, err = tx.ClientByPhone("+1555")
		wantErr(t, err, finance.ErrNotFound)
		return nil
	})
}

func TestSearchClients(t *testing.T) {
	db := openTest(t)
	for i, n := range []string{
		"Olena Kovalenko", "Oleh Kovalchuk", "Zoë Ångström", "José Álvarez", "Anna-Maria Schmidt",
		"Seán O'Brien", "ANNA BERG", "Bohdan Olenchenko", "Łukasz Nowak", "Ольга Петренко",
	} {
		mustClient(t, db, n, phone(i*111))
	}
	cases := []struct {
		q    string
		want []string
	}{
		{"", []string{"ANNA BERG", "Anna-Maria Schmidt", "Bohdan Olenchenko", "José Álvarez", "Łukasz Nowak", "Oleh Kovalchuk", "Olena Kovalenko", "Seán O'Brien", "Zoë Ångström", "Ольга Петренко"}},
		{"ole", []string{"Bohdan Olenchenko", "Oleh Kovalchuk", "Olena Kovalenko"}},
		{"OLE", []string{"Bohdan Olenchenko", "Oleh Kovalchuk", "Olena Kovalenko"}},
		{"ole kov", []string{"Oleh Kovalchuk", "Olena Kovalenko"}},
		{"kov ole", []string{"Oleh Kovalchuk", "Olena Kovalenko"}},
		{"kovalenko olena", []string{"Olena Kovalenko"}},
		{"ole xyz", nil},
		{"zoe", []string{"Zoë Ångström"}},
		{"angstr", []string{"Zoë Ångström"}},
		{"ÅNG", []string{"Zoë Ångström"}},
		{"jose alv", []string{"José Álvarez"}},
		{"maria", []string{"Anna-Maria Schmidt"}},
		{"anna", []string{"ANNA BERG", "Anna-Maria Schmidt"}},
		{"obrien", []string{"Seán O'Brien"}},
		{"o'bri", []string{"Seán O'Brien"}},
		{"ольга", []string{"Ольга Петренко"}},
		{"пет", []string{"Ольга Петренко"}},
		{"lukasz", []string{"Łukasz Nowak"}}, // ł has no decomposition: folded by table
		{"łuk", []string{"Łukasz Nowak"}},
		{"nobody", nil},
		// Phone digits: substrings of at least three, however typed.
		{"0000111", []string{"Oleh Kovalchuk"}},
		{"+380 67 000 0111", []string{"Oleh Kovalchuk"}},
		{"(067) 000-0111", []string{"Oleh Kovalchuk"}},
		{"0111", []string{"Oleh Kovalchuk"}},
		{"111", []string{"Oleh Kovalchuk"}},
		{"22", nil},
		{"380", []string{"ANNA BERG", "Anna-Maria Schmidt", "Bohdan Olenchenko", "José Álvarez", "Łukasz Nowak", "Oleh Kovalchuk", "Olena Kovalenko", "Seán O'Brien", "Zoë Ångström", "Ольга Петренко"}},
		{"ole 0111", []string{"Oleh Kovalchuk"}},
		{"ole 0222", nil},
	}
	for _, tc := range cases {
		view(t, db, func(tx finance.ReadTx) error {
			got, err := tx.SearchClients(tc.q, 50)
			if err != nil {
				t.Fatalf("%q: %v", tc.q, err)
			}
			if g := names(got); !slices.Equal(g, tc.want) && !(len(g) == 0 && len(tc.want) == 0) {
				t.Errorf("SearchClients(%q) = %q, want %q", tc.q, g, tc.want)
			}
			return nil
		})
	}
	view(t, db, func(tx finance.ReadTx) error {
		if got, _ := tx.SearchClients("", 3); len(got) != 3 || got[0].Name != "ANNA BERG" {
			t.Errorf("limit 3 = %q", names(got))
		}
		if got, _ := tx.SearchClients("380", 2); len(got) != 2 {
			t.Errorf("phone limit 2 = %q", names(got))
		}
		return nil
	})
}

// TestSearchStrategies checks that the dense paths (name-order scan, full
// range walk) give the same answers as the selective path.
func TestSearchStrategies(t *testing.T) {
	db := openTest(t)
	const n = 5000 // "surname" exceeds candidateCap, so the name-order scan runs too
	// Chunks, not one tx: bbolt splits nodes only at commit, so one huge
	// insert-only tx copies its ever-growing nodes on every put.
	for lo := 0; lo < n; lo += 1000 {
		update(t, db, func(tx finance.Tx) error {
			for i := lo; i < lo+1000; i++ {
				first := []string{"Anna", "Olena", "Maria", "Iryna"}[i%4]
				last := fmt.Sprintf("Surname%04d", (i*7919)%n)
				if i%1000 == 0 {
					last = "Rare"
				}
				if _, err := tx.CreateClient(finance.Client{Name: first + " " + last, Phone: phone(i)}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	view(t, db, func(rtx finance.ReadTx) error {
		brute := loadBrute(t, rtx)
		for _, q := range []string{"anna", "surname", "anna surname", "anna rare", "rare", "surname0", "380", "067", "olena 000", "000", "maria iryna", "a"} {
			ref := brute.search(q)
			if len(ref) > 20 {
				ref = ref[:20]
			}
			// Every strategy on its own gives the same first page.
			terms, _ := parseQuery(q)
			paths := map[string][]hit{"scan": rtx.(*tx).scanByName(terms, 20, -1)}
			for lead := range terms {
				paths[fmt.Sprint("walk", lead)] = rtx.(*tx).walkRange(terms, lead, 20)
			}
			for name, hits := range paths {
				if len(hits) != len(ref) {
					t.Errorf("%q %s: %d hits, want %d", q, name, len(hits), len(ref))
					continue
				}
				for i := range hits {
					if finance.ClientID(hits[i].id) != ref[i] {
						t.Errorf("%q %s: hit %d = %d, want %d", q, name, i, hits[i].id, ref[i])
						break
					}
				}
			}
			got, err := rtx.SearchClients(q, 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(ref) {
				t.Errorf("%q: %d results, want %d", q, len(got), len(ref))
				continue
			}
			for i := range got {
				if got[i].ID != ref[i] {
					t.Errorf("%q: result %d = %d, want %d", q, i, got[i].ID, ref[i])
					break
				}
			}
		}
		if got, _ := rtx.SearchClients("anna rare", 20); len(got) != 5 {
			t.Errorf("anna rare = %q", names(got))
		}
		return nil
	})
}

func TestNormalizeName(t *testing.T) {
	cases := []struct {
		in, sort string
		words    []string
	}{
		{"  Zoë   Ångström ", "zoe angstrom", []string{"zoe", "angstrom"}},
		{"Anna-Maria anna", "anna maria anna", []string{"anna", "maria"}},
		{"Seán O’Brien", "sean obrien", []string{"sean", "obrien"}},
		{"", "", nil},
		{"---", "", nil},
	}
	for _, c := range cases {
		s, w := normalizeName(c.in)
		if s != c.sort || !slices.Equal(w, c.words) {
			t.Errorf("normalizeName(%q) = %q %q, want %q %q", c.in, s, w, c.sort, c.words)
		}
	}
}

// bruteForce answers a query by testing every client, for comparison with
// the indexed paths.
type bruteForce []bruteRow

type bruteRow struct {
	sortName, digits string
	id               finance.ClientID
}

func loadBrute(t *testing.T, rtx finance.ReadTx) bruteForce {
	t.Helper()
	var rows bruteForce
	n, _ := rtx.ClientCount()
	for id := 1; id <= n; id++ {
		c, err := rtx.Client(finance.ClientID(id))
		if err != nil {
			t.Fatal(err)
		}
		sortName, _ := normalizeName(c.Name)
		rows = append(rows, bruteRow{sortName, phoneDigits(c.Phone), c.ID})
	}
	slices.SortFunc(rows, func(a, b bruteRow) int {
		if a.sortName != b.sortName {
			return strings.Compare(a.sortName, b.sortName)
		}
		return int(a.id) - int(b.id)
	})
	return rows
}

func (rows bruteForce) search(q string) []finance.ClientID {
	terms, ok := parseQuery(q)
	if !ok {
		return nil
	}
	var out []finance.ClientID
	for _, r := range rows {
		if matchAll(terms, -1, []byte(r.sortName), []byte(r.digits)) {
			out = append(out, r.id)
		}
	}
	return out
}
