package components

import (
	"strings"

	"github.com/paydesk/paydesk/tui/styles"
)

var eighths = []rune{' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'}

// BarChart draws money in and out per day as pairs of vertical bars (in,
// out), height rows tall, scaled to the largest value. It returns the rows
// top to bottom.
func BarChart(s *styles.Styles, in, out []int64, height int) []string {
	if height < 1 {
		return nil
	}
	var top int64
	for i := range in {
		top = max(top, in[i])
		if i < len(out) {
			top = max(top, out[i])
		}
	}
	// Each distinct glyph is styled once per call: styling 2 cells per day
	// on every row one by one cost the finance screen milliseconds a frame.
	inCell, outCell := glyphCache(s.Chart.In.Render), glyphCache(s.Chart.Out.Render)
	rows := make([]string, height)
	for r := 0; r < height; r++ {
		var b strings.Builder
		level := height - 1 - r // 0 = bottom row
		for i := range in {
			var o int64
			if i < len(out) {
				o = out[i]
			}
			b.WriteString(inCell(barCell(in[i], top, height, level)))
			oc := barCell(o, top, height, level)
			if s.Plain {
				oc = shaded(oc)
			}
			b.WriteString(outCell(oc))
		}
		rows[r] = b.String()
	}
	return rows
}

// OutGlyph is the out bar's glyph in the legend: shaded where the terminal
// has no colour to tell it from the solid in bar.
func OutGlyph(s *styles.Styles) string {
	if s.Plain {
		return "▒"
	}
	return "█"
}

// shaded is an out bar's cell without colour: a full cell shaded, a part
// of one lightly shaded (no shade comes in eighths), so in and out bars
// differ by glyph and not only by colour.
func shaded(r rune) rune {
	switch r {
	case ' ', '·':
		return r
	case '█':
		return '▒'
	}
	return '░'
}

// glyphCache memoises render for single glyphs.
func glyphCache(render func(...string) string) func(rune) string {
	seen := map[rune]string{}
	return func(r rune) string {
		g, ok := seen[r]
		if !ok {
			g = render(string(r))
			seen[r] = g
		}
		return g
	}
}

// barCell is the glyph for one bar at one level, in eighths of a row.
func barCell(v, top int64, height, level int) rune {
	if v <= 0 || top <= 0 {
		if level == 0 {
			return '·'
		}
		return ' '
	}
	total := v * int64(height*8) / top
	if total == 0 {
		total = 1 // any money at all shows
	}
	fill := total - int64(level*8)
	switch {
	case fill >= 8:
		return '█'
	case fill <= 0:
		return ' '
	}
	return eighths[fill]
}
