package store

import (
	"os"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultMappedResidentCap is Options.MappedResidentCap's default: 64 MiB of
// the database file mapped at most, well under the desk's 150 MB RSS budget
// once the binary (about 20 MB) and the heap are added.
const DefaultMappedResidentCap = 64 << 20

// lookAfterReading is how long reads run, added up, between two looks at
// how much of the file is mapped. Pages are mapped by page faults, and a
// fault (with fault-around, up to 64 KiB) takes at least about half a
// microsecond, so reads in this much time map at most about 12 MiB: the cap
// is overshot by no more than that plus the read in progress. A look costs
// about 3 µs (one small /proc read), so at most about 3% of the read time,
// and reads that fault nothing are fast and rarely pay it. A count of reads
// would not do: after a trim every read maps afresh what it touches (a
// search keystroke about 5 MB), so 16 reads between looks overshot by
// 50 MB on the full-scale desk session.
const lookAfterReading = 100 * time.Microsecond

// mappedTrim keeps the resident part of bbolt's file mapping under a cap
// (see Options.MappedResidentCap). The look and the trim are per platform:
// mapped_linux.go, and nothing elsewhere.
type mappedTrim struct {
	cap   int64    // bytes; <= 0 never trims
	statm *os.File // the look's source, kept open (nil: never trims)
	// reading is the time reads spent since the last look, in nanoseconds.
	reading atomic.Int64
	// floor is this process's file-backed resident bytes that are not this
	// mapping, as last seen: the binary's code, other files' mappings. It
	// is taken right after a trim (or at open), and lowered whenever the
	// total is seen below it, so what is over it is counted as ours.
	floor    atomic.Int64
	trims    atomic.Uint64
	failures atomic.Uint64
}

func newMappedTrim(cap int64) *mappedTrim {
	m := &mappedTrim{cap: cap}
	if cap == 0 {
		m.cap = DefaultMappedResidentCap
	}
	if m.cap <= 0 {
		return m
	}
	f, err := openStatm()
	if err != nil {
		m.failures.Add(1)
		return m
	}
	if f == nil { // not Linux
		return m
	}
	res, err := fileResident(f)
	if err != nil {
		_ = f.Close()
		m.failures.Add(1)
		return m
	}
	m.statm = f
	m.floor.Store(res)
	return m
}

// afterRead runs at the end of every View, inside its bbolt read
// transaction (which holds bbolt's mmap read lock, so the mapping cannot be
// moved or unmapped meanwhile, even by a concurrent writer that grows the
// file), with the time the read began. Once reads have run for
// lookAfterReading since the last look, it looks at how much file is
// mapped and, over the cap, drops the whole mapping's pages. A failure is
// counted, never returned: the read itself went fine.
func (m *mappedTrim) afterRead(btx *bolt.Tx, began time.Time) {
	if m.statm == nil || m.reading.Add(int64(time.Since(began))) < int64(lookAfterReading) {
		return
	}
	m.reading.Store(0)
	res, err := fileResident(m.statm)
	if err != nil {
		m.failures.Add(1)
		return
	}
	if floor := m.floor.Load(); res < floor {
		m.floor.Store(res)
		return
	} else if res-floor <= m.cap {
		return
	}
	if err := dropMapped(btx); err != nil {
		m.failures.Add(1)
		return
	}
	m.trims.Add(1)
	if res, err := fileResident(m.statm); err == nil {
		m.floor.Store(res)
	}
}

// close runs after bbolt's Close, which waits for every read transaction,
// so no afterRead is using the file any more.
func (m *mappedTrim) close() {
	if m.statm != nil {
		_ = m.statm.Close()
	}
}

// MappedTrims says how many times reads trimmed the file mapping back
// under Options.MappedResidentCap since Open, and how many looks or trims
// failed (they never fail a read).
func (db *DB) MappedTrims() (trims, failures uint64) {
	return db.mapped.trims.Load(), db.mapped.failures.Load()
}
