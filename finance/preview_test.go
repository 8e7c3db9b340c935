package finance_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// Preview and posting give the same operation for every kind a person can
// post: same postings, same kind, client, booking, comment and lines; the
// preview leaves the books as they were; and the balances it says come
// after are those the post leaves.
func TestPreviewIsWhatPosts(t *testing.T) {
	type step struct {
		name    string
		actor   func(f *fixture) finance.Actor
		setup   func(t *testing.T, f *fixture, anna finance.Client) // what the books hold first
		req     func(f *fixture, anna finance.Client) finance.Request
		post    func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error)
		pending bool // posts when the provider confirms
	}
	desk := func(f *fixture) finance.Actor { return f.desk }
	admin := func(f *fixture) finance.Actor { return f.admin }
	topUp := func(t *testing.T, f *fixture, anna finance.Client) {
		_, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "t0", ClientID: anna.ID, Amount: 4000, Register: "cash"})
		must(t, err)
	}
	prepaid := func(t *testing.T, f *fixture, anna finance.Client) {
		topUp(t, f, anna)
		putBooking(t, f, finance.Booking{ID: "bk1", ClientID: anna.ID, Service: "Colour", StartsAt: f.clock.Now().Add(time.Hour),
			Total: 6000, Paid: 7000, Status: finance.BookingPrepaid, Created: f.clock.Now()})
	}
	canceled := func(t *testing.T, f *fixture, anna finance.Client) {
		_, err := f.deliver(payEvent("evt_1", "pi_1", "bk_1", 2500, nil))
		must(t, err)
		_, err = f.svc.CancelBooking(f.ctx, f.admin, "bk_1", "client called")
		must(t, err)
	}
	checkout := func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error) {
		return f.svc.Checkout(f.ctx, a, r.(finance.CheckoutRequest))
	}
	steps := []step{
		{name: "top-up", actor: desk,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.TopUpRequest{Key: "k", ClientID: anna.ID, Amount: 2500, Register: "card", Note: "gift"}
			},
			post: func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error) {
				return f.svc.TopUp(f.ctx, a, r.(finance.TopUpRequest))
			}},
		{name: "checkout, the deposit first and a register for the rest", actor: desk, setup: topUp,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.CheckoutRequest{Key: "k", ClientID: anna.ID, Lines: []finance.LineItem{
					{Description: "Haircut", UnitPrice: 3000, Quantity: 2}}, RestTo: "card", Note: "n"}
			}, post: checkout},
		{name: "checkout split over registers", actor: desk, setup: topUp,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.CheckoutRequest{Key: "k", ClientID: anna.ID, Total: 10000, FromBalance: i64(1000),
					Payments: []finance.Tender{{Register: "cash", Amount: 5000}, {Register: "card", Amount: 4000}}}
			}, post: checkout},
		{name: "walk-in checkout", actor: desk,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.CheckoutRequest{Key: "k", Total: 1500, RestTo: "cash"}
			}, post: checkout},
		{name: "checkout of a booking prepaid more than the visit", actor: desk, setup: prepaid,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.CheckoutRequest{Key: "k", ClientID: anna.ID, BookingID: "bk1", Total: 5000, RestTo: "cash"}
			}, post: checkout},
		{name: "cash-out", actor: admin, setup: topUp,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.CashOutRequest{Key: "k", ClientID: anna.ID, Amount: 1500, Register: "cash"}
			},
			post: func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error) {
				return f.svc.CashOut(f.ctx, a, r.(finance.CashOutRequest))
			}},
		{name: "transfer", actor: admin,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.TransferRequest{Key: "k", From: "cash", To: "bank", Amount: 3000, Note: "to the bank"}
			},
			post: func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error) {
				return f.svc.Transfer(f.ctx, a, r.(finance.TransferRequest))
			}},
		{name: "paid in", actor: admin,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.CashMoveRequest{Key: "k", Register: "cash", Amount: 2000, In: true, Reason: "float"}
			},
			post: func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error) {
				return f.svc.MoveCash(f.ctx, a, r.(finance.CashMoveRequest))
			}},
		{name: "paid out", actor: admin,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.CashMoveRequest{Key: "k", Register: "cash", Amount: 700, Reason: "milk"}
			},
			post: func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error) {
				return f.svc.MoveCash(f.ctx, a, r.(finance.CashMoveRequest))
			}},
		{name: "reversal of a checkout of a booking", actor: admin,
			setup: func(t *testing.T, f *fixture, anna finance.Client) {
				prepaid(t, f, anna)
				_, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c", ClientID: anna.ID, BookingID: "bk1",
					Total: 9000, RestTo: "card"})
				must(t, err)
			},
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.ReverseRequest{Key: "k", OperationID: f.lastOp(), Reason: "wrong visit"}
			},
			post: func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error) {
				return f.svc.Reverse(f.ctx, a, r.(finance.ReverseRequest))
			}},
		{name: "refund to the deposit", actor: admin, setup: canceled,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.RefundRequest{Key: "k", BookingID: "bk_1", Amount: 1000, ToDeposit: true, Reason: "sick"}
			},
			post: func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error) {
				ref, err := f.svc.StartRefund(f.ctx, a, r.(finance.RefundRequest))
				if err != nil {
					return finance.Operation{}, err
				}
				return f.svc.Operation(f.ctx, ref.OperationID)
			}},
		{name: "refund to the card", actor: admin, setup: canceled, pending: true,
			req: func(f *fixture, anna finance.Client) finance.Request {
				return finance.RefundRequest{Key: "k", BookingID: "bk_1", Reason: "sick"}
			},
			post: func(f *fixture, a finance.Actor, r finance.Request) (finance.Operation, error) {
				ref, err := f.svc.StartRefund(f.ctx, a, r.(finance.RefundRequest))
				if err != nil {
					return finance.Operation{}, err
				}
				if ref, err = f.svc.CompleteRefund(f.ctx, ref.Key, "re_1", "succeeded", ""); err != nil {
					return finance.Operation{}, err
				}
				return f.svc.Operation(f.ctx, ref.OperationID)
			}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t)
			anna := f.client("Anna Petrenko", "+380671234567")
			if st.setup != nil {
				st.setup(t, f, anna)
			}
			a, req := st.actor(f), st.req(f, anna)
			accounts := []finance.AccountID{finance.ClientAccount(anna.ID), cashAcc, finance.RegisterAccount("card"),
				accStripe, accBank, finance.AccountPrepaid, finance.AccountRevenue, finance.AccountPaidInOut}
			before := f.snap(accounts...)
			changes, cancel := f.svc.Subscribe()
			defer cancel()

			pv, err := f.svc.Preview(f.ctx, a, req)
			must(t, err)
			f.unchanged(before, accounts...)
			select {
			case c := <-changes:
				t.Errorf("a preview told subscribers of a change: %+v", c)
			default:
			}
			if pv.Replayed || pv.Pending != st.pending || pv.Operation.ID != 0 {
				t.Errorf("preview replayed %v pending %v id %d", pv.Replayed, pv.Pending, pv.Operation.ID)
			}

			op, err := st.post(f, a, req)
			must(t, err)
			got, want := pv.Operation, op
			if !reflect.DeepEqual(got.Postings, want.Postings) {
				t.Errorf("preview postings %+v, posted %+v", got.Postings, want.Postings)
			}
			if got.Kind != want.Kind || got.ClientID != want.ClientID || got.BookingID != want.BookingID ||
				got.Comment != want.Comment || got.Reverses != want.Reverses || !reflect.DeepEqual(got.Lines, want.Lines) {
				t.Errorf("preview %+v\nposted  %+v", got, want)
			}
			if !st.pending && (got.Staff != want.Staff || got.BusinessDate != want.BusinessDate) {
				t.Errorf("preview staff %q date %s, posted %q %s", got.Staff, got.BusinessDate, want.Staff, want.BusinessDate)
			}
			if len(pv.After) == 0 {
				t.Error("the preview has no balances after")
			}
			for _, b := range pv.After {
				raw := f.balance(b.Account)
				if _, ok := finance.ClientOf(b.Account); ok {
					raw = -raw
				}
				if b.Balance != raw {
					t.Errorf("preview says %s is %d after; it is %d", b.Account, b.Balance, raw)
				}
			}

			// Once posted, the same request previews as the replay it is.
			again, err := f.svc.Preview(f.ctx, a, req)
			must(t, err)
			if !again.Replayed || again.Operation.ID != op.ID {
				t.Errorf("preview after posting: replayed %v id %d, want op %d", again.Replayed, again.Operation.ID, op.ID)
			}
		})
	}
}

// A preview refuses what posting refuses, with the same error, and needs
// the same right.
func TestPreviewRefusesAsPostingDoes(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	cases := []struct {
		name string
		a    finance.Actor
		req  finance.Request
		post func() error
	}{
		{"more than the deposit", f.desk, finance.CashOutRequest{Key: "k1", ClientID: anna.ID, Amount: 1, Register: "cash"}, func() error {
			_, err := f.svc.CashOut(f.ctx, f.admin, finance.CashOutRequest{Key: "k1", ClientID: anna.ID, Amount: 1, Register: "cash"})
			return err
		}},
		{"payments short", f.desk, finance.CheckoutRequest{Key: "k2", Total: 1000, Payments: []finance.Tender{{Register: "cash", Amount: 10}}}, func() error {
			_, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "k2", Total: 1000, Payments: []finance.Tender{{Register: "cash", Amount: 10}}})
			return err
		}},
		{"no such register", f.admin, finance.TransferRequest{Key: "k3", From: "cash", To: "safe", Amount: 5}, func() error {
			_, err := f.svc.Transfer(f.ctx, f.admin, finance.TransferRequest{Key: "k3", From: "cash", To: "safe", Amount: 5})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, perr := f.svc.Preview(f.ctx, f.admin, c.req)
			err := c.post()
			if perr == nil || err == nil || perr.Error() != err.Error() {
				t.Errorf("preview: %v; post: %v", perr, err)
			}
		})
	}
	_, err := f.svc.Preview(f.ctx, f.desk, finance.CashOutRequest{Key: "k4", ClientID: anna.ID, Amount: 1, Register: "cash"})
	var re *finance.RightError
	if !errors.As(err, &re) || re.Right != finance.RightCashOut {
		t.Errorf("a desk's preview of a cash-out: %v", err)
	}
	var mm *finance.PaymentMismatchError
	_, err = f.svc.Preview(f.ctx, f.desk, finance.CheckoutRequest{Key: "k5", Total: 1000})
	if !errors.As(err, &mm) || mm.Due != 1000 || mm.Paid != 0 {
		t.Errorf("an unpaid walk-in: %v", err)
	}
	if _, err := f.svc.Preview(f.ctx, f.desk, nil); !errors.Is(err, finance.ErrInvalid) {
		t.Errorf("nil request: %v", err)
	}
}
