package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Anna", "Anna"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"-5.00", "-5.00"}, // an amount stays a number
		{"-5", "-5"},
		{"-", "'-"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := Cell(tt.in); got != tt.want {
			t.Errorf("Cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

type fakeBooks map[finance.Date][]finance.Operation

func (f fakeBooks) DayOperations(_ context.Context, _ finance.Actor, d finance.Date, _ string) ([]finance.Operation, error) {
	return f[d], nil
}

type eur struct{}

func (eur) Currency() string { return "EUR" }
func (eur) Digits() int      { return 2 }

func TestWriteNeutralisesOutsideText(t *testing.T) {
	day := finance.Date("2026-12-03")
	books := fakeBooks{day: {{
		ID: 7, BusinessDate: day, Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Kind: finance.OpKind("topup"),
		Staff: "@olena", ClientID: 3, BookingID: "=cmd|'/C calc'!A0", Comment: "+SUM(1)",
		Postings: []finance.Posting{{Account: "client/3", Amount: -5000}, {Account: "register/cash", Amount: 5000}},
	}}}
	var buf bytes.Buffer
	n, err := Write(context.Background(), &buf, books, finance.Actor{}, eur{}, day, day)
	if err != nil || n != 2 {
		t.Fatalf("Write: %d rows, %v", n, err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "operation" {
		t.Fatalf("rows %q", rows)
	}
	r := rows[1]
	if r[4] != "'@olena" || r[6] != "'=cmd|'/C calc'!A0" || r[12] != "'+SUM(1)" {
		t.Errorf("outside text not neutralised: %q", r)
	}
	if r[8] != "-50.00" || rows[2][8] != "50.00" || r[9] != "EUR" {
		t.Errorf("amounts: %q %q", r[8], rows[2][8])
	}
}

func TestRangeAndFile(t *testing.T) {
	if _, _, err := Range("2025-01-01", "2026-06-01"); err == nil {
		t.Error("an export of more than MaxDays days was allowed")
	}
	if f, to, err := Range("2026-12-03", "2026-12-01"); err != nil || f != "2026-12-01" || to != "2026-12-03" {
		t.Errorf("Range reversed: %s %s %v", f, to, err)
	}
	if FileName("2026-12-01", "2026-12-01") != "paydesk-2026-12-01.csv" || FileName("2026-12-01", "2026-12-03") != "paydesk-2026-12-01_2026-12-03.csv" {
		t.Error("file names")
	}
	path := filepath.Join(t.TempDir(), "out", "x.csv")
	if _, err := WriteFile(context.Background(), path, fakeBooks{}, finance.Actor{}, eur{}, "2026-12-01", "2026-12-02"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte("operation,business_date")) {
		t.Errorf("file: %v %q", err, b)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".paydesk-export-*"))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}
