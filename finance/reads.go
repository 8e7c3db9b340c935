package finance

import (
	"context"
)

// maxRangeDays caps a totals range: five years of days is far more than any
// chart needs and still reads fast from the aggregates.
const maxRangeDays = 5*366 + 1

// Settings reads the location's settings (ErrNotInitialized before Setup).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	return read(ctx, s, func(tx ReadTx) (Settings, error) { return tx.Settings() })
}

// Today is the business date now, in the location's time zone.
func (s *Service) Today(ctx context.Context) (Date, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return "", err
	}
	loc, err := s.location(st)
	if err != nil {
		return "", err
	}
	return DateOf(s.now(), loc), nil
}

// Operation reads one operation.
func (s *Service) Operation(ctx context.Context, id OperationID) (Operation, error) {
	return read(ctx, s, func(tx ReadTx) (Operation, error) { return tx.Operation(id) })
}

// Heads are the newest operation id, audit and change-log numbers: how far
// the books go, for replication's "behind". ErrInvalid from a store that
// keeps no change log.
func (s *Service) Heads(ctx context.Context) (Heads, error) {
	return read(ctx, s, func(tx ReadTx) (Heads, error) {
		cl, ok := tx.(ChangeLog)
		if !ok {
			return Heads{}, errf(ErrInvalid, "this store keeps no change log")
		}
		return cl.Heads()
	})
}

// pastAllowed checks the right to look at days before today: a shift sees
// its own day, a manager any day.
func (s *Service) pastAllowed(tx ReadTx, a Actor, d Date) error {
	if err := s.checkSession(a); err != nil {
		return err
	}
	env, err := s.env(tx, a)
	if err != nil {
		return err
	}
	if d < env.Today {
		return s.require(a, RightPastTotals)
	}
	return nil
}

// DayOperations lists a day's operations, optionally only those touching one register.
func (s *Service) DayOperations(ctx context.Context, a Actor, d Date, register string) ([]Operation, error) {
	d, err := ParseDate(string(d))
	if err != nil {
		return nil, err
	}
	return read(ctx, s, func(tx ReadTx) ([]Operation, error) {
		var out []Operation
		if err := s.pastAllowed(tx, a, d); err != nil {
			return nil, err
		}
		ops, err := tx.DayOperations(d)
		if err != nil {
			return nil, err
		}
		if register == "" {
			return ops, nil
		}
		env, err := s.env(tx, a)
		if err != nil {
			return nil, err
		}
		reg, err := s.register(env, register)
		if err != nil {
			return nil, err
		}
		acc := RegisterAccount(reg.ID)
		for _, op := range ops {
			for _, p := range op.Postings {
				if p.Account == acc {
					out = append(out, op)
					break
				}
			}
		}
		return out, nil
	})
}

// DayTotals is every register's totals for a day (RightPastTotals for days
// before today), in Settings order. Registers the actor's role may not use
// are left out: a shift sees only its own registers.
func (s *Service) DayTotals(ctx context.Context, a Actor, d Date) ([]DayTotals, error) {
	d, err := ParseDate(string(d))
	if err != nil {
		return nil, err
	}
	return read(ctx, s, func(tx ReadTx) ([]DayTotals, error) {
		var out []DayTotals
		if err := s.pastAllowed(tx, a, d); err != nil {
			return nil, err
		}
		st, err := tx.Settings()
		if err != nil {
			return nil, err
		}
		for _, r := range st.Registers {
			if !s.rights.allowsRegister(a.Role, r.ID) {
				continue
			}
			t, err := tx.RegisterDay(r.ID, d)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	})
}

// RangeTotals is every register's totals per day from..to inclusive, keyed by register id.
func (s *Service) RangeTotals(ctx context.Context, a Actor, from, to Date) (map[string][]DayTotals, error) {
	from, err := ParseDate(string(from))
	if err != nil {
		return nil, err
	}
	if to, err = ParseDate(string(to)); err != nil {
		return nil, err
	}
	if to < from {
		return nil, errf(ErrInvalid, "the range ends (%s) before it starts (%s)", to, from)
	}
	if from.AddDays(maxRangeDays) < to {
		return nil, errf(ErrInvalid, "a range may span at most %d days", maxRangeDays)
	}
	return read(ctx, s, func(tx ReadTx) (map[string][]DayTotals, error) {
		out := map[string][]DayTotals{}
		if err := s.pastAllowed(tx, a, from); err != nil {
			return nil, err
		}
		st, err := tx.Settings()
		if err != nil {
			return nil, err
		}
		for _, r := range st.Registers {
			if !s.rights.allowsRegister(a.Role, r.ID) {
				continue
			}
			days, err := tx.RegisterDays(r.ID, from, to)
			if err != nil {
				return nil, err
			}
			out[r.ID] = days
		}
		return out, nil
	})
}

// read runs one read transaction that yields one value: the shape of most
// of the service's reads, without a variable captured across the closure.
func read[T any](ctx context.Context, s *Service, fn func(tx ReadTx) (T, error)) (T, error) {
	var out T
	err := s.view(ctx, func(tx ReadTx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}
