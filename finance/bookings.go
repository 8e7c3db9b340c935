package finance

import (
	"context"
	"fmt"
	"strings"
)

// Bookings: prepaid visits made by the booking widget, canceled by staff.

// Booking reads one booking.
func (s *Service) Booking(ctx context.Context, id string) (Booking, error) {
	return read(ctx, s, func(tx ReadTx) (Booking, error) { return tx.Booking(id) })
}

// Bookings lists bookings matching f.
func (s *Service) Bookings(ctx context.Context, f BookingFilter) ([]Booking, error) {
	return read(ctx, s, func(tx ReadTx) ([]Booking, error) { return tx.Bookings(f) })
}

// BookingRefunds lists the refunds asked for on a booking.
func (s *Service) BookingRefunds(ctx context.Context, bookingID string) ([]Refund, error) {
	return read(ctx, s, func(tx ReadTx) ([]Refund, error) { return tx.BookingRefunds(bookingID) })
}

// BookingOperations lists the operations that name a booking, oldest first.
func (s *Service) BookingOperations(ctx context.Context, bookingID string) ([]Operation, error) {
	return read(ctx, s, func(tx ReadTx) ([]Operation, error) { return tx.BookingOperations(bookingID) })
}

// CancelBooking marks a booking canceled; money left on it becomes refund due.
// Nothing is refunded automatically. Canceling a canceled booking is a no-op.
func (s *Service) CancelBooking(ctx context.Context, a Actor, id, reason string) (Booking, error) {
	if err := s.require(a, RightBookings); err != nil {
		return Booking{}, err
	}
	var b Booking
	changed := false
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		b, err = tx.Booking(id)
		if err != nil {
			return err
		}
		switch b.Status {
		case BookingCanceled, BookingRefunded:
			return nil
		case BookingServed:
			return fmt.Errorf("%w: booking %s was already served", ErrConflict, id)
		}
		now := s.now()
		b.Status, b.Updated = BookingCanceled, now
		if b.Paid-b.Refunded <= 0 {
			b.Status = BookingRefunded
		}
		changed = true
		if err := tx.PutBooking(b); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: now, Staff: a.Staff, Action: "booking_cancel",
			Subject: "booking " + id, Reason: strings.TrimSpace(reason)})
	})
	if err != nil {
		return Booking{}, err
	}
	if changed {
		s.publish(Change{What: "booking", ClientID: b.ClientID})
	}
	return b, nil
}
