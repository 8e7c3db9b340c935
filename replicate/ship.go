package replicate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/paydesk/paydesk/finance"
)

// Cursor is how far a location's books have arrived centrally: every
// operation, audit entry and change-log entry up to these numbers.
type Cursor = finance.Heads

// batch is what one read transaction gathered after a cursor: shipped, with
// the new cursor, in one PostgreSQL transaction.
type batch struct {
	from, to Cursor
	settings *finance.Settings // set when they changed since the last batch
	ops      []finance.Operation
	audit    []finance.AuditEntry
	clients  []finance.Client
	bookings []finance.Booking
	refunds  []finance.Refund
	staff    []finance.Staff
	closes   []finance.DayClose
	seals    []finance.DaySeal
	local    Cursor // the newest in the local file, read with the batch

	// rows is the batch in COPY form (encode), built by the reading
	// goroutine so that the writing one only streams it.
	rows []tableRows
}

// tableRows is one table's share of a batch.
type tableRows struct {
	table  table
	data   *copyData
	upsert bool // records that change in place: the newest version wins
}

// encode builds the batch's COPY streams, in the order they are written.
func (b *batch) encode(location string) {
	b.rows = []tableRows{
		{tableOperations, opRows(location, b.ops), false},
		{tablePostings, postingRows(location, b.ops), false},
		{tableClients, clientRows(location, b.clients), true},
		{tableBookings, bookingRows(location, b.bookings), true},
		{tableRefunds, refundRows(location, b.refunds), true},
		{tableStaff, staffRows(location, b.staff), true},
		{tableCloses, closeRows(location, b.closes), true},
		{tableSeals, sealRows(location, b.seals), true},
		{tableAudit, auditRows(location, b.audit), false},
	}
}

func (b *batch) empty() bool {
	return b.settings == nil && len(b.ops) == 0 && len(b.audit) == 0 && b.from.Change == b.to.Change
}

// Limits on one batch, so each read transaction stays short (a few ms) and
// each PostgreSQL transaction moderate.
type limits struct {
	ops, audit, changes int
}

var defaultLimits = limits{ops: 5000, audit: 5000, changes: 2000}

// readBatch gathers everything after from in one short read transaction.
// Changed records are read as they are now, each once however often it changed.
func readBatch(ctx context.Context, st finance.Store, from Cursor, lim limits, lastSettings []byte) (*batch, []byte, error) {
	b := &batch{from: from, to: from}
	var settingsJSON []byte
	err := st.View(ctx, func(rtx finance.ReadTx) error {
		cl, ok := rtx.(finance.ChangeLog)
		if !ok {
			return fmt.Errorf("%w: this store keeps no change log to replicate from", finance.ErrInvalid)
		}
		s, err := rtx.Settings()
		if err != nil {
			return err
		}
		settingsJSON, err = json.Marshal(s)
		if err != nil {
			return err
		}
		if string(settingsJSON) != string(lastSettings) {
			b.settings = &s
		}
		if b.ops, err = cl.OperationsAfter(from.Operation, lim.ops); err != nil {
			return err
		}
		if n := len(b.ops); n > 0 {
			b.to.Operation = b.ops[n-1].ID
		}
		if b.audit, err = cl.AuditAfter(from.Audit, lim.audit); err != nil {
			return err
		}
		if n := len(b.audit); n > 0 {
			b.to.Audit = b.audit[n-1].Seq
		}
		changes, err := cl.ChangesAfter(from.Change, lim.changes)
		if err != nil {
			return err
		}
		if n := len(changes); n > 0 {
			b.to.Change = changes[n-1].Seq
		}
		if b.local, err = cl.Heads(); err != nil {
			return err
		}
		return b.resolve(rtx, changes)
	})
	return b, settingsJSON, err
}

func (b *batch) resolve(rtx finance.ReadTx, changes []finance.ChangeEntry) error {
	seen := map[finance.ChangeKind]map[string]bool{}
	for _, c := range changes {
		if seen[c.Kind] == nil {
			seen[c.Kind] = map[string]bool{}
		}
		if seen[c.Kind][c.ID] {
			continue
		}
		seen[c.Kind][c.ID] = true
		var err error
		switch c.Kind {
		case finance.ChangeClient:
			var id uint64
			if id, err = strconv.ParseUint(c.ID, 10, 64); err != nil {
				return fmt.Errorf("change %d names client %q (damaged file?)", c.Seq, c.ID)
			}
			var cl finance.Client
			if cl, err = rtx.Client(finance.ClientID(id)); err == nil {
				b.clients = append(b.clients, cl)
			}
		case finance.ChangeBooking:
			var bk finance.Booking
			if bk, err = rtx.Booking(c.ID); err == nil {
				b.bookings = append(b.bookings, bk)
			}
		case finance.ChangeRefund:
			var r finance.Refund
			if r, err = rtx.Refund(c.ID); err == nil {
				b.refunds = append(b.refunds, r)
			}
		case finance.ChangeStaff:
			var s finance.Staff
			if s, err = rtx.Staff(c.ID); err == nil {
				b.staff = append(b.staff, s)
			}
		case finance.ChangeClose:
			d, reg, _ := strings.Cut(c.ID, "/")
			var dc finance.DayClose
			if dc, err = rtx.DayClose(finance.Date(d), reg); err == nil {
				b.closes = append(b.closes, dc)
			}
		case finance.ChangeSeal:
			var s finance.DaySeal
			if s, err = rtx.DaySeal(finance.Date(c.ID)); err == nil {
				b.seals = append(b.seals, s)
			}
		}
		if err != nil {
			return fmt.Errorf("change %d: %w", c.Seq, err)
		}
	}
	return nil
}

// errMoved: the central cursor is not where this replicator left it, so
// another process ships the same location, or someone changed the cursor.
var errMoved = errors.New("the central cursor moved under this replicator")

// writeBatch ships b and moves the central cursor from b.from to b.to in one
// transaction. safe re-inserts rows that may already be there (skipping
// them); the fast path COPYs straight into the tables and is used first,
// since the cursor says none of them can be there.
func writeBatch(ctx context.Context, conn *pgx.Conn, location string, b *batch, safe bool, beforeCommit func(*batch) error) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if b.settings != nil {
		if err := writeSettings(ctx, tx, location, b.settings); err != nil {
			return err
		}
	}
	if b.rows == nil {
		b.encode(location)
	}
	for _, t := range b.rows {
		var err error
		if t.upsert {
			err = upsertRows(ctx, tx, t.table, t.data)
		} else {
			err = insertRows(ctx, tx, t.table, t.data, safe)
		}
		if err != nil {
			return err
		}
	}
	tag, err := tx.Exec(ctx, `UPDATE locations SET op_id = $2, audit_seq = $3, change_seq = $4, shipped_at = now()
		WHERE location = $1 AND op_id = $5 AND audit_seq = $6 AND change_seq = $7`,
		location, int64(b.to.Operation), int64(b.to.Audit), int64(b.to.Change),
		int64(b.from.Operation), int64(b.from.Audit), int64(b.from.Change))
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return errMoved
	}
	if beforeCommit != nil {
		if err := beforeCommit(b); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

func writeSettings(ctx context.Context, tx pgx.Tx, location string, s *finance.Settings) error {
	if _, err := tx.Exec(ctx, `UPDATE locations SET name = $2, currency = $3, locale = $4, time_zone = $5 WHERE location = $1`,
		location, txt(s.Location), txt(s.Currency), txt(s.Locale), txt(s.TimeZone)); err != nil {
		return err
	}
	rows := newCopyData(64 * len(s.Registers))
	for i, r := range s.Registers {
		rows.row(6)
		rows.text(location)
		rows.text(r.ID)
		rows.text(r.Name)
		rows.text(string(r.Kind))
		rows.int64(r.StartBalance)
		rows.int32(int32(i))
	}
	return upsertRows(ctx, tx, tableRegisters, rows)
}

// table is a central table as the replicator writes it: its columns in row
// order and how many of them make the key.
type table struct {
	name string
	cols []string
	key  int
}

var (
	tableOperations = table{"operations", []string{"location", "id", "key", "kind", "business_date", "time", "staff",
		"client_id", "booking_id", "comment", "lines", "reverses", "provider_ref"}, 2}
	tablePostings = table{"postings", []string{"location", "op_id", "n", "account", "amount", "business_date", "kind"}, 3}
	tableClients  = table{"clients", []string{"location", "id", "name", "phone", "email", "note", "credit_limit", "created"}, 2}
	tableBookings = table{"bookings", []string{"location", "id", "client_id", "service", "starts_at", "group_event",
		"total", "paid", "refunded", "status", "flag", "payment_intent", "created", "updated"}, 2}
	tableRefunds = table{"refunds", []string{"location", "key", "booking_id", "amount", "reason", "staff", "status",
		"provider_ref", "error", "operation_id", "created", "updated"}, 2}
	tableStaff  = table{"staff", []string{"location", "name", "role", "disabled", "created"}, 2}
	tableAudit  = table{"audit", []string{"location", "seq", "time", "staff", "action", "subject", "reason", "detail"}, 2}
	tableCloses = table{"day_closes", []string{"location", "date", "register", "kind", "expected", "counted", "over_short",
		"reason", "float", "to_bank", "staff", "time"}, 3}
	tableSeals     = table{"day_seals", []string{"location", "date", "prev", "prev_seal", "seal", "operations", "staff", "time"}, 2}
	tableRegisters = table{"registers", []string{"location", "id", "name", "kind", "start_balance", "position"}, 2}
)

// insertRows adds append-only rows: COPY straight in, or, when safe, COPY
// into a staging table and insert only what is not there yet.
func insertRows(ctx context.Context, tx pgx.Tx, t table, rows *copyData, safe bool) error {
	if rows.rows == 0 {
		return nil
	}
	if !safe {
		return copyIn(ctx, tx, t.name, t.cols, rows)
	}
	return viaStage(ctx, tx, t, rows, "DO NOTHING")
}

// upsertRows writes records that change in place: the newest version wins.
func upsertRows(ctx context.Context, tx pgx.Tx, t table, rows *copyData) error {
	if rows.rows == 0 {
		return nil
	}
	set := make([]string, 0, len(t.cols)-t.key)
	for _, c := range t.cols[t.key:] {
		set = append(set, c+" = EXCLUDED."+c)
	}
	return viaStage(ctx, tx, t, rows, "DO UPDATE SET "+strings.Join(set, ", "))
}

// stagedTables are those a batch may write through a staging table: every
// one (a retry stages the append-only ones too).
var stagedTables = []table{tableOperations, tablePostings, tableClients, tableBookings, tableRefunds, tableStaff,
	tableAudit, tableCloses, tableSeals, tableRegisters}

// createStages makes the session's staging tables, once per connection
// rather than a round trip per table in every batch. They are temporary
// (the connection's own) and emptied by every commit.
func createStages(ctx context.Context, conn *pgx.Conn) error {
	for _, t := range stagedTables {
		if _, err := conn.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS stage_"+t.name+" (LIKE "+t.name+") ON COMMIT DELETE ROWS"); err != nil {
			return err
		}
	}
	return nil
}

func viaStage(ctx context.Context, tx pgx.Tx, t table, rows *copyData, onConflict string) error {
	stage := "stage_" + t.name
	cols := strings.Join(t.cols, ", ")
	if err := copyIn(ctx, tx, stage, t.cols, rows); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO "+t.name+" ("+cols+") SELECT "+cols+" FROM "+stage+
		" ON CONFLICT ("+strings.Join(t.cols[:t.key], ", ")+") "+onConflict)
	return err
}

// txt makes a string storable as PostgreSQL text, which holds no NUL bytes
// and only valid UTF-8. paydesk cleans what people type, so this is a guard.
func txt(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// day turns a business date into the value of a date column.
func day(d finance.Date) time.Time {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return time.Time{}
	}
	return t
}

func opRows(location string, ops []finance.Operation) *copyData {
	c := newCopyData(160 * len(ops))
	for _, op := range ops {
		var lines []byte
		if len(op.Lines) > 0 {
			lines, _ = json.Marshal(op.Lines) // a line item always marshals; nil (NULL) if not
		}
		c.row(len(tableOperations.cols))
		c.text(location)
		c.int64(int64(op.ID))
		c.text(op.Key)
		c.text(string(op.Kind))
		c.date(op.BusinessDate)
		c.timestamp(op.Time)
		c.text(op.Staff)
		c.int64(int64(op.ClientID))
		c.text(op.BookingID)
		c.text(op.Comment)
		c.jsonb(lines)
		c.int64(int64(op.Reverses))
		c.text(op.ProviderRef)
	}
	return c
}

func postingRows(location string, ops []finance.Operation) *copyData {
	n := 0
	for _, op := range ops {
		n += len(op.Postings)
	}
	c := newCopyData(96 * n)
	for _, op := range ops {
		for j, p := range op.Postings {
			c.row(len(tablePostings.cols))
			c.text(location)
			c.int64(int64(op.ID))
			c.int16(int16(j))
			c.text(string(p.Account))
			c.int64(p.Amount)
			c.date(op.BusinessDate)
			c.text(string(op.Kind))
		}
	}
	return c
}

func clientRows(location string, cs []finance.Client) *copyData {
	c := newCopyData(128 * len(cs))
	for _, cl := range cs {
		c.row(len(tableClients.cols))
		c.text(location)
		c.int64(int64(cl.ID))
		c.text(cl.Name)
		c.text(cl.Phone)
		c.text(cl.Email)
		c.text(cl.Note)
		c.int64(cl.CreditLimit)
		c.timestamp(cl.Created)
	}
	return c
}

func bookingRows(location string, bs []finance.Booking) *copyData {
	c := newCopyData(192 * len(bs))
	for _, b := range bs {
		c.row(len(tableBookings.cols))
		c.text(location)
		c.text(b.ID)
		c.int64(int64(b.ClientID))
		c.text(b.Service)
		c.timeOrNull(b.StartsAt)
		c.bool(b.GroupEvent)
		c.int64(b.Total)
		c.int64(b.Paid)
		c.int64(b.Refunded)
		c.text(string(b.Status))
		c.text(b.Flag)
		c.text(b.PaymentIntent)
		c.timeOrNull(b.Created)
		c.timeOrNull(b.Updated)
	}
	return c
}

func refundRows(location string, rs []finance.Refund) *copyData {
	c := newCopyData(192 * len(rs))
	for _, r := range rs {
		c.row(len(tableRefunds.cols))
		c.text(location)
		c.text(r.Key)
		c.text(r.BookingID)
		c.int64(r.Amount)
		c.text(r.Reason)
		c.text(r.Staff)
		c.text(string(r.Status))
		c.text(r.ProviderRef)
		c.text(r.Error)
		c.int64(int64(r.OperationID))
		c.timeOrNull(r.Created)
		c.timeOrNull(r.Updated)
	}
	return c
}

// staffRows carry names, roles and whether disabled: never a PIN.
func staffRows(location string, ss []finance.Staff) *copyData {
	c := newCopyData(64 * len(ss))
	for _, s := range ss {
		c.row(len(tableStaff.cols))
		c.text(location)
		c.text(s.Name)
		c.text(string(s.Role))
		c.bool(s.Disabled)
		c.timeOrNull(s.Created)
	}
	return c
}

func auditRows(location string, es []finance.AuditEntry) *copyData {
	c := newCopyData(160 * len(es))
	for _, e := range es {
		c.row(len(tableAudit.cols))
		c.text(location)
		c.int64(int64(e.Seq))
		c.timestamp(e.Time)
		c.text(e.Staff)
		c.text(e.Action)
		c.text(e.Subject)
		c.text(e.Reason)
		c.text(e.Detail)
	}
	return c
}

func closeRows(location string, cs []finance.DayClose) *copyData {
	c := newCopyData(128 * len(cs))
	for _, d := range cs {
		c.row(len(tableCloses.cols))
		c.text(location)
		c.date(d.Date)
		c.text(d.Register)
		c.text(string(d.Kind))
		c.int64(d.Expected)
		c.int64(d.Counted)
		c.int64(d.OverShort)
		c.text(d.Reason)
		c.int64(d.Float)
		c.int64(d.ToBank)
		c.text(d.Staff)
		c.timeOrNull(d.Time)
	}
	return c
}

func sealRows(location string, ss []finance.DaySeal) *copyData {
	c := newCopyData(256 * len(ss))
	for _, s := range ss {
		c.row(len(tableSeals.cols))
		c.text(location)
		c.date(s.Date)
		c.text(string(s.Prev))
		c.text(s.PrevSeal)
		c.text(s.Seal)
		c.int32(int32(len(s.OpIDs)))
		c.text(s.Staff)
		c.timeOrNull(s.Time)
	}
	return c
}

// CopyRows COPYs operations with their postings, audit entries and clients
// into the central tables in one transaction, with nothing else: no read of
// the local file, no cursor, no check. It is the benchmark's raw limit for a
// backfill, and no way to replicate (nothing would resume it).
func CopyRows(ctx context.Context, conn *pgx.Conn, location string, ops []finance.Operation, audit []finance.AuditEntry, clients []finance.Client) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if err := insertRows(ctx, tx, tableOperations, opRows(location, ops), false); err != nil {
		return err
	}
	if err := insertRows(ctx, tx, tablePostings, postingRows(location, ops), false); err != nil {
		return err
	}
	if err := insertRows(ctx, tx, tableAudit, auditRows(location, audit), false); err != nil {
		return err
	}
	if err := insertRows(ctx, tx, tableClients, clientRows(location, clients), false); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
