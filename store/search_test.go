package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

func TestNamePrefixes(t *testing.T) {
	tests := []struct {
		words []string
		want  []string
	}{
		{nil, nil},
		{[]string{"li"}, []string{"l", "li"}},
		{[]string{"ann"}, []string{"a", "an", "ann"}},
		{[]string{"anna", "annowska"}, []string{"a", "an", "ann"}},
		{[]string{"olena", "kovalenko"}, []string{"o", "ol", "ole", "k", "ko", "kov"}},
		{[]string{"ольга"}, []string{"о", "ол", "оль"}}, // letters, not bytes
	}
	for _, tc := range tests {
		if got := namePrefixes(tc.words); !slices.Equal(got, tc.want) {
			t.Errorf("namePrefixes(%q) = %q, want %q", tc.words, got, tc.want)
		}
	}
}

// TestSearchMatchesBruteForce types random prefixes of real names (one and
// two words, with phone digits) against a brute-force search, on books with
// many clients sharing names, so every strategy runs, after renames too.
func TestSearchMatchesBruteForce(t *testing.T) {
	db := openTest(t)
	first := []string{"Anna", "Anastasia", "Olena", "Oleh", "Maria", "Marta", "Zoë", "Łucja", "Ольга", "Li"}
	last := []string{"Kowalska", "Kowalczyk", "Kovalenko", "Nowak", "Nowicka", "Ångström", "O'Brien", "Петренко", "Lis", "Zięba"}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	for lo := 0; lo < n; lo += 500 {
		update(t, db, func(tx finance.Tx) error {
			for i := lo; i < lo+500; i++ {
				name := first[rng.IntN(len(first))] + " " + last[rng.IntN(len(last))]
				if i%7 == 0 {
					name += " " + first[rng.IntN(len(first))] // a middle word
				}
				if _, err := tx.CreateClient(finance.Client{Name: name, Phone: phone(i * 37)}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// Renames move every index entry.
	update(t, db, func(tx finance.Tx) error {
		for id := finance.ClientID(1); id <= 50; id++ {
			c, err := tx.Client(id)
			if err != nil {
				return err
			}
			c.Name = "Renamed Person" + fmt.Sprint(id%3)
			if err := tx.UpdateClient(c); err != nil {
				return err
			}
		}
		return nil
	})
	queries := []string{"a", "an", "ann", "anna", "anas", "o", "ol", "ole", "olena k", "olena kow", "kowalska",
		"kowalska anna", "m", "ma", "mar", "mart", "marta n", "z", "zo", "zoe", "łu", "luc", "lucja zi", "ол", "ольга",
		"пет", "li", "lis", "li l", "l l", "a a", "a k o", "ren", "renamed person1", "obr", "o'brien",
		"angs", "anna 037", "ole 111", "037", "0370", "111", "nobody", "anna nobody", "k n"}
	view(t, db, func(rtx finance.ReadTx) error {
		brute := loadBrute(t, rtx)
		for _, q := range queries {
			for _, limit := range []int{1, 20, 0} {
				ref := brute.search(q)
				if limit > 0 && len(ref) > limit {
					ref = ref[:limit]
				}
				got, err := rtx.SearchClients(q, limit)
				if err != nil {
					t.Fatal(err)
				}
				ids := make([]finance.ClientID, len(got))
				for i, c := range got {
					ids[i] = c.ID
				}
				if !slices.Equal(ids, ref) && !(len(ids) == 0 && len(ref) == 0) {
					t.Errorf("SearchClients(%q, %d) = %v, want %v", q, limit, ids, ref)
				}
				// The name-order walk, led by any name term, agrees too.
				terms, _ := parseQuery(q)
				for lead, tm := range terms {
					if tm.phone {
						continue
					}
					hits := rtx.(*tx).walkPrefix(terms, lead, limit)
					if len(hits) != len(ref) {
						t.Errorf("%q walkPrefix lead %d limit %d: %d hits, want %d", q, lead, limit, len(hits), len(ref))
						continue
					}
					for i := range hits {
						if finance.ClientID(hits[i].id) != ref[i] {
							t.Errorf("%q walkPrefix lead %d: hit %d = %d, want %d", q, lead, i, hits[i].id, ref[i])
							break
						}
					}
				}
			}
		}
		return nil
	})
}

func TestSearchPrefixMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	var old []migration // up to the one before the prefix index
	for _, m := range migrations() {
		if m.name == "client search by word prefix in name order" {
			break
		}
		old = append(old, m)
	}
	db, err := open(ctx, path, Options{}, old)
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	for i, n := range []string{"Olena Kovalenko", "Oleh Kovalchuk", "Anna Berg"} {
		mustClient(t, db, n, phone(i))
	}
	// The older layout had no prefix bucket.
	if err := db.bolt.Update(func(btx *bolt.Tx) error { return btx.DeleteBucket(bClientPrefix) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db)
	view(t, db, func(tx finance.ReadTx) error {
		for q, want := range map[string][]string{"ole": {"Oleh Kovalchuk", "Olena Kovalenko"}, "b": {"Anna Berg"}, "kov": {"Oleh Kovalchuk", "Olena Kovalenko"}} {
			got, err := tx.SearchClients(q, 10)
			if err != nil {
				return err
			}
			if !slices.Equal(names(got), want) {
				t.Errorf("after migration, %q = %q, want %q", q, names(got), want)
			}
		}
		return nil
	})
}
