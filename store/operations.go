package store

import (
	"bytes"
	"encoding/binary"

	"errors"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

func (t *tx) Operation(id finance.OperationID) (finance.Operation, error) {
	v := t.b(bOps).Get(u64(uint64(id)))
	if v == nil {
		return finance.Operation{}, fmt.Errorf("operation %d %w", id, finance.ErrNotFound)
	}
	return decodeOperation(v)
}

func (t *tx) OperationByKey(key string) (finance.Operation, error) {
	if key == "" {
		return finance.Operation{}, fmt.Errorf("operation with an empty key %w", finance.ErrNotFound)
	}
	v := t.b(bOpKey).Get([]byte(key))
	if v == nil {
		return finance.Operation{}, fmt.Errorf("operation with key %q %w", key, finance.ErrNotFound)
	}
	return t.Operation(finance.OperationID(getU64(v)))
}

func (t *tx) LastOperationID() (finance.OperationID, error) {
	k, _ := t.b(bOps).Cursor().Last()
	return finance.OperationID(getU64(k)), nil
}

func (t *tx) ForEachOperation(fn func(finance.Operation) error) error {
	return t.b(bOps).ForEach(func(_, v []byte) error {
		op, err := decodeOperation(v)
		if err != nil {
			return err
		}
		return fn(op)
	})
}

// ClientOperations lists a client's operations newest first, at most
// p.Limit (<= 0: all) with IDs below p.Before (0: from the newest).
//
// Each ops_client entry holds a copy of the operation (the very bytes stored
// under its id), so a page is read from adjacent keys: a client's operations
// are spread over years of the ops bucket, and loading each by id costs a
// page fault apiece on a desk that has not read those pages yet.
func (t *tx) ClientOperations(id finance.ClientID, p finance.Page) ([]finance.Operation, error) {
	c := t.b(bOpClient).Cursor()
	prefix := u64(uint64(id))
	var k, v []byte
	if p.Before == 0 {
		// Seek past this client's last entry, then step back.
		if k, _ = c.Seek(u64(uint64(id) + 1)); k == nil || uint64(id) == ^uint64(0) {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		k, _ = c.Seek(idID(uint64(id), uint64(p.Before)))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	var out []finance.Operation
	for ; k != nil && hasPrefix(k, prefix); k, v = c.Prev() {
		if p.Limit > 0 && len(out) >= p.Limit {
			break
		}
		if len(v) == 0 {
			return nil, fmt.Errorf("client %d's history entry for operation %d has no copy of it (damaged file?)", id, tail8(k))
		}
		op, err := decodeOperation(v)
		if err != nil {
			return nil, fmt.Errorf("client history: %w", err)
		}
		out = append(out, op)
	}
	return out, nil
}

// DayOperations lists a business day's operations oldest first.
func (t *tx) DayOperations(d finance.Date) ([]finance.Operation, error) {
	if _, err := finance.ParseDate(string(d)); err != nil {
		return nil, err
	}
	return t.opsUnder(bOpDay, []byte(d))
}

func (t *tx) BookingOperations(bookingID string) ([]finance.Operation, error) {
	if bookingID == "" {
		return nil, nil
	}
	return t.opsUnder(bOpBooking, join([]byte(bookingID), nil))
}

// opsUnder loads the operations an index lists under a key prefix, in index order.
//
// The operations are read with one cursor that steps to the next id when
// the index lists consecutive ids (a day's operations mostly are), instead
// of a search from the root for each: a sealed day's verify reads them all.
func (t *tx) opsUnder(bucket, prefix []byte) ([]finance.Operation, error) {
	c := t.b(bucket).Cursor()
	ops := t.b(bOps).Cursor()
	var out []finance.Operation
	var at []byte // the ops cursor's key, nil before the first read
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != len(prefix)+8 {
			continue
		}
		id := tail8(k)
		var v []byte
		if at != nil && getU64(at)+1 == id {
			at, v = ops.Next()
		} else {
			at, v = ops.Seek(u64(id))
		}
		if at == nil || getU64(at) != id || v == nil {
			return nil, fmt.Errorf("%s index: operation %d %w (damaged file?)", bucket, id, finance.ErrNotFound)
		}
		op, err := decodeOperation(v)
		if err != nil {
			return nil, fmt.Errorf("%s index: operation %d: %w", bucket, id, err)
		}
		out = append(out, op)
	}
	return out, nil
}

// Balance is the sum of an account's postings, plus a register's start
// balance. An account nothing was ever posted to has balance 0 (plus start).
func (t *tx) Balance(acc finance.AccountID) (int64, error) {
	bal := getI64(t.b(bBalances).Get([]byte(acc)))
	if reg, ok := finance.RegisterOf(acc); ok {
		start, _ := t.startBalance(reg)
		sum, ok := finance.AddInt64(bal, start)
		if !ok {
			return 0, fmt.Errorf("%w: balance of %s overflows", finance.ErrInvalid, acc)
		}
		return sum, nil
	}
	return bal, nil
}

// AppendOperation stores op with all its indexes, balances and day
// aggregates. It sets op.ID and nothing else.
func (t *tx) AppendOperation(op *finance.Operation) error {
	if err := validateOp(op); err != nil {
		return err
	}
	if v := t.b(bOpKey).Get([]byte(op.Key)); v != nil {
		return fmt.Errorf("%w: operation key %q was already used by operation %d", finance.ErrConflict, op.Key, getU64(v))
	}
	clients, err := t.opClients(op)
	if err != nil {
		return err
	}

	// Balances first: an overflow refuses the operation before anything is numbered.
	bal := t.b(bBalances)
	newBal := map[finance.AccountID]int64{}
	for _, p := range op.Postings {
		cur, ok := newBal[p.Account]
		if !ok {
			cur = getI64(bal.Get([]byte(p.Account)))
		}
		sum, ok := finance.AddInt64(cur, p.Amount)
		if ok {
			// Reads add a register's start balance, so the stored sum must
			// leave room for it or the register's balance wraps around.
			if reg, isReg := finance.RegisterOf(p.Account); isReg {
				start, _ := t.startBalance(reg)
				_, ok = finance.AddInt64(sum, start)
			}
		}
		if !ok {
			return fmt.Errorf("%w: balance of %s would overflow", finance.ErrInvalid, p.Account)
		}
		newBal[p.Account] = sum
	}

	ops := t.b(bOps)
	seq, err := ops.NextSequence()
	if err != nil {
		return fmt.Errorf("numbering operation: %w", err)
	}
	op.ID = finance.OperationID(seq)
	raw, err := encodeOperation(op)
	if err != nil {
		op.ID = 0
		return fmt.Errorf("encoding operation: %w", err)
	}
	if err := ops.Put(u64(seq), raw); err != nil {
		return err
	}
	for acc, v := range newBal {
		if err := bal.Put([]byte(acc), i64(v)); err != nil {
			return err
		}
	}
	if err := t.b(bOpKey).Put([]byte(op.Key), u64(seq)); err != nil {
		return err
	}
	for _, c := range clients {
		if err := t.b(bOpClient).Put(idID(uint64(c), seq), raw); err != nil {
			return err
		}
	}
	if err := t.b(bOpDay).Put(append([]byte(op.BusinessDate), u64(seq)...), nil); err != nil {
		return err
	}
	if op.BookingID != "" {
		if err := t.b(bOpBooking).Put(strID(op.BookingID, seq), nil); err != nil {
			return err
		}
	}
	return t.addToDays(op)
}

// MarkReversed links an original operation to its reversal. Marking the same
// pair twice is a no-op; marking an already reversed original again is refused.
// The client history copies of the original are rewritten with it.
func (t *tx) MarkReversed(original, reversal finance.OperationID) error {
	orig, err := t.Operation(original)
	if err != nil {
		return err
	}
	if _, err := t.Operation(reversal); err != nil {
		return err
	}
	if original == reversal {
		return fmt.Errorf("%w: operation %d cannot reverse itself", finance.ErrInvalid, original)
	}
	switch orig.ReversedBy {
	case reversal:
		return nil
	case 0:
	default:
		return fmt.Errorf("%w: operation %d was already reversed by operation %d", finance.ErrAlreadyReversed, original, orig.ReversedBy)
	}
	orig.ReversedBy = reversal
	raw, err := encodeOperation(&orig)
	if err != nil {
		return fmt.Errorf("encoding operation: %w", err)
	}
	if err := t.b(bOps).Put(u64(uint64(original)), raw); err != nil {
		return err
	}
	clients, err := t.opClients(&orig)
	if err != nil {
		return err
	}
	for _, c := range clients {
		if err := t.b(bOpClient).Put(idID(uint64(c), uint64(original)), raw); err != nil {
			return err
		}
	}
	return nil
}

// copyOpsIntoClientHistory is schema 3: client history entries, until then
// keys only, get a copy of their operation. The index's membership is kept
// as it is; only values are filled in.
func copyOpsIntoClientHistory(btx *bolt.Tx) error {
	ops, hist := btx.Bucket(bOps), btx.Bucket(bOpClient)
	if ops == nil || hist == nil {
		return fmt.Errorf("%w: missing operations buckets", finance.ErrInvalid)
	}
	// Keys are gathered in chunks and written after: a put moves the cursor.
	const chunk = 10_000
	var from []byte
	for {
		var keys [][]byte
		c := hist.Cursor()
		k, _ := c.First()
		if from != nil {
			if k, _ = c.Seek(from); k != nil && bytes.Equal(k, from) {
				k, _ = c.Next()
			}
		}
		for ; k != nil && len(keys) < chunk; k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		if len(keys) == 0 {
			return nil
		}
		for _, k := range keys {
			v := ops.Get(u64(tail8(k)))
			if len(k) != 16 || v == nil {
				return fmt.Errorf("%w: client history entry %x names no operation (damaged file?)", finance.ErrInvalid, k)
			}
			if err := hist.Put(k, bytes.Clone(v)); err != nil {
				return err
			}
		}
		from = keys[len(keys)-1]
	}
}

// checkClientHistory reports client history entries that differ from the
// operation they copy, or that point at no operation. A copy is written in
// the same transaction as its original, so any difference is damage.
func (t *tx) checkClientHistory(report func(error) bool) {
	ops := t.b(bOps)
	c := t.b(bOpClient).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 16 {
			if !report(fmt.Errorf("client history key %x is not a client and operation id", k)) {
				return
			}
			continue
		}
		client, id := getU64(k), tail8(k)
		orig := ops.Get(u64(id))
		switch {
		case orig == nil:
			if !report(fmt.Errorf("client %d's history lists operation %d, which does not exist", client, id)) {
				return
			}
		case !bytes.Equal(orig, v):
			if !report(fmt.Errorf("client %d's history copy of operation %d differs from the operation", client, id)) {
				return
			}
		}
	}
}

func validateOp(op *finance.Operation) error {
	if op == nil {
		return fmt.Errorf("%w: no operation", finance.ErrInvalid)
	}
	if op.Key == "" {
		return fmt.Errorf("%w: operation has no idempotency key", finance.ErrInvalid)
	}
	if _, err := finance.ParseDate(string(op.BusinessDate)); err != nil {
		return fmt.Errorf("operation business date: %w", err)
	}
	if len(op.Postings) < 2 {
		return fmt.Errorf("%w: an operation needs at least two postings, got %d", finance.ErrInvalid, len(op.Postings))
	}
	var sum int64
	for _, p := range op.Postings {
		if p.Account == "" {
			return fmt.Errorf("%w: a posting has no account", finance.ErrInvalid)
		}
		var ok bool
		if sum, ok = finance.AddInt64(sum, p.Amount); !ok {
			return fmt.Errorf("%w: postings overflow", finance.ErrInvalid)
		}
	}
	if sum != 0 {
		return fmt.Errorf("%w: postings sum to %d, not zero", finance.ErrInvalid, sum)
	}
	return nil
}

// opClients is every client whose history shows op: the one it names and
// any whose deposit it posts to. Each must exist.
func (t *tx) opClients(op *finance.Operation) ([]finance.ClientID, error) {
	var out []finance.ClientID
	add := func(id finance.ClientID) error {
		for _, c := range out {
			if c == id {
				return nil
			}
		}
		if t.b(bClients).Get(u64(uint64(id))) == nil {
			return fmt.Errorf("operation names client %d, who is %w", id, finance.ErrNotFound)
		}
		out = append(out, id)
		return nil
	}
	if op.ClientID != 0 {
		if err := add(op.ClientID); err != nil {
			return nil, err
		}
	}
	for _, p := range op.Postings {
		if !finance.IsClientAccount(p.Account) {
			continue
		}
		n, ok := finance.ClientOf(p.Account)
		if !ok || n == 0 {
			return nil, fmt.Errorf("%w: %q is not a client account", finance.ErrInvalid, p.Account)
		}
		if err := add(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ---- per-register day aggregates

// dayAgg is what is stored per register and business day. Closing is the
// running sum of the register's postings through the day, without the start
// balance, which is added on read so a settings change cannot stale it.
// It is read on every totals screen and rewritten for each later day by a
// backdated posting, so it has a compact binary form (see encode).
type dayAgg struct {
	Closing int64
	In      int64
	Out     int64
	Count   int
	ByKind  map[finance.OpKind]int64
}

// encode: varints closing, in, out, count, number of kinds, then per kind
// (sorted) its name length, name and net amount.
func (a dayAgg) encode() []byte {
	b := make([]byte, 0, 48+16*len(a.ByKind))
	b = binary.AppendVarint(b, a.Closing)
	b = binary.AppendVarint(b, a.In)
	b = binary.AppendVarint(b, a.Out)
	b = binary.AppendVarint(b, int64(a.Count))
	kinds := make([]string, 0, len(a.ByKind))
	for k := range a.ByKind {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	b = binary.AppendUvarint(b, uint64(len(kinds)))
	for _, k := range kinds {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendVarint(b, a.ByKind[finance.OpKind(k)])
	}
	return b
}

var errBadAgg = errors.New("damaged day aggregate record")

func decodeDayAgg(b []byte) (dayAgg, error) {
	var a dayAgg
	next := func() int64 {
		v, n := binary.Varint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return v
	}
	a.Closing, a.In, a.Out, a.Count = next(), next(), next(), int(next())
	nk, n := binary.Uvarint(b)
	if n <= 0 || nk > uint64(len(b)) {
		return a, errBadAgg
	}
	b = b[n:]
	a.ByKind = make(map[finance.OpKind]int64, nk)
	for i := uint64(0); i < nk; i++ {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return a, errBadAgg
		}
		kind := finance.OpKind(b[n : n+int(l)])
		b = b[n+int(l):]
		v, m := binary.Varint(b)
		if m <= 0 {
			return a, errBadAgg
		}
		b = b[m:]
		a.ByKind[kind] = v
	}
	if len(b) != 0 {
		return a, errBadAgg
	}
	return a, nil
}

func dayKey(register string, d finance.Date) []byte {
	return join([]byte(register), []byte(d))
}

func (t *tx) addToDays(op *finance.Operation) error {
	type delta struct {
		in, out, net int64
		count        int
	}
	var regs []string
	deltas := map[string]*delta{}
	for _, p := range op.Postings {
		reg, ok := finance.RegisterOf(p.Account)
		if !ok {
			continue
		}
		d := deltas[reg]
		if d == nil {
			d = &delta{}
			deltas[reg] = d
			regs = append(regs, reg)
		}
		if p.Amount >= 0 {
			d.in += p.Amount
		} else {
			d.out -= p.Amount
		}
		d.net += p.Amount
		d.count++
	}
	b := t.b(bRegDays)
	for _, reg := range regs {
		d := deltas[reg]
		key := dayKey(reg, op.BusinessDate)
		c := b.Cursor()
		var agg dayAgg
		var err error
		k, v := c.Seek(key)
		if k != nil && string(k) == string(key) {
			if agg, err = decodeDayAgg(v); err != nil {
				return err
			}
		} else if pk, pv := c.Prev(); pk != nil && hasPrefix(pk, join([]byte(reg), nil)) {
			// A new day opens with the closing of the last earlier day.
			prev, err := decodeDayAgg(pv)
			if err != nil {
				return err
			}
			agg.Closing = prev.Closing
		}
		agg.In += d.in
		agg.Out += d.out
		agg.Count += d.count
		agg.Closing += d.net
		if agg.ByKind == nil {
			agg.ByKind = map[finance.OpKind]int64{}
		}
		agg.ByKind[op.Kind] += d.net
		if err := b.Put(key, agg.encode()); err != nil {
			return err
		}
		if d.net != 0 {
			if err := t.shiftLaterDays(reg, op.BusinessDate, d.net); err != nil {
				return err
			}
		}
	}
	return nil
}

// shiftLaterDays moves the closing of every day after d by net: a backdated
// posting changes what each later day opened and closed with.
func (t *tx) shiftLaterDays(reg string, d finance.Date, net int64) error {
	b := t.b(bRegDays)
	prefix := join([]byte(reg), nil)
	var later [][]byte
	c := b.Cursor()
	k, _ := c.Seek(dayKey(reg, d))
	if k != nil && string(k) == string(dayKey(reg, d)) {
		k, _ = c.Next()
	}
	for ; k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		later = append(later, append([]byte(nil), k...))
	}
	for _, k := range later {
		agg, err := decodeDayAgg(b.Get(k))
		if err != nil {
			return fmt.Errorf("register %s: %w", reg, err)
		}
		agg.Closing += net
		if err := b.Put(k, agg.encode()); err != nil {
			return err
		}
	}
	return nil
}

// RegisterDay reads one register's totals for a day from its aggregate.
func (t *tx) RegisterDay(register string, d finance.Date) (finance.DayTotals, error) {
	days, err := t.RegisterDays(register, d, d)
	if err != nil {
		return finance.DayTotals{}, err
	}
	return days[0], nil
}

// maxDays bounds one RegisterDays call (about ten years).
const maxDays = 3700

// RegisterDays reads from..to inclusive with one seek and a forward walk.
func (t *tx) RegisterDays(register string, from, to finance.Date) ([]finance.DayTotals, error) {
	if _, err := finance.ParseDate(string(from)); err != nil {
		return nil, err
	}
	if _, err := finance.ParseDate(string(to)); err != nil {
		return nil, err
	}
	if to < from {
		return nil, fmt.Errorf("%w: date range %s..%s ends before it starts", finance.ErrInvalid, from, to)
	}
	start, known := t.startBalance(register)
	b := t.b(bRegDays)
	prefix := join([]byte(register), nil)
	c := b.Cursor()
	c.Seek(dayKey(register, from)) // to step back to the day before from
	var closing int64
	if pk, pv := c.Prev(); pk != nil && hasPrefix(pk, prefix) {
		prev, err := decodeDayAgg(pv)
		if err != nil {
			return nil, err
		}
		closing = prev.Closing
		known = true
	}
	// Re-seek: Prev moved the cursor.
	k, v := c.Seek(dayKey(register, from))
	if !known && (k == nil || !hasPrefix(k, prefix)) {
		return nil, fmt.Errorf("register %q %w", register, finance.ErrNotFound)
	}
	var out []finance.DayTotals
	for d := from; d <= to; d = d.AddDays(1) {
		if len(out) >= maxDays {
			return nil, fmt.Errorf("%w: date range %s..%s is longer than %d days", finance.ErrInvalid, from, to, maxDays)
		}
		dt := finance.DayTotals{Register: register, Date: d, ByKind: map[finance.OpKind]int64{}}
		if k != nil && hasPrefix(k, prefix) && string(k[len(prefix):]) == string(d) {
			agg, err := decodeDayAgg(v)
			if err != nil {
				return nil, err
			}
			dt.In, dt.Out, dt.Count, dt.ByKind = agg.In, agg.Out, agg.Count, agg.ByKind
			dt.Opening = agg.Closing - agg.In + agg.Out
			closing = agg.Closing
			k, v = c.Next()
		} else {
			dt.Opening = closing
		}
		dt.Opening += start
		dt.Closing = closing + start
		out = append(out, dt)
	}
	return out, nil
}
