package stripe

import "testing"

// What goes to Stripe (a refund's amount) is in Stripe's units: UGX and ISK
// in hundredths though they have no minor unit, JPY as it is, KWD in
// thousandths ending in 0.
func TestFromMinor(t *testing.T) {
	tests := []struct {
		cur    string
		minor  int64
		want   int64
		errors bool
	}{
		{"UGX", 5, 500, false},
		{"ISK", 5, 500, false},
		{"JPY", 500, 500, false},
		{"EUR", 2500, 2500, false},
		{"KWD", 5120, 5120, false},
		{"KWD", 5124, 0, true},
		{"UGX", 1_000_000, 0, true}, // 100,000,000 at Stripe: above its maximum
	}
	for _, tc := range tests {
		got, err := fromMinor(tc.minor, tc.cur)
		if (err != nil) != tc.errors || got != tc.want {
			t.Errorf("fromMinor(%d, %s) = %d, %v; want %d (error %v)", tc.minor, tc.cur, got, err, tc.want, tc.errors)
		}
		if err == nil {
			if back, err := toMinor(got, tc.cur); err != nil || back != tc.minor {
				t.Errorf("toMinor(%d, %s) = %d, %v; want %d back", got, tc.cur, back, err, tc.minor)
			}
		}
	}
}
