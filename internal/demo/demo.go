// Package demo fills a new database with a month of realistic front-desk
// activity, written through the real finance.Service so that every rule,
// index and day total is exactly what real use would produce.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/paydesk/paydesk/finance"
)

// Options shape the demo. Zero values get sensible defaults.
type Options struct {
	Settings finance.Settings // used to set up a database that isn't yet
	Now      time.Time        // the history ends here (default time.Now())
	Days     int              // days of history, today included (default 30)
	Clients  int              // default 40
	Seed     uint64           // same seed, same demo (default 1)
	Staff    string           // who the operations are recorded as (default "demo")
	Rights   finance.Rights   // the rights table the service enforces (default finance.DefaultRights)
}

// Summary says what was made.
type Summary struct {
	Location   string                 `json:"location"`
	From       finance.Date           `json:"from"`
	To         finance.Date           `json:"to"`
	Clients    int                    `json:"clients"`
	Operations int                    `json:"operations"`
	ByKind     map[finance.OpKind]int `json:"by_kind"`
	// Notes are extra lines for the person who ran the demo, e.g. the demo
	// staff's PINs once staff are part of the demo.
	Notes []string `json:"notes,omitempty"`
}

// Env is what each demo step works with.
type Env struct {
	Service  *finance.Service
	Clock    *Clock
	Rand     *rand.Rand
	Settings finance.Settings
	Actor    finance.Actor
	Loc      *time.Location
	Days     []finance.Date // oldest first; the last is today
	Now      time.Time      // the end of the history: never post after it
	Clients  []finance.Client
	Summary  *Summary
	Want     int           // clients to create
	store    finance.Store // the books Service writes, for a service of another kind (staff.go)
	scale    int64         // minor units per demo price unit
	keys     int
}

// Key makes the next idempotency key; demo keys are readable and unique per run.
func (e *Env) Key() string {
	e.keys++
	return fmt.Sprintf("demo-%06d", e.keys)
}

// Count records a posted operation in the summary.
func (e *Env) Count(op finance.Operation) {
	e.Summary.Operations++
	e.Summary.ByKind[op.Kind]++
}

// Price turns demo units (euro-like) into minor units of the location's currency.
func (e *Env) Price(units int64) int64 { return units * e.scale }

// step is one part of the demo, run in order.
type step struct {
	name string
	run  func(ctx context.Context, e *Env) error
}

// steps lists the demo's parts. Later parts of paydesk add theirs here:
// demo staff (an admin, a manager, two desk people, PINs in Summary.Notes) in
// staff.go before "clients", and prepaid online bookings in bookings.go after
// "history".
func steps() []step {
	return []step{
		{"staff", addStaff},
		{"clients", addClients},
		{"history", addHistory},
	}
}

// ErrNotEmpty is returned for a database that already holds clients or operations.
var ErrNotEmpty = errors.New("the database already holds data; demo data only goes into a new database")

// Fill sets up st with o.Settings if it is not set up yet, then writes the
// demo. It refuses a database that already holds clients or operations,
// wrapping finance.ErrConflict.
func Fill(ctx context.Context, st finance.Store, o Options) (Summary, error) {
	o = withDefaults(o)
	clock := NewClock(o.Now.Add(-time.Duration(o.Days) * 24 * time.Hour))
	svc := finance.NewService(st, finance.WithClock(clock.Now), finance.WithRights(o.Rights))

	settings, err := svc.Settings(ctx)
	switch {
	case errors.Is(err, finance.ErrNotInitialized):
		if err := svc.Setup(ctx, o.Settings, "", ""); err != nil {
			return Summary{}, fmt.Errorf("demo: set up the database: %w", err)
		}
		if settings, err = svc.Settings(ctx); err != nil {
			return Summary{}, fmt.Errorf("demo: %w", err)
		}
	case err != nil:
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	if err := refuseNonEmpty(ctx, st); err != nil {
		return Summary{}, err
	}
	loc, err := time.LoadLocation(settings.TimeZone)
	if err != nil {
		return Summary{}, fmt.Errorf("demo: time zone %q: %w", settings.TimeZone, finance.ErrInvalid)
	}

	today := finance.DateOf(o.Now, loc)
	env := &Env{
		Service:  svc,
		Clock:    clock,
		Rand:     rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		Settings: settings,
		Actor:    finance.OwnerActor(o.Staff),
		Loc:      loc,
		Now:      o.Now,
		Summary:  &Summary{Location: settings.Location, ByKind: map[finance.OpKind]int{}},
		Want:     o.Clients,
		store:    st,
		scale:    priceScale(settings.Currency),
	}
	if f, err := finance.NewFormatter(settings.Currency, settings.Locale); err == nil {
		for range f.Digits() {
			env.scale *= 10
		}
	}
	for i := o.Days - 1; i >= 0; i-- {
		env.Days = append(env.Days, today.AddDays(-i))
	}
	env.Summary.From, env.Summary.To = env.Days[0], today

	for _, s := range steps() {
		if err := ctx.Err(); err != nil {
			return *env.Summary, err
		}
		if err := s.run(ctx, env); err != nil {
			return *env.Summary, fmt.Errorf("demo %s: %w", s.name, err)
		}
	}
	env.Summary.Clients = len(env.Clients)
	return *env.Summary, nil
}

func withDefaults(o Options) Options {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Days <= 0 {
		o.Days = 30
	}
	if o.Clients <= 0 {
		o.Clients = 40
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Staff == "" {
		o.Staff = "demo"
	}
	return o
}

func refuseNonEmpty(ctx context.Context, st finance.Store) error {
	return st.View(ctx, func(tx finance.ReadTx) error {
		n, err := tx.ClientCount()
		if err != nil {
			return err
		}
		last, err := tx.LastOperationID()
		if err != nil {
			return err
		}
		if n > 0 || last > 0 {
			return fmt.Errorf("%w: %w (%d clients, %d operations)", finance.ErrConflict, ErrNotEmpty, n, last)
		}
		return nil
	})
}

// Clock is the fake clock the demo's service runs on, moved forward as the
// month is written so business dates and day totals fall on the right days.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// At is a local wall-clock time on a business day.
func (e *Env) At(d finance.Date, hour, minute int) time.Time {
	return d.Time(e.Loc).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

// registerOfKind is the first register of a kind, "" if the location has none.
func (e *Env) registerOfKind(k finance.RegisterKind) string {
	for _, r := range e.Settings.Registers {
		if r.Kind == k {
			return r.ID
		}
	}
	return ""
}

func addClients(ctx context.Context, e *Env) error {
	names := namesFor(e.Settings.PhoneRegion)
	phones := map[string]bool{}
	used := map[string]bool{}
	// Most clients are already regulars when the month starts; the rest
	// arrive over its first third, each before their first visit.
	span := max(1, len(e.Days)/3)
	times := make([]time.Time, e.Want)
	for i := range times {
		day := e.Days[0]
		if i >= e.Want*2/3 {
			day = e.Days[e.Rand.IntN(span)]
		}
		times[i] = e.At(day, 9, e.Rand.IntN(10*60))
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for i := 0; i < e.Want; i++ {
		var name string
		for tries := 0; ; tries++ {
			name = names.first[e.Rand.IntN(len(names.first))] + " " + names.last[e.Rand.IntN(len(names.last))]
			if !used[name] || tries > 20 {
				break
			}
		}
		used[name] = true
		phone, err := e.phone(phones)
		if err != nil {
			return err
		}
		nc := finance.NewClient{Name: name, Phone: phone}
		if e.Rand.IntN(4) == 0 {
			nc.Note = []string{"Prefers mornings", "Sensitive scalp", "Allergic to latex", "Likes a quiet chair",
				"Regular since last year", "Prefers card payments"}[e.Rand.IntN(6)]
		}
		if !times[i].After(e.Now) {
			e.Clock.Set(times[i])
		}
		c, err := e.Service.CreateClient(ctx, e.Actor, nc)
		if err != nil {
			return fmt.Errorf("client %s: %w", name, err)
		}
		e.Clients = append(e.Clients, c)
	}
	return nil
}

// phone makes a valid, unused mobile number for the location's region,
// starting from libphonenumber's example number so the format is real.
func (e *Env) phone(used map[string]bool) (string, error) {
	region := e.Settings.PhoneRegion
	ex := phonenumbers.GetExampleNumberForType(region, phonenumbers.MOBILE)
	if ex == nil {
		return "", fmt.Errorf("%w: no example phone numbers for region %q", finance.ErrInvalid, region)
	}
	nsn := phonenumbers.GetNationalSignificantNumber(ex)
	keep := max(1, len(nsn)-6)
	for tries := 0; tries < 1000; tries++ {
		digits := []byte(nsn)
		for i := keep; i < len(digits); i++ {
			digits[i] = byte('0' + e.Rand.IntN(10))
		}
		num, err := phonenumbers.Parse(fmt.Sprintf("+%d%s", ex.GetCountryCode(), digits), region)
		if err != nil || !phonenumbers.IsValidNumber(num) {
			continue
		}
		s := phonenumbers.Format(num, phonenumbers.E164)
		if !used[s] {
			used[s] = true
			return s, nil
		}
	}
	return "", fmt.Errorf("%w: could not make demo phone numbers for region %q", finance.ErrInvalid, region)
}
