package finance

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The service and product list: what a checkout picks its lines from. An
// item is never deleted (past operations name it); it is deactivated, and a
// deactivated item is no longer offered at checkout.

// ItemID identifies a catalogue item; assigned by the store, never reused.
type ItemID uint64

// ItemKind says whether an item is a service (done by someone, may have a
// duration) or a product (sold off the shelf).
type ItemKind string

const (
	ItemService ItemKind = "service"
	ItemProduct ItemKind = "product"
)

// CatalogItem is one row of the service and product list.
type CatalogItem struct {
	ID       ItemID    `json:"id"`
	Name     string    `json:"name"`
	Price    int64     `json:"price"`    // minor units of Currency
	Currency string    `json:"currency"` // the location's, when the item was written
	Kind     ItemKind  `json:"kind"`
	Duration int       `json:"duration,omitempty"` // minutes (0 = not said)
	Staff    string    `json:"staff,omitempty"`    // who usually does it; the checkout line's default
	Active   bool      `json:"active"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// CatalogReadTx is a ReadTx that reads the catalogue. store.DB's
// transactions implement it; a store without it has no catalogue.
type CatalogReadTx interface {
	CatalogItem(id ItemID) (CatalogItem, error)
	CatalogItems() ([]CatalogItem, error) // by id
}

// CatalogTx is a Tx that writes the catalogue.
type CatalogTx interface {
	CatalogReadTx
	// PutCatalogItem stores an item; a zero ID is assigned the next one.
	PutCatalogItem(it *CatalogItem) error
}

const maxDuration = 24 * 60 // minutes

var errNoCatalog = errf(ErrInvalid, "this database has no service and product list")

// NewItem is what `catalog add` or the catalogue screen's add form submits.
type NewItem struct {
	Name     string
	Price    int64
	Kind     ItemKind // "" = service
	Duration int
	Staff    string
}

// ItemUpdate changes the fields that are set.
type ItemUpdate struct {
	Name     *string
	Price    *int64
	Kind     *ItemKind
	Duration *int
	Staff    *string
	Active   *bool
}

// CatalogFilter selects items for a list: Query matches words of the name
// by prefix (case- and accent-insensitive, as client search), empty matches
// all; inactive items are left out unless All.
type CatalogFilter struct {
	Query string
	All   bool
	Limit int // 0 = no limit
}

func (s *Service) checkItem(tx ReadTx, it *CatalogItem) error {
	name, err := requiredText("name", it.Name, maxNameLen)
	if err != nil {
		return err
	}
	it.Name = name
	if it.Price < 0 {
		return errf(ErrInvalid, "the price cannot be negative")
	}
	switch it.Kind {
	case "":
		it.Kind = ItemService
	case ItemService, ItemProduct:
	default:
		return errf(ErrInvalid, "kind %q is neither service nor product", it.Kind)
	}
	if it.Duration < 0 || it.Duration > maxDuration {
		return errf(ErrInvalid, "the duration must be between 0 and %d minutes", maxDuration)
	}
	if it.Kind == ItemProduct && it.Duration != 0 {
		return errf(ErrInvalid, "a product has no duration")
	}
	it.Staff, err = staffName(tx, it.Staff)
	return err
}

// staffName is a staff member's name as stored, from a name typed in any
// case ("" stays ""): lines and items name people who exist.
func staffName(tx ReadTx, typed string) (string, error) {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return "", nil
	}
	st, err := tx.Staff(typed)
	if err == nil {
		return st.Name, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	all, err := tx.StaffList()
	if err != nil {
		return "", err
	}
	for _, st := range all {
		if strings.EqualFold(st.Name, typed) {
			return st.Name, nil
		}
	}
	return "", errf(ErrNotFound, "no staff member %q", typed)
}

// AddCatalogItem adds an active item priced in the location's currency.
func (s *Service) AddCatalogItem(ctx context.Context, a Actor, n NewItem) (CatalogItem, error) {
	if err := s.require(a, RightCatalog); err != nil {
		return CatalogItem{}, err
	}
	var out CatalogItem
	err := s.update(ctx, func(tx Tx) error {
		ct, ok := tx.(CatalogTx)
		if !ok {
			return errNoCatalog
		}
		st, err := tx.Settings()
		if err != nil {
			return err
		}
		now := s.now()
		it := CatalogItem{Name: n.Name, Price: n.Price, Currency: st.Currency, Kind: n.Kind, Duration: n.Duration,
			Staff: n.Staff, Active: true, Created: now, Updated: now}
		if err := s.checkItem(tx, &it); err != nil {
			return err
		}
		if err := ct.PutCatalogItem(&it); err != nil {
			return err
		}
		out = it
		return tx.AppendAudit(&AuditEntry{Time: now, Staff: a.Staff, Action: "catalog_add",
			Subject: "item " + uitoa(uint64(it.ID)), Detail: itemDetail(it)})
	})
	if err != nil {
		return CatalogItem{}, err
	}
	s.publish(Change{What: "catalog"})
	return out, nil
}

// EditCatalogItem changes an item (deactivating is Active=false). Nothing
// changing is not an error and writes no audit line.
func (s *Service) EditCatalogItem(ctx context.Context, a Actor, id ItemID, u ItemUpdate) (CatalogItem, error) {
	if err := s.require(a, RightCatalog); err != nil {
		return CatalogItem{}, err
	}
	var out CatalogItem
	changed := false
	err := s.update(ctx, func(tx Tx) error {
		ct, ok := tx.(CatalogTx)
		if !ok {
			return errNoCatalog
		}
		old, err := ct.CatalogItem(id)
		if err != nil {
			return err
		}
		it := old
		if u.Name != nil {
			it.Name = *u.Name
		}
		if u.Price != nil {
			it.Price = *u.Price
			st, err := tx.Settings()
			if err != nil {
				return err
			}
			it.Currency = st.Currency
		}
		if u.Kind != nil {
			it.Kind = *u.Kind
		}
		if u.Duration != nil {
			it.Duration = *u.Duration
		}
		if u.Staff != nil {
			it.Staff = *u.Staff
		}
		if u.Active != nil {
			it.Active = *u.Active
		}
		if err := s.checkItem(tx, &it); err != nil {
			return err
		}
		out = old
		if it.Name == old.Name && it.Price == old.Price && it.Currency == old.Currency && it.Kind == old.Kind &&
			it.Duration == old.Duration && it.Staff == old.Staff && it.Active == old.Active {
			return nil
		}
		it.Updated = s.now()
		if err := ct.PutCatalogItem(&it); err != nil {
			return err
		}
		out, changed = it, true
		return tx.AppendAudit(&AuditEntry{Time: it.Updated, Staff: a.Staff, Action: "catalog_edit",
			Subject: "item " + uitoa(uint64(it.ID)), Detail: itemChanges(old, it)})
	})
	if err != nil {
		return CatalogItem{}, err
	}
	if changed {
		s.publish(Change{What: "catalog"})
	}
	return out, nil
}

// CatalogItem reads one item.
func (s *Service) CatalogItem(ctx context.Context, id ItemID) (CatalogItem, error) {
	return read(ctx, s, func(tx ReadTx) (CatalogItem, error) {
		ct, ok := tx.(CatalogReadTx)
		if !ok {
			return CatalogItem{}, errNoCatalog
		}
		return ct.CatalogItem(id)
	})
}

// Catalog lists items by name. The list is small (a salon's menu, a few
// hundred rows at most), so it is read whole and filtered here.
func (s *Service) Catalog(ctx context.Context, f CatalogFilter) ([]CatalogItem, error) {
	items, err := read(ctx, s, func(tx ReadTx) ([]CatalogItem, error) {
		ct, ok := tx.(CatalogReadTx)
		if !ok {
			return nil, nil
		}
		return ct.CatalogItems()
	})
	if err != nil {
		return nil, err
	}
	return FilterCatalog(items, f), nil
}

// FilterCatalog is Catalog's filter and order over a list already read, so
// a screen searching as the cashier types does not read the store per key.
func FilterCatalog(items []CatalogItem, f CatalogFilter) []CatalogItem {
	words := foldWords(f.Query)
	out := make([]CatalogItem, 0, len(items))
	for _, it := range items {
		if !it.Active && !f.All {
			continue
		}
		if len(words) > 0 && !matchWords(foldWords(it.Name), words) {
			continue
		}
		out = append(out, it)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := strings.Join(foldWords(out[i].Name), " "), strings.Join(foldWords(out[j].Name), " ")
		if a != b {
			return a < b
		}
		return out[i].ID < out[j].ID
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

// foldWords lower-cases and strips accents ("Coupé" is "coupe") and splits
// at anything not a letter or digit.
func foldWords(s string) []string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'', r == '’':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

// matchWords: every query word is a prefix of some word of the name.
func matchWords(have, words []string) bool {
	for _, w := range words {
		found := false
		for _, h := range have {
			if strings.HasPrefix(h, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func itemDetail(it CatalogItem) string {
	d := it.Name + ", " + string(it.Kind) + ", " + i64toa(it.Price) + " " + it.Currency
	if it.Duration > 0 {
		d += ", " + i64toa(int64(it.Duration)) + " min"
	}
	if it.Staff != "" {
		d += ", " + it.Staff
	}
	return d
}

func itemChanges(old, it CatalogItem) string {
	var parts []string
	add := func(what, from, to string) {
		if from != to {
			parts = append(parts, what+" "+from+" -> "+to)
		}
	}
	add("name", old.Name, it.Name)
	add("price", i64toa(old.Price)+" "+old.Currency, i64toa(it.Price)+" "+it.Currency)
	add("kind", string(old.Kind), string(it.Kind))
	add("duration", i64toa(int64(old.Duration)), i64toa(int64(it.Duration)))
	add("staff", old.Staff, it.Staff)
	if old.Active != it.Active {
		if it.Active {
			parts = append(parts, "reactivated")
		} else {
			parts = append(parts, "deactivated")
		}
	}
	return strings.Join(parts, "; ")
}

func i64toa(n int64) string { return strconv.FormatInt(n, 10) }
