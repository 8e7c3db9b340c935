package finance_test

import (
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// TestPrepaymentClientByPhoneForms: a phone sent as E.164 (looked up as is)
// and the same phone typed nationally (parsed first) find the same client;
// an E.164-shaped number nobody has makes a new client, and one that is no
// phone at all flags the booking as before.
func TestPrepaymentClientByPhoneForms(t *testing.T) {
	f := newFixture(t)
	c := f.client("Oksana K.", "067 123 45 67")
	for i, tc := range []struct {
		phone   string
		same    bool
		flagged bool
	}{
		{phone: "+380671234567", same: true},
		{phone: " +380671234567 ", same: true},
		{phone: "067 123 45 67", same: true},
		{phone: "+380671234568"},
		{phone: "+999", flagged: true},
	} {
		id := string(rune('a' + i))
		_, err := f.deliver(payEvent("evt_"+id, "pi_"+id, "bk_"+id, 2500, map[string]string{finance.MetaClientPhone: tc.phone}))
		must(t, err)
		b := f.booking("bk_" + id)
		if (b.ClientID == c.ID) != tc.same || (b.Flag != "") != tc.flagged || (!tc.flagged && b.ClientID == 0) {
			t.Errorf("phone %q: booking client %d flag %q; the existing client is %d", tc.phone, b.ClientID, b.Flag, c.ID)
		}
	}
	f.mustCheck()
}

// TestApplyEventsOneClockPerBatch: events applied together share one
// transaction and so one "now", and each still posts once and is marked.
func TestApplyEventsOneClockPerBatch(t *testing.T) {
	f := newFixture(t)
	ids := []string{"evt_1", "evt_2", "evt_3"}
	for i, id := range ids {
		p := string(rune('1' + i))
		_, err := f.svc.RecordEvent(f.ctx, payEvent(id, "pi_"+p, "bk_"+p, 2500, nil))
		must(t, err)
	}
	f.clock.Add(time.Minute)
	must(t, f.svc.ApplyEvents(f.ctx, append(ids, "evt_1")))
	var at time.Time
	for _, id := range ids {
		e := f.event(id)
		if e.Status != finance.InboxApplied || e.Operation == 0 {
			t.Fatalf("%s = %s op %d", id, e.Status, e.Operation)
		}
		op, err := f.svc.Operation(f.ctx, e.Operation)
		must(t, err)
		if at.IsZero() {
			at = op.Time
		} else if !op.Time.Equal(at) {
			t.Errorf("%s posted at %v, the batch at %v", id, op.Time, at)
		}
	}
	f.mustCheck()
}
