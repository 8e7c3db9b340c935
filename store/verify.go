package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DamageMarker is the file beside the database that a failed Verify leaves:
// while it is there the file opens for reading (check, backup, export) but
// takes no write, in this process or any other, until a restore or a check
// that passes removes it.
func DamageMarker(dbPath string) string { return dbPath + ".damaged" }

// Verify reads every page of the file that the buckets reach, then runs
// bbolt's page-level integrity check, then checks that every client history
// entry equals the operation it copies. The ledger's own invariants are
// finance.Service.Check. A damaged file is named with what is damaged, never
// a panic, and is marked so no write is accepted into it.
func (db *DB) Verify(ctx context.Context) error { return db.VerifyWithProgress(ctx, nil) }

// Verify's steps, as VerifyWithProgress names them.
const (
	VerifyPages   = "reading every page"     // done: keys and values read so far
	VerifyTree    = "bbolt's page check"     // no count: bbolt says nothing until it ends
	VerifyHistory = "client history entries" // no count
)

// VerifyWithProgress is Verify, telling progress which step it is on and,
// while it reads the pages, how many entries it has read (every few
// thousand). progress runs in Verify's goroutine and must be quick; nil is Verify.
func (db *DB) VerifyWithProgress(ctx context.Context, progress func(step string, done int)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if progress == nil {
		progress = func(string, int) {}
	}
	var problems []error
	total := 0
	add := func(e error) bool {
		total++
		if len(problems) < 20 {
			problems = append(problems, e)
		}
		return ctx.Err() == nil
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		// First our own walk, in this goroutine: bbolt's checker runs in a
		// goroutine of its own, where a page that fails bbolt's assertions
		// panics beyond any recover and takes the process down.
		progress(VerifyPages, 0)
		if err := walkPages(tx, func(n int) { progress(VerifyPages, n) }); err != nil {
			add(err)
			return nil
		}
		progress(VerifyTree, 0)
		for e := range tx.Check() { // drained fully so the checker goroutine ends
			add(e)
		}
		if total > 0 {
			return nil // indexes mean little on damaged pages
		}
		progress(VerifyHistory, 0)
		newTx(tx, nil).checkClientHistory(add)
		return ctx.Err()
	})
	if err != nil {
		return fmt.Errorf("checking database %s: %w", db.path, err)
	}
	if total > len(problems) {
		problems = append(problems, fmt.Errorf("and %d more", total-len(problems)))
	}
	if len(problems) > 0 {
		err := fmt.Errorf("database %s is damaged: %w", db.path, errors.Join(problems...))
		db.markDamaged(err)
		if !db.readOnly {
			_ = WriteDamageMarker(db.path, err)
		}
		return &VerifyError{err: err}
	}
	if !db.readOnly {
		_ = RemoveDamageMarker(db.path)
	}
	return nil
}

// VerifyError is a file Verify found damaged (as opposed to one it could
// not finish reading): the caller of a read-only open may leave the marker.
type VerifyError struct{ err error }

func (e *VerifyError) Error() string { return e.err.Error() }
func (e *VerifyError) Unwrap() error { return e.err }

// RemoveDamageMarker removes the marker of a file that passes every check
// again (restored in place by hand). No marker is no error.
func RemoveDamageMarker(dbPath string) error {
	err := os.Remove(DamageMarker(dbPath))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// walkPages visits every bucket, key and value, touching the last byte of
// each value so overflow pages are read too. A page bbolt cannot make sense
// of panics (or faults, past the end of a short file); that is recovered
// here and reported with the bucket it was in.
func walkPages(tx *bolt.Tx, read func(n int)) (err error) {
	var where []string
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bucket %s has a damaged page (%v)", strings.Join(where, "/"), r)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var sink byte
	n := 0
	var walk func(b *bolt.Bucket)
	walk = func(b *bolt.Bucket) {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n++; n%8192 == 0 {
				read(n)
			}
			if v != nil {
				if len(v) > 0 {
					sink ^= v[len(v)-1]
				}
				continue
			}
			if sub := b.Bucket(k); sub != nil {
				where = append(where, string(k))
				walk(sub)
				where = where[:len(where)-1]
			}
		}
	}
	err = tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		where = append(where[:0], string(name))
		walk(b)
		return nil
	})
	_ = sink
	return err
}

// WriteDamageMarker leaves the marker beside a file a check found damaged.
// It is a file of its own, never a write into the database, so `paydesk
// check` leaves it after a read-only open too, where the folder allows.
func WriteDamageMarker(dbPath string, cause error) error {
	text := fmt.Sprintf("%s paydesk check found this database damaged; no writes are accepted until it is restored (paydesk restore BACKUP).\n%v\n",
		time.Now().UTC().Format(time.RFC3339), cause)
	return os.WriteFile(DamageMarker(dbPath), []byte(text), 0o600)
}

// loadMarker refuses writes to a file an earlier check found damaged.
func (db *DB) loadMarker() {
	if b, err := os.ReadFile(DamageMarker(db.path)); err == nil {
		when, _, _ := strings.Cut(string(b), " ")
		db.markDamaged(fmt.Errorf("paydesk check found it damaged at %s; see %s", when, DamageMarker(db.path)))
	}
}
