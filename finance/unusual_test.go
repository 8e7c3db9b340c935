package finance_test

import (
	"fmt"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// An amount far above the typical top-up (the median of the latest ones)
// is marked unusual in its preview, so the confirmation asks twice; the
// factor comes from [limits], and a location with few top-ups yet has no
// "typical" to compare with.
func TestPreviewMarksUnusualAmounts(t *testing.T) {
	cases := []struct {
		name    string
		factor  int64
		topUps  []int64
		amount  int64
		unusual bool
		typical int64
	}{
		{"too few top-ups to tell", 0, []int64{1000, 1000, 1000, 1000}, 1_000_000, false, 0},
		{"ten times the median is not yet unusual", 0, []int64{500, 1000, 1000, 2000, 90000}, 10000, false, 1000},
		{"past ten times the median is", 0, []int64{500, 1000, 1000, 2000, 90000}, 10001, true, 1000},
		{"the factor from config", 3, []int64{1000, 1000, 1000, 1000, 1000}, 3500, true, 1000},
		{"off", -1, []int64{1000, 1000, 1000, 1000, 1000}, 900000, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, finance.WithLimits(finance.Limits{AskTwiceFactor: tc.factor}))
			anna := f.client("Anna", "+380671234567")
			for i, a := range tc.topUps {
				_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: fmt.Sprint("t", i), ClientID: anna.ID, Amount: a, Register: "cash"})
				must(t, err)
			}
			pv, err := f.svc.Preview(f.ctx, f.desk, finance.TopUpRequest{Key: "big", ClientID: anna.ID, Amount: tc.amount, Register: "card"})
			must(t, err)
			if pv.Unusual != tc.unusual || pv.Typical != tc.typical {
				t.Fatalf("unusual %v typical %d, want %v and %d", pv.Unusual, pv.Typical, tc.unusual, tc.typical)
			}
		})
	}
}

// A reversal undoes what is there: never unusual, however large.
func TestReversalIsNeverUnusual(t *testing.T) {
	f := newFixture(t, finance.WithLimits(finance.Limits{AskTwiceFactor: 2}))
	anna := f.client("Anna", "+380671234567")
	var last finance.Operation
	for i, a := range []int64{100, 100, 100, 100, 100, 50000} {
		op, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: fmt.Sprint("t", i), ClientID: anna.ID, Amount: a, Register: "cash"})
		must(t, err)
		last = op
	}
	pv, err := f.svc.Preview(f.ctx, f.admin, finance.ReverseRequest{Key: "r", OperationID: last.ID, Reason: "typo"})
	must(t, err)
	if pv.Unusual {
		t.Fatal("a reversal was marked unusual")
	}
}
