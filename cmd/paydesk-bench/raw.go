package main

import (
	"encoding/binary"
	"fmt"
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
