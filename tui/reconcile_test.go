package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// The last reconcile against Stripe's balance shows in the Sync tab (a
// line per day that differs, with both figures) and in the header badge.
func TestGoldenSyncReconcile(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, hgt := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, hgt), func(t *testing.T) {
			t.Parallel()
			b := goldenBooks(t)
			day := finance.DateOf(testNow, time.UTC)
			// Stripe's balance took in €39.00 for pi_1; the webhook said €40.00.
			rep, err := b.svc.Reconcile(ctx(), "stripe", day.AddDays(-2), day, []finance.BalanceTxn{{
				ID: "txn_1", Kind: finance.BalancePayment, Created: testNow, Amount: 3900, Net: 3900, Currency: "eur",
				SourceID: "ch_1", PaymentRef: "pi_1"}})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Agrees || rep.Flagged != 1 {
				t.Fatalf("report = %+v", rep)
			}
			h := newHarness(t, b, Deps{SyncConfigured: true, Version: "test"}, w, hgt)
			h.login("1234")
			h.press("5")
			h.sized(w, hgt)
			v := h.view()
			for _, want := range []string{"Stripe differs on 1 day", "DIFFERS on 1 day", "Stripe €39.00, register €40.00"} {
				if !strings.Contains(v, want) {
					t.Fatalf("sync tab lacks %q:\n%s", want, v)
				}
			}
			h.golden(fmt.Sprintf("sync_reconcile_%dx%d", w, hgt))
		})
	}
}
