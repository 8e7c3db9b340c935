package finance_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
	"golang.org/x/crypto/bcrypt"
)

var _ finance.Store = (*store.DB)(nil)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// kyiv is the test location's zone: far enough from UTC that a date bug shows.
func kyiv(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func testSettings() finance.Settings {
	return finance.Settings{
		Location:    "Studio Mila",
		Currency:    "EUR",
		Locale:      "en",
		TimeZone:    "Europe/Kyiv",
		PhoneRegion: "UA",
		Registers: []finance.Register{
			{ID: "cash", Name: "Cash drawer", Kind: finance.RegisterCash, StartBalance: 10000},
			{ID: "card", Name: "Card terminal", Kind: finance.RegisterCard},
			{ID: "stripe", Name: "Stripe", Kind: finance.RegisterOnline},
			{ID: "bank", Name: "Bank", Kind: finance.RegisterBank},
		},
	}
}

type fixture struct {
	t     testing.TB
	ctx   context.Context
	path  string
	db    *store.DB
	svc   *finance.Service
	clock *clock
	opts  []finance.Option
	admin finance.Actor
	desk  finance.Actor
	mgr   finance.Actor
	// corrupt skips the checks at cleanup (allowBrokenBooks).
	corrupt bool
}

const (
	adminPIN = "1234"
	deskPIN  = "5678"
	mgrPIN   = "4321"
)

// newBareFixture opens a fresh database in a temp dir, not yet set up.
func newBareFixture(t testing.TB, opts ...finance.Option) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "paydesk.db"),
		clock: &clock{t: time.Date(2025, 3, 14, 10, 0, 0, 0, kyiv(t))}}
	f.opts = append([]finance.Option{finance.WithClock(f.clock.Now), finance.WithPINCost(bcrypt.MinCost)}, opts...)
	f.open()
	t.Cleanup(func() {
		if f.db == nil {
			return
		}
		if !f.corrupt {
			f.checkAtEnd()
		}
		_ = f.db.Close()
	})
	return f
}

// allowBrokenBooks is for a test that breaks the books on purpose: the
// checks at cleanup are skipped for it.
func (f *fixture) allowBrokenBooks() { f.corrupt = true }

// checkAtEnd is what every test's database goes through when the test
// ends, as bbolt's own tests do: bbolt's page-level check of the file, and
// the ledger's invariants. A database never set up has no ledger to check.
func (f *fixture) checkAtEnd() {
	f.t.Helper()
	if err := f.db.Verify(f.ctx); err != nil {
		f.t.Errorf("at cleanup: %v", err)
	}
	rep, err := finance.NewService(f.db).Check(f.ctx)
	switch {
	case errors.Is(err, finance.ErrNotInitialized):
	case err != nil:
		f.t.Errorf("at cleanup: the invariant check: %v", err)
	case len(rep.Problems) > 0:
		f.t.Errorf("at cleanup: the invariant check found problems:\n%s", rep)
	}
}

// newFixture opens a fresh database in a temp dir, sets it up with an admin
// ("Olena"), and adds a desk person ("Ira") and a manager ("Max").
func newFixture(t testing.TB, opts ...finance.Option) *fixture {
	t.Helper()
	f := newBareFixture(t, opts...)
	if err := f.svc.Setup(f.ctx, testSettings(), "Olena", adminPIN); err != nil {
		t.Fatalf("setup: %v", err)
	}
	f.admin = finance.Actor{Staff: "Olena", Role: finance.RoleAdmin}
	f.desk = finance.Actor{Staff: "Ira", Role: finance.RoleDesk}
	f.mgr = finance.Actor{Staff: "Max", Role: finance.RoleManager}
	must(t, f.svc.AddStaff(f.ctx, f.admin, "Ira", finance.RoleDesk, deskPIN))
	must(t, f.svc.AddStaff(f.ctx, f.admin, "Max", finance.RoleManager, mgrPIN))
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	db, err := store.Open(f.ctx, f.path, store.Options{NoSync: true}) // no fsync: tests need consistency, not durability
	if err != nil {
		f.t.Fatalf("open store: %v", err)
	}
	f.db = db
	f.svc = finance.NewService(db, f.opts...)
}

// reopen closes the file and opens it again, as after a restart.
func (f *fixture) reopen() {
	f.t.Helper()
	if err := f.db.Close(); err != nil {
		f.t.Fatalf("close: %v", err)
	}
	f.db = nil
	f.open()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) client(name, phone string) finance.Client {
	f.t.Helper()
	c, err := f.svc.CreateClient(f.ctx, f.admin, finance.NewClient{Name: name, Phone: phone})
	if err != nil {
		f.t.Fatalf("create client %s: %v", name, err)
	}
	return c
}

// owed is what the business owes a client.
func (f *fixture) owed(id finance.ClientID) int64 {
	f.t.Helper()
	v, err := f.svc.ClientView(f.ctx, id, finance.Page{Limit: 1})
	if err != nil {
		f.t.Fatalf("client view: %v", err)
	}
	return v.Balance
}

func (f *fixture) balance(acc finance.AccountID) int64 {
	f.t.Helper()
	var b int64
	must(f.t, f.db.View(f.ctx, func(tx finance.ReadTx) error {
		var err error
		b, err = tx.Balance(acc)
		return err
	}))
	return b
}

func (f *fixture) today() finance.Date {
	f.t.Helper()
	d, err := f.svc.Today(f.ctx)
	must(f.t, err)
	return d
}

// totals is today's totals by register.
func (f *fixture) totals() map[string]finance.DayTotals {
	f.t.Helper()
	ts, err := f.svc.DayTotals(f.ctx, f.admin, f.today())
	must(f.t, err)
	out := map[string]finance.DayTotals{}
	for _, t := range ts {
		out[t.Register] = t
	}
	return out
}

// mustCheck fails the test if any invariant is broken.
func (f *fixture) mustCheck() finance.CheckReport {
	f.t.Helper()
	rep, err := f.svc.Check(f.ctx)
	if err != nil {
		f.t.Fatalf("check: %v", err)
	}
	if len(rep.Problems) > 0 {
		f.t.Fatalf("check found problems:\n%s", rep)
	}
	return rep
}

// snapshot is everything a refused request must leave untouched.
type snapshot struct {
	lastOp   finance.OperationID
	audit    int
	balances map[finance.AccountID]int64
	clients  int
}

func (f *fixture) snap(accounts ...finance.AccountID) snapshot {
	f.t.Helper()
	s := snapshot{balances: map[finance.AccountID]int64{}}
	must(f.t, f.db.View(f.ctx, func(tx finance.ReadTx) error {
		var err error
		if s.lastOp, err = tx.LastOperationID(); err != nil {
			return err
		}
		a, err := tx.Audit(time.Time{}, 1<<30)
		if err != nil {
			return err
		}
		s.audit = len(a)
		if s.clients, err = tx.ClientCount(); err != nil {
			return err
		}
		for _, acc := range accounts {
			if s.balances[acc], err = tx.Balance(acc); err != nil {
				return err
			}
		}
		return nil
	}))
	return s
}

func (f *fixture) unchanged(before snapshot, accounts ...finance.AccountID) {
	f.t.Helper()
	after := f.snap(accounts...)
	if after.lastOp != before.lastOp {
		f.t.Errorf("a refused request posted: last op %d -> %d", before.lastOp, after.lastOp)
	}
	if after.audit != before.audit {
		f.t.Errorf("a refused request wrote %d audit line(s)", after.audit-before.audit)
	}
	if after.clients != before.clients {
		f.t.Errorf("a refused request changed the client count %d -> %d", before.clients, after.clients)
	}
	for acc, b := range before.balances {
		if after.balances[acc] != b {
			f.t.Errorf("a refused request moved %s: %d -> %d", acc, b, after.balances[acc])
		}
	}
}

func wantErr(t testing.TB, err, sentinel error) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error wrapping %v, got nil", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("want an error wrapping %v, got %v", sentinel, err)
	}
}

func i64(v int64) *int64 { return &v }

// postingTo is what an operation posted to one account.
func postingTo(op finance.Operation, acc finance.AccountID) int64 {
	var n int64
	for _, p := range op.Postings {
		if p.Account == acc {
			n += p.Amount
		}
	}
	return n
}
