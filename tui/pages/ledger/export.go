package ledger

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

// maxExportDays bounds one export, so a typo in a year cannot stall the desk.
const maxExportDays = 366

// export writes every posting of the days from..to to a CSV file in the
// export directory, all or nothing (a temp file renamed into place).
func (m *Model) export(from, to finance.Date) tea.Cmd {
	if !m.c.Allowed(finance.RightExport) {
		return common.Status(common.StatusError, "%s", components.RightRefusal(m.c, finance.RightExport))
	}
	if to < from {
		from, to = to, from
	}
	if from.AddDays(maxExportDays-1) < to {
		return common.Status(common.StatusError, "export at most %d days at a time", maxExportDays)
	}
	dir := m.c.ExportDir
	if dir == "" {
		return common.Status(common.StatusError, "no export directory is configured")
	}
	name := fmt.Sprintf("paydesk-%s.csv", from)
	if from != to {
		name = fmt.Sprintf("paydesk-%s_%s.csv", from, to)
	}
	path := filepath.Join(dir, name)
	m.pend.Start()
	b, c, a := m.c.Backend, m.c, m.c.Actor
	return tea.Batch(common.Busy("exporting…"), func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		n, err := writeCSV(ctx, c, b, a, from, to, path)
		if err != nil {
			return exportMsg{err: err}
		}
		if err := b.RecordAudit(ctx, a, "export", path, fmt.Sprintf("%s..%s", from, to)); err != nil {
			return exportMsg{path: path, rows: n, err: fmt.Errorf("exported to %s, but the audit log refused: %w", path, err)}
		}
		return exportMsg{path: path, rows: n}
	})
}

func writeCSV(ctx context.Context, c common.Common, b common.Backend, a finance.Actor, from, to finance.Date, path string) (n int, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("export directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".paydesk-export-*.csv")
	if err != nil {
		return 0, fmt.Errorf("export file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := csv.NewWriter(tmp)
	header := []string{"operation", "business_date", "time", "kind", "staff", "client_id", "booking_id",
		"account", "amount", "currency", "reverses", "reversed_by", "comment"}
	if err := w.Write(header); err != nil {
		return 0, err
	}
	for d := from; d <= to; d = d.AddDays(1) {
		ops, err := b.DayOperations(ctx, a, d, "")
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", d, err)
		}
		for _, op := range ops {
			for _, p := range op.Postings {
				rec := []string{
					strconv.FormatUint(uint64(op.ID), 10), string(op.BusinessDate), op.Time.UTC().Format("2006-01-02T15:04:05Z"),
					string(op.Kind), op.Staff, idOrEmpty(uint64(op.ClientID)), op.BookingID,
					string(p.Account), plainAmount(c, p.Amount), c.Money.Currency(),
					idOrEmpty(uint64(op.Reverses)), idOrEmpty(uint64(op.ReversedBy)), op.Comment,
				}
				if err := w.Write(rec); err != nil {
					return 0, err
				}
				n++
			}
		}
		if d.AddDays(1) == d {
			return 0, errors.New("bad date")
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
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
func plainAmount(c common.Common, minor int64) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	digits := c.Money.Digits()
	s := strconv.FormatInt(minor, 10)
	if digits > 0 {
		for len(s) <= digits {
			s = "0" + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
