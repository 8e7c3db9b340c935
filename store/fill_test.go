package store

import (
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Operations are appended one commit at a time, as the desk does: pages of
// append-only buckets must end up nearly full, not at bbolt's half-full
// split point, or the file and every commit's writes double.
func TestAppendOnlyBucketsFillTheirPages(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "Olena Kovalenko", phone(1))
	for i := range 600 {
		appendOp(t, db, topUp(fmt.Sprintf("k%d", i), c.ID, "cash", 100, "2026-03-02"))
	}
	err := db.bolt.View(func(btx *bolt.Tx) error {
		for _, name := range [][]byte{bOps, bOpDay, bAudit, bAuditTime} {
			st := btx.Bucket(name).Stats()
			if st.LeafPageN < 3 {
				continue // too small to have split
			}
			if fill := float64(st.LeafInuse) / float64(st.LeafAlloc); fill < 0.8 {
				t.Errorf("%s: leaf pages %.0f%% full over %d pages, want at least 80%%", name, 100*fill, st.LeafPageN)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
