package components

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/paydesk/paydesk/tui/styles"
)

// Without colour (NO_COLOR) the active tab and the chart's out bars are
// told apart by symbols: brackets, and a shaded glyph.
func TestPlainTerminalTellsApartBySymbols(t *testing.T) {
	plain := styles.New(lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.Ascii)))
	cr := lipgloss.NewRenderer(io.Discard)
	cr.SetColorProfile(termenv.TrueColor)
	colour := styles.New(cr)
	if !plain.Plain || colour.Plain {
		t.Fatal("Plain follows the colour profile")
	}
	if got := Tabs(plain, 120, []string{"Clients", "Checkout"}, 1); !strings.Contains(got, "[2 Checkout]") || strings.Contains(got, "[1") {
		t.Errorf("plain tabs %q", got)
	}
	if got := Tabs(plain, 12, []string{"Clients", "Checkout", "Bookings"}, 1); !strings.Contains(got, "[2 Checkout]") {
		t.Errorf("narrow plain tabs %q", got)
	}
	rows := BarChart(plain, []int64{100, 50}, []int64{100, 30}, 2)
	joined := strings.Join(rows, "\n")
	if !strings.Contains(joined, "█") || !strings.Contains(joined, "▒") {
		t.Errorf("plain chart:\n%s", joined)
	}
	for _, r := range rows {
		for i, c := range []rune(r) {
			if i%2 == 1 && c == '█' {
				t.Errorf("an out bar is solid like an in bar: %q", r)
			}
		}
	}
}
