package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// The service and product list: one bucket, id -> item JSON. It is a
// salon's menu (a few hundred rows), so a listing reads it whole.

// createCatalogBucket is schema 9.
func createCatalogBucket(btx *bolt.Tx) error {
	if _, err := btx.CreateBucketIfNotExists(bCatalog); err != nil {
		return fmt.Errorf("creating bucket %s: %w", bCatalog, err)
	}
	return nil
}

func (t *tx) CatalogItem(id finance.ItemID) (finance.CatalogItem, error) {
	var it finance.CatalogItem
	v := t.b(bCatalog).Get(u64(uint64(id)))
	if v == nil {
		return it, fmt.Errorf("catalogue item %d %w", id, finance.ErrNotFound)
	}
	err := getJSON(v, &it)
	return it, err
}

func (t *tx) CatalogItems() ([]finance.CatalogItem, error) {
	var out []finance.CatalogItem
	err := t.b(bCatalog).ForEach(func(_, v []byte) error {
		var it finance.CatalogItem
		if err := getJSON(v, &it); err != nil {
			return err
		}
		out = append(out, it)
		return nil
	})
	return out, err
}

func (t *tx) PutCatalogItem(it *finance.CatalogItem) error {
	if it == nil {
		return fmt.Errorf("%w: no catalogue item", finance.ErrInvalid)
	}
	b := t.b(bCatalog)
	if it.ID == 0 {
		seq, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("numbering catalogue item: %w", err)
		}
		it.ID = finance.ItemID(seq)
	}
	return putJSON(b.Put, u64(uint64(it.ID)), it)
}
