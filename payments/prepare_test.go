package payments_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// feeProvider answers fee lookups slowly, as a provider across the internet
// does, and remembers how many it had in flight at once.
type feeProvider struct {
	fakeProvider
	inFlight, most atomic.Int32
	mu             sync.Mutex
	fail           map[string]bool // payment ids whose lookup fails
}

func (p *feeProvider) Fee(_ context.Context, paymentRef string) (finance.Money, error) {
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		m := p.most.Load()
		if n <= m || p.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail[paymentRef] {
		return finance.Money{}, errors.New("provider timed out")
	}
	return finance.Money{Amount: 30, Currency: "eur"}, nil
}

func bookingPayments(n int) []finance.ProviderEvent {
	evs := make([]finance.ProviderEvent, n)
	for i := range evs {
		id := fmt.Sprintf("evt_pay_%04d", i)
		evs[i] = finance.ProviderEvent{ID: id, Provider: "fake", Type: finance.EventPaymentSucceeded,
			ObjectID: fmt.Sprintf("pi_%04d", i), Amount: 1000, Currency: "eur",
			Created: time.Unix(1700000000+int64(i), 0),
			Metadata: map[string]string{finance.MetaBookingID: fmt.Sprintf("bk_%04d", i),
				finance.MetaClientName: "Lily Chen", finance.MetaClientPhone: "+380501234567",
				finance.MetaStartsAt: "2030-01-02T10:00:00Z"}}
	}
	return evs
}

// A batch of payments looks up its fees several at a time (never more than
// the bound), and posts every payment and fee once; a fee whose lookup
// fails waits for its retry without holding back anything, its payment
// included.
func TestDrainLooksUpFeesTogether(t *testing.T) {
	_, books, _, _ := setup(t)
	ctx := context.Background()
	prov := &feeProvider{fail: map[string]bool{"pi_0007": true}}
	w := payments.NewWorker(books, prov, payments.Options{Idle: time.Hour})
	if _, err := books.RecordEvents(ctx, bookingPayments(40)); err != nil {
		t.Fatal(err)
	}
	w.Drain(ctx)
	if m := prov.most.Load(); m < 2 || m > 8 {
		t.Errorf("at most %d fee lookups in flight; want several, and no more than 8", m)
	}
	st, err := books.InboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 40+40 || st.Failed != 1 || st.Pending != 0 {
		t.Fatalf("inbox %+v; want 40 payments and 40 fees, one fee failed (its lookup), none pending", st)
	}
	e, err := books.Event(ctx, "evt_pay_0007:fee")
	if err != nil || e.Status != finance.InboxFailed || !strings.Contains(e.Error, "provider timed out") {
		t.Fatalf("the fee whose lookup failed: %+v, %v", e, err)
	}
	for _, id := range []string{"evt_pay_0000", "evt_pay_0007", "evt_pay_0000:fee", "evt_pay_0039:fee"} {
		if e, err := books.Event(ctx, id); err != nil || e.Status != finance.InboxApplied {
			t.Errorf("%s: %+v, %v; want applied", id, e, err)
		}
	}

	prov.mu.Lock()
	prov.fail = nil
	prov.mu.Unlock()
	if err := books.RetryEvent(ctx, finance.OwnerActor("owner"), "evt_pay_0007:fee"); err != nil {
		t.Fatal(err)
	}
	w.Drain(ctx)
	if e, err := books.Event(ctx, "evt_pay_0007:fee"); err != nil || e.Status != finance.InboxApplied {
		t.Fatalf("after the retry the fee is %+v, %v; want applied", e, err)
	}
	rep, err := books.Check(ctx)
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("check: %v %v", err, rep.Problems)
	}
}
