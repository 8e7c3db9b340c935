package finance

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Closing the day. A register's day is closed once: a cash drawer with a
// count (the difference from what the books expect posts to over_short),
// the other registers on their totals. When every register of a day is
// closed the day is sealed: a SHA-256 over its operations and closes,
// chained to the previous sealed day's seal (seal.go). Nothing is dated into
// a closed day afterwards (businessDate, called by postIn), and nothing ever
// reopens one: a correction is a new operation on an open day.
//
// The rules that keep a closed day's figures fixed:
//   - an operation touching register R is dated after R's latest close, and
//     every operation after the latest sealed day, so neither a closed day's
//     totals nor the openings after it (shiftLaterDays) ever move;
//   - a register closes its days in date order, and a close's own postings
//     (over/short, cash to the bank) are dated on the day being closed;
//   - once the chain has begun, a day is closed only after every earlier day
//     with operations is sealed, so the chain leaves no day out.

// CloseRules are the location's close settings (config [close]).
type CloseRules struct {
	// ReasonThreshold: a count over or short by more than this (minor
	// units) needs a reason. 0 = any difference needs one.
	ReasonThreshold int64
	// RequireClosedDrawer refuses a day's first cash operations while the
	// drawer's previous day with postings is not closed.
	RequireClosedDrawer bool
}

// WithCloseRules sets the close settings (default: the zero CloseRules).
func WithCloseRules(r CloseRules) Option { return func(s *Service) { s.closeRules = r } }

// CloseRules is what the service was configured with.
func (s *Service) CloseRules() CloseRules { return s.closeRules }

// DenomCount is how many notes or coins of one value were counted.
type DenomCount struct {
	Value int64 `json:"value"` // minor units: 5000 = a €50 note
	Count int64 `json:"count"`
}

// CloseRequest closes one register's day, or every register still open.
type CloseRequest struct {
	Key      string       // idempotency: the same key returns the first result
	Date     Date         // "" = today
	Register string       // "" = every register not closed yet
	Counted  *int64       // the cash counted in the drawer (a cash register must be counted)
	Counts   []DenomCount // or the count by denomination; with Counted too, they must agree
	Reason   string       // why the drawer is over or short (required above the threshold)
	Float    *int64       // cash left in the drawer for tomorrow; the rest moves to the bank. nil = none moved
}

// DayClose is one register's close of one day, as stored. Expected is the
// register's balance at the count, before the close's own postings.
type DayClose struct {
	Date       Date          `json:"date"`
	Register   string        `json:"register"`
	Kind       RegisterKind  `json:"kind"`
	Key        string        `json:"key,omitempty"`
	Expected   int64         `json:"expected"`
	Counted    int64         `json:"counted"`
	Counts     []DenomCount  `json:"counts,omitempty"`
	OverShort  int64         `json:"over_short"` // counted - expected: + over, - short
	Reason     string        `json:"reason,omitempty"`
	Float      int64         `json:"float"`   // left in the drawer
	ToBank     int64         `json:"to_bank"` // moved to the bank register
	Operations []OperationID `json:"operations,omitempty"`
	Staff      string        `json:"staff"`
	Time       time.Time     `json:"time"`
}

// DaySeal is a sealed day's link in the chain (see seal.go for what Seal
// is computed over). OpIDs and OpDigests (8 bytes of each operation's
// digest, in OpIDs order) let verify name the operation that changed.
type DaySeal struct {
	Date      Date          `json:"date"`
	Prev      Date          `json:"prev,omitempty"`      // the previous sealed day
	PrevSeal  string        `json:"prev_seal,omitempty"` // its seal, hex
	Seal      string        `json:"seal"`                // hex SHA-256
	OpIDs     []OperationID `json:"op_ids"`
	OpDigests []byte        `json:"op_digests"`
	Staff     string        `json:"staff"`
	Time      time.Time     `json:"time"`
}

// CloseResult is what a close did.
type CloseResult struct {
	Date     Date       `json:"date"`
	Closes   []DayClose `json:"closes"`
	Seal     *DaySeal   `json:"seal,omitempty"` // set once the day is sealed
	Replayed bool       `json:"replayed,omitempty"`
}

// closeOpRequest is what a close's own operation is hashed from for its
// idempotency key (one per day, register and kind of posting).
type closeOpRequest struct {
	Date     Date
	Register string
	What     string
	Amount   int64
}

// CloseDay closes a day for one register or for every register still open.
// A refusal is audited too (in its own transaction: the close rolled back).
func (s *Service) CloseDay(ctx context.Context, a Actor, r CloseRequest) (CloseResult, error) {
	res, err := s.closeDay(ctx, a, r)
	if err != nil {
		if ctx.Err() == nil && strings.TrimSpace(a.Staff) != "" {
			subject := "day " + string(r.Date)
			if r.Date == "" {
				subject = "today"
			}
			if r.Register != "" {
				subject += ", register " + r.Register
			}
			if aerr := s.RecordAudit(ctx, a, "close_refused", subject, Message(err)); aerr != nil {
				return CloseResult{}, errors.Join(err, aerr)
			}
		}
		return CloseResult{}, err
	}
	if !res.Replayed {
		s.publish(Change{What: "close"})
	}
	return res, nil
}

func (s *Service) closeDay(ctx context.Context, a Actor, r CloseRequest) (CloseResult, error) {
	if err := s.require(a, RightCloseDay); err != nil {
		return CloseResult{}, err
	}
	var res CloseResult
	err := s.update(ctx, func(tx Tx) error {
		env, err := s.env(tx, a)
		if err != nil {
			return err
		}
		res, err = s.closeIn(tx, env, r)
		return err
	})
	return res, err
}

func (s *Service) closeIn(tx Tx, env postEnv, r CloseRequest) (CloseResult, error) {
	d := env.Today
	if r.Date != "" {
		var err error
		if d, err = ParseDate(string(r.Date)); err != nil {
			return CloseResult{}, err
		}
	}
	if d > env.Today {
		return CloseResult{}, errf(ErrInvalid, "%s has not begun yet; only today or earlier days can be closed", d)
	}
	key := strings.TrimSpace(r.Key)
	if len(key) > maxKeyLen {
		return CloseResult{}, errf(ErrInvalid, "idempotency key is longer than %d characters", maxKeyLen)
	}
	done, err := tx.DayCloses(d)
	if err != nil {
		return CloseResult{}, err
	}
	if key != "" {
		if replay, ok, err := replayClose(tx, d, key, done); ok || err != nil {
			return replay, err
		}
	}
	closed := map[string]DayClose{}
	for _, c := range done {
		closed[c.Register] = c
	}

	var targets []Register
	if strings.TrimSpace(r.Register) != "" {
		reg, err := s.register(env, r.Register)
		if err != nil {
			return CloseResult{}, err
		}
		if c, ok := closed[reg.ID]; ok {
			return CloseResult{}, errf(ErrConflict, "the %s register was closed for %s by %s at %s; a closed day is never reopened (post a correction on an open day)",
				reg.ID, d, c.Staff, c.Time.In(env.Loc).Format("15:04"))
		}
		targets = []Register{reg}
	} else {
		for _, reg := range env.Settings.Registers {
			if _, ok := closed[reg.ID]; ok {
				continue
			}
			if err := s.checkRegister(env.Actor, reg.ID); err != nil {
				return CloseResult{}, err
			}
			targets = append(targets, reg)
		}
		if len(targets) == 0 {
			return CloseResult{}, errf(ErrConflict, "%s is already closed for every register; a closed day is never reopened", d)
		}
	}
	// Cash first: a cash close may move money to the bank, which must still be open.
	slices.SortStableFunc(targets, func(x, y Register) int {
		return boolRank(x.Kind != RegisterCash) - boolRank(y.Kind != RegisterCash)
	})

	last, hasSeal, err := lastSeal(tx)
	if err != nil {
		return CloseResult{}, err
	}
	if hasSeal {
		if d <= last.Date {
			return CloseResult{}, errf(ErrConflict, "%s is not after the last sealed day, %s: it can no longer be closed", d, last.Date)
		}
		prev, err := tx.OperationDayBefore(d)
		if err != nil {
			return CloseResult{}, err
		}
		if prev > last.Date {
			if _, err := tx.DaySeal(prev); errors.Is(err, ErrNotFound) {
				return CloseResult{}, errf(ErrConflict, "close %s first: it has operations and is still open (days are sealed in order)", prev)
			} else if err != nil {
				return CloseResult{}, err
			}
		}
	}
	for _, reg := range targets {
		c, err := tx.LastClose(reg.ID)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return CloseResult{}, err
		case c.Date > d:
			return CloseResult{}, errf(ErrConflict, "the %s register was already closed for a later day, %s; its days close in order", reg.ID, c.Date)
		}
	}

	counted, counts, err := s.countedCash(env, r)
	if err != nil {
		return CloseResult{}, err
	}
	cashTargets := 0
	for _, reg := range targets {
		if reg.Kind == RegisterCash {
			cashTargets++
		}
	}
	switch {
	case counted != nil && cashTargets == 0:
		return CloseResult{}, errf(ErrInvalid, "%s closes on its totals: only a cash drawer is counted", targets[0].ID)
	case counted != nil && cashTargets > 1:
		return CloseResult{}, errf(ErrInvalid, "there are %d cash drawers to count: close each with its register", cashTargets)
	case counted == nil && cashTargets > 0:
		for _, reg := range targets {
			if reg.Kind == RegisterCash {
				return CloseResult{}, errf(ErrInvalid, "count the %s drawer first: give the counted cash (a total or by notes and coins)", reg.ID)
			}
		}
	case r.Float != nil && cashTargets == 0:
		return CloseResult{}, errf(ErrInvalid, "a float is left in a cash drawer; %s has none", targets[0].ID)
	}
	reason, err := cleanText("reason", r.Reason, maxReasonLen)
	if err != nil {
		return CloseResult{}, err
	}

	res := CloseResult{Date: d}
	for _, reg := range targets {
		c, err := s.closeRegister(tx, env, d, reg, key, counted, counts, reason, r.Float)
		if err != nil {
			return CloseResult{}, err
		}
		res.Closes = append(res.Closes, c)
	}

	// The day is sealed once no register is left open.
	for _, reg := range env.Settings.Registers {
		if _, err := tx.DayClose(d, reg.ID); errors.Is(err, ErrNotFound) {
			return res, nil
		} else if err != nil {
			return CloseResult{}, err
		}
	}
	seal, err := sealDay(tx, d, last, hasSeal, env)
	if err != nil {
		return CloseResult{}, err
	}
	res.Seal = &seal
	return res, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// replayClose returns the closes a key already made on day d, and the
// day's seal if there is one now.
func replayClose(tx ReadTx, d Date, key string, done []DayClose) (CloseResult, bool, error) {
	res := CloseResult{Date: d, Replayed: true}
	for _, c := range done {
		if c.Key == key {
			res.Closes = append(res.Closes, c)
		}
	}
	if len(res.Closes) == 0 {
		return CloseResult{}, false, nil
	}
	seal, err := tx.DaySeal(d)
	switch {
	case err == nil:
		res.Seal = &seal
	case !errors.Is(err, ErrNotFound):
		return CloseResult{}, false, err
	}
	return res, true, nil
}

func lastSeal(tx ReadTx) (DaySeal, bool, error) {
	s, err := tx.LastSeal()
	if errors.Is(err, ErrNotFound) {
		return DaySeal{}, false, nil
	}
	if err != nil {
		return DaySeal{}, false, err
	}
	return s, true, nil
}

// countedCash is the request's count: the total, the denominations' sum, or
// both when they agree. nil when nothing was counted.
func (s *Service) countedCash(env postEnv, r CloseRequest) (*int64, []DenomCount, error) {
	if r.Counted != nil && *r.Counted < 0 {
		return nil, nil, errf(ErrInvalid, "the counted cash cannot be negative")
	}
	if len(r.Counts) == 0 {
		return r.Counted, nil, nil
	}
	denoms := Denominations(env.Settings.Currency)
	if len(denoms) == 0 {
		return nil, nil, errf(ErrInvalid, "paydesk has no list of %s notes and coins; give the counted total", env.Settings.Currency)
	}
	var sum int64
	var counts []DenomCount
	for _, c := range r.Counts {
		if !slices.ContainsFunc(denoms, func(d Denomination) bool { return d.Value == c.Value }) {
			return nil, nil, errf(ErrInvalid, "%s is not a %s note or coin", env.Money(c.Value), env.Settings.Currency)
		}
		if c.Count < 0 {
			return nil, nil, errf(ErrInvalid, "the count of %s cannot be negative", env.Money(c.Value))
		}
		if c.Count == 0 {
			continue
		}
		if c.Count > (1<<62)/c.Value {
			return nil, nil, errf(ErrInvalid, "the count of %s is too large", env.Money(c.Value))
		}
		var ok bool
		if sum, ok = AddInt64(sum, c.Value*c.Count); !ok {
			return nil, nil, errf(ErrInvalid, "the count adds up to too much")
		}
		counts = append(counts, c)
	}
	if r.Counted != nil && *r.Counted != sum {
		return nil, nil, errf(ErrInvalid, "the notes and coins add up to %s, not the %s given", env.Money(sum), env.Money(*r.Counted))
	}
	return &sum, counts, nil
}

// closeRegister closes one register's day inside the close's transaction.
func (s *Service) closeRegister(tx Tx, env postEnv, d Date, reg Register, key string, counted *int64,
	counts []DenomCount, reason string, float *int64) (DayClose, error) {
	t, err := tx.RegisterDay(reg.ID, d)
	if err != nil {
		return DayClose{}, err
	}
	c := DayClose{Date: d, Register: reg.ID, Kind: reg.Kind, Key: key, Expected: t.Closing, Counted: t.Closing,
		Staff: env.Actor.Staff, Time: env.Now}
	if reg.Kind == RegisterCash {
		c.Reason = reason // the reason is the count's; a register closed on its totals has none
	}
	// The close's own postings belong to the day being closed.
	at := env
	at.Today, at.closing = d, true
	post := func(what string, amount int64, op Operation) error {
		req := closeOpRequest{Date: d, Register: reg.ID, What: what, Amount: amount}
		// A close's operations own their keys: one per day, register and what.
		key := "close:" + string(d) + ":" + reg.ID + ":" + what
		out, _, err := s.postIn(tx, at, opKey{key: key, kind: op.Kind, typed: key}, req,
			func(Tx, postEnv) (*Operation, error) { return &op, nil })
		if err != nil {
			return err
		}
		c.Operations = append(c.Operations, out.ID)
		return nil
	}
	if reg.Kind == RegisterCash {
		c.Counted, c.Counts = *counted, counts
		diff := c.Counted - c.Expected
		c.OverShort = diff
		if diff != 0 && reason == "" && abs64(diff) > s.closeRules.ReasonThreshold {
			word := "over"
			if diff < 0 {
				word = "short"
			}
			return DayClose{}, errf(ErrInvalid, "the %s drawer is %s by %s: give a reason (required above %s)",
				reg.ID, word, env.Money(abs64(diff)), env.Money(s.closeRules.ReasonThreshold))
		}
		if diff != 0 {
			comment := "count of " + string(d) + ": " + env.Money(c.Counted) + " against " + env.Money(c.Expected)
			if reason != "" {
				comment += "; " + reason
			}
			if err := post("over_short", diff, Operation{Kind: OpOverShort, Comment: comment, Postings: []Posting{
				{Account: RegisterAccount(reg.ID), Amount: diff},
				{Account: AccountOverShort, Amount: -diff},
			}}); err != nil {
				return DayClose{}, err
			}
		}
		if float != nil {
			if err := s.moveToBank(tx, env, d, reg, &c, *float, post); err != nil {
				return DayClose{}, err
			}
		}
	}
	if err := tx.PutDayClose(c); err != nil {
		return DayClose{}, err
	}
	if err := tx.AppendAudit(&AuditEntry{Time: env.Now, Staff: env.Actor.Staff, Action: "close_day",
		Subject: "day " + string(d) + ", register " + reg.ID, Reason: c.Reason, Detail: closeDetail(env, c)}); err != nil {
		return DayClose{}, err
	}
	return c, nil
}

func (s *Service) moveToBank(tx Tx, env postEnv, d Date, reg Register, c *DayClose, float int64,
	post func(string, int64, Operation) error) error {
	if float < 0 {
		return errf(ErrInvalid, "the float cannot be negative")
	}
	if float > c.Counted {
		return errf(ErrInvalid, "a float of %s is more than the %s counted", env.Money(float), env.Money(c.Counted))
	}
	c.Float = float
	move := c.Counted - float
	if move == 0 {
		return nil
	}
	bank := env.Settings.BankRegID
	if bank == "" {
		bank = "bank"
	}
	if bank == reg.ID || !slices.ContainsFunc(env.Settings.Registers, func(r Register) bool { return r.ID == bank }) {
		return errf(ErrInvalid, "there is no bank register to move the cash to; close without a float")
	}
	if err := s.checkRegister(env.Actor, bank); err != nil {
		return err
	}
	if bc, err := tx.LastClose(bank); err == nil && bc.Date >= d {
		return errf(ErrConflict, "the %s register is already closed for %s, so cash cannot move into it that day; close without a float", bank, d)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	c.ToBank = move
	return post("to_bank", move, Operation{Kind: OpTransfer,
		Comment: "close of " + string(d) + ": cash to the bank, " + env.Money(float) + " left in the drawer",
		Postings: []Posting{
			{Account: RegisterAccount(bank), Amount: move},
			{Account: RegisterAccount(reg.ID), Amount: -move},
		}})
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// closeDetail is the audit line of a close: the count and what it posted.
func closeDetail(env postEnv, c DayClose) string {
	parts := []string{"expected " + env.Money(c.Expected)}
	if c.Kind == RegisterCash {
		count := "counted " + env.Money(c.Counted)
		if len(c.Counts) > 0 {
			var by []string
			for _, n := range c.Counts {
				by = append(by, env.Money(n.Value)+"×"+uitoa(uint64(n.Count)))
			}
			count += " (" + strings.Join(by, ", ") + ")"
		}
		parts = append(parts, count)
		switch {
		case c.OverShort > 0:
			parts = append(parts, "over "+env.Money(c.OverShort))
		case c.OverShort < 0:
			parts = append(parts, "short "+env.Money(-c.OverShort))
		}
		if c.ToBank > 0 {
			parts = append(parts, "to bank "+env.Money(c.ToBank)+", float "+env.Money(c.Float))
		}
	}
	return strings.Join(parts, "; ")
}

// sealDay seals day d, chained to the previous seal.
func sealDay(tx Tx, d Date, prev DaySeal, hasPrev bool, env postEnv) (DaySeal, error) {
	ops, err := tx.DayOperations(d)
	if err != nil {
		return DaySeal{}, err
	}
	closes, err := tx.DayCloses(d)
	if err != nil {
		return DaySeal{}, err
	}
	seal := DaySeal{Date: d, Staff: env.Actor.Staff, Time: env.Now}
	if hasPrev {
		seal.Prev, seal.PrevSeal = prev.Date, prev.Seal
	}
	seal.Seal, seal.OpIDs, seal.OpDigests = computeSeal(d, seal.PrevSeal, ops, closes)
	if err := tx.PutDaySeal(seal); err != nil {
		return DaySeal{}, err
	}
	if err := tx.AppendAudit(&AuditEntry{Time: env.Now, Staff: env.Actor.Staff, Action: "day_sealed",
		Subject: "day " + string(d), Detail: uitoa(uint64(len(ops))) + " operations; seal " + seal.Seal}); err != nil {
		return DaySeal{}, err
	}
	return seal, nil
}

// businessDate decides an operation's business date; postIn calls it once,
// after the idempotency lookup (a replay keeps its first date). An
// operation is dated today unless today is closed for it: then on the first
// open day after, with BelongsTo naming today. With RequireClosedDrawer, a
// cash operation is refused while the drawer's previous day is open.
func (s *Service) businessDate(tx ReadTx, env postEnv, ps []Posting) (date, belongsTo Date, err error) {
	d := env.Today
	last, has, err := lastSeal(tx)
	if err != nil {
		return "", "", err
	}
	if has && last.Date >= d {
		d = last.Date.AddDays(1)
	}
	var regs []string
	for _, p := range ps {
		if reg, ok := RegisterOf(p.Account); ok && !slices.Contains(regs, reg) {
			regs = append(regs, reg)
		}
	}
	for _, reg := range regs {
		c, err := tx.LastClose(reg)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return "", "", err
		case c.Date >= d:
			d = c.Date.AddDays(1)
		}
	}
	if s.closeRules.RequireClosedDrawer && !env.closing {
		for _, reg := range regs {
			if registerKind(env.Settings, reg) != RegisterCash {
				continue
			}
			prev, err := tx.RegisterDayBefore(reg, d)
			if err != nil {
				return "", "", err
			}
			if prev == "" {
				continue
			}
			if _, err := tx.DayClose(prev, reg); errors.Is(err, ErrNotFound) {
				return "", "", errf(ErrConflict, "the %s drawer of %s is not closed yet: close it before %s's cash operations", reg, prev, d)
			} else if err != nil {
				return "", "", err
			}
		}
	}
	if d != env.Today {
		belongsTo = env.Today
	}
	return d, belongsTo, nil
}

func registerKind(st Settings, id string) RegisterKind {
	for _, r := range st.Registers {
		if r.ID == id {
			return r.Kind
		}
	}
	return ""
}

// DayStatus is what is closed of a day.
type DayStatus struct {
	Date   Date                `json:"date"`
	Closes map[string]DayClose `json:"closes"` // by register
	Sealed bool                `json:"sealed"`
	Seal   string              `json:"seal,omitempty"`
}

// Closed reports whether a register's day is closed.
func (d DayStatus) Closed(register string) bool { _, ok := d.Closes[register]; return ok }

// DayStatus reads which registers of a day are closed and whether it is sealed.
func (s *Service) DayStatus(ctx context.Context, d Date) (DayStatus, error) {
	d, err := ParseDate(string(d))
	if err != nil {
		return DayStatus{}, err
	}
	return read(ctx, s, func(tx ReadTx) (DayStatus, error) {
		out := DayStatus{Date: d, Closes: map[string]DayClose{}}
		closes, err := tx.DayCloses(d)
		if err != nil {
			return DayStatus{}, err
		}
		for _, c := range closes {
			out.Closes[c.Register] = c
		}
		seal, err := tx.DaySeal(d)
		switch {
		case err == nil:
			out.Sealed, out.Seal = true, seal.Seal
		case !errors.Is(err, ErrNotFound):
			return DayStatus{}, err
		}
		return out, nil
	})
}

// ClosedDays lists which days from..to are sealed (for the chart): one
// lookup per day.
func (s *Service) ClosedDays(ctx context.Context, from, to Date) (map[Date]bool, error) {
	if to < from || from.AddDays(maxRangeDays) < to {
		return nil, errf(ErrInvalid, "bad range %s..%s", from, to)
	}
	return read(ctx, s, func(tx ReadTx) (map[Date]bool, error) {
		out := map[Date]bool{}
		for d := from; d <= to; d = d.AddDays(1) {
			_, err := tx.DaySeal(d)
			switch {
			case err == nil:
				out[d] = true
			case !errors.Is(err, ErrNotFound):
				return nil, err
			}
		}
		return out, nil
	})
}

// OpenPastDay is the latest day before today that has operations and is not
// sealed, when it comes after the last sealed day: a day left open past its
// end. "" when there is none.
func (s *Service) OpenPastDay(ctx context.Context) (Date, error) {
	return read(ctx, s, func(tx ReadTx) (Date, error) {
		env, err := s.env(tx, Actor{})
		if err != nil {
			return "", err
		}
		prev, err := tx.OperationDayBefore(env.Today)
		if err != nil || prev == "" {
			return "", err
		}
		last, has, err := lastSeal(tx)
		if err != nil {
			return "", err
		}
		if has && prev <= last.Date {
			return "", nil
		}
		return prev, nil
	})
}
