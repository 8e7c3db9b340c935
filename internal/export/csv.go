// Package export writes the books' postings as CSV: one writer for the
// desk's export (the Ledger tab) and `paydesk export`, so both give the same
// file, with cells that a spreadsheet could run as a formula neutralised.
package export

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/paydesk/paydesk/finance"
)

// MaxDays bounds one export, so a typo in a year cannot stall the desk.
const MaxDays = 366

// Source is what an export reads: a day's operations, with the reader's rights.
type Source interface {
	DayOperations(ctx context.Context, a finance.Actor, d finance.Date, register string) ([]finance.Operation, error)
}

// Money is how amounts are written: the currency's code and minor digits.
type Money interface {
	Currency() string
	Digits() int
}

// Header is the first row of every export.
var header = []string{"operation", "business_date", "time", "kind", "staff", "client_id", "booking_id",
	"account", "amount", "currency", "reverses", "reversed_by", "comment"}

// number is a cell this package writes as a plain number; only those may
// start with "-" as they are.
var number = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// Cell neutralises a cell a spreadsheet would read as a formula (OWASP's CSV
// injection advice): one that begins with =, +, -, @, a tab or a carriage
// return gets a leading single quote. Names, notes and booking ids come from
// clients and webhooks; plain numbers (negative amounts) are left as they are.
func Cell(s string) string {
	if s == "" || number.MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Range checks an export's days: from..to in order, at most MaxDays.
func Range(from, to finance.Date) (finance.Date, finance.Date, error) {
	if to < from {
		from, to = to, from
	}
	if from.AddDays(MaxDays-1) < to {
		return from, to, fmt.Errorf("%w: export at most %d days at a time", finance.ErrInvalid, MaxDays)
	}
	return from, to, nil
}

// FileName is the export's default name: paydesk-DAY.csv or paydesk-FROM_TO.csv.
func FileName(from, to finance.Date) string {
	if from == to {
		return fmt.Sprintf("paydesk-%s.csv", from)
	}
	return fmt.Sprintf("paydesk-%s_%s.csv", from, to)
}

// Write writes every posting of the days from..to to w, one row a posting,
// and returns how many rows it wrote (the header not counted).
func Write(ctx context.Context, w io.Writer, src Source, a finance.Actor, m Money, from, to finance.Date) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	n := 0
	for d := from; d <= to; d = d.AddDays(1) {
		ops, err := src.DayOperations(ctx, a, d, "")
		if err != nil {
			return n, fmt.Errorf("read %s: %w", d, err)
		}
		for _, op := range ops {
			for _, p := range op.Postings {
				rec := []string{
					strconv.FormatUint(uint64(op.ID), 10), string(op.BusinessDate), op.Time.UTC().Format("2006-01-02T15:04:05Z"),
					string(op.Kind), op.Staff, idOrEmpty(uint64(op.ClientID)), op.BookingID,
					string(p.Account), plainAmount(m.Digits(), p.Amount), m.Currency(),
					idOrEmpty(uint64(op.Reverses)), idOrEmpty(uint64(op.ReversedBy)), op.Comment,
				}
				for i := range rec {
					rec[i] = Cell(rec[i])
				}
				if err := cw.Write(rec); err != nil {
					return n, err
				}
				n++
			}
		}
		if d.AddDays(1) == d {
			return n, fmt.Errorf("%w: bad date %s", finance.ErrInvalid, d)
		}
	}
	cw.Flush()
	return n, cw.Error()
}

// WriteFile writes the export to path all or nothing: a temp file beside it,
// synced, then renamed into place.
func WriteFile(ctx context.Context, path string, src Source, a finance.Actor, m Money, from, to finance.Date) (n int, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("export directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".paydesk-export-*.csv")
	if err != nil {
		return 0, fmt.Errorf("export file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if n, err = Write(ctx, tmp, src, a, m, from, to); err != nil {
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("export file: %w", err)
	}
	return n, nil
}

func idOrEmpty(v uint64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatUint(v, 10)
}

// plainAmount is a signed decimal with a dot, whatever the locale, so
// spreadsheets and scripts read it the same everywhere.
func plainAmount(digits int, minor int64) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := strconv.FormatInt(minor, 10)
	if digits > 0 {
		s = strings.Repeat("0", max(0, digits+1-len(s))) + s
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
