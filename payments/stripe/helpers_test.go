package stripe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
	"golang.org/x/crypto/bcrypt"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	pstripe "github.com/paydesk/paydesk/payments/stripe"
	"github.com/paydesk/paydesk/store"
)

const whsec = "whsec_test_secret"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// desk is a set-up database, the books over it, a worker and its webhook
// receiver served on loopback.
type desk struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	books  *finance.Service
	clock  *clock
	prov   *pstripe.Provider
	worker *payments.Worker
	hook   *httptest.Server
	admin  finance.Actor
}

func newDesk(t *testing.T, apiURL string) *desk {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "paydesk.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	clk := &clock{t: time.Now()}
	books := finance.NewService(db, finance.WithClock(clk.Now), finance.WithPINCost(bcrypt.MinCost))
	st := finance.Settings{Location: "Studio Mila", Currency: "EUR", Locale: "en", TimeZone: "Europe/Kyiv",
		PhoneRegion: "UA", OnlineRegID: "stripe", BankRegID: "bank", Registers: []finance.Register{
			{ID: "cash", Name: "Cash drawer", Kind: finance.RegisterCash},
			{ID: "stripe", Name: "Stripe", Kind: finance.RegisterOnline},
			{ID: "bank", Name: "Bank", Kind: finance.RegisterBank},
		}}
	if err := books.Setup(ctx, st, "Olena", "1234"); err != nil {
		t.Fatal(err)
	}
	cfg := pstripe.Config{WebhookSecret: whsec, BaseURL: apiURL, NoRetries: true}
	if apiURL != "" {
		cfg.SecretKey = "sk_test_123"
	}
	prov, err := pstripe.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := payments.NewWorker(books, prov, payments.Options{})
	hook := httptest.NewServer(payments.NewReceiver(w)) // httptest listens on 127.0.0.1
	t.Cleanup(hook.Close)
	return &desk{t: t, ctx: ctx, db: db, books: books, clock: clk, prov: prov, worker: w, hook: hook,
		admin: finance.Actor{Staff: "Olena", Role: finance.RoleAdmin}}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// send posts a body to the receiver, signed with secret (none if "").
func (d *desk) send(body []byte, secret string) int {
	d.t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.hook.URL+"/webhooks/stripe", strings.NewReader(string(body)))
	must(d.t, err)
	if secret != "" {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
		req.Header.Set("Stripe-Signature", sp.Header)
	}
	resp, err := d.hook.Client().Do(req)
	must(d.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// state is what a scenario compares: the ledger's last op and the balances.
type state struct {
	lastOp                         finance.OperationID
	stripe, prepaid, fees, inboxed int64
}

func (d *desk) state() state {
	d.t.Helper()
	var s state
	must(d.t, d.db.View(d.ctx, func(tx finance.ReadTx) error {
		var err error
		if s.lastOp, err = tx.LastOperationID(); err != nil {
			return err
		}
		if s.stripe, err = tx.Balance(finance.RegisterAccount("stripe")); err != nil {
			return err
		}
		if s.prepaid, err = tx.Balance(finance.AccountPrepaid); err != nil {
			return err
		}
		if s.fees, err = tx.Balance(finance.AccountFees); err != nil {
			return err
		}
		st, err := tx.InboxStats()
		s.inboxed = int64(st.Total)
		return err
	}))
	return s
}

func (d *desk) check() {
	d.t.Helper()
	rep, err := d.books.Check(d.ctx)
	must(d.t, err)
	if len(rep.Problems) > 0 {
		d.t.Fatalf("check: %v", rep.Problems)
	}
}

func (d *desk) booking(id string) finance.Booking {
	d.t.Helper()
	b, err := d.books.Booking(d.ctx, id)
	must(d.t, err)
	return b
}

// opsOf lists a booking's operations by kind.
func (d *desk) opsOf(bookingID string) map[finance.OpKind]int {
	d.t.Helper()
	out := map[finance.OpKind]int{}
	must(d.t, d.db.View(d.ctx, func(tx finance.ReadTx) error {
		ops, err := tx.BookingOperations(bookingID)
		for _, op := range ops {
			out[op.Kind]++
		}
		return err
	}))
	return out
}

// eventJSON builds a Stripe event body.
func eventJSON(id, typ string, created int64, apiVersion string, obj any) []byte {
	o, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	ver := "null"
	if apiVersion != "" {
		ver = fmt.Sprintf("%q", apiVersion)
	}
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created":%d,"api_version":%s,"livemode":false,"data":{"object":%s}}`,
		id, typ, created, ver, o))
}

func piObject(pi, booking string, amount int64) map[string]any {
	return map[string]any{"id": pi, "object": "payment_intent", "amount": amount, "amount_received": amount,
		"currency": "eur", "status": "succeeded", "metadata": map[string]string{
			"booking_id": booking, "client_name": "Oksana Koval", "client_phone": "+380671234567",
			"service": "Haircut", "starts_at": "2025-03-20T14:00:00+02:00", "group_event": "false",
			"booking_total": fmt.Sprint(amount)}}
}
