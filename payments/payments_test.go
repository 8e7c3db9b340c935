package payments_test

import (
	"context"
	"errors"
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

// fakeProvider accepts bodies "good:<event id>" with header X-Sig: ok.
type fakeProvider struct{}

func (fakeProvider) Name() string { return "fake" }
func (fakeProvider) VerifyWebhook(body []byte, h http.Header) (finance.ProviderEvent, error) {
	if h.Get("X-Sig") != "ok" {
		return finance.ProviderEvent{}, payments.ErrBadSignature
	}
	id, ok := strings.CutPrefix(string(body), "good:")
	if !ok {
		return finance.ProviderEvent{}, finance.ErrInvalid
	}
	return finance.ProviderEvent{ID: id, Type: finance.EventPayoutPaid, ObjectID: "po_" + id, Amount: 100,
		Currency: "eur", Created: time.Unix(1700000000, 0)}, nil
}
func (fakeProvider) Poll(context.Context, string, time.Time) ([]finance.ProviderEvent, string, error) {
	return nil, "", payments.ErrUnsupported
}
func (fakeProvider) Enrich(context.Context, *finance.ProviderEvent) (bool, error) { return false, nil }
func (fakeProvider) Refund(context.Context, payments.RefundOrder) (finance.ProviderRefund, error) {
	return finance.ProviderRefund{}, payments.ErrUnsupported
}
func (fakeProvider) FindRefunds(context.Context, string) ([]finance.ProviderRefund, error) {
	return nil, payments.ErrUnsupported
}
func (fakeProvider) Fee(context.Context, string) (finance.Money, error) {
	return finance.Money{}, payments.ErrUnsupported
}

// flakyStore fails every write while broken is set.
type flakyStore struct {
	finance.Store
	broken bool
}

func (s *flakyStore) Update(ctx context.Context, fn func(tx finance.Tx) error) error {
	if s.broken {
		return errors.New("disk full")
	}
	return s.Store.Update(ctx, fn)
}

func setup(t *testing.T) (*flakyStore, *finance.Service, *payments.Worker, *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "p.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	fs := &flakyStore{Store: db}
	books := setUpBooks(t, fs)
	w := payments.NewWorker(books, fakeProvider{}, payments.Options{Idle: time.Hour})
	rc := payments.NewReceiver(w)
	srv := httptest.NewServer(payments.NewServer("", rc).Handler)
	t.Cleanup(srv.Close)
	return fs, books, w, srv
}

// setUpBooks is a location with an online and a bank register over st.
func setUpBooks(tb testing.TB, st finance.Store) *finance.Service {
	tb.Helper()
	books := finance.NewService(st, finance.WithPINCost(bcrypt.MinCost))
	err := books.Setup(context.Background(), finance.Settings{Location: "x", Currency: "EUR", Locale: "en", TimeZone: "UTC",
		PhoneRegion: "UA", OnlineRegID: "stripe", BankRegID: "bank", Registers: []finance.Register{
			{ID: "stripe", Name: "Stripe", Kind: finance.RegisterOnline}, {ID: "bank", Name: "Bank", Kind: finance.RegisterBank}}},
		"Olena", "1234")
	if err != nil {
		tb.Fatal(err)
	}
	return books
}

func post(t *testing.T, srv *httptest.Server, method, path, body, sig string) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sig != "" {
		req.Header.Set("X-Sig", sig)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestReceiverAnswers(t *testing.T) {
	fs, books, _, srv := setup(t)
	tests := []struct {
		name, method, path, body, sig string
		broken                        bool
		want                          int
		stored                        string
	}{
		{"stored", http.MethodPost, "/webhooks/fake", "good:evt_1", "ok", false, 200, "evt_1"},
		{"duplicate", http.MethodPost, "/webhooks/fake", "good:evt_1", "ok", false, 200, "evt_1"},
		{"bad signature", http.MethodPost, "/webhooks/fake", "good:evt_2", "forged", false, 400, ""},
		{"no signature", http.MethodPost, "/webhooks/fake", "good:evt_3", "", false, 400, ""},
		{"not an event", http.MethodPost, "/webhooks/fake", "junk", "ok", false, 400, ""},
		{"too large", http.MethodPost, "/webhooks/fake", "good:" + strings.Repeat("x", payments.MaxWebhookBody), "ok", false, 413, ""},
		{"GET", http.MethodGet, "/webhooks/fake", "", "ok", false, 405, ""},
		{"other path", http.MethodPost, "/webhooks/other", "good:evt_4", "ok", false, 404, ""},
		{"event id over 255 bytes: 400, never stored", http.MethodPost, "/webhooks/fake", "good:evt_" + strings.Repeat("x", 256), "ok", false, 400, ""},
		{"event id with a control character: 400", http.MethodPost, "/webhooks/fake", "good:evt_\x1b[2J", "ok", false, 400, ""},
		{"storage down: 500 so the provider retries", http.MethodPost, "/webhooks/fake", "good:evt_5", "ok", true, 500, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs.broken = tc.broken
			defer func() { fs.broken = false }()
			if got := post(t, srv, tc.method, tc.path, tc.body, tc.sig); got != tc.want {
				t.Fatalf("HTTP %d, want %d", got, tc.want)
			}
		})
	}
	inbox, err := books.Inbox(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox) != 1 || inbox[0].ID != "evt_1" || inbox[0].Provider != "fake" {
		t.Fatalf("inbox = %+v, want only evt_1", inbox)
	}
}

func TestWorkerAppliesAndStopsOnCancel(t *testing.T) {
	_, books, w, srv := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	changes, stop := books.Subscribe()
	defer stop()
	if got := post(t, srv, http.MethodPost, "/webhooks/fake", "good:evt_1", "ok"); got != 200 {
		t.Fatalf("HTTP %d", got)
	}
	for c := range changes { // the worker applies it (woken by the receiver)
		if c.What == "operation" {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	e, err := books.Event(context.Background(), "evt_1")
	if err != nil || e.Status != finance.InboxApplied || e.Operation == 0 {
		t.Fatalf("event = %+v, %v", e, err)
	}
	rep, err := books.Check(context.Background())
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check: %v %v", rep.Problems, err)
	}
}
