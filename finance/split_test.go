package finance_test

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

// The checkout split, as the rule and the desk's pay form both use it.
// Registers in these cases: 0 card, 1 cash (unless said otherwise).
func TestSplitCheckout(t *testing.T) {
	tests := []struct {
		name string
		in   finance.SplitInput
		want finance.Split
		err  finance.SplitReason // 0: none
		sent error               // the sentinel the error matches
	}{
		{name: "walk-in pays by card",
			in:   finance.SplitInput{Total: 5000, Tenders: []int64{5000, 0}, Rest: -1, Cash: 1},
			want: finance.Split{Due: 5000, Left: 5000, Tenders: []int64{5000, 0}}},
		{name: "default from the deposit covers part, the rest register takes what is left",
			in:   finance.SplitInput{Total: 5000, Client: true, Available: 2000, Tenders: []int64{0, 0}, Rest: 0, Cash: 1},
			want: finance.Split{Due: 5000, FromBalance: 2000, Left: 3000, Tenders: []int64{3000, 0}}},
		{name: "default from the deposit covers all",
			in:   finance.SplitInput{Total: 5000, Client: true, Available: 9000, Tenders: []int64{0, 0}, Rest: 0, Cash: 1},
			want: finance.Split{Due: 5000, FromBalance: 5000, Tenders: []int64{0, 0}}},
		{name: "default from a deposit in debt is nothing",
			in:   finance.SplitInput{Total: 5000, Client: true, Available: -300, Tenders: []int64{5000}, Rest: -1, Cash: -1},
			want: finance.Split{Due: 5000, Left: 5000, Tenders: []int64{5000}}},
		{name: "walk-in default from the deposit is nothing",
			in:   finance.SplitInput{Total: 5000, Available: 9000, Tenders: []int64{0}, Rest: 0, Cash: -1},
			want: finance.Split{Due: 5000, Left: 5000, Tenders: []int64{5000}}},
		{name: "from the deposit as wanted, split over two registers",
			in:   finance.SplitInput{Total: 5000, Client: true, Available: 2000, FromBalance: i64(1500), Tenders: []int64{2000, 1500}, Rest: -1, Cash: 1},
			want: finance.Split{Due: 5000, FromBalance: 1500, Left: 3500, Tenders: []int64{2000, 1500}}},
		{name: "the rest register tops up what the tenders leave",
			in:   finance.SplitInput{Total: 5000, Tenders: []int64{1000, 0}, Rest: 1, Cash: -1},
			want: finance.Split{Due: 5000, Left: 5000, Tenders: []int64{1000, 4000}}},
		{name: "prepaid booking applied first",
			in:   finance.SplitInput{Total: 8000, PrepaidLeft: 3000, Client: true, Available: 1000, Tenders: []int64{0, 0}, Rest: 0, Cash: 1},
			want: finance.Split{Prepaid: 3000, Due: 5000, FromBalance: 1000, Left: 4000, Tenders: []int64{4000, 0}}},
		{name: "prepaid beyond the total goes back to the client",
			in:   finance.SplitInput{Total: 2000, PrepaidLeft: 3000, Client: true, Available: 500, Tenders: []int64{0}, Rest: 0, Cash: -1},
			want: finance.Split{Prepaid: 2000, Excess: 1000, Tenders: []int64{0}}},
		{name: "prepaid beyond the total with no client",
			in:  finance.SplitInput{Total: 2000, PrepaidLeft: 3000, Rest: -1, Cash: -1},
			err: finance.SplitExcessWalkIn, sent: finance.ErrInvalid},
		{name: "cash typed above the rest is change",
			in:   finance.SplitInput{Total: 1850, Tenders: []int64{0, 2000}, Rest: -1, Cash: 1},
			want: finance.Split{Due: 1850, Left: 1850, Tenders: []int64{0, 1850}, Change: 150}},
		{name: "card and cash above the rest: only the cash gives change",
			in:   finance.SplitInput{Total: 5000, Tenders: []int64{4000, 2000}, Rest: -1, Cash: 1},
			want: finance.Split{Due: 5000, Left: 5000, Tenders: []int64{4000, 1000}, Change: 1000}},
		{name: "the card alone above the rest is too much, no change",
			in:   finance.SplitInput{Total: 5000, Tenders: []int64{6000, 0}, Rest: -1, Cash: 1},
			want: finance.Split{Due: 5000, Left: 5000, Tenders: []int64{6000, 0}, Short: -1000}},
		{name: "the cash handed over above the cash share is change",
			in:   finance.SplitInput{Total: 1850, Tenders: []int64{0, 1850}, Rest: -1, Cash: 1, Handed: 5000},
			want: finance.Split{Due: 1850, Left: 1850, Tenders: []int64{0, 1850}, Change: 3150}},
		{name: "the cash handed over counts the change already typed",
			in:   finance.SplitInput{Total: 1850, Tenders: []int64{0, 2000}, Rest: -1, Cash: 1, Handed: 2000},
			want: finance.Split{Due: 1850, Left: 1850, Tenders: []int64{0, 1850}, Change: 150}},
		{name: "less cash handed over than typed",
			in:  finance.SplitInput{Total: 1850, Tenders: []int64{0, 1850}, Rest: -1, Cash: 1, Handed: 1800},
			err: finance.SplitHandedShort, sent: finance.ErrInvalid},
		{name: "no cash register: handed over is ignored",
			in:   finance.SplitInput{Total: 1850, Tenders: []int64{1850}, Rest: -1, Cash: -1, Handed: 100},
			want: finance.Split{Due: 1850, Left: 1850, Tenders: []int64{1850}}},
		{name: "still to pay",
			in:   finance.SplitInput{Total: 5000, Tenders: []int64{2000, 0}, Rest: -1, Cash: 1},
			want: finance.Split{Due: 5000, Left: 5000, Tenders: []int64{2000, 0}, Short: 3000}},
		{name: "walk-in from the deposit",
			in:  finance.SplitInput{Total: 5000, FromBalance: i64(100), Tenders: []int64{4900}, Rest: -1, Cash: -1},
			err: finance.SplitWalkIn, sent: finance.ErrInvalid},
		{name: "negative from the deposit",
			in:  finance.SplitInput{Total: 1000, Client: true, Available: 5000, FromBalance: i64(-1), Tenders: []int64{1001}, Rest: -1, Cash: -1},
			err: finance.SplitFromNegative, sent: finance.ErrInvalid},
		{name: "more from the deposit than it may spend",
			in:  finance.SplitInput{Total: 5000, Client: true, Available: 2000, FromBalance: i64(3000), Tenders: []int64{2000}, Rest: -1, Cash: -1},
			err: finance.SplitFromOverFunds, sent: finance.ErrInsufficientFunds},
		{name: "more from the deposit than is due",
			in:  finance.SplitInput{Total: 1000, Client: true, Available: 2000, FromBalance: i64(1500), Rest: -1, Cash: -1},
			err: finance.SplitFromOverDue, sent: finance.ErrInvalid},
		{name: "more than due and than it may spend: the deposit is said first",
			in:  finance.SplitInput{Total: 1000, Client: true, Available: 500, FromBalance: i64(1500), Rest: -1, Cash: -1},
			err: finance.SplitFromOverFunds, sent: finance.ErrInsufficientFunds},
		{name: "negative tender",
			in:  finance.SplitInput{Total: 5000, Tenders: []int64{6000, -1000}, Rest: -1, Cash: -1},
			err: finance.SplitTenderNegative, sent: finance.ErrInvalid},
		{name: "tenders overflow",
			in:  finance.SplitInput{Total: 5000, Tenders: []int64{math.MaxInt64, 1}, Rest: -1, Cash: -1},
			err: finance.SplitTooLarge, sent: finance.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := finance.SplitCheckout(tt.in)
			if tt.err != 0 {
				var se *finance.SplitError
				if !errors.As(err, &se) || se.Reason != tt.err {
					t.Fatalf("err = %v, want reason %d", err, tt.err)
				}
				if !errors.Is(err, tt.sent) {
					t.Errorf("err %v does not match %v", err, tt.sent)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("split\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// SplitFigures takes the deposit's amount as typed, so a form shows its
// figures while the person types; SplitCheckout refuses the same input.
func TestSplitFiguresAsTyped(t *testing.T) {
	in := finance.SplitInput{Total: 1000, FromBalance: i64(300), Tenders: []int64{0}, Rest: 0, Cash: -1} // a walk-in
	sp, err := finance.SplitFigures(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := (finance.Split{Due: 1000, FromBalance: 300, Left: 700, Tenders: []int64{700}}); !reflect.DeepEqual(sp, want) {
		t.Errorf("figures %+v, want %+v", sp, want)
	}
	if _, err := finance.SplitCheckout(in); !errors.Is(err, finance.ErrInvalid) {
		t.Errorf("checked: %v, want the walk-in refused", err)
	}
	// More than is due: nothing for the rest register, too much said as Short.
	in = finance.SplitInput{Total: 1000, Client: true, Available: 5000, FromBalance: i64(1200), Tenders: []int64{0}, Rest: 0, Cash: -1}
	if sp, err = finance.SplitFigures(in); err != nil || sp.Tenders[0] != 0 || sp.Short != -200 {
		t.Errorf("over due: %+v, %v", sp, err)
	}
}

// SplitFigures takes figures as typed, so any of them may sit at int64's
// edge: each sum that would wrap is SplitTooLarge, never a negative figure.
func TestSplitFiguresOverflow(t *testing.T) {
	tests := []struct {
		name   string
		in     finance.SplitInput
		tender int // the register blamed; -1: none
	}{
		{name: "from the deposit typed at the negative edge (Left = Due - From)",
			in:     finance.SplitInput{Total: 1000, Client: true, FromBalance: i64(math.MinInt64), Tenders: []int64{0}, Rest: 0, Cash: -1},
			tender: -1},
		{name: "from the deposit typed very negative, Due near the top",
			in:     finance.SplitInput{Total: math.MaxInt64, Client: true, FromBalance: i64(-1), Tenders: []int64{0}, Rest: 0, Cash: -1},
			tender: -1},
		{name: "Left far below zero, a large tender (the overpaid check)",
			in:     finance.SplitInput{Total: 0, Client: true, FromBalance: i64(math.MaxInt64), Tenders: []int64{0, 10}, Rest: -1, Cash: 1},
			tender: -1},
		{name: "a negative total under a prepayment (Excess = left - prepaid)",
			in:     finance.SplitInput{Total: math.MinInt64 + 1, PrepaidLeft: 10, Client: true, Tenders: []int64{0}, Rest: -1, Cash: -1},
			tender: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp, err := finance.SplitFigures(tt.in)
			var se *finance.SplitError
			if !errors.As(err, &se) || se.Reason != finance.SplitTooLarge || se.Tender != tt.tender {
				t.Fatalf("got %+v, %v; want SplitTooLarge at tender %d", sp, err, tt.tender)
			}
			if !errors.Is(err, finance.ErrInvalid) {
				t.Errorf("err %v is not ErrInvalid", err)
			}
		})
	}
}

func TestSubInt64(t *testing.T) {
	tests := []struct {
		a, b, want int64
		ok         bool
	}{
		{5, 3, 2, true},
		{math.MinInt64, 1, 0, false},
		{math.MaxInt64, -1, 0, false},
		{0, math.MinInt64, 0, false},
		{-1, math.MaxInt64, math.MinInt64, true},
	}
	for _, tt := range tests {
		if got, ok := finance.SubInt64(tt.a, tt.b); got != tt.want || ok != tt.ok {
			t.Errorf("SubInt64(%d, %d) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}
