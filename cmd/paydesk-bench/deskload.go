package main

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// deskLoad is a cashier working while a webhook burst arrives: a top-up
// every few tens of milliseconds (as fast as a person confirms, and then
// some) and a client search per keystroke, each timed as the desk sees it.
type deskLoad struct {
	cancel context.CancelFunc
	done   chan struct{}
	res    deskLoadResult
}

type deskLoadResult struct {
	topUps, searches []time.Duration
	err              error
}

// startDeskLoad starts the cashier; stop ends it and returns what it timed.
func startDeskLoad(ctx context.Context, books *finance.Service, clients int, seed int64) *deskLoad {
	ctx, cancel := context.WithCancel(ctx)
	d := &deskLoad{cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		if d.res.err == nil && ctx.Err() == nil {
			d.res.err = err
		}
		mu.Unlock()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewSource(seed))
		for i := 0; ctx.Err() == nil; i++ {
			c := finance.ClientID(1 + rng.Intn(clients))
			t := time.Now()
			_, err := books.TopUp(ctx, actorDesk, finance.TopUpRequest{
				Key: fmt.Sprintf("bench-burst-topup-%d-%d", seed, i), ClientID: c, Amount: 5000, Register: "cash"})
			if err != nil {
				fail(fmt.Errorf("top-up: %w", err))
				return
			}
			d.res.topUps = append(d.res.topUps, time.Since(t))
			sleepCtx(ctx, 20*time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewSource(seed + 1))
		for ctx.Err() == nil {
			runes := []rune(clientName(rng.Intn(clients)))
			for j := 1; j <= len(runes) && ctx.Err() == nil; j++ {
				t := time.Now()
				if _, err := books.SearchClients(ctx, string(runes[:j]), 50); err != nil {
					fail(fmt.Errorf("search: %w", err))
					return
				}
				d.res.searches = append(d.res.searches, time.Since(t))
				sleepCtx(ctx, 30*time.Millisecond) // a fast typist
			}
		}
	}()
	go func() { wg.Wait(); close(d.done) }()
	return d
}

func (d *deskLoad) stop() deskLoadResult {
	d.cancel()
	<-d.done
	return d.res
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
