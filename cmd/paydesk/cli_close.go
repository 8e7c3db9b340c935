package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/export"
)

// Closing the day from the CLI: close, verify, zreport.

func closeCommands() []command {
	return []command{
		{"close", "[--date YYYY-MM-DD] [--register R] [--counted A] [--count VALUE=N ...] [--reason TEXT] [--float A] [--key K] [--json]",
			"close a day: count the cash drawer (over/short posts with a reason), close the other registers on their totals, seal the day", cmdClose},
		{"verify", "[--json]", "recompute the chain of sealed days; exit 1 naming the first day that breaks", cmdVerify},
		{"zreport", "[--date YYYY-MM-DD] [--register R] [--json | --csv]",
			"a day's Z-report per register: opening, in and out by kind and staff, expected, counted, over/short, the close and seal", cmdZReport},
	}
}

// countFlag collects repeated --count VALUE=N (a note or coin and how many).
type countFlag []string

func (p *countFlag) String() string { return strings.Join(*p, ",") }
func (p *countFlag) Type() string   { return "value" }
func (p *countFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want VALUE=COUNT (such as 50=3), got %q", v)
	}
	*p = append(*p, v)
	return nil
}

func cmdClose(ctx context.Context, a *app, args []string) error {
	fs := newFlags("close")
	date := fs.String("date", "", "business day YYYY-MM-DD (default today)")
	reg := fs.String("register", "", "the register to close (default: every register still open)")
	counted := fs.String("counted", "", "the cash counted in the drawer")
	var counts countFlag
	fs.Var(&counts, "count", "a note or coin counted: VALUE=COUNT (repeat; e.g. --count 50=3 --count 0.20=7)")
	reason := fs.String("reason", "", "why the drawer is over or short")
	float := fs.String("float", "", "cash left in the drawer for tomorrow; the rest moves to the bank")
	key := keyFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	req := finance.CloseRequest{Key: keyOrNew(*key), Reason: *reason}
	if *date != "" {
		if req.Date, err = finance.ParseDate(*date); err != nil {
			return err
		}
	}
	if *reg != "" {
		if req.Register, err = register(st, *reg); err != nil {
			return err
		}
	}
	if *counted != "" {
		v, err := amount(st, "counted", *counted, true)
		if err != nil {
			return err
		}
		req.Counted = &v
	}
	for _, c := range counts {
		value, n, _ := strings.Cut(c, "=")
		v, err := amount(st, "count", value, false)
		if err != nil {
			return err
		}
		k, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		if err != nil || k < 0 {
			return fmt.Errorf("%w: --count %s: the count must be a whole number, 0 or more", finance.ErrInvalid, c)
		}
		req.Counts = append(req.Counts, finance.DenomCount{Value: v, Count: k})
	}
	if *float != "" {
		v, err := amount(st, "float", *float, true)
		if err != nil {
			return err
		}
		req.Float = &v
	}
	res, err := svc.CloseDay(ctx, a.actor, req)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	out := v.closeResult(res)
	if *asJSON {
		return writeJSON(a.stdout, out)
	}
	if res.Replayed {
		fmt.Fprintln(a.stdout, "already done with this key; the first result:")
	}
	fmt.Fprintf(a.stdout, "%s · %s closed\n", st.Location, res.Date)
	t := newTable(a.stdout, "REGISTER", "EXPECTED", "COUNTED", "OVER/SHORT", "TO BANK", "FLOAT")
	for _, c := range out.Closes {
		counted, diff, bank, fl := "on its totals", "", "", ""
		if c.Kind == finance.RegisterCash {
			counted, diff = c.CountedText, signed(v, c.OverShort)
			if c.ToBank > 0 {
				bank, fl = c.ToBankText, c.FloatText
			}
		}
		t.row(c.Name, c.ExpectedText, counted, diff, bank, fl)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if res.Seal != nil {
		fmt.Fprintf(a.stdout, "sealed %s: %s\n", res.Date, res.Seal.Seal)
	} else {
		fmt.Fprintf(a.stdout, "%s is sealed once every register is closed\n", res.Date)
	}
	return nil
}

type denomJSON struct {
	Value     int64  `json:"value"`
	ValueText string `json:"value_text"`
	Count     int64  `json:"count"`
}

type closeJSON struct {
	Date          finance.Date          `json:"date"`
	Register      string                `json:"register"`
	Name          string                `json:"name"`
	Kind          finance.RegisterKind  `json:"kind"`
	Expected      int64                 `json:"expected"`
	ExpectedText  string                `json:"expected_text"`
	Counted       int64                 `json:"counted"`
	CountedText   string                `json:"counted_text"`
	Counts        []denomJSON           `json:"counts"`
	OverShort     int64                 `json:"over_short"`
	OverShortText string                `json:"over_short_text"`
	Reason        string                `json:"reason"`
	Float         int64                 `json:"float"`
	FloatText     string                `json:"float_text"`
	ToBank        int64                 `json:"to_bank"`
	ToBankText    string                `json:"to_bank_text"`
	Operations    []finance.OperationID `json:"operations"`
	Staff         string                `json:"closed_by"`
	Time          time.Time             `json:"closed_at"`
}

type closeResultJSON struct {
	Date     finance.Date `json:"date"`
	Closes   []closeJSON  `json:"closes"`
	Sealed   bool         `json:"sealed"`
	Seal     string       `json:"seal,omitempty"`
	Replayed bool         `json:"replayed"`
}

func (v view) regName(id string) string {
	for _, r := range v.st.Registers {
		if r.ID == id {
			return r.Name
		}
	}
	return id
}

func (v view) dayClose(c finance.DayClose) closeJSON {
	out := closeJSON{Date: c.Date, Register: c.Register, Name: v.regName(c.Register), Kind: c.Kind,
		Expected: c.Expected, ExpectedText: v.f.Format(c.Expected), Counted: c.Counted, CountedText: v.f.Format(c.Counted),
		Counts: []denomJSON{}, OverShort: c.OverShort, OverShortText: v.f.Format(c.OverShort), Reason: c.Reason,
		Float: c.Float, FloatText: v.f.Format(c.Float), ToBank: c.ToBank, ToBankText: v.f.Format(c.ToBank),
		Operations: append([]finance.OperationID{}, c.Operations...), Staff: c.Staff, Time: c.Time.In(v.loc)}
	for _, n := range c.Counts {
		out.Counts = append(out.Counts, denomJSON{n.Value, v.f.Format(n.Value), n.Count})
	}
	return out
}

func (v view) closeResult(r finance.CloseResult) closeResultJSON {
	out := closeResultJSON{Date: r.Date, Closes: []closeJSON{}, Replayed: r.Replayed}
	for _, c := range r.Closes {
		out.Closes = append(out.Closes, v.dayClose(c))
	}
	if r.Seal != nil {
		out.Sealed, out.Seal = true, r.Seal.Seal
	}
	return out
}

func cmdVerify(ctx context.Context, a *app, args []string) error {
	fs := newFlags("verify")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	svc, _, err := a.books(ctx)
	if err != nil {
		return err
	}
	rep, err := svc.Verify(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "verified %d sealed days (%d operations)\n", rep.Days, rep.Operations)
		if rep.Last != "" {
			fmt.Fprintf(a.stdout, "the chain holds through %s, seal %s\n", rep.Last, rep.LastSeal)
		}
	}
	if !rep.OK() {
		if !*asJSON {
			fmt.Fprintf(a.stdout, "BROKEN: sealed day %s: %s\n", rep.Broken, rep.Why)
		}
		return fmt.Errorf("the seal chain breaks at %s: %s", rep.Broken, rep.Why)
	}
	return nil
}

type zLineJSON struct {
	Name    string `json:"name"`
	In      int64  `json:"in"`
	InText  string `json:"in_text"`
	Out     int64  `json:"out"`
	OutText string `json:"out_text"`
	Count   int    `json:"count"`
}

type zReportJSON struct {
	Date         finance.Date         `json:"date"`
	Register     string               `json:"register"`
	Name         string               `json:"name"`
	Kind         finance.RegisterKind `json:"kind"`
	Opening      int64                `json:"opening"`
	OpeningText  string               `json:"opening_text"`
	In           int64                `json:"in"`
	InText       string               `json:"in_text"`
	Out          int64                `json:"out"`
	OutText      string               `json:"out_text"`
	Closing      int64                `json:"closing"`
	ClosingText  string               `json:"closing_text"`
	Count        int                  `json:"count"`
	ByKind       []zLineJSON          `json:"by_kind"`
	ByStaff      []zLineJSON          `json:"by_staff"`
	Expected     int64                `json:"expected"`
	ExpectedText string               `json:"expected_text"`
	Closed       bool                 `json:"closed"`
	Close        *closeJSON           `json:"close"`
	Sealed       bool                 `json:"sealed"`
	Seal         string               `json:"seal,omitempty"`
}

type zReportsJSON struct {
	Date      finance.Date  `json:"date"`
	Currency  string        `json:"currency"`
	Registers []zReportJSON `json:"registers"`
}

func (v view) zLines(ls []finance.ZLine) []zLineJSON {
	out := []zLineJSON{}
	for _, l := range ls {
		out = append(out, zLineJSON{l.Name, l.In, v.f.Format(l.In), l.Out, v.f.Format(l.Out), l.Count})
	}
	return out
}

func (v view) zReport(z finance.ZReport) zReportJSON {
	out := zReportJSON{Date: z.Date, Register: z.Register.ID, Name: z.Register.Name, Kind: z.Register.Kind,
		Opening: z.Opening, OpeningText: v.f.Format(z.Opening), In: z.In, InText: v.f.Format(z.In),
		Out: z.Out, OutText: v.f.Format(z.Out), Closing: z.Closing, ClosingText: v.f.Format(z.Closing),
		Count: z.Count, ByKind: v.zLines(z.ByKind), ByStaff: v.zLines(z.ByStaff),
		Expected: z.Expected, ExpectedText: v.f.Format(z.Expected)}
	if z.Close != nil {
		c := v.dayClose(*z.Close)
		out.Closed, out.Close = true, &c
	}
	if z.Seal != nil {
		out.Sealed, out.Seal = true, z.Seal.Seal
	}
	return out
}

func cmdZReport(ctx context.Context, a *app, args []string) error {
	fs := newFlags("zreport")
	date := fs.String("date", "", "business day YYYY-MM-DD (default today)")
	reg := fs.String("register", "", "one register (default: every register)")
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *asJSON && *asCSV {
		return usagef(fs, "use --json or --csv, not both")
	}
	svc, st, err := a.books(ctx)
	if err != nil {
		return err
	}
	var d finance.Date
	if *date != "" {
		if d, err = finance.ParseDate(*date); err != nil {
			return err
		}
	} else if d, err = svc.Today(ctx); err != nil {
		return err
	}
	regID := ""
	if *reg != "" {
		if regID, err = register(st, *reg); err != nil {
			return err
		}
	}
	zs, err := svc.ZReport(ctx, a.actor, d, regID)
	if err != nil {
		return err
	}
	v, err := newView(st)
	if err != nil {
		return err
	}
	out := zReportsJSON{Date: d, Currency: st.Currency, Registers: []zReportJSON{}}
	for _, z := range zs {
		out.Registers = append(out.Registers, v.zReport(z))
	}
	switch {
	case *asJSON:
		return writeJSON(a.stdout, out)
	case *asCSV:
		return zReportCSV(a.stdout, v, out)
	}
	return zReportText(a.stdout, st, out)
}

func zReportText(w io.Writer, st finance.Settings, out zReportsJSON) error {
	for i, z := range out.Registers {
		if i > 0 {
			fmt.Fprintln(w)
		}
		state := "OPEN"
		if z.Closed {
			state = "closed by " + z.Close.Staff + " at " + z.Close.Time.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(w, "Z-report · %s · %s · %s · %s\n", st.Location, z.Name, z.Date, state)
		t := newTable(w, "OPENING", "IN", "OUT", "CLOSING", "POSTINGS")
		t.row(z.OpeningText, z.InText, z.OutText, z.ClosingText, strconv.Itoa(z.Count))
		if err := t.flush(); err != nil {
			return err
		}
		for _, part := range []struct {
			head  string
			lines []zLineJSON
		}{{"KIND", z.ByKind}, {"STAFF", z.ByStaff}} {
			if len(part.lines) == 0 {
				continue
			}
			t := newTable(w, part.head, "IN", "OUT", "COUNT")
			for _, l := range part.lines {
				t.row(short(l.Name, 30), l.InText, l.OutText, strconv.Itoa(l.Count))
			}
			if err := t.flush(); err != nil {
				return err
			}
		}
		if z.Close == nil {
			fmt.Fprintf(w, "expected %s (not closed yet)\n", z.ExpectedText)
			continue
		}
		c := z.Close
		if c.Kind == finance.RegisterCash {
			fmt.Fprintf(w, "expected %s, counted %s, over/short %s", c.ExpectedText, c.CountedText, c.OverShortText)
			if c.Reason != "" {
				fmt.Fprintf(w, " (%s)", short(c.Reason, 60))
			}
			fmt.Fprintln(w)
			if c.ToBank > 0 {
				fmt.Fprintf(w, "to bank %s, float left %s\n", c.ToBankText, c.FloatText)
			}
		} else {
			fmt.Fprintf(w, "closed on its totals: %s\n", c.ExpectedText)
		}
		if z.Sealed {
			fmt.Fprintf(w, "seal %s\n", z.Seal)
		} else {
			fmt.Fprintln(w, "the day is sealed once every register is closed")
		}
	}
	return nil
}

// zReportCSV writes one row per figure: date, register, section (total,
// kind, staff, close), item, in, out, count, amount, text. Amounts are
// plain decimals in the location's currency.
func zReportCSV(w io.Writer, v view, out zReportsJSON) error {
	cw := csv.NewWriter(w)
	plain := func(n int64) string { return v.f.Plain(n) }
	_ = cw.Write([]string{"date", "register", "section", "item", "in", "out", "count", "amount", "text"})
	for _, z := range out.Registers {
		row := func(section, item, in, outs, count, amount, text string) {
			_ = cw.Write([]string{string(z.Date), z.Register, section, export.Cell(item), in, outs, count, amount, export.Cell(text)})
		}
		for _, f := range []struct {
			item string
			n    int64
		}{{"opening", z.Opening}, {"in", z.In}, {"out", z.Out}, {"closing", z.Closing}, {"expected", z.Expected}} {
			row("total", f.item, "", "", "", plain(f.n), "")
		}
		row("total", "postings", "", "", strconv.Itoa(z.Count), "", "")
		for _, l := range z.ByKind {
			row("kind", l.Name, plain(l.In), plain(l.Out), strconv.Itoa(l.Count), "", "")
		}
		for _, l := range z.ByStaff {
			row("staff", l.Name, plain(l.In), plain(l.Out), strconv.Itoa(l.Count), "", "")
		}
		if c := z.Close; c != nil {
			row("close", "counted", "", "", "", plain(c.Counted), "")
			row("close", "over_short", "", "", "", plain(c.OverShort), "")
			row("close", "to_bank", "", "", "", plain(c.ToBank), "")
			row("close", "float", "", "", "", plain(c.Float), "")
			row("close", "reason", "", "", "", "", c.Reason)
			row("close", "closed_by", "", "", "", "", c.Staff)
			row("close", "closed_at", "", "", "", "", c.Time.Format(time.RFC3339))
		}
		if z.Sealed {
			row("close", "seal", "", "", "", "", z.Seal)
		}
	}
	cw.Flush()
	return cw.Error()
}
