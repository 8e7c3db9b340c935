package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/pgtest"
	"github.com/paydesk/paydesk/replicate"
	"github.com/paydesk/paydesk/store"
)

// measureChain backfills the built books into a private PostgreSQL on this
// machine the way `paydesk serve` ships them (short bbolt reads, COPY,
// cursor in the same transaction), next to the raw limit: the same rows
// (operations, postings, audit entries, clients), read beforehand, COPYed
// in batches of the same size into the same schema, once before the
// backfill and once after (their mean is the limit). No PostgreSQL server
// binaries: no rows.
//
// cpuprofile, when set, gets a CPU profile of the backfill alone.
func measureChain(ctx context.Context, st finance.Store, logf func(string, ...any), cpuprofile string) ([]Row, error) {
	pg, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNoServer) {
		logf("chain backfill rows skipped: %v", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("starting PostgreSQL: %w", err)
	}
	defer pg.Close()

	// The raw limit first: everything read into memory, then only COPY.
	var ops []finance.Operation
	var audit []finance.AuditEntry
	var clients []finance.Client
	err = st.View(ctx, func(tx finance.ReadTx) error {
		cl := tx.(finance.ChangeLog)
		var err error
		if ops, err = cl.OperationsAfter(0, 0); err != nil {
			return err
		}
		if audit, err = cl.AuditAfter(0, 0); err != nil {
			return err
		}
		n, err := tx.ClientCount()
		for id := 1; id <= n && err == nil; id++ {
			var c finance.Client
			if c, err = tx.Client(finance.ClientID(id)); err == nil {
				clients = append(clients, c)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// The raw limit runs before and after the backfill, each into a fresh
	// database, and counts their mean: on a shared machine the load moves
	// in minutes, and bracketing keeps the ratio honest.
	// CPU time, next to wall time: on a shared machine the load decides the
	// rates, while the database's CPU per operation is what the schema and
	// the shipping cost (the server's processes, read from /proc).
	pgCPU := func() time.Duration {
		d, err := pg.CPUTime()
		if err != nil {
			return -1
		}
		return d
	}
	var rawPG time.Duration
	rawCopy := func(name string) (time.Duration, error) {
		url, err := pg.NewDB(ctx, name)
		if err != nil {
			return 0, err
		}
		conn, err := replicate.Connect(ctx, url)
		if err != nil {
			return 0, err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if err := replicate.Migrate(ctx, conn); err != nil {
			return 0, err
		}
		// As the replicator's session runs (replicate.claim), so the limit
		// is like for like.
		if _, err := conn.Exec(ctx, "SET synchronous_commit = off"); err != nil {
			return 0, err
		}
		logf("chain: raw COPY of %d operations, %d audit entries, %d clients into PostgreSQL (load average %s)",
			len(ops), len(audit), len(clients), loadAvg())
		start, cpu0 := time.Now(), pgCPU()
		const per = 5000 // the replicator's batch
		for i := 0; i < max(len(ops), len(audit), len(clients)); i += per {
			page := func(n int) (int, int) { return min(i, n), min(i+per, n) }
			o1, o2 := page(len(ops))
			a1, a2 := page(len(audit))
			c1, c2 := page(len(clients))
			if err := replicate.CopyRows(ctx, conn, "raw", ops[o1:o2], audit[a1:a2], clients[c1:c2]); err != nil {
				return 0, fmt.Errorf("raw COPY: %w", err)
			}
		}
		took := time.Since(start)
		rawPG += pgCPU() - cpu0
		logf("chain: raw COPY %.0f ops/s (load average %s)", float64(len(ops))/took.Seconds(), loadAvg())
		return took, nil
	}
	before, err := rawCopy("raw")
	if err != nil {
		return nil, err
	}

	chainURL, err := pg.NewDB(ctx, "chain")
	if err != nil {
		return nil, err
	}
	r, err := replicate.New(replicate.Options{URL: chainURL, Location: "bench", Store: st})
	if err != nil {
		return nil, err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	logf("chain: backfill of the books through the replicator (load average %s)", loadAvg())
	start, pg0, self0 := time.Now(), pgCPU(), processCPU()
	n, err := r.SyncOnce(ctx)
	pgUsed, selfUsed := pgCPU()-pg0, processCPU()-self0
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return nil, fmt.Errorf("backfill: %w", err)
	}
	rate := float64(n) / time.Since(start).Seconds()
	logf("chain: backfill %.0f ops/s (load average %s)", rate, loadAvg())
	after, err := rawCopy("raw_after")
	if err != nil {
		return nil, err
	}
	rawRate := float64(2*len(ops)) / (before + after).Seconds()
	logf("chain: raw COPY %.0f ops/s (mean of before and after), backfill %.0f ops/s (%.2fx)", rawRate, rate, rate/rawRate)
	raw := single(fmt.Sprintf("raw COPY of the same %dk operations (postings, audit, clients) into PostgreSQL", n/1000), "ops/s", rawRate, nil)
	row := withRaw(single(fmt.Sprintf("chain backfill of %dk operations (bbolt read, COPY, cursor; clients, staff, audit too)", n/1000),
		"ops/s", rate, nil), rawRate)
	row.Budget = ptr(">= 20,000/s and >= 0.5x raw COPY")
	row.WithinBudget = ptr(rate >= 20_000 && rate >= 0.5*rawRate)
	rows := []Row{raw, row}
	perOp := func(d time.Duration, ops int) float64 {
		return float64(d) / float64(time.Microsecond) / float64(max(ops, 1))
	}
	if pg0 >= 0 && rawPG >= 0 {
		logf("chain: PostgreSQL CPU %.1f µs/op raw COPY, %.1f µs/op backfill; this process %.1f µs/op backfill",
			perOp(rawPG, 2*len(ops)), perOp(pgUsed, n), perOp(selfUsed, n))
		rows = append(rows,
			single("raw COPY: PostgreSQL CPU per operation", "µs/op", perOp(rawPG, 2*len(ops)), nil),
			single("chain backfill: PostgreSQL CPU per operation", "µs/op", perOp(pgUsed, n), nil))
	}
	if self0 >= 0 {
		rows = append(rows, single("chain backfill: this process's CPU per operation (bbolt read, encode)", "µs/op", perOp(selfUsed, n), nil))
	}
	return rows, nil
}

// chainEnv names kept books (--keep) to measure the chain rows alone on:
// PAYDESK_BENCH_CHAIN=books.db [PAYDESK_BENCH_CHAIN_CPUPROFILE=cpu.out]
// paydesk-bench. The backfill writes its local cursor into the file: use a copy.
const chainEnv = "PAYDESK_BENCH_CHAIN"

func chainMain(path string, stdout, stderr io.Writer) int {
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintln(stderr, "paydesk-bench:", err); return 1 }
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	rows, err := measureChain(ctx, db, func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) }, os.Getenv(chainEnv+"_CPUPROFILE"))
	if err != nil {
		return fail(err)
	}
	if err := writeTable(stdout, rows); err != nil {
		return fail(err)
	}
	return 0
}
