package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// FuzzCell holds Cell to its promise for any text a webhook, a client's
// name or a note may carry: the cell never starts with a character a
// spreadsheet reads as a formula unless it is one of our plain numbers, the
// text is otherwise kept whole (at most one quote in front), and it comes
// back the same through encoding/csv. The seed corpus is in
// testdata/fuzz/FuzzCell, so `go test` replays it.
func FuzzCell(f *testing.F) {
	for _, s := range []string{"", "Anna", "=1+1", "-5.00", "-", "\t=x", "'=x", "a,\"b\"\n=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Cell(s)
		if got != s && got != "'"+s {
			t.Fatalf("Cell(%q) = %q: the text must be kept, with at most a quote in front", s, got)
		}
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) && !number.MatchString(got) {
			t.Fatalf("Cell(%q) = %q starts with %q", s, got, got[0])
		}
		if got == s && s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) && !number.MatchString(s) {
			t.Fatalf("Cell(%q) left a formula as it was", s)
		}
		if Cell(got) != got {
			// Neutralising twice adds nothing: the quote already guards it.
			t.Fatalf("Cell(Cell(%q)) = %q, want %q", s, Cell(got), got)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.Write([]string{got, "x"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if w.Error() != nil {
			t.Fatal(w.Error())
		}
		rec, err := csv.NewReader(&buf).Read()
		if err != nil {
			t.Fatalf("reading back %q: %v", buf.String(), err)
		}
		// encoding/csv reads a lone \r inside a quoted cell as \n only when
		// it is \r\n; compare what a reader gives for the text itself.
		want := strings.ReplaceAll(got, "\r\n", "\n")
		if len(rec) != 2 || rec[0] != want || rec[1] != "x" {
			t.Fatalf("cell %q came back from CSV as %q", got, rec)
		}
	})
}
