package finance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bookings, provider events and refunds. The sync worker (package payments)
// turns a provider's events into ProviderEvents and feeds them here; each is
// stored once in the inbox and applied once, in one transaction with its
// ledger operation.
//
// Ledger keys chosen here make every provider object post once whichever
// way it arrives (webhook, poller, the refund executor):
//
//	<provider>:<payment id>      online prepayment
//	<provider>:fee:<payment id>  the provider's fee for that payment
//	<provider>:<refund id>       a card refund (ours or from the dashboard)
//	<provider>:<payout id>       a payout to the bank

// Metadata keys the booking widget puts on a payment.
const (
	MetaBookingID    = "booking_id"
	MetaClientName   = "client_name"
	MetaClientPhone  = "client_phone"
	MetaService      = "service"
	MetaStartsAt     = "starts_at"
	MetaGroupEvent   = "group_event"
	MetaBookingTotal = "booking_total"
	// MetaRefundKey is set on refunds paydesk issues, so a refund found at
	// the provider (after a crash, or in a charge.refunded event) is matched
	// to the Refund that asked for it.
	MetaRefundKey = "paydesk_refund_key"
)

// bkStaff is who provider-driven operations are recorded as.
const bkStaff = "stripe"

// bkDefaultProvider names the provider of refunds issued by paydesk, whose
// record predates any provider answer.
const bkDefaultProvider = "stripe"

// Retry backoff for failed events: doubling from the first delay, capped so a
// stuck event is still retried a few times a day.
const (
	bkFirstRetry = 5 * time.Second
	bkMaxRetry   = 6 * time.Hour
)

// EventBackoff is how long to wait before the next try after attempts failures.
func EventBackoff(attempts int) time.Duration {
	d := bkFirstRetry
	for i := 1; i < attempts && d < bkMaxRetry; i++ {
		d *= 2
	}
	if d > bkMaxRetry {
		d = bkMaxRetry
	}
	return d
}

// Batcher is a Store that can merge small writes arriving together from
// many goroutines into one commit (store.DB does, with bbolt's DB.Batch).
// fn may run more than once, so it must not have effects outside tx.
type Batcher interface {
	Batch(ctx context.Context, fn func(tx Tx) error) error
}

// RecordEvent stores a provider event in the inbox if its id is new.
// It reports whether the event was new. Nothing is applied yet.
func (s *Service) RecordEvent(ctx context.Context, e ProviderEvent) (bool, error) {
	if err := s.bkInboxReady(&e); err != nil {
		return false, err
	}
	isNew := false
	// Webhooks arrive in bursts from many connections: where the store can,
	// concurrent records share one commit (one fsync) instead of one each.
	write := s.store.Update
	if b, ok := s.store.(Batcher); ok {
		write = b.Batch
	}
	err := write(ctx, func(tx Tx) error {
		var err error
		isNew, err = bkRecordIn(tx, e) // a batch may run fn again: set anew
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record event %s: %w", e.ID, err)
	}
	if isNew {
		s.publish(Change{What: "inbox"})
	}
	return isNew, nil
}

// recordChunk bounds one RecordEvents transaction, so a month's backlog is
// not one commit holding the write lock (and its pages in memory) at once.
const recordChunk = 1000

// RecordEvents stores several provider events as RecordEvent does each, in
// one transaction per recordChunk. A poll brings its events from one
// goroutine: recorded one by one, each would wait out the store's batch
// delay alone (about 80 events a second), and a backlog would take minutes.
// Every event is checked before anything is written; a failed chunk writes
// nothing, and the chunks before it stay. It returns how many were new.
func (s *Service) RecordEvents(ctx context.Context, evs []ProviderEvent) (int, error) {
	ready := make([]ProviderEvent, len(evs))
	for i, e := range evs {
		if err := s.bkInboxReady(&e); err != nil {
			return 0, err
		}
		ready[i] = e
	}
	fresh := 0
	for chunk := range slices.Chunk(ready, recordChunk) {
		n := 0
		err := s.store.Update(ctx, func(tx Tx) error {
			for _, e := range chunk {
				isNew, err := bkRecordIn(tx, e)
				if err != nil {
					return fmt.Errorf("record event %s: %w", e.ID, err)
				}
				if isNew {
					n++
				}
			}
			return nil
		})
		if err != nil {
			if fresh > 0 {
				s.publish(Change{What: "inbox"})
			}
			return fresh, err
		}
		fresh += n
	}
	if fresh > 0 {
		s.publish(Change{What: "inbox"})
	}
	return fresh, nil
}

// bkInboxReady checks an event for the inbox and fills in what it leaves
// out: provider, type, times, and a fresh state (pending, or ignored for a
// type paydesk does not apply).
func (s *Service) bkInboxReady(e *ProviderEvent) error {
	if strings.TrimSpace(e.ID) == "" {
		return fmt.Errorf("%w: provider event without an id", ErrInvalid)
	}
	if e.Provider == "" {
		e.Provider = bkDefaultProvider
	}
	if e.Type == "" {
		e.Type = EventUnknown
	}
	if e.Received.IsZero() {
		e.Received = s.now()
	}
	if e.Created.IsZero() {
		e.Created = e.Received
	}
	e.Attempts, e.Error, e.Operation, e.NextTry = 0, "", 0, time.Time{}
	e.Status = InboxPending
	if e.Type == EventUnknown {
		// Kept for the record (the sync view lists it) but never applied.
		e.Status = InboxIgnored
	}
	return nil
}

// bkRecordIn stores e in the inbox inside tx unless its id is there
// already (recorded before, or earlier in the same transaction).
func bkRecordIn(tx Tx, e ProviderEvent) (bool, error) {
	if _, err := tx.InboxEvent(e.ID); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	if err := tx.PutInboxEvent(e); err != nil {
		return false, err
	}
	return true, nil
}

// Event reads one inbox event.
func (s *Service) Event(ctx context.Context, id string) (ProviderEvent, error) {
	var e ProviderEvent
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		e, err = tx.InboxEvent(id)
		return err
	})
	return e, err
}

// SetEventPayload replaces what an event says (its type and neutral
// payload) with what the provider filled in later, keeping its inbox state.
// Events already applied or ignored keep what they were applied with.
func (s *Service) SetEventPayload(ctx context.Context, e ProviderEvent) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		cur, err := tx.InboxEvent(e.ID)
		if err != nil {
			return fmt.Errorf("event %s: %w", e.ID, err)
		}
		if cur.Status != InboxPending && cur.Status != InboxFailed {
			return nil
		}
		cur.Type, cur.ObjectID, cur.PaymentRef = e.Type, e.ObjectID, e.PaymentRef
		cur.Amount, cur.Currency, cur.Fee = e.Amount, e.Currency, e.Fee
		cur.Refunds, cur.Metadata, cur.FailureText = e.Refunds, e.Metadata, e.FailureText
		return tx.PutInboxEvent(cur)
	})
	return err
}

// DueEvents lists pending or failed events whose next try has come, oldest
// (by provider creation time) first: the order the sync worker applies them.
func (s *Service) DueEvents(ctx context.Context, limit int) ([]ProviderEvent, error) {
	var out []ProviderEvent
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.DueEvents(s.now(), limit)
		return err
	})
	return out, err
}

// ApplyEvent applies one inbox event exactly once: the ledger operation, the
// booking and client updates and the inbox mark commit together. Applying an
// already applied or ignored event is a no-op. A failure is recorded on the
// event (attempts, error, next try with backoff) and returned.
func (s *Service) ApplyEvent(ctx context.Context, id string) error {
	var changes []Change
	missing := false
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		changes, missing, err = s.bkApplyIn(tx, &bkEnv{}, id)
		return err
	})
	if err == nil {
		for _, c := range changes {
			s.publish(c)
		}
		return nil
	}
	err = fmt.Errorf("apply event %s: %w", id, err)
	if missing || ctx.Err() != nil {
		return err
	}
	// Nothing of the failed try was written; note it on the event so it is
	// retried later and the sync view shows why.
	if ferr := s.bkMarkFailed(ctx, id, err); ferr != nil {
		return fmt.Errorf("%w (recording the failure: %v)", err, ferr)
	}
	return err
}

// ApplyEvents applies several inbox events, in the order given, in one
// transaction: a burst of webhooks then costs one commit instead of one per
// event, which is what lets sync keep up with the provider. If any of them
// fails, nothing of the batch is kept and each is applied on its own with
// ApplyEvent, so the failure is recorded on that event alone and the others
// still post. It returns the first error of that second pass.
func (s *Service) ApplyEvents(ctx context.Context, ids []string) error {
	switch len(ids) {
	case 0:
		return nil
	case 1:
		return s.ApplyEvent(ctx, ids[0])
	}
	var changes []Change
	err := s.store.Update(ctx, func(tx Tx) error {
		changes = changes[:0]
		env := &bkEnv{} // one per transaction, as post does: the batch agrees on "now"
		for _, id := range ids {
			c, _, err := s.bkApplyIn(tx, env, id)
			if err != nil {
				return err
			}
			changes = append(changes, c...)
		}
		return nil
	})
	if err == nil {
		for _, c := range changes {
			s.publish(c)
		}
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	var first error
	for _, id := range ids {
		if err := s.ApplyEvent(ctx, id); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// bkEnv is a transaction's postEnv, built on first use: settings, clock and
// formatter are read once for a batch of events, not once per event, and not
// at all when every event was applied already.
type bkEnv struct {
	env postEnv
	ok  bool
}

func (s *Service) bkEnvIn(tx Tx, c *bkEnv) (postEnv, error) {
	if !c.ok {
		env, err := s.env(tx, SystemActor())
		if err != nil {
			return postEnv{}, err
		}
		c.env, c.ok = env, true
	}
	return c.env, nil
}

// bkApplyIn is one event's apply inside tx: the ledger operation, booking
// and client updates and the inbox mark. missing reports an unknown id.
func (s *Service) bkApplyIn(tx Tx, envc *bkEnv, id string) (changes []Change, missing bool, err error) {
	e, err := tx.InboxEvent(id)
	if err != nil {
		return nil, errors.Is(err, ErrNotFound), err
	}
	switch e.Status {
	case InboxApplied, InboxIgnored, InboxFlagged:
		return nil, false, nil
	}
	env, err := s.bkEnvIn(tx, envc)
	if err != nil {
		return nil, false, err
	}
	res, err := s.bkApply(tx, env, e)
	if err != nil {
		return nil, false, err
	}
	e.Status, e.Operation, e.Error, e.NextTry = res.status, res.op, res.note, time.Time{}
	if err := tx.PutInboxEvent(e); err != nil {
		return nil, false, err
	}
	return append(res.changes, Change{What: "inbox"}), false, nil
}

// bkMarkFailed records a failed try on an event and schedules the next one.
func (s *Service) bkMarkFailed(ctx context.Context, id string, cause error) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		e, err := tx.InboxEvent(id)
		if err != nil {
			return err
		}
		e.Status = InboxFailed
		e.Attempts++
		e.Error = cause.Error()
		e.NextTry = s.now().Add(EventBackoff(e.Attempts))
		return tx.PutInboxEvent(e)
	})
	if err == nil {
		s.publish(Change{What: "inbox"})
	}
	return err
}

// DeferEvent records a failed try that happened outside ApplyEvent (the
// worker could not fetch something from the provider), with the same backoff.
func (s *Service) DeferEvent(ctx context.Context, id string, cause error) error {
	if cause == nil {
		return fmt.Errorf("%w: defer event without a cause", ErrInvalid)
	}
	return s.bkMarkFailed(ctx, id, cause)
}

// RetryEvent makes a failed event due now.
func (s *Service) RetryEvent(ctx context.Context, a Actor, id string) error {
	if err := s.require(a, RightBookings); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		e, err := tx.InboxEvent(id)
		if err != nil {
			return fmt.Errorf("event %s: %w", id, err)
		}
		if e.Status != InboxFailed && e.Status != InboxPending {
			return fmt.Errorf("%w: event %s is %s, nothing to retry", ErrConflict, id, e.Status)
		}
		e.NextTry = time.Time{}
		if err := tx.PutInboxEvent(e); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: "event_retry", Subject: "event " + id})
	})
	if err == nil {
		s.publish(Change{What: "inbox"})
	}
	return err
}

// bkResult is what applying one event did.
type bkResult struct {
	status  InboxStatus
	op      OperationID
	note    string
	changes []Change
}

func (s *Service) bkApply(tx Tx, env postEnv, e ProviderEvent) (bkResult, error) {
	switch e.Type {
	case EventPaymentSucceeded:
		return s.bkApplyPayment(tx, env, e)
	case EventFee:
		return s.bkApplyFee(tx, env, e)
	case EventPayoutPaid:
		return s.bkApplyPayout(tx, env, e)
	case EventRefundUpdated:
		return s.bkApplyRefunds(tx, env, e)
	case EventPaymentFailed:
		// No money moved; kept as applied so the sync view shows why.
		return bkResult{status: InboxApplied, note: e.FailureText}, nil
	case EventDisputeOpened:
		// Money may be clawed back: an admin has to look at it in the
		// provider's dashboard; the ledger moves when the dispute is settled.
		return bkResult{status: InboxFlagged, note: "dispute opened for " + bkFirst(e.PaymentRef, e.ObjectID)}, nil
	default:
		return bkResult{status: InboxIgnored}, nil
	}
}

func bkFirst(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func bkKey(provider, id string) string {
	if provider == "" {
		provider = bkDefaultProvider
	}
	return provider + ":" + id
}

func bkOnlineRegister(st Settings) (string, error) {
	return bkRegister(st, st.OnlineRegID, "stripe", RegisterOnline)
}

func bkRegister(st Settings, id, def string, kind RegisterKind) (string, error) {
	if id == "" {
		id = def
	}
	for _, r := range st.Registers {
		if r.ID == id {
			return id, nil
		}
	}
	return "", fmt.Errorf("%w: no %s register %q in the settings", ErrInvalid, kind, id)
}

// bkObject is what a provider-driven operation's idempotency hash covers:
// the provider object's identity alone, so the same payment, refund or
// payout seen through two events (or the executor and an event) replays
// instead of conflicting.
type bkObject struct {
	Kind OpKind
	Ref  string
}

// bkPost appends an operation through the ledger's one posting path, unless
// its key already posted one, which it then returns instead: provider
// objects arrive more than once. posted is false on such a replay.
func (s *Service) bkPost(tx Tx, env postEnv, op Operation) (Operation, bool, error) {
	out, replayed, err := s.postIn(tx, env, op.Key, bkObject{Kind: op.Kind, Ref: op.ProviderRef},
		func(Tx, postEnv) (*Operation, error) { return &op, nil })
	return out, !replayed, err
}

// ---- payment succeeded: the booking widget's prepayment

func (s *Service) bkApplyPayment(tx Tx, env postEnv, e ProviderEvent) (bkResult, error) {
	md := e.Metadata
	bookingID := strings.TrimSpace(md[MetaBookingID])
	if bookingID == "" {
		return bkResult{status: InboxIgnored, note: "payment without a booking_id: not a booking prepayment"}, nil
	}
	if e.ObjectID == "" {
		return bkResult{}, fmt.Errorf("%w: payment event without a payment id", ErrInvalid)
	}
	if e.Amount <= 0 {
		return bkResult{}, fmt.Errorf("%w: payment %s amount %d", ErrInvalid, e.ObjectID, e.Amount)
	}
	if !strings.EqualFold(e.Currency, env.Settings.Currency) {
		return bkResult{}, fmt.Errorf("%w: payment %s is in %q, the location keeps %s",
			ErrInvalid, e.ObjectID, e.Currency, env.Settings.Currency)
	}
	online, err := bkOnlineRegister(env.Settings)
	if err != nil {
		return bkResult{}, err
	}
	key := bkKey(e.Provider, e.ObjectID)
	if prev, err := tx.OperationByKey(key); err == nil {
		// The same payment through another event (or the poller): posted once.
		return bkResult{status: InboxApplied, op: prev.ID, note: "payment already posted"}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return bkResult{}, err
	}

	now := env.Now
	var flags []string
	client, cerr := s.bkClientFor(tx, env.Settings, md[MetaClientName], md[MetaClientPhone], now)
	if cerr != nil {
		// The money was taken all the same: post it and let an admin attach the client.
		flags = append(flags, "no client: "+cerr.Error())
	}

	b, err := tx.Booking(bookingID)
	switch {
	case errors.Is(err, ErrNotFound):
		b = Booking{ID: bookingID, Status: BookingPrepaid, Created: now}
	case err != nil:
		return bkResult{}, err
	}
	if client.ID != 0 {
		b.ClientID = client.ID
	}
	if v := strings.TrimSpace(md[MetaService]); v != "" {
		b.Service = v
	}
	if v := strings.TrimSpace(md[MetaStartsAt]); v != "" {
		t, err := bkParseTime(v)
		if err != nil {
			flags = append(flags, err.Error())
		} else {
			b.StartsAt = t
		}
	}
	if v := strings.TrimSpace(md[MetaGroupEvent]); v != "" {
		g, err := strconv.ParseBool(v)
		if err != nil {
			flags = append(flags, fmt.Sprintf("group_event %q is not true/false", v))
		} else {
			b.GroupEvent = g
		}
	}
	if v := strings.TrimSpace(md[MetaBookingTotal]); v != "" {
		t, err := strconv.ParseInt(v, 10, 64)
		if err != nil || t <= 0 {
			flags = append(flags, fmt.Sprintf("booking_total %q is not a positive amount in minor units", v))
		} else {
			b.Total = t
		}
	}
	b.Paid += e.Amount
	b.PaymentIntent = e.ObjectID
	b.Updated = now
	if b.Status == "" {
		b.Status = BookingPrepaid
	}
	if b.GroupEvent && b.Paid < b.Total {
		flags = append(flags, fmt.Sprintf("%s: paid %d of %d", ErrGroupPartial, b.Paid, b.Total))
	} else if b.GroupEvent && b.Total == 0 {
		flags = append(flags, fmt.Sprintf("%s: booking_total missing", ErrGroupPartial))
	}
	if len(flags) > 0 {
		b.Flag = strings.Join(flags, "; ")
	}

	op, _, err := s.bkPost(tx, env, Operation{
		Key:         key,
		Kind:        OpOnlinePrepayment,
		Staff:       bkStaff,
		ClientID:    b.ClientID,
		BookingID:   b.ID,
		Comment:     bkFirst(b.Service, "online prepayment"),
		ProviderRef: e.ObjectID,
		Postings: []Posting{
			{Account: RegisterAccount(online), Amount: e.Amount},
			{Account: AccountPrepaid, Amount: -e.Amount},
		},
	})
	if err != nil {
		return bkResult{}, err
	}
	if err := tx.PutBooking(b); err != nil {
		return bkResult{}, err
	}
	res := bkResult{status: InboxApplied, op: op.ID, changes: []Change{
		{What: "operation", Operation: op.ID, ClientID: b.ClientID}, {What: "booking", ClientID: b.ClientID},
	}}
	if b.Flag != "" {
		res.status, res.note = InboxFlagged, b.Flag
	}
	return res, nil
}

// bkClientFor finds the client by phone or creates them.
func (s *Service) bkClientFor(tx Tx, st Settings, name, phone string, now time.Time) (Client, error) {
	// Booking widgets mostly send E.164 already, which is how phones are
	// stored: a hit on it as typed is the client NormalizePhone would find
	// (it returns E.164 unchanged), without parsing the number.
	if p := strings.TrimSpace(phone); bkLooksE164(p) {
		if c, err := tx.ClientByPhone(p); err == nil {
			return c, nil
		} else if !errors.Is(err, ErrNotFound) {
			return Client{}, err
		}
	}
	e164, err := NormalizePhone(phone, st.PhoneRegion)
	if err != nil {
		return Client{}, err
	}
	c, err := tx.ClientByPhone(e164)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Client{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = e164
	}
	return tx.CreateClient(Client{Name: name, Phone: e164, CreditLimit: st.CreditLimit, Created: now})
}

// bkLooksE164 reports whether p has E.164's shape: "+", then up to 15
// digits, the first not 0.
func bkLooksE164(p string) bool {
	if len(p) < 3 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// bkParseTime reads starts_at as RFC 3339 or Unix seconds, the two forms
// booking widgets send.
func bkParseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("starts_at %q is neither RFC 3339 nor Unix seconds", v)
}

// bkPaymentOp finds the prepayment a provider payment posted.
func bkPaymentOp(tx ReadTx, provider, paymentRef string) (Operation, error) {
	if paymentRef == "" {
		return Operation{}, fmt.Errorf("%w: event names no payment", ErrInvalid)
	}
	op, err := tx.OperationByKey(bkKey(provider, paymentRef))
	if err != nil {
		return Operation{}, fmt.Errorf("prepayment %s: %w", paymentRef, err)
	}
	return op, nil
}

// ---- fee and payout

func (s *Service) bkApplyFee(tx Tx, env postEnv, e ProviderEvent) (bkResult, error) {
	if e.Fee <= 0 {
		return bkResult{status: InboxApplied, note: "no fee"}, nil
	}
	pay := bkFirst(e.PaymentRef, e.ObjectID)
	if pay == "" {
		return bkResult{}, fmt.Errorf("%w: fee event names no payment", ErrInvalid)
	}
	online, err := bkOnlineRegister(env.Settings)
	if err != nil {
		return bkResult{}, err
	}
	var bookingID string
	var clientID ClientID
	if p, err := bkPaymentOp(tx, e.Provider, pay); err == nil {
		bookingID, clientID = p.BookingID, p.ClientID
	}
	op, _, err := s.bkPost(tx, env, Operation{
		Key:         bkKey(e.Provider, "fee:"+pay),
		Kind:        OpProviderFee,
		Staff:       bkStaff,
		ClientID:    clientID,
		BookingID:   bookingID,
		Comment:     "provider fee",
		ProviderRef: pay,
		Postings: []Posting{
			{Account: AccountFees, Amount: e.Fee},
			{Account: RegisterAccount(online), Amount: -e.Fee},
		},
	})
	if err != nil {
		return bkResult{}, err
	}
	return bkResult{status: InboxApplied, op: op.ID, changes: []Change{{What: "operation", Operation: op.ID}}}, nil
}

func (s *Service) bkApplyPayout(tx Tx, env postEnv, e ProviderEvent) (bkResult, error) {
	if e.ObjectID == "" || e.Amount <= 0 {
		return bkResult{}, fmt.Errorf("%w: payout %q amount %d", ErrInvalid, e.ObjectID, e.Amount)
	}
	if !strings.EqualFold(e.Currency, env.Settings.Currency) {
		return bkResult{}, fmt.Errorf("%w: payout %s is in %q, the location keeps %s",
			ErrInvalid, e.ObjectID, e.Currency, env.Settings.Currency)
	}
	online, err := bkOnlineRegister(env.Settings)
	if err != nil {
		return bkResult{}, err
	}
	bank, err := bkRegister(env.Settings, env.Settings.BankRegID, "bank", RegisterBank)
	if err != nil {
		return bkResult{}, err
	}
	op, _, err := s.bkPost(tx, env, Operation{
		Key:         bkKey(e.Provider, e.ObjectID),
		Kind:        OpPayout,
		Staff:       bkStaff,
		Comment:     "payout",
		ProviderRef: e.ObjectID,
		Postings: []Posting{
			{Account: RegisterAccount(bank), Amount: e.Amount},
			{Account: RegisterAccount(online), Amount: -e.Amount},
		},
	})
	if err != nil {
		return bkResult{}, err
	}
	return bkResult{status: InboxApplied, op: op.ID, changes: []Change{{What: "operation", Operation: op.ID}}}, nil
}

// ---- refunds reported by the provider

func (s *Service) bkApplyRefunds(tx Tx, env postEnv, e ProviderEvent) (bkResult, error) {
	if len(e.Refunds) == 0 {
		return bkResult{status: InboxApplied, note: "no refunds listed"}, nil
	}
	pay, err := bkPaymentOp(tx, e.Provider, e.PaymentRef)
	if err != nil {
		// Usually the payment's own event is still on its way, so this is
		// retried with backoff; a refund of a payment that was never a
		// booking stays failed in the sync view for an admin, never dropped.
		return bkResult{}, err
	}
	res := bkResult{status: InboxApplied}
	var notes []string
	for _, pr := range e.Refunds {
		r, err := s.bkProviderRefund(tx, env, e.Provider, pay.BookingID, pr)
		if err != nil {
			return bkResult{}, err
		}
		if r.opID != 0 {
			res.op = r.opID
		}
		if r.note != "" {
			notes = append(notes, r.note)
			res.status = InboxFlagged
		}
	}
	res.note = strings.Join(notes, "; ")
	res.changes = []Change{{What: "booking"}, {What: "operation", Operation: res.op}}
	return res, nil
}

type bkRefundResult struct {
	opID OperationID
	note string // set when an admin should look
}

// bkProviderRefund records one provider refund: a success posts once per
// provider refund id; our Refund (matched by key, or by provider id) follows
// the provider's status.
func (s *Service) bkProviderRefund(tx Tx, env postEnv, provider, bookingID string, pr ProviderRefund) (bkRefundResult, error) {
	if pr.ID == "" {
		return bkRefundResult{}, fmt.Errorf("%w: refund without an id", ErrInvalid)
	}
	ours, err := bkFindRefund(tx, bookingID, pr)
	if err != nil {
		return bkRefundResult{}, err
	}
	switch pr.Status {
	case "succeeded":
		amount := pr.Amount
		if ours != nil && ours.Status == RefundSucceeded && ours.OperationID != 0 {
			return bkRefundResult{opID: ours.OperationID}, nil
		}
		op, posted, err := s.bkPostRefund(tx, env, provider, bookingID, pr.ID, amount, "card refund")
		if err != nil {
			return bkRefundResult{}, err
		}
		if ours != nil {
			ours.Status, ours.ProviderRef, ours.OperationID, ours.Error = RefundSucceeded, pr.ID, op.ID, ""
			ours.Updated = s.now()
			if err := tx.PutRefund(*ours); err != nil {
				return bkRefundResult{}, err
			}
		}
		var note string
		if posted && ours != nil && ours.Amount != amount {
			note = fmt.Sprintf("refund %s: provider refunded %d, paydesk asked for %d", pr.ID, amount, ours.Amount)
		}
		return bkRefundResult{opID: op.ID, note: note}, nil
	case "failed", "canceled":
		if ours == nil {
			return bkRefundResult{}, nil
		}
		if ours.Status == RefundSucceeded {
			return bkRefundResult{note: fmt.Sprintf("refund %s was posted as succeeded and is now %s at the provider", pr.ID, pr.Status)}, nil
		}
		ours.Status, ours.ProviderRef, ours.Error, ours.Updated = RefundFailed, pr.ID, "provider: "+pr.Status, s.now()
		return bkRefundResult{}, tx.PutRefund(*ours)
	default: // pending, requires_action
		if ours != nil && (ours.Status == RefundRequested || ours.Status == RefundPending) {
			ours.Status, ours.ProviderRef, ours.Updated = RefundPending, pr.ID, s.now()
			return bkRefundResult{}, tx.PutRefund(*ours)
		}
		return bkRefundResult{}, nil
	}
}

func bkFindRefund(tx ReadTx, bookingID string, pr ProviderRefund) (*Refund, error) {
	if pr.Key != "" {
		r, err := tx.Refund(pr.Key)
		if err == nil {
			return &r, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	rs, err := tx.BookingRefunds(bookingID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	for i := range rs {
		if rs[i].ProviderRef == pr.ID {
			return &rs[i], nil
		}
	}
	return nil, nil
}

// bkPostRefund posts a card refund (prepaid +R, online -R) once per provider
// refund id and counts it on the booking.
func (s *Service) bkPostRefund(tx Tx, env postEnv, provider, bookingID, refundID string, amount int64, comment string) (Operation, bool, error) {
	if amount <= 0 {
		return Operation{}, false, fmt.Errorf("%w: refund %s amount %d", ErrInvalid, refundID, amount)
	}
	online, err := bkOnlineRegister(env.Settings)
	if err != nil {
		return Operation{}, false, err
	}
	b, err := tx.Booking(bookingID)
	if err != nil {
		return Operation{}, false, fmt.Errorf("booking %s: %w", bookingID, err)
	}
	op, posted, err := s.bkPost(tx, env, Operation{
		Key:         bkKey(provider, refundID),
		Kind:        OpRefund,
		Staff:       bkStaff,
		ClientID:    b.ClientID,
		BookingID:   b.ID,
		Comment:     comment,
		ProviderRef: refundID,
		Postings: []Posting{
			{Account: AccountPrepaid, Amount: amount},
			{Account: RegisterAccount(online), Amount: -amount},
		},
	})
	if err != nil || !posted {
		return op, posted, err
	}
	b.Refunded += amount
	if b.Refunded > b.Paid && b.Flag == "" {
		b.Flag = fmt.Sprintf("refunded %d of %d paid", b.Refunded, b.Paid)
	}
	if b.Status == BookingCanceled && b.Refunded >= b.Paid {
		b.Status = BookingRefunded
	}
	b.Updated = s.now()
	return op, true, tx.PutBooking(b)
}

// ---- bookings

func (s *Service) Booking(ctx context.Context, id string) (Booking, error) {
	var b Booking
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		b, err = tx.Booking(id)
		if err != nil {
			return fmt.Errorf("booking %s: %w", id, err)
		}
		return nil
	})
	return b, err
}

func (s *Service) Bookings(ctx context.Context, f BookingFilter) ([]Booking, error) {
	var out []Booking
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Bookings(f)
		return err
	})
	return out, err
}

// BookingRefunds lists the refunds asked for on a booking.
func (s *Service) BookingRefunds(ctx context.Context, bookingID string) ([]Refund, error) {
	var out []Refund
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.BookingRefunds(bookingID)
		return err
	})
	return out, err
}

// Refund reads one refund by its key.
func (s *Service) Refund(ctx context.Context, key string) (Refund, error) {
	var r Refund
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		r, err = tx.Refund(key)
		if err != nil {
			return fmt.Errorf("refund %s: %w", key, err)
		}
		return nil
	})
	return r, err
}

// RefundLeft is what may still be refunded on a booking: paid minus refunded
// minus refunds in flight at the provider.
func RefundLeft(b Booking, refunds []Refund) int64 {
	left := b.Paid - b.Refunded
	for _, r := range refunds {
		if r.Status == RefundRequested || r.Status == RefundPending {
			left -= r.Amount
		}
	}
	return left
}

// CancelBooking marks a booking canceled; money left on it becomes refund due.
// Nothing is refunded automatically. Canceling a canceled booking is a no-op.
func (s *Service) CancelBooking(ctx context.Context, a Actor, id, reason string) (Booking, error) {
	if err := s.require(a, RightBookings); err != nil {
		return Booking{}, err
	}
	var b Booking
	changed := false
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		b, err = tx.Booking(id)
		if err != nil {
			return fmt.Errorf("booking %s: %w", id, err)
		}
		switch b.Status {
		case BookingCanceled, BookingRefunded:
			return nil
		case BookingServed:
			return fmt.Errorf("%w: booking %s was already served", ErrConflict, id)
		}
		now := s.now()
		b.Status, b.Updated = BookingCanceled, now
		if b.Paid-b.Refunded <= 0 {
			b.Status = BookingRefunded
		}
		changed = true
		if err := tx.PutBooking(b); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: now, Staff: a.Staff, Action: "booking_cancel",
			Subject: "booking " + id, Reason: strings.TrimSpace(reason)})
	})
	if err != nil {
		return Booking{}, err
	}
	if changed {
		s.publish(Change{What: "booking", ClientID: b.ClientID})
	}
	return b, nil
}

// RefundRequest is an admin's decision to refund a canceled booking.
type RefundRequest struct {
	Key       string // idempotency key (made when the form opens)
	BookingID string
	Amount    int64 // 0 = everything left
	ToDeposit bool  // to the client's deposit instead of the card
	Reason    string
}

// StartRefund checks the refund and either posts it at once (ToDeposit) or
// saves a Refund in state RefundRequested, whose Key the caller then sends to
// the provider. A refund never exceeds paid minus already refunded (counting
// requested and pending refunds). The same Key again returns the first Refund.
func (s *Service) StartRefund(ctx context.Context, a Actor, r RefundRequest) (Refund, error) {
	if err := s.require(a, RightRefund); err != nil {
		return Refund{}, err
	}
	r.Key, r.Reason = strings.TrimSpace(r.Key), strings.TrimSpace(r.Reason)
	switch {
	case r.Key == "":
		return Refund{}, fmt.Errorf("%w: refund without an idempotency key", ErrInvalid)
	case r.BookingID == "":
		return Refund{}, fmt.Errorf("%w: which booking?", ErrInvalid)
	case r.Amount < 0:
		return Refund{}, fmt.Errorf("%w: refund amount must be positive", ErrInvalid)
	case r.Reason == "":
		return Refund{}, fmt.Errorf("%w: a refund needs a reason", ErrInvalid)
	}
	var out Refund
	var changes []Change
	err := s.store.Update(ctx, func(tx Tx) error {
		changes = changes[:0]
		if prev, err := tx.Refund(r.Key); err == nil {
			prevToDeposit := prev.Status == RefundSucceeded && prev.ProviderRef == ""
			if prev.BookingID != r.BookingID || (r.Amount != 0 && prev.Amount != r.Amount) || prevToDeposit != r.ToDeposit {
				return fmt.Errorf("%w: refund key %s was used for another refund", ErrConflict, r.Key)
			}
			out = prev
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		env, err := s.env(tx, a)
		if err != nil {
			return err
		}
		b, err := tx.Booking(r.BookingID)
		if err != nil {
			return fmt.Errorf("booking %s: %w", r.BookingID, err)
		}
		switch b.Status {
		case BookingCanceled:
		case BookingRefunded:
			return fmt.Errorf("%w: booking %s is refunded in full already", ErrRefundExceeds, b.ID)
		default:
			return fmt.Errorf("%w: booking %s is %s; only canceled bookings are refunded", ErrConflict, b.ID, b.Status)
		}
		refunds, err := tx.BookingRefunds(b.ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		left := RefundLeft(b, refunds)
		amount := r.Amount
		if amount == 0 {
			amount = left
		}
		if amount <= 0 || amount > left {
			return errf(ErrRefundExceeds, "booking %s has %s left to refund; %s is more", b.ID, env.Fmt.Format(max(left, 0)), env.Fmt.Format(amount))
		}
		now := s.now()
		out = Refund{Key: r.Key, BookingID: b.ID, Amount: amount, Reason: r.Reason, Staff: a.Staff,
			Status: RefundRequested, Created: now, Updated: now}
		action := "refund_request"
		if r.ToDeposit {
			if b.ClientID == 0 {
				return fmt.Errorf("%w: booking %s has no client to credit", ErrInvalid, b.ID)
			}
			op, _, err := s.bkPost(tx, env, Operation{
				Key: r.Key, Kind: OpRefundToDeposit, Staff: a.Staff, ClientID: b.ClientID, BookingID: b.ID,
				Comment: r.Reason,
				Postings: []Posting{
					{Account: AccountPrepaid, Amount: amount},
					{Account: ClientAccount(b.ClientID), Amount: -amount},
				},
			})
			if err != nil {
				return err
			}
			b.Refunded += amount
			if b.Refunded >= b.Paid {
				b.Status = BookingRefunded
			}
			b.Updated = now
			if err := tx.PutBooking(b); err != nil {
				return err
			}
			out.Status, out.OperationID = RefundSucceeded, op.ID
			action = "refund_to_deposit"
			changes = append(changes, Change{What: "operation", Operation: op.ID, ClientID: b.ClientID})
		} else if b.PaymentIntent == "" {
			return fmt.Errorf("%w: booking %s has no card payment to refund", ErrInvalid, b.ID)
		}
		if err := tx.PutRefund(out); err != nil {
			return err
		}
		changes = append(changes, Change{What: "booking", ClientID: b.ClientID})
		return tx.AppendAudit(&AuditEntry{Time: now, Staff: a.Staff, Action: action,
			Subject: "booking " + b.ID, Reason: r.Reason, Detail: fmt.Sprintf("amount %d key %s", amount, r.Key)})
	})
	if err != nil {
		return Refund{}, err
	}
	for _, c := range changes {
		s.publish(c)
	}
	return out, nil
}

// CompleteRefund records what the provider said about a refund: on
// "succeeded" it posts the refund operation once; "pending" or
// "requires_action" keeps it in flight; "failed" or "canceled" frees the amount.
func (s *Service) CompleteRefund(ctx context.Context, key, providerRef, status, errText string) (Refund, error) {
	var out Refund
	var changes []Change
	err := s.store.Update(ctx, func(tx Tx) error {
		changes = changes[:0]
		r, err := tx.Refund(key)
		if err != nil {
			return fmt.Errorf("refund %s: %w", key, err)
		}
		out = r
		if r.Status == RefundSucceeded || r.Status == RefundFailed && status != "succeeded" {
			return nil // final already; the provider repeats itself
		}
		now := s.now()
		switch status {
		case "succeeded":
			if providerRef == "" {
				return fmt.Errorf("%w: a succeeded refund needs the provider's refund id", ErrInvalid)
			}
			env, err := s.env(tx, SystemActor())
			if err != nil {
				return err
			}
			op, _, err := s.bkPostRefund(tx, env, bkDefaultProvider, r.BookingID, providerRef, r.Amount,
				bkFirst(r.Reason, "card refund"))
			if err != nil {
				return err
			}
			r.Status, r.OperationID, r.Error = RefundSucceeded, op.ID, ""
			changes = append(changes, Change{What: "operation", Operation: op.ID, ClientID: op.ClientID})
		case "pending", "requires_action":
			r.Status = RefundPending
		case "failed", "canceled":
			r.Status, r.Error = RefundFailed, bkFirst(errText, "provider: "+status)
		default:
			return fmt.Errorf("%w: unknown refund status %q", ErrInvalid, status)
		}
		if providerRef != "" {
			r.ProviderRef = providerRef
		}
		r.Updated = now
		if err := tx.PutRefund(r); err != nil {
			return err
		}
		out = r
		changes = append(changes, Change{What: "booking"})
		return tx.AppendAudit(&AuditEntry{Time: now, Staff: bkStaff, Action: "refund_" + string(r.Status),
			Subject: "booking " + r.BookingID, Detail: fmt.Sprintf("key %s ref %s %s", key, providerRef, errText)})
	})
	if err != nil {
		return Refund{}, err
	}
	for _, c := range changes {
		s.publish(c)
	}
	return out, nil
}

// PendingRefunds lists refunds sent but not final (to look up after a crash).
// They only exist on canceled bookings: a refund is started only on one, and
// the booking leaves that state only once everything is refunded.
func (s *Service) PendingRefunds(ctx context.Context) ([]Refund, error) {
	var out []Refund
	err := s.store.View(ctx, func(tx ReadTx) error {
		bs, err := tx.Bookings(BookingFilter{Status: BookingCanceled})
		if err != nil {
			return err
		}
		for _, b := range bs {
			rs, err := tx.BookingRefunds(b.ID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			for _, r := range rs {
				if r.Status == RefundRequested || r.Status == RefundPending {
					out = append(out, r)
				}
			}
		}
		return nil
	})
	return out, err
}

// Inbox lists recent provider events, newest first.
func (s *Service) Inbox(ctx context.Context, limit int) ([]ProviderEvent, error) {
	var out []ProviderEvent
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Inbox(limit)
		return err
	})
	return out, err
}

func (s *Service) InboxStats(ctx context.Context) (InboxStats, error) {
	var out InboxStats
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.InboxStats()
		return err
	})
	return out, err
}

// Cursor reads a provider's saved poll position ("" when unset).
func (s *Service) Cursor(ctx context.Context, name string) (string, error) {
	var out string
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Cursor(name)
		return err
	})
	return out, err
}

// SetCursor saves a provider's poll position.
func (s *Service) SetCursor(ctx context.Context, name, value string) error {
	return s.store.Update(ctx, func(tx Tx) error { return tx.SetCursor(name, value) })
}
