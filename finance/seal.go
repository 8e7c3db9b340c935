package finance

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
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
	h := sha256.New()
	h.Write([]byte(sealVersion))
	h.Write(appendCanonStr(nil, string(d)))
	prev := make([]byte, sha256.Size)
	if raw, err := hex.DecodeString(prevSeal); err == nil && len(raw) == sha256.Size {
		prev = raw
	}
	h.Write(prev)
	h.Write(binary.AppendUvarint(nil, uint64(len(ops))))
	ids := make([]OperationID, 0, len(ops))
	digests := make([]byte, 0, digestLen*len(ops))
	var buf []byte
	for _, op := range ops {
		buf = canonicalOperation(buf[:0], op)
		sum := sha256.Sum256(buf)
		h.Write(sum[:])
		ids = append(ids, op.ID)
		digests = append(digests, sum[:digestLen]...)
	}
	closes = slices.Clone(closes)
	slices.SortFunc(closes, func(x, y DayClose) int {
		switch {
		case x.Register < y.Register:
			return -1
		case x.Register > y.Register:
			return 1
		}
		return 0
	})
	h.Write(binary.AppendUvarint(nil, uint64(len(closes))))
	for _, c := range closes {
		buf = canonicalClose(buf[:0], c)
		sum := sha256.Sum256(buf)
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil)), ids, digests
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
	var rep VerifyReport
	err := s.view(ctx, func(tx ReadTx) error {
		var err error
		rep, err = verifyChain(ctx, tx)
		return err
	})
	return rep, err
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
	if err != nil && err != errStop {
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
