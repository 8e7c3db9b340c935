package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// Benchmarks at the DESIGN.md scale for the store-side budgets: search per
// keystroke (p99 < 2 ms at 100k clients), a day's totals (p99 < 1 ms) and a
// client's first history page (p99 < 1 ms). Each reports p99 per call.
//
//	go test ./store -run '^$' -bench . -benchtime 2000x

const (
	benchClients = 100_000
	benchOps     = 200_000 // spread over five years of days
	benchDays    = 1826
	heavyOps     = 20_000 // history length of the busiest client
)

var firstNames = []string{"Olena", "Oleh", "Anna", "Maria", "Iryna", "Petro", "Taras", "Zoë", "José", "Łukasz",
	"Sofia", "Andrii", "Yulia", "Natalia", "Dmytro", "Kateryna", "Viktor", "Svitlana", "Bohdan", "Oksana",
	"Ольга", "Марія", "Seán", "Chloé", "Renée", "Mikołaj", "Søren", "Ana", "Jürgen", "Ines"}

var lastNames = func() []string {
	stems := []string{"Koval", "Shevch", "Bond", "Tkach", "Kravch", "Oliin", "Melnyk", "Moroz", "Lysen", "Rudn",
		"Savch", "Pavl", "Hrytsen", "Marchen", "Ivan", "Petren", "Sydor", "Boyk", "Zakharch", "Kuzmen"}
	ends := []string{"enko", "uk", "ar", "yshyn", "ets", "ova", "ko", "iv", "chuk", "yk"}
	var out []string
	for _, s := range stems {
		for _, e := range ends {
			out = append(out, s+e)
		}
	}
	return out
}()

type benchFixture struct {
	db      *DB
	queries []string
	heavy   finance.ClientID
	first   finance.Date
}

func buildFixture(b *testing.B) *benchFixture {
	b.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	rng := rand.New(rand.NewPCG(7, 7))
	start := time.Now()
	if err := db.Update(ctx, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) }); err != nil {
		b.Fatal(err)
	}
	// Chunked: one huge bbolt tx copies its growing nodes on every put.
	const chunk = 2000
	for lo := 0; lo < benchClients; lo += chunk {
		err := db.Update(ctx, func(tx finance.Tx) error {
			for i := lo; i < lo+chunk; i++ {
				name := firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
				if _, err := tx.CreateClient(finance.Client{Name: name, Phone: fmt.Sprintf("+380%09d", rng.IntN(1e9)), Created: t0}); err != nil {
					if i > 0 { // a random phone collision: skip it
						continue
					}
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	f := &benchFixture{db: db, heavy: 1, first: "2021-01-01"}
	regs := []string{"cash", "card", "stripe", "bank"}
	for lo := 0; lo < benchOps; lo += chunk {
		err := db.Update(ctx, func(tx finance.Tx) error {
			for i := lo; i < lo+chunk; i++ {
				client := finance.ClientID(rng.IntN(benchClients-10) + 2)
				if i%(benchOps/heavyOps) == 0 {
					client = f.heavy
				}
				day := f.first.AddDays(i * benchDays / benchOps) // in date order, as a real desk posts
				op := topUp(fmt.Sprintf("op%d", i), client, regs[rng.IntN(len(regs))], int64(rng.IntN(50000)+100), day)
				if err := tx.AppendOperation(op); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// What a person types at the desk: prefixes of names, two words, phone digits.
	for i := 0; i < 200; i++ {
		fn := firstNames[rng.IntN(len(firstNames))]
		ln := lastNames[rng.IntN(len(lastNames))]
		switch i % 5 {
		case 0:
			f.queries = append(f.queries, prefix(fn, 1+rng.IntN(3)))
		case 1:
			f.queries = append(f.queries, prefix(ln, 2+rng.IntN(5)))
		case 2:
			f.queries = append(f.queries, fn+" "+prefix(ln, 1+rng.IntN(4)))
		case 3:
			f.queries = append(f.queries, fmt.Sprintf("%03d", rng.IntN(1000)))
		default:
			f.queries = append(f.queries, fmt.Sprintf("%06d", rng.IntN(1e6)))
		}
	}
	b.Logf("fixture: %d clients, %d operations over %d days in %v", benchClients, benchOps, benchDays, time.Since(start).Round(time.Millisecond))
	return f
}

func prefix(s string, n int) string {
	r := []rune(s)
	if n > len(r) {
		n = len(r)
	}
	return string(r[:n])
}

// p99 runs fn b.N times, timing each call, and reports the 99th percentile.
func p99(b *testing.B, fn func(i int)) {
	b.Helper()
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := time.Now()
		fn(i)
		durs = append(durs, time.Since(s))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkStore(b *testing.B) {
	f := buildFixture(b)
	ctx := context.Background()
	b.Run("SearchClients", func(b *testing.B) {
		p99(b, func(i int) {
			q := f.queries[i%len(f.queries)]
			err := f.db.View(ctx, func(tx finance.ReadTx) error {
				res, err := tx.SearchClients(q, 20)
				_ = res
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("SearchClientsEmpty", func(b *testing.B) {
		p99(b, func(int) {
			_ = f.db.View(ctx, func(tx finance.ReadTx) error { _, err := tx.SearchClients("", 20); return err })
		})
	})
	b.Run("RegisterDay", func(b *testing.B) {
		p99(b, func(i int) {
			d := f.first.AddDays((i * 7919) % (benchDays + 30))
			err := f.db.View(ctx, func(tx finance.ReadTx) error { _, err := tx.RegisterDay("cash", d); return err })
			if err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("RegisterDays30", func(b *testing.B) {
		p99(b, func(i int) {
			d := f.first.AddDays((i * 7919) % benchDays)
			err := f.db.View(ctx, func(tx finance.ReadTx) error { _, err := tx.RegisterDays("cash", d, d.AddDays(29)); return err })
			if err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("ClientOperationsFirstPage", func(b *testing.B) {
		p99(b, func(int) {
			err := f.db.View(ctx, func(tx finance.ReadTx) error {
				ops, err := tx.ClientOperations(f.heavy, finance.Page{Limit: 50})
				if err == nil && len(ops) != 50 {
					b.Fatalf("first page has %d ops", len(ops))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("AppendOperation", func(b *testing.B) {
		p99(b, func(i int) {
			err := f.db.Update(ctx, func(tx finance.Tx) error {
				return tx.AppendOperation(topUp(fmt.Sprintf("bench%d-%d", b.N, i), f.heavy, "cash", 100, f.first.AddDays(benchDays)))
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	})
}
