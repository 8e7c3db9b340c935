package replicate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paydesk/paydesk/config"
	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/demo"
	"github.com/paydesk/paydesk/internal/pgtest"
	"github.com/paydesk/paydesk/store"
)

// One private PostgreSQL for the whole package: starting one costs a
// second or two, so tests share it and each takes its own database.
var (
	pg     *pgtest.Server
	pgSkip string
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	var err error
	pg, err = pgtest.Start("fsync=off", "max_connections=50")
	switch {
	case errors.Is(err, pgtest.ErrNoServer):
		pgSkip = err.Error()
	case err != nil:
		fmt.Fprintln(os.Stderr, "replicate tests: starting PostgreSQL:", err)
		os.Exit(1)
	}
	code := m.Run()
	if pg != nil {
		pg.Close()
	}
	os.Exit(code)
}

// centralDB is a new, empty database on the shared server.
func centralDB(t *testing.T) string {
	t.Helper()
	if pg == nil {
		t.Skip("PostgreSQL tests skipped: " + pgSkip)
	}
	u, err := pg.NewDB(context.Background(), "chain")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// location is one location's own books.
type location struct {
	id   string
	path string
	db   *store.DB
	svc  *finance.Service
	sum  demo.Summary
}

var demoNow = time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)

func newLocation(t *testing.T, id, currency string, seed uint64, days int) *location {
	t.Helper()
	path := filepath.Join(t.TempDir(), id+".db")
	l := &location{id: id, path: path}
	l.open(t)
	s := config.Setup{Location: "Salon " + id, Currency: currency, Locale: "en", TimeZone: "Europe/Kyiv", PhoneRegion: "UA",
		Registers: config.DefaultRegisters(), OnlineRegister: "stripe", BankRegister: "bank"}
	sum, err := demo.Fill(context.Background(), l.db, demo.Options{Settings: s.Settings(), Now: demoNow, Days: days, Clients: 12, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	l.sum = sum
	return l
}

func (l *location) open(t *testing.T) {
	t.Helper()
	db, err := store.Open(context.Background(), l.path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	l.db = db
	l.svc = finance.NewService(db, finance.WithClock(func() time.Time { return demoNow }))
	t.Cleanup(func() {
		if l.db == db {
			l.db.Close()
		}
	})
}

func (l *location) close(t *testing.T) {
	t.Helper()
	if err := l.db.Close(); err != nil {
		t.Fatal(err)
	}
	l.db = nil
}

func (l *location) replicator(t *testing.T, url string, tune func(*Options)) *Replicator {
	t.Helper()
	o := Options{URL: url, Location: l.id, Store: l.db, Poll: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	if tune != nil {
		tune(&o)
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (l *location) sync(t *testing.T, url string) {
	t.Helper()
	if _, err := l.replicator(t, url, nil).SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (l *location) heads(t *testing.T) finance.Heads {
	t.Helper()
	var h finance.Heads
	err := l.db.View(context.Background(), func(tx finance.ReadTx) error {
		var err error
		h, err = tx.(finance.ChangeLog).Heads()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// topUp is a desk's top-up of the first client, with a fresh key.
func (l *location) topUp(t *testing.T, amount int64) {
	t.Helper()
	if _, err := l.svc.TopUp(context.Background(), finance.OwnerActor("olena"),
		finance.TopUpRequest{Key: fmt.Sprintf("t-%d-%d", time.Now().UnixNano(), amount), ClientID: 1, Amount: amount, Register: "cash"}); err != nil {
		t.Fatal(err)
	}
}

// count is one central count for a location.
func count(t *testing.T, conn *pgx.Conn, query, location string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), query, location).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// wantComplete checks the central database holds exactly the location's
// books: every operation, posting, audit entry, client, booking and staff
// member once.
func wantComplete(t *testing.T, conn *pgx.Conn, l *location) {
	t.Helper()
	ctx := context.Background()
	h := l.heads(t)
	var postings, clients, bookings, staff int64
	err := l.db.View(ctx, func(tx finance.ReadTx) error {
		if err := tx.ForEachOperation(func(op finance.Operation) error {
			postings += int64(len(op.Postings))
			return nil
		}); err != nil {
			return err
		}
		n, err := tx.ClientCount()
		clients = int64(n)
		if err != nil {
			return err
		}
		bs, err := tx.Bookings(finance.BookingFilter{})
		bookings = int64(len(bs))
		if err != nil {
			return err
		}
		ss, err := tx.StaffList()
		staff = int64(len(ss))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what  string
		query string
		want  int64
	}{
		{"operations", `SELECT count(*) FROM operations WHERE location = $1`, int64(h.Operation)},
		{"distinct operations", `SELECT count(DISTINCT id) FROM operations WHERE location = $1`, int64(h.Operation)},
		{"newest operation", `SELECT coalesce(max(id), 0) FROM operations WHERE location = $1`, int64(h.Operation)},
		{"postings", `SELECT count(*) FROM postings WHERE location = $1`, postings},
		{"audit entries", `SELECT count(*) FROM audit WHERE location = $1`, int64(h.Audit)},
		{"clients", `SELECT count(*) FROM clients WHERE location = $1`, clients},
		{"bookings", `SELECT count(*) FROM bookings WHERE location = $1`, bookings},
		{"staff", `SELECT count(*) FROM staff WHERE location = $1`, staff},
		{"cursor", `SELECT op_id FROM locations WHERE location = $1`, int64(h.Operation)},
	} {
		if got := count(t, conn, c.query, l.id); got != c.want {
			t.Errorf("%s: %s: central %d, local %d", l.id, c.what, got, c.want)
		}
	}
	wantTotals(t, conn, l)
}

// wantTotals checks the central totals equal the location's own, for
// every register and every day of its history (and a day either side).
func wantTotals(t *testing.T, conn *pgx.Conn, l *location) {
	t.Helper()
	ctx := context.Background()
	from, to := l.sum.From.AddDays(-1), l.sum.To.AddDays(1)
	all, err := Totals(ctx, conn, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var central *LocationTotals
	for i := range all {
		if all[i].ID == l.id {
			central = &all[i]
		}
	}
	if central == nil {
		t.Fatalf("%s: no central totals", l.id)
	}
	local, err := l.svc.RangeTotals(ctx, finance.OwnerActor("olena"), from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(central.Days) != len(local) {
		t.Fatalf("%s: central registers %d, local %d", l.id, len(central.Days), len(local))
	}
	for reg, days := range local {
		c := central.Days[reg]
		if len(c) != len(days) {
			t.Fatalf("%s %s: central %d days, local %d", l.id, reg, len(c), len(days))
		}
		for i, d := range days {
			if fmt.Sprint(d) != fmt.Sprint(c[i]) {
				t.Errorf("%s %s %s:\n local   %+v\n central %+v", l.id, reg, d.Date, d, c[i])
			}
		}
	}
}
