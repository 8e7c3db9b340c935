package finance

import "context"

// Bookings, provider events and refunds. The sync worker (package payments)
// turns a provider's events into ProviderEvents and feeds them here; each is
// stored once in the inbox and applied once, in one transaction with its
// ledger operation.

// RecordEvent stores a provider event in the inbox if its id is new.
// It reports whether the event was new. Nothing is applied yet.
func (s *Service) RecordEvent(ctx context.Context, e ProviderEvent) (bool, error) {
	return false, errTODO
}

// ApplyEvent applies one inbox event exactly once: the ledger operation, the
// booking and client updates and the inbox mark commit together. Applying an
// already applied or ignored event is a no-op. A failure is recorded on the
// event (attempts, error, next try with backoff) and returned.
func (s *Service) ApplyEvent(ctx context.Context, id string) error { return errTODO }

// RetryEvent makes a failed event due now.
func (s *Service) RetryEvent(ctx context.Context, a Actor, id string) error { return errTODO }

func (s *Service) Booking(ctx context.Context, id string) (Booking, error) {
	return Booking{}, errTODO
}
func (s *Service) Bookings(ctx context.Context, f BookingFilter) ([]Booking, error) {
	return nil, errTODO
}

// CancelBooking marks a booking canceled; money left on it becomes refund due.
// Nothing is refunded automatically.
func (s *Service) CancelBooking(ctx context.Context, a Actor, id, reason string) (Booking, error) {
	return Booking{}, errTODO
}

// RefundRequest is an admin's decision to refund a canceled booking.
type RefundRequest struct {
	Key       string // idempotency key (made when the form opens)
	BookingID string
	Amount    int64 // 0 = everything left
	ToDeposit bool  // to the client's deposit instead of the card
	Reason    string
}

// StartRefund checks the refund and either posts it at once (ToDeposit) or
// saves a Refund in state RefundRequested, whose Key the caller then sends to
// the provider. A refund never exceeds paid minus already refunded (counting
// requested and pending refunds).
func (s *Service) StartRefund(ctx context.Context, a Actor, r RefundRequest) (Refund, error) {
	return Refund{}, errTODO
}

// CompleteRefund records what the provider said about a refund: on
// "succeeded" it posts the refund operation once; "failed" frees the amount.
func (s *Service) CompleteRefund(ctx context.Context, key, providerRef, status, errText string) (Refund, error) {
	return Refund{}, errTODO
}

// PendingRefunds lists refunds sent but not final (to look up after a crash).
func (s *Service) PendingRefunds(ctx context.Context) ([]Refund, error) { return nil, errTODO }

// Inbox lists recent provider events, newest first.
func (s *Service) Inbox(ctx context.Context, limit int) ([]ProviderEvent, error) {
	return nil, errTODO
}
func (s *Service) InboxStats(ctx context.Context) (InboxStats, error) {
	return InboxStats{}, errTODO
}
