package replicate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// The hand-written COPY stream lands every column type as pgx's own
// encoding did: text cleaned of NUL and bad UTF-8, jsonb and its NULL,
// dates (a malformed one as the zero date), timestamps to the microsecond,
// nullable timestamps, smallint, integer, bigint and boolean.
func TestCopyDataRoundTrip(t *testing.T) {
	url := centralDB(t)
	conn := connect(t, url)
	ctx := context.Background()
	if err := Migrate(ctx, conn); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("EET", 2*3600))
	ops := []finance.Operation{
		{ID: 1, Key: "k\x00ey", Kind: finance.OpCheckout, BusinessDate: "2026-03-14", Time: at, Staff: "Ol\xffena", ClientID: 7,
			Comment: "кава", Lines: []finance.LineItem{{Description: "Haircut", UnitPrice: 4500, Quantity: 1}},
			Postings: []finance.Posting{{Account: "register/cash", Amount: -9_000_000_000_000}, {Account: "client/7", Amount: 9_000_000_000_000}}},
		{ID: 2, Key: "k2", Kind: finance.OpReversal, BusinessDate: "not a date", Time: at, Reverses: 1},
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		t    table
		rows *copyData
	}{
		{tableOperations, opRows("x", ops)},
		{tablePostings, postingRows("x", ops)},
		{tableBookings, bookingRows("x", []finance.Booking{{ID: "b1", ClientID: 7, GroupEvent: true, Total: 4000, Status: finance.BookingCanceled, Created: at}})},
		{tableSeals, sealRows("x", []finance.DaySeal{{Date: "2026-03-13", Seal: "ab", OpIDs: []finance.OperationID{1, 2, 3}}})},
	} {
		if err := insertRows(ctx, tx, step.t, step.rows, false); err != nil {
			t.Fatalf("%s: %v", step.t.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	var key, staff, comment, lines, d1, d2 string
	var tm time.Time
	var client, reverses int64
	var nullLines bool
	if err := conn.QueryRow(ctx, `SELECT o.key, o.staff, o.comment, o.lines::text, o.business_date::text, o.time, o.client_id,
		(SELECT business_date::text FROM operations WHERE id = 2), (SELECT reverses FROM operations WHERE id = 2),
		(SELECT lines IS NULL FROM operations WHERE id = 2)
		FROM operations o WHERE o.id = 1`).Scan(&key, &staff, &comment, &lines, &d1, &tm, &client, &d2, &reverses, &nullLines); err != nil {
		t.Fatal(err)
	}
	if key != "key" || staff != "Ol\uFFFDena" || comment != "кава" || client != 7 || reverses != 1 || !nullLines {
		t.Errorf("operation row: key %q staff %q comment %q client %d reverses %d lines NULL %v", key, staff, comment, client, reverses, nullLines)
	}
	if !strings.Contains(lines, `"Haircut"`) || !strings.Contains(lines, "4500") {
		t.Errorf("lines %s", lines)
	}
	if !tm.Equal(at.Truncate(time.Microsecond)) || d1 != "2026-03-14" || d2 != "0001-01-01" {
		t.Errorf("time %v (want %v), dates %s %s", tm, at.Truncate(time.Microsecond), d1, d2)
	}
	var sum, n int64
	if err := conn.QueryRow(ctx, `SELECT sum(amount)::bigint, max(n) FROM postings WHERE op_id = 1`).Scan(&sum, &n); err != nil {
		t.Fatal(err)
	}
	if sum != 0 || n != 1 {
		t.Errorf("postings: sum %d, max n %d", sum, n)
	}
	var group, startsNull bool
	var total, ops32 int64
	if err := conn.QueryRow(ctx, `SELECT b.group_event, b.starts_at IS NULL, b.total, s.operations FROM bookings b, day_seals s`).
		Scan(&group, &startsNull, &total, &ops32); err != nil {
		t.Fatal(err)
	}
	if !group || !startsNull || total != 4000 || ops32 != 3 {
		t.Errorf("booking: group %v starts NULL %v total %d; seal operations %d", group, startsNull, total, ops32)
	}
}
