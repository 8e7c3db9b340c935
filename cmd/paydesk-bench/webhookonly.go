package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
)

// webhookEnv runs the raw Batch limit and the webhook row alone against a
// database the tool built and kept (--db PATH --keep): a quick loop for work
// on the webhook path without rebuilding the books. The file is written to.
//
//	PAYDESK_BENCH_WEBHOOK=books.db [PAYDESK_BENCH_WEBHOOK_EVENTS=20000] [_SENDERS=128] [_CLIENTS=100000]
//	  [_CPUPROFILE=cpu.out] paydesk-bench
const webhookEnv = "PAYDESK_BENCH_WEBHOOK"

func webhookMain(path string, stdout, stderr io.Writer) int {
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintln(stderr, "paydesk-bench:", err); return 1 }
	o := options{}
	n := countsFor(o)
	if v, err := strconv.Atoi(os.Getenv(webhookEnv + "_EVENTS")); err == nil && v > 0 {
		n.webhook = v
	}
	if v, err := strconv.Atoi(os.Getenv(webhookEnv + "_SENDERS")); err == nil && v > 0 {
		n.senders, n.rawGoroutines = v, v
	}
	// The raw limits on the same disk as the file, in a scratch directory.
	scratch, err := os.MkdirTemp(filepath.Dir(path), "paydesk-bench-raw-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(scratch)
	raw, err := measureRaw(scratch, n.rawSingle, n.rawGoroutines, n.rawPer)
	if err != nil {
		return fail(err)
	}
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	books := finance.NewService(db)
	clients := 100_000 // the full scale's; names and phones of clients 0..n-1 are the generator's
	if v, err := strconv.Atoi(os.Getenv(webhookEnv + "_CLIENTS")); err == nil && v > 0 {
		clients = v
	}
	if prof := os.Getenv(webhookEnv + "_CPUPROFILE"); prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(stderr, "webhook: %d events, %d senders, %d clients, load average %s\n", n.webhook, n.senders, clients, loadAvg())
	wh, err := measureWebhook(ctx, books, n.webhook, n.senders, clients, int64(os.Getpid()))
	if err != nil {
		return fail(err)
	}
	out, _ := json.Marshal(map[string]float64{
		"raw_batch_puts_s": raw.BatchRate,
		"applied_s":        float64(wh.Events) / wh.Applied.Seconds(),
		"acked_s":          float64(wh.Events) / wh.Stored.Seconds(),
		"ratio":            float64(wh.Events) / wh.Applied.Seconds() / raw.BatchRate,
	})
	fmt.Fprintln(stdout, string(out))
	return 0
}
