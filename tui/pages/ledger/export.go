package ledger

import (
	"errors"
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
// export` uses too). A file of that name already there is asked about
// (exportMsg.exists) and written over only on yes.
func (m *Model) export(from, to finance.Date) tea.Cmd { return m.exportTo(from, to, false) }

// exists asks whether to write over an export file already there.
func (m *Model) exists(msg exportMsg) tea.Cmd {
	from, to := msg.from, msg.to
	m.pend.Ask(components.Confirm{Title: "Write over " + filepath.Base(msg.path) + "?",
		Lines: []string{"  It is already in " + filepath.Dir(msg.path) + ";", "  the export of " + string(from) + ".." + string(to) + " would replace it."},
		Yes:   "write over it", No: "keep the old file"}, func() tea.Cmd { return m.exportTo(from, to, true) })
	return common.Status(common.StatusInfo, "%s exists already.", filepath.Base(msg.path))
}

func (m *Model) exportTo(from, to finance.Date, overwrite bool) tea.Cmd {
	if !m.c.Allowed(finance.RightExport) {
		return common.Status(common.StatusError, "%s", components.RightRefusal(m.c, finance.RightExport))
	}
	from, to, err := export.Range(from, to)
	if err != nil {
		return common.Status(common.StatusError, "%s", common.ErrText(err))
	}
	dir := m.c.ExportDir
	if dir == "" {
		return common.Status(common.StatusError, "no export directory is configured")
	}
	path := filepath.Join(dir, export.FileName(m.c.Settings.Location, from, to))
	m.pend.Start()
	b, c, a := m.c.Backend, m.c, m.c.Actor
	return tea.Batch(common.Busy("exporting…"), func() tea.Msg {
		ctx, cancel := c.Call()
		defer cancel()
		n, err := export.WriteFile(ctx, path, overwrite, b, a, c.Money, from, to, c.Loc)
		if errors.Is(err, export.ErrExists) {
			return exportMsg{path: path, from: from, to: to, exists: true}
		}
		if err != nil {
			return exportMsg{err: err}
		}
		// The file's name is the subject (a subject holds 100 characters;
		// a folder can be longer), the range and the folder the reason.
		if err := b.RecordAudit(ctx, a, "export", filepath.Base(path), fmt.Sprintf("%s..%s into %s", from, to, filepath.Dir(path))); err != nil {
			return exportMsg{path: path, rows: n, err: fmt.Errorf("exported to %s, but the audit log refused: %w", path, err)}
		}
		return exportMsg{path: path, rows: n}
	})
}
