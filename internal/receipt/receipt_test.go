package receipt_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/receipt"
	"github.com/paydesk/paydesk/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// books is a salon with one client, Lily, who tops up €100.00 in cash and
// then has a €150.00 visit: €100.00 from her deposit, the rest in cash,
// handing over €60.00 (€10.00 change).
type books struct {
	svc                 *finance.Service
	topUp, sale         finance.Operation
	client              finance.ClientID
	admin               finance.Actor
	handed, changeGiven int64
}

func newBooks(t *testing.T) books {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "paydesk.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 12, 3, 14, 5, 0, 0, time.UTC)
	svc := finance.NewService(db, finance.WithClock(func() time.Time { return now }), finance.WithPINCost(4))
	st := finance.Settings{Location: "Studio Mila", Currency: "EUR", Locale: "en", TimeZone: "Europe/Lisbon",
		PhoneRegion: "PT", Registers: finance.DefaultRegisters()}
	if err := svc.Setup(ctx, st, "Ann", "1234"); err != nil {
		t.Fatal(err)
	}
	admin := finance.Actor{Staff: "Ann", Role: finance.RoleAdmin}
	c, err := svc.CreateClient(ctx, admin, finance.NewClient{Name: "Lily Evans", Phone: "+351912345678"})
	if err != nil {
		t.Fatal(err)
	}
	top, err := svc.TopUp(ctx, admin, finance.TopUpRequest{Key: "t1", ClientID: c.ID, Amount: 100_00, Register: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	from := int64(100_00)
	sale, err := svc.Checkout(ctx, admin, finance.CheckoutRequest{Key: "c1", ClientID: c.ID, Total: 150_00, FromBalance: &from,
		Lines: []finance.LineItem{
			{Description: "Haircut and blow-dry", UnitPrice: 60_00, Quantity: 1},
			{Description: "Colour", UnitPrice: 45_00, Quantity: 2},
		},
		Payments: []finance.Tender{{Register: "cash", Amount: 50_00}}})
	if err != nil {
		t.Fatal(err)
	}
	return books{svc: svc, topUp: top, sale: sale, client: c.ID, admin: admin, handed: 60_00, changeGiven: 10_00}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/receipt -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./internal/receipt -update):\n%s\nwant:\n%s", name, got, want)
	}
}

func TestSaleReceipt(t *testing.T) {
	b := newBooks(t)
	ctx := context.Background()
	r, err := receipt.Build(ctx, b.svc, b.sale.ID, receipt.Options{Header: []string{"Rua das Flores 12, Lisboa"}, Footer: []string{"Thank you, see you soon!"}})
	if err != nil {
		t.Fatal(err)
	}
	r = r.WithCash(b.handed, b.changeGiven)
	// The figures are the books': the total is the revenue leg, each tender
	// a posting, the balance after what the client has now.
	var revenue, deposit, cash int64
	for _, p := range b.sale.Postings {
		switch {
		case p.Account == finance.AccountRevenue:
			revenue = -p.Amount
		case p.Account == finance.ClientAccount(b.client):
			deposit = p.Amount
		case p.Account == finance.RegisterAccount("cash"):
			cash = p.Amount
		}
	}
	if r.Total != revenue || len(r.Tenders) != 2 || r.Tenders[0].Amount+r.Tenders[1].Amount != revenue {
		t.Fatalf("total %d tenders %+v, books: revenue %d deposit %d cash %d", r.Total, r.Tenders, revenue, deposit, cash)
	}
	if r.Balance == nil || *r.Balance != 0 || r.Client != "Lily Evans" || r.Staff != "Ann" {
		t.Fatalf("receipt %+v", r)
	}
	for _, w := range receipt.Widths {
		text, err := receipt.Text(r, w)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if n := len([]rune(line)); n > w {
				t.Errorf("width %d: a line of %d: %q", w, n, line)
			}
		}
		golden(t, "sale-"+strconv.Itoa(w)+".txt", []byte(text))
	}
	esc, err := receipt.ESCPOS(r, 42)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(esc, []byte{0x1b, '@', 0x1b, 't', 16}) || !bytes.HasSuffix(esc, []byte{0x1d, 'V', 66, 0}) {
		t.Errorf("ESC/POS starts %q ends %q", esc[:5], esc[len(esc)-4:])
	}
	// € is 0x80 in the printer's WPC1252 page, never UTF-8's three bytes.
	if !bytes.Contains(esc, []byte("\x80150.00")) || bytes.Contains(esc, []byte("€")) {
		t.Errorf("the euro sign is not in WPC1252")
	}
	golden(t, "sale-42.escpos", esc)
}

func TestPDF(t *testing.T) {
	b := newBooks(t)
	r, err := receipt.Build(context.Background(), b.svc, b.sale.ID, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := receipt.PDF(&buf, r, 42, receipt.PDFOptions{Uncompressed: true}); err != nil {
		t.Fatal(err)
	}
	pdf := buf.Bytes()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("%%EOF")) {
		t.Fatalf("not a PDF: %q", pdf[:min(20, len(pdf))])
	}
	// Courier in WinAnsiEncoding: € is byte 0x80 in the page's text.
	for _, want := range []string{"TOTAL", "\x80150.00", "\x80100.00", "\x8050.00", "Operation #2", "Lily Evans", "WinAnsiEncoding", "/Courier"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	// The same receipt is the same file: what Save relies on.
	var again bytes.Buffer
	if err := receipt.PDF(&again, r, 42, receipt.PDFOptions{Uncompressed: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pdf, again.Bytes()) {
		t.Error("two PDFs of one receipt differ")
	}
	if path, err := exec.LookPath("pdftotext"); err == nil {
		f := filepath.Join(t.TempDir(), "r.pdf")
		if err := os.WriteFile(f, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(path, "-layout", f, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "€150.00") {
			t.Errorf("pdftotext reads no €150.00:\n%s", out)
		}
	}
}

func TestOtherKinds(t *testing.T) {
	b := newBooks(t)
	ctx := context.Background()
	// The top-up's balance after is what it was then, not now.
	r, err := receipt.Build(ctx, b.svc, b.topUp.ID, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Deposit top-up" || r.Total != 100_00 || *r.Balance != 100_00 || r.Tenders[0] != (receipt.Tender{"Cash drawer", 100_00}) {
		t.Errorf("top-up %+v", r)
	}
	top2, err := b.svc.TopUp(ctx, b.admin, finance.TopUpRequest{Key: "t2", ClientID: b.client, Amount: 80_00, Register: "card"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := b.svc.CashOut(ctx, b.admin, finance.CashOutRequest{Key: "o1", ClientID: b.client, Amount: 30_00, Register: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	r, err = receipt.Build(ctx, b.svc, out.ID, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Cash-out" || r.Total != 30_00 || *r.Balance != 50_00 || r.Tenders[0] != (receipt.Tender{"Paid from Cash drawer", 30_00}) {
		t.Errorf("cash-out %+v", r)
	}
	rev, err := b.svc.Reverse(ctx, b.admin, finance.ReverseRequest{Key: "r1", OperationID: out.ID, Reason: "paid by mistake"})
	if err != nil {
		t.Fatal(err)
	}
	r, err = receipt.Build(ctx, b.svc, rev.ID, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Reversal" || r.Reverses != out.ID || r.Total != -30_00 || *r.Balance != 80_00 || r.Tenders[0].Amount != -30_00 {
		t.Errorf("reversal %+v", r)
	}
	text, err := receipt.Text(r, 42)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "reversal-42.txt", []byte(text))
	// The original, reprinted, says it was reversed and by which; its
	// balance after is still what it was then.
	r, err = receipt.Build(ctx, b.svc, out.ID, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := receipt.Text(r, 42); !strings.Contains(text, fmt.Sprintf("REVERSED by operation #%d", rev.ID)) || *r.Balance != 50_00 {
		t.Errorf("reversed original:\n%s", text)
	}
	_ = top2
	if _, err := receipt.Build(ctx, b.svc, 999, receipt.Options{}); !errors.Is(err, finance.ErrNotFound) || finance.Message(err) != "there is no operation #999" {
		t.Errorf("unknown op: %v", err)
	}
}

func TestSaveNeverOverwritesAnother(t *testing.T) {
	b := newBooks(t)
	r, err := receipt.Build(context.Background(), b.svc, b.sale.ID, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "receipts")
	first, err := receipt.Save(dir, r, 42)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(first.Text) != "op-2.txt" || filepath.Base(first.PDF) != "op-2.pdf" {
		t.Fatalf("saved as %+v", first)
	}
	again, err := receipt.Save(dir, r, 42)
	if err != nil || again != first {
		t.Fatalf("saved again as %+v, %v", again, err)
	}
	other := r
	other.Staff = "Bob"
	third, err := receipt.Save(dir, other, 42)
	if err != nil || filepath.Base(third.Text) != "op-2-2.txt" {
		t.Fatalf("a different receipt #2 saved as %+v, %v", third, err)
	}
	if data, _ := os.ReadFile(first.Text); !strings.Contains(string(data), "Staff") || strings.Contains(string(data), "Bob") {
		t.Errorf("the first receipt changed:\n%s", data)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 4 {
		t.Errorf("%d files in the folder", len(ents))
	}
}

func TestPrint(t *testing.T) {
	b := newBooks(t)
	ctx := context.Background()
	r, err := receipt.Build(ctx, b.svc, b.sale.ID, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := receipt.ESCPOS(r, 42)
	dir := t.TempDir()

	dev := filepath.Join(dir, "lp0")
	if err := receipt.Print(ctx, receipt.Config{Device: dev}, r); err == nil {
		t.Error("a device that is not there was made")
	}
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := receipt.Print(ctx, receipt.Config{Device: dev}, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dev); !bytes.Equal(got, want) {
		t.Error("the device got other bytes")
	}

	// A fake lp on PATH, as CUPS' would be: it keeps its arguments and input.
	lp := filepath.Join(dir, "lp")
	script := "#!/bin/sh\necho \"$@\" > " + dir + "/args\ncat > " + dir + "/job\n"
	if err := os.WriteFile(lp, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := receipt.Print(ctx, receipt.Config{Queue: "till"}, r); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	job, _ := os.ReadFile(filepath.Join(dir, "job"))
	if strings.TrimSpace(string(args)) != "-d till -o raw" || !bytes.Equal(job, want) {
		t.Errorf("lp got %q and %d bytes", args, len(job))
	}
	fail := filepath.Join(dir, "lpfail")
	if err := os.WriteFile(fail, []byte("#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = receipt.Print(ctx, receipt.Config{Queue: "nope", LP: fail}, r)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a failing lp: %v", err)
	}
	if err := receipt.Print(ctx, receipt.Config{}, r); !errors.Is(err, receipt.ErrNoPrinter) {
		t.Errorf("no printer: %v", err)
	}
}

// fakeBooks is a Source of one operation, for shapes the rules of today do
// not make yet (a discount, a tip to an account of its own).
type fakeBooks struct{ op finance.Operation }

func (f fakeBooks) Settings(context.Context) (finance.Settings, error) {
	return finance.Settings{Location: "Studio Mila", Currency: "EUR", Locale: "en", TimeZone: "UTC",
		Registers: finance.DefaultRegisters()}, nil
}

func (f fakeBooks) Operation(_ context.Context, id finance.OperationID) (finance.Operation, error) {
	if id != f.op.ID {
		return finance.Operation{}, finance.ErrNotFound
	}
	return f.op, nil
}

func (f fakeBooks) ClientBalanceAfter(context.Context, finance.ClientID, finance.OperationID) (finance.ClientAfter, error) {
	return finance.ClientAfter{}, errors.New("no clients here")
}

// A sale whose lines at their prices come to more than the revenue says
// the difference as a discount; a credit to another account is its own line;
// the tenders still add up to the total.
func TestDiscountAndTip(t *testing.T) {
	op := finance.Operation{ID: 7, Kind: finance.OpCheckout, Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Staff: "Ann",
		Lines: []finance.LineItem{{Description: "Cut", UnitPrice: 60_00, Quantity: 1}, {Description: "Mask", UnitPrice: 20_00, Quantity: 2}},
		Postings: []finance.Posting{{Account: finance.AccountRevenue, Amount: -90_00}, {Account: "tips", Amount: -10_00},
			{Account: finance.RegisterAccount("card"), Amount: 100_00}}}
	r, err := receipt.Build(context.Background(), fakeBooks{op}, 7, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []receipt.Line{{Text: "Cut", Quantity: 1, Unit: 60_00, Amount: 60_00}, {Text: "Mask", Quantity: 2, Unit: 20_00, Amount: 40_00},
		{Text: "Discount", Amount: -10_00}, {Text: "Tip", Amount: 10_00}}
	if fmt.Sprint(r.Lines) != fmt.Sprint(want) || r.Total != 100_00 || len(r.Tenders) != 1 || r.Tenders[0] != (receipt.Tender{"Card terminal", 100_00}) {
		t.Errorf("lines %+v total %d tenders %+v", r.Lines, r.Total, r.Tenders)
	}
	if r.Balance != nil {
		t.Error("a walk-in has no balance after")
	}
}

// A Ukrainian desk's receipt: Cyrillic and ₴ are beyond Windows-1252, so the
// PDF embeds DejaVu Sans Mono and keeps them.
func TestPDFBeyondCP1252(t *testing.T) {
	op := finance.Operation{ID: 3, Kind: finance.OpTopUp, Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Staff: "Оля",
		Postings: []finance.Posting{{Account: finance.RegisterAccount("cash"), Amount: 500_00}, {Account: "client/1", Amount: -500_00}}}
	src := fakeBooks{op}
	r, err := receipt.Build(context.Background(), uahBooks{src}, 3, receipt.Options{Footer: []string{"Дякуємо!"}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := receipt.PDF(&buf, r, 42, receipt.PDFOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) || !bytes.Contains(buf.Bytes(), []byte("FontFile2")) {
		t.Fatal("no embedded font")
	}
	// Saved twice, it is one receipt, though the font's subset may differ.
	dir := t.TempDir()
	first, err := receipt.Save(dir, r, 42)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := receipt.Save(dir, r, 42); err != nil || again != first {
		t.Errorf("saved again as %+v, %v", again, err)
	}
	if path, err := exec.LookPath("pdftotext"); err == nil {
		f := filepath.Join(t.TempDir(), "r.pdf")
		if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(path, "-layout", f, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Студія Міла", "Оля", "Дякуємо!", "500,00"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("pdftotext lacks %q:\n%s", want, out)
			}
		}
	}
}

// uahBooks is fakeBooks at a Ukrainian location.
type uahBooks struct{ fakeBooks }

func (u uahBooks) Settings(context.Context) (finance.Settings, error) {
	return finance.Settings{Location: "Студія Міла", Currency: "UAH", Locale: "uk", TimeZone: "Europe/Kyiv",
		Registers: finance.DefaultRegisters()}, nil
}
