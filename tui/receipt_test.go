package tui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/paydesk/paydesk/internal/receipt"
)

// After a top-up and a checkout (part from the deposit, the rest in cash
// with change), `p` shows the receipt; `s` saves it as text and PDF, `P`
// prints it; esc goes back to where the post left the screen.
func TestReceiptAfterAPost(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, hgt := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, hgt), func(t *testing.T) {
			t.Parallel()
			b := newBooks(t, true)
			dir := t.TempDir()
			dev := filepath.Join(dir, "lp0")
			if err := os.WriteFile(dev, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := receipt.Config{Dir: filepath.Join(dir, "receipts"), Device: dev, Footer: []string{"Thank you!"}}
			h := newHarness(t, b, Deps{Receipt: cfg}, w, hgt)
			h.enter(owner)
			addClient(h, "Anna Kovalenko", "0671234567")

			h.press("t")
			h.typ("100")
			h.press("enter", "enter", "enter", "y")
			h.contains("Top-up of €100.00 posted as operation #1", "p receipt")
			h.press("p")
			h.contains("Receipt · operation #1", "DEPOSIT TOP-UP", "Deposit balance after")
			h.press("esc")
			h.lacks("DEPOSIT TOP-UP")

			h.press("c")
			h.typ("Haircut")
			h.press("enter")
			h.typ("150")
			h.press("enter", "enter")
			h.press("tab", "tab", "tab") // from balance, cash, card, to cash tendered
			h.typ("60")
			h.contains("Covered. Change due €10.00.")
			h.press("enter", "enter", "y")
			h.contains("Checkout of €150.00 posted as operation #2. Change due €10.00.", "p receipt")
			h.press("p")
			h.sized(w, hgt)
			h.golden(fmt.Sprintf("receipt_view_%dx%d", w, hgt))
			h.contains("SALE", "From deposit", "€100.00", "Cash drawer", "€50.00", "Cash tendered", "€60.00", "Change", "€10.00")

			h.press("s")
			h.contains("Receipt #2 saved")
			for _, f := range []string{"op-2.txt", "op-2.pdf"} {
				if _, err := os.Stat(filepath.Join(cfg.Dir, f)); err != nil {
					t.Error(err)
				}
			}
			h.press("P")
			h.contains("Receipt #2 sent to the printer.")
			if data, _ := os.ReadFile(dev); !bytes.HasPrefix(data, []byte{0x1b, '@'}) || !bytes.Contains(data, []byte("\x8010.00")) {
				t.Errorf("the printer got %q", data)
			}
			h.press("esc")
			h.contains("Receipt", "enter: next checkout")
			h.lacks("Receipt · operation #2")
			// Another tab offers nothing; locking forgets the offer.
			h.press("1")
			h.lacks("p receipt")
		})
	}
}
