package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
)

// The generator builds years of books through finance.Service, so every
// operation obeys the same rules, idempotency, audit and indexes as at the
// desk. What differs is only the commit grouping (the documented bulk path):
// bulkStore runs thousands of Service calls inside one bbolt transaction on a
// file opened with NoSync, instead of one fsync'd commit per call. A call
// that fails aborts the build and its whole batch is rolled back; the books
// are then checked with finance.Service.Check.

// bulkStore is a finance.Store whose Update joins the batch that is open.
// Only one goroutine uses it, inside run.
type bulkStore struct {
	db *store.DB
	tx finance.Tx // the open batch's transaction; nil between batches
}

func (b *bulkStore) View(ctx context.Context, fn func(tx finance.ReadTx) error) error {
	if b.tx != nil {
		return fn(b.tx)
	}
	return b.db.View(ctx, fn)
}

func (b *bulkStore) Update(ctx context.Context, fn func(tx finance.Tx) error) error {
	if b.tx == nil {
		return b.db.Update(ctx, fn)
	}
	return fn(b.tx)
}

// run calls steps inside one real transaction: all of them commit, or none.
func (b *bulkStore) run(ctx context.Context, steps func() error) error {
	return b.db.Update(ctx, func(tx finance.Tx) error {
		b.tx = tx
		defer func() { b.tx = nil }()
		return steps()
	})
}

// clock is the service's clock while building: each step sets the instant
// its operation happens at.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Location of the generated salon.
const (
	benchCurrency = "PLN"
	benchZone     = "Europe/Warsaw"
	benchRegion   = "PL"
)

var (
	actorDesk    = finance.Actor{Staff: "Olena", Role: finance.RoleDesk}
	actorManager = finance.Actor{Staff: "Marta", Role: finance.RoleManager}
	actorAdmin   = finance.Actor{Staff: "Mila", Role: finance.RoleAdmin}
)

// scale is what to build.
type scale struct {
	Clients int
	Ops     int
	Days    int
	Seed    int64
}

// built describes the books the generator made.
type built struct {
	Ops       int // ledger operations
	Clients   int
	Days      int
	First     finance.Date
	Last      finance.Date
	ByKind    map[finance.OpKind]int
	Busiest   finance.ClientID // the client with the longest history
	BusyOps   int
	Bookings  int
	Events    int
	Elapsed   time.Duration
	FileBytes int64
}

// openBooking is a prepaid booking the generator may still serve or cancel.
type openBooking struct {
	id      string
	pi      string
	client  finance.ClientID
	total   int64
	paid    int64
	service string
	due     finance.Date
}

// recentOp is an operation of today that a reversal may undo.
type recentOp struct {
	id       finance.OperationID
	kind     finance.OpKind
	client   finance.ClientID
	topUp    int64 // amount a top-up put on the deposit
	fromDep  int64 // amount a checkout took from the deposit
	cash     int64 // what it put in the cash drawer, which its reversal takes out
	reversed bool
}

type generator struct {
	sc    scale
	rng   *rand.Rand
	svc   *finance.Service
	bulk  *bulkStore
	clock *clock
	loc   *time.Location

	owed     []int64 // what the business owes each client, by id (index 0 unused)
	opsOf    []int   // operations naming each client, by id
	clients  int     // created so far
	zipf     *rand.Zipf
	ops      int
	byKind   map[finance.OpKind]int
	open     []openBooking
	recent   []recentOp
	stripe   int64 // money sitting at the provider, paid out weekly
	cashDay  int64 // net cash taken today, moved to the bank at closing
	drawer   int64 // what the cash drawer holds: nothing takes it below zero (its floor)
	nBooking int
	nEvent   int
	nKey     uint64
}

// build creates the database at path and fills it. progress gets a line now and then.
func build(ctx context.Context, path string, sc scale, progress func(string)) (built, error) {
	start := time.Now()
	// The builder allocates fast and keeps little: collecting less often
	// buys back most of a core's worth of GC on this 2-core machine.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	db, err := store.Open(ctx, path, store.Options{NoSync: true, InitialMmapSize: 1 << 30})
	if err != nil {
		return built{}, err
	}
	defer db.Close()
	loc, err := time.LoadLocation(benchZone)
	if err != nil {
		return built{}, fmt.Errorf("time zone %s: %w", benchZone, err)
	}
	g := &generator{sc: sc, rng: rand.New(rand.NewSource(sc.Seed)), bulk: &bulkStore{db: db}, clock: &clock{},
		loc: loc, owed: make([]int64, sc.Clients+1), opsOf: make([]int, sc.Clients+1),
		byKind: map[finance.OpKind]int{}}
	// A busy day's takings go to the bank in one transfer, above the
	// default per-operation limit meant for what a cashier types.
	g.svc = finance.NewService(g.bulk, finance.WithClock(g.clock.Now), finance.WithPINCost(bcrypt.MinCost),
		finance.WithLimits(finance.Limits{MaxAmount: 10_000_000}))

	today := finance.DateOf(time.Now(), loc)
	first := today.AddDays(-sc.Days)
	if err := g.setup(ctx, first); err != nil {
		return built{}, err
	}
	// The clients of day one, in batches: bbolt splits a transaction's
	// nodes only at commit, so one huge first batch into empty index
	// buckets would insert into a single ever-growing node, quadratically.
	for g.clients < g.sc.Clients/5 {
		err := g.bulk.run(ctx, func() error { return g.addClients(ctx, min(g.clients+max(200, min(2000, g.clients)), g.sc.Clients/5)) })
		if err != nil {
			return built{}, err
		}
	}
	quota := dayQuotas(sc.Ops, sc.Days, first, g.rng)
	day := 0
	for day < sc.Days {
		// Small batches while the buckets are nearly empty (same reason),
		// large ones once the trees have pages to spread over.
		target := g.ops + min(25_000, max(2_000, g.ops/2))
		err := g.bulk.run(ctx, func() error {
			for ; day < sc.Days && g.ops < target; day++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := g.day(ctx, first.AddDays(day), day, quota[day]); err != nil {
					return fmt.Errorf("building %s: %w", first.AddDays(day), err)
				}
			}
			return nil
		})
		if err != nil {
			return built{}, err
		}
		if progress != nil {
			progress(fmt.Sprintf("built %d/%d days, %d operations, %d clients, %s", day, sc.Days, g.ops, g.clients,
				time.Since(start).Round(time.Second)))
		}
	}
	st, err := g.svc.InboxStats(ctx)
	if err != nil {
		return built{}, err
	}
	if st.Pending+st.Failed > 0 || st.Total != g.nEvent {
		return built{}, fmt.Errorf("inbox after build: %d events, %d pending, %d failed (%s); sent %d",
			st.Total, st.Pending, st.Failed, st.LastError, g.nEvent)
	}
	out := built{Ops: g.ops, Clients: g.clients, Days: sc.Days, First: first, Last: today.AddDays(-1),
		ByKind: g.byKind, Bookings: g.nBooking, Events: g.nEvent, Elapsed: time.Since(start)}
	for id, n := range g.opsOf {
		if n > out.BusyOps {
			out.Busiest, out.BusyOps = finance.ClientID(id), n
		}
	}
	return out, nil
}

// dayQuotas spreads ops over days: Saturdays busiest, Sundays quiet, and
// business growing over the years. The quotas add up to exactly ops.
func dayQuotas(ops, days int, first finance.Date, rng *rand.Rand) []int {
	w := make([]float64, days)
	var sum float64
	for i := range w {
		wd := first.AddDays(i).Time(time.UTC).Weekday()
		f := 1.0
		switch wd {
		case time.Saturday:
			f = 1.5
		case time.Sunday:
			f = 0.3
		}
		f *= 0.7 + 0.6*float64(i)/float64(max(days-1, 1)) // growth
		f *= 0.85 + 0.3*rng.Float64()
		w[i] = f
		sum += f
	}
	q := make([]int, days)
	acc, given := 0.0, 0
	for i := range w {
		acc += w[i] / sum * float64(ops)
		q[i] = int(acc+0.5) - given
		given += q[i]
	}
	return q
}

func (g *generator) setup(ctx context.Context, first finance.Date) error {
	g.clock.set(first.Time(g.loc).Add(8 * time.Hour))
	st := finance.Settings{
		Location: "Studio Mila (bench)", Currency: benchCurrency, Locale: "pl", TimeZone: benchZone,
		PhoneRegion: benchRegion,
		Registers: []finance.Register{
			{ID: "cash", Name: "Cash drawer", Kind: finance.RegisterCash, StartBalance: 50000},
			{ID: "card", Name: "Card terminal", Kind: finance.RegisterCard},
			{ID: "stripe", Name: "Stripe", Kind: finance.RegisterOnline},
			{ID: "bank", Name: "Bank", Kind: finance.RegisterBank},
		},
	}
	if err := g.svc.Setup(ctx, st, actorAdmin.Staff, "1234"); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	g.drawer = st.Registers[0].StartBalance
	if err := g.svc.AddStaff(ctx, actorAdmin, actorDesk.Staff, actorDesk.Role, "1111"); err != nil {
		return err
	}
	return g.svc.AddStaff(ctx, actorAdmin, actorManager.Staff, actorManager.Role, "2222")
}

// key is an idempotency key shaped like the UUID a form makes.
func (g *generator) key() string {
	g.nKey++
	a, b := g.rng.Uint64(), g.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff,
		uint16(b>>48)&0xfff, b&0xffffffffffff)
}

// cashIn is what op put in the cash drawer.
func cashIn(op finance.Operation) int64 {
	var n int64
	for _, p := range op.Postings {
		if p.Account == finance.RegisterAccount("cash") {
			n += p.Amount
		}
	}
	return n
}

func (g *generator) count(op finance.Operation) {
	g.drawer += cashIn(op)
	g.ops++
	g.byKind[op.Kind]++
	if op.ClientID != 0 && int(op.ClientID) < len(g.opsOf) {
		g.opsOf[op.ClientID]++
	}
}

// addClients creates clients until there are n.
func (g *generator) addClients(ctx context.Context, n int) error {
	for g.clients < n {
		c, err := g.svc.CreateClient(ctx, actorDesk, finance.NewClient{Name: clientName(g.clients),
			Phone: clientPhone(g.clients)})
		if err != nil {
			return err
		}
		g.clients++
		if int(c.ID) != g.clients {
			return fmt.Errorf("client ids out of step: got %d, expected %d", c.ID, g.clients)
		}
	}
	return nil
}

// client picks an active client: Zipf over ids, so early regulars are busiest.
func (g *generator) client() finance.ClientID {
	return finance.ClientID(g.zipf.Uint64() + 1)
}

// day posts one business day: new clients in the morning, then quota
// operations spread over opening hours, then the cash goes to the bank.
func (g *generator) day(ctx context.Context, d finance.Date, i, quota int) error {
	morning := d.Time(g.loc).Add(9 * time.Hour)
	g.clock.set(morning.Add(-30 * time.Minute))
	// 20% of the clients exist on day one; the rest arrive evenly.
	want := g.sc.Clients / 5
	if g.sc.Days > 1 {
		want += (g.sc.Clients - want) * i / (g.sc.Days - 1)
	}
	if err := g.addClients(ctx, min(want, g.sc.Clients)); err != nil {
		return err
	}
	if g.clients == 0 {
		return errors.New("no clients")
	}
	g.zipf = rand.NewZipf(g.rng, 1.1, 20, uint64(g.clients-1))
	g.recent = g.recent[:0]
	g.cashDay = 0

	end := g.ops + quota
	step := 11 * time.Hour / time.Duration(max(quota, 1))
	at := morning
	wd := d.Time(time.UTC).Weekday()
	if wd == time.Monday && g.stripe > 0 {
		g.clock.set(at)
		if err := g.payout(ctx); err != nil {
			return err
		}
	}
	for g.ops < end {
		at = at.Add(step)
		g.clock.set(at)
		if err := g.one(ctx, d, end-g.ops); err != nil {
			return err
		}
	}
	if min(g.cashDay, g.drawer) > 0 {
		g.clock.set(at.Add(time.Minute))
		op, err := g.svc.Transfer(ctx, actorManager, finance.TransferRequest{Key: g.key(), From: "cash", To: "bank",
			Amount: min(g.cashDay, g.drawer), Note: "end of day deposit"})
		if err != nil {
			return err
		}
		g.count(op)
	}
	return nil
}

// one posts one (or, for a prepayment with its fee, two) operations.
func (g *generator) one(ctx context.Context, d finance.Date, left int) error {
	p := g.rng.Float64()
	switch {
	case p < 0.08 && left >= 2:
		return g.prepay(ctx, d)
	case p < 0.09:
		if ok, err := g.cancel(ctx, d); ok || err != nil {
			return err
		}
	case p < 0.10:
		if ok, err := g.reverse(ctx); ok || err != nil {
			return err
		}
	case p < 0.11:
		if ok, err := g.cashOut(ctx); ok || err != nil {
			return err
		}
	case p < 0.115:
		amount := 1000 * (2 + g.rng.Int63n(18))
		op, err := g.svc.MoveCash(ctx, actorManager, finance.CashMoveRequest{Key: g.key(), Register: "cash",
			Amount: amount, In: g.rng.Intn(4) == 0 || amount > g.drawer, Reason: "supplies"})
		if err != nil {
			return err
		}
		g.count(op)
		return nil
	case p < 0.33:
		return g.topUp(ctx)
	}
	return g.checkout(ctx, d)
}

func (g *generator) topUp(ctx context.Context) error {
	c := g.client()
	amount := 5000 * (2 + g.rng.Int63n(19)) // 100..1000 zł in 50s
	reg := "card"
	if g.rng.Intn(5) < 2 {
		reg = "cash"
		g.cashDay += amount
	}
	op, err := g.svc.TopUp(ctx, actorDesk, finance.TopUpRequest{Key: g.key(), ClientID: c, Amount: amount, Register: reg})
	if err != nil {
		return err
	}
	g.count(op)
	g.owed[c] += amount
	g.recent = append(g.recent, recentOp{id: op.ID, kind: op.Kind, client: c, topUp: amount, cash: cashIn(op)})
	return nil
}

func (g *generator) lines() ([]finance.LineItem, int64) {
	n := 1 + g.rng.Intn(3)
	var out []finance.LineItem
	var total int64
	for range n {
		s := services[g.rng.Intn(len(services))]
		out = append(out, finance.LineItem{Description: s.name, UnitPrice: s.price, Quantity: 1})
		total += s.price
	}
	return out, total
}

// checkout serves a due prepaid booking, or sells a visit to a client (paying
// from the deposit first) or a walk-in, splitting the rest over card and cash.
func (g *generator) checkout(ctx context.Context, d finance.Date) error {
	req := finance.CheckoutRequest{Key: g.key()}
	var served *openBooking
	if len(g.open) > 0 && g.open[0].due <= d && g.rng.Intn(2) == 0 {
		b := g.open[0]
		g.open = g.open[1:]
		served = &b
		req.BookingID, req.ClientID = b.id, b.client
		req.Lines = []finance.LineItem{{Description: b.service, UnitPrice: b.total, Quantity: 1}}
		req.Total = b.total
		if g.rng.Intn(4) == 0 { // something extra at the desk
			s := services[len(services)-1]
			req.Lines = append(req.Lines, finance.LineItem{Description: s.name, UnitPrice: s.price, Quantity: 1})
			req.Total += s.price
		}
	} else {
		req.Lines, req.Total = g.lines()
		if g.rng.Intn(10) > 0 {
			req.ClientID = g.client()
		}
	}
	due := req.Total
	if served != nil {
		due -= served.paid
	}
	var fromDep int64
	if req.ClientID != 0 {
		if g.rng.Intn(5) > 0 {
			fromDep = max(min(g.owed[req.ClientID], due), 0)
		}
		req.FromBalance = &fromDep
	}
	rest := due - fromDep
	switch {
	case rest == 0:
	case g.rng.Intn(5) == 0 && rest >= 200: // split over two tenders
		cash := rest / 2 / 100 * 100
		req.Payments = []finance.Tender{{Register: "cash", Amount: cash}, {Register: "card", Amount: rest - cash}}
		g.cashDay += cash
	case g.rng.Intn(5) < 2:
		req.Payments = []finance.Tender{{Register: "cash", Amount: rest}}
		g.cashDay += rest
	default:
		req.Payments = []finance.Tender{{Register: "card", Amount: rest}}
	}
	op, err := g.svc.Checkout(ctx, actorDesk, req)
	if err != nil {
		return err
	}
	g.count(op)
	if req.ClientID != 0 {
		g.owed[req.ClientID] -= fromDep
	}
	if served == nil {
		g.recent = append(g.recent, recentOp{id: op.ID, kind: op.Kind, client: req.ClientID, fromDep: fromDep, cash: cashIn(op)})
	}
	return nil
}

// reverse undoes one of today's top-ups or checkouts, when the deposit allows.
func (g *generator) reverse(ctx context.Context) (bool, error) {
	for range 4 {
		if len(g.recent) == 0 {
			return false, nil
		}
		i := g.rng.Intn(len(g.recent))
		r := &g.recent[i]
		if r.reversed || (r.topUp > 0 && g.owed[r.client] < r.topUp) || r.cash > g.drawer {
			continue
		}
		op, err := g.svc.Reverse(ctx, actorAdmin, finance.ReverseRequest{Key: g.key(), OperationID: r.id,
			Reason: "entered by mistake"})
		if err != nil {
			return false, err
		}
		g.count(op)
		r.reversed = true
		if r.client != 0 {
			g.owed[r.client] += r.fromDep - r.topUp
		}
		return true, nil
	}
	return false, nil
}

func (g *generator) cashOut(ctx context.Context) (bool, error) {
	c := g.client()
	if g.owed[c] <= 0 {
		return false, nil
	}
	amount := g.owed[c]
	if amount > g.drawer {
		return false, nil
	}
	op, err := g.svc.CashOut(ctx, actorManager, finance.CashOutRequest{Key: g.key(), ClientID: c, Amount: amount,
		Register: "cash", Note: "leaving town"})
	if err != nil {
		return false, err
	}
	g.count(op)
	g.owed[c] = 0
	g.cashDay -= amount
	return true, nil
}

// event records a provider event in the inbox and applies it, as the sync
// worker does. Every event the generator sends posts exactly one operation
// of kind for client; Check and the inbox counts prove it afterwards.
func (g *generator) event(ctx context.Context, e finance.ProviderEvent, kind finance.OpKind, client finance.ClientID) error {
	g.nEvent++
	e.Provider = "stripe"
	e.Created = g.clock.Now()
	e.Received = e.Created
	if _, err := g.svc.RecordEvent(ctx, e); err != nil {
		return err
	}
	if err := g.svc.ApplyEvent(ctx, e.ID); err != nil {
		return err
	}
	g.count(finance.Operation{Kind: kind, ClientID: client})
	return nil
}

// prepay is a booking paid online through the widget: the payment event,
// then its fee, both through the inbox.
func (g *generator) prepay(ctx context.Context, d finance.Date) error {
	g.nBooking++
	n := g.nBooking
	c := g.client()
	s := services[g.rng.Intn(len(services)-1)]
	group := g.rng.Intn(10) == 0
	paid := s.price
	if !group && g.rng.Intn(3) == 0 {
		paid = s.price * 3 / 10 // a deposit on the booking
	}
	bk := fmt.Sprintf("bk_%07d", n)
	pi := fmt.Sprintf("pi_bench%010d", n)
	due := d.AddDays(1 + g.rng.Intn(14))
	md := map[string]string{
		finance.MetaBookingID: bk, finance.MetaClientName: clientName(int(c) - 1),
		finance.MetaClientPhone: clientPhone(int(c) - 1), finance.MetaService: s.name,
		finance.MetaStartsAt:   due.Time(g.loc).Add(time.Duration(10+g.rng.Intn(8)) * time.Hour).Format(time.RFC3339),
		finance.MetaGroupEvent: strconv.FormatBool(group), finance.MetaBookingTotal: strconv.FormatInt(s.price, 10),
	}
	e := finance.ProviderEvent{ID: fmt.Sprintf("evt_bench_pay_%010d", n), Type: finance.EventPaymentSucceeded,
		RawType: "payment_intent.succeeded", ObjectID: pi, Amount: paid, Currency: "pln", Metadata: md}
	e.Raw = paymentBody(e.ID, pi, paid, g.clock.Now(), md)
	if err := g.event(ctx, e, finance.OpOnlinePrepayment, c); err != nil {
		return err
	}
	fee := paid*29/1000 + 100
	if err := g.event(ctx, finance.ProviderEvent{ID: e.ID + ":fee", Type: finance.EventFee, RawType: "fee",
		ObjectID: pi, PaymentRef: pi, Fee: fee, Currency: "pln"}, finance.OpProviderFee, c); err != nil {
		return err
	}
	g.stripe += paid - fee
	g.open = append(g.open, openBooking{id: bk, pi: pi, client: c, total: s.price, paid: paid, service: s.name, due: due})
	return nil
}

// cancel cancels a booking not yet due and refunds it, to the deposit or to
// the card (the refund then arrives as a provider event).
func (g *generator) cancel(ctx context.Context, d finance.Date) (bool, error) {
	if len(g.open) < 2 {
		return false, nil
	}
	i := 1 + g.rng.Intn(len(g.open)-1)
	b := g.open[i]
	if b.due <= d {
		return false, nil
	}
	g.open = append(g.open[:i], g.open[i+1:]...)
	if _, err := g.svc.CancelBooking(ctx, actorAdmin, b.id, "client canceled"); err != nil {
		return false, err
	}
	key := g.key()
	if g.rng.Intn(2) == 0 {
		r, err := g.svc.StartRefund(ctx, actorAdmin, finance.RefundRequest{Key: key, BookingID: b.id, ToDeposit: true,
			Reason: "client canceled, kept as credit"})
		if err != nil {
			return false, err
		}
		op, err := g.svc.Operation(ctx, r.OperationID)
		if err != nil {
			return false, err
		}
		g.count(op)
		g.owed[b.client] += b.paid
		return true, nil
	}
	if _, err := g.svc.StartRefund(ctx, actorAdmin, finance.RefundRequest{Key: key, BookingID: b.id,
		Reason: "client canceled"}); err != nil {
		return false, err
	}
	n := g.nEvent
	re := fmt.Sprintf("re_bench%010d", n)
	err := g.event(ctx, finance.ProviderEvent{ID: fmt.Sprintf("evt_bench_ref_%010d", n), Type: finance.EventRefundUpdated,
		RawType: "charge.refunded", ObjectID: "ch_" + b.pi[3:], PaymentRef: b.pi, Amount: b.paid, Currency: "pln",
		Refunds: []finance.ProviderRefund{{ID: re, Amount: b.paid, Status: "succeeded", Key: key}}},
		finance.OpRefund, b.client)
	if err != nil {
		return false, err
	}
	g.stripe -= b.paid
	return true, nil
}

// payout moves the week's provider balance to the bank.
func (g *generator) payout(ctx context.Context) error {
	n := g.nEvent
	err := g.event(ctx, finance.ProviderEvent{ID: fmt.Sprintf("evt_bench_po_%010d", n), Type: finance.EventPayoutPaid,
		RawType: "payout.paid", ObjectID: fmt.Sprintf("po_bench%010d", n), Amount: g.stripe, Currency: "pln"},
		finance.OpPayout, 0)
	if err != nil {
		return err
	}
	g.stripe = 0
	return nil
}
