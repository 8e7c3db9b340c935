package finance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// postEnv is what a posting rule may know besides the transaction: the
// location's settings, its business date and clock, and who is acting. It is
// built once per transaction so every rule in it agrees on "today".
type postEnv struct {
	Settings Settings
	Loc      *time.Location
	Today    Date
	Now      time.Time
	Actor    Actor
	Fmt      *Formatter // formats amounts for refusal messages

	closing bool // a close's own postings: dated on the day being closed

	// approver lent the actor the right approved for this one operation
	// (a manager's PIN on the spot); the audit names both.
	approver string
	approved Right

	hooks *[]func(tx Tx, op Operation) error
	plain *plainAmounts // the audit line's amount format, learnt on first use
}

// AfterAppend runs fn in the same transaction right after the operation is
// appended, when its ID is known (linking a reversal, a refund's operation id,
// a booking's status). An error from fn rolls the whole operation back.
func (e postEnv) AfterAppend(fn func(tx Tx, op Operation) error) {
	*e.hooks = append(*e.hooks, fn)
}

// Money formats minor units for messages.
func (e postEnv) Money(minor int64) string { return e.Fmt.Format(minor) }

const maxKeyLen = 200

// view runs fn in a read-only transaction.
func (s *Service) view(ctx context.Context, fn func(tx ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.store.View(ctx, fn)
}

// update runs fn in one read-write transaction.
func (s *Service) update(ctx context.Context, fn func(tx Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, fn)
}

// env reads what a rule needs to know about the location. The clock is read
// once here so an operation's time and business date always agree.
func (s *Service) env(tx ReadTx, a Actor) (postEnv, error) {
	st, err := tx.Settings()
	if err != nil {
		return postEnv{}, err
	}
	loc, err := s.location(st)
	if err != nil {
		return postEnv{}, err
	}
	f, err := NewFormatter(st.Currency, st.Locale)
	if err != nil {
		return postEnv{}, err
	}
	now := s.now()
	hooks := []func(Tx, Operation) error{}
	return postEnv{Settings: st, Loc: loc, Today: DateOf(now, loc), Now: now, Actor: a, Fmt: f, hooks: &hooks,
		plain: &plainAmounts{}}, nil
}

// location is the settings' time zone; an empty zone is the machine's.
func (s *Service) location(st Settings) (*time.Location, error) {
	if st.TimeZone == "" {
		return time.Local, nil
	}
	loc, err := s.locs.get(st.TimeZone)
	if err != nil {
		return nil, errf(ErrInvalid, "time zone %q: %v", st.TimeZone, err)
	}
	return loc, nil
}

// require checks one right; the error names who lacks what.
func (s *Service) require(a Actor, r Right) error {
	if strings.TrimSpace(a.Staff) == "" {
		// Every operation records who did it; nobody is not a who.
		return errf(ErrForbidden, "nobody is logged in")
	}
	if err := s.checkSession(a); err != nil {
		return err
	}
	if !s.rights.allows(a.Role, r) {
		return &RightError{Staff: a.Staff, Role: a.Role, Right: r}
	}
	return nil
}

// requestHash identifies a request for idempotency: its Go type (so a top-up
// and a cash-out with equal fields differ) and its JSON without the key
// field, since the key is what is being looked up, with the remaining fields
// in sorted order so the hash does not depend on field order.
//
// The bytes hashed are exactly those of the first version (JSON into a
// map[string]json.RawMessage, keys deleted, JSON again), so keys stored
// before still replay; sortedJSONFields gets them from one Marshal.
func requestHash(req any) (string, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return "", errf(ErrInvalid, "request cannot be encoded: %v", err)
	}
	if sorted, ok := sortedJSONFields(b); ok {
		b = sorted
	} else {
		var fields map[string]json.RawMessage
		if json.Unmarshal(b, &fields) == nil && fields != nil {
			delete(fields, "Key")
			delete(fields, "key")
			if b, err = json.Marshal(fields); err != nil {
				return "", errf(ErrInvalid, "request cannot be encoded: %v", err)
			}
		}
	}
	h := sha256.New()
	typ := "<nil>" // what %T prints
	if t := reflect.TypeOf(req); t != nil {
		typ = t.String()
	}
	h.Write([]byte(typ))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sortedJSONFields rewrites a JSON object as Marshal wrote it (compact,
// valid) with its top-level fields sorted by name and "Key"/"key" left out,
// which is what re-marshalling it as a map gives. ok is false for anything
// else (not an object, escaped or repeated names): the caller then takes
// the long way.
func sortedJSONFields(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != '{' {
		return nil, false
	}
	type field struct {
		name string
		raw  []byte // "name":value
	}
	var fields []field
	i := 1
	for i < len(b) && b[i] != '}' {
		start := i
		if b[i] != '"' {
			return nil, false
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				return nil, false
			}
			j++
		}
		if j+1 >= len(b) || b[j+1] != ':' {
			return nil, false
		}
		name := string(b[i+1 : j])
		end, ok := jsonValueEnd(b, j+2)
		if !ok {
			return nil, false
		}
		if name != "Key" && name != "key" {
			fields = append(fields, field{name: name, raw: b[start:end]})
		}
		i = end
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
	if i != len(b)-1 {
		return nil, false
	}
	slices.SortFunc(fields, func(x, y field) int { return strings.Compare(x.name, y.name) })
	out := make([]byte, 0, len(b))
	out = append(out, '{')
	for k, f := range fields {
		if k > 0 {
			if f.name == fields[k-1].name {
				return nil, false
			}
			out = append(out, ',')
		}
		out = append(out, f.raw...)
	}
	return append(out, '}'), true
}

// jsonValueEnd is the index just past the compact JSON value starting at i.
func jsonValueEnd(b []byte, i int) (int, bool) {
	depth := 0
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return 0, false
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, true // the end of the enclosing object
			}
			depth--
		case ',':
			if depth == 0 {
				return i, true
			}
		}
	}
	return 0, false
}

func checkKey(key string) (string, error) {
	if key == "" {
		return "", errf(ErrInvalid, "the operation has no idempotency key")
	}
	if len(key) > maxStoredKeyLen {
		return "", errf(ErrInvalid, "idempotency key is longer than %d characters", maxStoredKeyLen)
	}
	return key, nil
}

// rule is one money movement as post takes it: the right it needs, its
// idempotency key, the request (hashed for idempotency) and the builder that
// checks the rules and makes the operation. Each request type makes its own
// (ledger.go), so posting and previewing it run the same builder.
type rule struct {
	right    Right
	key      string
	req      any
	approval *Approval // a manager's PIN given for this one action (approval.go)
	build    func(tx Tx, env postEnv) (*Operation, error)
}

// post is the one path every money movement takes:
//
//  1. the actor must hold right (else a *RightError, which wraps ErrForbidden);
//  2. the request is hashed (type + JSON, without its key) for idempotency;
//  3. in ONE store transaction: a stored operation with the same key is
//     returned as is if the hash matches (nothing new is posted) and is
//     ErrConflict otherwise; else build makes the operation, post checks its
//     postings, appends it, runs the AfterAppend hooks and writes the audit
//     line;
//  4. after commit, subscribers hear about it (not on a replay).
//
// build must not set ID, Key, RequestHash, Time or BusinessDate; post does.
// Staff defaults to the actor. Preview (preview.go) runs this same path and
// rolls it back.
func (s *Service) post(ctx context.Context, a Actor, ru rule) (Operation, error) {
	approver, err := s.authorize(ctx, a, ru.right, ru.approval)
	if err != nil {
		return Operation{}, err
	}
	var (
		out      Operation
		replayed bool
	)
	err = s.update(ctx, func(tx Tx) error {
		env, err := s.env(tx, a)
		if err != nil {
			return err
		}
		env.approver, env.approved = approver, ru.right
		out, replayed, err = s.postIn(tx, env, deskKey(ru.key), ru.req, s.limited(ru.build))
		return err
	})
	if err != nil {
		return Operation{}, err
	}
	if !replayed {
		s.publish(Change{What: "operation", Operation: out.ID, ClientID: out.ClientID})
	}
	return out, nil
}

// limited adds the desk's amount limit to a desk operation's builder (post
// and Preview both run it).
func (s *Service) limited(build func(tx Tx, env postEnv) (*Operation, error)) func(tx Tx, env postEnv) (*Operation, error) {
	return func(tx Tx, env postEnv) (*Operation, error) {
		op, err := build(tx, env)
		if err == nil && op != nil {
			err = s.checkMaxAmount(env, *op)
		}
		return op, err
	}
}

// postIn is post's body for callers that already hold a transaction (the
// sync worker applies an event and marks its inbox entry in one tx). It does
// not check rights and does not publish: the caller does both. replayed
// reports that key already named this same request and nothing was posted.
func (s *Service) postIn(tx Tx, env postEnv, key opKey, req any,
	build func(tx Tx, env postEnv) (*Operation, error)) (op Operation, replayed bool, err error) {
	if key.key, err = checkKey(key.key); err != nil {
		return Operation{}, false, err
	}
	hash, err := requestHash(req)
	if err != nil {
		return Operation{}, false, err
	}
	prev, found, err := key.lookup(tx)
	if err != nil {
		return Operation{}, false, err
	}
	if found {
		if prev.RequestHash != hash || (key.kind != "" && prev.Kind != key.kind) {
			return Operation{}, false, key.conflict(prev, env)
		}
		return prev, true, nil
	}

	// Fresh hooks per operation: one transaction may post several.
	hooks := []func(Tx, Operation) error{}
	env.hooks = &hooks
	built, err := build(tx, env)
	if err != nil {
		return Operation{}, false, err
	}
	if built == nil {
		return Operation{}, false, errf(ErrInvalid, "nothing to post")
	}
	o := *built
	o.ID = 0
	o.Key = key.key
	o.RequestHash = hash
	o.Time = env.Now
	if o.Staff == "" {
		o.Staff = env.Actor.Staff
	}
	o.Postings = mergePostings(o.Postings)
	if err := checkPostings(o.Postings); err != nil {
		return Operation{}, false, err
	}
	// The one place a business date is decided: today, or the first open
	// day when today is closed (close.go).
	if o.BusinessDate, o.BelongsTo, err = s.businessDate(tx, env, o.Postings); err != nil {
		return Operation{}, false, err
	}
	if err := tx.AppendOperation(&o); err != nil {
		return Operation{}, false, err
	}
	for _, h := range *env.hooks {
		if err := h(tx, o); err != nil {
			return Operation{}, false, err
		}
	}
	// Hooks may have changed the stored op (a reversal link); return what is stored.
	if len(*env.hooks) > 0 {
		if stored, err := tx.Operation(o.ID); err == nil {
			o = stored
		}
	}
	if err := tx.AppendAudit(&AuditEntry{
		Time:    env.Now,
		Staff:   o.Staff,
		Action:  string(o.Kind),
		Subject: opSubject(o),
		Reason:  o.Comment,
		Detail:  postingsDetail(o.Postings, env.Fmt, env.plain),
	}); err != nil {
		return Operation{}, false, err
	}
	if err := auditApproval(tx, env, opSubject(o)); err != nil {
		return Operation{}, false, err
	}
	return o, false, nil
}

// publish tells subscribers the books changed.
func (s *Service) publish(c Change) { s.hub.publish(c) }

// mergePostings adds up postings to the same account (two tenders to one
// register) and drops zero legs, keeping first-seen order.
func mergePostings(ps []Posting) []Posting {
	out := make([]Posting, 0, len(ps))
	idx := map[AccountID]int{}
	for _, p := range ps {
		if i, ok := idx[p.Account]; ok {
			out[i].Amount += p.Amount
			continue
		}
		idx[p.Account] = len(out)
		out = append(out, p)
	}
	kept := out[:0]
	for _, p := range out {
		if p.Amount != 0 {
			kept = append(kept, p)
		}
	}
	return kept
}

// checkPostings is the ledger's first invariant, checked before anything is
// written: at least two legs, each on a named account, summing to zero
// without overflow.
func checkPostings(ps []Posting) error {
	if len(ps) < 2 {
		return errf(ErrInvalid, "an operation needs at least two postings")
	}
	var sum int64
	for _, p := range ps {
		if p.Account == "" {
			return errf(ErrInvalid, "a posting has no account")
		}
		var ok bool
		if sum, ok = AddInt64(sum, p.Amount); !ok {
			return errf(ErrInvalid, "postings overflow")
		}
	}
	if sum != 0 {
		return errf(ErrInvalid, "postings sum to %d, not zero", sum)
	}
	return nil
}

func opSubject(o Operation) string {
	s := "op " + uitoa(uint64(o.ID))
	if o.ClientID != 0 {
		s += ", client " + uitoa(uint64(o.ClientID))
	}
	if o.BookingID != "" {
		s += ", booking " + o.BookingID
	}
	if o.Reverses != 0 {
		s += ", reverses op " + uitoa(uint64(o.Reverses))
	}
	if o.BelongsTo != "" {
		s += ", belongs to " + string(o.BelongsTo) + " (closed)"
	}
	return s
}

func postingsDetail(ps []Posting, f *Formatter, plain *plainAmounts) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		sign := "+"
		amt := p.Amount
		if amt < 0 {
			sign, amt = "-", -amt
		}
		v := fmt.Sprint(amt)
		if f != nil {
			v = plain.format(f, amt)
		}
		parts = append(parts, string(p.Account)+" "+sign+v)
	}
	return strings.Join(parts, "; ")
}

// plainAmounts writes amounts as f.Plain does, without CLDR's formatter
// (which builds a string replacer on every call) once one probe has shown
// what Plain makes of a number in this locale: ASCII digits, one decimal
// separator, nothing around them. Locales that write other digits keep
// f.Plain. It lives in a postEnv, so it is learnt once per transaction.
type plainAmounts struct {
	learnt bool
	ok     bool
	sep    string
}

const plainProbe = 1234567890123

func (p *plainAmounts) format(f *Formatter, amt int64) string {
	if p == nil || amt < 0 {
		return f.Plain(amt)
	}
	if !p.learnt {
		p.learnt = true
		p.sep, p.ok = plainSeparator(f.Plain(plainProbe), f.Digits())
	}
	if !p.ok {
		return f.Plain(amt)
	}
	return Decimal(amt, f.Digits(), p.sep)
}

// plainSeparator reads the decimal separator off Plain(plainProbe); ok is
// false unless the rest is exactly plainProbe's digits.
func plainSeparator(got string, digits int) (string, bool) {
	want := strconv.FormatInt(plainProbe, 10)
	if digits < 0 || digits >= len(want) {
		return "", false
	}
	if digits == 0 {
		return "", got == want
	}
	whole, frac := want[:len(want)-digits], want[len(want)-digits:]
	if !strings.HasPrefix(got, whole) || !strings.HasSuffix(got, frac) || len(got) <= len(whole)+len(frac) {
		return "", false
	}
	sep := got[len(whole) : len(got)-len(frac)]
	if strings.ContainsAny(sep, "0123456789") {
		return "", false
	}
	return sep, true
}

// AddInt64 adds without wrapping: money that overflows is refused, never
// silently turned negative; ok is false on overflow. The one such add
// (store and tui use it too).
func AddInt64(a, b int64) (int64, bool) {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		return 0, false
	}
	return c, true
}

// SubInt64 is a - b through AddInt64 (so there is still one checked add);
// b = MinInt64 has no negation and is refused as overflow.
func SubInt64(a, b int64) (int64, bool) {
	if b == math.MinInt64 {
		return 0, false
	}
	return AddInt64(a, -b)
}
