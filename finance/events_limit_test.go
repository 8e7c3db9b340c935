package finance_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// A validly signed event with an amount near int64's limit is flagged and
// posts nothing, so the online register is not jammed: the next payment posts.
func TestEventBeyondMaximumIsFlaggedNotPosted(t *testing.T) {
	f := newFixture(t)
	pay := func(id string, amount int64) finance.ProviderEvent {
		return finance.ProviderEvent{ID: "evt_" + id, Provider: "stripe", Type: finance.EventPaymentSucceeded,
			RawType: "payment_intent.succeeded", Created: f.clock.Now(), ObjectID: "pi_" + id, PaymentRef: "pi_" + id,
			Amount: amount, Currency: "eur", Metadata: map[string]string{"booking_id": "bk_" + id,
				"client_name": "Oksana Koval", "client_phone": "+380671234567"}}
	}
	for _, amount := range []int64{math.MaxInt64, finance.MaxEventAmount + 1} {
		e := pay("huge", amount)
		e.ID += time.Duration(amount).String()
		_, err := f.svc.RecordEvent(f.ctx, e)
		must(t, err)
		must(t, f.svc.ApplyEvent(f.ctx, e.ID))
		got, err := f.svc.Event(f.ctx, e.ID)
		must(t, err)
		if got.Status != finance.InboxFlagged || !strings.Contains(got.Error, "beyond any provider's maximum") {
			t.Fatalf("event of %d: status %s, note %q", amount, got.Status, got.Error)
		}
	}
	if b := f.balance(finance.RegisterAccount("stripe")); b != 0 {
		t.Fatalf("stripe register holds %d after refused events", b)
	}
	_, err := f.svc.RecordEvent(f.ctx, pay("ok", 2500))
	must(t, err)
	must(t, f.svc.ApplyEvent(f.ctx, "evt_ok"))
	if b := f.balance(finance.RegisterAccount("stripe")); b != 2500 {
		t.Fatalf("stripe register holds %d, want 2500", b)
	}
	f.mustCheck()
}
