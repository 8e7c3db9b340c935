package finance

import (
	"cmp"
	"errors"
	"fmt"
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
	if note := outOfRange(e); note != "" {
		return applyResult{status: InboxFlagged, note: note}, nil
	}
	switch e.Type {
	case EventPaymentSucceeded:
		return s.applyPayment(tx, env, e)
	case EventFee:
		return s.applyFee(tx, env, e)
	case EventPayoutPaid:
		return s.applyPayout(tx, env, e)
	case EventRefundUpdated:
		return s.applyRefunds(tx, env, e)
	case EventPaymentFailed:
		// No money moved; kept as applied so the sync view shows why.
		return applyResult{status: InboxApplied, note: e.FailureText}, nil
	case EventDisputeOpened:
		// Money may be clawed back: an admin has to look at it in the
		// provider's dashboard; the ledger moves when the dispute is settled.
		return applyResult{status: InboxFlagged, note: "dispute opened for " + firstNonEmpty(e.PaymentRef, e.ObjectID)}, nil
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

func outOfRange(e ProviderEvent) string {
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

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func onlineRegister(st Settings) (string, error) {
	return settingsRegister(st, st.OnlineRegID, "stripe", RegisterOnline)
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
	out, replayed, err := s.postIn(tx, env, key, providerObject{Kind: op.Kind, Ref: op.ProviderRef},
		func(Tx, postEnv) (*Operation, error) { return &op, nil })
	return out, !replayed, err
}

// ---- payment succeeded: the booking widget's prepayment

func (s *Service) applyPayment(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	md := e.Metadata
	bookingID := strings.TrimSpace(md[MetaBookingID])
	if bookingID == "" {
		return applyResult{status: InboxIgnored, note: "payment without a booking_id: not a booking prepayment"}, nil
	}
	// An id is never cleaned into another one (cleanEvent keeps it as sent).
	if err := plainID("booking_id", bookingID); err != nil {
		return applyResult{}, err
	}
	if n := utf8.RuneCountInString(bookingID); n > maxBookingIDLen {
		return applyResult{}, errf(ErrInvalid, "booking_id is %d characters long; at most %d", n, maxBookingIDLen)
	}
	if e.ObjectID == "" {
		return applyResult{}, fmt.Errorf("%w: payment event without a payment id", ErrInvalid)
	}
	if e.Amount <= 0 {
		return applyResult{}, fmt.Errorf("%w: payment %s amount %d", ErrInvalid, e.ObjectID, e.Amount)
	}
	if !strings.EqualFold(e.Currency, env.Settings.Currency) {
		return applyResult{}, fmt.Errorf("%w: payment %s is in %q, the location keeps %s",
			ErrInvalid, e.ObjectID, e.Currency, env.Settings.Currency)
	}
	online, err := onlineRegister(env.Settings)
	if err != nil {
		return applyResult{}, err
	}
	key := providerOpKey(e.Provider, OpOnlinePrepayment, e.ObjectID)
	if prev, found, err := key.lookup(tx); err != nil {
		return applyResult{}, err
	} else if found {
		// The same payment through another event (or the poller): posted once.
		return applyResult{status: InboxApplied, op: prev.ID, note: "payment already posted"}, nil
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
	b.addPayer(e.Provider, e.ObjectID, client.ID, e.Amount)
	b.Paid += e.Amount
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
	if b.GroupEvent && b.Paid < b.Total {
		flags = append(flags, fmt.Sprintf("%s: paid %d of %d", ErrGroupPartial, b.Paid, b.Total))
	} else if b.GroupEvent && b.Total == 0 {
		flags = append(flags, fmt.Sprintf("%s: booking_total missing", ErrGroupPartial))
	}
	if len(flags) > 0 {
		b.Flag = strings.Join(flags, "; ")
	}

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
	res := applyResult{status: InboxApplied, op: op.ID, changes: []Change{
		{What: "operation", Operation: op.ID, ClientID: b.ClientID}, {What: "booking", ClientID: b.ClientID},
	}}
	if b.Flag != "" {
		res.status, res.note = InboxFlagged, b.Flag
	}
	return res, nil
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

func (s *Service) applyFee(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	if e.Fee <= 0 {
		return applyResult{status: InboxApplied, note: "no fee"}, nil
	}
	pay := firstNonEmpty(e.PaymentRef, e.ObjectID)
	if pay == "" {
		return applyResult{}, fmt.Errorf("%w: fee event names no payment", ErrInvalid)
	}
	online, err := onlineRegister(env.Settings)
	if err != nil {
		return applyResult{}, err
	}
	var bookingID string
	var clientID ClientID
	if p, err := paymentOp(tx, e.Provider, pay); err == nil {
		bookingID, clientID = p.BookingID, p.ClientID
	}
	op, _, err := s.postProviderOp(tx, env, providerOpKey(e.Provider, OpProviderFee, pay), Operation{
		Kind:        OpProviderFee,
		Staff:       providerStaff,
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
		return applyResult{}, err
	}
	return applyResult{status: InboxApplied, op: op.ID, changes: []Change{{What: "operation", Operation: op.ID}}}, nil
}

func (s *Service) applyPayout(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	if e.ObjectID == "" || e.Amount <= 0 {
		return applyResult{}, fmt.Errorf("%w: payout %q amount %d", ErrInvalid, e.ObjectID, e.Amount)
	}
	if !strings.EqualFold(e.Currency, env.Settings.Currency) {
		return applyResult{}, fmt.Errorf("%w: payout %s is in %q, the location keeps %s",
			ErrInvalid, e.ObjectID, e.Currency, env.Settings.Currency)
	}
	online, err := onlineRegister(env.Settings)
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
	return applyResult{status: InboxApplied, op: op.ID, changes: []Change{{What: "operation", Operation: op.ID}}}, nil
}

// ---- refunds reported by the provider

func (s *Service) applyRefunds(tx Tx, env postEnv, e ProviderEvent) (applyResult, error) {
	if len(e.Refunds) == 0 {
		return applyResult{status: InboxApplied, note: "no refunds listed"}, nil
	}
	pay, err := paymentOp(tx, e.Provider, e.PaymentRef)
	if err != nil {
		// Usually the payment's own event is still on its way, so this is
		// retried with backoff; a refund of a payment that was never a
		// booking stays failed in the sync view for an admin, never dropped.
		return applyResult{}, err
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
	}
	res.note = strings.Join(notes, "; ")
	res.changes = []Change{{What: "booking"}, {What: "operation", Operation: res.op}}
	return res, nil
}
