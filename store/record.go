package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// The building blocks of the binary records (inbox events, operations):
// uvarint-length strings, varints, and times as time.MarshalBinary writes
// them (which keeps the offset).

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) ([]byte, error) {
	tb, err := t.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: time %v cannot be stored: %v", finance.ErrInvalid, t, err)
	}
	b = append(b, byte(len(tb)))
	return append(b, tb...), nil
}

var errShortRecord = errors.New("record ends early")

// recordReader reads a binary record (inbox events, operations); the first error sticks and every read
// after it returns zero values, so decoding checks once at the end.
type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *recordReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errShortRecord)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errShortRecord)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail(errShortRecord)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *recordReader) str() string { return string(r.bytes()) }

func (r *recordReader) time() time.Time {
	if len(r.b) == 0 {
		r.fail(errShortRecord)
		return time.Time{}
	}
	n := int(r.b[0])
	if n > len(r.b)-1 {
		r.fail(errShortRecord)
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalBinary(r.b[1 : 1+n]); err != nil {
		r.fail(err)
		return time.Time{}
	}
	r.b = r.b[1+n:]
	if _, off := t.Zone(); off == 0 {
		// JSON wrote such a time with "Z" and read it back as UTC.
		t = t.UTC()
	}
	return t
}

func (r *recordReader) byte() byte {
	if len(r.b) == 0 {
		r.fail(errShortRecord)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *recordReader) fixed(n int) []byte {
	if n > len(r.b) {
		r.fail(errShortRecord)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// count reads a list's length, refusing one the rest of the record cannot
// hold (each element takes at least min bytes), so a damaged length never
// makes a huge allocation.
func (r *recordReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.fail(errShortRecord)
		return 0
	}
	return int(n)
}
