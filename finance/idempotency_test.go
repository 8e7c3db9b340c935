package finance_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

func TestIdempotentReplay(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	req := finance.TopUpRequest{Key: "form-1", ClientID: anna.ID, Amount: 5000, Register: "cash"}
	first, err := f.svc.TopUp(f.ctx, f.desk, req)
	must(t, err)
	before := f.snap(cashAcc)
	again, err := f.svc.TopUp(f.ctx, f.desk, req)
	must(t, err)
	if again.ID != first.ID || again.RequestHash != first.RequestHash {
		t.Errorf("replay returned op %d, first was %d", again.ID, first.ID)
	}
	f.unchanged(before, cashAcc)
	if f.owed(anna.ID) != 5000 {
		t.Errorf("owed %d after a replay", f.owed(anna.ID))
	}

	// The same key for another request is a conflict, also across kinds.
	req.Amount = 6000
	_, err = f.svc.TopUp(f.ctx, f.desk, req)
	wantErr(t, err, finance.ErrConflict)
	_, err = f.svc.CashOut(f.ctx, f.admin, finance.CashOutRequest{Key: "form-1", ClientID: anna.ID, Amount: 5000, Register: "cash"})
	wantErr(t, err, finance.ErrConflict)
	f.unchanged(before, cashAcc)

	// After a restart the key still holds.
	f.reopen()
	again, err = f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "form-1", ClientID: anna.ID, Amount: 5000, Register: "cash"})
	must(t, err)
	if again.ID != first.ID {
		t.Errorf("replay after reopen returned op %d", again.ID)
	}
	f.mustCheck()
}

// A refused request leaves its key free: the corrected form may post with it.
func TestRefusedKeyIsFree(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	_, err := f.svc.CashOut(f.ctx, f.mgr, finance.CashOutRequest{Key: "k", ClientID: anna.ID, Amount: 100, Register: "cash"})
	wantErr(t, err, finance.ErrInsufficientFunds)
	_, err = f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "k", ClientID: anna.ID, Amount: 100, Register: "cash"})
	must(t, err)
}

// Two desks submitting the same form at once post it once.
func TestConcurrentSameKey(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	req := finance.TopUpRequest{Key: "dup", ClientID: anna.ID, Amount: 700, Register: "cash"}
	var wg sync.WaitGroup
	ids := make([]finance.OperationID, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op, err := f.svc.TopUp(f.ctx, f.desk, req)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = op.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("ids %v", ids)
		}
	}
	if f.owed(anna.ID) != 700 {
		t.Errorf("owed %d", f.owed(anna.ID))
	}
	f.mustCheck()
}

func TestSubscribeHearsPostings(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	ch, cancel := f.svc.Subscribe()
	defer cancel()
	op, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "s", ClientID: anna.ID, Amount: 100, Register: "cash"})
	must(t, err)
	c := <-ch
	if c.What != "operation" || c.Operation != op.ID || c.ClientID != anna.ID {
		t.Errorf("change %+v", c)
	}
	// A replay changes nothing and says nothing.
	_, err = f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "s", ClientID: anna.ID, Amount: 100, Register: "cash"})
	must(t, err)
	select {
	case c := <-ch:
		t.Errorf("replay published %+v", c)
	default:
	}
}

// A screen that falls behind in a burst misses changes, never blocks a
// write, and once it reads again gets a ChangeMissed after the last of the
// changes it did get: a refresh then sees the burst's last write.
func TestSubscriberBehindGetsChangeMissed(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	ch, cancel := f.svc.Subscribe()
	defer cancel()
	const burst = 40 // more than a subscriber's queue
	for i := range burst {
		_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: fmt.Sprint("b", i), ClientID: anna.ID, Amount: 100, Register: "cash"})
		must(t, err)
	}
	var got []finance.Change
	for len(got) == 0 || got[len(got)-1].What != finance.ChangeMissed {
		select {
		case c := <-ch:
			got = append(got, c)
		case <-time.After(5 * time.Second):
			t.Fatalf("after %d changes no ChangeMissed: %+v", len(got), got)
		}
	}
	if len(got) >= burst+1 {
		t.Errorf("%d changes for %d writes: none was dropped, yet a catch-up came", len(got), burst)
	}
	for _, c := range got[:len(got)-1] {
		if c.What != "operation" {
			t.Errorf("change %+v before the catch-up", c)
		}
	}
	select {
	case c := <-ch:
		t.Errorf("after the catch-up: %+v", c)
	case <-time.After(50 * time.Millisecond):
	}
}

// Unsubscribing while a catch-up waits for room ends it before the channel
// closes (a send on a closed channel would panic; -race watches the rest).
func TestUnsubscribeWithCatchUpPending(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	_, cancel := f.svc.Subscribe()
	for i := range 30 {
		_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: fmt.Sprint("u", i), ClientID: anna.ID, Amount: 100, Register: "cash"})
		must(t, err)
	}
	cancel()
	cancel() // twice is harmless
	// A write after it publishes to no one.
	_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "after", ClientID: anna.ID, Amount: 100, Register: "cash"})
	must(t, err)
}
