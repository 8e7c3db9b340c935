package replicate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paydesk/paydesk/finance"
)

// localCursorName is where the local file keeps what the central database
// confirmed, so `paydesk replicate status` can say how far behind it is with
// no network, and which file identity this location ships under.
const localCursorName = "replicate"

// LocalCursor is the replication state kept in the local file.
type LocalCursor struct {
	Location string    `json:"location"`
	FileID   string    `json:"file_id"` // this file's identity at the central database
	Shipped  Cursor    `json:"shipped"` // confirmed by the central database
	At       time.Time `json:"at"`      // when it was confirmed
}

// ReadLocalCursor reads the replication state from the local file (zero
// before the first replication).
func ReadLocalCursor(ctx context.Context, st finance.Store) (LocalCursor, error) {
	var lc LocalCursor
	err := st.View(ctx, func(tx finance.ReadTx) error {
		v, err := tx.Cursor(localCursorName)
		if err != nil || v == "" {
			return err
		}
		if err := json.Unmarshal([]byte(v), &lc); err != nil {
			return fmt.Errorf("the stored replication cursor is damaged: %w", err)
		}
		return nil
	})
	return lc, err
}

func writeLocalCursor(ctx context.Context, st finance.Store, lc LocalCursor) error {
	b, err := json.Marshal(lc)
	if err != nil {
		return err
	}
	return st.Update(ctx, func(tx finance.Tx) error { return tx.SetCursor(localCursorName, string(b)) })
}

// Options configure a Replicator.
type Options struct {
	URL      string        // postgres://... (the [replicate] url)
	Location string        // the stable location id (the [replicate] location)
	Store    finance.Store // the local books
	Log      *slog.Logger
	// Poll is how often it looks for new writes when caught up (default 1s).
	Poll time.Duration
	// MaxBackoff caps the wait between attempts to reach the database (default 30s).
	MaxBackoff time.Duration

	limits limits
	// beforeCommit, in tests, runs after a batch is written and before its
	// transaction commits: a crash there must lose nothing and double nothing.
	beforeCommit func(b *batch) error
}

// Replicator ships one location's books to the central database. Run it in
// its own goroutine: it only ever holds short bbolt read transactions (and a
// tiny write for the local cursor), so the desk never waits for it.
type Replicator struct {
	o Options

	mu     sync.Mutex
	status Status
	poke   chan struct{}

	localAt time.Time // last write of the local cursor (only Run's goroutine)
}

// localEvery bounds how often a busy backfill writes the local cursor: it
// is a bbolt write, and the central cursor is the one resuming relies on.
const localEvery = 5 * time.Second

// Status is what the header badge and `paydesk replicate status` show.
type Status struct {
	Location  string    `json:"location"`
	Central   string    `json:"central"` // the URL without its password
	Connected bool      `json:"connected"`
	Local     Cursor    `json:"local"`   // the newest in the local file
	Shipped   Cursor    `json:"shipped"` // confirmed by the central database
	Behind    Behind    `json:"behind"`
	ShippedAt time.Time `json:"shipped_at,omitzero"` // last confirmed batch
	CaughtUp  time.Time `json:"caught_up,omitzero"`  // last time nothing was left to ship
	LastError string    `json:"last_error,omitempty"`
	ErrorAt   time.Time `json:"error_at,omitzero"`
	Running   bool      `json:"running"` // a replicator is running (inside paydesk serve)
}

// Behind counts what the central database does not have yet.
type Behind struct {
	Operations uint64 `json:"operations"`
	Audit      uint64 `json:"audit"`
	Changes    uint64 `json:"changes"`
}

// Total is everything left to ship.
func (b Behind) Total() uint64 { return b.Operations + b.Audit + b.Changes }

func behind(local, shipped Cursor) Behind {
	sub := func(a, b uint64) uint64 {
		if a > b {
			return a - b
		}
		return 0
	}
	return Behind{sub(uint64(local.Operation), uint64(shipped.Operation)), sub(local.Audit, shipped.Audit), sub(local.Change, shipped.Change)}
}

// New checks the options; nothing is connected until Run.
func New(o Options) (*Replicator, error) {
	if o.URL == "" {
		return nil, fmt.Errorf("%w: replication needs [replicate] url", finance.ErrInvalid)
	}
	if err := CheckLocation(o.Location); err != nil {
		return nil, err
	}
	if o.Store == nil {
		return nil, fmt.Errorf("%w: replication needs the local books", finance.ErrInvalid)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.limits == (limits{}) {
		o.limits = defaultLimits
	}
	r := &Replicator{o: o, poke: make(chan struct{}, 1)}
	r.status = Status{Location: o.Location, Central: Redact(o.URL)}
	return r, nil
}

// Status is a snapshot of where replication stands.
func (r *Replicator) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Behind = behind(s.Local, s.Shipped)
	return s
}

// Poke asks for a look now instead of at the next poll (after a desk write).
// It never blocks.
func (r *Replicator) Poke() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

func (r *Replicator) setStatus(fn func(s *Status)) {
	r.mu.Lock()
	fn(&r.status)
	r.mu.Unlock()
}

// Run ships until ctx ends, reconnecting with backoff whenever the central
// database goes away. It returns only ctx's error, or a refusal that no
// retry can fix (another file ships this location).
func (r *Replicator) Run(ctx context.Context) error {
	r.setStatus(func(s *Status) { s.Running = true })
	defer r.setStatus(func(s *Status) { s.Running, s.Connected = false, false })
	wait := time.Second
	for {
		err := r.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.setStatus(func(s *Status) { s.Connected, s.LastError, s.ErrorAt = false, finance.Message(err), time.Now() })
		r.o.Log.Warn("replication paused", "location", r.o.Location, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, r.o.MaxBackoff)
		if errors.Is(err, errMoved) || err == nil {
			wait = time.Second
		}
	}
}

// session is one connection's life: connect, check in, ship until an error.
func (r *Replicator) session(ctx context.Context) error {
	conn, pos, err := r.checkIn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	r.setStatus(func(s *Status) { s.Connected, s.Shipped, s.LastError = true, pos, "" })
	r.o.Log.Info("replication connected", "location", r.o.Location, "central", Redact(r.o.URL), "cursor", pos)
	var lastSettings []byte
	tick := time.NewTicker(r.o.Poll)
	defer tick.Stop()
	for {
		n, err := r.shipAll(ctx, conn, &pos, &lastSettings)
		if err != nil {
			return err
		}
		_ = n
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		case <-r.poke:
		}
	}
}

// checkIn connects, migrates the schema, claims the location for this file
// and reads the central cursor, which is where shipping resumes.
func (r *Replicator) checkIn(ctx context.Context) (*pgx.Conn, Cursor, error) {
	lc, err := ReadLocalCursor(ctx, r.o.Store)
	if err != nil {
		return nil, Cursor{}, err
	}
	if lc.FileID == "" || lc.Location != r.o.Location {
		// A new identity the first time, or when the file is moved to
		// another location id: the central database tells files apart by it.
		if lc.FileID == "" {
			lc.FileID = newFileID()
		}
		lc.Location = r.o.Location
		lc.Shipped = Cursor{}
		if err := writeLocalCursor(ctx, r.o.Store, lc); err != nil {
			return nil, Cursor{}, err
		}
	}
	conn, err := Connect(ctx, r.o.URL)
	if err != nil {
		return nil, Cursor{}, err
	}
	pos, err := claim(ctx, conn, r.o.Location, lc.FileID)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, Cursor{}, err
	}
	return conn, pos, nil
}

func claim(ctx context.Context, conn *pgx.Conn, location, fileID string) (Cursor, error) {
	if err := Migrate(ctx, conn); err != nil {
		return Cursor{}, err
	}
	if _, err := conn.Exec(ctx, `INSERT INTO locations (location, file_id) VALUES ($1, $2) ON CONFLICT (location) DO NOTHING`,
		location, fileID); err != nil {
		return Cursor{}, fmt.Errorf("%w: %w", ErrCentral, err)
	}
	var owner string
	var op, audit, change int64
	if err := conn.QueryRow(ctx, `SELECT file_id, op_id, audit_seq, change_seq FROM locations WHERE location = $1`, location).
		Scan(&owner, &op, &audit, &change); err != nil {
		return Cursor{}, fmt.Errorf("%w: %w", ErrCentral, err)
	}
	if owner != fileID {
		return Cursor{}, fmt.Errorf("%w: location %q is already shipped to the central database from another paydesk file; give this one its own [replicate] location",
			finance.ErrConflict, location)
	}
	if err := createStages(ctx, conn); err != nil {
		return Cursor{}, fmt.Errorf("%w: %w", ErrCentral, err)
	}
	// The shipping session does not wait for each commit's WAL flush. Safe
	// because resuming trusts only the central cursor, and it moves in the
	// same transaction as the rows it covers: a server crash may lose the
	// last few commits, but whole (rows and cursor together, never one
	// without the other), and the next check-in reads the older cursor and
	// ships them again. The local cursor may say more than survived until
	// then; it only feeds `replicate status` and is rewritten at the next
	// batch. Nothing else in the database changes its durability.
	if _, err := conn.Exec(ctx, "SET synchronous_commit = off"); err != nil {
		return Cursor{}, fmt.Errorf("%w: %w", ErrCentral, err)
	}
	return Cursor{Operation: finance.OperationID(op), Audit: uint64(audit), Change: uint64(change)}, nil
}

func newFileID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// shipAll ships batches until nothing is left, and returns how many
// operations went. Reading runs one batch ahead in a goroutine of its own:
// while PostgreSQL takes one batch, the next is read from the file and
// encoded, so a backfill keeps both busy. Only this goroutine writes to the
// central database, in order, so the cursor logic is as if sequential; a
// failed write stops the reader, and the next session starts again from the
// central cursor.
func (r *Replicator) shipAll(ctx context.Context, conn *pgx.Conn, pos *Cursor, lastSettings *[]byte) (int, error) {
	type read struct {
		b        *batch
		settings []byte
		err      error
	}
	rctx, stop := context.WithCancel(ctx)
	next := make(chan read, 1)
	done := make(chan struct{})
	defer func() { stop(); <-done }()
	go func() {
		defer close(done)
		defer close(next)
		from, last := *pos, *lastSettings
		for {
			b, settingsJSON, err := readBatch(rctx, r.o.Store, from, r.o.limits, last)
			if err == nil && !b.empty() {
				b.encode(r.o.Location)
			}
			select {
			case next <- read{b, settingsJSON, err}:
			case <-rctx.Done():
				return
			}
			if err != nil || b.empty() {
				return
			}
			from, last = b.to, settingsJSON
		}
	}()
	total := 0
	for rd := range next {
		if rd.err != nil {
			return total, rd.err
		}
		b, local := rd.b, rd.b.local
		if local.Operation < pos.Operation || local.Audit < pos.Audit || local.Change < pos.Change {
			return total, fmt.Errorf("%w: the central database has more of location %q (%v) than this file (%v): was the file restored from an older backup?",
				finance.ErrConflict, r.o.Location, *pos, local)
		}
		r.setStatus(func(s *Status) { s.Local = local })
		if b.empty() {
			r.setStatus(func(s *Status) { s.CaughtUp = time.Now() })
			return total, nil
		}
		if err := r.write(ctx, conn, b); err != nil {
			return total, err
		}
		*pos, *lastSettings = b.to, rd.settings
		total += len(b.ops)
		now := time.Now()
		r.setStatus(func(s *Status) { s.Shipped, s.ShippedAt = b.to, now })
		if b.to == local || now.Sub(r.localAt) > localEvery {
			if err := r.saveLocal(ctx, b.to, now); err != nil {
				return total, err
			}
		}
	}
	return total, ctx.Err()
}

func (r *Replicator) saveLocal(ctx context.Context, c Cursor, at time.Time) error {
	lc, err := ReadLocalCursor(ctx, r.o.Store)
	if err != nil {
		return err
	}
	lc.Shipped, lc.At = c, at
	if err := writeLocalCursor(ctx, r.o.Store, lc); err != nil {
		return err
	}
	r.localAt = at
	return nil
}

// write ships one batch: straight COPY first; if a row turns out to be
// there already (the cursor was reset, or a restore), again skipping those.
func (r *Replicator) write(ctx context.Context, conn *pgx.Conn, b *batch) error {
	err := r.writeOnce(ctx, conn, b, false)
	if isUniqueViolation(err) {
		r.o.Log.Warn("replication: rows already central, shipping again without them", "location", r.o.Location, "from", b.from)
		err = r.writeOnce(ctx, conn, b, true)
	}
	if err != nil && !errors.Is(err, errMoved) && !errors.Is(err, finance.ErrInvalid) {
		err = fmt.Errorf("%w: shipping after %v: %w", ErrCentral, b.from, err)
	}
	return err
}

func (r *Replicator) writeOnce(ctx context.Context, conn *pgx.Conn, b *batch, safe bool) error {
	return writeBatch(ctx, conn, r.o.Location, b, safe, r.o.beforeCommit)
}

// SyncOnce connects, ships everything there is now and returns how many
// operations went: for `paydesk replicate sync`, tests and the benchmark.
func (r *Replicator) SyncOnce(ctx context.Context) (int, error) {
	conn, pos, err := r.checkIn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var lastSettings []byte
	n, err := r.shipAll(ctx, conn, &pos, &lastSettings)
	if err != nil {
		return n, err
	}
	return n, r.saveLocal(ctx, pos, time.Now())
}
