package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

func (f fakeBooks) ClientView(_ context.Context, id finance.ClientID, _ finance.Page) (finance.ClientView, error) {
	if id == 3 {
		return finance.ClientView{ClientSummary: finance.ClientSummary{Client: finance.Client{ID: 3, Name: "=Anna"}}}, nil
	}
	return finance.ClientView{}, finance.ErrNotFound
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
	n, err := Write(context.Background(), &buf, books, finance.Actor{}, eur{}, day, day, nil)
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
	if _, _, err := Range("2026-12-03", "2026-12-01"); !errors.Is(err, finance.ErrInvalid) || !strings.Contains(err.Error(), "before it starts") {
		t.Errorf("a backwards range: %v, want refused", err)
	}
	for _, tt := range []struct {
		loc      string
		from, to finance.Date
		want     string
	}{
		{"Studio Mila", "2026-12-01", "2026-12-01", "paydesk-studio-mila-2026-12-01.csv"},
		{"Studio Mila", "2026-12-01", "2026-12-03", "paydesk-studio-mila-2026-12-01_2026-12-03.csv"},
		{" Салон «Ліра» / Kyiv ", "2026-12-01", "2026-12-01", "paydesk-салон-ліра-kyiv-2026-12-01.csv"},
		{"../..", "2026-12-01", "2026-12-01", "paydesk-2026-12-01.csv"},
	} {
		if got := FileName(tt.loc, tt.from, tt.to); got != tt.want {
			t.Errorf("FileName(%q) = %q, want %q", tt.loc, got, tt.want)
		}
	}
	path := filepath.Join(t.TempDir(), "out", "x.csv")
	if _, err := WriteFile(context.Background(), path, false, fakeBooks{}, finance.Actor{}, eur{}, "2026-12-01", "2026-12-02", nil); err != nil {
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

// An existing file is never written over unless asked; asked, it is
// replaced whole.
func TestWriteFileKeepsAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := WriteFile(context.Background(), path, false, fakeBooks{}, finance.Actor{}, eur{}, "2026-12-01", "2026-12-01", nil)
	if !errors.Is(err, ErrExists) || !errors.Is(err, os.ErrExist) {
		t.Fatalf("over an existing file: %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Fatalf("the file was changed: %q", b)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".paydesk-export-*"))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	if _, err := WriteFile(context.Background(), path, true, fakeBooks{}, finance.Actor{}, eur{}, "2026-12-01", "2026-12-01", nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.HasPrefix(b, []byte("operation,")) {
		t.Fatalf("not replaced: %q", b)
	}
}

// Times are the location's, with its offset; the client's name and the
// item lines are in the row.
func TestWriteLocalTimeClientAndItems(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Skip("no tz data:", err)
	}
	day := finance.Date("2026-12-03")
	books := fakeBooks{day: {{
		ID: 8, BusinessDate: day, Time: time.Date(2026, 12, 3, 22, 30, 0, 0, time.UTC), Kind: finance.OpCheckout, ClientID: 3,
		Lines:    []finance.LineItem{{Description: "Haircut", UnitPrice: 4500, Quantity: 1}, {Description: "Shampoo", UnitPrice: 750, Quantity: 2}},
		Postings: []finance.Posting{{Account: "revenue", Amount: -6000}, {Account: "client/3", Amount: 6000}},
	}, {
		ID: 9, BusinessDate: day, Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Kind: finance.OpTopUp, ClientID: 4,
		Postings: []finance.Posting{{Account: "client/4", Amount: -100}, {Account: "register/cash", Amount: 100}},
	}}}
	var buf bytes.Buffer
	if _, err := Write(context.Background(), &buf, books, finance.Actor{}, eur{}, day, day, kyiv); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	h := rows[0]
	if h[13] != "client" || h[14] != "items" {
		t.Fatalf("header %q", h)
	}
	r := rows[1]
	if r[2] != "2026-12-04T00:30:00+02:00" {
		t.Errorf("time %q, want Kyiv's local time with its offset", r[2])
	}
	if r[13] != "'=Anna" || r[14] != "Haircut 1 × 45.00; Shampoo 2 × 7.50" {
		t.Errorf("client %q items %q", r[13], r[14])
	}
	if rows[3][13] != "" || rows[3][5] != "4" {
		t.Errorf("an unreadable client keeps its number alone: %q", rows[3])
	}
}
