package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	bolt "go.etcd.io/bbolt"
)

// pagesEnv prints where a kept file's bytes go, bucket by bucket, per
// operation: PAYDESK_BENCH_PAGES=books.db paydesk-bench. It opens the file
// read-only with bbolt itself (the file is not changed) and walks every
// page, so it takes a while on a full-scale file.
const pagesEnv = "PAYDESK_BENCH_PAGES"

// bucketBytes is one top-level bucket's share of the file.
type bucketBytes struct {
	Name    string
	Keys    int
	Pages   int // leaf, branch and overflow pages
	Alloc   int // bytes of the pages it holds
	InUse   int // of which keys, values and headers
	Nested  int // buckets inside it
	PerOp   float64
	PerOpIn float64
}

// bucketStats walks every top-level bucket of the file at path.
func bucketStats(path string) (out []bucketBytes, ops int, fileBytes int64, err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, 0, 0, err
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		fileBytes = tx.Size()
		if b := tx.Bucket([]byte("ops")); b != nil {
			ops = b.Stats().KeyN
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			s := b.Stats()
			out = append(out, bucketBytes{Name: string(name), Keys: s.KeyN,
				Pages: s.BranchPageN + s.BranchOverflowN + s.LeafPageN + s.LeafOverflowN,
				Alloc: s.BranchAlloc + s.LeafAlloc, InUse: s.BranchInuse + s.LeafInuse + s.InlineBucketInuse,
				Nested: s.BucketN - 1})
			return nil
		})
	})
	for i := range out {
		out[i].PerOp = float64(out[i].Alloc) / float64(max(ops, 1))
		out[i].PerOpIn = float64(out[i].InUse) / float64(max(ops, 1))
	}
	slices.SortFunc(out, func(a, b bucketBytes) int { return cmp.Compare(b.Alloc, a.Alloc) })
	return out, ops, fileBytes, err
}

func pagesMain(path string, stdout, stderr io.Writer) int {
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintln(stderr, "paydesk-bench:", err)
		return 1
	}
	bs, ops, size, err := bucketStats(path)
	if err != nil {
		fmt.Fprintln(stderr, "paydesk-bench:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "bucket\tkeys\tpages\tMiB\tB/op\tin use B/op\tfill\t\n")
	var alloc, inuse int
	for _, b := range bs {
		alloc, inuse = alloc+b.Alloc, inuse+b.InUse
		fill := "inline" // a small bucket kept inside its parent's page
		if b.Alloc > 0 {
			fill = fmt.Sprintf("%.0f%%", 100*float64(b.InUse)/float64(b.Alloc))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%s\t\n", b.Name, b.Keys, b.Pages, float64(b.Alloc)/(1<<20),
			b.PerOp, b.PerOpIn, fill)
	}
	per := func(n int64) float64 { return float64(n) / float64(max(ops, 1)) }
	fmt.Fprintf(tw, "all buckets\t\t\t%.1f\t%.1f\t%.1f\t%.0f%%\t\n", float64(alloc)/(1<<20), per(int64(alloc)), per(int64(inuse)),
		100*float64(inuse)/float64(max(alloc, 1)))
	fmt.Fprintf(tw, "file (free pages, meta, freelist too)\t\t\t%.1f\t%.1f\t\t\t\n", float64(size)/(1<<20), per(size))
	_ = tw.Flush()
	fmt.Fprintf(stdout, "%d operations\n", ops)
	return 0
}
