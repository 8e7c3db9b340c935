package store

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/paydesk/paydesk/finance"
)

// opFormat tags a binary operation record. Records written before it are
// JSON (they start with '{') and are still read as such: nothing is
// migrated, and an operation keeps whichever form it was written in until
// it is written again (a reversal marks it).
//
// Binary because an operation is stored twice (under its id and as the
// copy in its client's history) and read twenty at a time for a history
// page: the record is about a third of its JSON (a request hash in 32
// bytes instead of 64 hex digits, no field names, no RFC 3339 times), so a
// history page spans fewer pages of the file, each commit writes fewer
// bytes, and decoding does not parse text.
const opFormat byte = 1

// opFormatBelongs is opFormat followed by one more string, the day a
// redirected operation belongs to (finance.Operation.BelongsTo). Only such
// operations use it, so every other record keeps format 1's bytes.
const opFormatBelongs byte = 2

// request hash forms in a binary record
const (
	hashText byte = 0 // as written
	hashHex  byte = 1 // 32 bytes whose lower-case hex is the hash
)

// encodeOperation writes every field of op in a fixed order. Decoding gives
// what a JSON round trip gave: times keep their offset, empty lists come
// back nil. A field added to finance.Operation must be added here too (the
// tests check).
func encodeOperation(op *finance.Operation) ([]byte, error) {
	b := make([]byte, 0, 160+32*len(op.Postings)+48*len(op.Lines))
	format := opFormat
	if op.BelongsTo != "" {
		format = opFormatBelongs
	}
	b = append(b, format)
	b = binary.AppendUvarint(b, uint64(op.ID))
	b = appendStr(b, op.Key)
	if raw, err := hex.DecodeString(op.RequestHash); err == nil && len(raw) == 32 && hex.EncodeToString(raw) == op.RequestHash {
		b = append(b, hashHex)
		b = append(b, raw...)
	} else {
		b = append(b, hashText)
		b = appendStr(b, op.RequestHash)
	}
	b = appendStr(b, string(op.Kind))
	b = appendStr(b, string(op.BusinessDate))
	b, err := appendTime(b, op.Time)
	if err != nil {
		return nil, err
	}
	b = appendStr(b, op.Staff)
	b = binary.AppendUvarint(b, uint64(op.ClientID))
	b = appendStr(b, op.BookingID)
	b = appendStr(b, op.Comment)
	b = binary.AppendUvarint(b, uint64(len(op.Lines)))
	for _, l := range op.Lines {
		b = appendStr(b, l.Description)
		b = binary.AppendVarint(b, l.UnitPrice)
		b = binary.AppendVarint(b, l.Quantity)
	}
	b = binary.AppendUvarint(b, uint64(len(op.Postings)))
	for _, p := range op.Postings {
		b = appendStr(b, string(p.Account))
		b = binary.AppendVarint(b, p.Amount)
	}
	b = binary.AppendUvarint(b, uint64(op.Reverses))
	b = binary.AppendUvarint(b, uint64(op.ReversedBy))
	b = appendStr(b, op.ProviderRef)
	if format == opFormatBelongs {
		b = appendStr(b, string(op.BelongsTo))
	}
	return b, nil
}

// decodeOperation reads a stored operation in either form.
func decodeOperation(v []byte) (finance.Operation, error) {
	var op finance.Operation
	if len(v) > 0 && v[0] == '{' {
		err := getJSON(v, &op)
		return op, err
	}
	if len(v) == 0 || (v[0] != opFormat && v[0] != opFormatBelongs) {
		return op, fmt.Errorf("decoding stored operation (damaged record?): unknown format")
	}
	r := &recordReader{b: v[1:]}
	op.ID = finance.OperationID(r.uvarint())
	op.Key = r.str()
	switch form := r.byte(); form {
	case hashHex:
		op.RequestHash = hex.EncodeToString(r.fixed(32))
	case hashText:
		op.RequestHash = r.str()
	default:
		r.fail(fmt.Errorf("request hash form %d", form))
	}
	op.Kind = finance.OpKind(r.str())
	op.BusinessDate = finance.Date(r.str())
	op.Time = r.time()
	op.Staff = r.str()
	op.ClientID = finance.ClientID(r.uvarint())
	op.BookingID = r.str()
	op.Comment = r.str()
	if n := r.count(3); n > 0 {
		op.Lines = make([]finance.LineItem, n)
		for i := range op.Lines {
			op.Lines[i] = finance.LineItem{Description: r.str(), UnitPrice: r.varint(), Quantity: r.varint()}
		}
	}
	if n := r.count(2); n > 0 {
		op.Postings = make([]finance.Posting, n)
		for i := range op.Postings {
			op.Postings[i] = finance.Posting{Account: finance.AccountID(r.str()), Amount: r.varint()}
		}
	}
	op.Reverses = finance.OperationID(r.uvarint())
	op.ReversedBy = finance.OperationID(r.uvarint())
	op.ProviderRef = r.str()
	if v[0] == opFormatBelongs {
		if op.BelongsTo = finance.Date(r.str()); r.err == nil && op.BelongsTo == "" {
			r.fail(fmt.Errorf("format %d without the day it belongs to", v[0]))
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail(fmt.Errorf("%d bytes past the record's end", len(r.b)))
	}
	if r.err != nil {
		return finance.Operation{}, fmt.Errorf("decoding stored operation (damaged record?): %w", r.err)
	}
	return op, nil
}
