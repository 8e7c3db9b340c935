package finance

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// ZLine is money in and out of a register under one heading (an operation
// kind, or a staff member).
type ZLine struct {
	Name  string `json:"name"`
	In    int64  `json:"in"`
	Out   int64  `json:"out"` // positive number
	Count int    `json:"count"`
}

// ZReport is one register's day: the totals (the same figures as the day's
// totals, read from the aggregate), in and out by kind and by staff member
// (from the day's operations), and the close and seal once there are.
type ZReport struct {
	Date     Date      `json:"date"`
	Register Register  `json:"register"`
	Opening  int64     `json:"opening"`
	In       int64     `json:"in"`
	Out      int64     `json:"out"`
	Closing  int64     `json:"closing"`
	Count    int       `json:"count"`
	ByKind   []ZLine   `json:"by_kind"`
	ByStaff  []ZLine   `json:"by_staff"`
	Expected int64     `json:"expected"` // at the count; while open, the closing so far
	Close    *DayClose `json:"close,omitempty"`
	Seal     *DaySeal  `json:"seal,omitempty"`
}

// ZReport reads the Z-report of a day for one register, or for every
// register the actor may use ("" register), in settings order.
func (s *Service) ZReport(ctx context.Context, a Actor, d Date, register string) ([]ZReport, error) {
	d, err := ParseDate(string(d))
	if err != nil {
		return nil, err
	}
	return read(ctx, s, func(tx ReadTx) ([]ZReport, error) {
		var out []ZReport
		if err := s.pastAllowed(tx, a, d); err != nil {
			return nil, err
		}
		env, err := s.env(tx, a)
		if err != nil {
			return nil, err
		}
		var regs []Register
		if strings.TrimSpace(register) != "" {
			reg, err := s.register(env, register)
			if err != nil {
				return nil, err
			}
			regs = []Register{reg}
		} else {
			for _, r := range env.Settings.Registers {
				if s.rights.allowsRegister(a.Role, r.ID) {
					regs = append(regs, r)
				}
			}
		}
		ops, err := tx.DayOperations(d)
		if err != nil {
			return nil, err
		}
		var seal *DaySeal
		if sl, err := tx.DaySeal(d); err == nil {
			sl.OpIDs, sl.OpDigests = nil, nil
			seal = &sl
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		for _, reg := range regs {
			z, err := zReport(tx, d, reg, ops)
			if err != nil {
				return nil, err
			}
			z.Seal = seal
			out = append(out, z)
		}
		return out, nil
	})
}

func zReport(tx ReadTx, d Date, reg Register, ops []Operation) (ZReport, error) {
	t, err := tx.RegisterDay(reg.ID, d)
	if err != nil {
		return ZReport{}, err
	}
	z := ZReport{Date: d, Register: reg, Opening: t.Opening, In: t.In, Out: t.Out, Closing: t.Closing,
		Count: t.Count, Expected: t.Closing, ByKind: []ZLine{}, ByStaff: []ZLine{}}
	acc := RegisterAccount(reg.ID)
	byKind, byStaff := map[string]*ZLine{}, map[string]*ZLine{}
	add := func(m map[string]*ZLine, name string, amount int64) {
		l := m[name]
		if l == nil {
			l = &ZLine{Name: name}
			m[name] = l
		}
		if amount > 0 {
			l.In += amount
		} else {
			l.Out -= amount
		}
		l.Count++
	}
	for _, op := range ops {
		for _, p := range op.Postings {
			if p.Account != acc {
				continue
			}
			add(byKind, string(op.Kind), p.Amount)
			add(byStaff, op.Staff, p.Amount)
		}
	}
	for _, m := range []struct {
		from map[string]*ZLine
		to   *[]ZLine
	}{{byKind, &z.ByKind}, {byStaff, &z.ByStaff}} {
		for _, l := range m.from {
			*m.to = append(*m.to, *l)
		}
		slices.SortFunc(*m.to, func(x, y ZLine) int { return strings.Compare(x.Name, y.Name) })
	}
	c, err := tx.DayClose(d, reg.ID)
	switch {
	case err == nil:
		z.Close, z.Expected = &c, c.Expected
	case !errors.Is(err, ErrNotFound):
		return ZReport{}, err
	}
	return z, nil
}
