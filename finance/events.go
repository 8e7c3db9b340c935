package finance

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Applying provider events: the sync worker (package payments) turns a
// provider's events into ProviderEvents, the inbox stores them, and each is
// applied here in one transaction with its ledger operation.
//
// Ledger keys chosen here (keys.go: one space per provider and kind of
// object, none shared with keys typed at the desk) make every provider
// object post once whichever way it arrives (webhook, poller, the refund
// executor).

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

// providerStaff is who provider-driven operations are recorded as.
const providerStaff = "stripe"

// defaultProvider names the provider of refunds issued by paydesk, whose
// record predates any provider answer.
const defaultProvider = "stripe"

// applyResult is what applying one event did.
type applyResult struct {
	status  InboxStatus
	op      OperationID
	note    string
	changes []Change
}

func (s *Service) applyByType(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	if e.Problem != "" {
		// The provider's decoder refused it (another account or mode, an
		// amount out of Stripe's range): nothing posts, an admin looks.
		return flagged("not posted: " + e.Problem), nil
	}
	if note := EventOutOfRange(e); note != "" {
		return applyResult{status: InboxFlagged, note: note}, nil
	}
	switch e.Type {
	case EventPaymentSucceeded:
		return s.applyPayment(tx, env, e)
	case EventFee:
		return s.applyFee(tx, env, e)
	case EventPayoutPaid:
		return s.applyPayout(tx, env, e)
	case EventPayoutFailed:
		return s.applyPayoutFailed(tx, env, e)
	case EventRefundUpdated:
		return s.applyRefunds(tx, env, e)
	case EventPaymentFailed:
		// No money moved: kept, with what failed and why, for the sync view.
		return ignored(paymentNote(env, "payment failed", e)), nil
	case EventPaymentCanceled:
		return ignored(paymentNote(env, "payment canceled", e)), nil
	case EventPaymentPending:
		return ignored(e.FailureText + "; it posts when " + providerTitle(e.Provider) + " reports the payment succeeded"), nil
	case EventDisputeOpened:
		// Money may be clawed back: an admin has to answer it in the
		// provider's dashboard; the ledger moves when funds are withdrawn.
		return flagged(fmt.Sprintf("dispute %s opened on payment %s (%s) for %s: answer it in the Stripe dashboard",
			e.ObjectID, firstNonEmpty(e.PaymentRef, "unknown"), firstNonEmpty(e.FailureText, "no reason given"), env.Money(e.Amount))), nil
	case EventDisputeWithdrawn:
		return s.applyDisputeWithdrawn(tx, env, e)
	case EventDisputeReinstate:
		return s.applyDisputeReinstated(tx, env, e, "funds reinstated")
	case EventDisputeClosed:
		return s.applyDisputeClosed(tx, env, e)
	default:
		return applyResult{status: InboxIgnored}, nil
	}
}

// MaxEventAmount bounds any one amount a provider's event may move. It is
// above every provider's own limit for one charge (Stripe's is 99,999,999
// minor units in most currencies, twelve digits in a few), so an event beyond
// it is a forgery or a bug. Posted, it would leave a register near int64's
// limit, where every later payment overflows and fails: the register would be
// jammed. It is flagged for an admin instead, and nothing moves.
const MaxEventAmount int64 = 999_999_999_999

// EventOutOfRange says why an event moves more than MaxEventAmount ("" when
// it does not): such an event is flagged, and nothing is posted for it.
func EventOutOfRange(e ProviderEvent) string {
	beyond := func(v int64) bool { return v > MaxEventAmount || v < -MaxEventAmount }
	var bad int64
	switch {
	case beyond(e.Amount):
		bad = e.Amount
	case beyond(e.Fee):
		bad = e.Fee
	default:
		for _, r := range e.Refunds {
			if beyond(r.Amount) {
				bad = r.Amount
				break
			}
		}
	}
	if bad == 0 {
		return ""
	}
	return fmt.Sprintf("amount %d is beyond any provider's maximum (%d): not posted", bad, MaxEventAmount)
}

func flagged(note string) applyResult { return applyResult{status: InboxFlagged, note: note} }
func ignored(note string) applyResult { return applyResult{status: InboxIgnored, note: note} }

// posted is the result of an event that posted op.
func posted(op Operation, note string) applyResult {
	return applyResult{status: InboxApplied, op: op.ID, note: note,
		changes: []Change{{What: "operation", Operation: op.ID, ClientID: op.ClientID}, {What: "booking", ClientID: op.ClientID}}}
}

// paymentNote says what a payment that moved no money was: amount, booking, reason.
func paymentNote(env postEnv, what string, e ProviderEvent) string {
	note := what + " " + firstNonEmpty(e.ObjectID, "(no payment id)")
	if e.Amount != 0 && sameCurrency(env, e.Currency) {
		note += " of " + env.Money(e.Amount)
	} else if e.Amount != 0 {
		note += fmt.Sprintf(" of %d %s minor units", e.Amount, strings.ToUpper(e.Currency))
	}
	if b := strings.TrimSpace(e.Metadata[MetaBookingID]); b != "" {
		note += " for booking " + b
	}
	return note + ": " + firstNonEmpty(e.FailureText, "no reason given")
}

func sameCurrency(env postEnv, cur string) bool { return strings.EqualFold(cur, env.Settings.Currency) }

// currencyProblem says why an amount in cur cannot post at this location ("" if it can).
func currencyProblem(env postEnv, what, cur string) string {
	if sameCurrency(env, cur) {
		return ""
	}
	if cur == "" {
		return fmt.Sprintf("not posted: %s names no currency", what)
	}
	return fmt.Sprintf("not posted: %s is in %s, the location keeps %s", what, strings.ToUpper(cur), env.Settings.Currency)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// find is lookup for callers that treat a missing operation as ErrNotFound.
func (k opKey) find(tx ReadTx) (Operation, error) {
	op, found, err := k.lookup(tx)
	if err == nil && !found {
		err = fmt.Errorf("operation %s: %w", k.key, ErrNotFound)
	}
	return op, err
}

// onlineRegister is the register a provider's money lands in: the online
// register named as the provider ("liqpay", "monobank"; AddProviderRegister
// makes it when the provider is switched on), else the settings' online
// register ("stripe" by default), which is Stripe's and, at a location with
// one online register, every provider's.
func onlineRegister(st Settings, provider string) (string, error) {
	if provider != "" && provider != defaultProvider {
		for _, r := range st.Registers {
			if r.ID == provider && r.Kind == RegisterOnline {
				return r.ID, nil
			}
		}
	}
	return settingsRegister(st, st.OnlineRegID, defaultProvider, RegisterOnline)
}

// providerTitle names a provider in notes: Stripe as it always was, the
// others by their name.
func providerTitle(provider string) string {
	if provider == "" || provider == defaultProvider {
		return "Stripe"
	}
	return provider
}

// ProviderRegister is the register a provider's payments, fees and refunds
// post to (see onlineRegister).
func ProviderRegister(st Settings, provider string) (string, error) {
	return onlineRegister(st, provider)
}

func settingsRegister(st Settings, id, def string, kind RegisterKind) (string, error) {
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

// providerObject is what a provider-driven operation's idempotency hash covers:
// the provider object's identity alone, so the same payment, refund or
// payout seen through two events (or the executor and an event) replays
// instead of conflicting.
type providerObject struct {
	Kind OpKind
	Ref  string
}

// postProviderOp appends an operation through the ledger's one posting path, unless
// its key already posted one, which it then returns instead: provider
// objects arrive more than once. posted is false on such a replay.
func (s *Service) postProviderOp(tx Tx, env postEnv, key opKey, op Operation) (Operation, bool, error) {
	op.Staff = key.staff(op.Staff)
	out, replayed, err := s.postIn(tx, env, key, providerObject{Kind: op.Kind, Ref: op.ProviderRef},
		func(Tx, postEnv) (*Operation, error) { return &op, nil })
	return out, !replayed, err
}

// ---- payment succeeded: the booking widget's prepayment

func (s *Service) applyPayment(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	md := e.Metadata
	bookingID := strings.TrimSpace(md[MetaBookingID])
	if bookingID == "" {
		return ignored("payment without a booking_id: not a booking prepayment"), nil
	}
	// An over-long id stays over-long however often it is tried: flagged for
	// an admin, not failed and retried for ever. It is never cut into
	// another booking's id.
	if n := utf8.RuneCountInString(bookingID); n > maxBookingIDLen || len(bookingID) > maxProviderIDLen {
		return flagged(fmt.Sprintf("not posted: booking_id is %d characters long; at most %d", n, maxBookingIDLen)), nil
	}
	if len(e.ObjectID) > maxProviderIDLen {
		return flagged(fmt.Sprintf("not posted: payment id is %d bytes long; at most %d", len(e.ObjectID), maxProviderIDLen)), nil
	}
	// An id is never cleaned into another one (cleanEvent keeps it as sent).
	if err := plainID("booking_id", bookingID); err != nil {
		return applyResult{}, err
	}
	if e.ObjectID == "" {
		return flagged("not posted: payment event without a payment id"), nil
	}
	// The same payment through another event, the poller or reconcile
	// (which posts a converted payment's settled amount): posted once, and
	// looked up before the currency, so an event in the charge's currency
	// says what happened rather than refusing money already in the books.
	key := providerOpKey(e.Provider, OpOnlinePrepayment, e.ObjectID)
	if prev, found, err := key.lookup(tx); err != nil {
		return applyResult{}, err
	} else if found {
		return applyResult{status: InboxApplied, op: prev.ID, note: "payment already posted"}, nil
	}
	if e.Amount <= 0 {
		return flagged(fmt.Sprintf("not posted: payment %s has amount %d", e.ObjectID, e.Amount)), nil
	}
	if p := currencyProblem(env, "payment "+e.ObjectID, e.Currency); p != "" {
		return flagged(p), nil
	}
	online, err := onlineRegister(env.Settings, e.Provider)
	if err != nil {
		return applyResult{}, err
	}

	now := env.Now
	var flags []string
	name, cut := cutText(MetaClientName, md[MetaClientName], maxNameLen)
	if cut != "" {
		flags = append(flags, cut)
	}
	client, cerr := s.clientForPayment(tx, env.Settings, name, stripTerminal(md[MetaClientPhone]), now)
	if cerr != nil {
		// The money was taken all the same: post it and let an admin attach the client.
		flags = append(flags, "no client: "+cerr.Error())
	}

	b, err := tx.Booking(bookingID)
	switch {
	case errors.Is(err, ErrNotFound):
		b = Booking{ID: bookingID, Status: BookingPrepaid, Created: now}
	case err != nil:
		return applyResult{}, err
	}
	if client.ID != 0 && b.ClientID == 0 {
		// The booking stays the first payer's; each payer is in Payers.
		b.ClientID = client.ID
	}
	if v, cut := cutText(MetaService, md[MetaService], maxNameLen); v != "" {
		b.Service = v
		if cut != "" {
			flags = append(flags, cut)
		}
	}
	if v := strings.TrimSpace(md[MetaStartsAt]); v != "" {
		t, err := parseMetaTime(v)
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
	paid, ok := AddInt64(b.Paid, e.Amount)
	if !ok {
		return flagged(fmt.Sprintf("not posted: booking %s's paid total would overflow", b.ID)), nil
	}
	b.addPayer(e.Provider, e.ObjectID, client.ID, e.Amount)
	b.Paid = paid
	b.PaymentIntent = e.ObjectID
	b.Updated = now
	switch b.Status {
	case "":
		b.Status = BookingPrepaid
	case BookingRefunded, BookingCanceled:
		// Money for a booking that is off: it is owed back, so the booking
		// is refund due again (listed, and refund returns it), not stranded.
		b.Status = BookingCanceled
		flags = append(flags, fmt.Sprintf("payment %s arrived after the booking was canceled: %s refund due",
			e.ObjectID, env.Money(b.Paid-b.Refunded)))
	}
	// The group flag is recomputed on every payment: the payment that
	// completes a group event clears the partial flag its first ones set.
	if b.GroupEvent && b.Total == 0 {
		flags = append(flags, fmt.Sprintf("%s: booking_total missing", ErrGroupPartial))
	} else if b.GroupEvent && b.Paid < b.Total {
		flags = append(flags, fmt.Sprintf("%s: paid %d of %d", ErrGroupPartial, b.Paid, b.Total))
	}
	b.Flag = mergeFlags(b.Flag, flags)

	op, _, err := s.postProviderOp(tx, env, key, Operation{
		Kind:        OpOnlinePrepayment,
		Staff:       providerStaff,
		ClientID:    cmp.Or(client.ID, b.ClientID),
		BookingID:   b.ID,
		Comment:     firstNonEmpty(b.Service, "online prepayment"),
		ProviderRef: e.ObjectID,
		Postings: []Posting{
			{Account: RegisterAccount(online), Amount: e.Amount},
			{Account: AccountPrepaid, Amount: -e.Amount},
		},
	})
	if err != nil {
		return applyResult{}, err
	}
	if err := tx.PutBooking(b); err != nil {
		return applyResult{}, err
	}
	res := posted(op, "")
	if len(flags) > 0 {
		res.status, res.note = InboxFlagged, strings.Join(flags, "; ")
	}
	return res, nil
}

// mergeFlags keeps a booking's earlier flags except the group one (which
// the caller recomputes) and adds the new ones, once each.
func mergeFlags(old string, add []string) string {
	var out []string
	for _, f := range strings.Split(old, "; ") {
		if f = strings.TrimSpace(f); f != "" && !strings.HasPrefix(f, ErrGroupPartial.Error()) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, f := range add {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return strings.Join(out, "; ")
}

// clientForPayment finds the client by phone or creates them.
func (s *Service) clientForPayment(tx Tx, st Settings, name, phone string, now time.Time) (Client, error) {
	// Booking widgets mostly send E.164 already, which is how phones are
	// stored: a hit on it as typed is the client NormalizePhone would find
	// (it returns E.164 unchanged), without parsing the number.
	if p := strings.TrimSpace(phone); looksE164(p) {
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

// looksE164 reports whether p has E.164's shape: "+", then up to 15
// digits, the first not 0.
func looksE164(p string) bool {
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

// parseMetaTime reads starts_at as RFC 3339 or Unix seconds, the two forms
// booking widgets send.
func parseMetaTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("starts_at %q is neither RFC 3339 nor Unix seconds", v)
}

// paymentOp finds the prepayment a provider payment posted.
func paymentOp(tx ReadTx, provider, paymentRef string) (Operation, error) {
	if paymentRef == "" {
		return Operation{}, fmt.Errorf("%w: event names no payment", ErrInvalid)
	}
	op, found, err := providerOpKey(provider, OpOnlinePrepayment, paymentRef).lookup(tx)
	if err != nil {
		return Operation{}, fmt.Errorf("prepayment %s: %w", paymentRef, err)
	}
	if !found {
		return Operation{}, fmt.Errorf("prepayment %s %w", paymentRef, ErrNotFound)
	}
	return op, nil
}

// ---- fee and payout

// FeesNeedKey is said wherever a fee could not be known: on a fee event,
// and once in the Sync tab of a desk in webhook-only mode.
const FeesNeedKey = "Stripe's fees are read from its balance transactions, which needs the secret key (webhook-only mode posts no fees)"

func (s *Service) applyFee(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	pay := firstNonEmpty(e.PaymentRef, e.ObjectID)
	if pay == "" {
		return flagged("not posted: fee event names no payment"), nil
	}
	if e.FeeCurrency == "" {
		return ignored("fee of " + pay + " unknown: " + FeesNeedKey), nil
	}
	p, err := paymentOp(tx, e.Provider, pay)
	if errors.Is(err, ErrNotFound) {
		// A fee only for a payment that posted: if its payment event was
		// refused, so is the fee; if it is still on its way, retry.
		if parent, perr := tx.InboxEvent(strings.TrimSuffix(e.ID, ":fee")); perr == nil &&
			(parent.Status == InboxFlagged || parent.Status == InboxIgnored) {
			return ignored("no fee posted: payment " + pay + " was not posted (" + firstNonEmpty(parent.Error, string(parent.Status)) + ")"), nil
		}
		return applyResult{}, err
	} else if err != nil {
		return applyResult{}, err
	}
	if e.Fee <= 0 {
		return ignored(providerTitle(e.Provider) + " kept no fee on " + pay), nil
	}
	if prob := currencyProblem(env, "the fee of "+pay, e.FeeCurrency); prob != "" {
		return flagged(prob), nil
	}
	online, err := onlineRegister(env.Settings, e.Provider)
	if err != nil {
		return applyResult{}, err
	}
	op, _, err := s.postProviderOp(tx, env, providerOpKey(e.Provider, OpProviderFee, pay), Operation{
		Kind:        OpProviderFee,
		Staff:       providerStaff,
		ClientID:    p.ClientID,
		BookingID:   p.BookingID,
		Comment:     "provider fee",
		ProviderRef: pay,
		Postings: []Posting{
			{Account: AccountFees, Amount: e.Fee},
			{Account: RegisterAccount(online), Amount: -e.Fee},
		},
	})
	if err != nil {
		return applyResult{}, err
	}
	return posted(op, ""), nil
}

func (s *Service) applyPayout(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	if e.ObjectID == "" || e.Amount <= 0 {
		return flagged(fmt.Sprintf("not posted: payout %q with amount %d", e.ObjectID, e.Amount)), nil
	}
	if p := currencyProblem(env, "payout "+e.ObjectID, e.Currency); p != "" {
		return flagged(p), nil
	}
	online, err := onlineRegister(env.Settings, e.Provider)
	if err != nil {
		return applyResult{}, err
	}
	bank, err := settingsRegister(env.Settings, env.Settings.BankRegID, "bank", RegisterBank)
	if err != nil {
		return applyResult{}, err
	}
	op, _, err := s.postProviderOp(tx, env, providerOpKey(e.Provider, OpPayout, e.ObjectID), Operation{
		Kind:        OpPayout,
		Staff:       providerStaff,
		Comment:     "payout",
		ProviderRef: e.ObjectID,
		Postings: []Posting{
			{Account: RegisterAccount(bank), Amount: e.Amount},
			{Account: RegisterAccount(online), Amount: -e.Amount},
		},
	})
	if err != nil {
		return applyResult{}, err
	}
	return posted(op, ""), nil
}

// applyPayoutFailed undoes a payout that was posted as paid and then
// failed or was canceled: the money is back in the Stripe balance, not in
// the bank.
func (s *Service) applyPayoutFailed(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	why := firstNonEmpty(e.FailureText, e.ObjectStatus, "no reason given")
	orig, err := providerOpKey(e.Provider, OpPayout, e.ObjectID).find(tx)
	if errors.Is(err, ErrNotFound) {
		return flagged(fmt.Sprintf("payout %s %s (%s) before it was posted as paid: nothing to reverse; "+
			"if it is posted later, it must be reversed", e.ObjectID, firstNonEmpty(e.ObjectStatus, "failed"), why)), nil
	} else if err != nil {
		return applyResult{}, err
	}
	op, err := s.reverseProviderOp(tx, env, e.Provider, orig, "payout:"+e.ObjectID, "payout "+e.ObjectID+" "+firstNonEmpty(e.ObjectStatus, "failed")+": "+why)
	if err != nil {
		return applyResult{}, err
	}
	res := posted(op, "")
	res.status, res.note = InboxFlagged, fmt.Sprintf("payout %s %s after it was paid (%s): reversed by operation %d; the bank did not receive %s",
		e.ObjectID, firstNonEmpty(e.ObjectStatus, "failed"), why, op.ID, env.Money(-negSum(orig.Postings, RegisterAccount(env.Settings.BankRegID))))
	return res, nil
}

func negSum(ps []Posting, acc AccountID) int64 {
	var n int64
	for _, p := range ps {
		if p.Account == acc {
			n -= p.Amount
		}
	}
	return n
}

// reverseProviderOp posts the negation of a provider operation, linked both
// ways, once: keyed by what failed ("refund:re_1", "payout:po_1").
func (s *Service) reverseProviderOp(tx Tx, env postEnv, provider string, orig Operation, keyRef, comment string) (Operation, error) {
	if orig.ReversedBy != 0 {
		return tx.Operation(orig.ReversedBy)
	}
	neg := make([]Posting, len(orig.Postings))
	for i, p := range orig.Postings {
		neg[i] = Posting{Account: p.Account, Amount: -p.Amount}
	}
	key := providerOpKey(provider, OpProviderReversal, keyRef)
	op := Operation{
		Kind:        OpProviderReversal,
		Staff:       key.staff(providerStaff),
		ClientID:    orig.ClientID,
		BookingID:   orig.BookingID,
		Comment:     comment,
		ProviderRef: orig.ProviderRef,
		Reverses:    orig.ID,
		Postings:    neg,
	}
	out, _, err := s.postIn(tx, env, key, providerObject{Kind: op.Kind, Ref: keyRef},
		func(tx Tx, env postEnv) (*Operation, error) {
			env.AfterAppend(func(tx Tx, o Operation) error { return tx.MarkReversed(orig.ID, o.ID) })
			return &op, nil
		})
	return out, err
}

// ---- disputes

// disputeKey keys a dispute's operations: "withdrawn", "won" and "lost".
func disputeKey(provider, what, id string) opKey {
	return providerOpKey(provider, OpDispute, what+":"+id)
}

// disputeCheck is what every dispute event that moves money needs.
func disputeCheck(env postEnv, e ProviderEvent) string {
	if e.ObjectID == "" || e.Amount <= 0 {
		return fmt.Sprintf("not posted: dispute %q with amount %d", e.ObjectID, e.Amount)
	}
	if p := currencyProblem(env, "dispute "+e.ObjectID, e.Currency); p != "" {
		return p
	}
	if e.Fee != 0 {
		if p := currencyProblem(env, "the dispute fee of "+e.ObjectID, e.FeeCurrency); p != "" {
			return p
		}
	}
	return ""
}

// applyDisputeWithdrawn moves the disputed amount, and the dispute fee,
// out of the Stripe register: the amount into the disputes account (it
// may come back), the fee into fees.
func (s *Service) applyDisputeWithdrawn(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	if p := disputeCheck(env, e); p != "" {
		return flagged(p), nil
	}
	if e.Fee < 0 {
		return flagged(fmt.Sprintf("not posted: dispute %s withdrawal with a negative fee %d", e.ObjectID, e.Fee)), nil
	}
	online, err := onlineRegister(env.Settings, e.Provider)
	if err != nil {
		return applyResult{}, err
	}
	out, ok := AddInt64(e.Amount, e.Fee)
	if !ok {
		return flagged("not posted: dispute " + e.ObjectID + " amount and fee overflow"), nil
	}
	var bookingID string
	var clientID ClientID
	if p, err := paymentOp(tx, e.Provider, e.PaymentRef); err == nil {
		bookingID, clientID = p.BookingID, p.ClientID
	}
	op, _, err := s.postProviderOp(tx, env, disputeKey(e.Provider, "withdrawn", e.ObjectID), Operation{
		Kind:        OpDispute,
		Staff:       providerStaff,
		ClientID:    clientID,
		BookingID:   bookingID,
		Comment:     "dispute funds withdrawn: " + firstNonEmpty(e.FailureText, "no reason given"),
		ProviderRef: e.ObjectID,
		Postings: []Posting{
			{Account: AccountDisputes, Amount: e.Amount},
			{Account: AccountFees, Amount: e.Fee},
			{Account: RegisterAccount(online), Amount: -out},
		},
	})
	if err != nil {
		return applyResult{}, err
	}
	res := posted(op, "")
	res.status = InboxFlagged
	res.note = fmt.Sprintf("dispute %s on payment %s (%s): Stripe withdrew %s and a dispute fee of %s; answer it in the Stripe dashboard",
		e.ObjectID, firstNonEmpty(e.PaymentRef, "unknown"), firstNonEmpty(e.FailureText, "no reason given"), env.Money(e.Amount), env.Money(e.Fee))
	return res, nil
}

// applyDisputeReinstated puts a withdrawn dispute amount back (the dispute
// was won), with the dispute fee when Stripe returned it (e.Fee).
func (s *Service) applyDisputeReinstated(tx Tx, env postEnv, e ProviderEvent, how string) (applyResult, error) {
	if p := disputeCheck(env, e); p != "" {
		return flagged(p), nil
	}
	w, err := disputeKey(e.Provider, "withdrawn", e.ObjectID).find(tx)
	if err != nil {
		// The withdrawal is still on its way (events come in any order).
		return applyResult{}, fmt.Errorf("dispute %s withdrawal: %w", e.ObjectID, err)
	}
	held := -negSum(w.Postings, AccountDisputes)
	amount := min(e.Amount, held)
	feeBack := max(e.Fee, 0)
	online, err := onlineRegister(env.Settings, e.Provider)
	if err != nil {
		return applyResult{}, err
	}
	op, _, err := s.postProviderOp(tx, env, disputeKey(e.Provider, "won", e.ObjectID), Operation{
		Kind:        OpDispute,
		Staff:       providerStaff,
		ClientID:    w.ClientID,
		BookingID:   w.BookingID,
		Comment:     "dispute " + how,
		ProviderRef: e.ObjectID,
		Postings: []Posting{
			{Account: RegisterAccount(online), Amount: amount + feeBack},
			{Account: AccountDisputes, Amount: -amount},
			{Account: AccountFees, Amount: -feeBack},
		},
	})
	if err != nil {
		return applyResult{}, err
	}
	note := fmt.Sprintf("dispute %s %s: %s back in the Stripe register", e.ObjectID, how, env.Money(amount+feeBack))
	if kept := -negSum(w.Postings, AccountFees) - feeBack; feeBack == 0 && kept > 0 {
		// Not an error: the fee is Stripe's to keep, and stays a cost.
		note += fmt.Sprintf("; Stripe kept the dispute fee of %s (it stays in fees)", env.Money(kept))
	}
	if amount != e.Amount {
		note += fmt.Sprintf(" (Stripe says %s; %s was withdrawn)", env.Money(e.Amount), env.Money(held))
		return flagged(note), nil
	}
	return posted(op, note), nil
}

// applyDisputeClosed settles a dispute: won reverses the withdrawal (if
// funds_reinstated did not already), lost turns the withdrawn amount into
// money returned to the card holder, like a refund of the booking.
func (s *Service) applyDisputeClosed(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	w, werr := disputeKey(e.Provider, "withdrawn", e.ObjectID).find(tx)
	if werr != nil && !errors.Is(werr, ErrNotFound) {
		return applyResult{}, werr
	}
	withdrawn := werr == nil
	switch e.ObjectStatus {
	case "won":
		if !withdrawn {
			return ignored("dispute " + e.ObjectID + " won; no funds had been withdrawn"), nil
		}
		if op, err := disputeKey(e.Provider, "won", e.ObjectID).find(tx); err == nil {
			return applyResult{status: InboxApplied, op: op.ID, note: "dispute " + e.ObjectID + " won; funds already reinstated"}, nil
		}
		// Money comes back with the dispute's reinstatement balance
		// transaction, and the dispute fee only when that transaction
		// returns it (a negative fee): Stripe keeps it on many wins
		// (docs.stripe.com/disputes: the fee is charged when the dispute
		// opens, whatever the outcome, except where the network refunds
		// it). The decoder reads the reinstatement into Amount and Fee; a
		// won dispute that shows none has had nothing back yet, so nothing
		// posts and the event waits (retried) for funds_reinstated.
		if e.FeeCurrency == "" {
			return applyResult{}, fmt.Errorf("dispute %s won, but Stripe lists no reinstatement of its funds yet: "+
				"waiting for charge.dispute.funds_reinstated (or reconcile)", e.ObjectID)
		}
		return s.applyDisputeReinstated(tx, env, e, "won")
	case "lost":
		if !withdrawn {
			return flagged("dispute " + e.ObjectID + " lost, but its funds withdrawal was never posted: nothing settled; check the Stripe balance"), nil
		}
		held := -negSum(w.Postings, AccountDisputes)
		if w.BookingID == "" {
			return flagged(fmt.Sprintf("dispute %s lost on a payment that was no booking: %s stays in the disputes account for an admin",
				e.ObjectID, env.Money(held))), nil
		}
		b, err := tx.Booking(w.BookingID)
		if err != nil {
			return applyResult{}, err
		}
		op, didPost, err := s.postProviderOp(tx, env, disputeKey(e.Provider, "lost", e.ObjectID), Operation{
			Kind:        OpDispute,
			Staff:       providerStaff,
			ClientID:    w.ClientID,
			BookingID:   w.BookingID,
			Comment:     "dispute lost: the card holder got the money back",
			ProviderRef: e.ObjectID,
			Postings: []Posting{
				{Account: AccountPrepaid, Amount: held},
				{Account: AccountDisputes, Amount: -held},
			},
		})
		if err != nil {
			return applyResult{}, err
		}
		if didPost {
			if _, err = addChecked(b.Refunded, held); err != nil {
				return applyResult{}, err
			}
			b.countRefund(e.PaymentRef, held)
			b.Flag = mergeFlags(b.Flag, []string{fmt.Sprintf("dispute %s lost: %s went back to the card holder", e.ObjectID, env.Money(held))})
			b.Updated = env.Now
			if err := tx.PutBooking(b); err != nil {
				return applyResult{}, err
			}
		}
		res := posted(op, "")
		res.status, res.note = InboxFlagged, fmt.Sprintf("dispute %s lost: %s returned to the card holder (booking %s)", e.ObjectID, env.Money(held), b.ID)
		return res, nil
	default:
		if withdrawn {
			return flagged(fmt.Sprintf("dispute %s closed as %q with funds withdrawn: settle it by hand", e.ObjectID, e.ObjectStatus)), nil
		}
		return ignored(fmt.Sprintf("dispute %s closed as %q; no funds had been withdrawn", e.ObjectID, e.ObjectStatus)), nil
	}
}

func addChecked(a, b int64) (int64, error) {
	c, ok := AddInt64(a, b)
	if !ok {
		return 0, errf(ErrInvalid, "amount overflows")
	}
	return c, nil
}

// ---- refunds reported by the provider

func (s *Service) applyRefunds(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	if e.Currency != "" {
		if p := currencyProblem(env, "refund "+e.ObjectID, e.Currency); p != "" {
			return flagged(p), nil
		}
	}
	pay, err := paymentOp(tx, e.Provider, e.PaymentRef)
	if err != nil {
		// Usually the payment's own event is still on its way, so this is
		// retried with backoff; a refund of a payment that was never a
		// booking stays failed in the sync view for an admin, never dropped.
		return applyResult{}, err
	}
	if len(e.Refunds) == 0 {
		// The charge came without its refunds and they could not be listed
		// (no secret key): post what the charge itself proves.
		return s.applyAmountRefunded(tx, env, e, pay)
	}
	res := applyResult{status: InboxApplied}
	var notes []string
	for _, pr := range e.Refunds {
		r, err := s.recordProviderRefund(tx, env, e.Provider, pay.BookingID, pay.ProviderRef, pr)
		if err != nil {
			return applyResult{}, err
		}
		if r.opID != 0 {
			res.op = r.opID
		}
		if r.note != "" {
			notes = append(notes, r.note)
			res.status = InboxFlagged
		}
		if r.info != "" && r.note == "" {
			notes = append(notes, r.info)
		}
	}
	if res.op == 0 && res.status == InboxApplied {
		// Nothing posted and nothing wrong: a refund still pending, or one
		// that failed before it posted. Not "applied": it moved no money.
		res.status = InboxIgnored
	}
	res.note = strings.Join(notes, "; ")
	res.changes = []Change{{What: "booking"}, {What: "operation", Operation: res.op}}
	return res, nil
}

// applyAmountRefunded posts the growth of a charge's amount_refunded over
// what is posted for its payment, when the refunds themselves are unknown.
// A refund seen later by its id, up to that amount, is matched to it and
// does not post again.
func (s *Service) applyAmountRefunded(tx Tx, env postEnv, e ProviderEvent, pay Operation) (applyResult, error) {
	b, err := tx.Booking(pay.BookingID)
	if err != nil {
		return applyResult{}, err
	}
	b.Payers = b.PayerList()
	i := slices.IndexFunc(b.Payers, func(p BookingPayer) bool { return p.PaymentRef == e.PaymentRef })
	if i < 0 {
		return flagged(fmt.Sprintf("charge %s refunded %s of payment %s, which booking %s does not list", e.ObjectID, env.Money(e.Amount), e.PaymentRef, b.ID)), nil
	}
	delta := e.Amount - b.Payers[i].CardRefunded
	if delta <= 0 {
		return applyResult{status: InboxApplied, note: fmt.Sprintf("charge %s: %s refunded, all posted already", e.ObjectID, env.Money(e.Amount))}, nil
	}
	online, err := onlineRegister(env.Settings, e.Provider)
	if err != nil {
		return applyResult{}, err
	}
	op, didPost, err := s.postProviderOp(tx, env, providerOpKey(e.Provider, OpRefund, fmt.Sprintf("%s:refunded:%d", e.ObjectID, e.Amount)), Operation{
		Kind:        OpRefund,
		Staff:       providerStaff,
		ClientID:    b.ClientID,
		BookingID:   b.ID,
		Comment:     "card refund (the charge's amount_refunded; without the secret key the refund's own id is not known)",
		ProviderRef: e.ObjectID,
		Postings: []Posting{
			{Account: AccountPrepaid, Amount: delta},
			{Account: RegisterAccount(online), Amount: -delta},
		},
	})
	if err != nil {
		return applyResult{}, err
	}
	if didPost {
		b.countRefund(e.PaymentRef, delta)
		p := &b.Payers[i]
		p.CardRefunded += delta
		p.Unmatched += delta
		p.ProvenOp = op.ID
		if err := s.storeRefunded(tx, env, &b); err != nil {
			return applyResult{}, err
		}
	}
	return posted(op, fmt.Sprintf("posted %s refunded on charge %s (from amount_refunded)", env.Money(delta), e.ObjectID)), nil
}

// storeRefunded stores a booking whose refunded total grew: flagged when
// it passes what was paid, refunded in full when a canceled booking is.
func (s *Service) storeRefunded(tx Tx, env postEnv, b *Booking) error {
	if b.Refunded > b.Paid {
		b.Flag = mergeFlags(b.Flag, []string{fmt.Sprintf("refunded %d of %d paid", b.Refunded, b.Paid)})
	}
	if b.Status == BookingCanceled && b.Refunded >= b.Paid {
		b.Status = BookingRefunded
	}
	b.Updated = env.Now
	return tx.PutBooking(*b)
}
