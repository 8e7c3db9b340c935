package finance

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
)

// The seal of a day, version 1. Every integer is a varint (signed:
// binary.AppendVarint; unsigned: AppendUvarint); a string is its byte
// length as a uvarint and then its bytes.
//
//	seal = SHA-256( "paydesk day seal v1\n"
//	                | string(date)
//	                | previous seal: 32 bytes (32 zero bytes for the chain's first day)
//	                | uvarint(number of operations) | SHA-256(canonical op) for each, in ID order
//	                | uvarint(number of closes)     | SHA-256(canonical close) for each, by register id )
//
//	canonical op = "op" | uvarint id | key | request hash | kind | business date
//	               | varint unix nanoseconds | varint zone offset (seconds) | staff
//	               | uvarint client | booking | comment
//	               | uvarint lines, each: description, varint unit price, varint quantity
//	               | uvarint postings, each: account, varint amount
//	               | uvarint reverses | provider ref | belongs-to date
//
//	canonical close = "close" | date | register | kind | key | varint expected | varint counted
//	               | uvarint counts, each: varint value, varint count | varint over/short | reason
//	               | varint float | varint to bank | uvarint operations, each uvarint id
//	               | staff | varint unix nanoseconds
//
// It is over what never changes in a stored operation: every field except
// ReversedBy, which is set on the original when a reversal posts later,
// perhaps after its day was sealed (the reversal links are checked by
// `paydesk check`'s invariant 4 instead). It does not depend on how the
// store lays a record out (JSON or binary), so rewriting a record keeps it.
const sealVersion = "paydesk day seal v1\n"

func appendCanonStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// canonicalOperation is an operation's canonical encoding (above).
func canonicalOperation(b []byte, op Operation) []byte {
	b = appendCanonStr(b, "op")
	b = binary.AppendUvarint(b, uint64(op.ID))
	b = appendCanonStr(b, op.Key)
	b = appendCanonStr(b, op.RequestHash)
	b = appendCanonStr(b, string(op.Kind))
	b = appendCanonStr(b, string(op.BusinessDate))
	_, off := op.Time.Zone()
	b = binary.AppendVarint(b, op.Time.UnixNano())
	b = binary.AppendVarint(b, int64(off))
	b = appendCanonStr(b, op.Staff)
	b = binary.AppendUvarint(b, uint64(op.ClientID))
	b = appendCanonStr(b, op.BookingID)
	b = appendCanonStr(b, op.Comment)
	b = binary.AppendUvarint(b, uint64(len(op.Lines)))
	for _, l := range op.Lines {
		b = appendCanonStr(b, l.Description)
		b = binary.AppendVarint(b, l.UnitPrice)
		b = binary.AppendVarint(b, l.Quantity)
	}
	b = binary.AppendUvarint(b, uint64(len(op.Postings)))
	for _, p := range op.Postings {
		b = appendCanonStr(b, string(p.Account))
		b = binary.AppendVarint(b, p.Amount)
	}
	b = binary.AppendUvarint(b, uint64(op.Reverses))
	b = appendCanonStr(b, op.ProviderRef)
	return appendCanonStr(b, string(op.BelongsTo))
}

// canonicalClose is a close's canonical encoding (above).
func canonicalClose(b []byte, c DayClose) []byte {
	b = appendCanonStr(b, "close")
	b = appendCanonStr(b, string(c.Date))
	b = appendCanonStr(b, c.Register)
	b = appendCanonStr(b, string(c.Kind))
	b = appendCanonStr(b, c.Key)
	b = binary.AppendVarint(b, c.Expected)
	b = binary.AppendVarint(b, c.Counted)
	b = binary.AppendUvarint(b, uint64(len(c.Counts)))
	for _, n := range c.Counts {
		b = binary.AppendVarint(b, n.Value)
		b = binary.AppendVarint(b, n.Count)
	}
	b = binary.AppendVarint(b, c.OverShort)
	b = appendCanonStr(b, c.Reason)
	b = binary.AppendVarint(b, c.Float)
	b = binary.AppendVarint(b, c.ToBank)
	b = binary.AppendUvarint(b, uint64(len(c.Operations)))
	for _, id := range c.Operations {
		b = binary.AppendUvarint(b, uint64(id))
	}
	b = appendCanonStr(b, c.Staff)
	return binary.AppendVarint(b, c.Time.UnixNano())
}

// digestLen is how much of each operation's digest a seal keeps to name
// the operation that changed; the seal itself covers the full digests.
const digestLen = 8

// computeSeal is a day's seal (hex) and the IDs and short digests of its
// operations. ops must be in ID order; closes are sorted here.
func computeSeal(d Date, prevSeal string, ops []Operation, closes []DayClose) (string, []OperationID, []byte) {
	h := sealHeader(d, prevSeal, len(ops))
	ids := make([]OperationID, 0, len(ops))
	digests := make([]byte, 0, digestLen*len(ops))
	var buf []byte
	for _, op := range ops {
		var sum [sha256.Size]byte
		buf, sum = opDigest(buf, op)
		h.Write(sum[:])
		ids = append(ids, op.ID)
		digests = append(digests, sum[:digestLen]...)
	}
	return sealFinish(h, closes), ids, digests
}

// sealHeader starts a seal: version, date, previous seal, operation count.
func sealHeader(d Date, prevSeal string, ops int) hash.Hash {
	h := sha256.New()
	h.Write([]byte(sealVersion))
	h.Write(appendCanonStr(nil, string(d)))
	prev := make([]byte, sha256.Size)
	if raw, err := hex.DecodeString(prevSeal); err == nil && len(raw) == sha256.Size {
		prev = raw
	}
	h.Write(prev)
	h.Write(binary.AppendUvarint(nil, uint64(ops)))
	return h
}

// opDigest is SHA-256 of an operation's canonical encoding (buf is reused).
func opDigest(buf []byte, op Operation) ([]byte, [sha256.Size]byte) {
	buf = canonicalOperation(buf[:0], op)
	return buf, sha256.Sum256(buf)
}

// sealFinish adds the closes, by register id, and gives the seal in hex.
func sealFinish(h hash.Hash, closes []DayClose) string {
	closes = slices.Clone(closes)
	slices.SortFunc(closes, func(x, y DayClose) int { return strings.Compare(x.Register, y.Register) })
	h.Write(binary.AppendUvarint(nil, uint64(len(closes))))
	var buf []byte
	for _, c := range closes {
		buf = canonicalClose(buf[:0], c)
		sum := sha256.Sum256(buf)
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyReport is the seal chain recomputed. Broken names the first sealed
// day whose seal does not hold, and Why says what differs.
type VerifyReport struct {
	Days       int    `json:"days"`       // sealed days verified
	Operations int    `json:"operations"` // operations in them
	Last       Date   `json:"last,omitempty"`
	LastSeal   string `json:"last_seal,omitempty"`
	Broken     Date   `json:"broken,omitempty"`
	Why        string `json:"why,omitempty"`
}

// OK reports whether every seal holds.
func (r VerifyReport) OK() bool { return r.Broken == "" }

// Verify recomputes the seal chain from the stored operations and closes.
// Each sealed day's operations are read through the day index, so it costs
// one read of every operation of a sealed day.
func (s *Service) Verify(ctx context.Context) (VerifyReport, error) {
	return read(ctx, s, func(tx ReadTx) (VerifyReport, error) { return verifyChain(ctx, tx) })
}

func verifyChain(ctx context.Context, tx ReadTx) (VerifyReport, error) {
	var rep VerifyReport
	var prev DaySeal
	first := true
	errStop := fmt.Errorf("stop")
	err := tx.ForEachSeal(func(seal DaySeal) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		broken := func(format string, args ...any) error {
			rep.Broken, rep.Why = seal.Date, fmt.Sprintf(format, args...)
			return errStop
		}
		if first {
			if seal.Prev != "" || seal.PrevSeal != "" {
				return broken("it links to %s, which has no seal: the chain's start was cut", seal.Prev)
			}
		} else if seal.Prev != prev.Date || seal.PrevSeal != prev.Seal {
			return broken("its link to the previous sealed day (%s) does not match that day's seal: a seal was changed or removed", prev.Date)
		}
		first = false
		ops, err := tx.DayOperations(seal.Date)
		if err != nil {
			return broken("its operations cannot be read: %v", err)
		}
		closes, err := tx.DayCloses(seal.Date)
		if err != nil {
			return broken("its closes cannot be read: %v", err)
		}
		got, ids, digests := computeSeal(seal.Date, seal.PrevSeal, ops, closes)
		for _, op := range ops {
			if op.BusinessDate != seal.Date {
				return broken("operation %d is listed under it but dated %s", op.ID, op.BusinessDate)
			}
		}
		if why := diffOps(seal, ids, digests); why != "" {
			return broken("%s", why)
		}
		if got != seal.Seal {
			return broken("its operations match, but its closes or the stored seal changed since it was sealed")
		}
		rep.Days++
		rep.Operations += len(ops)
		rep.Last, rep.LastSeal = seal.Date, seal.Seal
		prev = seal
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return rep, err
	}
	return rep, nil
}

// diffOps names the first operation that differs from what was sealed.
func diffOps(seal DaySeal, ids []OperationID, digests []byte) string {
	if len(seal.OpDigests) != digestLen*len(seal.OpIDs) {
		return "its seal record is damaged (the operation list and digests disagree)"
	}
	for i := 0; i < len(ids) || i < len(seal.OpIDs); i++ {
		switch {
		case i >= len(seal.OpIDs):
			return fmt.Sprintf("operation %d was not in the day when it was sealed", ids[i])
		case i >= len(ids):
			return fmt.Sprintf("operation %d, sealed with the day, is gone from it", seal.OpIDs[i])
		case ids[i] > seal.OpIDs[i]:
			return fmt.Sprintf("operation %d, sealed with the day, is gone from it", seal.OpIDs[i])
		case ids[i] < seal.OpIDs[i]:
			return fmt.Sprintf("operation %d was not in the day when it was sealed", ids[i])
		case string(digests[i*digestLen:(i+1)*digestLen]) != string(seal.OpDigests[i*digestLen:(i+1)*digestLen]):
			return fmt.Sprintf("operation %d's stored record changed since the day was sealed", ids[i])
		}
	}
	return ""
}

// diffIDs names the first operation id that differs between what was
// sealed and what is listed now.
func diffIDs(sealed, got []OperationID) string {
	for i := 0; ; i++ {
		switch {
		case i >= len(sealed) && i >= len(got):
			return "its operations are listed differently than when it was sealed"
		case i >= len(sealed):
			return fmt.Sprintf("operation %d was not in the day when it was sealed", got[i])
		case i >= len(got) || got[i] > sealed[i]:
			return fmt.Sprintf("operation %d, sealed with the day, is gone from it", sealed[i])
		case got[i] < sealed[i]:
			return fmt.Sprintf("operation %d was not in the day when it was sealed", got[i])
		}
	}
}

// sealScan verifies the sealed days from operations read once in ID order
// (Check's single pass over the file) instead of through the day index: per
// sealed day a running hash, fed as the day's operations go by. The day
// index is then compared by its keys alone. What it adds to a check is the
// canonical encoding and hash of each sealed operation.
type sealScan struct {
	seals []DaySeal
	days  map[Date]*dayScan
	buf   []byte
}

type dayScan struct {
	seal *DaySeal
	h    hash.Hash
	next int    // how many of seal.OpIDs have gone by
	why  string // the first difference found
}

func newSealScan(tx ReadTx) (*sealScan, error) {
	s := &sealScan{days: map[Date]*dayScan{}}
	if err := tx.ForEachSeal(func(seal DaySeal) error {
		s.seals = append(s.seals, seal)
		return nil
	}); err != nil {
		return nil, err
	}
	for i := range s.seals {
		seal := &s.seals[i]
		s.days[seal.Date] = &dayScan{seal: seal, h: sealHeader(seal.Date, seal.PrevSeal, len(seal.OpIDs))}
	}
	return s, nil
}

// add takes the next operation in ID order.
func (s *sealScan) add(op Operation) {
	d := s.days[op.BusinessDate]
	if d == nil {
		return
	}
	var sum [sha256.Size]byte
	s.buf, sum = opDigest(s.buf, op)
	d.h.Write(sum[:])
	ids, digests := d.seal.OpIDs, d.seal.OpDigests
	i := d.next
	d.next++
	if d.why != "" {
		return
	}
	switch {
	case len(digests) != digestLen*len(ids):
		d.why = "its seal record is damaged (the operation list and digests disagree)"
	case i >= len(ids) || op.ID < ids[i]:
		d.why = fmt.Sprintf("operation %d was not in the day when it was sealed", op.ID)
	case op.ID > ids[i]:
		d.why = fmt.Sprintf("operation %d, sealed with the day, is gone from it", ids[i])
	case string(sum[:digestLen]) != string(digests[i*digestLen:(i+1)*digestLen]):
		d.why = fmt.Sprintf("operation %d's stored record changed since the day was sealed", op.ID)
	}
}

// finish checks the links, the day index and the closes, oldest day first,
// and reports the first day that breaks.
func (s *sealScan) finish(ctx context.Context, tx ReadTx) (VerifyReport, error) {
	var rep VerifyReport
	for i := range s.seals {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		seal := &s.seals[i]
		d := s.days[seal.Date]
		why := d.why
		switch {
		case why != "":
		case i == 0 && (seal.Prev != "" || seal.PrevSeal != ""):
			why = fmt.Sprintf("it links to %s, which has no seal: the chain's start was cut", seal.Prev)
		case i > 0 && (seal.Prev != s.seals[i-1].Date || seal.PrevSeal != s.seals[i-1].Seal):
			why = fmt.Sprintf("its link to the previous sealed day (%s) does not match that day's seal: a seal was changed or removed", s.seals[i-1].Date)
		case d.next < len(seal.OpIDs):
			why = fmt.Sprintf("operation %d, sealed with the day, is gone from it", seal.OpIDs[d.next])
		}
		if why == "" {
			ids, err := tx.DayOperationIDs(seal.Date)
			if err != nil {
				return rep, err
			}
			if !slices.Equal(ids, seal.OpIDs) {
				why = diffIDs(seal.OpIDs, ids) + " (in the day index)"
			}
		}
		if why == "" {
			closes, err := tx.DayCloses(seal.Date)
			if err != nil {
				why = fmt.Sprintf("its closes cannot be read: %v", err)
			} else if sealFinish(d.h, closes) != seal.Seal {
				why = "its operations match, but its closes or the stored seal changed since it was sealed"
			}
		}
		if why != "" {
			rep.Broken, rep.Why = seal.Date, why
			return rep, nil
		}
		rep.Days++
		rep.Operations += len(seal.OpIDs)
		rep.Last, rep.LastSeal = seal.Date, seal.Seal
	}
	return rep, nil
}
