package store

import (
	"os"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultMappedResidentCap is Options.MappedResidentCap's default: what of
// the database file stays mapped once reads pause.
const DefaultMappedResidentCap = 32 << 20

// DefaultMappedResidentMax is Options.MappedResidentMax's default: the
// ceiling while reads run back to back. High, because a trim in the middle
// of a burst makes the next reads fault back the pages every read needs
// (a search keystroke about 5 MB, at 30-50 µs a fault on the bench's VM); it
// matters only to a process that never pauses (serve under a webhook storm).
const DefaultMappedResidentMax = 1 << 30

// TrimWhenIdle is how long reads (and writes) must have paused before the
// mapping is trimmed back under the cap: longer than the gap between two
// keystrokes of someone typing, so a name typed at the desk is searched
// with its pages mapped, and short enough that the desk gives the pages
// back between one client and the next.
const TrimWhenIdle = 300 * time.Millisecond

// lookAfterReading is how long reads run, added up, between two looks at
// how much of the file is mapped while they run back to back. Pages are
// mapped by page faults, and a fault (with fault-around, up to 64 KiB)
// takes at least about half a microsecond, so reads in this much time map
// at most about 12 MiB: the ceiling is overshot by no more than that plus
// the read in progress. A look costs about 3 µs (one small /proc read), so
// at most about 3% of the read time, and reads that fault nothing are fast
// and rarely pay it.
const lookAfterReading = 100 * time.Microsecond

// mappedTrim keeps the resident part of bbolt's file mapping small (see
// Options.MappedResidentCap): under the cap once the database has been idle
// for TrimWhenIdle, and under the max while it is busy. The look and the
// trim are per platform: mapped_linux.go, and nothing elsewhere.
type mappedTrim struct {
	cap, max int64    // bytes; max <= 0: no ceiling while busy
	statm    *os.File // the look's source, kept open (nil: never trims)
	// reading is the time reads spent since the last look, in nanoseconds.
	reading atomic.Int64
	// used is when the database was last read or written (unix nanos), and
	// busy how many reads and writes are running: a long one (an export, a
	// migration) is not a pause, however long ago it began.
	used atomic.Int64
	busy atomic.Int64
	// floor is this process's file-backed resident bytes that are not this
	// mapping, as last seen: the binary's code, other files' mappings. It
	// is taken right after a trim (or at open), and lowered whenever the
	// total is seen below it, so what is over it is counted as ours.
	floor    atomic.Int64
	trims    atomic.Uint64
	failures atomic.Uint64
	stop     chan struct{} // closed by close: the idle loop ends
	done     chan struct{} // closed by the idle loop when it has ended
}

// newMappedTrim starts the idle trimmer of bdb; close stops it.
func newMappedTrim(bdb *bolt.DB, cap, max int64) *mappedTrim {
	m := &mappedTrim{cap: cap, max: max}
	if m.cap == 0 {
		m.cap = DefaultMappedResidentCap
	}
	if m.max == 0 {
		m.max = DefaultMappedResidentMax
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
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go m.idleLoop(bdb)
	return m
}

// start and finish bracket every read and write.
func (m *mappedTrim) start() {
	if m != nil && m.statm != nil {
		m.busy.Add(1)
	}
}

func (m *mappedTrim) finish() {
	if m != nil && m.statm != nil {
		m.used.Store(time.Now().UnixNano())
		m.busy.Add(-1)
	}
}

// afterRead runs at the end of every View, inside its bbolt read
// transaction (which holds bbolt's mmap read lock, so the mapping cannot be
// moved or unmapped meanwhile, even by a concurrent writer that grows the
// file), with the time the read began. Once reads have run for
// lookAfterReading since the last look, it looks at how much file is
// mapped and, over the max, drops the whole mapping's pages.
func (m *mappedTrim) afterRead(btx *bolt.Tx, began time.Time) {
	if m == nil || m.statm == nil {
		return
	}
	if m.max <= 0 || m.reading.Add(int64(time.Since(began))) < int64(lookAfterReading) {
		return
	}
	m.reading.Store(0)
	m.trimOver(btx, m.max)
}

// idleLoop trims the mapping under the cap once the database has not been
// used for TrimWhenIdle, once per pause.
func (m *mappedTrim) idleLoop(bdb *bolt.DB) {
	defer close(m.done)
	tick := time.NewTicker(TrimWhenIdle / 3)
	defer tick.Stop()
	var handled int64 // the last use already trimmed after
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		used := m.used.Load()
		if m.busy.Load() > 0 || used == handled || time.Since(time.Unix(0, used)) < TrimWhenIdle {
			continue
		}
		handled = used
		// A read transaction of its own, for the same reason as afterRead.
		err := bdb.View(func(btx *bolt.Tx) error {
			m.trimOver(btx, m.cap)
			return nil
		})
		if err != nil {
			m.failures.Add(1)
		}
	}
}

// trimOver drops the mapping's pages if more than limit of them are
// resident. It runs inside btx. A failure is counted, never returned: the
// read it follows went fine.
func (m *mappedTrim) trimOver(btx *bolt.Tx, limit int64) {
	res, err := fileResident(m.statm)
	if err != nil {
		m.failures.Add(1)
		return
	}
	if floor := m.floor.Load(); res < floor {
		m.floor.Store(res)
		return
	} else if res-floor <= limit {
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

// close stops the idle loop; it runs before bbolt's Close, so the loop's
// last read transaction (if any) has ended when the file is closed.
func (m *mappedTrim) close() {
	if m == nil {
		return
	}
	if m.stop != nil {
		close(m.stop)
		<-m.done
	}
	if m.statm != nil {
		_ = m.statm.Close()
		m.statm = nil
	}
}

// MappedTrims says how many times the file mapping was trimmed since Open,
// and how many looks or trims failed (they never fail a read).
func (db *DB) MappedTrims() (trims, failures uint64) {
	return db.mapped.trims.Load(), db.mapped.failures.Load()
}
