package payments_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	pstripe "github.com/paydesk/paydesk/payments/stripe"
	"github.com/paydesk/paydesk/store"
)

const fuzzSecret = "whsec_fuzz"

func fuzzEvent(id, typ, obj string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created":%d,"api_version":"2023-10-16","data":{"object":%s}}`,
		id, typ, time.Now().Unix(), obj))
}

func fuzzPayment(pi, booking string, amount int64) string {
	return fmt.Sprintf(`{"id":%q,"object":"payment_intent","amount":%d,"amount_received":%d,"currency":"eur","status":"succeeded",`+
		`"metadata":{"booking_id":%q,"client_name":"Oksana Koval","client_phone":"+380671234567","service":"Haircut","booking_total":"%d"}}`,
		pi, amount, amount, booking, amount)
}

// FuzzReceiver posts a body to the real receiver, with the real Stripe
// verification and the real worker over a real store: it answers 200, 400
// or 413 (never a panic, never a 5xx), whatever it took the worker applies
// or flags while every ledger invariant holds, and a normal payment after it
// still posts (a bad event never jams the register). signed 0 signs the body
// now; otherwise the Stripe-Signature header is sig as given.
func FuzzReceiver(f *testing.F) {
	for _, b := range [][]byte{
		fuzzEvent("evt_r1", "payment_intent.succeeded", fuzzPayment("pi_r1", "bk_r1", 2500)),
		fuzzEvent("evt_r2", "payment_intent.succeeded", fuzzPayment("pi_r2", "bk_r2", 9223372036854775807)),
		fuzzEvent("evt_r3", "payment_intent.succeeded", fuzzPayment("pi_r3", "bk_r3", 100000000)),
		fuzzEvent("evt_r4", "payout.paid", `{"id":"po_1","amount":9223372036854775000,"currency":"eur"}`),
		fuzzEvent("evt_r5", "charge.refunded", `{"id":"ch_1","amount_refunded":-5,"payment_intent":"pi_r1","currency":"eur"}`),
		fuzzEvent("evt_r6", "payment_intent.succeeded", `{"id":"pi_r6","amount":"2500","metadata":{"booking_id":7}}`),
		fuzzEvent("evt_r7", "payment_intent.succeeded", fuzzPayment("pi_r7", "bk_\x1b]0;pwned\x07\u202e", 1500)),
		[]byte(`{"id":"evt_r8","type":"payment_intent.succeeded","data":{"object":{"id":"pi_r8","amount":1}}`),
		[]byte(`not json`), bytes.Repeat([]byte("a"), payments.MaxWebhookBody+1),
	} {
		f.Add(b, uint8(0), "")
		f.Add(b, uint8(1), "t=1,v1=00")
	}
	n := 0
	f.Fuzz(func(t *testing.T, body []byte, signed uint8, sig string) {
		ctx := context.Background()
		db, err := store.Open(ctx, filepath.Join(t.TempDir(), "p.db"), store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		books := setUpBooks(t, db)
		prov, err := pstripe.New(pstripe.Config{WebhookSecret: fuzzSecret})
		if err != nil {
			t.Fatal(err)
		}
		w := payments.NewWorker(books, prov, payments.Options{Idle: time.Hour})
		rc := payments.NewReceiver(w)
		send := func(body []byte, header string) int {
			req := httptest.NewRequest(http.MethodPost, rc.Path(), bytes.NewReader(body))
			if header != "" {
				req.Header.Set("Stripe-Signature", header)
			}
			rec := httptest.NewRecorder()
			rc.ServeHTTP(rec, req)
			return rec.Code
		}
		header := sig
		if signed == 0 {
			header = webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: fuzzSecret, Timestamp: time.Now()}).Header
		}
		switch code := send(body, header); code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("receiver answered %d", code)
		}
		w.Drain(ctx)
		n++
		good := fuzzEvent(fmt.Sprintf("evt_good_%d", n), "payment_intent.succeeded", fuzzPayment(fmt.Sprintf("pi_good_%d", n), "bk_good", 1000))
		if code := send(good, webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: good, Secret: fuzzSecret, Timestamp: time.Now()}).Header); code != http.StatusOK {
			t.Fatalf("a normal payment after it: HTTP %d", code)
		}
		w.Drain(ctx)
		if b, err := books.Booking(ctx, "bk_good"); err != nil || b.Paid < 1000 {
			t.Fatalf("a normal payment after it was not applied: %+v %v", b, err)
		}
		rep, err := books.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Problems) > 0 {
			t.Fatalf("invariants broken:\n%s", rep)
		}
		_ = finance.ErrInvalid
	})
}
