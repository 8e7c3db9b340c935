package replicate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paydesk/paydesk/finance"
)

// DayFigures are the counts and sums verify compares for one business day.
type DayFigures struct {
	Operations int64 `json:"operations"`
	Postings   int64 `json:"postings"`
	Debits     int64 `json:"debits"`       // sum of the day's positive postings
	Registers  int64 `json:"register_net"` // net of the day's postings to registers
}

// Difference is the first place where the local file and the central
// database disagree.
type Difference struct {
	Date    finance.Date `json:"date,omitempty"`
	What    string       `json:"what"`
	Local   int64        `json:"local"`
	Central int64        `json:"central"`
}

func (d Difference) String() string {
	if d.Date != "" {
		return fmt.Sprintf("%s: %s differ: local %d, central %d", d.Date, d.What, d.Local, d.Central)
	}
	return fmt.Sprintf("%s differ: local %d, central %d", d.What, d.Local, d.Central)
}

// VerifyReport says whether what was shipped is what the file holds.
type VerifyReport struct {
	Location   string      `json:"location"`
	Through    Cursor      `json:"through"` // the central cursor: everything up to it is compared
	Local      Cursor      `json:"local"`
	Days       int         `json:"days"`
	Operations int64       `json:"operations"`
	Difference *Difference `json:"first_difference,omitempty"`
}

// verifyChunk is how many operations one read transaction sums: verify
// walks the whole file, in short reads, so the desk never waits on it.
const verifyChunk = 10000

// Verify compares, day by day, the counts and sums of everything the
// central database confirmed for location with the local file, and names
// the first difference. It also compares the audit entries' and clients' counts.
func Verify(ctx context.Context, st finance.Store, conn *pgx.Conn, location string) (VerifyReport, error) {
	rep := VerifyReport{Location: location}
	var owner string
	var op, audit, change int64
	err := conn.QueryRow(ctx, `SELECT file_id, op_id, audit_seq, change_seq FROM locations WHERE location = $1`, location).
		Scan(&owner, &op, &audit, &change)
	if errors.Is(err, pgx.ErrNoRows) {
		return rep, fmt.Errorf("%w: location %q has not shipped anything to the central database yet", finance.ErrNotFound, location)
	}
	if err != nil {
		return rep, centralErr(err)
	}
	lc, err := ReadLocalCursor(ctx, st)
	if err != nil {
		return rep, err
	}
	if lc.FileID != "" && lc.FileID != owner {
		return rep, fmt.Errorf("%w: location %q at the central database was shipped from another paydesk file", finance.ErrConflict, location)
	}
	rep.Through = Cursor{Operation: finance.OperationID(op), Audit: uint64(audit), Change: uint64(change)}

	local := map[finance.Date]*DayFigures{}
	var clients int
	err = st.View(ctx, func(tx finance.ReadTx) error {
		cl, ok := tx.(finance.ChangeLog)
		if !ok {
			return fmt.Errorf("%w: this store keeps no change log", finance.ErrInvalid)
		}
		var err error
		if rep.Local, err = cl.Heads(); err != nil {
			return err
		}
		clients, err = tx.ClientCount()
		return err
	})
	if err != nil {
		return rep, err
	}
	for after := finance.OperationID(0); after < rep.Through.Operation; {
		err := st.View(ctx, func(tx finance.ReadTx) error {
			ops, err := tx.(finance.ChangeLog).OperationsAfter(after, verifyChunk)
			if err != nil {
				return err
			}
			if len(ops) == 0 {
				after = rep.Through.Operation
				return nil
			}
			for _, o := range ops {
				if o.ID > rep.Through.Operation {
					after = rep.Through.Operation
					return nil
				}
				f := local[o.BusinessDate]
				if f == nil {
					f = &DayFigures{}
					local[o.BusinessDate] = f
				}
				f.Operations++
				for _, p := range o.Postings {
					f.Postings++
					if p.Amount > 0 {
						f.Debits += p.Amount
					}
					if _, ok := finance.RegisterOf(p.Account); ok {
						f.Registers += p.Amount
					}
				}
				after = o.ID
				rep.Operations++
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
	central, err := centralFigures(ctx, conn, location, rep.Through.Operation)
	if err != nil {
		return rep, err
	}
	rep.Difference = firstDifference(local, central)
	dates := map[finance.Date]bool{}
	for d := range local {
		dates[d] = true
	}
	for d := range central {
		dates[d] = true
	}
	rep.Days = len(dates)
	if rep.Difference != nil {
		return rep, nil
	}
	var n int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM audit WHERE location = $1 AND seq <= $2`, location, audit).Scan(&n); err != nil {
		return rep, centralErr(err)
	}
	if n != audit {
		rep.Difference = &Difference{What: "audit entries", Local: audit, Central: n}
		return rep, nil
	}
	if rep.Through.Change >= rep.Local.Change {
		// Every change shipped: the central clients are the local ones.
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM clients WHERE location = $1`, location).Scan(&n); err != nil {
			return rep, centralErr(err)
		}
		if n != int64(clients) {
			rep.Difference = &Difference{What: "clients", Local: int64(clients), Central: n}
		}
	}
	return rep, nil
}

func centralFigures(ctx context.Context, conn *pgx.Conn, location string, through finance.OperationID) (map[finance.Date]*DayFigures, error) {
	out := map[finance.Date]*DayFigures{}
	get := func(d time.Time) *DayFigures {
		k := finance.Date(d.Format(time.DateOnly))
		if out[k] == nil {
			out[k] = &DayFigures{}
		}
		return out[k]
	}
	rows, err := conn.Query(ctx, `SELECT business_date, count(*) FROM operations WHERE location = $1 AND id <= $2 GROUP BY 1`,
		location, int64(through))
	if err != nil {
		return nil, centralErr(err)
	}
	for rows.Next() {
		var d time.Time
		var n int64
		if err := rows.Scan(&d, &n); err != nil {
			return nil, centralErr(err)
		}
		get(d).Operations = n
	}
	if err := rows.Err(); err != nil {
		return nil, centralErr(err)
	}
	rows, err = conn.Query(ctx, `SELECT business_date, count(*),
			coalesce(sum(amount) FILTER (WHERE amount > 0), 0)::bigint,
			coalesce(sum(amount) FILTER (WHERE starts_with(account, $3)), 0)::bigint
		FROM postings WHERE location = $1 AND op_id <= $2 GROUP BY 1`, location, int64(through), registerPrefix())
	if err != nil {
		return nil, centralErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d time.Time
		var n, debits, regs int64
		if err := rows.Scan(&d, &n, &debits, &regs); err != nil {
			return nil, centralErr(err)
		}
		f := get(d)
		f.Postings, f.Debits, f.Registers = n, debits, regs
	}
	return out, centralErr(rows.Err())
}

func firstDifference(local, central map[finance.Date]*DayFigures) *Difference {
	dates := make([]finance.Date, 0, len(local)+len(central))
	for d := range local {
		dates = append(dates, d)
	}
	for d := range central {
		if local[d] == nil {
			dates = append(dates, d)
		}
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i] < dates[j] })
	for _, d := range dates {
		l, c := local[d], central[d]
		if l == nil {
			l = &DayFigures{}
		}
		if c == nil {
			c = &DayFigures{}
		}
		for _, f := range []struct {
			what string
			l, c int64
		}{
			{"operations", l.Operations, c.Operations},
			{"postings", l.Postings, c.Postings},
			{"sums of debits", l.Debits, c.Debits},
			{"register nets", l.Registers, c.Registers},
		} {
			if f.l != f.c {
				return &Difference{Date: d, What: f.what, Local: f.l, Central: f.c}
			}
		}
	}
	return nil
}
