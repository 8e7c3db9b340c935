package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// Bucket names. Index buckets hold keys only (or a small sort value), so a
// listing is one cursor seek plus a walk, never a scan of everything.
var (
	bMeta         = []byte("meta")
	bSettings     = []byte("settings")
	bClients      = []byte("clients")         // id -> client JSON
	bClientPhone  = []byte("clients_phone")   // E.164 -> id
	bClientName   = []byte("clients_name")    // sort name 0 id -> phone digits
	bClientWord   = []byte("clients_word")    // name word 0 id -> search value
	bClientDigits = []byte("clients_digits")  // phone digit suffix 0 id -> search value
	bClientPrefix = []byte("clients_prefix")  // word prefix 0 sort name 0 id -> phone digits (schema 4)
	bOps          = []byte("ops")             // id -> operation (binary, opcodec.go; JSON before it)
	bOpKey        = []byte("ops_key")         // idempotency key -> id
	bOpClient     = []byte("ops_client")      // client id, op id -> the operation's bytes (schema 3)
	bOpDay        = []byte("ops_day")         // date, op id -> nil
	bOpBooking    = []byte("ops_booking")     // booking id 0 op id -> nil
	bBalances     = []byte("balances")        // account -> int64
	bRegDays      = []byte("register_days")   // register 0 date -> day aggregate
	bBookings     = []byte("bookings")        // id -> booking JSON
	bBookStatus   = []byte("bookings_status") // status 0 start nanos, id -> nil (schema 2)
	bBookClient   = []byte("bookings_client") // client id, start nanos, id -> status (schema 2)
	bBookStart    = []byte("bookings_start")  // start nanos, id -> status (schema 2)
	bRefunds      = []byte("refunds")         // key -> refund JSON
	bRefBooking   = []byte("refunds_booking") // booking id 0 key -> nil
	bStaff        = []byte("staff")           // name -> staff JSON
	bAudit        = []byte("audit")           // seq -> entry (binary, auditcodec.go; JSON before schema 8)
	bAuditTime    = []byte("audit_time")      // unix nanos, seq -> nil
	bInbox        = []byte("inbox")           // event id -> event JSON
	bInboxRecv    = []byte("inbox_received")  // unix nanos 0 event id -> nil
	bInboxDue     = []byte("inbox_due")       // created nanos 0 event id -> next try nanos
	bCursors      = []byte("cursors")         // name -> value
	bDayCloses    = []byte("day_closes")      // date 0 register -> close JSON (schema 6)
	bRegCloses    = []byte("closes_register") // register 0 date -> nil (schema 6)
	bSeals        = []byte("day_seals")       // date -> seal JSON (schema 6)
	bChanges      = []byte("changes")         // seq -> kind byte + record id (schema 7, changes.go)
	bCatalog      = []byte("catalog")         // item id -> catalogue item JSON (schema 9, catalog.go)
)

var keySchema = []byte("schema")

// migration brings the file from version-1 to version. Migrations run in
// order, all inside one transaction, so a failed upgrade leaves the file as it was.
type migration struct {
	version uint64
	name    string
	apply   func(tx *bolt.Tx) error
}

// migrations is the schema history. Append, never edit: files in the field
// were written by every earlier entry.
func migrations() []migration {
	return []migration{
		{version: 1, name: "initial buckets", apply: createBuckets},
		{version: 2, name: "booking indexes by start time", apply: rebuildBookingIndexes},
		{version: 3, name: "client history entries hold their operation", apply: copyOpsIntoClientHistory},
		{version: 4, name: "client search by word prefix in name order", apply: indexClientPrefixes},
		// Nothing to rewrite: JSON operations stay readable. The version says
		// that new ones are binary, so an older paydesk refuses the file with
		// "upgrade paydesk" instead of failing on the first one it reads.
		{version: 5, name: "operations as binary records", apply: func(*bolt.Tx) error { return nil }},
		{version: 6, name: "closed days and their seals", apply: createCloseBuckets},
		{version: 7, name: "change log of clients, bookings, refunds and staff for replication", apply: logExistingRecords},
		// As 5: JSON audit entries stay readable, new ones are binary
		// (auditcodec.go), and an older paydesk refuses the file.
		{version: 8, name: "audit entries as binary records", apply: func(*bolt.Tx) error { return nil }},
		{version: 9, name: "the service and product list", apply: createCatalogBucket},
	}
}

func allBuckets() [][]byte {
	return [][]byte{bMeta, bSettings, bClients, bClientPhone, bClientName, bClientWord, bClientDigits,
		bOps, bOpKey, bOpClient, bOpDay, bOpBooking, bBalances, bRegDays, bBookings, bBookStatus,
		bBookClient, bRefunds, bRefBooking, bStaff, bAudit, bAuditTime, bInbox, bInboxRecv, bInboxDue, bCursors,
		bBookStart, bClientPrefix, bDayCloses, bRegCloses, bSeals, bChanges, bCatalog}
}

func createBuckets(tx *bolt.Tx) error {
	for _, name := range allBuckets() {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("creating bucket %s: %w", name, err)
		}
	}
	return nil
}

// SchemaVersion is the newest schema this binary writes.
func SchemaVersion() uint64 {
	m := migrations()
	return m[len(m)-1].version
}

func (db *DB) migrate(migs []migration) error {
	latest := uint64(0)
	if len(migs) > 0 {
		latest = migs[len(migs)-1].version
	}
	// A read first, so a current file is not written to on every start.
	var have uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		have, err = schemaOf(tx, db.path)
		return err
	})
	if err != nil {
		return err
	}
	if have > latest {
		return fmt.Errorf("%w: database %s has schema version %d, newer than this paydesk understands (%d): upgrade paydesk",
			finance.ErrInvalid, db.path, have, latest)
	}
	if have == latest {
		return db.checkBuckets()
	}
	if db.readOnly {
		return fmt.Errorf("%w: database %s has schema version %d and this paydesk reads %d; a read-only open does not upgrade it: "+
			"run a paydesk command that writes on it (or on a copy) once", ErrNeedsUpgrade, db.path, have, latest)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		for _, m := range migs {
			if m.version <= have {
				continue
			}
			if err := m.apply(tx); err != nil {
				return fmt.Errorf("schema migration %d (%s): %w", m.version, m.name, err)
			}
			have = m.version
		}
		return meta.Put(keySchema, u64(have))
	})
	if err != nil {
		return fmt.Errorf("upgrading database %s: %w", db.path, err)
	}
	return db.checkBuckets()
}

// schemaOf reads the schema version; 0 means a new, empty file. A bbolt file
// with other people's buckets in it is not ours to touch.
func schemaOf(tx *bolt.Tx, path string) (uint64, error) {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		foreign := false
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			foreign = true
			return nil
		})
		if foreign {
			return 0, fmt.Errorf("%w: %s is a bbolt file but not a paydesk database", finance.ErrInvalid, path)
		}
		return 0, nil
	}
	v := meta.Get(keySchema)
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: database %s has no valid schema version", finance.ErrInvalid, path)
	}
	return binary.BigEndian.Uint64(v), nil
}

// checkBuckets makes sure every bucket the code touches exists, so the
// transaction methods can use them without nil checks.
func (db *DB) checkBuckets() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets() {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%w: database %s is missing bucket %q (damaged file?)", finance.ErrInvalid, db.path, name)
			}
		}
		return nil
	})
}
