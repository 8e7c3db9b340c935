package payments_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// otherProvider is a second provider beside fakeProvider: it takes bodies
// "pay:<booking>" and can refund. Its events claim to be fakeProvider's, as
// a confused or hostile sender's might; the receiver must not believe it.
type otherProvider struct {
	fakeProvider
	mu      sync.Mutex
	refunds []payments.RefundOrder
}

func (*otherProvider) Name() string { return "other" }
func (*otherProvider) VerifyWebhook(body []byte, h http.Header) (finance.ProviderEvent, error) {
	if h.Get("X-Sig") != "ok" {
		return finance.ProviderEvent{}, payments.ErrBadSignature
	}
	bk, ok := strings.CutPrefix(string(body), "pay:")
	if !ok {
		return finance.ProviderEvent{}, finance.ErrInvalid
	}
	return finance.ProviderEvent{ID: "other:" + bk, Provider: "fake", Type: finance.EventPaymentSucceeded,
		ObjectID: "ord_" + bk, PaymentRef: "ord_" + bk, Amount: 1500, Currency: "eur", Created: time.Unix(1700000000, 0),
		Metadata: map[string]string{finance.MetaBookingID: bk, finance.MetaClientName: "Lily Chen",
			finance.MetaClientPhone: "+380501234567"}}, nil
}
func (p *otherProvider) Refund(_ context.Context, o payments.RefundOrder) (finance.ProviderRefund, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refunds = append(p.refunds, o)
	return finance.ProviderRefund{ID: "other-refund:" + o.Key, Amount: o.Amount, Status: "succeeded", Key: o.Key}, nil
}
func (p *otherProvider) FindRefunds(_ context.Context, ref string) ([]finance.ProviderRefund, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []finance.ProviderRefund
	for _, o := range p.refunds {
		if o.PaymentRef == ref {
			out = append(out, finance.ProviderRefund{ID: "other-refund:" + o.Key, Amount: o.Amount, Status: "succeeded", Key: o.Key})
		}
	}
	return out, nil
}

func closing(t *testing.T, books *finance.Service, register string) int64 {
	t.Helper()
	tots, err := books.DayTotals(context.Background(), finance.OwnerActor("Olena"), finance.DateOf(time.Now(), time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range tots {
		if d.Register == register {
			return d.Closing
		}
	}
	t.Fatalf("no register %q in the day's totals %+v", register, tots)
	return 0
}

// Two providers on one worker: each has its receiver, its events are its
// own whatever they claim, its money lands in its own register, and a
// refund of its payment goes back through it, once.
func TestSecondProviderHasItsOwnRegisterReceiverAndRefunds(t *testing.T) {
	_, books, _, _ := setup(t)
	ctx := context.Background()
	for range 2 {
		if _, err := books.AddProviderRegister(ctx, "other", "Other Pay"); err != nil {
			t.Fatal(err)
		}
	}
	if added, err := books.AddProviderRegister(ctx, "other", "Other Pay"); err != nil || added {
		t.Fatalf("adding the register again: %t, %v; want nothing added", added, err)
	}
	other := &otherProvider{}
	w := payments.NewWorker(books, fakeProvider{}, payments.Options{Idle: time.Hour}, other)
	srv := httptest.NewServer(payments.NewServer("", payments.NewReceiver(w), payments.NewProviderReceiver(w, other)).Handler)
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		path, body, sig string
		want            int
	}{
		{"/webhooks/other", "pay:bk_1", "forged", 400},
		{"/webhooks/other", "pay:bk_1", "ok", 200},
		{"/webhooks/other", "pay:bk_1", "ok", 200}, // sent again
		{"/webhooks/fake", "pay:bk_1", "ok", 400},  // not fakeProvider's shape
	} {
		if got := post(t, srv, http.MethodPost, tc.path, tc.body, tc.sig); got != tc.want {
			t.Fatalf("%s %s (%s): HTTP %d, want %d", tc.path, tc.body, tc.sig, got, tc.want)
		}
	}
	w.Drain(ctx)
	e, err := books.Event(ctx, "other:bk_1")
	if err != nil || e.Provider != "other" || e.Status != finance.InboxApplied {
		t.Fatalf("event %+v, %v; want other's, applied", e, err)
	}
	if got := closing(t, books, "other"); got != 1500 {
		t.Fatalf("other's register holds %d, want 1500", got)
	}
	if got := closing(t, books, "stripe"); got != 0 {
		t.Fatalf("stripe's register holds %d, want 0", got)
	}
	op, err := books.Operation(ctx, e.Operation)
	if err != nil || op.Staff != "other" {
		t.Fatalf("payment operation %+v, %v; want it recorded as the provider's", op, err)
	}

	owner := finance.OwnerActor("Olena")
	if _, err := books.CancelBooking(ctx, owner, "bk_1", "client ill"); err != nil {
		t.Fatal(err)
	}
	r, err := books.StartRefund(ctx, owner, finance.RefundRequest{Key: "rf-1", BookingID: "bk_1", Reason: "client ill"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Provider != "other" {
		t.Fatalf("refund provider %q, want other", r.Provider)
	}
	for range 2 {
		done, err := w.ExecuteRefund(ctx, "rf-1")
		if err != nil || done.Status != finance.RefundSucceeded {
			t.Fatalf("refund %+v, %v", done, err)
		}
	}
	if len(other.refunds) != 1 || other.refunds[0].PaymentRef != "ord_bk_1" || other.refunds[0].Amount != 1500 {
		t.Fatalf("refunds sent %+v; want one of 1500 on ord_bk_1", other.refunds)
	}
	if got := closing(t, books, "other"); got != 0 {
		t.Fatalf("other's register holds %d after the refund, want 0", got)
	}
	rep, err := books.Check(ctx)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check: %v %v", rep.Problems, err)
	}
}

// An event of a provider that is not switched on waits, deferred, instead
// of being applied by another provider's code.
func TestEventOfAnUnknownProviderWaits(t *testing.T) {
	_, books, w, _ := setup(t)
	ctx := context.Background()
	if _, err := books.RecordEvent(ctx, finance.ProviderEvent{ID: "gone:1", Provider: "gone", Type: finance.EventPayoutPaid,
		ObjectID: "po_1", Amount: 100, Currency: "eur"}); err != nil {
		t.Fatal(err)
	}
	w.Drain(ctx)
	e, err := books.Event(ctx, "gone:1")
	if err != nil || e.Status != finance.InboxFailed || !strings.Contains(e.Error, "not switched on") {
		t.Fatalf("event %+v, %v; want failed, waiting for its provider", e, err)
	}
}

// windowProvider has no cursor: it remembers the windows it is asked for.
type windowProvider struct {
	fakeProvider
	since []time.Time
}

func (*windowProvider) Name() string { return "window" }
func (*windowProvider) PollsWindow() {}
func (p *windowProvider) Poll(_ context.Context, cursor string, since time.Time) ([]finance.ProviderEvent, string, error) {
	p.since = append(p.since, since)
	return nil, "", nil
}

// A provider polled by time window asks, after a poll, only from when that
// poll ran (less the slack), not weeks back again each time.
func TestWindowPollerNarrowsToTheLastPoll(t *testing.T) {
	_, books, _, _ := setup(t)
	ctx := context.Background()
	p := &windowProvider{}
	w := payments.NewWorker(books, p, payments.Options{Idle: time.Hour, Slack: time.Minute})
	for range 2 {
		if _, err := w.PollProvider(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if first := time.Since(p.since[0]); first < 29*24*time.Hour {
		t.Fatalf("the first poll looked back %s; want the provider's 30 days", first)
	}
	if second := time.Since(p.since[1]); second > 2*time.Minute {
		t.Fatalf("the second poll looked back %s; want about the slack", second)
	}
}
