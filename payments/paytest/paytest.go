// Package paytest is the test desk a provider package's tests run against:
// a set-up database in a temp dir, the books, one worker over the provider
// and its receiver served on loopback, and the readings a scenario checks
// (a register's balance, the inbox, `check`). Tests only.
package paytest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/store"
)

// Desk is a location set up in currency, with the provider switched on.
type Desk struct {
	T      testing.TB
	Ctx    context.Context
	DB     *store.DB
	Books  *finance.Service
	Prov   payments.Provider
	Worker *payments.Worker
	Hook   *httptest.Server
	Admin  finance.Actor
	path   string
}

// NewDesk sets up a location keeping currency in time zone UTC, with
// Stripe's, a bank and prov's own register (made as serve makes it).
func NewDesk(t testing.TB, prov payments.Provider, title, currency, phoneRegion string) *Desk {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paydesk.db")
	d := &Desk{T: t, Ctx: ctx, Prov: prov, Admin: finance.OwnerActor("Olena"), path: path}
	d.open()
	st := finance.Settings{Location: "Studio Mila", Currency: currency, Locale: "en", TimeZone: "UTC",
		PhoneRegion: phoneRegion, OnlineRegID: "stripe", BankRegID: "bank", Registers: []finance.Register{
			{ID: "cash", Name: "Cash drawer", Kind: finance.RegisterCash},
			{ID: "stripe", Name: "Stripe", Kind: finance.RegisterOnline},
			{ID: "bank", Name: "Bank", Kind: finance.RegisterBank},
		}}
	Must(t, d.Books.Setup(ctx, st, "Olena", "1234"))
	if _, err := d.Books.AddProviderRegister(ctx, prov.Name(), title); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *Desk) open() {
	db, err := store.Open(d.Ctx, d.path, store.Options{})
	Must(d.T, err)
	d.DB = db
	d.Books = finance.NewService(db, finance.WithPINCost(bcrypt.MinCost))
	d.Worker = payments.NewWorker(d.Books, d.Prov, payments.Options{Idle: time.Hour})
	d.Hook = httptest.NewServer(payments.NewServer("", payments.NewProviderReceiver(d.Worker, d.Prov)).Handler)
	d.T.Cleanup(d.close)
}

func (d *Desk) close() {
	if d.Hook != nil {
		d.Hook.Close()
		d.Hook = nil
	}
	if d.DB != nil {
		_ = d.DB.Close()
		d.DB = nil
	}
}

// Restart closes the database and opens it again with a new worker and
// receiver over prov, as a desk does after a crash.
func (d *Desk) Restart(prov payments.Provider) {
	d.T.Helper()
	d.close()
	d.Prov = prov
	d.open()
}

// Post sends body to the provider's webhook path with the headers.
func (d *Desk) Post(body string, header http.Header) (int, string) {
	d.T.Helper()
	req, err := http.NewRequest(http.MethodPost, d.Hook.URL+"/webhooks/"+d.Prov.Name(), strings.NewReader(body))
	Must(d.T, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := d.Hook.Client().Do(req)
	Must(d.T, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Drain applies what is due.
func (d *Desk) Drain() { d.Worker.Drain(d.Ctx) }

// Balance is an account's balance.
func (d *Desk) Balance(acc finance.AccountID) int64 {
	d.T.Helper()
	var n int64
	Must(d.T, d.DB.View(d.Ctx, func(tx finance.ReadTx) error {
		var err error
		n, err = tx.Balance(acc)
		return err
	}))
	return n
}

// Register is a register's balance.
func (d *Desk) Register(id string) int64 { return d.Balance(finance.RegisterAccount(id)) }

// Inboxed is how many events the inbox holds.
func (d *Desk) Inboxed() int {
	d.T.Helper()
	var n int
	Must(d.T, d.DB.View(d.Ctx, func(tx finance.ReadTx) error {
		st, err := tx.InboxStats()
		n = st.Total
		return err
	}))
	return n
}

// Ops counts a booking's operations by kind.
func (d *Desk) Ops(bookingID string) map[finance.OpKind]int {
	d.T.Helper()
	out := map[finance.OpKind]int{}
	Must(d.T, d.DB.View(d.Ctx, func(tx finance.ReadTx) error {
		ops, err := tx.BookingOperations(bookingID)
		for _, op := range ops {
			out[op.Kind]++
		}
		return err
	}))
	return out
}

// Booking reads a booking.
func (d *Desk) Booking(id string) finance.Booking {
	d.T.Helper()
	b, err := d.Books.Booking(d.Ctx, id)
	Must(d.T, err)
	return b
}

// Check fails the test on any problem `paydesk check` would report.
func (d *Desk) Check() {
	d.T.Helper()
	rep, err := d.Books.Check(d.Ctx)
	Must(d.T, err)
	if len(rep.Problems) > 0 {
		d.T.Fatalf("check: %v", rep.Problems)
	}
}

// Refund cancels the booking (if it is not canceled yet), starts a card
// refund of everything left under key and sends it.
func (d *Desk) Refund(bookingID, key string) (finance.Refund, error) {
	return d.RefundPart(bookingID, key, 0)
}

// RefundPart is Refund of amount (0: everything left).
func (d *Desk) RefundPart(bookingID, key string, amount int64) (finance.Refund, error) {
	d.T.Helper()
	if b := d.Booking(bookingID); b.Status != finance.BookingCanceled && b.Status != finance.BookingRefunded {
		_, err := d.Books.CancelBooking(d.Ctx, d.Admin, bookingID, "client ill")
		Must(d.T, err)
	}
	r, err := d.Books.StartRefund(d.Ctx, d.Admin, finance.RefundRequest{Key: key, BookingID: bookingID, Amount: amount, Reason: "client ill"})
	if err != nil {
		return r, err
	}
	return d.Worker.ExecuteRefund(d.Ctx, key)
}

// Must fails the test on err.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
