package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Keys are built so that bbolt's byte order is the order listings need:
// big-endian integers, "YYYY-MM-DD" dates, and a 0 byte between a string
// part and what follows so "ann" sorts before "anna".

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func getU64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// tail8 is the big-endian integer at the end of a composite key.
func tail8(k []byte) uint64 {
	if len(k) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(k)-8:])
}

func i64(v int64) []byte { return u64(uint64(v)) }

func getI64(b []byte) int64 { return int64(getU64(b)) }

// join builds a composite key: parts separated by a 0 byte, with an optional
// big-endian id at the end.
func join(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	out := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			out = append(out, 0)
		}
		out = append(out, p...)
	}
	return out
}

func strID(s string, id uint64) []byte {
	k := make([]byte, 0, len(s)+9)
	k = append(k, s...)
	k = append(k, 0)
	return append(k, u64(id)...)
}

func idID(a, b uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, a)
	binary.BigEndian.PutUint64(k[8:], b)
	return k
}

// timeKey orders instants; times before 1970 or unset sort first.
func timeKey(t time.Time) []byte {
	if t.IsZero() {
		return u64(0)
	}
	n := t.UnixNano()
	if n < 0 {
		n = 0
	}
	return u64(uint64(n))
}

func timeStrKey(t time.Time, s string) []byte {
	k := make([]byte, 0, 9+len(s))
	k = append(k, timeKey(t)...)
	k = append(k, 0)
	return append(k, s...)
}

func hasPrefix(k, p []byte) bool { return bytes.HasPrefix(k, p) }

func putJSON(put func(k, v []byte) error, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %T: %w", v, err)
	}
	return put(k, b)
}

func getJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding stored %T (damaged record?): %w", v, err)
	}
	return nil
}
