package receipt

import (
	"fmt"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/paydesk/paydesk/finance"
)

// Widths a receipt is laid out for: the columns of 58 mm paper and of the
// two fonts of 80 mm paper.
var Widths = []int{32, 42, 48}

// DefaultWidth is 80 mm paper in a printer's standard font.
const DefaultWidth = 42

// Row is one printed line of a receipt. Every renderer prints the same
// rows, so the screen, the text file, the PDF and the paper agree.
type Row struct {
	Text   string // exactly the receipt's width, or a rule
	Bold   bool
	Center bool // Text is the centred line; a printer may centre Trimmed itself
	Rule   bool // a separator line of dashes
}

// Trimmed is a centred row's text without the padding.
func (r Row) Trimmed() string { return strings.TrimSpace(r.Text) }

// Layout lays the receipt out in rows of width columns (any width below 24
// is 24). Money is formatted by finance's Formatter for the location.
func Layout(r Receipt, width int) ([]Row, error) {
	width = max(width, 24)
	f, err := finance.NewFormatter(r.Currency, r.Locale)
	if err != nil {
		return nil, err
	}
	l := layout{w: width}
	l.center(r.Location, true)
	for _, h := range r.Header {
		l.center(h, false)
	}
	l.rule()
	l.center(strings.ToUpper(r.Title), true)
	if r.Reverses != 0 {
		l.center(fmt.Sprintf("reverses operation #%d (%s)", r.Reverses, strings.ToLower(r.ReversesTitle)), false)
	}
	l.pair(fmt.Sprintf("Operation #%d", r.Op), r.Time.Format("02 Jan 2006 15:04"), false)
	if r.Date != "" && string(r.Date) != r.Time.Format("2006-01-02") {
		l.pair("Business day", string(r.Date), false)
	}
	l.pair("Staff", r.Staff, false)
	if r.Client != "" {
		l.pair("Client", r.Client, false)
	}
	if r.Booking != "" {
		l.pair("Booking", r.Booking, false)
	}
	l.rule()
	for _, ln := range r.Lines {
		l.pair(ln.Text, f.Format(ln.Amount), false)
		if ln.Quantity > 1 {
			l.pair(fmt.Sprintf("  %d x %s", ln.Quantity, f.Format(ln.Unit)), "", false)
		}
	}
	l.rule()
	l.pair("TOTAL", f.Format(r.Total), true)
	for _, t := range r.Tenders {
		l.pair(t.Label, f.Format(t.Amount), false)
	}
	if r.Change > 0 {
		l.pair("Cash tendered", f.Format(r.Tendered), false)
		l.pair("Change", f.Format(r.Change), true)
	}
	if r.Balance != nil {
		l.rule()
		l.pair("Deposit balance after", f.Format(*r.Balance), true)
	}
	if r.Note != "" {
		l.rule()
		l.wrap("Note: "+r.Note, false)
	}
	if r.ReversedBy != 0 {
		l.rule()
		l.center(fmt.Sprintf("REVERSED by operation #%d", r.ReversedBy), true)
	}
	if len(r.Footer) > 0 {
		l.rule()
		for _, ft := range r.Footer {
			l.center(ft, false)
		}
	}
	return l.rows, nil
}

// Text is the receipt as plain text, one row a line, each ending in "\n".
func Text(r Receipt, width int) (string, error) {
	rows, err := Layout(r, width)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, row := range rows {
		b.WriteString(strings.TrimRight(row.Text, " ") + "\n")
	}
	return b.String(), nil
}

type layout struct {
	w    int
	rows []Row
}

func (l *layout) add(r Row) { l.rows = append(l.rows, r) }

func (l *layout) rule() { l.add(Row{Text: strings.Repeat("-", l.w), Rule: true}) }

// center centres s, wrapped at words where it is wider than the receipt.
func (l *layout) center(s string, bold bool) {
	if strings.TrimSpace(s) == "" {
		return
	}
	for _, part := range wrapWords(s, l.w) {
		pad := (l.w - runewidth.StringWidth(part)) / 2
		l.add(Row{Text: strings.Repeat(" ", pad) + part, Bold: bold, Center: true})
	}
}

// pair puts left on the left and right flush right on one line; a left
// too long for the line wraps above the line that carries right.
func (l *layout) pair(left, right string, bold bool) {
	rw := runewidth.StringWidth(right)
	room := l.w - rw - 1
	if right == "" {
		room = l.w
	}
	if room < 8 {
		// An amount too wide to share a line: the words first, then it.
		l.wrap(left, bold)
		l.add(Row{Text: strings.Repeat(" ", max(0, l.w-rw)) + right, Bold: bold})
		return
	}
	// A leading indent (a line's "2 x €45.00") is kept; wrapping would eat it.
	indent := left[:len(left)-len(strings.TrimLeft(left, " "))]
	parts := wrapWords(left, room-len(indent))
	for i := range parts {
		parts[i] = indent + parts[i]
	}
	for _, p := range parts[:len(parts)-1] {
		l.add(Row{Text: p, Bold: bold})
	}
	last := parts[len(parts)-1]
	gap := l.w - runewidth.StringWidth(last) - rw
	l.add(Row{Text: last + strings.Repeat(" ", max(1, gap)) + right, Bold: bold})
}

func (l *layout) wrap(s string, bold bool) {
	for _, p := range wrapWords(s, l.w) {
		l.add(Row{Text: p, Bold: bold})
	}
}

// wrapWords breaks s into lines of at most w columns at spaces, cutting a
// word longer than a line.
func wrapWords(s string, w int) []string {
	s = strings.Join(strings.Fields(s), " ")
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		for runewidth.StringWidth(word) > w {
			if line != "" {
				out = append(out, line)
				line = ""
			}
			cut := runewidth.Truncate(word, w, "")
			out = append(out, cut)
			word = word[len(cut):]
		}
		switch {
		case line == "":
			line = word
		case runewidth.StringWidth(line)+1+runewidth.StringWidth(word) <= w:
			line += " " + word
		default:
			out = append(out, line)
			line = word
		}
	}
	if line != "" || len(out) == 0 {
		out = append(out, line)
	}
	return out
}
