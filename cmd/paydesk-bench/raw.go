package main

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// rawLimits is what bbolt alone does on this machine's disk, the ceiling
// every write path is compared with.
type rawLimits struct {
	PutLatency []time.Duration // one put per fsync'd transaction
	PutRate    float64         // puts/s, one per transaction
	BatchRate  float64         // puts/s through DB.Batch from many goroutines
	BatchPuts  int
}

// measureRaw writes into a scratch bbolt file in dir (the same disk as the
// books): single puts each in its own fsync'd Update, then DB.Batch from
// goroutines, with 200-byte values, about an inbox event's index entries.
func measureRaw(dir string, single, goroutines, perGoroutine int) (rawLimits, error) {
	path := filepath.Join(dir, "raw-bbolt.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		return rawLimits{}, fmt.Errorf("raw bbolt: %w", err)
	}
	defer db.Close()
	name := []byte("raw")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(name); return err }); err != nil {
		return rawLimits{}, err
	}
	val := make([]byte, 200)
	var seq atomic.Uint64
	put := func(tx *bolt.Tx) error {
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], seq.Add(1))
		return tx.Bucket(name).Put(k[:], val)
	}

	var out rawLimits
	start := time.Now()
	for range single {
		t := time.Now()
		if err := db.Update(put); err != nil {
			return out, err
		}
		out.PutLatency = append(out.PutLatency, time.Since(t))
	}
	out.PutRate = float64(single) / time.Since(start).Seconds()

	var wg sync.WaitGroup
	var firstErr atomic.Value
	start = time.Now()
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perGoroutine {
				if err := db.Batch(put); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return out, err
	}
	out.BatchPuts = goroutines * perGoroutine
	out.BatchRate = float64(out.BatchPuts) / time.Since(start).Seconds()
	return out, nil
}

// pageWrites is what one fsync'd commit of 4 KiB pages costs on this disk,
// per page, when the pages lie at scattered offsets (as bbolt writes the
// leaves of keys spread over a big file: each commit rewrites every page
// it touched into free pages wherever they are) and when they are
// contiguous (as a log would write them). The gap between the two is why a
// write path's cost follows how many distinct pages it dirties.
type pageWrites struct {
	Scattered, Contiguous []float64 // µs per page, one sample per commit
}

// measurePageWrites fills a scratch file of fileMiB in dir, then commits
// rounds batches of perCommit pages each way: pwrite every page, then one
// fsync (bbolt's fdatasync on Linux, plus the file's times: one more small
// write, the same for both ways).
func measurePageWrites(dir string, fileMiB, perCommit, rounds int, seed int64) (pageWrites, error) {
	const page = 4096
	var out pageWrites
	path := filepath.Join(dir, "raw-pages.bin")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return out, fmt.Errorf("raw pages: %w", err)
	}
	defer os.Remove(path)
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for i := range fileMiB {
		if _, err := f.WriteAt(chunk, int64(i)<<20); err != nil {
			return out, fmt.Errorf("raw pages: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return out, fmt.Errorf("raw pages: %w", err)
	}
	pages := int64(fileMiB) << 20 / page
	if pages < int64(perCommit) {
		return out, fmt.Errorf("raw pages: a %d MiB file has fewer than %d pages", fileMiB, perCommit)
	}
	rng := rand.New(rand.NewSource(seed))
	buf := make([]byte, page)
	commit := func(at func(i int) int64) (float64, error) {
		start := time.Now()
		for i := range perCommit {
			buf[0]++ // a real change, not the same bytes again
			if _, err := f.WriteAt(buf, at(i)*page); err != nil {
				return 0, err
			}
		}
		if err := f.Sync(); err != nil {
			return 0, err
		}
		return float64(time.Since(start).Microseconds()) / float64(perCommit), nil
	}
	for range rounds {
		us, err := commit(func(int) int64 { return rng.Int63n(pages) })
		if err != nil {
			return out, fmt.Errorf("raw pages: %w", err)
		}
		out.Scattered = append(out.Scattered, us)
		base := rng.Int63n(pages - int64(perCommit))
		us, err = commit(func(i int) int64 { return base + int64(i) })
		if err != nil {
			return out, fmt.Errorf("raw pages: %w", err)
		}
		out.Contiguous = append(out.Contiguous, us)
	}
	return out, nil
}
