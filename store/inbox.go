package store

import (
	"fmt"
	"time"

	"github.com/paydesk/paydesk/finance"
)

var keyInboxStats = []byte("inbox_stats")

// inboxCounts is kept in meta and updated on every put, so the header badge
// never walks the inbox.
type inboxCounts struct {
	Total     int                         `json:"total"`
	ByStatus  map[finance.InboxStatus]int `json:"by_status"`
	LastError string                      `json:"last_error,omitempty"`
}

func due(s finance.InboxStatus) bool { return s == finance.InboxPending || s == finance.InboxFailed }

func (t *tx) InboxEvent(id string) (finance.ProviderEvent, error) {
	var e finance.ProviderEvent
	if id == "" {
		return e, fmt.Errorf("event with no id %w", finance.ErrNotFound)
	}
	v := t.b(bInbox).Get([]byte(id))
	if v == nil {
		return e, fmt.Errorf("event %s %w", id, finance.ErrNotFound)
	}
	err := getJSON(v, &e)
	return e, err
}

// PutInboxEvent stores or replaces an event and moves it between the
// received and due indexes to match its new state.
func (t *tx) PutInboxEvent(e finance.ProviderEvent) error {
	if e.ID == "" {
		return fmt.Errorf("%w: provider event has no id", finance.ErrInvalid)
	}
	counts, err := t.inboxCounts()
	if err != nil {
		return err
	}
	old, err := t.InboxEvent(e.ID)
	switch {
	case err == nil:
		if err := t.b(bInboxRecv).Delete(timeStrKey(old.Received, old.ID)); err != nil {
			return err
		}
		if err := t.b(bInboxDue).Delete(timeStrKey(old.Created, old.ID)); err != nil {
			return err
		}
		counts.ByStatus[old.Status]--
	default:
		counts.Total++
	}
	if err := putJSON(t.b(bInbox).Put, []byte(e.ID), e); err != nil {
		return err
	}
	if err := t.b(bInboxRecv).Put(timeStrKey(e.Received, e.ID), nil); err != nil {
		return err
	}
	if due(e.Status) {
		if err := t.b(bInboxDue).Put(timeStrKey(e.Created, e.ID), timeKey(e.NextTry)); err != nil {
			return err
		}
	}
	counts.ByStatus[e.Status]++
	if e.Status == finance.InboxFailed && e.Error != "" {
		counts.LastError = e.Error
	}
	if counts.ByStatus[finance.InboxFailed] <= 0 {
		counts.LastError = ""
	}
	return putJSON(t.b(bMeta).Put, keyInboxStats, counts)
}

func (t *tx) inboxCounts() (inboxCounts, error) {
	c := inboxCounts{ByStatus: map[finance.InboxStatus]int{}}
	if v := t.b(bMeta).Get(keyInboxStats); v != nil {
		if err := getJSON(v, &c); err != nil {
			return c, err
		}
		if c.ByStatus == nil {
			c.ByStatus = map[finance.InboxStatus]int{}
		}
	}
	return c, nil
}

// Inbox lists events newest first by received time; limit <= 0 means all.
func (t *tx) Inbox(limit int) ([]finance.ProviderEvent, error) {
	c := t.b(bInboxRecv).Cursor()
	var out []finance.ProviderEvent
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		if limit > 0 && len(out) >= limit {
			break
		}
		if len(k) < 9 {
			continue
		}
		e, err := t.InboxEvent(string(k[9:]))
		if err != nil {
			return nil, fmt.Errorf("inbox index: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// DueEvents lists pending or failed events whose next try is not after now,
// in the provider's Created order; limit <= 0 means all.
func (t *tx) DueEvents(now time.Time, limit int) ([]finance.ProviderEvent, error) {
	c := t.b(bInboxDue).Cursor()
	cutoff := getU64(timeKey(now))
	var out []finance.ProviderEvent
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if limit > 0 && len(out) >= limit {
			break
		}
		if getU64(v) > cutoff || len(k) < 9 {
			continue
		}
		e, err := t.InboxEvent(string(k[9:]))
		if err != nil {
			return nil, fmt.Errorf("due index: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *tx) InboxStats() (finance.InboxStats, error) {
	counts, err := t.inboxCounts()
	if err != nil {
		return finance.InboxStats{}, err
	}
	st := finance.InboxStats{
		Total:     counts.Total,
		Pending:   counts.ByStatus[finance.InboxPending],
		Failed:    counts.ByStatus[finance.InboxFailed],
		Flagged:   counts.ByStatus[finance.InboxFlagged],
		LastError: counts.LastError,
	}
	if k, _ := t.b(bInboxRecv).Cursor().Last(); len(k) > 9 {
		if e, err := t.InboxEvent(string(k[9:])); err == nil {
			st.LastReceived = e.Received
		}
	}
	return st, nil
}
