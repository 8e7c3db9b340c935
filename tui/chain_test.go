package tui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
)

// fakeChain is the chain's central database as the Finance tab sees it:
// two locations, their days made up from the date, or a failure.
type fakeChain struct {
	mu    sync.Mutex
	asked []finance.Date
	err   error
}

func (f *fakeChain) ChainDay(_ context.Context, d finance.Date) (common.ChainDay, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, d)
	if f.err != nil {
		return common.ChainDay{}, f.err
	}
	// Each day back takes 10.00 off every figure, so stepping shows.
	back := int64(0)
	for x := finance.Date("2025-03-14"); x > d; x = x.AddDays(-1) {
		back += 1000
	}
	tot := func(reg string, opening, in, out int64, kinds map[finance.OpKind]int64) finance.DayTotals {
		n := 0
		for range kinds {
			n += 2
		}
		return finance.DayTotals{Register: reg, Date: d, Opening: opening - back, In: in, Out: out,
			Closing: opening - back + in - out, Count: n, ByKind: kinds}
	}
	return common.ChainDay{Date: d, Local: "kyiv-podil", Behind: 3, BehindKnown: true, Locations: []common.ChainLocation{
		{ID: "kyiv-podil", Name: "Studio Mila", Currency: "EUR", Locale: "en",
			Registers: testSettings().Registers, ShippedAt: testNow.Add(-2 * time.Minute),
			Totals: []finance.DayTotals{
				tot("cash", 10000+5*back, 8000, 0, map[finance.OpKind]int64{finance.OpCheckout: 3000, finance.OpTopUp: 5000}),
				tot("card", 5*back, 3000, 2000, map[finance.OpKind]int64{finance.OpCheckout: 1000, finance.OpTopUp: 2000, finance.OpReversal: -2000}),
				tot("stripe", 5*back, 4000, 0, map[finance.OpKind]int64{finance.OpOnlinePrepayment: 4000}),
				tot("bank", 5*back, 0, 0, nil),
			}},
		{ID: "lviv-rynok", Name: "Studio Mila Lviv", Currency: "UAH", Locale: "uk",
			Registers: []finance.Register{{ID: "cash", Name: "Каса", Kind: finance.RegisterCash}, {ID: "card", Name: "Термінал", Kind: finance.RegisterCard}},
			ShippedAt: testNow.Add(-3 * time.Hour),
			Totals: []finance.DayTotals{
				tot("cash", 250000+5*back, 120000, 40000, map[finance.OpKind]int64{finance.OpCheckout: 120000, finance.OpTransfer: -40000}),
				tot("card", 5*back, 98000, 0, map[finance.OpKind]int64{finance.OpCheckout: 98000}),
			}},
	}}, nil
}

func (f *fakeChain) days() []finance.Date {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]finance.Date(nil), f.asked...)
}

// TestGoldenChain renders the Finance tab's chain view at both sizes: the
// day, a day back, the scrolled end, no replication, and an unreachable
// central database. go test ./tui -run TestGoldenChain -update rewrites them.
func TestGoldenChain(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, hgt := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, hgt), func(t *testing.T) {
			t.Parallel()
			g := func(h *harness, name string) {
				t.Helper()
				h.sized(w, hgt)
				h.golden(fmt.Sprintf("%s_%dx%d", name, w, hgt))
			}
			b := goldenBooks(t)
			src := &fakeChain{}
			h := newHarness(t, b, Deps{SyncConfigured: true, Version: "test", Chain: src}, w, hgt)
			h.login("1234")
			h.press("4")
			h.contains("v chain view")
			h.press("v")
			g(h, "chain")
			h.press("left")
			g(h, "chain_day_back")
			for range 40 {
				h.press("down")
			}
			g(h, "chain_scrolled")
			if got, want := src.days(), []finance.Date{"2025-03-14", "2025-03-13"}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("asked the central database for %v, want %v", got, want)
			}
			h.press("esc")
			h.contains("Finance · Thu 13 Mar 2025", "All registers")

			src.err = fmt.Errorf("central database postgres://chain.example/paydesk unreachable: %w", errors.New("dial tcp 10.0.0.5:5432: connect: connection refused"))
			h.press("v")
			g(h, "chain_unreachable")
			src.err = nil
			h.send(tea.KeyMsg{Type: tea.KeyCtrlR})
			h.contains("Studio Mila Lviv (lviv-rynok)")
			h.press("v")

			off := newHarness(t, b, Deps{SyncConfigured: true, Version: "test"}, w, hgt)
			off.login("1234")
			off.press("4")
			off.lacks("v chain view") // not offered in the footer without replication...
			off.press("v")            // ...but the key says why
			g(off, "chain_off")
		})
	}
}

// TestChainNeedsTheRight: a manager (no chain right by default) gets no
// chain view, and the central database is never asked.
func TestChainNeedsTheRight(t *testing.T) {
	t.Parallel()
	b := goldenBooks(t)
	withStaff(t, b, "Petro", "manager", "7777")
	src := &fakeChain{}
	h := newHarness(t, b, Deps{Version: "test", Chain: src, Staff: "Petro"}, 120, 40)
	h.login("7777")
	h.press("4", "v")
	h.contains("Finance · Fri 14 Mar 2025")
	h.lacks("Chain ·", "chain view")
	if n := len(src.days()); n != 0 {
		t.Fatalf("the central database was asked %d times for a manager", n)
	}
}
