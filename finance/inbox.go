package finance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The inbox: provider events stored once, by id, before anything is
// applied; then applied exactly once, retried with backoff when they fail.

// Retry backoff for failed events: doubling from the first delay, capped so a
// stuck event is still retried a few times a day.
const (
	firstRetry = 5 * time.Second
	maxRetry   = 6 * time.Hour
)

// EventBackoff is how long to wait before the next try after attempts failures.
func EventBackoff(attempts int) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	if d > maxRetry {
		d = maxRetry
	}
	return d
}

// Batcher is a Store that can merge small writes arriving together from
// many goroutines into one commit (store.DB does, with bbolt's DB.Batch).
// fn may run more than once, so it must not have effects outside tx.
type Batcher interface {
	Batch(ctx context.Context, fn func(tx Tx) error) error
}

// RecordEvent stores a provider event in the inbox if its id is new.
// It reports whether the event was new. Nothing is applied yet.
func (s *Service) RecordEvent(ctx context.Context, e ProviderEvent) (bool, error) {
	if err := s.readyForInbox(&e); err != nil {
		return false, err
	}
	isNew := false
	// Webhooks arrive in bursts from many connections: where the store can,
	// concurrent records share one commit (one fsync) instead of one each.
	write := s.store.Update
	if b, ok := s.store.(Batcher); ok {
		write = b.Batch
	}
	err := write(ctx, func(tx Tx) error {
		var err error
		isNew, err = recordIn(tx, e) // a batch may run fn again: set anew
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record event %s: %w", e.ID, err)
	}
	if isNew {
		s.publish(Change{What: "inbox"})
	}
	return isNew, nil
}

// recordChunk bounds one RecordEvents transaction, so a month's backlog is
// not one commit holding the write lock (and its pages in memory) at once.
const recordChunk = 1000

// RecordEvents stores several provider events as RecordEvent does each, in
// one transaction per recordChunk. A poll brings its events from one
// goroutine: recorded one by one, each would wait out the store's batch
// delay alone (about 80 events a second), and a backlog would take minutes.
// Every event is checked before anything is written; a failed chunk writes
// nothing, and the chunks before it stay. It returns how many were new.
func (s *Service) RecordEvents(ctx context.Context, evs []ProviderEvent) (int, error) {
	ready := make([]ProviderEvent, len(evs))
	for i, e := range evs {
		if err := s.readyForInbox(&e); err != nil {
			return 0, err
		}
		ready[i] = e
	}
	fresh := 0
	for chunk := range slices.Chunk(ready, recordChunk) {
		n := 0
		err := s.store.Update(ctx, func(tx Tx) error {
			for _, e := range chunk {
				isNew, err := recordIn(tx, e)
				if err != nil {
					return fmt.Errorf("record event %s: %w", e.ID, err)
				}
				if isNew {
					n++
				}
			}
			return nil
		})
		if err != nil {
			if fresh > 0 {
				s.publish(Change{What: "inbox"})
			}
			return fresh, err
		}
		fresh += n
	}
	if fresh > 0 {
		s.publish(Change{What: "inbox"})
	}
	return fresh, nil
}

// readyForInbox checks an event for the inbox and fills in what it leaves
// out: provider, type, times, and a fresh state (pending, or ignored for a
// type paydesk does not apply).
func (s *Service) readyForInbox(e *ProviderEvent) error {
	if strings.TrimSpace(e.ID) == "" {
		return fmt.Errorf("%w: provider event without an id", ErrInvalid)
	}
	if e.Provider == "" {
		e.Provider = defaultProvider
	}
	if e.Type == "" {
		e.Type = EventUnknown
	}
	if err := cleanEvent(e); err != nil {
		return err
	}
	if e.Received.IsZero() {
		e.Received = s.now()
	}
	if e.Created.IsZero() {
		e.Created = e.Received
	}
	e.Attempts, e.Error, e.Operation, e.NextTry = 0, "", 0, time.Time{}
	e.Status = InboxPending
	if e.Type == EventUnknown {
		// Kept for the record (the sync view lists it) but never applied.
		e.Status = InboxIgnored
	}
	return nil
}

// recordIn stores e in the inbox inside tx unless its id is there
// already (recorded before, or earlier in the same transaction).
func recordIn(tx Tx, e ProviderEvent) (bool, error) {
	if _, err := tx.InboxEvent(e.ID); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	if err := tx.PutInboxEvent(e); err != nil {
		return false, err
	}
	return true, nil
}

// Event reads one inbox event.
func (s *Service) Event(ctx context.Context, id string) (ProviderEvent, error) {
	return read(ctx, s, func(tx ReadTx) (ProviderEvent, error) { return tx.InboxEvent(id) })
}

// SetEventPayload replaces what an event says (its type and neutral
// payload) with what the provider filled in later, keeping its inbox state.
// Events already applied or ignored keep what they were applied with.
func (s *Service) SetEventPayload(ctx context.Context, e ProviderEvent) error {
	if err := cleanEvent(&e); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		cur, err := tx.InboxEvent(e.ID)
		if err != nil {
			return fmt.Errorf("event %s: %w", e.ID, err)
		}
		if cur.Status != InboxPending && cur.Status != InboxFailed {
			return nil
		}
		cur.Type, cur.ObjectID, cur.PaymentRef = e.Type, e.ObjectID, e.PaymentRef
		cur.Amount, cur.Currency, cur.Fee = e.Amount, e.Currency, e.Fee
		cur.Refunds, cur.Metadata, cur.FailureText = e.Refunds, e.Metadata, e.FailureText
		cur.FeeCurrency, cur.ObjectStatus, cur.Problem = e.FeeCurrency, e.ObjectStatus, e.Problem
		return tx.PutInboxEvent(cur)
	})
	return err
}

// DueEvents lists pending or failed events whose next try has come, oldest
// (by provider creation time) first: the order the sync worker applies them.
func (s *Service) DueEvents(ctx context.Context, limit int) ([]ProviderEvent, error) {
	return read(ctx, s, func(tx ReadTx) ([]ProviderEvent, error) { return tx.DueEvents(s.now(), limit) })
}

// ApplyEvent applies one inbox event exactly once: the ledger operation, the
// booking and client updates and the inbox mark commit together. Applying an
// already applied or ignored event is a no-op. A failure is recorded on the
// event (attempts, error, next try with backoff) and returned.
func (s *Service) ApplyEvent(ctx context.Context, id string) error {
	var changes []Change
	missing := false
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		changes, missing, err = s.applyInboxEvent(tx, &envOnce{}, id)
		return err
	})
	if err == nil {
		for _, c := range changes {
			s.publish(c)
		}
		return nil
	}
	err = fmt.Errorf("apply event %s: %w", id, err)
	if missing || ctx.Err() != nil {
		return err
	}
	// Nothing of the failed try was written; note it on the event so it is
	// retried later and the sync view shows why.
	if ferr := s.markFailed(ctx, id, err); ferr != nil {
		return fmt.Errorf("%w (recording the failure: %v)", err, ferr)
	}
	return err
}

// ApplyEvents applies several inbox events, in the order given, in one
// transaction: a burst of webhooks then costs one commit instead of one per
// event, which is what lets sync keep up with the provider. If any of them
// fails, nothing of the batch is kept and each is applied on its own with
// ApplyEvent, so the failure is recorded on that event alone and the others
// still post. It returns the first error of that second pass.
func (s *Service) ApplyEvents(ctx context.Context, ids []string) error {
	switch len(ids) {
	case 0:
		return nil
	case 1:
		return s.ApplyEvent(ctx, ids[0])
	}
	var changes []Change
	err := s.store.Update(ctx, func(tx Tx) error {
		changes = changes[:0]
		env := &envOnce{} // one per transaction, as post does: the batch agrees on "now"
		for _, id := range ids {
			c, _, err := s.applyInboxEvent(tx, env, id)
			if err != nil {
				return err
			}
			changes = append(changes, c...)
		}
		return nil
	})
	if err == nil {
		for _, c := range changes {
			s.publish(c)
		}
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	var first error
	for _, id := range ids {
		if err := s.ApplyEvent(ctx, id); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// envOnce is a transaction's postEnv, built on first use: settings, clock and
// formatter are read once for a batch of events, not once per event, and not
// at all when every event was applied already.
type envOnce struct {
	env postEnv
	ok  bool
}

func (s *Service) envFor(tx Tx, c *envOnce) (postEnv, error) {
	if !c.ok {
		env, err := s.env(tx, SystemActor())
		if err != nil {
			return postEnv{}, err
		}
		c.env, c.ok = env, true
	}
	return c.env, nil
}

// applyInboxEvent is one event's apply inside tx: the ledger operation, booking
// and client updates and the inbox mark. missing reports an unknown id.
func (s *Service) applyInboxEvent(tx Tx, envc *envOnce, id string) (changes []Change, missing bool, err error) {
	e, err := tx.InboxEvent(id)
	if err != nil {
		return nil, errors.Is(err, ErrNotFound), err
	}
	switch e.Status {
	case InboxApplied, InboxIgnored, InboxFlagged, InboxResolved:
		return nil, false, nil
	}
	env, err := s.envFor(tx, envc)
	if err != nil {
		return nil, false, err
	}
	res, err := s.applyByType(tx, env, e)
	if err != nil {
		return nil, false, err
	}
	e.Status, e.Operation, e.Error, e.NextTry = res.status, res.op, res.note, time.Time{}
	if err := tx.PutInboxEvent(e); err != nil {
		return nil, false, err
	}
	return append(res.changes, Change{What: "inbox"}), false, nil
}

// markFailed records a failed try on an event and schedules the next one.
func (s *Service) markFailed(ctx context.Context, id string, cause error) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		e, err := tx.InboxEvent(id)
		if err != nil {
			return err
		}
		e.Status = InboxFailed
		e.Attempts++
		e.Error = cause.Error()
		e.NextTry = s.now().Add(EventBackoff(e.Attempts))
		return tx.PutInboxEvent(e)
	})
	if err == nil {
		s.publish(Change{What: "inbox"})
	}
	return err
}

// DeferEvent records a failed try that happened outside ApplyEvent (the
// worker could not fetch something from the provider), with the same backoff.
func (s *Service) DeferEvent(ctx context.Context, id string, cause error) error {
	if cause == nil {
		return fmt.Errorf("%w: defer event without a cause", ErrInvalid)
	}
	return s.markFailed(ctx, id, cause)
}

// RetryEvent makes an event due now: a failed or pending one, or a flagged
// one that posted nothing (its cause may be gone: the booking arrived, the
// settings changed). The sync worker then applies it as any other, so a
// retry posts at most once whatever happens meanwhile. A flagged event that
// did post is refused: applying it again would post nothing new and only
// hide its flag, which an admin closes with ResolveEvent instead.
func (s *Service) RetryEvent(ctx context.Context, a Actor, id string) error {
	if err := s.require(a, RightSyncAdmin); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		e, err := tx.InboxEvent(id)
		if err != nil {
			return fmt.Errorf("event %s: %w", id, err)
		}
		switch {
		case e.Status == InboxFlagged && e.Operation != 0:
			return fmt.Errorf("%w: event %s posted operation %d and is flagged for an admin (%s): "+
				"retrying would post nothing new; resolve it with a reason once it is dealt with",
				ErrConflict, id, e.Operation, e.Error)
		case e.Status == InboxFlagged:
			e.Status = InboxPending // its flag's reason stays in Error until it is applied again
		case e.Status != InboxFailed && e.Status != InboxPending:
			return fmt.Errorf("%w: event %s is %s, nothing to retry", ErrConflict, id, e.Status)
		}
		e.NextTry = time.Time{}
		if err := tx.PutInboxEvent(e); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: "event_retry", Subject: "event " + id})
	})
	if err == nil {
		s.publish(Change{What: "inbox"})
	}
	return err
}

// ResolveEvent closes a flagged event: an admin has dealt with what its flag
// says (answered the dispute, attached the client, settled it by hand) and
// says how, in reason. The event keeps its flag's reason and anything it
// posted; it stops counting as flagged. Audited.
func (s *Service) ResolveEvent(ctx context.Context, a Actor, id, reason string) (ProviderEvent, error) {
	if err := s.require(a, RightSyncAdmin); err != nil {
		return ProviderEvent{}, err
	}
	reason, err := requiredText("reason", reason, maxReasonLen)
	if err != nil {
		return ProviderEvent{}, err
	}
	var out ProviderEvent
	err = s.store.Update(ctx, func(tx Tx) error {
		e, err := tx.InboxEvent(id)
		if err != nil {
			return fmt.Errorf("event %s: %w", id, err)
		}
		switch e.Status {
		case InboxFlagged:
		case InboxResolved:
			return fmt.Errorf("%w: event %s is resolved already: %s", ErrConflict, id, e.Resolution)
		default:
			return fmt.Errorf("%w: event %s is %s, not flagged: nothing to resolve", ErrConflict, id, e.Status)
		}
		e.Status, e.Resolution = InboxResolved, reason
		if err := tx.PutInboxEvent(e); err != nil {
			return err
		}
		out = e
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: "event_resolve",
			Subject: "event " + id, Reason: reason, Detail: e.Error})
	})
	if err != nil {
		return ProviderEvent{}, err
	}
	s.publish(Change{What: "inbox"})
	return out, nil
}

// InboxList lists recent events newest first, only those of status when it
// is not "", at most limit (<= 0: all).
func (s *Service) InboxList(ctx context.Context, status InboxStatus, limit int) ([]ProviderEvent, error) {
	if status != "" && !slices.Contains(InboxStatuses(), status) {
		return nil, fmt.Errorf("%w: no event status %q (one of %s)", ErrInvalid, status, joinStatuses())
	}
	keep := func(e ProviderEvent) bool { return status == "" || e.Status == status }
	return read(ctx, s, func(tx ReadTx) ([]ProviderEvent, error) {
		if r, ok := tx.(InboxFilterReader); ok {
			return r.InboxWhere(keep, limit)
		}
		all, err := tx.Inbox(0)
		if err != nil {
			return nil, err
		}
		var out []ProviderEvent
		for _, e := range all {
			if keep(e) && (limit <= 0 || len(out) < limit) {
				e.Raw = nil
				out = append(out, e)
			}
		}
		return out, nil
	})
}

func joinStatuses() string {
	ss := InboxStatuses()
	parts := make([]string, len(ss))
	for i, st := range ss {
		parts[i] = string(st)
	}
	return strings.Join(parts, ", ")
}

// EventOperations lists the operations an event posted: the one it names,
// and for a refund event each refund's own (one event can carry several).
func (s *Service) EventOperations(ctx context.Context, id string) ([]Operation, error) {
	return read(ctx, s, func(tx ReadTx) ([]Operation, error) {
		e, err := tx.InboxEvent(id)
		if err != nil {
			return nil, err
		}
		var out []Operation
		seen := map[OperationID]bool{}
		add := func(op Operation) {
			if op.ID != 0 && !seen[op.ID] {
				seen[op.ID] = true
				out = append(out, op)
			}
		}
		if e.Operation != 0 {
			op, err := tx.Operation(e.Operation)
			if err != nil {
				return nil, fmt.Errorf("event %s's operation %d: %w", id, e.Operation, err)
			}
			add(op)
		}
		if e.Type == EventRefundUpdated {
			for _, r := range e.Refunds {
				op, found, err := providerOpKey(e.Provider, OpRefund, r.ID).lookup(tx)
				if err != nil {
					return nil, err
				}
				if found {
					add(op)
				}
			}
		}
		return out, nil
	})
}

// Inbox lists recent provider events, newest first.
func (s *Service) Inbox(ctx context.Context, limit int) ([]ProviderEvent, error) {
	return read(ctx, s, func(tx ReadTx) ([]ProviderEvent, error) { return tx.Inbox(limit) })
}

func (s *Service) InboxStats(ctx context.Context) (InboxStats, error) {
	return read(ctx, s, func(tx ReadTx) (InboxStats, error) { return tx.InboxStats() })
}

// Cursor reads a provider's saved poll position ("" when unset).
func (s *Service) Cursor(ctx context.Context, name string) (string, error) {
	return read(ctx, s, func(tx ReadTx) (string, error) { return tx.Cursor(name) })
}

// SetCursor saves a provider's poll position.
func (s *Service) SetCursor(ctx context.Context, name, value string) error {
	return s.store.Update(ctx, func(tx Tx) error { return tx.SetCursor(name, value) })
}
