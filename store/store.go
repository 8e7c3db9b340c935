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
}

// DB is an open paydesk database. It is safe for concurrent use: any number
// of View calls run alongside at most one Update.
type DB struct {
	bolt     *bolt.DB
	path     string
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
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
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
	})
	if err != nil {
		return nil, openError(path, err)
	}
	db := &DB{bolt: bdb, path: path, settings: &settingsCache{}}
	if err := db.migrate(migs); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	db.mapped = newMappedTrim(bdb, opts.MappedResidentCap, opts.MappedResidentMax)
	db.loadMarker()
	return db, nil
}

// LockedError says another process holds the database file.
type LockedError struct{ Path string }

func (e *LockedError) Error() string {
	// Most often a desk left open on another terminal; paydesk serve answers
	// the CLI itself, so it rarely gets here.
	return fmt.Sprintf("database %s is in use by another paydesk process (a desk open on another terminal, or paydesk serve)", e.Path)
}

func (e *LockedError) Unwrap() error { return finance.ErrLocked }

func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return &LockedError{Path: path}
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("cannot open database %s: %w", path, err)
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
	if err := db.refuseDamaged(); err != nil {
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
		return fmt.Errorf("saving to database %s (nothing was written): %w", db.path, err)
	}
	return nil
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
	if err := db.refuseDamaged(); err != nil {
		return err
	}
	db.mapped.start()
	defer db.mapped.finish()
	return db.bolt.Batch(func(btx *bolt.Tx) error {
		return fn(newTx(btx, db.settings))
	})
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
