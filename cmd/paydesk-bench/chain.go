package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// in batches of the same size into the same schema. No PostgreSQL server
// binaries: no rows.
func measureChain(ctx context.Context, st finance.Store, logf func(string, ...any)) ([]Row, error) {
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
	rawURL, err := pg.NewDB(ctx, "raw")
	if err != nil {
		return nil, err
	}
	conn, err := replicate.Connect(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := replicate.Migrate(ctx, conn); err != nil {
		return nil, err
	}
	logf("chain: raw COPY of %d operations, %d audit entries, %d clients into PostgreSQL (load average %s)",
		len(ops), len(audit), len(clients), loadAvg())
	start := time.Now()
	const per = 5000 // the replicator's batch
	for i := 0; i < max(len(ops), len(audit), len(clients)); i += per {
		page := func(n int) (int, int) { return min(i, n), min(i+per, n) }
		o1, o2 := page(len(ops))
		a1, a2 := page(len(audit))
		c1, c2 := page(len(clients))
		if err := replicate.CopyRows(ctx, conn, "raw", ops[o1:o2], audit[a1:a2], clients[c1:c2]); err != nil {
			return nil, fmt.Errorf("raw COPY: %w", err)
		}
	}
	rawRate := float64(len(ops)) / time.Since(start).Seconds()
	ops, audit, clients = nil, nil, nil

	chainURL, err := pg.NewDB(ctx, "chain")
	if err != nil {
		return nil, err
	}
	r, err := replicate.New(replicate.Options{URL: chainURL, Location: "bench", Store: st})
	if err != nil {
		return nil, err
	}
	logf("chain: backfill of the books through the replicator (load average %s)", loadAvg())
	start = time.Now()
	n, err := r.SyncOnce(ctx)
	if err != nil {
		return nil, fmt.Errorf("backfill: %w", err)
	}
	rate := float64(n) / time.Since(start).Seconds()
	raw := single(fmt.Sprintf("raw COPY of the same %dk operations (postings, audit, clients) into PostgreSQL", n/1000), "ops/s", rawRate, nil)
	row := withRaw(single(fmt.Sprintf("chain backfill of %dk operations (bbolt read, COPY, cursor; clients, staff, audit too)", n/1000),
		"ops/s", rate, nil), rawRate)
	row.Budget = ptr(">= 20,000/s and >= 0.5x raw COPY")
	row.WithinBudget = ptr(rate >= 20_000 && rate >= 0.5*rawRate)
	return []Row{raw, row}, nil
}

// chainEnv names kept books (--keep) to measure the chain rows alone on:
// PAYDESK_BENCH_CHAIN=books.db paydesk-bench.
const chainEnv = "PAYDESK_BENCH_CHAIN"

func chainMain(path string, stdout, stderr io.Writer) int {
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintln(stderr, "paydesk-bench:", err); return 1 }
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	rows, err := measureChain(ctx, db, func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) })
	if err != nil {
		return fail(err)
	}
	if err := writeTable(stdout, rows); err != nil {
		return fail(err)
	}
	return 0
}
