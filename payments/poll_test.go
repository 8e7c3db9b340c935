package payments_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/store"
)

// backlogProvider's poll returns its events and the cursor after them.
type backlogProvider struct {
	fakeProvider
	evs []finance.ProviderEvent
}

func (p *backlogProvider) Poll(context.Context, string, time.Time) ([]finance.ProviderEvent, string, error) {
	return p.evs, fmt.Sprintf("after_%d", len(p.evs)), nil
}

func payouts(from, n int) []finance.ProviderEvent {
	evs := make([]finance.ProviderEvent, n)
	for i := range evs {
		id := fmt.Sprintf("evt_po_%06d", from+i)
		evs[i] = finance.ProviderEvent{ID: id, Type: finance.EventPayoutPaid, ObjectID: "po_" + id, Amount: 100,
			Currency: "eur", Created: time.Unix(1700000000+int64(from+i), 0)}
	}
	return evs
}

// A poll that brings a backlog records all of it, and moves the cursor only
// once it has; when storage fails, the cursor stays for the next poll.
func TestPollRecordsABacklog(t *testing.T) {
	fs, books, _, _ := setup(t)
	ctx := context.Background()
	prov := &backlogProvider{evs: payouts(0, 1500)}
	w := payments.NewWorker(books, prov, payments.Options{Idle: time.Hour})
	n, err := w.PollOnce(ctx)
	if err != nil || n != 1500 {
		t.Fatalf("PollOnce = %d, %v; want 1500 new", n, err)
	}
	st, err := books.InboxStats(ctx)
	if err != nil || st.Total != 1500 || st.Pending != 1500 {
		t.Fatalf("inbox %+v, %v; want 1500 pending", st, err)
	}
	if e, err := books.Event(ctx, "evt_po_001499"); err != nil || e.Provider != "fake" {
		t.Fatalf("last event %+v, %v; want it recorded as the worker's provider's", e, err)
	}
	if cur, err := books.Cursor(ctx, "fake.events"); err != nil || cur != "after_1500" {
		t.Fatalf("cursor %q, %v; want after_1500", cur, err)
	}

	prov.evs = append(prov.evs, payouts(1500, 10)...)
	fs.broken = true
	if n, err := w.PollOnce(ctx); err == nil || n != 0 {
		t.Fatalf("PollOnce with storage down = %d, %v; want an error and nothing new", n, err)
	}
	if cur, _ := books.Cursor(ctx, "fake.events"); cur != "after_1500" {
		t.Fatalf("cursor moved to %q past events not stored", cur)
	}
	fs.broken = false
	if n, err := w.PollOnce(ctx); err != nil || n != 10 {
		t.Fatalf("PollOnce after the fix = %d, %v; want the 10 new ones", n, err)
	}
}

// BenchmarkPollBacklog records a poll of 1,000 events on an fsync'd file,
// as a desk without a public webhook address catches up after a day
// offline. Before RecordEvents, each event was its own batch: ~80 events/s.
//
//	go test ./payments -run '^$' -bench PollBacklog
func BenchmarkPollBacklog(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "poll.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	books := setUpBooks(b, db)
	const perPoll = 1000
	prov := &backlogProvider{}
	w := payments.NewWorker(books, prov, payments.Options{Idle: time.Hour})
	b.ResetTimer()
	for i := range b.N {
		prov.evs = payouts(i*perPoll, perPoll)
		if n, err := w.PollOnce(ctx); err != nil || n != perPoll {
			b.Fatalf("PollOnce = %d, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.N*perPoll)/b.Elapsed().Seconds(), "events/s")
}
