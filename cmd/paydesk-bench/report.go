package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

// Row is one measurement as printed and as --json emits it. Pointers are
// null in JSON where a field does not apply (a figure with one value has no
// spread; a read path has no raw limit to compare with).
type Row struct {
	Name         string   `json:"name"`
	Unit         string   `json:"unit"`
	P50          *float64 `json:"p50"`
	P99          *float64 `json:"p99"`
	Max          *float64 `json:"max"`
	Budget       *string  `json:"budget"`
	WithinBudget *bool    `json:"within_budget"`
	RatioToRaw   *float64 `json:"ratio_to_raw"`

	// Samples is how many values the figures summarise (human output only).
	Samples int `json:"-"`
}

func ptr[T any](v T) *T { return &v }

// budget is a limit a figure must stay under (or, with atLeast, above).
type budget struct {
	text    string
	limit   float64
	atLeast bool
}

func under(limit float64, text string) *budget { return &budget{text: text, limit: limit} }

// check applies the budget to the figure it is about.
func (b *budget) apply(r *Row, figure float64) {
	if b == nil {
		return
	}
	r.Budget = ptr(b.text)
	ok := figure < b.limit
	if b.atLeast {
		ok = figure >= b.limit
	}
	r.WithinBudget = ptr(ok)
}

// durations summarises latency samples in milliseconds; the budget is
// judged on p99.
func durations(name string, samples []time.Duration, b *budget) Row {
	ms := make([]float64, len(samples))
	for i, d := range samples {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	r := spread(name, "ms", ms)
	if len(ms) > 0 {
		b.apply(&r, *r.P99)
	}
	return r
}

// spread is p50/p99/max of values (nearest-rank percentiles).
func spread(name, unit string, vals []float64) Row {
	r := Row{Name: name, Unit: unit, Samples: len(vals)}
	if len(vals) == 0 {
		return r
	}
	s := slices.Clone(vals)
	slices.Sort(s)
	r.P50 = ptr(percentile(s, 50))
	r.P99 = ptr(percentile(s, 99))
	r.Max = ptr(s[len(s)-1])
	return r
}

func percentile(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// single is a figure measured once (a rate over a whole run, a size): it is
// reported as p50 with no spread.
func single(name, unit string, v float64, b *budget) Row {
	r := Row{Name: name, Unit: unit, P50: ptr(v), Samples: 1}
	b.apply(&r, v)
	return r
}

// withRaw sets the ratio of a write path's rate to the machine's raw limit.
func withRaw(r Row, raw float64) Row {
	if r.P50 != nil && raw > 0 {
		r.RatioToRaw = ptr(*r.P50 / raw)
	}
	return r
}

func writeJSON(w io.Writer, rows []Row) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

func writeTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "what\tunit\tp50\tp99\tmax\tn\tbudget\tok\tvs raw\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t\n", r.Name, r.Unit, num(r.P50), num(r.P99), num(r.Max),
			r.Samples, deref(r.Budget), okText(r.WithinBudget), ratio(r.RatioToRaw))
	}
	return tw.Flush()
}

func num(v *float64) string {
	switch {
	case v == nil:
		return "-"
	case *v >= 100000:
		return fmt.Sprintf("%.0f", *v)
	case *v >= 100:
		return fmt.Sprintf("%.1f", *v)
	case *v >= 1:
		return fmt.Sprintf("%.2f", *v)
	}
	return fmt.Sprintf("%.3f", *v)
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func okText(b *bool) string {
	switch {
	case b == nil:
		return "-"
	case *b:
		return "yes"
	}
	return "NO"
}

func ratio(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2fx", *v)
}
