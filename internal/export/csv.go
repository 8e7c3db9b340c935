// Package export writes the books' postings as CSV: one writer for the
// desk's export (the Ledger tab) and `paydesk export`, so both give the same
// file, with cells that a spreadsheet could run as a formula neutralised.
package export

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/paydesk/paydesk/finance"
)

// MaxDays bounds one export, so a typo in a year cannot stall the desk.
const MaxDays = 366

// Source is what an export reads: a day's operations, with the reader's
// rights, and a client's card for the client's name.
type Source interface {
	DayOperations(ctx context.Context, a finance.Actor, d finance.Date, register string) ([]finance.Operation, error)
	ClientView(ctx context.Context, id finance.ClientID, p finance.Page) (finance.ClientView, error)
}

// ErrExists is a refusal to write over a file already there: the desk asks
// first, `paydesk export` needs --force. It wraps os.ErrExist.
var ErrExists = fmt.Errorf("%w: the export file exists already", os.ErrExist)

// Money is how amounts are written: the currency's code and minor digits.
type Money interface {
	Currency() string
	Digits() int
}

// Header is the first row of every export.
// time is the location's local time with its offset; client and items come
// last so scripts reading the older columns by position keep working.
var header = []string{"operation", "business_date", "time", "kind", "staff", "client_id", "booking_id",
	"account", "amount", "currency", "reverses", "reversed_by", "comment", "client", "items"}

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

// Range checks an export's days: from..to in order, at most MaxDays. A
// range given backwards is refused, not swapped: it is likely a typo in one
// of the dates, and guessing would export days nobody asked for.
func Range(from, to finance.Date) (finance.Date, finance.Date, error) {
	if to < from {
		return from, to, fmt.Errorf("%w: the range ends (%s) before it starts (%s)", finance.ErrInvalid, to, from)
	}
	if from.AddDays(MaxDays-1) < to {
		return from, to, fmt.Errorf("%w: export at most %d days at a time", finance.ErrInvalid, MaxDays)
	}
	return from, to, nil
}

// FileName is the export's default name, carrying the location so files
// of several salons in one folder never mix: paydesk-studio-mila-DAY.csv or
// paydesk-studio-mila-FROM_TO.csv.
func FileName(location string, from, to finance.Date) string {
	days := string(from)
	if from != to {
		days = string(from) + "_" + string(to)
	}
	if slug := Slug(location); slug != "" {
		return "paydesk-" + slug + "-" + days + ".csv"
	}
	return "paydesk-" + days + ".csv"
}

// Slug is a location name fit for a file name: lower-case letters and
// digits (any script), runs of anything else one "-".
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

// Write writes every posting of the days from..to to w, one row a posting,
// and returns how many rows it wrote (the header not counted). Times are in
// loc, the location's zone (nil: UTC).
func Write(ctx context.Context, w io.Writer, src Source, a finance.Actor, m Money, from, to finance.Date, loc *time.Location) (int, error) {
	if loc == nil {
		loc = time.UTC
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	names := map[finance.ClientID]string{}
	name := func(id finance.ClientID) string {
		if id == 0 {
			return ""
		}
		if n, ok := names[id]; ok {
			return n
		}
		v, err := src.ClientView(ctx, id, finance.Page{Limit: 1})
		if err != nil {
			v.Name = "" // a client that cannot be read keeps its number alone
		}
		names[id] = v.Name
		return v.Name
	}
	n := 0
	for d := from; d <= to; d = d.AddDays(1) {
		ops, err := src.DayOperations(ctx, a, d, "")
		if err != nil {
			return n, fmt.Errorf("read %s: %w", d, err)
		}
		for _, op := range ops {
			client, items := name(op.ClientID), lineItems(m.Digits(), op.Lines)
			for _, p := range op.Postings {
				// The amount with a dot whatever the locale, so spreadsheets
				// and scripts read it the same everywhere.
				rec := []string{
					strconv.FormatUint(uint64(op.ID), 10), string(op.BusinessDate), op.Time.In(loc).Format(time.RFC3339),
					string(op.Kind), op.Staff, idOrEmpty(uint64(op.ClientID)), op.BookingID,
					string(p.Account), finance.Decimal(p.Amount, m.Digits(), "."), m.Currency(),
					idOrEmpty(uint64(op.Reverses)), idOrEmpty(uint64(op.ReversedBy)), op.Comment,
					client, items,
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

// lineItems is an operation's lines in one cell: "Haircut 1 × 45.00; …".
func lineItems(digits int, lines []finance.LineItem) string {
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = fmt.Sprintf("%s %d × %s", l.Description, l.Quantity, finance.Decimal(l.UnitPrice, digits, "."))
	}
	return strings.Join(parts, "; ")
}

// WriteFile writes the export to path all or nothing: a temp file beside it,
// synced, then moved into place. A file already at path is refused with
// ErrExists unless overwrite is set (the desk asked, or --force).
func WriteFile(ctx context.Context, path string, overwrite bool, src Source, a finance.Actor, m Money, from, to finance.Date, loc *time.Location) (n int, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("export directory: %w", err)
	}
	if !overwrite {
		if _, err := os.Lstat(path); err == nil {
			return 0, fmt.Errorf("%s: %w", path, ErrExists)
		}
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
	if n, err = Write(ctx, tmp, src, a, m, from, to, loc); err != nil {
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if overwrite {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return 0, fmt.Errorf("export file: %w", err)
		}
		return n, nil
	}
	// A link fails where a file appeared since the check: never over it.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return 0, fmt.Errorf("%s: %w", path, ErrExists)
		}
		// A disk without hard links (a FAT stick): check once more, rename.
		if _, err := os.Lstat(path); err == nil {
			return 0, fmt.Errorf("%s: %w", path, ErrExists)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return 0, fmt.Errorf("export file: %w", err)
		}
		return n, nil
	}
	if err := os.Remove(tmp.Name()); err != nil {
		return n, fmt.Errorf("export file: %w", err)
	}
	return n, nil
}

func idOrEmpty(v uint64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatUint(v, 10)
}
