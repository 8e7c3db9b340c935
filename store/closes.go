package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// Closed days (schema 6). A close and a seal are written once and never
// rewritten: the finance rules refuse to reopen a day, and the puts here
// refuse a second record for the same key.

func (t *tx) DayClose(d finance.Date, register string) (finance.DayClose, error) {
	var c finance.DayClose
	v := t.b(bDayCloses).Get(join([]byte(d), []byte(register)))
	if v == nil {
		return c, fmt.Errorf("close of register %q on %s %w", register, d, finance.ErrNotFound)
	}
	err := getJSON(v, &c)
	return c, err
}

func (t *tx) DayCloses(d finance.Date) ([]finance.DayClose, error) {
	prefix := join([]byte(d), nil)
	c := t.b(bDayCloses).Cursor()
	var out []finance.DayClose
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		var dc finance.DayClose
		if err := getJSON(v, &dc); err != nil {
			return nil, fmt.Errorf("close %q: %w", k, err)
		}
		out = append(out, dc)
	}
	return out, nil
}

func (t *tx) LastClose(register string) (finance.DayClose, error) {
	prefix := join([]byte(register), nil)
	c := t.b(bRegCloses).Cursor()
	// Dates are ASCII digits and dashes, all below 0xff.
	k, _ := c.Seek(append(prefix, 0xff))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || !hasPrefix(k, prefix) {
		return finance.DayClose{}, fmt.Errorf("a close of register %q %w", register, finance.ErrNotFound)
	}
	return t.DayClose(finance.Date(k[len(prefix):]), register)
}

func (t *tx) PutDayClose(dc finance.DayClose) error {
	if _, err := finance.ParseDate(string(dc.Date)); err != nil {
		return err
	}
	if dc.Register == "" {
		return fmt.Errorf("%w: a close names no register", finance.ErrInvalid)
	}
	key := join([]byte(dc.Date), []byte(dc.Register))
	b := t.b(bDayCloses)
	if b.Get(key) != nil {
		return fmt.Errorf("%w: register %s is already closed for %s", finance.ErrConflict, dc.Register, dc.Date)
	}
	if err := putJSON(b.Put, key, dc); err != nil {
		return err
	}
	if err := t.b(bRegCloses).Put(join([]byte(dc.Register), []byte(dc.Date)), nil); err != nil {
		return err
	}
	return t.logChange(finance.ChangeClose, string(dc.Date)+"/"+dc.Register)
}

func (t *tx) DaySeal(d finance.Date) (finance.DaySeal, error) {
	var s finance.DaySeal
	v := t.b(bSeals).Get([]byte(d))
	if v == nil {
		return s, fmt.Errorf("seal of %s %w", d, finance.ErrNotFound)
	}
	err := getJSON(v, &s)
	return s, err
}

func (t *tx) LastSeal() (finance.DaySeal, error) {
	k, v := t.b(bSeals).Cursor().Last()
	if k == nil {
		return finance.DaySeal{}, fmt.Errorf("a sealed day %w", finance.ErrNotFound)
	}
	var s finance.DaySeal
	err := getJSON(v, &s)
	return s, err
}

func (t *tx) ForEachSeal(fn func(finance.DaySeal) error) error {
	return t.b(bSeals).ForEach(func(k, v []byte) error {
		var s finance.DaySeal
		if err := getJSON(v, &s); err != nil {
			return fmt.Errorf("seal of %s: %w", k, err)
		}
		return fn(s)
	})
}

func (t *tx) PutDaySeal(s finance.DaySeal) error {
	if _, err := finance.ParseDate(string(s.Date)); err != nil {
		return err
	}
	b := t.b(bSeals)
	if b.Get([]byte(s.Date)) != nil {
		return fmt.Errorf("%w: %s is already sealed", finance.ErrConflict, s.Date)
	}
	if err := putJSON(b.Put, []byte(s.Date), s); err != nil {
		return err
	}
	return t.logChange(finance.ChangeSeal, string(s.Date))
}

// OperationDayBefore reads the day index just below d.
func (t *tx) OperationDayBefore(d finance.Date) (finance.Date, error) {
	c := t.b(bOpDay).Cursor()
	k, _ := c.Seek([]byte(d))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil {
		return "", nil
	}
	if len(k) <= 8 {
		return "", fmt.Errorf("day index key %x is not a date and an id (damaged file?)", k)
	}
	return finance.Date(k[:len(k)-8]), nil
}

// DayOperationIDs walks the day index's keys for d.
func (t *tx) DayOperationIDs(d finance.Date) ([]finance.OperationID, error) {
	prefix := []byte(d)
	c := t.b(bOpDay).Cursor()
	var out []finance.OperationID
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) == len(prefix)+8 {
			out = append(out, finance.OperationID(tail8(k)))
		}
	}
	return out, nil
}

// RegisterDayBefore reads the register's day aggregates just below d.
func (t *tx) RegisterDayBefore(register string, d finance.Date) (finance.Date, error) {
	prefix := join([]byte(register), nil)
	c := t.b(bRegDays).Cursor()
	k, _ := c.Seek(dayKey(register, d))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || !hasPrefix(k, prefix) {
		return "", nil
	}
	return finance.Date(k[len(prefix):]), nil
}

// createCloseBuckets is schema 6.
func createCloseBuckets(btx *bolt.Tx) error {
	for _, name := range [][]byte{bDayCloses, bRegCloses, bSeals} {
		if _, err := btx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("creating bucket %s: %w", name, err)
		}
	}
	return nil
}
