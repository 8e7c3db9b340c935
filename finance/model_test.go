package finance_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

var (
	modelSeed  = flag.Uint64("model.seed", 1, "seed of the randomized model test")
	modelSteps = flag.Int("model.steps", 3000, "steps of the randomized model test")
)

// model is the ledger as a few maps: what the books must say after every step.
type model struct {
	acc      map[finance.AccountID]int64 // raw balances (debit +), registers include the start balance
	clients  []modelClient
	ops      map[finance.OperationID]*modelOp
	opIDs    []finance.OperationID
	posted   []postedReq
	phones   map[string]bool
	bookings []*modelBooking
}

type modelClient struct {
	id    finance.ClientID
	name  string
	phone string
	limit int64
}

// modelBooking is an online-prepaid booking: what was paid and refunded.
type modelBooking struct {
	id       string
	client   modelClient
	paid     int64
	refunded int64
	canceled bool
}

type modelOp struct {
	kind       finance.OpKind
	postings   map[finance.AccountID]int64
	reversedBy finance.OperationID
	reverses   finance.OperationID
}

// postedReq can send its request again (a double click, a retry) or send
// another request under the same key (a bug the key must catch).
type postedReq struct {
	id       finance.OperationID
	replay   func() (finance.Operation, error)
	conflict func() (finance.Operation, error)
}

func (m *model) owed(id finance.ClientID) int64 { return -m.acc[finance.ClientAccount(id)] }

func (m *model) available(c modelClient) int64 { return m.owed(c.id) + c.limit }

func (m *model) apply(op finance.Operation, want map[finance.AccountID]int64) error {
	got := map[finance.AccountID]int64{}
	for _, p := range op.Postings {
		got[p.Account] += p.Amount
	}
	for a, v := range want {
		if v == 0 {
			delete(want, a)
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("op %d postings %v, model wants %v", op.ID, got, want)
	}
	for a, v := range want {
		if got[a] != v {
			return fmt.Errorf("op %d postings %v, model wants %v", op.ID, got, want)
		}
	}
	for a, v := range want {
		m.acc[a] += v
	}
	m.ops[op.ID] = &modelOp{kind: op.Kind, postings: want, reverses: op.Reverses}
	m.opIDs = append(m.opIDs, op.ID)
	return nil
}

func TestModelRandomized(t *testing.T) {
	seed, steps := *modelSeed, *modelSteps
	if testing.Short() {
		steps = 500
	}
	t.Logf("seed %d, %d steps (rerun with -model.seed=%d)", seed, steps, seed)
	runModel(t, seed, steps, 250)
}

// FuzzOperationSequence is the model test as a fuzzer, in the manner of
// TigerBeetle's VOPR: the fuzzer picks the seed, which drives a random
// sequence of top-ups, checkouts, cash-outs, transfers, paid-in/out,
// reversals, online prepayments, cancels and refunds to deposit, replays,
// key conflicts, bad input, clock jumps and reopens against a real store,
// with every invariant of paydesk check verified after each step.
func FuzzOperationSequence(f *testing.F) {
	for _, seed := range []uint64{1, 2, 3, 42, 1 << 40} {
		f.Add(seed, uint16(60))
	}
	f.Fuzz(func(t *testing.T, seed uint64, steps uint16) {
		runModel(t, seed, 1+int(steps)%80, 1)
	})
}

// runModel runs steps random steps from seed, comparing the books with the
// model after each and running the full invariant check every checkEvery.
func runModel(t testing.TB, seed uint64, steps, checkEvery int) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := newFixture(t)
	regs := []string{"cash", "card", "stripe", "bank"}
	m := &model{acc: map[finance.AccountID]int64{}, ops: map[finance.OperationID]*modelOp{}, phones: map[string]bool{}}
	for _, r := range testSettings().Registers {
		m.acc[finance.RegisterAccount(r.ID)] = r.StartBalance
	}
	keyN := 0
	newKey := func() string { keyN++; return fmt.Sprintf("key-%d", keyN) }
	amount := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return 1 + rng.Int64N(100)
		default:
			return 1 + rng.Int64N(20000)
		}
	}
	pickClient := func() (modelClient, bool) {
		if len(m.clients) == 0 {
			return modelClient{}, false
		}
		return m.clients[rng.IntN(len(m.clients))], true
	}
	counts := map[string]int{}

	// step returns a description of what it did and an error if the
	// service disagreed with the model.
	step := func(i int) (string, error) {
		action := rng.IntN(100)
		switch {
		case action < 8 || len(m.clients) < 3: // new client
			if len(m.clients) >= 60 {
				return "skip", nil
			}
			phone := fmt.Sprintf("+38067%07d", rng.IntN(10_000_000))
			name := fmt.Sprintf("Client %d", len(m.clients)+1)
			c, err := f.svc.CreateClient(f.ctx, f.desk, finance.NewClient{Name: name, Phone: phone})
			if m.phones[phone] {
				counts["client dup phone"]++
				if !errors.Is(err, finance.ErrConflict) {
					return "client dup", fmt.Errorf("duplicate phone: %v", err)
				}
				return "client dup", nil
			}
			if err != nil {
				return "client", err
			}
			m.phones[phone] = true
			mc := modelClient{id: c.ID, name: name, phone: phone}
			if rng.IntN(5) == 0 {
				// Some clients may run a tab.
				mc.limit = 5000
				if err := f.db.Update(f.ctx, func(tx finance.Tx) error {
					c.CreditLimit = mc.limit
					return tx.UpdateClient(c)
				}); err != nil {
					return "client", err
				}
			}
			m.clients = append(m.clients, mc)
			counts["client"]++
			return "client " + name, nil

		case action < 25: // top-up
			c, _ := pickClient()
			a := amount()
			req := finance.TopUpRequest{Key: newKey(), ClientID: c.id, Amount: a, Register: regs[rng.IntN(2)]}
			post := func() (finance.Operation, error) { return f.svc.TopUp(f.ctx, f.desk, req) }
			op, err := post()
			if err != nil {
				return "top-up", err
			}
			counts["top-up"]++
			other := req
			other.Amount++
			m.posted = append(m.posted, postedReq{id: op.ID, replay: post,
				conflict: func() (finance.Operation, error) { return f.svc.TopUp(f.ctx, f.desk, other) }})
			return "top-up", m.apply(op, map[finance.AccountID]int64{finance.RegisterAccount(req.Register): a, finance.ClientAccount(c.id): -a})

		case action < 45: // checkout
			total := amount()
			req := finance.CheckoutRequest{Key: newKey(), Total: total}
			want := map[finance.AccountID]int64{finance.AccountRevenue: -total}
			var fromBal int64
			var expect error
			c, hasClient := pickClient()
			if rng.IntN(6) == 0 {
				hasClient = false // walk-in
			}
			if hasClient {
				req.ClientID = c.id
				avail := m.available(c)
				switch rng.IntN(4) {
				case 0: // default: all that is available, up to the total
					fromBal = max(min(avail, total), 0)
				case 1:
					fromBal = 0
					req.FromBalance = &fromBal
				case 2: // within what she has
					fromBal = rng.Int64N(max(min(avail, total), 0) + 1)
					req.FromBalance = &fromBal
				case 3: // maybe more than she has
					fromBal = rng.Int64N(total + 1)
					req.FromBalance = &fromBal
					if fromBal > avail {
						expect = finance.ErrInsufficientFunds
					}
				}
				want[finance.ClientAccount(c.id)] = fromBal
			}
			rest := total - fromBal
			for n := 1 + rng.IntN(3); rest > 0; n-- {
				part := rest
				if n > 1 {
					part = rng.Int64N(rest + 1)
				}
				reg := regs[rng.IntN(2)]
				req.Payments = append(req.Payments, finance.Tender{Register: reg, Amount: part})
				want[finance.RegisterAccount(reg)] += part
				rest -= part
			}
			if rng.IntN(15) == 0 && len(req.Payments) > 0 && expect == nil {
				req.Payments[0].Amount++ // pays too much
				expect = finance.ErrInvalid
			}
			post := func() (finance.Operation, error) { return f.svc.Checkout(f.ctx, f.desk, req) }
			op, err := post()
			if expect != nil {
				counts["checkout refused"]++
				if !errors.Is(err, expect) {
					return "checkout", fmt.Errorf("want %v, got %v (op %+v)", expect, err, op)
				}
				return "checkout refused", nil
			}
			if err != nil {
				return "checkout", err
			}
			counts["checkout"]++
			other := req
			other.Note = "changed"
			m.posted = append(m.posted, postedReq{id: op.ID, replay: post,
				conflict: func() (finance.Operation, error) { return f.svc.Checkout(f.ctx, f.desk, other) }})
			return "checkout", m.apply(op, want)

		case action < 53: // cash-out
			c, _ := pickClient()
			a := amount()
			req := finance.CashOutRequest{Key: newKey(), ClientID: c.id, Amount: a, Register: "cash"}
			op, err := f.svc.CashOut(f.ctx, f.mgr, req)
			if a > m.available(c) || a > m.acc[cashAcc] { // the client's funds, then the drawer's floor
				counts["cash-out refused"]++
				if !errors.Is(err, finance.ErrInsufficientFunds) {
					return "cash-out", fmt.Errorf("want insufficient funds, got %v", err)
				}
				return "cash-out refused", nil
			}
			if err != nil {
				return "cash-out", err
			}
			counts["cash-out"]++
			return "cash-out", m.apply(op, map[finance.AccountID]int64{finance.ClientAccount(c.id): a, cashAcc: -a})

		case action < 60: // transfer
			from, to := regs[rng.IntN(4)], regs[rng.IntN(4)]
			a := amount()
			op, err := f.svc.Transfer(f.ctx, f.mgr, finance.TransferRequest{Key: newKey(), From: from, To: to, Amount: a})
			if from == to {
				if !errors.Is(err, finance.ErrInvalid) {
					return "transfer", fmt.Errorf("same register: %v", err)
				}
				return "transfer refused", nil
			}
			if from == "cash" && a > m.acc[cashAcc] {
				if !errors.Is(err, finance.ErrInsufficientFunds) {
					return "transfer", fmt.Errorf("below the drawer's floor: want insufficient funds, got %v", err)
				}
				return "transfer refused", nil
			}
			if err != nil {
				return "transfer", err
			}
			counts["transfer"]++
			return "transfer", m.apply(op, map[finance.AccountID]int64{finance.RegisterAccount(to): a, finance.RegisterAccount(from): -a})

		case action < 66: // paid-in / paid-out
			in := rng.IntN(2) == 0
			a := amount()
			op, err := f.svc.MoveCash(f.ctx, f.mgr, finance.CashMoveRequest{Key: newKey(), Register: "cash", Amount: a, In: in, Reason: "petty cash"})
			if !in && a > m.acc[cashAcc] {
				if !errors.Is(err, finance.ErrInsufficientFunds) {
					return "paid in/out", fmt.Errorf("below the drawer's floor: want insufficient funds, got %v", err)
				}
				return "paid-out refused", nil
			}
			if err != nil {
				return "paid in/out", err
			}
			counts["paid in/out"]++
			sign := int64(-1)
			if in {
				sign = 1
			}
			return "paid in/out", m.apply(op, map[finance.AccountID]int64{cashAcc: sign * a, finance.AccountPaidInOut: -sign * a})

		case action < 78: // reversal
			if len(m.opIDs) == 0 {
				return "skip", nil
			}
			id := m.opIDs[rng.IntN(len(m.opIDs))]
			if rng.IntN(4) > 0 { // favour recent operations, whose money is less likely spent
				id = m.opIDs[len(m.opIDs)-1-rng.IntN(min(len(m.opIDs), 5))]
			}
			orig := m.ops[id]
			var expect error
			switch {
			case orig.kind == finance.OpReversal, orig.kind == finance.OpOnlinePrepayment, orig.kind == finance.OpRefundToDeposit:
				expect = finance.ErrNotReversible
			case orig.reversedBy != 0:
				expect = finance.ErrAlreadyReversed
			default:
				for a, v := range orig.postings {
					for _, c := range m.clients {
						if a == finance.ClientAccount(c.id) && -v > 0 && -v > m.available(c) {
							expect = finance.ErrInsufficientFunds
						}
					}
				}
				if v := orig.postings[cashAcc]; v > 0 && v > m.acc[cashAcc] {
					expect = finance.ErrInsufficientFunds // the drawer's floor
				}
			}
			who := f.admin
			if rng.IntN(20) == 0 {
				who, expect = f.desk, finance.ErrForbidden
			}
			req := finance.ReverseRequest{Key: newKey(), OperationID: id, Reason: "mistake"}
			op, err := f.svc.Reverse(f.ctx, who, req)
			if expect != nil {
				counts["reversal refused"]++
				if !errors.Is(err, expect) {
					return "reversal", fmt.Errorf("reverse op %d (%s): want %v, got %v", id, orig.kind, expect, err)
				}
				return "reversal refused", nil
			}
			if err != nil {
				return "reversal", fmt.Errorf("reverse op %d: %w", id, err)
			}
			counts["reversal"]++
			neg := map[finance.AccountID]int64{}
			for a, v := range orig.postings {
				neg[a] = -v
			}
			if err := m.apply(op, neg); err != nil {
				return "reversal", err
			}
			orig.reversedBy = op.ID
			if op.Reverses != id {
				return "reversal", fmt.Errorf("reversal %d reverses %d, want %d", op.ID, op.Reverses, id)
			}
			return "reversal", nil

		case action < 86: // the same request again: posts nothing, returns the first op
			if len(m.posted) == 0 {
				return "skip", nil
			}
			p := m.posted[rng.IntN(len(m.posted))]
			op, err := p.replay()
			if err != nil {
				return "replay", err
			}
			counts["replay"]++
			if op.ID != p.id {
				return "replay", fmt.Errorf("replay returned op %d, first was %d", op.ID, p.id)
			}
			return "replay", nil

		case action < 90: // another request under a used key
			if len(m.posted) == 0 {
				return "skip", nil
			}
			p := m.posted[rng.IntN(len(m.posted))]
			_, err := p.conflict()
			counts["key conflict"]++
			if !errors.Is(err, finance.ErrConflict) {
				return "conflict", fmt.Errorf("reused key for another request: %v", err)
			}
			return "conflict", nil

		case action < 92: // bad input of all sorts
			c, _ := pickClient()
			bad := []struct {
				want error
				call func() error
			}{
				{finance.ErrInvalid, func() error {
					_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: newKey(), ClientID: c.id, Amount: -amount(), Register: "cash"})
					return err
				}},
				{finance.ErrInvalid, func() error {
					_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{ClientID: c.id, Amount: 5, Register: "cash"})
					return err
				}},
				{finance.ErrNotFound, func() error {
					_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: newKey(), ClientID: 1 << 40, Amount: 5, Register: "cash"})
					return err
				}},
				{finance.ErrNotFound, func() error {
					_, err := f.svc.CashOut(f.ctx, f.mgr, finance.CashOutRequest{Key: newKey(), ClientID: c.id, Amount: 5, Register: "drawer9"})
					return err
				}},
				{finance.ErrInvalid, func() error {
					_, err := f.svc.MoveCash(f.ctx, f.mgr, finance.CashMoveRequest{Key: newKey(), Register: "cash", Amount: 5})
					return err
				}},
				{finance.ErrInvalid, func() error {
					_, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: newKey(), ClientID: c.id, Total: 0})
					return err
				}},
				{finance.ErrForbidden, func() error {
					_, err := f.svc.Transfer(f.ctx, f.desk, finance.TransferRequest{Key: newKey(), From: "cash", To: "bank", Amount: 5})
					return err
				}},
				{finance.ErrInvalid, func() error {
					_, err := f.svc.CreateClient(f.ctx, f.desk, finance.NewClient{Name: "", Phone: "+380501112233"})
					return err
				}},
			}
			b := bad[rng.IntN(len(bad))]
			counts["bad input"]++
			if err := b.call(); !errors.Is(err, b.want) {
				return "bad input", fmt.Errorf("want %v, got %v", b.want, err)
			}
			return "bad input", nil

		case action < 97: // an online prepayment arrives (a webhook), then later a cancel and a refund to deposit
			if len(m.bookings) > 0 && rng.IntN(2) == 0 {
				return m.refundStep(f, rng, counts, newKey)
			}
			c, _ := pickClient()
			a := amount()
			n := len(m.bookings) + 1
			e := finance.ProviderEvent{ID: fmt.Sprintf("evt_m%d", n), Provider: "stripe", Type: finance.EventPaymentSucceeded,
				RawType: "payment_intent.succeeded", Created: f.clock.Now(), ObjectID: fmt.Sprintf("pi_m%d", n),
				PaymentRef: fmt.Sprintf("pi_m%d", n), Amount: a, Currency: "eur", Metadata: map[string]string{
					"booking_id": fmt.Sprintf("bk_m%d", n), "client_name": c.name, "client_phone": c.phone}}
			if _, err := f.svc.RecordEvent(f.ctx, e); err != nil {
				return "prepayment", err
			}
			if err := f.svc.ApplyEvent(f.ctx, e.ID); err != nil {
				return "prepayment", err
			}
			got, err := f.svc.Event(f.ctx, e.ID)
			if err != nil {
				return "prepayment", err
			}
			op, err := m.read(f, got.Operation)
			if err != nil {
				return "prepayment", fmt.Errorf("event %s (%s %s): %w", e.ID, got.Status, got.Error, err)
			}
			if op.ClientID != c.id {
				return "prepayment", fmt.Errorf("prepayment of %s went to client %d, not %d", c.phone, op.ClientID, c.id)
			}
			counts["prepayment"]++
			m.bookings = append(m.bookings, &modelBooking{id: e.Metadata["booking_id"], client: c, paid: a})
			return "prepayment", m.apply(op, map[finance.AccountID]int64{finance.RegisterAccount("stripe"): a, finance.AccountPrepaid: -a})

		case action < 99: // time passes: minutes, hours or days
			f.clock.Add(time.Duration(rng.Int64N(int64(30 * time.Hour))))
			counts["clock"]++
			return "clock", nil

		default:
			counts["reopen"]++
			f.reopen()
			return "reopen", nil
		}
	}

	for i := range steps {
		if i == steps/2 {
			f.reopen()
		}
		what, err := step(i)
		if err != nil {
			t.Fatalf("seed %d step %d (%s): %v", seed, i, what, err)
		}
		if err := m.verify(f, i%10 == 0); err != nil {
			t.Fatalf("seed %d step %d (%s): %v", seed, i, what, err)
		}
		if (i+1)%checkEvery == 0 {
			f.mustCheck()
		}
	}
	f.reopen()
	if err := m.verify(f, true); err != nil {
		t.Fatalf("after the last reopen: %v", err)
	}
	rep := f.mustCheck()
	t.Logf("%d operations, %d register-days; %v", rep.Operations, rep.Days, counts)
	if rep.Operations != len(m.opIDs) {
		t.Errorf("store has %d operations, model %d", rep.Operations, len(m.opIDs))
	}
}

// read is one operation as the store has it.
func (m *model) read(f *fixture, id finance.OperationID) (finance.Operation, error) {
	var op finance.Operation
	err := f.db.View(f.ctx, func(tx finance.ReadTx) error {
		var err error
		op, err = tx.Operation(id)
		return err
	})
	return op, err
}

// refundStep cancels a booking (if it is not yet) and refunds part or all
// of what is left to the client's deposit, or tries to refund more than is
// left, which must be refused and change nothing.
func (m *model) refundStep(f *fixture, rng *rand.Rand, counts map[string]int, newKey func() string) (string, error) {
	b := m.bookings[rng.IntN(len(m.bookings))]
	if !b.canceled {
		if _, err := f.svc.CancelBooking(f.ctx, f.admin, b.id, "client canceled"); err != nil {
			return "cancel", err
		}
		b.canceled = true
		counts["cancel"]++
		return "cancel", nil
	}
	left := b.paid - b.refunded
	ask := int64(0) // everything left
	switch rng.IntN(3) {
	case 0:
		if left > 0 {
			ask = 1 + rng.Int64N(left)
		}
	case 1:
		ask = left + 1 + rng.Int64N(100)
	}
	r, err := f.svc.StartRefund(f.ctx, f.admin, finance.RefundRequest{Key: newKey(), BookingID: b.id, Amount: ask,
		ToDeposit: true, Reason: "client canceled"})
	if left == 0 || ask > left {
		counts["refund refused"]++
		if err == nil {
			return "refund", fmt.Errorf("refund of %d with %d left was accepted: %+v", ask, left, r)
		}
		return "refund refused", nil
	}
	if err != nil {
		return "refund", err
	}
	op, err := m.read(f, r.OperationID)
	if err != nil {
		return "refund", err
	}
	amt := r.Amount
	if ask != 0 && amt != ask || ask == 0 && amt != left {
		return "refund", fmt.Errorf("asked %d with %d left, refunded %d", ask, left, amt)
	}
	b.refunded += amt
	counts["refund to deposit"]++
	return "refund", m.apply(op, map[finance.AccountID]int64{finance.AccountPrepaid: amt, finance.ClientAccount(b.client.id): -amt})
}

// verify compares every balance with the model and, with days, today's
// register closings with the balances.
func (m *model) verify(f *fixture, days bool) error {
	err := f.db.View(f.ctx, func(tx finance.ReadTx) error {
		for acc, want := range m.acc {
			got, err := tx.Balance(acc)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("%s: store %d, model %d", acc, got, want)
			}
		}
		for _, c := range m.clients {
			if m.owed(c.id) < -c.limit {
				return fmt.Errorf("model: client %d below floor", c.id)
			}
		}
		return nil
	})
	if err != nil || !days {
		return err
	}
	ts, err := f.svc.DayTotals(f.ctx, f.admin, f.today())
	if err != nil {
		return err
	}
	for _, t := range ts {
		if want := m.acc[finance.RegisterAccount(t.Register)]; t.Closing != want {
			return fmt.Errorf("register %s closes today at %d, balance is %d", t.Register, t.Closing, want)
		}
	}
	return nil
}
