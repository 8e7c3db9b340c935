package finance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Refunds: an admin's decision to refund a canceled booking (to the card
// through the provider, or to the client's deposit), and the provider's
// refunds as they are reported.

// Refund reads one refund by its key.
func (s *Service) Refund(ctx context.Context, key string) (Refund, error) {
	return read(ctx, s, func(tx ReadTx) (Refund, error) {
		r, err := tx.Refund(key)
		if err != nil {
			return Refund{}, fmt.Errorf("refund %s: %w", key, err)
		}
		return r, nil
	})
}

// RefundLeft is what may still be refunded on a booking: paid minus refunded
// minus refunds in flight at the provider.
func RefundLeft(b Booking, refunds []Refund) int64 {
	left := b.Paid - b.Refunded
	for _, r := range refunds {
		for _, n := range inFlight(b, r) {
			left -= n
		}
	}
	return left
}

// inFlight is what a refund still has out at the provider, by payment: the
// parts not final (the parts that succeeded are in the booking's refunded
// already), or the whole of a refund of one payment, the latest.
func inFlight(b Booking, r Refund) map[string]int64 {
	if r.Status != RefundRequested && r.Status != RefundPending {
		return nil
	}
	if len(r.Parts) == 0 {
		return map[string]int64{b.PaymentIntent: r.Amount}
	}
	out := map[string]int64{}
	for _, p := range r.Parts {
		if p.Status == RefundRequested || p.Status == RefundPending {
			out[p.PaymentRef] += p.Amount
		}
	}
	return out
}

// cardRefundParts spreads a card refund of amount over the booking's card
// payments, latest first (the one a refund of one payment takes), asking
// none for more than it has left: what it brought, less what was refunded
// from it and what other refunds have in flight on it.
func cardRefundParts(b Booking, refunds []Refund, key string, amount int64) ([]RefundPart, error) {
	busy := map[string]int64{}
	for _, r := range refunds {
		for ref, n := range inFlight(b, r) {
			busy[ref] += n
		}
	}
	payers := b.PayerList()
	var parts []RefundPart
	rest := amount
	for i := len(payers) - 1; i >= 0 && rest > 0; i-- {
		p := payers[i]
		if p.PaymentRef == "" {
			continue // not a card payment
		}
		n := min(rest, p.Amount-p.Refunded-busy[p.PaymentRef])
		if n <= 0 {
			continue
		}
		parts = append(parts, RefundPart{PaymentRef: p.PaymentRef, Amount: n, Key: key + "/" + p.PaymentRef, Status: RefundRequested})
		busy[p.PaymentRef] += n
		rest -= n
	}
	if rest > 0 {
		return nil, errf(ErrRefundExceeds, "booking %s's card payments have %d left to refund; %d is more", b.ID, amount-rest, amount)
	}
	if len(parts) == 1 && parts[0].PaymentRef == b.PaymentIntent {
		return nil, nil // one refund of the latest payment, keyed by the refund's own key
	}
	return parts, nil
}

// RefundRequest is an admin's decision to refund a canceled booking.
type RefundRequest struct {
	Key       string // idempotency key (made when the form opens)
	BookingID string
	Amount    int64 // 0 = everything left
	ToDeposit bool  // to the payers' deposits instead of the card
	Reason    string
	// Split is the admin's own division of a refund to deposit among the
	// payers; empty: in proportion to what each has left (RefundSplit).
	Split    []PayerShare
	Approval *Approval `json:"-"` // a manager's PIN for a right the actor lacks
}

// StartRefund checks the refund and either posts it at once (ToDeposit) or
// saves a Refund in state RefundRequested, whose Key the caller then sends to
// the provider. A refund never exceeds paid minus already refunded (counting
// requested and pending refunds). The same Key again returns the first Refund.
func (s *Service) StartRefund(ctx context.Context, a Actor, r RefundRequest) (Refund, error) {
	r, approver, err := s.checkRefundRequest(ctx, a, r)
	if err != nil {
		return Refund{}, err
	}
	var out Refund
	var changes []Change
	err = s.update(ctx, func(tx Tx) error {
		var err error
		out, _, changes, err = s.startRefundIn(tx, a, approver, r)
		return err
	})
	if err != nil {
		return Refund{}, err
	}
	for _, c := range changes {
		s.publish(c)
	}
	return out, nil
}

// checkRefundRequest is what a refund request is checked for before any
// transaction: the right and the fields.
func (s *Service) checkRefundRequest(ctx context.Context, a Actor, r RefundRequest) (RefundRequest, string, error) {
	if err := s.require(a, RightRefund); err != nil && r.Approval == nil {
		return r, "", err
	}
	r.Key, r.Reason = strings.TrimSpace(r.Key), strings.TrimSpace(r.Reason)
	switch {
	case r.Key == "":
		return r, "", fmt.Errorf("%w: refund without an idempotency key", ErrInvalid)
	case r.BookingID == "":
		return r, "", fmt.Errorf("%w: which booking?", ErrInvalid)
	case r.Amount < 0:
		return r, "", fmt.Errorf("%w: refund amount must be positive", ErrInvalid)
	case r.Reason == "":
		return r, "", fmt.Errorf("%w: a refund needs a reason", ErrInvalid)
	}
	approver, err := s.authorize(ctx, a, RightRefund, r.Approval)
	return r, approver, err
}

// startRefundIn is StartRefund's transaction. op is the operation the refund
// posts: to the deposit, the one posted now; to the card, the one the
// provider's success will post (cardRefundOperation). On a replay of the
// same key, the first Refund is returned and op says only replayed
// (refundOpOf reads the rest).
func (s *Service) startRefundIn(tx Tx, a Actor, approver string, r RefundRequest) (out Refund, op refundOp, changes []Change, err error) {
	if prev, err := tx.Refund(r.Key); err == nil {
		prevToDeposit := prev.Status == RefundSucceeded && prev.ProviderRef == ""
		if prev.BookingID != r.BookingID || (r.Amount != 0 && prev.Amount != r.Amount) || prevToDeposit != r.ToDeposit {
			return Refund{}, refundOp{}, nil, fmt.Errorf("%w: refund key %s was used for another refund", ErrConflict, r.Key)
		}
		return prev, refundOp{replayed: true}, nil, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Refund{}, refundOp{}, nil, err
	}
	env, err := s.env(tx, a)
	if err != nil {
		return Refund{}, refundOp{}, nil, err
	}
	b, err := tx.Booking(r.BookingID)
	if err != nil {
		return Refund{}, refundOp{}, nil, err
	}
	switch b.Status {
	case BookingCanceled:
	case BookingRefunded:
		return Refund{}, refundOp{}, nil, fmt.Errorf("%w: booking %s is refunded in full already", ErrRefundExceeds, b.ID)
	default:
		return Refund{}, refundOp{}, nil, fmt.Errorf("%w: booking %s is %s; only canceled bookings are refunded", ErrConflict, b.ID, b.Status)
	}
	refunds, err := tx.BookingRefunds(b.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Refund{}, refundOp{}, nil, err
	}
	left := RefundLeft(b, refunds)
	amount := r.Amount
	if amount == 0 {
		amount = left
	}
	if amount <= 0 || amount > left {
		return Refund{}, refundOp{}, nil, errf(ErrRefundExceeds, "booking %s has %s left to refund; %s is more", b.ID, env.Fmt.Format(max(left, 0)), env.Fmt.Format(amount))
	}
	now := s.now()
	out = Refund{Key: r.Key, BookingID: b.ID, Amount: amount, Reason: r.Reason, Staff: a.Staff,
		Status: RefundRequested, Created: now, Updated: now}
	action := "refund_request"
	detail := fmt.Sprintf("amount %d key %s", amount, r.Key)
	if r.ToDeposit {
		shares := RefundSplit(b, amount)
		if len(r.Split) > 0 {
			if shares, err = checkSplit(b, amount, r.Split, env); err != nil {
				return Refund{}, refundOp{}, nil, err
			}
		}
		postings := []Posting{{Account: AccountPrepaid, Amount: amount}}
		for _, sh := range shares {
			if sh.ClientID == 0 {
				return Refund{}, refundOp{}, nil, errf(ErrInvalid, "%s of booking %s was paid by nobody paydesk knows: refund that to the card, "+
					"or split the refund among the clients yourself", env.Money(sh.Amount), b.ID)
			}
			postings = append(postings, Posting{Account: ClientAccount(sh.ClientID), Amount: -sh.Amount})
		}
		if len(shares) == 0 {
			return Refund{}, refundOp{}, nil, fmt.Errorf("%w: booking %s has no payer to credit", ErrInvalid, b.ID)
		}
		posted, _, err := s.postProviderOp(tx, env, deskKey(r.Key), Operation{
			Kind: OpRefundToDeposit, Staff: a.Staff, ClientID: shares[0].ClientID, BookingID: b.ID,
			Comment: r.Reason, Postings: postings,
		})
		if err != nil {
			return Refund{}, refundOp{}, nil, err
		}
		op = refundOp{op: posted, posted: true}
		detail += "; to " + b.applySplit(shares, env.Money)
		if b.Refunded >= b.Paid {
			b.Status = BookingRefunded
		}
		b.Updated = now
		if err := tx.PutBooking(b); err != nil {
			return Refund{}, refundOp{}, nil, err
		}
		out.Status, out.OperationID = RefundSucceeded, posted.ID
		action = "refund_to_deposit"
		changes = append(changes, Change{What: "operation", Operation: posted.ID, ClientID: b.ClientID})
	} else if b.PaymentIntent == "" {
		return Refund{}, refundOp{}, nil, fmt.Errorf("%w: booking %s has no card payment to refund", ErrInvalid, b.ID)
	} else {
		// The refund goes back through the provider that took the payment
		// it refunds (the latest, as the executor sends it).
		out.Provider = b.ProviderOf(b.PaymentIntent)
		online, err := onlineRegister(env.Settings, out.Provider)
		if err != nil {
			return Refund{}, refundOp{}, nil, err
		}
		if out.Parts, err = cardRefundParts(b, refunds, r.Key, amount); err != nil {
			return Refund{}, refundOp{}, nil, err
		}
		for _, p := range out.Parts {
			detail += fmt.Sprintf("; %d from %s", p.Amount, p.PaymentRef)
		}
		op = refundOp{op: cardRefundOperation(online, b, amount, firstNonEmpty(r.Reason, "card refund"))}
	}
	if err := tx.PutRefund(out); err != nil {
		return Refund{}, refundOp{}, nil, err
	}
	changes = append(changes, Change{What: "booking", ClientID: b.ClientID})
	if err = tx.AppendAudit(&AuditEntry{Time: now, Staff: a.Staff, Action: action,
		Subject: "booking " + b.ID, Reason: r.Reason, Detail: detail}); err != nil {
		return Refund{}, refundOp{}, nil, err
	}
	err = auditApproval(tx, postEnv{Now: now, Actor: a, approver: approver, approved: RightRefund}, "booking "+b.ID)
	return out, op, changes, err
}

// refundOp is the operation of a refund: posted already (to the deposit, or
// a card refund the provider confirmed), or still to post when the provider
// confirms the card refund.
type refundOp struct {
	op       Operation
	posted   bool
	replayed bool
}

// refundOpOf is the operation of a refund already started.
func (s *Service) refundOpOf(tx ReadTx, r Refund) (refundOp, error) {
	if r.OperationID != 0 {
		op, err := tx.Operation(r.OperationID)
		return refundOp{op: op, posted: true}, err
	}
	st, err := tx.Settings()
	if err != nil {
		return refundOp{}, err
	}
	b, err := tx.Booking(r.BookingID)
	if err != nil {
		return refundOp{}, err
	}
	online, err := onlineRegister(st, r.ProviderName(b))
	if err != nil {
		return refundOp{}, err
	}
	return refundOp{op: cardRefundOperation(online, b, r.Amount, firstNonEmpty(r.Reason, "card refund"))}, nil
}

// cardRefundOperation is the operation a card refund posts once the
// provider reports its success (its key comes from the provider's refund id).
func cardRefundOperation(online string, b Booking, amount int64, comment string) Operation {
	return Operation{
		Kind:      OpRefund,
		Staff:     providerStaff,
		ClientID:  b.ClientID,
		BookingID: b.ID,
		Comment:   comment,
		Postings: []Posting{
			{Account: AccountPrepaid, Amount: amount},
			{Account: RegisterAccount(online), Amount: -amount},
		},
	}
}

// CompleteRefund records what the provider said about a refund: on
// "succeeded" it posts the refund operation once; "pending" or
// "requires_action" keeps it in flight; "failed" or "canceled" frees the amount.
func (s *Service) CompleteRefund(ctx context.Context, key, providerRef, status, errText string) (Refund, error) {
	return s.settleRefundAnswer(ctx, key, nil, providerRef, status, errText)
}

// CompleteRefundPart records what the provider said about one part of a
// refund spread over several payments (Refund.Parts), as CompleteRefund does
// for a whole one: a part that succeeded posts once, against its payment. The
// refund is final when every part is: succeeded if all did; failed, saying
// which part and how much went back, if any did not (what did go back stays
// posted, and the rest is refund due again).
func (s *Service) CompleteRefundPart(ctx context.Context, key, paymentRef, providerRef, status, errText string) (Refund, error) {
	return s.settleRefundAnswer(ctx, key, &paymentRef, providerRef, status, errText)
}

// refundAnswered is what a provider's answer settles: a whole refund's own
// fields, or one part's.
type refundAnswered struct {
	status     *RefundStatus
	op         *OperationID
	errText    *string
	ref        *string
	amount     int64
	paymentRef string // "" for a whole refund: the payment the executor refunded
}

// settleRefundAnswer is CompleteRefund (part nil) and CompleteRefundPart
// (part names the payment): one transaction that moves the refund, or its
// part, to the provider's status, posts a success once, and audits it.
func (s *Service) settleRefundAnswer(ctx context.Context, key string, part *string, providerRef, status, errText string) (Refund, error) {
	var out Refund
	var changes []Change
	err := s.store.Update(ctx, func(tx Tx) error {
		changes = changes[:0]
		r, err := tx.Refund(key)
		if err != nil {
			return fmt.Errorf("refund %s: %w", key, err)
		}
		out = r
		t := refundAnswered{status: &r.Status, op: &r.OperationID, errText: &r.Error, ref: &r.ProviderRef, amount: r.Amount}
		if part != nil {
			i := slices.IndexFunc(r.Parts, func(p RefundPart) bool { return p.PaymentRef == *part })
			if i < 0 {
				return fmt.Errorf("%w: refund %s has no part on payment %s", ErrInvalid, key, *part)
			}
			p := &r.Parts[i]
			t = refundAnswered{status: &p.Status, op: &p.OperationID, errText: &p.Error, ref: &p.ProviderRef,
				amount: p.Amount, paymentRef: p.PaymentRef}
		}
		if *t.status == RefundSucceeded || *t.status == RefundFailed && status != "succeeded" {
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
			b, err := tx.Booking(r.BookingID)
			if err != nil {
				return err
			}
			provider := r.ProviderName(b)
			if part != nil {
				provider = b.ProviderOf(t.paymentRef)
			}
			op, _, err := s.postCardRefund(tx, env, provider, r.BookingID, t.paymentRef, providerRef, t.amount,
				firstNonEmpty(r.Reason, "card refund"))
			if err != nil {
				return err
			}
			*t.status, *t.op, *t.errText = RefundSucceeded, op.ID, ""
			changes = append(changes, Change{What: "operation", Operation: op.ID, ClientID: op.ClientID})
		case "pending", "requires_action":
			*t.status = RefundPending
		case "failed", "canceled":
			*t.status, *t.errText = RefundFailed, firstNonEmpty(errText, "provider: "+status)
		default:
			return fmt.Errorf("%w: unknown refund status %q", ErrInvalid, status)
		}
		if providerRef != "" {
			*t.ref = providerRef
		}
		action := "refund_" + string(*t.status)
		detail := fmt.Sprintf("key %s ref %s %s", key, providerRef, errText)
		if part != nil {
			action = "refund_part_" + string(*t.status)
			detail = fmt.Sprintf("key %s payment %s ref %s %s", key, *part, providerRef, errText)
			r.Status, r.OperationID, r.ProviderRef, r.Error = partsOutcome(r.Parts)
		}
		r.Updated = now
		if err := tx.PutRefund(r); err != nil {
			return err
		}
		out = r
		changes = append(changes, Change{What: "booking"})
		return tx.AppendAudit(&AuditEntry{Time: now, Staff: providerStaff, Action: action,
			Subject: "booking " + r.BookingID, Detail: detail})
	})
	if err != nil {
		return Refund{}, err
	}
	for _, c := range changes {
		s.publish(c)
	}
	return out, nil
}

// partsOutcome is a spread refund's state from its parts': in flight while
// any part is, then succeeded or failed; the provider refs of the parts that
// went through, and the last one's operation.
func partsOutcome(parts []RefundPart) (st RefundStatus, op OperationID, refs, errText string) {
	var ids, failed []string
	var back, asked int64
	st = RefundSucceeded
	sent := false
	for _, p := range parts {
		asked += p.Amount
		switch p.Status {
		case RefundSucceeded:
			ids, back, op, sent = append(ids, p.ProviderRef), back+p.Amount, p.OperationID, true
		case RefundFailed:
			failed = append(failed, fmt.Sprintf("%s: %s", p.PaymentRef, p.Error))
			sent = true
		case RefundPending:
			st, sent = RefundPending, true
		case RefundRequested:
			if st != RefundPending {
				st = RefundRequested
			}
		}
	}
	if st == RefundRequested && sent {
		st = RefundPending // some parts answered: the refund is under way
	}
	refs = strings.Join(ids, ",")
	if st == RefundSucceeded && len(failed) > 0 {
		st = RefundFailed
		errText = fmt.Sprintf("%d of %d went back to the card; refused for %s", back, asked, strings.Join(failed, "; "))
	}
	return st, op, refs, errText
}

// PendingRefunds lists refunds sent but not final (to look up after a crash).
// They only exist on canceled bookings: a refund is started only on one, and
// the booking leaves that state only once everything is refunded.
func (s *Service) PendingRefunds(ctx context.Context) ([]Refund, error) {
	return read(ctx, s, func(tx ReadTx) ([]Refund, error) {
		bs, err := tx.Bookings(BookingFilter{Status: BookingCanceled})
		if err != nil {
			return nil, err
		}
		var out []Refund
		for _, b := range bs {
			rs, err := tx.BookingRefunds(b.ID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			for _, r := range rs {
				if r.Status == RefundRequested || r.Status == RefundPending {
					out = append(out, r)
				}
			}
		}
		return out, nil
	})
}

type refundResult struct {
	opID OperationID
	note string // set when an admin should look
	info string // what happened, when nothing needs an admin
}

// recordProviderRefund records one provider refund: a success posts once per
// provider refund id; our Refund (matched by key, or by provider id) follows
// the provider's status; a refund that fails after it posted is reversed.
func (s *Service) recordProviderRefund(tx Tx, env postEnv, provider, bookingID, paymentRef string, pr ProviderRefund) (refundResult, error) {
	if pr.ID == "" {
		return refundResult{}, fmt.Errorf("%w: refund without an id", ErrInvalid)
	}
	ours, err := findRefund(tx, bookingID, pr)
	if err != nil {
		return refundResult{}, err
	}
	switch pr.Status {
	case "succeeded":
		amount := pr.Amount
		if ours != nil && ours.Status == RefundSucceeded && ours.OperationID != 0 {
			return refundResult{opID: ours.OperationID}, nil
		}
		if amount <= 0 {
			return refundResult{note: fmt.Sprintf("refund %s has no amount paydesk can post", pr.ID)}, nil
		}
		op, posted, err := s.postCardRefund(tx, env, provider, bookingID, paymentRef, pr.ID, amount, "card refund")
		if err != nil {
			return refundResult{}, err
		}
		if ours != nil {
			ours.Status, ours.ProviderRef, ours.OperationID, ours.Error = RefundSucceeded, pr.ID, op.ID, ""
			ours.Updated = s.now()
			if err := tx.PutRefund(*ours); err != nil {
				return refundResult{}, err
			}
		}
		var note string
		if posted && ours != nil && ours.Amount != amount {
			note = fmt.Sprintf("refund %s: provider refunded %d, paydesk asked for %d", pr.ID, amount, ours.Amount)
		}
		return refundResult{opID: op.ID, note: note}, nil
	case "failed", "canceled":
		if ours != nil && ours.Status != RefundSucceeded {
			ours.Status, ours.ProviderRef, ours.Error, ours.Updated = RefundFailed, pr.ID, "provider: "+pr.Status, s.now()
			if err := tx.PutRefund(*ours); err != nil {
				return refundResult{}, err
			}
		}
		orig, err := providerOpKey(provider, OpRefund, pr.ID).find(tx)
		if errors.Is(err, ErrNotFound) {
			return refundResult{info: fmt.Sprintf("refund %s %s before it posted: nothing to undo", pr.ID, pr.Status)}, nil
		} else if err != nil {
			return refundResult{}, err
		}
		// It posted as succeeded and then failed (the card was closed...):
		// the money is back in the provider's balance and still owed to
		// the client. A linked reversal undoes the posting.
		rev, err := s.reverseProviderOp(tx, env, provider, orig, "refund:"+pr.ID, "refund "+pr.ID+" "+pr.Status+" at the provider after it was posted")
		if err != nil {
			return refundResult{}, err
		}
		if err := s.uncountRefund(tx, env, bookingID, paymentRef, pr.ID, orig); err != nil {
			return refundResult{}, err
		}
		if ours != nil && ours.Status == RefundSucceeded {
			ours.Status, ours.Error, ours.Updated = RefundFailed, "provider: "+pr.Status+" after it succeeded", s.now()
			if err := tx.PutRefund(*ours); err != nil {
				return refundResult{}, err
			}
		}
		return refundResult{opID: rev.ID, note: fmt.Sprintf("refund %s %s after it was posted: reversed by operation %d; the client is still owed %s",
			pr.ID, pr.Status, rev.ID, env.Money(-negSum(orig.Postings, AccountPrepaid)))}, nil
	default: // pending, requires_action
		if ours != nil && (ours.Status == RefundRequested || ours.Status == RefundPending) {
			ours.Status, ours.ProviderRef, ours.Updated = RefundPending, pr.ID, s.now()
			return refundResult{info: "refund " + pr.ID + " " + pr.Status}, tx.PutRefund(*ours)
		}
		return refundResult{info: "refund " + pr.ID + " " + firstNonEmpty(pr.Status, "in an unknown state")}, nil
	}
}

// uncountRefund takes a reversed card refund off its booking and payment.
func (s *Service) uncountRefund(tx Tx, env postEnv, bookingID, paymentRef, refundID string, orig Operation) error {
	if orig.ReversedBy != 0 {
		return nil // reversed before: counted off then
	}
	amount := -negSum(orig.Postings, AccountPrepaid)
	b, err := tx.Booking(bookingID)
	if err != nil {
		return err
	}
	b.Payers = b.PayerList()
	if i := payerIndex(b.Payers, paymentRef); i >= 0 {
		p := &b.Payers[i]
		p.Refunded, p.CardRefunded = max(p.Refunded-amount, 0), max(p.CardRefunded-amount, 0)
	}
	b.Refunded = max(b.Refunded-amount, 0)
	if b.Status == BookingRefunded && b.Refunded < b.Paid {
		b.Status = BookingCanceled // refund due again
	}
	b.Flag = mergeFlags(b.Flag, []string{"refund " + refundID + " failed after it was posted"})
	b.Updated = env.Now
	return tx.PutBooking(b)
}

// payerIndex finds the payer of payment ref; "" or an unlisted payment is
// the latest payer, as countRefund counts it.
func payerIndex(ps []BookingPayer, ref string) int {
	if i := slices.IndexFunc(ps, func(p BookingPayer) bool { return p.PaymentRef == ref }); i >= 0 {
		return i
	}
	return len(ps) - 1
}

func findRefund(tx ReadTx, bookingID string, pr ProviderRefund) (*Refund, error) {
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

// postCardRefund posts a card refund (prepaid +R, online -R) once per provider
// refund id and counts it on the booking, against the payment paymentRef
// ("" or unknown: the latest, which is the one the refund executor refunds).
// A refund that an earlier charge's amount_refunded already posted
// (webhook-only mode) is matched to that posting instead of posting again.
func (s *Service) postCardRefund(tx Tx, env postEnv, provider, bookingID, paymentRef, refundID string, amount int64, comment string) (Operation, bool, error) {
	if amount <= 0 {
		return Operation{}, false, fmt.Errorf("%w: refund %s amount %d", ErrInvalid, refundID, amount)
	}
	online, err := onlineRegister(env.Settings, provider)
	if err != nil {
		return Operation{}, false, err
	}
	key := providerOpKey(provider, OpRefund, refundID)
	prev, found, err := key.lookup(tx)
	if err != nil {
		return Operation{}, false, err
	}
	b, err := tx.Booking(bookingID)
	if err != nil {
		return Operation{}, false, err
	}
	b.Payers = b.PayerList()
	i := payerIndex(b.Payers, paymentRef)
	if found {
		// A provider that names a refund by the refunded total it makes
		// (LiqPay) shares its id with the total's own posting
		// (applyAmountRefunded, whose ProviderRef is the payment's): this
		// refund is that posting, which stops being unmatched.
		if prev.ProviderRef != refundID && i >= 0 && !slices.Contains(b.Payers[i].Matched, refundID) && b.Payers[i].Unmatched > 0 {
			p := &b.Payers[i]
			p.Unmatched -= min(p.Unmatched, -negSum(prev.Postings, AccountPrepaid))
			p.Matched = append(p.Matched, refundID)
			b.Updated = env.Now
			return prev, false, tx.PutBooking(b)
		}
		return prev, false, nil
	}
	if i >= 0 && slices.Contains(b.Payers[i].Matched, refundID) {
		return Operation{ID: b.Payers[i].ProvenOp}, false, nil
	}
	if i >= 0 && b.Payers[i].Unmatched >= amount {
		p := &b.Payers[i]
		p.Unmatched -= amount
		p.Matched = append(p.Matched, refundID)
		b.Updated = env.Now
		return Operation{ID: p.ProvenOp}, false, tx.PutBooking(b)
	}
	card := cardRefundOperation(online, b, amount, comment)
	card.ProviderRef = refundID
	op, posted, err := s.postProviderOp(tx, env, key, card)
	if err != nil || !posted {
		return op, posted, err
	}
	b.countRefund(paymentRef, amount)
	if i := payerIndex(b.Payers, paymentRef); i >= 0 {
		b.Payers[i].CardRefunded += amount
	}
	return op, true, s.storeRefunded(tx, env, &b)
}
