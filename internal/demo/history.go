package demo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// event is something that happens at the desk at a moment of a day.
type event struct {
	at time.Time
	do func(ctx context.Context) error
}

// addHistory writes the month day by day, events in time order, each
// through the service on the fake clock.
func addHistory(ctx context.Context, e *Env) error {
	cash := e.registerOfKind(finance.RegisterCash)
	card := e.registerOfKind(finance.RegisterCard)
	bank := e.registerOfKind(finance.RegisterBank)
	desk := []string{}
	for _, r := range []string{cash, card} {
		if r != "" {
			desk = append(desk, r)
		}
	}
	if len(desk) == 0 {
		return fmt.Errorf("%w: the demo needs a cash or card register", finance.ErrInvalid)
	}
	// A few days get a mistaken top-up that is reversed, and two clients
	// take their money back.
	mistakeDays := map[int]bool{}
	for len(mistakeDays) < min(3, len(e.Days)) {
		mistakeDays[e.Rand.IntN(len(e.Days))] = true
	}
	cashOutDays := map[int]bool{}
	for len(cashOutDays) < min(2, len(e.Days)) {
		// Later in the month, when deposits have built up.
		cashOutDays[len(e.Days)/3+e.Rand.IntN(len(e.Days)-len(e.Days)/3)] = true
	}

	for i, day := range e.Days {
		var evs []event
		add := func(at time.Time, do func(ctx context.Context) error) { evs = append(evs, event{at, do}) }
		minute := func(fromHour, toHour int) time.Time {
			return e.At(day, fromHour, e.Rand.IntN((toHour-fromHour)*60))
		}
		reg := func() string { return desk[e.Rand.IntN(len(desk))] }

		if i == 0 && cash != "" {
			add(e.At(day, 8, 55), func(ctx context.Context) error {
				return e.post(ctx, func(key string) (finance.Operation, error) {
					return e.Service.MoveCash(ctx, e.Actor, finance.CashMoveRequest{Key: key, Register: cash,
						Amount: e.Price(200), In: true, Reason: "Opening float"})
				})
			})
		}
		for range 1 + e.Rand.IntN(3) {
			at := minute(9, 19)
			add(at, func(ctx context.Context) error { return e.topUp(ctx, at, reg(), roundAmount(e)) })
		}
		for range 3 + e.Rand.IntN(5) {
			at := minute(9, 20)
			add(at, func(ctx context.Context) error { return e.checkout(ctx, at, desk) })
		}
		if mistakeDays[i] {
			at := minute(10, 17)
			add(at, func(ctx context.Context) error { return e.mistake(ctx, at, reg()) })
		}
		if cashOutDays[i] && cash != "" {
			add(minute(11, 18), func(ctx context.Context) error { return e.cashOut(ctx, cash) })
		}
		if cash != "" && e.Rand.IntN(5) == 0 {
			reasons := []struct {
				what  string
				price int64
			}{{"Coffee and milk", 12}, {"Cleaning supplies", 30}, {"Flowers for the desk", 15}, {"Towel laundry", 25}}
			r := reasons[e.Rand.IntN(len(reasons))]
			add(minute(12, 18), func(ctx context.Context) error {
				return e.post(ctx, func(key string) (finance.Operation, error) {
					return e.Service.MoveCash(ctx, e.Actor, finance.CashMoveRequest{Key: key, Register: cash,
						Amount: e.Price(r.price), Reason: r.what})
				})
			})
		}
		if bank != "" && cash != "" && day.Time(e.Loc).Weekday() == time.Friday {
			add(e.At(day, 20, 30), func(ctx context.Context) error { return e.bankCash(ctx, cash, bank) })
		}

		sort.SliceStable(evs, func(a, b int) bool { return evs[a].at.Before(evs[b].at) })
		for _, ev := range evs {
			if ev.at.After(e.Now) {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			e.Clock.Set(ev.at)
			if err := ev.do(ctx); err != nil {
				return fmt.Errorf("%s %s: %w", day, ev.at.In(e.Loc).Format("15:04"), err)
			}
		}
	}
	return nil
}

func (e *Env) post(ctx context.Context, do func(key string) (finance.Operation, error)) error {
	op, err := do(e.Key())
	if err != nil {
		return err
	}
	e.Count(op)
	return nil
}

// client picks a client who already existed at t.
func (e *Env) client(t time.Time) (finance.Client, bool) {
	var known []finance.Client
	for _, c := range e.Clients {
		if !c.Created.After(t) {
			known = append(known, c)
		}
	}
	if len(known) == 0 {
		return finance.Client{}, false
	}
	// Regulars come more often: favour the front of the list.
	i := min(e.Rand.IntN(len(known)), e.Rand.IntN(len(known)))
	return known[i], true
}

func roundAmount(e *Env) int64 {
	return e.Price([]int64{50, 100, 100, 150, 200, 300}[e.Rand.IntN(6)])
}

func (e *Env) topUp(ctx context.Context, at time.Time, register string, amount int64) error {
	c, ok := e.client(at)
	if !ok {
		return nil
	}
	return e.post(ctx, func(key string) (finance.Operation, error) {
		return e.Service.TopUp(ctx, e.Actor, finance.TopUpRequest{Key: key, ClientID: c.ID, Amount: amount, Register: register})
	})
}

func (e *Env) available(ctx context.Context, id finance.ClientID) (int64, error) {
	v, err := e.Service.ClientView(ctx, id, finance.Page{Limit: 1})
	if err != nil {
		return 0, err
	}
	return max(0, v.Available), nil
}

// drawer is what a register holds now: today's closing, as the desk reads
// it (nothing is ever posted to a day after today).
func (e *Env) drawer(ctx context.Context, register string) (int64, error) {
	today, err := e.Service.Today(ctx)
	if err != nil {
		return 0, err
	}
	days, err := e.Service.DayTotals(ctx, e.Actor, today)
	if err != nil {
		return 0, err
	}
	for _, t := range days {
		if t.Register == register {
			return t.Closing, nil
		}
	}
	return 0, fmt.Errorf("%w: no register %q", finance.ErrNotFound, register)
}

func (e *Env) checkout(ctx context.Context, at time.Time, desk []string) error {
	all := services()
	var lines []finance.LineItem
	var total int64
	for range 1 + e.Rand.IntN(2) {
		s := all[e.Rand.IntN(len(all))]
		li := finance.LineItem{Description: s.name, UnitPrice: e.Price(s.price), Quantity: 1}
		lines = append(lines, li)
		total += li.UnitPrice
	}
	req := finance.CheckoutRequest{Key: e.Key(), Lines: lines, Total: total}
	fromBalance := int64(0)
	if c, ok := e.client(at); ok && e.Rand.IntN(4) != 0 {
		req.ClientID = c.ID
		avail, err := e.available(ctx, c.ID)
		if err != nil {
			return err
		}
		fromBalance = min(avail, total)
	}
	req.FromBalance = &fromBalance
	rest := total - fromBalance
	switch {
	case rest == 0:
	case len(desk) > 1 && rest >= 2*e.scale && e.Rand.IntN(4) == 0:
		// Split: part cash, part card, in whole units.
		part := (rest / 2 / e.scale) * e.scale
		req.Payments = []finance.Tender{{Register: desk[0], Amount: part}, {Register: desk[1], Amount: rest - part}}
	default:
		req.Payments = []finance.Tender{{Register: desk[e.Rand.IntN(len(desk))], Amount: rest}}
	}
	op, err := e.Service.Checkout(ctx, e.Actor, req)
	if err != nil {
		return err
	}
	e.Count(op)
	return nil
}

// mistake is a top-up typed with an extra zero, reversed a few minutes later
// and entered again correctly.
func (e *Env) mistake(ctx context.Context, at time.Time, register string) error {
	c, ok := e.client(at)
	if !ok {
		return nil
	}
	right := e.Price(100)
	wrong, err := e.Service.TopUp(ctx, e.Actor, finance.TopUpRequest{Key: e.Key(), ClientID: c.ID,
		Amount: right * 10, Register: register})
	if err != nil {
		return err
	}
	e.Count(wrong)
	e.Clock.Set(at.Add(4 * time.Minute))
	rev, err := e.Service.Reverse(ctx, e.Actor, finance.ReverseRequest{Key: e.Key(), OperationID: wrong.ID,
		Reason: "Wrong amount typed (extra zero)"})
	if err != nil {
		return err
	}
	e.Count(rev)
	e.Clock.Set(at.Add(5 * time.Minute))
	return e.post(ctx, func(key string) (finance.Operation, error) {
		return e.Service.TopUp(ctx, e.Actor, finance.TopUpRequest{Key: key, ClientID: c.ID, Amount: right, Register: register})
	})
}

// cashOut gives a client with money on deposit part or all of it back.
func (e *Env) cashOut(ctx context.Context, cash string) error {
	for _, c := range e.Clients {
		if c.Created.After(e.Clock.Now()) {
			continue
		}
		avail, err := e.available(ctx, c.ID)
		if err != nil {
			return err
		}
		if avail < e.Price(20) {
			continue
		}
		amount := avail
		if e.Rand.IntN(2) == 0 {
			amount = (avail / 2 / e.scale) * e.scale
		}
		return e.post(ctx, func(key string) (finance.Operation, error) {
			return e.Service.CashOut(ctx, e.Actor, finance.CashOutRequest{Key: key, ClientID: c.ID, Amount: amount,
				Register: cash, Note: "Moving away; asked for the balance back"})
		})
	}
	return nil
}

// bankCash takes the week's cash to the bank, leaving a float in the drawer.
func (e *Env) bankCash(ctx context.Context, cash, bank string) error {
	inDrawer, err := e.drawer(ctx, cash)
	if err != nil {
		return err
	}
	amount := ((inDrawer - e.Price(200)) / e.scale) * e.scale
	if amount <= 0 {
		return nil
	}
	return e.post(ctx, func(key string) (finance.Operation, error) {
		return e.Service.Transfer(ctx, e.Actor, finance.TransferRequest{Key: key, From: cash, To: bank,
			Amount: amount, Note: "Weekly bank deposit"})
	})
}
