package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// Options tune a Worker; zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// PollEvery is how often RunPoller asks the provider for new events.
	PollEvery time.Duration // default 30 s
	// Idle is how often Run looks for due retries and unfinished refunds
	// when nothing wakes it.
	Idle time.Duration // default 5 s
	// Slack is how far before the newest event seen (or before now, on a
	// first run) a poll without a cursor starts, since created times have
	// one-second resolution and clocks differ.
	Slack time.Duration // default 10 min
	// Batch is how many due events are read at a time.
	Batch int // default 100
}

// pollWindow is how far back a provider keeps events (Stripe: 30 days).
const pollWindow = 30 * 24 * time.Hour

// applyTimeout bounds one apply that outlives the worker's context, so a
// shutdown finishes what is in flight but never hangs on it.
const applyTimeout = 10 * time.Second

// Worker owns applying provider events: inlets record events and wake it;
// Run applies what is due. Run at most one Worker per database.
type Worker struct {
	books *finance.Service
	prov  Provider            // the first provider (Stripe when it is on)
	provs map[string]Provider // every provider, by Name
	order []Provider          // the same, in the order given
	opt   Options
	log   *slog.Logger
	wake  chan struct{}
}

// NewWorker builds the worker over the books for prov and any more
// providers: one worker and one inbox for all of them, each event applied
// with the provider that sent it (ProviderEvent.Provider), each refund sent
// through the provider of the payment it refunds. Names must differ.
func NewWorker(books *finance.Service, prov Provider, opt Options, more ...Provider) *Worker {
	if opt.PollEvery <= 0 {
		opt.PollEvery = 30 * time.Second
	}
	if opt.Idle <= 0 {
		opt.Idle = 5 * time.Second
	}
	if opt.Slack <= 0 {
		opt.Slack = 10 * time.Minute
	}
	if opt.Batch <= 0 {
		opt.Batch = 100
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Worker{books: books, prov: prov, provs: map[string]Provider{}, opt: opt, log: log.With("provider", prov.Name()),
		wake: make(chan struct{}, 1)}
	for _, p := range append([]Provider{prov}, more...) {
		if _, dup := w.provs[p.Name()]; dup {
			continue // the first of a name wins; wiring names each once
		}
		w.provs[p.Name()] = p
		w.order = append(w.order, p)
	}
	return w
}

// Provider is the first provider the worker syncs with.
func (w *Worker) Provider() Provider { return w.prov }

// Providers are every provider the worker syncs with, in the order given.
func (w *Worker) Providers() []Provider { return append([]Provider(nil), w.order...) }

// ProviderNamed is the provider called name ("" is the first one's events
// and refunds from before events named their provider: Stripe's).
func (w *Worker) ProviderNamed(name string) (Provider, error) {
	if name == "" {
		name = "stripe"
	}
	if p, ok := w.provs[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("%w: provider %q is not switched on at this desk", ErrUnsupported, name)
}

// Wake asks Run to look at the inbox now.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Record stores an event durably in the inbox and wakes the worker. It
// reports whether the event was new.
func (w *Worker) Record(ctx context.Context, e finance.ProviderEvent) (bool, error) {
	return w.recordFrom(ctx, w.prov, e)
}

// recordFrom is Record for an event p sent.
func (w *Worker) recordFrom(ctx context.Context, p Provider, e finance.ProviderEvent) (bool, error) {
	if e.Provider == "" {
		e.Provider = p.Name()
	}
	isNew, err := w.books.RecordEvent(ctx, e)
	if err != nil {
		return false, err
	}
	if isNew {
		w.Wake()
	}
	return isNew, nil
}

// Run applies due events until ctx is canceled, then returns nil once the
// event in flight is finished. It first resumes refunds a crash left
// unfinished.
func (w *Worker) Run(ctx context.Context) error {
	w.resumeRefunds(ctx)
	t := time.NewTicker(w.opt.Idle)
	defer t.Stop()
	for {
		w.Drain(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-t.C:
			w.resumeRefunds(ctx)
		}
	}
}

// Drain applies every event that is due now, oldest first, and returns when
// none is left (failures wait for their next try) or ctx is canceled.
func (w *Worker) Drain(ctx context.Context) {
	for ctx.Err() == nil {
		evs, err := w.books.DueEvents(ctx, w.opt.Batch)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Error("reading due events", "err", err)
			}
			return
		}
		ready, progress := w.prepareAll(ctx, evs)
		if ctx.Err() != nil {
			return
		}
		if w.apply(ctx, ready) {
			progress = true
		}
		// Applying can record events (a payment's fee): read again until
		// nothing due is left or nothing moves.
		if len(evs) == 0 || !progress {
			return
		}
	}
}

// ApplyNow takes one event through what Drain does to each (the provider
// asked for what the event left out, the payment's fee recorded, then the
// apply) at once, instead of at the worker's next round: `paydesk sync
// retry`. An event that is not due (applied, ignored, flagged) is left as it
// is. It returns the event as it stands afterwards; a failed try is recorded
// on it (with its next try), as Drain records it.
func (w *Worker) ApplyNow(ctx context.Context, id string) (finance.ProviderEvent, error) {
	e, err := w.books.Event(ctx, id)
	if err != nil {
		return e, err
	}
	if e.Status == finance.InboxPending || e.Status == finance.InboxFailed {
		ready, _ := w.prepareAll(ctx, []finance.ProviderEvent{e})
		w.apply(ctx, ready)
	}
	return w.books.Event(ctx, id)
}

// prepareConcurrency bounds the provider calls one batch makes at once: a
// backlog of payments needs a fee lookup each, and one at a time a month
// offline took minutes to catch up (about 50 events a second over loopback).
const prepareConcurrency = 8

// prepareAll takes a batch of due events through enrich and fee, several
// at a time, and records the fees they found together (one commit for the
// batch, not one per payment). ready keeps the batch's order; moved means
// some event left the due list anyway (deferred).
func (w *Worker) prepareAll(ctx context.Context, evs []finance.ProviderEvent) (ready []finance.ProviderEvent, moved bool) {
	// What is in flight is finished even when shutdown starts meanwhile.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	fees := make([]*finance.ProviderEvent, len(evs))
	errs := make([]error, len(evs))
	sem := make(chan struct{}, prepareConcurrency)
	var wg sync.WaitGroup
	for i, e := range evs {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fees[i], errs[i] = w.prepare(actx, e)
		}()
	}
	wg.Wait()
	var found []finance.ProviderEvent
	for _, f := range fees {
		if f != nil {
			found = append(found, *f)
		}
	}
	if len(found) > 0 {
		if _, err := w.books.RecordEvents(actx, found); err != nil {
			// Nothing of the batch is applied without its fee: a crash or a
			// full disk here must not lose a fee. The events stay due.
			w.log.Error("recording fees", "events", len(found), "err", err)
			return nil, false
		}
	}
	for i, e := range evs {
		if ctx.Err() != nil && fees[i] == nil && errs[i] == nil {
			break // not prepared: shutdown came first
		}
		if err := errs[i]; err != nil {
			w.log.Warn("event deferred", "event", e.ID, "type", e.RawType, "err", err)
			if derr := w.books.DeferEvent(actx, e.ID, err); derr != nil {
				w.log.Error("recording deferred event", "event", e.ID, "err", derr)
				continue
			}
			moved = true
			continue
		}
		ready = append(ready, e)
	}
	return ready, moved
}

// apply applies prepared events in their order, all in one transaction
// when they all go through (one commit for a burst of webhooks), each on
// its own otherwise. It reports whether they left the due list.
func (w *Worker) apply(ctx context.Context, evs []finance.ProviderEvent) bool {
	if len(evs) == 0 {
		return false
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	if err := w.books.ApplyEvents(actx, ids); err != nil {
		w.log.Warn("event failed", "events", len(ids), "first", ids[0], "err", err)
		return !errors.Is(err, context.DeadlineExceeded)
	}
	for _, e := range evs {
		w.log.Debug("event applied", "event", e.ID, "type", e.RawType)
	}
	return true
}

// prepare asks the provider for what the event left out, and makes the
// payment's fee event, returned for prepareAll to record before the payment
// is applied, so a crash between the two cannot lose it. The fee is not
// looked up here: a prepayment is never held back waiting for it. The fee
// event asks for it when it is prepared in turn (and waits, with backoff,
// alone, when Stripe has no balance transaction yet).
func (w *Worker) prepare(ctx context.Context, e finance.ProviderEvent) (*finance.ProviderEvent, error) {
	prov, err := w.ProviderNamed(e.Provider)
	if err != nil {
		// Recorded while that provider was on, or by another desk: it waits
		// (deferred, retried) until the provider is switched on again.
		return nil, fmt.Errorf("event %s: %w", e.ID, err)
	}
	changed, err := prov.Enrich(ctx, &e)
	if err == nil && e.Type == finance.EventFee && e.FeeCurrency == "" && e.PaymentRef != "" {
		var fee finance.Money
		if fee, err = prov.Fee(ctx, e.PaymentRef); err == nil {
			e.Fee, e.FeeCurrency, changed = fee.Amount, fee.Currency, true
		} else {
			err = fmt.Errorf("fee of %s: %w", e.PaymentRef, err)
		}
	}
	switch {
	case errors.Is(err, ErrRejected):
		// The provider says there is nothing to fetch (the fee of a
		// payment that did not succeed): applied as refused, with why.
		e.Problem, changed = err.Error(), true
	case err != nil && !errors.Is(err, ErrUnsupported):
		return nil, fmt.Errorf("asking %s about %s: %w", prov.Name(), e.ID, err)
	}
	if changed {
		if err := w.books.SetEventPayload(ctx, e); err != nil {
			return nil, err
		}
	}
	if e.Type != finance.EventPaymentSucceeded || e.Metadata[finance.MetaBookingID] == "" || e.ObjectID == "" || e.Problem != "" {
		return nil, nil
	}
	if e.Problem != "" || finance.EventOutOfRange(e) != "" {
		return nil, nil // flagged when applied, nothing posted: no fee either
	}
	if fl, ok := prov.(feeLooker); ok && !fl.LooksUpFees() {
		return nil, nil // no fee event that could only be ignored: the Sync tab says once why
	}
	feeID := e.ID + ":fee"
	if _, err := w.books.Event(ctx, feeID); err == nil {
		return nil, nil
	} else if !errors.Is(err, finance.ErrNotFound) {
		return nil, err
	}
	provider := e.Provider
	if provider == "" {
		provider = prov.Name()
	}
	return &finance.ProviderEvent{
		ID: feeID, Provider: provider, Type: finance.EventFee, RawType: "fee",
		// Just after its payment, so the payment (and its booking) is applied first.
		Created:    e.Created.Add(time.Millisecond),
		ObjectID:   e.ObjectID,
		PaymentRef: e.ObjectID,
	}, nil
}

// feeLooker is a provider that knows up front whether Fee can ever answer
// (Stripe without a secret key cannot). Without it every payment made a fee
// event of its own that was ignored, one by one: an inbox row, two commits
// and a read per payment, about half the webhook path's rate, to say what
// one line of the Sync tab says.
type feeLooker interface {
	LooksUpFees() bool
}

// ---- polling

// cursorNames are a provider's cursors in the store.
func cursorNames(p Provider) (event, created string) {
	return p.Name() + ".events", p.Name() + ".created"
}

// RunPoller polls every provider every PollEvery until ctx is canceled.
// Errors are logged and the next round tries again; a provider that cannot
// be polled (no API key) is skipped.
func (w *Worker) RunPoller(ctx context.Context) error {
	t := time.NewTicker(w.opt.PollEvery)
	defer t.Stop()
	for {
		for _, p := range w.order {
			log := w.log.With("provider", p.Name())
			if n, err := w.PollProvider(ctx, p); errors.Is(err, ErrUnsupported) {
				continue
			} else if err != nil && ctx.Err() == nil {
				log.Warn("poll failed", "err", err)
			} else if n > 0 {
				log.Info("polled events", "new", n)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PollOnce polls the first provider (PollProvider).
func (w *Worker) PollOnce(ctx context.Context) (int, error) { return w.PollProvider(ctx, w.prov) }

// PollProvider records p's events since its saved cursor and then moves the
// cursor: an event is in the inbox before the cursor passes it. It returns
// how many events were new.
func (w *Worker) PollProvider(ctx context.Context, p Provider) (int, error) {
	curName, createdName := cursorNames(p)
	cursor, err := w.books.Cursor(ctx, curName)
	if err != nil {
		return 0, err
	}
	now := w.books.Now()
	// A first start looks back as far as the provider keeps events, so
	// what happened before paydesk was set up (or while it was away) is
	// not missed; a saved position narrows it to just before that.
	since := now.Add(-pollWindow)
	if v, err := w.books.Cursor(ctx, createdName); err == nil && v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			since = t.Add(-w.opt.Slack)
		}
	}
	if oldest := now.Add(-pollWindow); since.Before(oldest) {
		since = oldest
	}
	evs, next, err := p.Poll(ctx, cursor, since)
	if errors.Is(err, ErrCursorLost) {
		w.log.Warn("poll cursor lost, listing by time", "provider", p.Name(), "since", since)
		evs, next, err = p.Poll(ctx, "", since)
	}
	if err != nil {
		return 0, fmt.Errorf("polling %s: %w", p.Name(), err)
	}
	var newest time.Time
	if _, ok := p.(WindowPoller); ok {
		newest = now // everything up to now is listed by this poll
	}
	for i := range evs {
		// A provider speaks for its own objects only: its keys are its own.
		evs[i].Provider = p.Name()
		if evs[i].Created.After(newest) {
			newest = evs[i].Created
		}
	}
	// All in one go: one commit per chunk, not a wait for the batch delay
	// per event, so a backlog after a day offline is recorded in moments.
	fresh, err := w.books.RecordEvents(ctx, evs)
	if fresh > 0 {
		w.Wake()
	}
	if err != nil {
		return fresh, err
	}
	if next != "" && next != cursor {
		if err := w.books.SetCursor(ctx, curName, next); err != nil {
			return fresh, err
		}
	}
	if !newest.IsZero() {
		if err := w.books.SetCursor(ctx, createdName, newest.UTC().Format(time.RFC3339)); err != nil {
			return fresh, err
		}
	}
	return fresh, nil
}
