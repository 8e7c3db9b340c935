// Package store keeps paydesk's books in one bbolt file. It implements
// finance.Store: every finance rule runs inside one bbolt transaction here, so
// an operation, its indexes, balances and day aggregates are written together
// or not at all.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/paydesk/paydesk/finance"
)

// DefaultLockTimeout is how long Open waits for another process to let go of
// the file before it gives up with finance.ErrLocked.
const DefaultLockTimeout = time.Second

// Options tune Open. The zero value is right for the app.
type Options struct {
	// LockTimeout bounds the wait for the file lock (default DefaultLockTimeout).
	LockTimeout time.Duration
	// NoSync skips fsync on commit: only for bulk loads and benchmarks whose
	// data can be rebuilt, never for real books.
	NoSync bool
	// InitialMmapSize pre-sizes the memory map (bytes) so a growing file does
	// not stall readers while bbolt remaps.
	InitialMmapSize int
	// MappedResidentCap is how many bytes of the database file this process
	// keeps mapped in memory once reads pause (0: DefaultMappedResidentCap;
	// negative: never trim), and MappedResidentMax the ceiling while reads
	// run back to back (0: DefaultMappedResidentMax; negative: none). Only
	// Linux trims.
	//
	// Why: bbolt reads the file through a read-only shared mapping, and
	// every page a read touches stays in this process's page tables, with
	// up to 64 KiB around it (the kernel's fault-around maps neighbours
	// already in the page cache). Those clean file pages count in RSS and
	// its peak (VmHWM), so a long desk session's RSS grows toward the part
	// of a multi-GB file it has read, though its own memory is a few MB.
	// Trimming loses no data: the pages are clean and shared, they stay in
	// the page cache, and the next read maps them back with a minor fault,
	// never a disk read. It costs time, though: a minor fault (mapping up to
	// 64 KiB) measured 30-50 µs on the bench's 2-core VM, and a client
	// search at full scale touches records all over the file, so right
	// after a trim a keystroke faults tens of times. Hence the trim waits
	// for a pause (TrimWhenIdle), when nobody is waiting for a read, and
	// the ceiling for busy stretches is high (see .notes/performance.md).
	MappedResidentCap int64
	MappedResidentMax int64
	// ReadOnly opens the file for reading only, under a shared lock, so a
	// backup that may only be read (mode 0444, a read-only folder or disk)
	// can be checked and reported on, by several readers at once. Nothing is
	// written: no folder is made, no schema upgraded (a file that needs one
	// is refused with ErrNeedsUpgrade), no damage marker left or removed;
	// Update and Batch refuse with ErrReadOnly.
	ReadOnly bool
}

// ErrReadOnly is a write asked of a database opened read-only, or one this
// process may only read (file mode, folder, file system).
var ErrReadOnly = errors.New("database is read-only")

// ErrNeedsUpgrade is a read-only open of a file whose schema is older than
// this paydesk's: reading it needs the upgrade, which is a write.
var ErrNeedsUpgrade = errors.New("database needs a schema upgrade")

// ErrDiskFull is a commit that the disk (or the file size limit) had no room
// for; bbolt rolled it back, so nothing was written.
var ErrDiskFull = errors.New("no space left for the database")

// DB is an open paydesk database. It is safe for concurrent use: any number
// of View calls run alongside at most one Update.
type DB struct {
	bolt     *bolt.DB
	path     string
	readOnly bool
	settings *settingsCache
	mapped   *mappedTrim
	// damaged is set once a read found the file damaged (a recovered bbolt
	// panic or fault, or a failed Verify): from then on no write is
	// accepted, so nothing is built on top of broken pages.
	damaged atomic.Pointer[error]
}

var _ finance.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path, creates every bucket
// and brings the schema up to date. Another process holding the file makes it
// fail within opts.LockTimeout with an error wrapping finance.ErrLocked.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	return open(ctx, path, opts, migrations())
}

func open(ctx context.Context, path string, opts Options, migs []migration) (_ *DB, err error) {
	defer recoverDamage(&err, path)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%w: no database path given", finance.ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		path = abs
	}
	if opts.ReadOnly {
		// bbolt would try to write the first pages of an empty file.
		if !Exists(path) {
			return nil, fmt.Errorf("%w: database %s is missing or empty (nothing to read)", finance.ErrNotInitialized, path)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the folder for database %s: %w", path, err)
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         timeout,
		NoSync:          opts.NoSync,
		NoGrowSync:      opts.NoSync,
		InitialMmapSize: opts.InitialMmapSize,
		// The array freelist writes itself out on each commit by merging two
		// sorted lists; the map freelist sorts every free page id on every
		// commit, which on a file with thousands of free pages was a tenth of
		// the webhook path's CPU, all of it under the one write lock. The
		// map's strength, finding long runs of free pages, is not needed:
		// almost every allocation here is one page. The file format is the
		// same either way: only bbolt's in-memory index of free pages differs.
		FreelistType: bolt.FreelistArrayType,
		ReadOnly:     opts.ReadOnly,
	})
	if err != nil {
		return nil, openError(path, err)
	}
	db := &DB{bolt: bdb, path: path, readOnly: opts.ReadOnly, settings: &settingsCache{}}
	if err := db.migrate(migs); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	db.mapped = newMappedTrim(bdb, opts.MappedResidentCap, opts.MappedResidentMax)
	db.loadMarker()
	return db, nil
}

// LockedError says another process holds the database file; Holder names
// it where the system tells (Linux: /proc/locks), else it is empty.
type LockedError struct{ Path, Holder string }

func (e *LockedError) Error() string {
	// Most often a desk left open on another terminal; paydesk serve answers
	// the CLI itself, so it rarely gets here.
	if e.Holder != "" {
		return fmt.Sprintf("database %s is in use by another paydesk process: %s holds it (a desk open on another terminal, or paydesk serve); nothing was done", e.Path, e.Holder)
	}
	return fmt.Sprintf("database %s is in use by another paydesk process (a desk open on another terminal, or paydesk serve); nothing was done", e.Path)
}

func (e *LockedError) Unwrap() error { return finance.ErrLocked }

func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return &LockedError{Path: path, Holder: lockHolder(path)}
	case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EROFS):
		// The write open of a file that may only be read: a 0444 backup, a
		// read-only folder or disk. The reports still read it read-only.
		return fmt.Errorf("%w: database %s cannot be opened for writing (%s); nothing was written (check, totals and ops still read it)",
			ErrReadOnly, path, errnoText(err))
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, berrors.ErrChecksum), isTooSmall(err):
		return notDatabase(path, err)
	}
	return fmt.Errorf("cannot open database %s: %w", path, err)
}

// isTooSmall catches bbolt's unexported refusal of a short file that is not
// a database.
func isTooSmall(err error) bool {
	return strings.Contains(err.Error(), "file size too small")
}

func notDatabase(path string, err error) error {
	return fmt.Errorf("%w: %s is not a paydesk database (%w)", finance.ErrInvalid, path, err)
}

// Close releases the file and its lock.
func (db *DB) Close() error {
	db.mapped.close()
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("closing database %s: %w", db.path, err)
	}
	return nil
}

// Path is the database file's absolute path.
func (db *DB) Path() string { return db.path }

// Exists reports whether a database file is already at path (first-run detection).
func Exists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() > 0
}

// View runs fn in a consistent read-only transaction.
func (db *DB) View(ctx context.Context, fn func(tx finance.ReadTx) error) (err error) {
	defer db.noteDamage(&err)
	defer recoverDamage(&err, db.path)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mapped.start()
	defer db.mapped.finish()
	return db.bolt.View(func(btx *bolt.Tx) error {
		began := time.Now()
		err := fn(newTx(btx, db.settings))
		// Still inside the read transaction: bbolt cannot remap the file
		// until it ends, so the mapping trimmed here is the live one.
		db.mapped.afterRead(btx, began)
		return err
	})
}

// Update runs fn in one read-write transaction: everything fn writes commits
// together, or nothing does if fn returns an error or the commit fails.
func (db *DB) Update(ctx context.Context, fn func(tx finance.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := db.refuseWrite(); err != nil {
		return err
	}
	defer db.noteDamage(&err)
	db.mapped.start()
	defer db.mapped.finish()
	btx, err := db.bolt.Begin(true)
	if err != nil {
		return fmt.Errorf("starting a write on database %s: %w", db.path, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = btx.Rollback()
		}
	}()
	defer recoverDamage(&err, db.path) // runs before the rollback above
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	if err := fn(newTx(btx, db.settings)); err != nil {
		return err
	}
	committed = true // Commit closes the tx whether or not it succeeds
	if err := btx.Commit(); err != nil {
		return db.commitError(err)
	}
	return nil
}

// errnoText is the system's own words for err ("permission denied"), without
// the path and call that the message says otherwise.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// isDiskFull is a write the file system had no room for: a full disk, a
// quota, or the process's file size limit (RLIMIT_FSIZE).
func isDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EDQUOT)
}

// commitError is a failed commit in words: bbolt has rolled it back, and
// the file still holds the last commit whole.
func (db *DB) commitError(err error) error {
	switch {
	case errors.Is(err, syscall.EFBIG):
		return fmt.Errorf("%w: database %s has reached the largest file this system lets paydesk write (%s): nothing was written; "+
			"raise the file size limit (ulimit -f) or free space, and try again", ErrDiskFull, db.path, errnoText(err))
	case isDiskFull(err):
		return fmt.Errorf("%w: the disk holding database %s is full (%s): nothing was written; free some space and try again",
			ErrDiskFull, db.path, errnoText(err))
	}
	return fmt.Errorf("saving to database %s (nothing was written): %w", db.path, err)
}

// Batch is Update for many small concurrent writers (the webhook inlet):
// bbolt merges calls that arrive together into one commit, trading a few
// milliseconds of latency for throughput. fn may run more than once, so it
// must not have effects outside tx; on an error from one fn the others are
// re-run without it.
func (db *DB) Batch(ctx context.Context, fn func(tx finance.Tx) error) (err error) {
	defer db.noteDamage(&err)
	defer recoverDamage(&err, db.path)
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := db.refuseWrite(); err != nil {
		return err
	}
	db.mapped.start()
	defer db.mapped.finish()
	err = db.bolt.Batch(func(btx *bolt.Tx) error {
		return fn(newTx(btx, db.settings))
	})
	if isDiskFull(err) {
		return db.commitError(err)
	}
	return err
}

// DamagedError reports a panic raised while reading the file: bbolt panics
// on pages it cannot make sense of, and a damaged file must give the desk a
// message (restore from backup), not a crash. The transaction is rolled back.
type DamagedError struct {
	Path  string
	Panic any
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("database %s looks damaged (%v): restore it from a backup", e.Path, e.Panic)
}

func (e *DamagedError) Unwrap() error { return finance.ErrInvalid }

// noteDamage remembers a DamagedError, so later writes are refused.
func (db *DB) noteDamage(err *error) {
	var de *DamagedError
	if *err != nil && errors.As(*err, &de) {
		db.markDamaged(*err)
	}
}

func (db *DB) markDamaged(err error) { db.damaged.CompareAndSwap(nil, &err) }

// refuseWrite is the answer to a write on a file opened read-only or found
// damaged.
func (db *DB) refuseWrite() error {
	if db.readOnly {
		return fmt.Errorf("%w: database %s is open read-only: nothing was written", ErrReadOnly, db.path)
	}
	return db.refuseDamaged()
}

// ReadOnly reports whether the file was opened read-only.
func (db *DB) ReadOnly() bool { return db.readOnly }

// refuseDamaged is the answer to a write on a file found damaged.
func (db *DB) refuseDamaged() error {
	if p := db.damaged.Load(); p != nil {
		return fmt.Errorf("%w: database %s is damaged (%v): nothing was written; no writes are accepted until it is restored from a backup (paydesk restore BACKUP)",
			finance.ErrInvalid, db.path, *p)
	}
	return nil
}

func recoverDamage(err *error, path string) {
	if r := recover(); r != nil {
		*err = &DamagedError{Path: path, Panic: r}
	}
}
