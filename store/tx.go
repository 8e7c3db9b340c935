package store

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// tx implements finance.Tx (and so finance.ReadTx) over one bbolt
// transaction. In a View the bbolt tx is read-only and any write fails.
type tx struct {
	btx   *bolt.Tx
	cache *settingsCache
}

var _ finance.Tx = (*tx)(nil)

func newTx(btx *bolt.Tx, cache *settingsCache) *tx { return &tx{btx: btx, cache: cache} }

// settingsCache keeps the last decoded settings per open database: balances
// and day totals need the registers' start balances on every call, and the
// stored bytes rarely change. A cached value is used only while the stored
// bytes are identical, so every transaction still sees its own snapshot.
type settingsCache struct {
	mu  sync.Mutex
	raw []byte
	s   finance.Settings
}

func (t *tx) b(name []byte) *bolt.Bucket {
	b := t.btx.Bucket(name)
	if b != nil && appendOnly(name) {
		b.FillPercent = appendFill
	}
	return b
}

// appendFill is how full bbolt leaves a page it splits in buckets whose keys
// only grow (sequence numbers, times). bbolt's default, half full, suits
// inserts anywhere; for appends it leaves every page half empty forever and
// makes each commit write twice the pages the new records need.
const appendFill = 0.95

func appendOnly(name []byte) bool {
	switch string(name) { // the conversion does not allocate in a switch
	case string(bOps), string(bAudit), string(bAuditTime), string(bOpDay), string(bInboxRecv):
		return true
	}
	return false
}

// ---- settings

var keySettings = []byte("settings")

func (t *tx) Settings() (finance.Settings, error) {
	s, err := t.settingsRef()
	if err != nil {
		return s, err
	}
	s.Registers = append([]finance.Register(nil), s.Registers...)
	return s, nil
}

// settingsRef is Settings without the defensive copy, for reads inside the store.
func (t *tx) settingsRef() (finance.Settings, error) {
	v := t.b(bSettings).Get(keySettings)
	if v == nil {
		return finance.Settings{}, fmt.Errorf("%w: run setup first", finance.ErrNotInitialized)
	}
	if t.cache == nil {
		var s finance.Settings
		err := getJSON(v, &s)
		return s, err
	}
	t.cache.mu.Lock()
	defer t.cache.mu.Unlock()
	if t.cache.raw != nil && bytes.Equal(v, t.cache.raw) {
		return t.cache.s, nil
	}
	var s finance.Settings
	if err := getJSON(v, &s); err != nil {
		return s, err
	}
	t.cache.raw, t.cache.s = bytes.Clone(v), s
	return s, nil
}

func (t *tx) PutSettings(s finance.Settings) error {
	seen := map[string]bool{}
	for _, r := range s.Registers {
		if r.ID == "" {
			return fmt.Errorf("%w: a register has no id", finance.ErrInvalid)
		}
		if seen[r.ID] {
			return fmt.Errorf("%w: register id %q appears twice", finance.ErrInvalid, r.ID)
		}
		seen[r.ID] = true
	}
	return putJSON(t.b(bSettings).Put, keySettings, s)
}

// startBalance is a register's balance before its first operation, and
// whether the register is configured at all.
func (t *tx) startBalance(register string) (int64, bool) {
	s, err := t.settingsRef()
	if err != nil {
		return 0, false
	}
	for _, r := range s.Registers {
		if r.ID == register {
			return r.StartBalance, true
		}
	}
	return 0, false
}

// ---- cursors

func (t *tx) Cursor(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	return string(t.b(bCursors).Get([]byte(name))), nil
}

func (t *tx) SetCursor(name, value string) error {
	if name == "" {
		return fmt.Errorf("%w: cursor has no name", finance.ErrInvalid)
	}
	if value == "" {
		return t.b(bCursors).Delete([]byte(name))
	}
	return t.b(bCursors).Put([]byte(name), []byte(value))
}

// ---- staff

func (t *tx) Staff(name string) (finance.Staff, error) {
	var s finance.Staff
	if name == "" {
		return s, fmt.Errorf("staff member with no name %w", finance.ErrNotFound)
	}
	v := t.b(bStaff).Get([]byte(name))
	if v == nil {
		return s, fmt.Errorf("staff member %q %w", name, finance.ErrNotFound)
	}
	err := getJSON(v, &s)
	return s, err
}

// StaffList lists staff by name.
func (t *tx) StaffList() ([]finance.Staff, error) {
	var out []finance.Staff
	err := t.b(bStaff).ForEach(func(_, v []byte) error {
		var s finance.Staff
		if err := getJSON(v, &s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

func (t *tx) PutStaff(s finance.Staff) error {
	if s.Name == "" {
		return fmt.Errorf("%w: staff member has no name", finance.ErrInvalid)
	}
	old, err := t.Staff(s.Name)
	if err := putJSON(t.b(bStaff).Put, []byte(s.Name), s); err != nil {
		return err
	}
	// Only what a replica keeps (name, role, disabled, created) is logged: a
	// PIN try rewrites the record on every login and is nobody else's business.
	if err != nil || old.Role != s.Role || old.Disabled != s.Disabled || !old.Created.Equal(s.Created) {
		return t.logChange(finance.ChangeStaff, s.Name)
	}
	return nil
}

// ---- audit

func (t *tx) AppendAudit(e *finance.AuditEntry) error {
	if e == nil {
		return fmt.Errorf("%w: no audit entry", finance.ErrInvalid)
	}
	b := t.b(bAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("numbering audit entry: %w", err)
	}
	e.Seq = seq
	v, err := encodeAudit(e)
	if err != nil {
		return err
	}
	if err := b.Put(u64(seq), v); err != nil {
		return err
	}
	return t.b(bAuditTime).Put(idID(getU64(timeKey(e.Time)), seq), nil)
}

// Audit lists entries at or after since, oldest first; limit <= 0 means all.
func (t *tx) Audit(since time.Time, limit int) ([]finance.AuditEntry, error) {
	var out []finance.AuditEntry
	c := t.b(bAuditTime).Cursor()
	audit := t.b(bAudit)
	for k, _ := c.Seek(timeKey(since)); k != nil; k, _ = c.Next() {
		if limit > 0 && len(out) >= limit {
			break
		}
		e, err := auditAt(audit, k)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// auditAt reads the entry a time-index key points at.
func auditAt(audit *bolt.Bucket, k []byte) (finance.AuditEntry, error) {
	v := audit.Get(u64(tail8(k)))
	if v == nil {
		return finance.AuditEntry{}, fmt.Errorf("audit index points at missing entry %d (damaged file?)", tail8(k))
	}
	return decodeAudit(v)
}

var _ finance.AuditTailReader = (*tx)(nil)

// AuditNewest lists entries at or after since, newest first, walking the
// time index from its end; limit <= 0 means all.
func (t *tx) AuditNewest(since time.Time, limit int) ([]finance.AuditEntry, error) {
	var out []finance.AuditEntry
	c := t.b(bAuditTime).Cursor()
	audit := t.b(bAudit)
	from := timeKey(since)
	for k, _ := c.Last(); k != nil && bytes.Compare(k, from) >= 0; k, _ = c.Prev() {
		if limit > 0 && len(out) >= limit {
			break
		}
		e, err := auditAt(audit, k)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
