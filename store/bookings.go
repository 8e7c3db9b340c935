package store

import (
	"fmt"
	"sort"

	"github.com/paydesk/paydesk/finance"
)

// MarkReversed links an original operation to its reversal. Marking the same
// pair twice is a no-op; marking an already reversed original again is refused.
func (t *tx) MarkReversed(original, reversal finance.OperationID) error {
	orig, err := t.Operation(original)
	if err != nil {
		return err
	}
	if _, err := t.Operation(reversal); err != nil {
		return err
	}
	if original == reversal {
		return fmt.Errorf("%w: operation %d cannot reverse itself", finance.ErrInvalid, original)
	}
	switch orig.ReversedBy {
	case reversal:
		return nil
	case 0:
	default:
		return fmt.Errorf("%w: operation %d was already reversed by operation %d", finance.ErrAlreadyReversed, original, orig.ReversedBy)
	}
	orig.ReversedBy = reversal
	return putJSON(t.b(bOps).Put, u64(uint64(original)), orig)
}

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
	err := getJSON(v, &bk)
	return bk, err
}

func (t *tx) PutBooking(bk finance.Booking) error {
	if bk.ID == "" {
		return fmt.Errorf("%w: booking has no id", finance.ErrInvalid)
	}
	if old, err := t.Booking(bk.ID); err == nil {
		if err := t.b(bBookStatus).Delete(join([]byte(old.Status), []byte(old.ID))); err != nil {
			return err
		}
		if err := t.b(bBookClient).Delete(append(u64(uint64(old.ClientID)), old.ID...)); err != nil {
			return err
		}
	}
	if err := putJSON(t.b(bBookings).Put, []byte(bk.ID), bk); err != nil {
		return err
	}
	if err := t.b(bBookStatus).Put(join([]byte(bk.Status), []byte(bk.ID)), nil); err != nil {
		return err
	}
	return t.b(bBookClient).Put(append(u64(uint64(bk.ClientID)), bk.ID...), nil)
}

// Bookings lists the bookings matching f, ordered by start time then id,
// at most f.Limit (<= 0: all). A status or client narrows the walk to its index.
func (t *tx) Bookings(f finance.BookingFilter) ([]finance.Booking, error) {
	var ids []string
	switch {
	case f.Status != "" || f.RefundDue:
		st := f.Status
		if f.RefundDue {
			if st != "" && st != finance.BookingCanceled {
				return nil, nil
			}
			st = finance.BookingCanceled
		}
		prefix := join([]byte(st), nil)
		c := t.b(bBookStatus).Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, string(k[len(prefix):]))
		}
	case f.ClientID != 0:
		prefix := u64(uint64(f.ClientID))
		c := t.b(bBookClient).Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, string(k[8:]))
		}
	default:
		c := t.b(bBookings).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			ids = append(ids, string(k))
		}
	}
	var out []finance.Booking
	for _, id := range ids {
		bk, err := t.Booking(id)
		if err != nil {
			return nil, fmt.Errorf("booking index: %w", err)
		}
		if (f.Status != "" && bk.Status != f.Status) || (f.ClientID != 0 && bk.ClientID != f.ClientID) {
			continue
		}
		if f.RefundDue && !(bk.Status == finance.BookingCanceled && bk.Paid > bk.Refunded) {
			continue
		}
		out = append(out, bk)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].StartsAt.Equal(out[j].StartsAt) {
			return out[i].StartsAt.Before(out[j].StartsAt)
		}
		return out[i].ID < out[j].ID
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
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
	return t.b(bRefBooking).Put(join([]byte(r.BookingID), []byte(r.Key)), nil)
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
