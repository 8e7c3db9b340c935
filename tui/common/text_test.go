package common

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n         int
		one, many string
		want      string
	}{
		{0, "posting", "postings", "0 postings"},
		{1, "posting", "postings", "1 posting"},
		{2, "posting", "postings", "2 postings"},
		{1, "entry", "entries", "1 entry"},
		{11, "entry", "entries", "11 entries"},
	} {
		if got := Count(c.n, c.one, c.many); got != c.want {
			t.Errorf("Count(%d, %q, %q) = %q, want %q", c.n, c.one, c.many, got, c.want)
		}
	}
}
