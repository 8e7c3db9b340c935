package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// Raw bbolt values in a bucket of their own: the trim is about the file's
// pages, whatever they hold.
var bTrimTest = []byte("trim-test")

const trimValueSize = 4096

func trimValue(k uint64) []byte {
	v := make([]byte, trimValueSize)
	for i := 0; i+8 <= len(v); i += 8 {
		binary.BigEndian.PutUint64(v[i:], k*2654435761+uint64(i))
	}
	return v
}

func trimKey(k uint64) []byte { return binary.BigEndian.AppendUint64(nil, k) }

// fillTrimTest adds values from..to-1 in one write.
func fillTrimTest(t testing.TB, db *DB, from, to uint64) {
	t.Helper()
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists(bTrimTest)
		if err != nil {
			return err
		}
		for k := from; k < to; k++ {
			if err := b.Put(trimKey(k), trimValue(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readTrimTest reads and checks values from..to-1 (all of them if to is 0)
// in one View, and says how many it read.
func readTrimTest(db *DB, from, to uint64) (int, error) {
	n := 0
	err := db.View(context.Background(), func(rtx finance.ReadTx) error {
		var err error
		n, err = readTrimTestIn(rtx, from, to)
		return err
	})
	return n, err
}

// readTrimTestIn is readTrimTest inside a read the caller runs.
func readTrimTestIn(rtx finance.ReadTx, from, to uint64) (int, error) {
	n := 0
	err := func() error {
		c := rtx.(*tx).btx.Bucket(bTrimTest).Cursor()
		for k, v := c.Seek(trimKey(from)); k != nil; k, v = c.Next() {
			key := binary.BigEndian.Uint64(k)
			if to != 0 && key >= to {
				break
			}
			if !bytes.Equal(v, trimValue(key)) {
				return fmt.Errorf("value %d reads back wrong", key)
			}
			n++
		}
		return nil
	}()
	return n, err
}

// mappedRSS is how much of path's mapping is resident, from /proc/self/smaps.
func mappedRSS(t testing.TB, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var total int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && fields[5] == path
			continue
		}
		if in && len(fields) == 3 && fields[0] == "Rss:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			total += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

func openTrimTest(t testing.TB, cap, max int64) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "trim.db"),
		Options{NoSync: true, MappedResidentCap: cap, MappedResidentMax: max})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db)
	return db
}

func TestFileResidentIsStatusRssFile(t *testing.T) {
	f, err := openStatm()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := fileResident(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, l := range strings.Split(string(b), "\n") {
		for _, k := range []string{"RssFile:", "RssShmem:"} {
			if v, ok := strings.CutPrefix(l, k); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				want += kb << 10
			}
		}
	}
	// Both are the kernel's counters read a moment apart.
	if got <= 0 || got < want-(1<<20) || got > want+(1<<20) {
		t.Errorf("fileResident = %d, /proc/self/status RssFile+RssShmem = %d", got, want)
	}
}

func TestMappedResidentCapDefaults(t *testing.T) {
	for _, c := range []struct{ cap, max, wantCap, wantMax int64 }{
		{0, 0, DefaultMappedResidentCap, DefaultMappedResidentMax},
		{-1, 0, -1, DefaultMappedResidentMax},
		{1 << 20, -1, 1 << 20, -1},
	} {
		db := openTrimTest(t, c.cap, c.max)
		m := db.mapped
		if m.cap != c.wantCap || m.max != c.wantMax || (m.statm != nil) != (c.wantCap > 0) {
			t.Errorf("cap %d max %d: got %d, %d (looking: %v), want %d, %d", c.cap, c.max, m.cap, m.max, m.statm != nil,
				c.wantCap, c.wantMax)
		}
	}
}

// Reads map a 32 MiB file, then pause: the idle trim takes the mapping back
// under the cap, with no trim while the reads ran (no ceiling set).
func TestMappedTrimWhenIdle(t *testing.T) {
	const values = 8192 // 32 MiB
	db := openTrimTest(t, 1<<20, -1)
	for k := uint64(0); k < values; k += 1024 {
		fillTrimTest(t, db, k, k+1024)
	}
	if n, err := readTrimTest(db, 0, 0); err != nil || n != values {
		t.Fatalf("read %d values (%v), want %d", n, err, values)
	}
	if trims, _ := db.MappedTrims(); trims != 0 {
		// The reads above took far less than TrimWhenIdle.
		t.Logf("%d trims while reading (a slow machine)", trims)
	}
	deadline := time.Now().Add(10 * TrimWhenIdle)
	for mappedRSS(t, db.Path()) > 4<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the mapping still holds %d KiB %s after the last read", mappedRSS(t, db.Path())>>10, 10*TrimWhenIdle)
		}
		time.Sleep(TrimWhenIdle / 4)
	}
	trims, failures := db.MappedTrims()
	if trims == 0 || failures != 0 {
		t.Errorf("%d trims, %d failures: want a trim and no failure", trims, failures)
	}
	// Everything reads back after the trim.
	if n, err := readTrimTest(db, 0, 0); err != nil || n != values {
		t.Fatalf("after the trim read %d values (%v), want %d", n, err, values)
	}
}

// A read that runs longer than a pause is not one: the idle trim leaves
// its pages alone until it ends, then takes them.
func TestMappedIdleTrimWaitsForALongRead(t *testing.T) {
	const values = 2048 // 8 MiB
	db := openTrimTest(t, 1<<20, -1)
	fillTrimTest(t, db, 0, values)
	if _, err := readTrimTest(db, 0, 1); err != nil { // a use the idle loop sees end
		t.Fatal(err)
	}
	err := db.View(context.Background(), func(rtx finance.ReadTx) error {
		if n, err := readTrimTestIn(rtx, 0, 0); err != nil || n != values {
			return fmt.Errorf("read %d values (%v), want %d", n, err, values)
		}
		time.Sleep(3 * TrimWhenIdle)
		if trims, _ := db.MappedTrims(); trims != 0 {
			return fmt.Errorf("%d trims while a read was running", trims)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * TrimWhenIdle)
	for trims, _ := db.MappedTrims(); trims == 0; trims, _ = db.MappedTrims() {
		if time.Now().After(deadline) {
			t.Fatalf("no trim %s after the read ended", 10*TrimWhenIdle)
		}
		time.Sleep(TrimWhenIdle / 4)
	}
}

// A database of 32 MiB read end to end in small reads, back to back: with a
// 1 MiB ceiling the file's mapping never holds much more than it; with the
// trim off it ends up holding the whole file.
func TestMappedResidentMaxBoundsTheMappingWhileBusy(t *testing.T) {
	const values = 8192 // 32 MiB
	const perRead = 64  // 256 KiB a read
	for _, c := range []struct {
		name string
		cap  int64
	}{{"max 1 MiB", 1 << 20}, {"never", -1}} {
		t.Run(c.name, func(t *testing.T) {
			db := openTrimTest(t, c.cap, c.cap)
			for k := uint64(0); k < values; k += 1024 {
				fillTrimTest(t, db, k, k+1024)
			}
			peak := int64(0)
			for k := uint64(0); k < values; k += perRead {
				n, err := readTrimTest(db, k, k+perRead)
				if err != nil {
					t.Fatal(err)
				}
				if n != perRead {
					t.Fatalf("read %d values from %d, want %d", n, k, perRead)
				}
				peak = max(peak, mappedRSS(t, db.Path()))
			}
			end := mappedRSS(t, db.Path())
			trims, failures := db.MappedTrims()
			t.Logf("mapping resident: peak %d KiB, at the end %d KiB; %d trims, %d failures", peak>>10, end>>10, trims, failures)
			if failures != 0 {
				t.Errorf("%d trims failed", failures)
			}
			const data = values * trimValueSize
			if c.cap < 0 {
				if trims != 0 {
					t.Errorf("%d trims with the trim off", trims)
				}
				if end < data*3/4 {
					t.Errorf("without trimming the mapping holds %d KiB at the end, expected most of the %d KiB read", end>>10, data>>10)
				}
				return
			}
			if trims == 0 {
				t.Error("no trim")
			}
			// The cap, what reads map between two looks (lookAfterReading),
			// and whatever else of this test binary was counted as ours.
			if limit := int64(12 << 20); peak > limit {
				t.Errorf("mapping peaked at %d KiB resident, want under %d KiB", peak>>10, limit>>10)
			}
		})
	}
}

// Readers trim (over a tiny cap, whenever they look) while a writer grows the
// file through several bbolt remaps: every read sees whole, correct values
// and never fewer than before; nothing panics. Run it with -race too.
func TestMappedTrimWithConcurrentWriter(t *testing.T) {
	db := openTrimTest(t, 1, 1)
	fillTrimTest(t, db, 0, 8)
	const batches, perBatch = 256, 16 // 16 MiB: remaps from 32 KiB up
	var written atomic.Uint64
	written.Store(8)
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := 0
			for reads := 0; ; reads++ {
				select {
				case <-done:
					if reads >= 32 { // some trims whatever the timing
						return
					}
				default:
				}
				min := int(written.Load())
				n, err := readTrimTest(db, 0, 0)
				if err != nil {
					errs <- err
					return
				}
				if n < min || n < last {
					errs <- fmt.Errorf("read %d values, after %d written and %d read before", n, min, last)
					return
				}
				last = n
			}
		}()
	}
	for i := uint64(0); i < batches; i++ {
		from := 8 + i*perBatch
		fillTrimTest(t, db, from, from+perBatch)
		written.Store(from + perBatch)
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, err := readTrimTest(db, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := int(written.Load()); n != want {
		t.Errorf("read %d values at the end, want %d", n, want)
	}
	// bbolt maps 32 KiB at first and doubles the map as the file grows, so
	// over 8 MiB it remapped at least eight times under the readers.
	if fi, err := os.Stat(db.Path()); err != nil || fi.Size() < 8<<20 {
		t.Errorf("the file did not grow enough to be remapped several times: %v %v", fi.Size(), err)
	}
	trims, failures := db.MappedTrims()
	t.Logf("%d trims, %d failures", trims, failures)
	if trims == 0 || failures != 0 {
		t.Errorf("%d trims, %d failures: want some trims and no failure", trims, failures)
	}
}
