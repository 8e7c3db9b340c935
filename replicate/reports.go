package replicate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/paydesk/paydesk/finance"
)

// Location is one location as the central database knows it.
type Location struct {
	ID        string             `json:"location"`
	Name      string             `json:"name"`
	Currency  string             `json:"currency"`
	Locale    string             `json:"locale"`
	TimeZone  string             `json:"time_zone"`
	ShippedAt time.Time          `json:"shipped_at,omitzero"`
	Cursor    Cursor             `json:"cursor"`
	Registers []finance.Register `json:"registers"`
}

// Locations lists every location that has shipped, by id, with its registers.
func Locations(ctx context.Context, conn *pgx.Conn) ([]Location, error) {
	rows, err := conn.Query(ctx, `SELECT location, name, currency, locale, time_zone, shipped_at, op_id, audit_seq, change_seq
		FROM locations ORDER BY location`)
	if err != nil {
		return nil, centralErr(err)
	}
	var out []Location
	for rows.Next() {
		var l Location
		var at *time.Time
		var op, audit, change int64
		if err := rows.Scan(&l.ID, &l.Name, &l.Currency, &l.Locale, &l.TimeZone, &at, &op, &audit, &change); err != nil {
			return nil, centralErr(err)
		}
		if at != nil {
			l.ShippedAt = *at
		}
		l.Cursor = Cursor{Operation: finance.OperationID(op), Audit: uint64(audit), Change: uint64(change)}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, centralErr(err)
	}
	idx := map[string]int{}
	for i, l := range out {
		idx[l.ID] = i
	}
	rows, err = conn.Query(ctx, `SELECT location, id, name, kind, start_balance FROM registers ORDER BY location, position`)
	if err != nil {
		return nil, centralErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var loc string
		var r finance.Register
		if err := rows.Scan(&loc, &r.ID, &r.Name, &r.Kind, &r.StartBalance); err != nil {
			return nil, centralErr(err)
		}
		if i, ok := idx[loc]; ok {
			out[i].Registers = append(out[i].Registers, r)
		}
	}
	return out, centralErr(rows.Err())
}

func centralErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrCentral, err)
}

// LocationTotals is one location's registers over a range of days.
type LocationTotals struct {
	Location
	// Days holds, per register id in Registers' order, one DayTotals per day
	// from..to: exactly what the location's own `paydesk totals` says.
	Days map[string][]finance.DayTotals `json:"days"`
}

// Totals reads every location's register totals for from..to. A register's
// opening is its start balance plus every earlier posting to it; in, out and
// the split by kind come from the day's postings, as the location's own
// aggregates do.
func Totals(ctx context.Context, conn *pgx.Conn, from, to finance.Date) ([]LocationTotals, error) {
	f, err := finance.ParseDate(string(from))
	if err != nil {
		return nil, err
	}
	t, err := finance.ParseDate(string(to))
	if err != nil {
		return nil, err
	}
	if t < f {
		return nil, fmt.Errorf("%w: the range ends (%s) before it starts (%s)", finance.ErrInvalid, t, f)
	}
	if f.AddDays(366) < t {
		return nil, fmt.Errorf("%w: a range is at most 366 days", finance.ErrInvalid)
	}
	locs, err := Locations(ctx, conn)
	if err != nil {
		return nil, err
	}
	out := make([]LocationTotals, 0, len(locs))
	for _, l := range locs {
		lt, err := locationTotals(ctx, conn, l, f, t)
		if err != nil {
			return nil, err
		}
		out = append(out, lt)
	}
	return out, nil
}

type regDay struct {
	in, out, count int64
	kinds          map[finance.OpKind]int64
}

func locationTotals(ctx context.Context, conn *pgx.Conn, l Location, from, to finance.Date) (LocationTotals, error) {
	lt := LocationTotals{Location: l, Days: map[string][]finance.DayTotals{}}
	opening := map[string]int64{}
	for _, r := range l.Registers {
		var sum int64
		if err := conn.QueryRow(ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM postings
			WHERE location = $1 AND account = $2 AND business_date < $3`, l.ID, string(finance.RegisterAccount(r.ID)), day(from)).Scan(&sum); err != nil {
			return lt, centralErr(err)
		}
		opening[r.ID] = sum
	}
	days := map[string]map[finance.Date]*regDay{}
	get := func(reg string, d finance.Date) *regDay {
		if days[reg] == nil {
			days[reg] = map[finance.Date]*regDay{}
		}
		rd := days[reg][d]
		if rd == nil {
			rd = &regDay{kinds: map[finance.OpKind]int64{}}
			days[reg][d] = rd
		}
		return rd
	}
	rows, err := conn.Query(ctx, `SELECT register, business_date, money_in, money_out, postings FROM register_days
		WHERE location = $1 AND business_date BETWEEN $2 AND $3`, l.ID, day(from), day(to))
	if err != nil {
		return lt, centralErr(err)
	}
	for rows.Next() {
		var reg string
		var d time.Time
		var in, outAmt, n int64
		if err := rows.Scan(&reg, &d, &in, &outAmt, &n); err != nil {
			return lt, centralErr(err)
		}
		rd := get(reg, finance.Date(d.Format(time.DateOnly)))
		rd.in, rd.out, rd.count = in, outAmt, n
	}
	if err := rows.Err(); err != nil {
		return lt, centralErr(err)
	}
	rows, err = conn.Query(ctx, `SELECT register, business_date, kind, net FROM register_day_kinds
		WHERE location = $1 AND business_date BETWEEN $2 AND $3`, l.ID, day(from), day(to))
	if err != nil {
		return lt, centralErr(err)
	}
	for rows.Next() {
		var reg, kind string
		var d time.Time
		var net int64
		if err := rows.Scan(&reg, &d, &kind, &net); err != nil {
			return lt, centralErr(err)
		}
		get(reg, finance.Date(d.Format(time.DateOnly))).kinds[finance.OpKind(kind)] = net
	}
	if err := rows.Err(); err != nil {
		return lt, centralErr(err)
	}
	for _, r := range l.Registers {
		running := r.StartBalance + opening[r.ID]
		var list []finance.DayTotals
		for d := from; d <= to; d = d.AddDays(1) {
			dt := finance.DayTotals{Register: r.ID, Date: d, Opening: running, ByKind: map[finance.OpKind]int64{}}
			if rd := days[r.ID][d]; rd != nil {
				dt.In, dt.Out, dt.Count, dt.ByKind = rd.in, rd.out, int(rd.count), rd.kinds
			}
			running += dt.In - dt.Out
			dt.Closing = running
			list = append(list, dt)
		}
		lt.Days[r.ID] = list
	}
	return lt, nil
}

// ClientAt is one location's record of a client.
type ClientAt struct {
	Location string           `json:"location"`
	ClientID finance.ClientID `json:"client_id"`
	Name     string           `json:"name"`
	Email    string           `json:"email,omitempty"`
	Balance  int64            `json:"balance"` // what the location owes the client
}

// ChainClient is a person as the chain knows them: one phone number, and
// each location that has them with its balance.
type ChainClient struct {
	Phone string     `json:"phone"`
	At    []ClientAt `json:"locations"`
}

// Clients finds clients by name words or 3+ phone digits across every
// location; people at several locations are matched by phone number.
func Clients(ctx context.Context, conn *pgx.Conn, q string, limit int) ([]ChainClient, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, fmt.Errorf("%w: give a name or 3+ digits of a phone number to search for", finance.ErrInvalid)
	}
	if limit <= 0 {
		limit = 50
	}
	var digits strings.Builder
	for _, r := range q {
		if unicode.IsDigit(r) {
			digits.WriteRune(r)
		}
	}
	var where string
	args := []any{}
	if digits.Len() >= 3 {
		args = append(args, "%"+digits.String()+"%")
		where = "regexp_replace(phone, '[^0-9]', '', 'g') LIKE $1"
	} else {
		args = append(args, "%"+likeEscape(q)+"%")
		where = "name ILIKE $1"
	}
	// The phones first, so a limit counts people, not rows.
	args = append(args, limit)
	rows, err := conn.Query(ctx, `SELECT b.location, b.id, b.name, b.email, b.phone, b.balance FROM client_balances b
		WHERE b.phone IN (SELECT DISTINCT phone FROM clients WHERE `+where+` AND phone <> '' ORDER BY phone LIMIT $2)
		ORDER BY b.phone, b.location, b.id`, args...)
	if err != nil {
		return nil, centralErr(err)
	}
	defer rows.Close()
	var out []ChainClient
	for rows.Next() {
		var c ClientAt
		var phone string
		var id int64
		if err := rows.Scan(&c.Location, &id, &c.Name, &c.Email, &phone, &c.Balance); err != nil {
			return nil, centralErr(err)
		}
		c.ClientID = finance.ClientID(id)
		if n := len(out); n == 0 || out[n-1].Phone != phone {
			out = append(out, ChainClient{Phone: phone})
		}
		out[len(out)-1].At = append(out[len(out)-1].At, c)
	}
	return out, centralErr(rows.Err())
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// RefundDue is a canceled booking with money left to refund, at a location.
type RefundDue struct {
	Location    string           `json:"location"`
	BookingID   string           `json:"booking_id"`
	ClientID    finance.ClientID `json:"client_id,omitempty"`
	ClientName  string           `json:"client_name,omitempty"`
	ClientPhone string           `json:"client_phone,omitempty"`
	Service     string           `json:"service,omitempty"`
	StartsAt    time.Time        `json:"starts_at,omitzero"`
	Paid        int64            `json:"paid"`
	Refunded    int64            `json:"refunded"`
	Due         int64            `json:"due"`
}

// RefundsDue lists every location's canceled bookings with money left.
func RefundsDue(ctx context.Context, conn *pgx.Conn) ([]RefundDue, error) {
	rows, err := conn.Query(ctx, `SELECT location, booking_id, client_id, client_name, client_phone, service, starts_at,
		paid, refunded, due FROM refunds_due ORDER BY location, starts_at, booking_id`)
	if err != nil {
		return nil, centralErr(err)
	}
	defer rows.Close()
	var out []RefundDue
	for rows.Next() {
		var r RefundDue
		var id int64
		var at *time.Time
		if err := rows.Scan(&r.Location, &r.BookingID, &id, &r.ClientName, &r.ClientPhone, &r.Service, &at,
			&r.Paid, &r.Refunded, &r.Due); err != nil {
			return nil, centralErr(err)
		}
		r.ClientID = finance.ClientID(id)
		if at != nil {
			r.StartsAt = *at
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	return out, centralErr(rows.Err())
}
