package viva_test

import (
	"errors"
	"testing"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	"github.com/paydesk/paydesk/payments/viva/vivafake"
)

// Whatever a notification holds: no panic; one that does not decode is
// refused as invalid, one that decodes is refused unless Viva confirms it,
// and a confirmed one is Viva's transaction, amount included.
func FuzzWebhook(f *testing.F) {
	api := vivafake.New(f)
	api.Add(payID, vivafake.Tx{Amount: 4550, MerchantTrns: "bk_1"})
	f.Add(api.Webhook(payID))
	f.Add([]byte(`{"EventTypeId":1797,"EventData":{"TransactionId":"x","ParentId":"y","Amount":-1e400,"CurrencyCode":"978"}}`))
	f.Add([]byte(`{"EventTypeId":1796,"EventData":{"TransactionId":"` + payID + `","Amount":"45.5","CurrencyCode":978,"OrderCode":"1"}}`))
	f.Add([]byte(`null`))
	p := api.Provider(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := p.VerifyWebhook(body, nil)
		switch {
		case err == nil:
			if e.Provider != "viva" || e.ObjectID != payID || e.Amount != 4550 || e.Metadata[finance.MetaBookingID] != "bk_1" {
				t.Fatalf("confirmed event %+v", e)
			}
		case !errors.Is(err, finance.ErrInvalid) && !errors.Is(err, payments.ErrBadSignature):
			t.Fatalf("refused as %v", err)
		}
	})
}
