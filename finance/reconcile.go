package finance

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Reconciliation: the provider's own ledger (Stripe's balance transactions)
// checked against the online register. Each balance transaction names the
// provider object it came from; that object's ledger key (keys.go) is the
// same one the event path posts under, so whichever path sees the money
// first posts it and the other finds it posted. What is missing posts here,
// through the same rules as an event (applyByType); what differs is flagged
// with both figures. Both are kept in the inbox, under "reconcile:<txn id>",
// so the sync view and `paydesk sync list` show them with their reason, and
// a second run finds them there and posts nothing.
//
// Operations posted here are dated today (the ledger is append-only and
// closed days stay closed); the per-day result counts each operation on the
// day of the balance transaction it matches, so a day agrees once every
// movement Stripe made that day is in the register, whenever it was posted.

// BalanceKind is what a provider's balance transaction is, in paydesk's terms.
type BalanceKind string

const (
	BalancePayment           BalanceKind = "payment"            // a charge: amount in, its fee out
	BalanceRefund            BalanceKind = "refund"             // a card refund (amount negative)
	BalanceRefundFailure     BalanceKind = "refund_failure"     // a refund that failed after it left (amount positive)
	BalanceFee               BalanceKind = "fee"                // a fee billed on its own (dispute fee, Radar, FX...)
	BalanceDisputeWithdrawn  BalanceKind = "dispute_withdrawn"  // funds taken for a dispute, with the dispute fee
	BalanceDisputeReinstated BalanceKind = "dispute_reinstated" // funds back after a won dispute
	BalancePayout            BalanceKind = "payout"             // to the bank (amount negative)
	BalancePayoutFailure     BalanceKind = "payout_failure"     // a payout that came back (amount positive)
	BalanceOther             BalanceKind = "other"              // anything else: flagged for an admin
	// BalanceLedgerOnly is no balance transaction: an operation that moved
	// the online register with nothing at the provider for it (a report
	// item's kind only).
	BalanceLedgerOnly BalanceKind = "ledger_only"
)

// BalanceTxn is one movement of the provider's balance, in minor units of
// Currency (the balance's, which is the settled currency of a converted
// payment), signed as the balance sees it: Net = Amount - Fee.
type BalanceTxn struct {
	ID       string      `json:"id"` // txn_...
	Kind     BalanceKind `json:"kind"`
	RawType  string      `json:"raw_type"` // the provider's type / reporting category, for messages
	Created  time.Time   `json:"created"`
	Amount   int64       `json:"amount"`
	Fee      int64       `json:"fee"`
	Net      int64       `json:"net"`
	Currency string      `json:"currency"`
	// SourceID is the provider object behind it (pi_/ch_, re_, dp_, po_);
	// PaymentRef the payment it belongs to (refunds, disputes).
	SourceID   string `json:"source_id,omitempty"`
	PaymentRef string `json:"payment_ref,omitempty"`
	// OrigAmount/OrigCurrency are the payment's own figures when it was
	// charged in another currency than the balance's (a converted payment).
	OrigAmount   int64             `json:"orig_amount,omitempty"`
	OrigCurrency string            `json:"orig_currency,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	Description  string            `json:"description,omitempty"`
	// Problem is set by the provider's decoder when it cannot be posted
	// (an amount out of the provider's range, an unknown currency).
	Problem string `json:"problem,omitempty"`
}

// ReconcileOutcome is what reconcile found for one balance transaction.
type ReconcileOutcome string

const (
	ReconcileMatched ReconcileOutcome = "matched" // in the register already, same figures
	ReconcilePosted  ReconcileOutcome = "posted"  // missing: posted now
	ReconcileFlagged ReconcileOutcome = "flagged" // differs or cannot post: an admin looks
	ReconcileWaiting ReconcileOutcome = "waiting" // cannot post yet (its payment is not in the books); retried
)

// ReconcileItem is one balance transaction's result. Stripe is its Net;
// Ledger what the register moved for it.
type ReconcileItem struct {
	Txn        string           `json:"txn"`
	Kind       BalanceKind      `json:"kind"`
	Date       Date             `json:"date"`
	Outcome    ReconcileOutcome `json:"outcome"`
	Stripe     int64            `json:"stripe"`
	Ledger     int64            `json:"ledger"`
	Operations []OperationID    `json:"operations,omitempty"`
	Note       string           `json:"note,omitempty"`

	moves []int64 // what each of Operations moved on the register
}

// ReconcileDay is one day's agreement: the sum of the provider's balance
// movements that day against what the register holds for them.
type ReconcileDay struct {
	Date     Date   `json:"date"`
	Stripe   int64  `json:"stripe"`
	Ledger   int64  `json:"ledger"`
	Count    int    `json:"count"`
	Posted   int    `json:"posted"`
	Problems int    `json:"problems"` // flagged or waiting
	Agrees   bool   `json:"agrees"`
	Note     string `json:"note,omitempty"` // why it differs, in words
}

// ReconcileReport is one run's result.
type ReconcileReport struct {
	Provider string          `json:"provider"`
	From     Date            `json:"from"`
	To       Date            `json:"to"`
	Ran      time.Time       `json:"ran"`
	Currency string          `json:"currency"`
	Agrees   bool            `json:"agrees"`
	Posted   int             `json:"posted"`
	Matched  int             `json:"matched"`
	Flagged  int             `json:"flagged"`
	Waiting  int             `json:"waiting"`
	Days     []ReconcileDay  `json:"days"`
	Items    []ReconcileItem `json:"items,omitempty"`
	Error    string          `json:"error,omitempty"` // a run that could not reach the provider
}

// DiffDays lists the days that do not agree.
func (r ReconcileReport) DiffDays() []ReconcileDay {
	var out []ReconcileDay
	for _, d := range r.Days {
		if !d.Agrees {
			out = append(out, d)
		}
	}
	return out
}

// reconcileEventPrefix names reconcile's inbox entries: "reconcile:<txn id>".
const reconcileEventPrefix = "reconcile:"

// ReconcileEventID is the inbox id of a balance transaction's reconcile record.
func ReconcileEventID(txn string) string { return reconcileEventPrefix + txn }

// ReconcileWindow is the instants a business-day range covers at this
// location: [midnight of from, midnight after to).
func (s *Service) ReconcileWindow(ctx context.Context, from, to Date) (time.Time, time.Time, error) {
	if _, err := ParseDate(string(from)); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if _, err := ParseDate(string(to)); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if to < from {
		return time.Time{}, time.Time{}, errf(ErrInvalid, "the range ends (%s) before it starts (%s)", to, from)
	}
	loc, err := read(ctx, s, func(tx ReadTx) (*time.Location, error) {
		st, err := tx.Settings()
		if err != nil {
			return nil, err
		}
		return s.location(st)
	})
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return from.Time(loc), to.AddDays(1).Time(loc), nil
}

// UnpostedPayments lists the indexes of payment transactions whose payment
// is not in the books and whose metadata names no booking: the provider
// fetches the payment's own metadata for those before Reconcile runs.
func (s *Service) UnpostedPayments(ctx context.Context, provider string, txns []BalanceTxn) ([]int, error) {
	return read(ctx, s, func(tx ReadTx) ([]int, error) {
		var out []int
		for i, t := range txns {
			if t.Kind != BalancePayment || t.PaymentRef == "" || strings.TrimSpace(t.Metadata[MetaBookingID]) != "" {
				continue
			}
			_, found, err := providerOpKey(provider, OpOnlinePrepayment, t.PaymentRef).lookup(tx)
			if err != nil {
				return nil, err
			}
			if !found {
				out = append(out, i)
			}
		}
		return out, nil
	})
}

// reconcileChunk bounds one read pass of reconcile.
const reconcileChunk = 500

// errNeedsWrite stops reconcile's read pass at a transaction that has to
// post or record something; it is then done in a write transaction of its own.
var errNeedsWrite = errors.New("reconcile: needs a write")

// waitError is a balance transaction that cannot post yet (its payment is
// not in the books): the write is rolled back and it is recorded as a failed
// event, retried by the sync worker.
type waitError struct{ note string }

func (e *waitError) Error() string { return e.note }

// Reconcile matches the provider's balance transactions of from..to to the
// register, posts what is missing (keyed as the event path keys it), flags
// what differs, and says per day whether the register agrees. The report's
// summary is saved for the sync view (LastReconcile).
func (s *Service) Reconcile(ctx context.Context, provider string, from, to Date, txns []BalanceTxn) (ReconcileReport, error) {
	if provider == "" {
		provider = defaultProvider
	}
	start, _, err := s.ReconcileWindow(ctx, from, to)
	if err != nil {
		return ReconcileReport{}, err
	}
	txns = slices.Clone(txns)
	// Oldest first, as the money moved: a payment before its refund.
	slices.SortStableFunc(txns, func(a, b BalanceTxn) int { return a.Created.Compare(b.Created) })
	// What moved before the window (the caller's lookback) only says which
	// operations in it are the provider's late echo of older money: it is
	// matched, never posted or reported.
	cut, _ := slices.BinarySearchFunc(txns, start, func(t BalanceTxn, at time.Time) int { return t.Created.Compare(at) })
	before := txns[:cut]
	txns = txns[cut:]
	rep := ReconcileReport{Provider: provider, From: from, To: to, Ran: s.now(), Days: []ReconcileDay{}}
	seen := map[OperationID]bool{} // an operation counts once, on its first transaction's day
	var changes []Change
	keep := func(it ReconcileItem) {
		// An operation two transactions share (a refund proven by a
		// charge's amount_refunded) is counted on the first one only.
		for i, id := range it.Operations {
			if seen[id] && i < len(it.moves) {
				it.Ledger -= it.moves[i]
			}
			seen[id] = true
		}
		rep.Items = append(rep.Items, it)
	}
	for chunk := range slices.Chunk(txns, reconcileChunk) {
		// A read pass: most transactions match, and matching writes nothing.
		items := make([]*ReconcileItem, len(chunk))
		err := s.view(ctx, func(rtx ReadTx) error {
			env, err := s.env(rtx, SystemActor())
			if err != nil {
				return err
			}
			rep.Currency = env.Settings.Currency
			for i, t := range chunk {
				it, _, err := s.reconcileOne(dryTx{rtx}, env, provider, t)
				switch {
				case errors.Is(err, errNeedsWrite):
				case err != nil:
					return fmt.Errorf("reconcile %s: %w", t.ID, err)
				default:
					items[i] = &it
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		for i, t := range chunk {
			if items[i] != nil {
				keep(*items[i])
				continue
			}
			it, ch, err := s.reconcileWrite(ctx, provider, t)
			if err != nil {
				return rep, err
			}
			keep(it)
			changes = append(changes, ch...)
		}
	}
	only, ch, err := s.reconcileLedgerOnly(ctx, provider, from, to, before, seen)
	if err != nil {
		return rep, err
	}
	rep.Items = append(rep.Items, only...)
	changes = append(changes, ch...)
	rep.summarise()
	if err := s.saveReconcile(ctx, rep); err != nil {
		return rep, err
	}
	for _, c := range changes {
		s.publish(c)
	}
	s.publish(Change{What: "inbox"})
	return rep, nil
}

// reconcileWrite reconciles one transaction in a write transaction of its
// own; one that cannot post yet is rolled back and recorded as waiting.
func (s *Service) reconcileWrite(ctx context.Context, provider string, t BalanceTxn) (ReconcileItem, []Change, error) {
	var it ReconcileItem
	var changes []Change
	err := s.update(ctx, func(tx Tx) error {
		env, err := s.env(tx, SystemActor())
		if err != nil {
			return err
		}
		it, changes, err = s.reconcileOne(tx, env, provider, t)
		return err
	})
	var w *waitError
	if !errors.As(err, &w) {
		if err != nil {
			err = fmt.Errorf("reconcile %s: %w", t.ID, err)
		}
		return it, changes, err
	}
	// Nothing of the try was kept: record it as a failed event, which
	// the sync worker retries with backoff as any other.
	err = s.update(ctx, func(tx Tx) error {
		env, err := s.env(tx, SystemActor())
		if err != nil {
			return err
		}
		online, err := onlineRegister(env.Settings, provider)
		if err != nil {
			return err
		}
		ops, _, err := findOps(tx, reconcileKeys(provider, t))
		if err != nil {
			return err
		}
		it = ReconcileItem{Txn: t.ID, Kind: t.Kind, Date: DateOf(t.Created, env.Loc), Stripe: t.Net,
			Outcome: ReconcileWaiting, Note: w.note}
		it.setOps(ops, RegisterAccount(online))
		// The event as the event path would apply it: the worker's retry
		// posts it once its payment is there.
		rec := reconcileEvent(provider, t)
		rec.Received, rec.Status, rec.Error = env.Now, InboxFailed, w.note
		rec.Attempts, rec.NextTry = 1, env.Now.Add(EventBackoff(1))
		return tx.PutInboxEvent(rec)
	})
	if err != nil {
		return it, nil, fmt.Errorf("reconcile %s: %w", t.ID, err)
	}
	return it, []Change{{What: "inbox"}}, nil
}

// ledgerOnlyEventID is the inbox id of an operation that moved the online
// register with no balance transaction at the provider: "reconcile:op:<id>".
func ledgerOnlyEventID(op OperationID) string {
	return fmt.Sprintf("%sop:%d", reconcileEventPrefix, op)
}

// reconcileLedgerOnly finds what the register holds and the provider's
// balance does not: operations of from..to that moved the online register
// and that no balance transaction matched (seen, or before, the lookback's).
// Each is flagged once in the inbox with both figures, never reversed or
// deleted: an admin finds out at the provider whether it happened (a
// payout booked by hand, a reversal of a payment the provider kept...).
// An operation and its reversal that are both unmatched cancel out and
// are left alone.
func (s *Service) reconcileLedgerOnly(ctx context.Context, provider string, from, to Date, before []BalanceTxn,
	seen map[OperationID]bool) ([]ReconcileItem, []Change, error) {
	type found struct {
		op   Operation
		move int64
		prev *ProviderEvent
	}
	var only []found
	var online, cur string
	var money func(int64) string
	err := s.view(ctx, func(tx ReadTx) error {
		env, err := s.env(tx, SystemActor())
		if err != nil {
			return err
		}
		if online, err = onlineRegister(env.Settings, provider); err != nil {
			return err
		}
		cur, money = env.Settings.Currency, env.Money
		reg := RegisterAccount(online)
		known := maps.Clone(seen)
		for _, t := range before {
			ops, _, err := findOps(tx, reconcileKeys(provider, t))
			if err != nil {
				return err
			}
			for _, op := range ops {
				known[op.ID] = true
			}
		}
		days, err := tx.RegisterDays(online, from, to)
		if err != nil {
			return err
		}
		for _, d := range days {
			if d.Count == 0 {
				continue
			}
			ops, err := tx.DayOperations(d.Date)
			if err != nil {
				return err
			}
			for _, op := range ops {
				if m := registerMove(op, reg); m != 0 && !known[op.ID] {
					only = append(only, found{op: op, move: m})
				}
			}
		}
		unmatched := map[OperationID]bool{}
		for _, f := range only {
			unmatched[f.op.ID] = true
		}
		only = slices.DeleteFunc(only, func(f found) bool {
			return f.op.Reverses != 0 && unmatched[f.op.Reverses] || f.op.ReversedBy != 0 && unmatched[f.op.ReversedBy]
		})
		for i := range only {
			e, err := tx.InboxEvent(ledgerOnlyEventID(only[i].op.ID))
			switch {
			case err == nil:
				only[i].prev = &e
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil || len(only) == 0 {
		return nil, nil, err
	}
	items := make([]ReconcileItem, len(only))
	var recs []ProviderEvent
	now := s.now()
	for i, f := range only {
		op := f.op
		note := fmt.Sprintf("operation %d (%s, %s) moved the %s register %s, but %s's balance has no transaction for it "+
			"(%s to %s): %s %s, the register %s; not reversed: check it at %s, reverse it if it never happened there, "+
			"or resolve this with a reason",
			op.ID, op.Kind, op.BusinessDate, online, money(f.move), providerTitle(provider), from, to,
			providerTitle(provider), money(0), money(f.move), providerTitle(provider))
		if f.prev != nil {
			note = resolvedNote(*f.prev)
		} else {
			recs = append(recs, ProviderEvent{ID: ledgerOnlyEventID(op.ID), Provider: provider, Type: EventUnknown,
				RawType: "reconcile." + string(BalanceLedgerOnly), Created: op.Time, Received: now,
				Status: InboxFlagged, Error: note, Operation: op.ID, ObjectID: op.ProviderRef,
				Amount: f.move, Currency: strings.ToLower(cur)})
		}
		items[i] = ReconcileItem{Kind: BalanceLedgerOnly, Date: op.BusinessDate, Outcome: ReconcileFlagged,
			Ledger: f.move, Operations: []OperationID{op.ID}, moves: []int64{f.move}, Note: note}
	}
	if len(recs) == 0 {
		return items, nil, nil
	}
	err = s.update(ctx, func(tx Tx) error {
		for _, r := range recs {
			if err := tx.PutInboxEvent(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return items, []Change{{What: "inbox"}}, nil
}

// summarise adds up the items by day.
func (r *ReconcileReport) summarise() {
	byDay := map[Date]*ReconcileDay{}
	for d := r.From; d != "" && d <= r.To; d = d.AddDays(1) {
		r.Days = append(r.Days, ReconcileDay{Date: d})
		if d.AddDays(1) == d { // an invalid date never advances
			break
		}
	}
	for i := range r.Days {
		byDay[r.Days[i].Date] = &r.Days[i]
	}
	for _, it := range r.Items {
		d := byDay[it.Date]
		if d == nil {
			// The append may move every day: the map is made again.
			r.Days = append(r.Days, ReconcileDay{Date: it.Date})
			byDay = map[Date]*ReconcileDay{}
			for i := range r.Days {
				byDay[r.Days[i].Date] = &r.Days[i]
			}
			d = byDay[it.Date]
		}
		d.Count++
		d.Stripe += it.Stripe
		d.Ledger += it.Ledger
		switch it.Outcome {
		case ReconcilePosted:
			d.Posted++
			r.Posted++
		case ReconcileMatched:
			r.Matched++
		case ReconcileFlagged:
			d.Problems++
			r.Flagged++
		case ReconcileWaiting:
			d.Problems++
			r.Waiting++
		}
	}
	slices.SortFunc(r.Days, func(a, b ReconcileDay) int { return cmp.Compare(a.Date, b.Date) })
	r.Agrees = true
	for i := range r.Days {
		d := &r.Days[i]
		d.Agrees = d.Stripe == d.Ledger && d.Problems == 0
		if !d.Agrees {
			r.Agrees = false
			var why []string
			if d.Stripe != d.Ledger {
				why = append(why, fmt.Sprintf("Stripe moved %d, the register %d", d.Stripe, d.Ledger))
			}
			if d.Problems > 0 {
				why = append(why, fmt.Sprintf("%d balance transaction(s) flagged or waiting", d.Problems))
			}
			d.Note = strings.Join(why, "; ")
		}
	}
}

// registerMove is what op moved on the register account.
func registerMove(op Operation, reg AccountID) int64 {
	var n int64
	for _, p := range op.Postings {
		if p.Account == reg {
			n += p.Amount
		}
	}
	return n
}

// expectedOp is one ledger operation a balance transaction stands for.
type expectedOp struct {
	key  opKey
	what string
}

// reconcileKeys are the ledger keys of the operations behind t, as the
// event path keys them.
func reconcileKeys(provider string, t BalanceTxn) []expectedOp {
	switch t.Kind {
	case BalancePayment:
		ks := []expectedOp{{providerOpKey(provider, OpOnlinePrepayment, t.PaymentRef), "payment " + t.PaymentRef}}
		if t.Fee != 0 {
			ks = append(ks, expectedOp{providerOpKey(provider, OpProviderFee, t.PaymentRef), "the fee of " + t.PaymentRef})
		}
		return ks
	case BalanceRefund:
		return []expectedOp{{providerOpKey(provider, OpRefund, t.SourceID), "refund " + t.SourceID}}
	case BalanceRefundFailure:
		return []expectedOp{{providerOpKey(provider, OpProviderReversal, "refund:"+t.SourceID), "the reversal of failed refund " + t.SourceID}}
	case BalanceFee:
		return []expectedOp{{providerOpKey(provider, OpProviderFee, t.ID), "fee " + t.ID}}
	case BalanceDisputeWithdrawn:
		return []expectedOp{{disputeKey(provider, "withdrawn", t.SourceID), "the withdrawal of dispute " + t.SourceID}}
	case BalanceDisputeReinstated:
		return []expectedOp{{disputeKey(provider, "won", t.SourceID), "the reinstatement of dispute " + t.SourceID}}
	case BalancePayout:
		return []expectedOp{{providerOpKey(provider, OpPayout, t.SourceID), "payout " + t.SourceID}}
	case BalancePayoutFailure:
		return []expectedOp{{providerOpKey(provider, OpProviderReversal, "payout:"+t.SourceID), "the reversal of failed payout " + t.SourceID}}
	}
	return nil
}

// reconcileOne matches one balance transaction, posting what is missing.
// On a dryTx it stops with errNeedsWrite where it would write.
func (s *Service) reconcileOne(tx Tx, env postEnv, provider string, t BalanceTxn) (ReconcileItem, []Change, error) {
	it := ReconcileItem{Txn: t.ID, Kind: t.Kind, Date: DateOf(t.Created, env.Loc), Stripe: t.Net}
	online, err := onlineRegister(env.Settings, provider)
	if err != nil {
		return it, nil, err
	}
	reg := RegisterAccount(online)
	what := describeTxn(t)
	evID := ReconcileEventID(t.ID)
	prev, perr := tx.InboxEvent(evID)
	if perr != nil && !errors.Is(perr, ErrNotFound) {
		return it, nil, perr
	}
	hadRecord := perr == nil
	record := func(st InboxStatus, note string, op OperationID) error {
		rec := reconcileRecord(provider, evID, t, st, note, op, env.Now)
		if hadRecord {
			rec.Received, rec.Resolution = prev.Received, ""
		}
		return tx.PutInboxEvent(rec)
	}

	// What cannot be matched at all is flagged (once) and stays out of the
	// register: an admin books it.
	var refuse string
	switch {
	case t.Problem != "":
		refuse = "not posted: " + t.Problem
	case !sameCurrency(env, t.Currency):
		refuse = fmt.Sprintf("not posted: %s is in %s, the location keeps %s", what, strings.ToUpper(t.Currency), env.Settings.Currency)
	case t.Kind == BalanceOther || t.Kind == "":
		refuse = fmt.Sprintf("not posted: %s is nothing paydesk books by itself; book it by hand if it belongs in the register", what)
	case t.Kind != BalanceFee && t.SourceID == "":
		refuse = fmt.Sprintf("not posted: %s names no %s object", what, providerTitle(provider))
	case t.Kind == BalancePayment && t.PaymentRef == "":
		refuse = fmt.Sprintf("not posted: %s names no payment intent", what)
	}
	if refuse != "" {
		if !sameCurrency(env, t.Currency) {
			it.Stripe = 0 // another balance: not the register's money
		}
		it.Outcome, it.Note = ReconcileFlagged, refuse
		if hadRecord {
			it.Note = resolvedNote(prev)
			return it, nil, nil
		}
		return it, []Change{{What: "inbox"}}, record(InboxFlagged, refuse, 0)
	}

	keys := reconcileKeys(provider, t)
	ops, missing, err := findOps(tx, keys)
	if err != nil {
		return it, nil, err
	}
	it.setOps(ops, reg)
	var changes []Change
	var notes []string
	didPost := false
	if len(missing) > 0 {
		if hadRecord {
			// Tried before: refused for a reason an admin sees (not tried
			// again, or every run would re-flag what was resolved), or
			// waiting for its payment, which the worker retries.
			it.Outcome, it.Note = ReconcileFlagged, resolvedNote(prev)
			if prev.Status == InboxFailed || prev.Status == InboxPending {
				it.Outcome = ReconcileWaiting
			}
			return it, nil, nil
		}
		if _, dry := tx.(dryTx); dry {
			return it, nil, errNeedsWrite
		}
		res, err := s.postMissing(tx, env, provider, t, missing)
		if err != nil {
			return it, nil, err
		}
		changes = res.changes
		if ops, missing, err = findOps(tx, keys); err != nil {
			return it, nil, err
		}
		it.setOps(ops, reg)
		didPost = len(missing) < len(keys)
		if res.note != "" {
			notes = append(notes, res.note)
		}
		for _, m := range missing {
			notes = append(notes, m.what+" was not posted")
		}
		status := InboxApplied
		if res.status == InboxFlagged || len(missing) > 0 {
			status = InboxFlagged
		}
		if len(ops) > 0 {
			res.op = ops[0].ID
		}
		if err := record(status, strings.Join(notes, "; "), res.op); err != nil {
			return it, nil, err
		}
		hadRecord, prev.Status, prev.Error = true, status, strings.Join(notes, "; ")
		changes = append(changes, Change{What: "inbox"})
	}
	switch {
	case it.Ledger != it.Stripe:
		// Both figures, in words, where an admin sees them.
		note := fmt.Sprintf("%s: %s's balance moved %s, the %s register %s (operation %s)",
			what, providerTitle(provider), env.Money(it.Stripe), online, env.Money(it.Ledger), opList(it.Operations))
		if len(notes) > 0 {
			note += "; " + strings.Join(notes, "; ")
		}
		it.Outcome, it.Note = ReconcileFlagged, note
		if hadRecord && prev.Status == InboxFlagged && prev.Error == note {
			it.Note = resolvedNote(prev)
			return it, changes, nil // flagged already, with these figures
		}
		if err := record(InboxFlagged, note, 0); err != nil {
			return it, nil, err
		}
		changes = append(changes, Change{What: "inbox"})
	case len(missing) > 0:
		it.Outcome, it.Note = ReconcileFlagged, strings.Join(notes, "; ")
	case didPost:
		it.Outcome, it.Note = ReconcilePosted, strings.Join(notes, "; ")
	default:
		it.Outcome = ReconcileMatched
		if hadRecord && prev.Status == InboxFlagged && strings.Contains(prev.Error, "'s balance moved") {
			// A difference flagged before is gone (the event path caught
			// up): the record says so instead of a stale figure.
			if err := record(InboxApplied, "matched after: "+prev.Error, prev.Operation); err != nil {
				return it, nil, err
			}
			changes = append(changes, Change{What: "inbox"})
		}
	}
	return it, changes, nil
}

// resolvedNote is a reconcile record's reason, with an admin's resolution.
func resolvedNote(e ProviderEvent) string {
	if e.Resolution != "" {
		return e.Error + " (resolved: " + e.Resolution + ")"
	}
	return e.Error
}

// setOps sets the operations an item matched and what they moved.
func (it *ReconcileItem) setOps(ops []Operation, reg AccountID) {
	it.Operations, it.moves, it.Ledger = nil, nil, 0
	for _, op := range ops {
		m := registerMove(op, reg)
		it.Operations = append(it.Operations, op.ID)
		it.moves = append(it.moves, m)
		it.Ledger += m
	}
}

func findOps(tx ReadTx, keys []expectedOp) (ops []Operation, missing []expectedOp, err error) {
	for _, k := range keys {
		op, found, err := k.key.lookup(tx)
		if err != nil {
			return nil, nil, err
		}
		if found {
			ops = append(ops, op)
		} else {
			missing = append(missing, k)
		}
	}
	return ops, missing, nil
}

func opList(ids []OperationID) string {
	if len(ids) == 0 {
		return "none"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ", ")
}

// describeTxn names a balance transaction in words: "payment pi_1 (balance transaction txn_1)".
func describeTxn(t BalanceTxn) string {
	s := strings.ReplaceAll(string(t.Kind), "_", " ")
	if t.Kind == BalanceOther || t.Kind == "" {
		s = "balance movement " + firstNonEmpty(t.RawType, "of unknown type")
	}
	if ref := firstNonEmpty(t.PaymentRef, t.SourceID); ref != "" && t.Kind == BalancePayment {
		s += " " + ref
	} else if t.SourceID != "" && t.Kind != BalanceFee {
		s += " " + t.SourceID
	}
	s += " (balance transaction " + t.ID
	if t.Description != "" {
		s += ", " + t.Description
	}
	return s + ")"
}

// reconcileRecord is the inbox entry of one balance transaction.
func reconcileRecord(provider, id string, t BalanceTxn, st InboxStatus, note string, op OperationID, now time.Time) ProviderEvent {
	raw, _ := json.Marshal(t) // plain fields only: cannot fail
	return ProviderEvent{
		ID: id, Provider: provider, Type: EventUnknown, RawType: "reconcile." + string(t.Kind),
		Created: t.Created, Received: now, Status: st, Error: note, Operation: op,
		ObjectID: firstNonEmpty(t.SourceID, t.ID), PaymentRef: t.PaymentRef, Amount: t.Net, Currency: t.Currency,
		Raw: raw,
	}
}

// reconcileEvent is the event a balance transaction proves, as the event
// path would apply it (payments and fees are posted by postMissing).
func reconcileEvent(provider string, t BalanceTxn) ProviderEvent {
	raw, _ := json.Marshal(t)
	e := ProviderEvent{ID: ReconcileEventID(t.ID), Provider: provider, RawType: "reconcile." + string(t.Kind),
		Created: t.Created, ObjectID: t.SourceID, PaymentRef: t.PaymentRef, Currency: t.Currency,
		Metadata: t.Metadata, Raw: raw}
	switch t.Kind {
	case BalancePayment:
		e.Type, e.ObjectID, e.Amount = EventPaymentSucceeded, t.PaymentRef, t.Amount
	case BalanceRefund, BalanceRefundFailure:
		e.Type = EventRefundUpdated
		amount, status := -t.Amount, "succeeded"
		if t.Kind == BalanceRefundFailure {
			amount, status = t.Amount, "failed"
		}
		e.Amount = amount
		e.Refunds = []ProviderRefund{{ID: t.SourceID, Amount: amount, Status: status, Key: t.Metadata[MetaRefundKey]}}
	case BalanceDisputeWithdrawn:
		e.Type, e.Amount, e.Fee, e.FeeCurrency = EventDisputeWithdrawn, -t.Amount, t.Fee, t.Currency
		e.FailureText = t.Description
	case BalanceDisputeReinstated:
		// A reinstatement returns the fee with a negative fee; the event
		// path reads it as a positive amount given back.
		e.Type, e.Amount, e.Fee, e.FeeCurrency = EventDisputeReinstate, t.Amount, -t.Fee, t.Currency
	case BalancePayout:
		e.Type, e.Amount = EventPayoutPaid, -t.Amount
	case BalancePayoutFailure:
		e.Type, e.Amount, e.ObjectStatus, e.FailureText = EventPayoutFailed, t.Amount, "failed", t.Description
	default:
		e.Type = EventUnknown
	}
	return e
}

// postMissing posts what t proves and the ledger lacks, through the rules
// the event path applies (so the booking, the client, refunds in flight
// and disputes move exactly as they would for the event). An error that
// says its payment is not in the books is a *waitError.
func (s *Service) postMissing(tx Tx, env postEnv, provider string, t BalanceTxn, missing []expectedOp) (applyResult, error) {
	e := reconcileEvent(provider, t)
	switch t.Kind {
	case BalanceFee:
		return s.postFeeTxn(tx, env, provider, t)
	case BalancePayment:
		var res applyResult
		var notes []string
		if missing[0].key.kind == OpOnlinePrepayment {
			r, err := s.applyByType(tx, env, e)
			if err != nil {
				return applyResult{}, waiting(err)
			}
			res = r
			if r.note != "" {
				notes = append(notes, r.note)
			}
			if t.OrigCurrency != "" && !strings.EqualFold(t.OrigCurrency, t.Currency) && r.op != 0 {
				notes = append(notes, fmt.Sprintf("charged %d %s minor units, settled %s: the settled amount is posted",
					t.OrigAmount, strings.ToUpper(t.OrigCurrency), env.Money(t.Amount)))
			}
		}
		if t.Fee != 0 {
			fe := e
			fe.ID, fe.Type, fe.Amount, fe.Fee, fe.FeeCurrency = e.ID+":fee", EventFee, 0, t.Fee, t.Currency
			fr, err := s.applyByType(tx, env, fe)
			switch {
			case errors.Is(err, ErrNotFound):
				// The payment did not post (not a booking, refused): its
				// fee has nowhere to go, and the difference says so.
			case err != nil:
				return applyResult{}, err
			default:
				if fr.note != "" && fr.status != InboxApplied {
					notes = append(notes, fr.note)
				}
				if fr.status == InboxFlagged {
					res.status = InboxFlagged
				}
				res.changes = append(res.changes, fr.changes...)
			}
		}
		res.note = strings.Join(notes, "; ")
		return res, nil
	case BalanceRefund, BalanceRefundFailure:
		if t.PaymentRef == "" {
			return applyResult{status: InboxFlagged, note: fmt.Sprintf("not posted: refund %s names no payment", t.SourceID)}, nil
		}
	}
	if e.Type == EventUnknown {
		return applyResult{status: InboxFlagged, note: "not posted: nothing paydesk books by itself"}, nil
	}
	res, err := s.applyByType(tx, env, e)
	if err != nil {
		return applyResult{}, waiting(err)
	}
	return res, nil
}

// waiting marks "its payment (or withdrawal) is not in the books yet" as a
// *waitError, retried later; any other error stays the transaction's.
func waiting(err error) error {
	if errors.Is(err, ErrNotFound) {
		return &waitError{note: "not posted yet: " + err.Error()}
	}
	return err
}

// postFeeTxn posts a fee the provider billed on its own (a dispute fee, an
// FX or Radar fee), keyed by the balance transaction.
func (s *Service) postFeeTxn(tx Tx, env postEnv, provider string, t BalanceTxn) (applyResult, error) {
	if t.Net == 0 {
		return applyResult{status: InboxIgnored, note: "a fee of nothing"}, nil
	}
	online, err := onlineRegister(env.Settings, provider)
	if err != nil {
		return applyResult{}, err
	}
	op, _, err := s.postProviderOp(tx, env, providerOpKey(provider, OpProviderFee, t.ID), Operation{
		Kind:        OpProviderFee,
		Staff:       providerStaff,
		Comment:     firstNonEmpty(t.Description, providerTitle(provider)+" fee"),
		ProviderRef: t.ID,
		Postings: []Posting{
			{Account: AccountFees, Amount: -t.Net},
			{Account: RegisterAccount(online), Amount: t.Net},
		},
	})
	if err != nil {
		return applyResult{}, err
	}
	return posted(op, ""), nil
}

// dryTx is a read transaction in Tx's clothes: reconcile's read pass runs
// the same matching, and any write stops it with errNeedsWrite.
type dryTx struct{ ReadTx }

func (dryTx) PutSettings(Settings) error                  { return errNeedsWrite }
func (dryTx) CreateClient(Client) (Client, error)         { return Client{}, errNeedsWrite }
func (dryTx) UpdateClient(Client) error                   { return errNeedsWrite }
func (dryTx) AppendOperation(*Operation) error            { return errNeedsWrite }
func (dryTx) MarkReversed(OperationID, OperationID) error { return errNeedsWrite }
func (dryTx) PutBooking(Booking) error                    { return errNeedsWrite }
func (dryTx) PutRefund(Refund) error                      { return errNeedsWrite }
func (dryTx) PutStaff(Staff) error                        { return errNeedsWrite }
func (dryTx) AppendAudit(*AuditEntry) error               { return errNeedsWrite }
func (dryTx) PutInboxEvent(ProviderEvent) error           { return errNeedsWrite }
func (dryTx) SetCursor(string, string) error              { return errNeedsWrite }
func (dryTx) PutDayClose(DayClose) error                  { return errNeedsWrite }
func (dryTx) PutDaySeal(DaySeal) error                    { return errNeedsWrite }

// reconcileCursor is where the last report is kept (beside the poll
// cursors: one small value per provider, rewritten each run).
func reconcileCursor(provider string) string { return "reconcile/" + provider }

// saveReconcile keeps the report's summary (days and counts, not every item)
// for the sync view and the header badge.
func (s *Service) saveReconcile(ctx context.Context, rep ReconcileReport) error {
	sum := rep
	sum.Items = nil
	b, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error { return tx.SetCursor(reconcileCursor(rep.Provider), string(b)) })
}

// SaveReconcileError records a run that could not reach the provider, so
// the sync view says so; the last good days are kept.
func (s *Service) SaveReconcileError(ctx context.Context, provider string, cause error) error {
	rep, _, err := s.LastReconcile(ctx, provider)
	if err != nil {
		return err
	}
	rep.Provider, rep.Error, rep.Ran = cmp.Or(provider, defaultProvider), cause.Error(), s.now()
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx Tx) error { return tx.SetCursor(reconcileCursor(rep.Provider), string(b)) })
	if err == nil {
		s.publish(Change{What: "inbox"})
	}
	return err
}

// LastReconcile reads the last run's summary; found is false before any run.
func (s *Service) LastReconcile(ctx context.Context, provider string) (ReconcileReport, bool, error) {
	if provider == "" {
		provider = defaultProvider
	}
	v, err := read(ctx, s, func(tx ReadTx) (string, error) { return tx.Cursor(reconcileCursor(provider)) })
	if err != nil || v == "" {
		return ReconcileReport{}, false, err
	}
	var rep ReconcileReport
	if err := json.Unmarshal([]byte(v), &rep); err != nil {
		return ReconcileReport{}, false, fmt.Errorf("the last reconcile report does not read: %w", err)
	}
	return rep, true, nil
}
