package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// JSON output: stable snake_case names; every amount as minor units plus
// the same amount formatted for the location (amount, amount_text).

type postingJSON struct {
	Account    string `json:"account"`
	Amount     int64  `json:"amount"`
	AmountText string `json:"amount_text"`
}

type lineJSON struct {
	Description   string `json:"description"`
	UnitPrice     int64  `json:"unit_price"`
	UnitPriceText string `json:"unit_price_text"`
	Quantity      int64  `json:"quantity"`
}

type opJSON struct {
	ID           finance.OperationID `json:"id"`
	Key          string              `json:"key"`
	Kind         finance.OpKind      `json:"kind"`
	BusinessDate finance.Date        `json:"business_date"`
	Time         time.Time           `json:"time"`
	Staff        string              `json:"staff"`
	ClientID     finance.ClientID    `json:"client_id"`
	BookingID    string              `json:"booking_id"`
	Comment      string              `json:"comment"`
	Amount       int64               `json:"amount"` // the money moved: the sum of the debits
	AmountText   string              `json:"amount_text"`
	Lines        []lineJSON          `json:"lines"`
	Postings     []postingJSON       `json:"postings"`
	Reverses     finance.OperationID `json:"reverses"`
	ReversedBy   finance.OperationID `json:"reversed_by"`
	ProviderRef  string              `json:"provider_ref"`
	BelongsTo    finance.Date        `json:"belongs_to,omitempty"` // the closed day it belongs to, when dated later
}

type clientJSON struct {
	ID              finance.ClientID `json:"id"`
	Name            string           `json:"name"`
	Phone           string           `json:"phone"`
	Email           string           `json:"email"`
	Note            string           `json:"note"`
	Created         time.Time        `json:"created"`
	Balance         int64            `json:"balance"` // what the business owes the client
	BalanceText     string           `json:"balance_text"`
	CreditLimit     int64            `json:"credit_limit"`
	CreditLimitText string           `json:"credit_limit_text"`
}

type clientViewJSON struct {
	clientJSON
	Available     int64    `json:"available"`
	AvailableText string   `json:"available_text"`
	History       []opJSON `json:"history"`
	More          bool     `json:"more"`
}

type moneyJSON struct {
	Amount     int64  `json:"amount"`
	AmountText string `json:"amount_text"`
}

type registerTotalsJSON struct {
	Register    string               `json:"register"`
	Name        string               `json:"name"`
	Kind        finance.RegisterKind `json:"kind"`
	Date        finance.Date         `json:"date"`
	Opening     int64                `json:"opening"`
	OpeningText string               `json:"opening_text"`
	In          int64                `json:"in"`
	InText      string               `json:"in_text"`
	Out         int64                `json:"out"`
	OutText     string               `json:"out_text"`
	Closing     int64                `json:"closing"`
	ClosingText string               `json:"closing_text"`
	Count       int                  `json:"count"`
	ByKind      map[string]moneyJSON `json:"by_kind"`
}

type dayTotalsJSON struct {
	Date      finance.Date         `json:"date"`
	Currency  string               `json:"currency"`
	Registers []registerTotalsJSON `json:"registers"`
}

type rangeTotalsJSON struct {
	From     finance.Date    `json:"from"`
	To       finance.Date    `json:"to"`
	Currency string          `json:"currency"`
	Days     []dayTotalsJSON `json:"days"`
}

// view turns domain values into output, formatting amounts for the location.
type view struct {
	f   *finance.Formatter
	st  finance.Settings
	loc *time.Location // the location's time zone: times are shown as the desk sees them
}

func newView(st finance.Settings) (view, error) {
	f, err := finance.NewFormatter(st.Currency, st.Locale)
	if err != nil {
		return view{}, err
	}
	loc, err := time.LoadLocation(st.TimeZone)
	if err != nil {
		loc = time.Local
	}
	return view{f: f, st: st, loc: loc}, nil
}

func (v view) op(o finance.Operation) opJSON {
	out := opJSON{ID: o.ID, Key: finance.TypedKey(o.Key), Kind: o.Kind, BusinessDate: o.BusinessDate, Time: o.Time, Staff: o.Staff,
		ClientID: o.ClientID, BookingID: o.BookingID, Comment: o.Comment, Reverses: o.Reverses,
		ReversedBy: o.ReversedBy, ProviderRef: o.ProviderRef, BelongsTo: o.BelongsTo, Lines: []lineJSON{}, Postings: []postingJSON{}}
	for _, p := range o.Postings {
		out.Postings = append(out.Postings, postingJSON{string(p.Account), p.Amount, v.f.Format(p.Amount)})
		if p.Amount > 0 {
			out.Amount += p.Amount
		}
	}
	out.AmountText = v.f.Format(out.Amount)
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, lineJSON{l.Description, l.UnitPrice, v.f.Format(l.UnitPrice), l.Quantity})
	}
	return out
}

func (v view) client(c finance.Client, balance int64) clientJSON {
	return clientJSON{ID: c.ID, Name: c.Name, Phone: c.Phone, Email: c.Email, Note: c.Note, Created: c.Created,
		Balance: balance, BalanceText: v.f.Format(balance),
		CreditLimit: c.CreditLimit, CreditLimitText: v.f.Format(c.CreditLimit)}
}

func (v view) totals(t finance.DayTotals) registerTotalsJSON {
	out := registerTotalsJSON{Register: t.Register, Name: t.Register, Date: t.Date,
		Opening: t.Opening, OpeningText: v.f.Format(t.Opening), In: t.In, InText: v.f.Format(t.In),
		Out: t.Out, OutText: v.f.Format(t.Out), Closing: t.Closing, ClosingText: v.f.Format(t.Closing),
		Count: t.Count, ByKind: map[string]moneyJSON{}}
	for _, r := range v.st.Registers {
		if r.ID == t.Register {
			out.Name, out.Kind = r.Name, r.Kind
		}
	}
	for k, n := range t.ByKind {
		out.ByKind[string(k)] = moneyJSON{n, v.f.Format(n)}
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns; numbers are right-aligned by padding.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")) }

func (t *table) flush() error { return t.tw.Flush() }

// short keeps a free-text cell to one readable line.
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
