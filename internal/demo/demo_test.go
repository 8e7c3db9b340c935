package demo_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/config"
	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/demo"
	"github.com/paydesk/paydesk/store"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "demo.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func settings(region, currency, locale, zone string) finance.Settings {
	s := config.Setup{Location: "Demo salon", Currency: currency, Locale: locale, TimeZone: zone, PhoneRegion: region,
		Registers: config.DefaultRegisters(), OnlineRegister: "stripe", BankRegister: "bank"}
	return s.Settings()
}

func TestFillMakesSoundBooks(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 14, 18, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ region, currency, locale, zone string }{
		{"UA", "UAH", "uk", "Europe/Kyiv"},
		{"DE", "EUR", "de", "Europe/Berlin"},
		{"US", "USD", "en", "America/New_York"},
		{"JP", "JPY", "ja", "Asia/Tokyo"}, // a currency without minor units
	} {
		t.Run(tc.region, func(t *testing.T) {
			db := openStore(t)
			sum, err := demo.Fill(ctx, db, demo.Options{Settings: settings(tc.region, tc.currency, tc.locale, tc.zone),
				Now: now, Days: 10, Clients: 10})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Clients != 10 || sum.Operations < 25 {
				t.Errorf("summary %+v", sum)
			}
			for _, k := range []finance.OpKind{finance.OpTopUp, finance.OpCheckout, finance.OpReversal,
				finance.OpCashOut, finance.OpTransfer, finance.OpPaidIn} {
				if sum.ByKind[k] == 0 {
					t.Errorf("no %s in the demo: %+v", k, sum.ByKind)
				}
			}
			loc, _ := time.LoadLocation(tc.zone)
			if today := finance.DateOf(now, loc); sum.To != today || sum.From != today.AddDays(-9) {
				t.Errorf("period %s..%s", sum.From, sum.To)
			}

			svc := finance.NewService(db, finance.WithClock(func() time.Time { return now }))
			rep, err := svc.Check(ctx)
			if err != nil || len(rep.Problems) > 0 || rep.Operations != sum.Operations {
				t.Fatalf("check: %v %+v", err, rep)
			}
			clients, err := svc.SearchClients(ctx, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range clients {
				if c.Balance < 0 || c.Name == "" || !strings.HasPrefix(c.Phone, "+") {
					t.Errorf("client %+v", c)
				}
			}
			// Nothing is dated after "now".
			err = db.View(ctx, func(tx finance.ReadTx) error {
				return tx.ForEachOperation(func(op finance.Operation) error {
					if op.Time.After(now) || op.BusinessDate > sum.To || op.BusinessDate < sum.From {
						t.Errorf("operation %d at %s (%s) is outside the demo period", op.ID, op.Time, op.BusinessDate)
					}
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFillRefusesNonEmptyAndIsRepeatable(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	o := demo.Options{Settings: settings("UA", "UAH", "uk", "Europe/Kyiv"), Now: now, Days: 7, Clients: 8, Seed: 42}
	a, b := openStore(t), openStore(t)
	sa, err := demo.Fill(ctx, a, o)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := demo.Fill(ctx, b, o)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Operations != sb.Operations || sa.Clients != sb.Clients {
		t.Errorf("same seed, different demo: %+v vs %+v", sa, sb)
	}
	_, err = demo.Fill(ctx, a, o)
	if !errors.Is(err, finance.ErrConflict) || !errors.Is(err, demo.ErrNotEmpty) {
		t.Errorf("second fill: %v", err)
	}
}

func TestFillUsesExistingSettings(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	svc := finance.NewService(db)
	st := settings("BR", "BRL", "pt-BR", "America/Sao_Paulo")
	st.Location = "Salão Bela"
	if err := svc.Setup(ctx, st, "", ""); err != nil {
		t.Fatal(err)
	}
	sum, err := demo.Fill(ctx, db, demo.Options{Settings: settings("US", "USD", "en", "UTC"), Days: 3, Clients: 5})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Location != "Salão Bela" {
		t.Errorf("the demo must keep the stored settings, got location %q", sum.Location)
	}
}
