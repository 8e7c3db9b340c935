package store

import (
	"bytes"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// ---- bookings

func (t *tx) Booking(id string) (finance.Booking, error) {
	var bk finance.Booking
	if id == "" {
		return bk, fmt.Errorf("booking with no id %w", finance.ErrNotFound)
	}
	v := t.b(bBookings).Get([]byte(id))
	if v == nil {
		return bk, fmt.Errorf("booking %s %w", id, finance.ErrNotFound)
	}
	// The error names the booking, so callers pass it on as it is.
	if err := getJSON(v, &bk); err != nil {
		return bk, fmt.Errorf("booking %s: %w", id, err)
	}
	return bk, nil
}

// Booking indexes are ordered by start time, so a limited listing walks
// exactly the entries it returns. Each value carries the booking's status,
// so a status filter on the client or the all-bookings index is decided
// without loading the booking:
//
//	bookings_start   start nanos, id       -> status
//	bookings_status  status 0 start, id    -> nil
//	bookings_client  client id, start, id  -> status
func bkStartKey(b finance.Booking) []byte {
	return append(timeKey(b.StartsAt), b.ID...)
}

func bkStatusKey(b finance.Booking) []byte {
	return append(join([]byte(b.Status), timeKey(b.StartsAt)), b.ID...)
}

func bkClientKey(b finance.Booking) []byte {
	return append(append(u64(uint64(b.ClientID)), timeKey(b.StartsAt)...), b.ID...)
}

func (t *tx) PutBooking(bk finance.Booking) error {
	if bk.ID == "" {
		return fmt.Errorf("%w: booking has no id", finance.ErrInvalid)
	}
	if old, err := t.Booking(bk.ID); err == nil {
		if err := deleteBookingIndexes(t.btx, old); err != nil {
			return err
		}
	}
	if err := putJSON(t.b(bBookings).Put, []byte(bk.ID), bk); err != nil {
		return err
	}
	if err := putBookingIndexes(t.btx, bk); err != nil {
		return err
	}
	return t.logChange(finance.ChangeBooking, bk.ID)
}

func putBookingIndexes(btx *bolt.Tx, bk finance.Booking) error {
	if err := btx.Bucket(bBookStart).Put(bkStartKey(bk), []byte(bk.Status)); err != nil {
		return err
	}
	if err := btx.Bucket(bBookStatus).Put(bkStatusKey(bk), nil); err != nil {
		return err
	}
	return btx.Bucket(bBookClient).Put(bkClientKey(bk), []byte(bk.Status))
}

func deleteBookingIndexes(btx *bolt.Tx, bk finance.Booking) error {
	if err := btx.Bucket(bBookStart).Delete(bkStartKey(bk)); err != nil {
		return err
	}
	if err := btx.Bucket(bBookStatus).Delete(bkStatusKey(bk)); err != nil {
		return err
	}
	return btx.Bucket(bBookClient).Delete(bkClientKey(bk))
}

// rebuildBookingIndexes lays the booking indexes out anew from the bookings
// themselves (schema 2: keys ordered by start time, status in the values).
// It reads and writes only booking buckets, so it runs the same whatever
// other migrations did before or after it.
func rebuildBookingIndexes(btx *bolt.Tx) error {
	for _, name := range [][]byte{bBookStart, bBookStatus, bBookClient} {
		if btx.Bucket(name) != nil {
			if err := btx.DeleteBucket(name); err != nil {
				return fmt.Errorf("dropping %s: %w", name, err)
			}
		}
		if _, err := btx.CreateBucket(name); err != nil {
			return fmt.Errorf("creating %s: %w", name, err)
		}
	}
	bks := btx.Bucket(bBookings)
	if bks == nil {
		return nil
	}
	return bks.ForEach(func(k, v []byte) error {
		var bk finance.Booking
		if err := getJSON(v, &bk); err != nil {
			return fmt.Errorf("booking %s: %w", k, err)
		}
		return putBookingIndexes(btx, bk)
	})
}

// Bookings lists the bookings matching f by start time then id (newest
// first when f.Newest), at most f.Limit (<= 0: all). It walks the one index
// that fits the filter in that order and stops at the limit, so a screen's
// page costs its own rows, not the whole history.
func (t *tx) Bookings(f finance.BookingFilter) ([]finance.Booking, error) {
	st := f.Status
	if f.RefundDue {
		if st != "" && st != finance.BookingCanceled {
			return nil, nil
		}
		st = finance.BookingCanceled
	}
	var (
		bucket *bolt.Bucket
		prefix []byte
		idAt   int  // where the booking id starts in a key
		stVal  bool // the value holds the status, to filter before loading
	)
	switch {
	case f.ClientID != 0:
		bucket, prefix, idAt, stVal = t.b(bBookClient), u64(uint64(f.ClientID)), 16, true
	case st != "":
		prefix = join([]byte(st), nil)
		bucket, idAt = t.b(bBookStatus), len(prefix)+8
	default:
		bucket, idAt, stVal = t.b(bBookStart), 8, true
	}
	var out []finance.Booking
	err := walkPrefix(bucket.Cursor(), prefix, f.Newest, func(k, v []byte) (bool, error) {
		if len(k) <= idAt {
			return false, fmt.Errorf("booking index: short key %x (damaged file?)", k)
		}
		if stVal && st != "" && string(v) != string(st) {
			return true, nil
		}
		bk, err := t.Booking(string(k[idAt:]))
		if err != nil {
			return false, fmt.Errorf("booking index: %w", err)
		}
		if (st != "" && bk.Status != st) || (f.ClientID != 0 && bk.ClientID != f.ClientID) {
			return true, nil
		}
		if f.RefundDue && bk.Paid <= bk.Refunded {
			return true, nil
		}
		out = append(out, bk)
		return f.Limit <= 0 || len(out) < f.Limit, nil
	})
	return out, err
}

// walkPrefix visits the keys with prefix in order, or in reverse, until fn
// says stop or fails.
func walkPrefix(c *bolt.Cursor, prefix []byte, reverse bool, fn func(k, v []byte) (bool, error)) error {
	var k, v []byte
	if !reverse {
		k, v = c.Seek(prefix)
	} else {
		k, v = seekLastWithPrefix(c, prefix)
	}
	for ; k != nil && hasPrefix(k, prefix); k, v = step(c, reverse) {
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func step(c *bolt.Cursor, reverse bool) ([]byte, []byte) {
	if reverse {
		return c.Prev()
	}
	return c.Next()
}

// seekLastWithPrefix positions c on the last key that starts with prefix
// (nil if there is none).
func seekLastWithPrefix(c *bolt.Cursor, prefix []byte) ([]byte, []byte) {
	if len(prefix) == 0 {
		return c.Last()
	}
	// The first key after every key with this prefix is at or after the
	// prefix with its last non-0xff byte incremented.
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			end = end[:i+1]
			k, _ := c.Seek(end)
			if k == nil {
				return c.Last()
			}
			return c.Prev()
		}
	}
	return c.Last()
}

// ---- refunds

func (t *tx) Refund(key string) (finance.Refund, error) {
	var r finance.Refund
	if key == "" {
		return r, fmt.Errorf("refund with no key %w", finance.ErrNotFound)
	}
	v := t.b(bRefunds).Get([]byte(key))
	if v == nil {
		return r, fmt.Errorf("refund %s %w", key, finance.ErrNotFound)
	}
	err := getJSON(v, &r)
	return r, err
}

func (t *tx) PutRefund(r finance.Refund) error {
	if r.Key == "" {
		return fmt.Errorf("%w: refund has no idempotency key", finance.ErrInvalid)
	}
	if old, err := t.Refund(r.Key); err == nil && old.BookingID != r.BookingID {
		if err := t.b(bRefBooking).Delete(join([]byte(old.BookingID), []byte(old.Key))); err != nil {
			return err
		}
	}
	if err := putJSON(t.b(bRefunds).Put, []byte(r.Key), r); err != nil {
		return err
	}
	if err := t.b(bRefBooking).Put(join([]byte(r.BookingID), []byte(r.Key)), nil); err != nil {
		return err
	}
	return t.logChange(finance.ChangeRefund, r.Key)
}

// BookingRefunds lists a booking's refunds in the order they were created.
func (t *tx) BookingRefunds(bookingID string) ([]finance.Refund, error) {
	prefix := join([]byte(bookingID), nil)
	c := t.b(bRefBooking).Cursor()
	var out []finance.Refund
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		r, err := t.Refund(string(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("refund index: %w", err)
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}
