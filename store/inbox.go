package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// The inbox is on the webhook path, whose budget is a few thousand events a
// second under bbolt's one write lock, so its records are cheap to read and
// rewrite:
//
//   - an event is a compact binary record (inboxCodec), not JSON: the worker
//     reads each event three times and rewrites it once;
//   - the raw webhook body lives apart in bInboxRaw as plain bytes, written
//     when the event is recorded and never again while only its state changes;
//   - the counts behind the header badge are fixed-width integers in meta.
//
// Files written before this layout keep JSON records (with the body inside,
// base64) and JSON counts; both are still read, and rewritten in the new form
// the first time they change, so no migration is needed.

// bInboxRaw holds each event's raw body (event id -> body as received). It is
// made by the first write that needs it, so files from before it open as
// they are; readers treat a missing bucket as no bodies.
var bInboxRaw = []byte("inbox_raw")

var (
	keyInboxStats     = []byte("inbox_stats")      // older files: JSON counts
	keyInboxCounts    = []byte("inbox_counts")     // inboxSlots big-endian uint64s
	keyInboxLastError = []byte("inbox_last_error") // the newest failure's text
)

// Counter slots in keyInboxCounts: the total, then one per status. A status
// this store does not know (never written by finance) counts as other.
const (
	slotTotal = iota
	slotPending
	slotApplied
	slotIgnored
	slotFailed
	slotFlagged
	slotOther
	inboxSlots
)

func statusSlot(s finance.InboxStatus) int {
	switch s {
	case finance.InboxPending:
		return slotPending
	case finance.InboxApplied:
		return slotApplied
	case finance.InboxIgnored:
		return slotIgnored
	case finance.InboxFailed:
		return slotFailed
	case finance.InboxFlagged:
		return slotFlagged
	}
	// Resolved events (flags an admin closed) need nothing more, so they
	// count with the other settled ones: the counts' layout stays as files
	// have it.
	return slotOther
}

type inboxCounts [inboxSlots]int64

// oldInboxCounts is the JSON form files written before keyInboxCounts keep.
type oldInboxCounts struct {
	Total     int                         `json:"total"`
	ByStatus  map[finance.InboxStatus]int `json:"by_status"`
	LastError string                      `json:"last_error,omitempty"`
}

func due(s finance.InboxStatus) bool { return s == finance.InboxPending || s == finance.InboxFailed }

func (t *tx) InboxEvent(id string) (finance.ProviderEvent, error) {
	if id == "" {
		return finance.ProviderEvent{}, fmt.Errorf("event with no id %w", finance.ErrNotFound)
	}
	e, ok, err := t.inboxEvent([]byte(id), true)
	if err == nil && !ok {
		err = fmt.Errorf("event %s %w", id, finance.ErrNotFound)
	}
	return e, err
}

// inboxEvent reads one event; ok is false when there is none. withRaw adds
// the raw body, a copy that outlives the transaction.
func (t *tx) inboxEvent(id []byte, withRaw bool) (e finance.ProviderEvent, ok bool, err error) {
	v := t.b(bInbox).Get(id)
	if v == nil {
		return e, false, nil
	}
	if len(v) > 0 && v[0] == '{' {
		// Written before the binary layout: the body is inside the JSON.
		err = getJSON(v, &e)
		return e, true, err
	}
	if e, err = decodeInboxEvent(v); err != nil {
		return e, true, fmt.Errorf("decoding stored event %s (damaged record?): %w", id, err)
	}
	if withRaw {
		if rb := t.b(bInboxRaw); rb != nil {
			if raw := rb.Get(id); raw != nil {
				e.Raw = bytes.Clone(raw)
			}
		}
	}
	return e, true, nil
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
	id := []byte(e.ID)
	// The old state only: its body, if any, is not needed to replace it.
	old, existed, err := t.inboxEvent(id, false)
	if err != nil {
		return err
	}
	recvKey, dueKey := timeStrKey(e.Received, e.ID), timeStrKey(e.Created, e.ID)
	// Index entries that stay as they are are not touched: a page left
	// alone is a page the commit does not write.
	keepRecv, keepDue := false, false
	if existed {
		oldRecv, oldDue := timeStrKey(old.Received, old.ID), timeStrKey(old.Created, old.ID)
		keepRecv = bytes.Equal(oldRecv, recvKey)
		if !keepRecv {
			if err := t.b(bInboxRecv).Delete(oldRecv); err != nil {
				return err
			}
		}
		keepDue = due(old.Status) && due(e.Status) && bytes.Equal(oldDue, dueKey) &&
			bytes.Equal(t.b(bInboxDue).Get(oldDue), timeKey(e.NextTry))
		if !keepDue {
			if err := t.b(bInboxDue).Delete(oldDue); err != nil {
				return err
			}
		}
		counts[statusSlot(old.Status)]--
	} else {
		counts[slotTotal]++
	}
	v, err := encodeInboxEvent(e)
	if err != nil {
		return err
	}
	if err := t.b(bInbox).Put(id, v); err != nil {
		return err
	}
	if err := t.putInboxRaw(id, e.Raw); err != nil {
		return err
	}
	if !keepRecv {
		if err := t.b(bInboxRecv).Put(recvKey, nil); err != nil {
			return err
		}
	}
	if due(e.Status) && !keepDue {
		if err := t.b(bInboxDue).Put(dueKey, timeKey(e.NextTry)); err != nil {
			return err
		}
	}
	counts[statusSlot(e.Status)]++
	switch {
	case counts[slotFailed] <= 0:
		err = t.setInboxLastError("")
	case e.Status == finance.InboxFailed && e.Error != "":
		err = t.setInboxLastError(e.Error)
	}
	if err != nil {
		return err
	}
	return t.putInboxCounts(counts)
}

// putInboxRaw keeps the stored body equal to raw, writing only when it
// differs: marking an event applied leaves its body's page alone.
func (t *tx) putInboxRaw(id, raw []byte) error {
	rb := t.b(bInboxRaw)
	if len(raw) == 0 {
		if rb == nil || rb.Get(id) == nil {
			return nil
		}
		return rb.Delete(id)
	}
	if rb == nil {
		var err error
		if rb, err = t.btx.CreateBucketIfNotExists(bInboxRaw); err != nil {
			return fmt.Errorf("creating bucket %s: %w", bInboxRaw, err)
		}
	}
	if cur := rb.Get(id); cur != nil && bytes.Equal(cur, raw) {
		return nil
	}
	return rb.Put(id, raw)
}

func (t *tx) inboxCounts() (inboxCounts, error) {
	var c inboxCounts
	meta := t.b(bMeta)
	if v := meta.Get(keyInboxCounts); v != nil {
		if len(v) != 8*inboxSlots {
			return c, fmt.Errorf("decoding stored inbox counts (damaged record?): %d bytes", len(v))
		}
		for i := range c {
			c[i] = int64(binary.BigEndian.Uint64(v[8*i:]))
		}
		return c, nil
	}
	if v := meta.Get(keyInboxStats); v != nil {
		var old oldInboxCounts
		if err := getJSON(v, &old); err != nil {
			return c, err
		}
		c[slotTotal] = int64(old.Total)
		for s, n := range old.ByStatus {
			c[statusSlot(s)] += int64(n)
		}
	}
	return c, nil
}

// putInboxCounts writes the counts in the fixed form, retiring the JSON
// counts of an older file (its last error moves along first).
func (t *tx) putInboxCounts(c inboxCounts) error {
	meta := t.b(bMeta)
	if v := meta.Get(keyInboxStats); v != nil {
		if meta.Get(keyInboxLastError) == nil && c[slotFailed] > 0 {
			var old oldInboxCounts
			if err := getJSON(v, &old); err != nil {
				return err
			}
			if err := t.setInboxLastError(old.LastError); err != nil {
				return err
			}
		}
		if err := meta.Delete(keyInboxStats); err != nil {
			return err
		}
	}
	var b [8 * inboxSlots]byte
	for i, n := range c {
		binary.BigEndian.PutUint64(b[8*i:], uint64(n))
	}
	return meta.Put(keyInboxCounts, b[:])
}

func (t *tx) setInboxLastError(s string) error {
	meta := t.b(bMeta)
	cur := meta.Get(keyInboxLastError)
	if s == "" {
		if cur == nil {
			return nil
		}
		return meta.Delete(keyInboxLastError)
	}
	if cur != nil && string(cur) == s {
		return nil
	}
	return meta.Put(keyInboxLastError, []byte(s))
}

func (t *tx) inboxLastError() (string, error) {
	meta := t.b(bMeta)
	if v := meta.Get(keyInboxLastError); v != nil {
		return string(v), nil
	}
	if v := meta.Get(keyInboxStats); v != nil {
		var old oldInboxCounts
		if err := getJSON(v, &old); err != nil {
			return "", err
		}
		return old.LastError, nil
	}
	return "", nil
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

// InboxWhere lists events newest first (by received time) that keep says
// yes to, at most limit (<= 0: all), without their raw bodies: the CLI's
// filtered list reads a large inbox without copying every webhook body.
func (t *tx) InboxWhere(keep func(finance.ProviderEvent) bool, limit int) ([]finance.ProviderEvent, error) {
	c := t.b(bInboxRecv).Cursor()
	var out []finance.ProviderEvent
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		if limit > 0 && len(out) >= limit {
			break
		}
		if len(k) < 9 {
			continue
		}
		e, ok, err := t.inboxEvent(k[9:], false)
		if err != nil {
			return nil, fmt.Errorf("inbox index: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("inbox index: event %s %w", k[9:], finance.ErrNotFound)
		}
		if keep(e) {
			out = append(out, e)
		}
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
	lastErr, err := t.inboxLastError()
	if err != nil {
		return finance.InboxStats{}, err
	}
	if counts[slotFailed] <= 0 {
		lastErr = ""
	}
	st := finance.InboxStats{
		Total:     int(counts[slotTotal]),
		Pending:   int(counts[slotPending]),
		Failed:    int(counts[slotFailed]),
		Flagged:   int(counts[slotFlagged]),
		LastError: lastErr,
	}
	if k, _ := t.b(bInboxRecv).Cursor().Last(); len(k) > 9 {
		if e, ok, err := t.inboxEvent(k[9:], false); err == nil && ok {
			st.LastReceived = e.Received
		}
	}
	return st, nil
}

// ---- the binary record

// inboxFormat tags a binary inbox record; JSON records start with '{'.
// Format 1 records end at FailureText; 2 adds the fields after it.
const (
	inboxFormat1 byte = 1
	inboxFormat  byte = 2
)

// encodeInboxEvent writes every field of e but Raw (kept in bInboxRaw), in
// a fixed order. Decoding gives what a JSON round trip gave: times keep their
// offset, empty lists and maps come back nil. A field added to
// finance.ProviderEvent must be added here too (the tests check).
func encodeInboxEvent(e finance.ProviderEvent) ([]byte, error) {
	b := make([]byte, 0, 256+16*len(e.Metadata))
	b = append(b, inboxFormat)
	b = appendStr(b, e.ID)
	b = appendStr(b, e.Provider)
	b = appendStr(b, string(e.Type))
	b = appendStr(b, e.RawType)
	var err error
	for _, tm := range []time.Time{e.Created, e.Received} {
		if b, err = appendTime(b, tm); err != nil {
			return nil, err
		}
	}
	b = appendStr(b, string(e.Status))
	b = binary.AppendVarint(b, int64(e.Attempts))
	if b, err = appendTime(b, e.NextTry); err != nil {
		return nil, err
	}
	b = appendStr(b, e.Error)
	b = binary.AppendUvarint(b, uint64(e.Operation))
	b = appendStr(b, e.ObjectID)
	b = appendStr(b, e.PaymentRef)
	b = binary.AppendVarint(b, e.Amount)
	b = appendStr(b, e.Currency)
	b = binary.AppendVarint(b, e.Fee)
	b = binary.AppendUvarint(b, uint64(len(e.Refunds)))
	for _, r := range e.Refunds {
		b = appendStr(b, r.ID)
		b = binary.AppendVarint(b, r.Amount)
		b = appendStr(b, r.Status)
		b = appendStr(b, r.Key)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Metadata)))
	keys := make([]string, 0, len(e.Metadata))
	for k := range e.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same event always encodes to the same bytes
	for _, k := range keys {
		b = appendStr(b, k)
		b = appendStr(b, e.Metadata[k])
	}
	b = appendStr(b, e.FailureText)
	b = appendStr(b, e.FeeCurrency) // format 2 from here
	b = appendStr(b, e.ObjectStatus)
	b = appendStr(b, e.Problem)
	b = appendStr(b, e.Resolution)
	return b, nil
}

func decodeInboxEvent(v []byte) (finance.ProviderEvent, error) {
	var e finance.ProviderEvent
	if len(v) == 0 || (v[0] != inboxFormat && v[0] != inboxFormat1) {
		return e, fmt.Errorf("unknown inbox record format")
	}
	r := &recordReader{b: v[1:]}
	e.ID = r.str()
	e.Provider = r.str()
	e.Type = finance.EventType(r.str())
	e.RawType = r.str()
	e.Created = r.time()
	e.Received = r.time()
	e.Status = finance.InboxStatus(r.str())
	e.Attempts = int(r.varint())
	e.NextTry = r.time()
	e.Error = r.str()
	e.Operation = finance.OperationID(r.uvarint())
	e.ObjectID = r.str()
	e.PaymentRef = r.str()
	e.Amount = r.varint()
	e.Currency = r.str()
	e.Fee = r.varint()
	if n := r.uvarint(); n > 0 && n <= uint64(len(r.b)) {
		e.Refunds = make([]finance.ProviderRefund, n)
		for i := range e.Refunds {
			e.Refunds[i] = finance.ProviderRefund{ID: r.str(), Amount: r.varint(), Status: r.str(), Key: r.str()}
		}
	} else if n > 0 {
		r.fail(errShortRecord)
	}
	if n := r.uvarint(); n > 0 && n <= uint64(len(r.b)) {
		e.Metadata = make(map[string]string, n)
		for range n {
			k := r.str()
			e.Metadata[k] = r.str()
		}
	} else if n > 0 {
		r.fail(errShortRecord)
	}
	e.FailureText = r.str()
	if v[0] == inboxFormat {
		e.FeeCurrency = r.str()
		e.ObjectStatus = r.str()
		e.Problem = r.str()
		e.Resolution = r.str()
	}
	if r.err != nil {
		return finance.ProviderEvent{}, r.err
	}
	if len(r.b) != 0 {
		return finance.ProviderEvent{}, fmt.Errorf("%d bytes past the record's end", len(r.b))
	}
	return e, nil
}
