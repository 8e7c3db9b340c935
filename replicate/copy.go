package replicate

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paydesk/paydesk/finance"
)

// copyData is rows in PostgreSQL's binary COPY format, written by hand for
// the central tables' few column types. A backfill ships millions of rows,
// and going through pgx's per-value encoding ([]any, a plan lookup and an
// interface conversion for every cell) cost more CPU than reading them from
// bbolt; here a row is a few appends to one buffer, built by the reading
// goroutine while the previous batch is still being COPYed.
//
// Each method writes one field; row starts a row of n fields. The column
// types must match the table's exactly (bigint = 8 bytes, integer = 4,
// smallint = 2): PostgreSQL refuses the COPY otherwise, nothing is written.
type copyData struct {
	b    []byte
	rows int

	haveDay  bool // a batch's operations share a few dates
	lastDay  finance.Date
	lastDays int32
}

var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func newCopyData(sizeHint int) *copyData {
	c := &copyData{b: make([]byte, 0, len(copyHeader)+sizeHint+2)}
	c.b = append(c.b, copyHeader...)
	return c
}

func (c *copyData) row(fields int) {
	c.rows++
	c.b = binary.BigEndian.AppendUint16(c.b, uint16(fields))
}

func (c *copyData) null() { c.b = binary.BigEndian.AppendUint32(c.b, math.MaxUint32) } // length -1

// text writes a text column, cleaned as txt cleans it.
func (c *copyData) text(s string) {
	s = txt(s)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s)))
	c.b = append(c.b, s...)
}

func (c *copyData) int64(v int64) {
	c.b = binary.BigEndian.AppendUint32(c.b, 8)
	c.b = binary.BigEndian.AppendUint64(c.b, uint64(v))
}

func (c *copyData) int32(v int32) {
	c.b = binary.BigEndian.AppendUint32(c.b, 4)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(v))
}

func (c *copyData) int16(v int16) {
	c.b = binary.BigEndian.AppendUint32(c.b, 2)
	c.b = binary.BigEndian.AppendUint16(c.b, uint16(v))
}

func (c *copyData) bool(v bool) {
	c.b = binary.BigEndian.AppendUint32(c.b, 1)
	if v {
		c.b = append(c.b, 1)
	} else {
		c.b = append(c.b, 0)
	}
}

// pgEpoch is where PostgreSQL's binary dates and timestamps count from.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// date writes a business date as a date column; a malformed one as day()
// reads it (the zero time), as pgx would have.
func (c *copyData) date(d finance.Date) {
	if !c.haveDay || d != c.lastDay {
		t := day(d)
		midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		c.haveDay, c.lastDay, c.lastDays = true, d, int32((midnight.Unix()-pgEpoch.Unix())/86400)
	}
	c.int32(c.lastDays)
}

// timestamp writes a timestamptz column (microseconds, truncated as pgx does).
func (c *copyData) timestamp(t time.Time) {
	us := t.Unix()*1_000_000 + int64(t.Nanosecond())/1000
	c.int64(us - pgEpoch.Unix()*1_000_000)
}

// timeOrNull is a nullable timestamptz: NULL for an unset time.
func (c *copyData) timeOrNull(t time.Time) {
	if t.IsZero() {
		c.null()
		return
	}
	c.timestamp(t)
}

// jsonb writes JSON text as jsonb (format version 1); nil is NULL.
func (c *copyData) jsonb(j []byte) {
	if j == nil {
		c.null()
		return
	}
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(j)+1))
	c.b = append(c.b, 1)
	c.b = append(c.b, j...)
}

// copyTrailer ends a COPY stream (a field count of -1).
var copyTrailer = []byte{0xff, 0xff}

// copyIn COPYs data into a table (or its staging table) within tx.
func copyIn(ctx context.Context, tx pgx.Tx, name string, cols []string, data *copyData) error {
	if data == nil || data.rows == 0 {
		return nil
	}
	_, err := tx.Conn().PgConn().CopyFrom(ctx, io.MultiReader(bytes.NewReader(data.b), bytes.NewReader(copyTrailer)),
		"COPY "+pgx.Identifier{name}.Sanitize()+" ("+strings.Join(cols, ", ")+") FROM STDIN (FORMAT binary)")
	return err
}
