package finance_test

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
)

// Benchmarks of the desk's hot paths through finance.Service over the bbolt
// store: what a keystroke, a screen or a sync event costs above the store.
// Each also reports its p99 per call. cmd/paydesk-bench measures the same at
// full scale on real disk; these are for comparing changes quickly:
//
//	go test ./finance -run '^$' -bench Service -benchtime 2000x
//
// The fixture is built on a NoSync file, so the write benchmarks measure the
// CPU cost of the rules, not the disk's fsync.

const (
	svcBenchClients = 10_000
	svcBenchOps     = 30_000
	svcBenchDays    = 365
)

type svcBenchClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *svcBenchClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *svcBenchClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type svcBenchFixture struct {
	svc     *finance.Service
	clock   *svcBenchClock
	names   []string
	busiest finance.ClientID
	first   finance.Date
	today   finance.Date
}

var (
	svcBenchDesk  = finance.Actor{Staff: "desk", Role: finance.RoleDesk}
	svcBenchAdmin = finance.Actor{Staff: "owner", Role: finance.RoleAdmin}
)

var svcBenchFirst = []string{"Olena", "Anna", "Maria", "Iryna", "Łucja", "Zoë", "José", "Chloé", "Taras", "Sofia",
	"Yulia", "Natalia", "Dmytro", "Kateryna", "Viktor", "Svitlana"}
var svcBenchLast = []string{"Kovalenko", "Shevchenko", "Bondar", "Tkachuk", "Kravets", "Oliinyk", "Melnyk", "Moroz",
	"Lysenko", "Rudnyk", "Savchuk", "Pavlenko", "Marchenko", "Ivaniv", "Petrenko", "Sydorchuk", "Boyko", "Kuzmenko"}

func buildSvcBench(b *testing.B) *svcBenchFixture {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		b.Fatal(err)
	}
	clk := &svcBenchClock{}
	f := &svcBenchFixture{clock: clk, svc: finance.NewService(db, finance.WithClock(clk.Now), finance.WithPINCost(bcrypt.MinCost))}
	f.today = finance.DateOf(time.Now(), loc)
	f.first = f.today.AddDays(-svcBenchDays)
	clk.set(f.first.Time(loc).Add(8 * time.Hour))
	err = f.svc.Setup(ctx, finance.Settings{Location: "Bench", Currency: "EUR", Locale: "en", TimeZone: "Europe/Kyiv",
		PhoneRegion: "UA"}, "owner", "1234")
	if err != nil {
		b.Fatal(err)
	}
	for i := range svcBenchClients {
		name := svcBenchFirst[i%len(svcBenchFirst)] + " " + svcBenchLast[(i/len(svcBenchFirst)+i*7)%len(svcBenchLast)]
		phone := fmt.Sprintf("+38067%07d", (i*7919+1234567)%10_000_000)
		if _, err := f.svc.CreateClient(ctx, svcBenchDesk, finance.NewClient{Name: name, Phone: phone}); err != nil {
			b.Fatal(err)
		}
		if i < 200 {
			f.names = append(f.names, name)
		}
	}
	rng := rand.New(rand.NewSource(1))
	zipf := rand.NewZipf(rng, 1.1, 20, svcBenchClients-1)
	owed := make([]int64, svcBenchClients+1)
	for i := range svcBenchOps {
		clk.set(f.first.AddDays(i * svcBenchDays / svcBenchOps).Time(loc).Add(9*time.Hour + time.Duration(i%600)*time.Minute))
		c := finance.ClientID(zipf.Uint64() + 1)
		key := "k" + strconv.Itoa(i)
		if i%3 == 0 {
			_, err = f.svc.TopUp(ctx, svcBenchDesk, finance.TopUpRequest{Key: key, ClientID: c, Amount: 20000, Register: "cash"})
			owed[c] += 20000
		} else {
			from := min(owed[c], 9000)
			owed[c] -= from
			var pay []finance.Tender
			if from < 9000 {
				pay = []finance.Tender{{Register: "card", Amount: 9000 - from}}
			}
			_, err = f.svc.Checkout(ctx, svcBenchDesk, finance.CheckoutRequest{Key: key, ClientID: c, Total: 9000,
				FromBalance: &from, Payments: pay})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	f.busiest = 1 // Zipf rank 0
	clk.set(time.Now())
	return f
}

// timed runs fn b.N times and reports p99 per call next to ns/op.
func timed(b *testing.B, fn func(i int) error) {
	b.Helper()
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		if err := fn(i); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(t))
	}
	b.StopTimer()
	slices.Sort(samples)
	b.ReportMetric(float64(samples[max(0, len(samples)*99/100-1)].Nanoseconds()), "p99-ns")
}

func BenchmarkService(b *testing.B) {
	f := buildSvcBench(b)
	ctx := context.Background()

	b.Run("SearchClientsKeystroke", func(b *testing.B) {
		var queries []string
		for _, n := range f.names {
			r := []rune(n)
			for j := 1; j <= len(r); j++ {
				queries = append(queries, string(r[:j]))
			}
		}
		timed(b, func(i int) error {
			_, err := f.svc.SearchClients(ctx, queries[i%len(queries)], 200)
			return err
		})
	})
	b.Run("DayTotals", func(b *testing.B) {
		timed(b, func(i int) error {
			_, err := f.svc.DayTotals(ctx, svcBenchAdmin, f.first.AddDays(i*7919%svcBenchDays))
			return err
		})
	})
	b.Run("RangeTotals30", func(b *testing.B) {
		timed(b, func(i int) error {
			to := f.first.AddDays(30 + i*7919%(svcBenchDays-30))
			_, err := f.svc.RangeTotals(ctx, svcBenchAdmin, to.AddDays(-29), to)
			return err
		})
	})
	b.Run("ClientViewFirstPageBusiest", func(b *testing.B) {
		timed(b, func(int) error {
			_, err := f.svc.ClientView(ctx, f.busiest, finance.Page{Limit: 20})
			return err
		})
	})
	b.Run("ClientViewFirstPage", func(b *testing.B) {
		timed(b, func(i int) error {
			_, err := f.svc.ClientView(ctx, finance.ClientID(1+i*7919%svcBenchClients), finance.Page{Limit: 20})
			return err
		})
	})
	b.Run("TopUp", func(b *testing.B) {
		run := strconv.FormatInt(time.Now().UnixNano(), 36)
		timed(b, func(i int) error {
			_, err := f.svc.TopUp(ctx, svcBenchDesk, finance.TopUpRequest{Key: run + "-" + strconv.Itoa(i),
				ClientID: finance.ClientID(1 + i%svcBenchClients), Amount: 5000, Register: "card"})
			return err
		})
	})
	b.Run("RecordAndApplyPayment", func(b *testing.B) {
		run := strconv.FormatInt(time.Now().UnixNano(), 36)
		timed(b, func(i int) error {
			id := run + strconv.Itoa(i)
			_, err := f.svc.RecordEvent(ctx, finance.ProviderEvent{ID: "evt_" + id, Type: finance.EventPaymentSucceeded,
				RawType: "payment_intent.succeeded", ObjectID: "pi_" + id, Amount: 5000, Currency: "eur",
				Metadata: map[string]string{finance.MetaBookingID: "bk_" + id, finance.MetaClientName: "Anna Moroz",
					finance.MetaClientPhone: fmt.Sprintf("+38067%07d", (i%svcBenchClients*7919+1234567)%10_000_000),
					finance.MetaService:     "Haircut", finance.MetaBookingTotal: "5000"}})
			if err != nil {
				return err
			}
			return f.svc.ApplyEvent(ctx, "evt_"+id)
		})
	})
}
