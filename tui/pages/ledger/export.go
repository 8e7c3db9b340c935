package ledger

import (
	"fmt"
	"path/filepath"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/export"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/components"
)

// export writes every posting of the days from..to to a CSV file in the
// export directory, all or nothing (internal/export, the writer `paydesk
// export` uses too).
func (m *Model) export(from, to finance.Date) tea.Cmd {
	if !m.c.Allowed(finance.RightExport) {
		return common.Status(common.StatusError, "%s", components.RightRefusal(m.c, finance.RightExport))
	}
	from, to, err := export.Range(from, to)
	if err != nil {
		return common.Status(common.StatusError, "export at most %d days at a time", export.MaxDays)
	}
	dir := m.c.ExportDir
	if dir == "" {
		return common.Status(common.StatusError, "no export directory is configured")
	}
	path := filepath.Join(dir, export.FileName(from, to))
	m.pend.Start()
	b, c, a := m.c.Backend, m.c, m.c.Actor
	return tea.Batch(common.Busy("exporting…"), func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		n, err := export.WriteFile(ctx, path, b, a, c.Money, from, to)
		if err != nil {
			return exportMsg{err: err}
		}
		if err := b.RecordAudit(ctx, a, "export", path, fmt.Sprintf("%s..%s", from, to)); err != nil {
			return exportMsg{path: path, rows: n, err: fmt.Errorf("exported to %s, but the audit log refused: %w", path, err)}
		}
		return exportMsg{path: path, rows: n}
	})
}
