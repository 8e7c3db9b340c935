package components

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"

	"github.com/paydesk/paydesk/tui/styles"
)

// Column is one table column. Flex columns share what the fixed ones leave.
type Column struct {
	Title string
	Width int
	Right bool // right-aligned (amounts)
	Flex  bool
}

// Row is one table row; Dim marks it (e.g. a reversed operation).
type Row struct {
	Cells []string
	Dim   bool
}

// Table is a scrolling, cursor-driven table that renders only what fits, so
// View stays cheap however many rows there are.
type Table struct {
	Columns  []Column
	Rows     []Row
	Cursor   int
	Width    int
	Height   int // rows of data shown (the header is extra)
	NoCursor bool
	offset   int
	styles   *styles.Styles
}

// NewTable builds an empty table.
func NewTable(s *styles.Styles, cols ...Column) *Table {
	return &Table{Columns: cols, styles: s, Width: 80, Height: 10}
}

// SetRows replaces the rows and keeps the cursor in range.
func (t *Table) SetRows(rows []Row) {
	t.Rows = rows
	t.clamp()
}

// Move moves the cursor by n rows.
func (t *Table) Move(n int) {
	t.Cursor += n
	t.clamp()
}

// Top and Bottom jump to the first and last row.
func (t *Table) Top()    { t.Cursor = 0; t.clamp() }
func (t *Table) Bottom() { t.Cursor = len(t.Rows) - 1; t.clamp() }

func (t *Table) clamp() {
	if t.Cursor >= len(t.Rows) {
		t.Cursor = len(t.Rows) - 1
	}
	if t.Cursor < 0 {
		t.Cursor = 0
	}
	h := max(t.Height, 1)
	if t.Cursor < t.offset {
		t.offset = t.Cursor
	}
	if t.Cursor >= t.offset+h {
		t.offset = t.Cursor - h + 1
	}
	if t.offset > max(0, len(t.Rows)-h) {
		t.offset = max(0, len(t.Rows)-h)
	}
}

func (t *Table) widths() []int {
	ws := make([]int, len(t.Columns))
	fixed, flex := 0, 0
	for i, c := range t.Columns {
		ws[i] = c.Width
		fixed += c.Width
		if c.Flex {
			flex++
		}
	}
	gaps := len(t.Columns) - 1 + 2 // one space between columns, two for the cursor mark
	free := t.Width - fixed - gaps
	if flex > 0 && free > 0 {
		for i, c := range t.Columns {
			if c.Flex {
				ws[i] += free / flex
			}
		}
	}
	return ws
}

// View renders the header and the visible rows.
func (t *Table) View() string {
	ws := t.widths()
	var b strings.Builder
	cells := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cells[i] = Pad(c.Title, ws[i], c.Right)
	}
	b.WriteString(t.styles.Table.Header.Render("  " + strings.Join(cells, " ")))
	if len(t.Rows) == 0 {
		return b.String()
	}
	t.clamp()
	end := min(len(t.Rows), t.offset+max(t.Height, 1))
	for r := t.offset; r < end; r++ {
		row := t.Rows[r]
		for i, c := range t.Columns {
			v := ""
			if i < len(row.Cells) {
				v = row.Cells[i]
			}
			cells[i] = Pad(v, ws[i], c.Right)
		}
		line := strings.Join(cells, " ")
		b.WriteString("\n")
		var st lipgloss.Style
		mark := "  "
		switch {
		case r == t.Cursor && !t.NoCursor:
			st = t.styles.Table.Selected
			mark = "> "
		case row.Dim:
			st = t.styles.Muted
		default:
			st = t.styles.Table.Row
		}
		b.WriteString(st.Render(mark + line))
	}
	if len(t.Rows) > end-t.offset && end-t.offset > 0 {
		b.WriteString("\n" + t.styles.Muted.Render(Pad("", 2, false)+scrollNote(t.offset, end, len(t.Rows))))
	}
	return b.String()
}

func scrollNote(from, to, total int) string {
	return itoa(from+1) + "–" + itoa(to) + " of " + itoa(total)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Pad fits s into exactly w cells, cutting with an ellipsis when too long.
func Pad(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := runewidth.StringWidth(s)
	if sw > w {
		return runewidth.Truncate(s, w, "…")
	}
	if right {
		return strings.Repeat(" ", w-sw) + s
	}
	return s + strings.Repeat(" ", w-sw)
}
