package payments

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/paydesk/paydesk/finance"
)

// BookingJSON merges into md the booking fields a JSON object in text
// carries under paydesk's metadata keys (booking_id, service, starts_at,
// group_event, booking_total, client_name, client_phone): how a provider
// with one free-text field (LiqPay's info, Monobank's destination) brings
// what Stripe's metadata does. Anything else in text is left alone.
func BookingJSON(md map[string]string, text string) {
	if !strings.HasPrefix(strings.TrimSpace(text), "{") {
		return
	}
	var extra map[string]any
	if json.Unmarshal([]byte(text), &extra) != nil {
		return
	}
	for _, k := range []string{finance.MetaBookingID, finance.MetaService, finance.MetaStartsAt, finance.MetaGroupEvent,
		finance.MetaBookingTotal, finance.MetaClientName, finance.MetaClientPhone} {
		switch v := extra[k].(type) {
		case string:
			md[k] = v
		case bool:
			md[k] = strconv.FormatBool(v)
		case float64:
			// Only whole numbers are meant (booking_total in minor units).
			if v == float64(int64(v)) {
				md[k] = strconv.FormatInt(int64(v), 10)
			}
		}
	}
}

// SortByCreated orders events oldest first (stable), as Poll returns them.
func SortByCreated(evs []finance.ProviderEvent) {
	slices.SortStableFunc(evs, func(a, b finance.ProviderEvent) int { return a.Created.Compare(b.Created) })
}
