package store

import (
	"fmt"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// The change log (schema 7) numbers every write of a record that changes in
// place (and of day closes and seals, which have no sequence of their own), so a replica can ship "everything after N" with one seek: seq ->
// kind byte + the record's id. Operations and audit entries need no entry:
// their own keys are already numbered in order.

var changeKinds = map[finance.ChangeKind]byte{
	finance.ChangeClient: 'c', finance.ChangeBooking: 'b', finance.ChangeRefund: 'r', finance.ChangeStaff: 's',
	finance.ChangeClose: 'k', finance.ChangeSeal: 'd',
}

func changeKindOf(b byte) (finance.ChangeKind, bool) {
	for k, v := range changeKinds {
		if v == b {
			return k, true
		}
	}
	return "", false
}

func logChange(btx *bolt.Tx, kind finance.ChangeKind, id string) error {
	b := btx.Bucket(bChanges)
	if b == nil {
		return fmt.Errorf("%w: no change log bucket (damaged file?)", finance.ErrInvalid)
	}
	b.FillPercent = appendFill
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("numbering change: %w", err)
	}
	v := make([]byte, 0, 1+len(id))
	v = append(v, changeKinds[kind])
	return b.Put(u64(seq), append(v, id...))
}

func (t *tx) logChange(kind finance.ChangeKind, id string) error { return logChange(t.btx, kind, id) }

var _ finance.ChangeLog = (*tx)(nil)

func (t *tx) OperationsAfter(after finance.OperationID, limit int) ([]finance.Operation, error) {
	var out []finance.Operation
	c := t.b(bOps).Cursor()
	for k, v := c.Seek(u64(uint64(after) + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		op, err := decodeOperation(v)
		if err != nil {
			return nil, err
		}
		out = append(out, op)
	}
	return out, nil
}

func (t *tx) AuditAfter(after uint64, limit int) ([]finance.AuditEntry, error) {
	var out []finance.AuditEntry
	c := t.b(bAudit).Cursor()
	for k, v := c.Seek(u64(after + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		e, err := decodeAudit(v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *tx) ChangesAfter(after uint64, limit int) ([]finance.ChangeEntry, error) {
	var out []finance.ChangeEntry
	c := t.b(bChanges).Cursor()
	for k, v := c.Seek(u64(after + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		if len(v) < 1 {
			return nil, fmt.Errorf("change %d is empty (damaged file?)", getU64(k))
		}
		kind, ok := changeKindOf(v[0])
		if !ok {
			return nil, fmt.Errorf("change %d has unknown kind %q (damaged file?)", getU64(k), v[0])
		}
		out = append(out, finance.ChangeEntry{Seq: getU64(k), Kind: kind, ID: string(v[1:])})
	}
	return out, nil
}

func (t *tx) Heads() (finance.Heads, error) {
	var h finance.Heads
	if k, _ := t.b(bOps).Cursor().Last(); k != nil {
		h.Operation = finance.OperationID(getU64(k))
	}
	if k, _ := t.b(bAudit).Cursor().Last(); k != nil {
		h.Audit = getU64(k)
	}
	if k, _ := t.b(bChanges).Cursor().Last(); k != nil {
		h.Change = getU64(k)
	}
	return h, nil
}

// logExistingRecords is schema 7: a file from before the change log gets one
// entry for every record it holds, so a replica's first pass ships them all.
func logExistingRecords(btx *bolt.Tx) error {
	if _, err := btx.CreateBucketIfNotExists(bChanges); err != nil {
		return fmt.Errorf("creating bucket %s: %w", bChanges, err)
	}
	for _, s := range []struct {
		bucket []byte
		kind   finance.ChangeKind
		id     func(k []byte) string
	}{
		{bClients, finance.ChangeClient, func(k []byte) string { return strconv.FormatUint(getU64(k), 10) }},
		{bBookings, finance.ChangeBooking, func(k []byte) string { return string(k) }},
		{bRefunds, finance.ChangeRefund, func(k []byte) string { return string(k) }},
		{bStaff, finance.ChangeStaff, func(k []byte) string { return string(k) }},
		{bDayCloses, finance.ChangeClose, func(k []byte) string { return strings.Replace(string(k), "\x00", "/", 1) }},
		{bSeals, finance.ChangeSeal, func(k []byte) string { return string(k) }},
	} {
		b := btx.Bucket(s.bucket)
		if b == nil {
			continue
		}
		if err := b.ForEach(func(k, _ []byte) error { return logChange(btx, s.kind, s.id(k)) }); err != nil {
			return err
		}
	}
	return nil
}
