package finance_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paydesk/paydesk/finance"
)

// rawBits are what must never reach a terminal from stored text.
var rawBits = []string{"\x1b", "\x07", "\u009b", "\u009d", "\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069"}

func hasRaw(s string) bool {
	for _, r := range rawBits {
		if strings.Contains(s, r) {
			return true
		}
	}
	return false
}

// A booking widget's metadata is what a client typed: escape sequences and
// bidi overrides are stripped, an over-long name or service is cut and the
// event flagged (the money still posts), an over-long booking id or an id
// with control characters is refused, and the books stay sound.
func TestOutsideTextIsCleanedAndBounded(t *testing.T) {
	f := newFixture(t)
	nasty := "\x1b]0;owned\x07\x1b[2J\x1b[31mAnna\x1b[0m \u202eKoval\u202c"
	long := strings.Repeat("W", 10000)
	_, err := f.deliver(payEvent("evt_1", "pi_1", "bk_\x1b[1m1", 2500, nil))
	wantErr(t, err, finance.ErrInvalid) // the booking id is refused at apply
	if e := f.event("evt_1"); e.Status != finance.InboxFailed || !strings.Contains(e.Error, "booking_id") || hasRaw(e.Error) {
		t.Fatalf("event %+v", e)
	}

	must(t, ignoreApplied(f.deliver(payEvent("evt_2", "pi_2", "bk_2", 2500, map[string]string{
		finance.MetaClientName: nasty, finance.MetaClientPhone: "+380671110002", finance.MetaService: long,
	}))))
	b := f.booking("bk_2")
	if hasRaw(b.Service) || utf8.RuneCountInString(b.Service) != 100 || !strings.HasSuffix(b.Service, "…") {
		t.Fatalf("service %d runes: %q", utf8.RuneCountInString(b.Service), b.Service[:20])
	}
	if !strings.Contains(b.Flag, "service was 10000 characters long, cut to 100") {
		t.Fatalf("flag %q", b.Flag)
	}
	if e := f.event("evt_2"); e.Status != finance.InboxFlagged {
		t.Fatalf("status %s", e.Status)
	}
	c, err := f.svc.ClientView(f.ctx, b.ClientID, finance.Page{})
	must(t, err)
	if c.Name != "Anna Koval" {
		t.Fatalf("client name %q", c.Name)
	}

	must(t, ignoreApplied(f.deliver(payEvent("evt_3", "pi_3", "bk_3", 2500, map[string]string{
		finance.MetaClientName: long, finance.MetaClientPhone: "+380671110003",
	}))))
	c3, err := f.svc.ClientView(f.ctx, f.booking("bk_3").ClientID, finance.Page{})
	must(t, err)
	if utf8.RuneCountInString(c3.Name) != 100 || !strings.Contains(f.booking("bk_3").Flag, "client_name was 10000 characters long") {
		t.Fatalf("long name: %d runes, flag %q", utf8.RuneCountInString(c3.Name), f.booking("bk_3").Flag)
	}
	// An over-long booking id is flagged, not failed and retried for ever.
	for i, id := range []string{strings.Repeat("b", 101), strings.Repeat("é", 200), strings.Repeat("b", 10000)} {
		evt := fmt.Sprintf("evt_4_%d", i)
		must(t, ignoreApplied(f.deliver(payEvent(evt, fmt.Sprintf("pi_4_%d", i), id, 2500, nil))))
		if e := f.event(evt); e.Status != finance.InboxFlagged || !strings.Contains(e.Error, "booking_id is") || !strings.Contains(e.Error, "at most 100") {
			t.Fatalf("over-long booking id: event %s %q", e.Status, e.Error)
		}
	}

	// Ids with control characters are refused before they are stored.
	for _, e := range []finance.ProviderEvent{
		payEvent("evt_\x1b[5", "pi_5", "bk_5", 100, nil),
		payEvent("evt_6", "pi_\u202e6", "bk_6", 100, nil),
	} {
		if _, err := f.svc.RecordEvent(f.ctx, e); err == nil || hasRaw(finance.Message(err)) {
			t.Fatalf("recorded %q: %v", e.ID, err)
		}
	}
	// What the sync view lists is clean too; a booking id is kept as sent
	// (its event fails, naming it quoted) and never becomes a booking.
	inbox, err := f.svc.Inbox(f.ctx, 100)
	must(t, err)
	for _, e := range inbox {
		if hasRaw(e.Error) {
			t.Fatalf("inbox error %q", e.Error)
		}
		for k, v := range e.Metadata {
			if k != finance.MetaBookingID && (hasRaw(k) || hasRaw(v)) {
				t.Fatalf("inbox metadata %q=%q", k, v)
			}
		}
	}
	f.mustCheck()
}

// ignoreApplied drops the "is new" of deliver.
func ignoreApplied(_ bool, err error) error { return err }

// Staff-typed and config text gets the same cleaning.
func TestStaffTextIsCleanedTheSameWay(t *testing.T) {
	f := newFixture(t)
	c, err := f.svc.CreateClient(f.ctx, f.desk, finance.NewClient{Name: "\x1b[31mIra\u202e Lee\x1b]0;t\x07", Phone: "0671234599"})
	must(t, err)
	if c.Name != "Ira Lee" {
		t.Fatalf("name %q", c.Name)
	}
}

// An event id longer than any provider's is refused before anything is
// stored, one at a time or in a poll's batch, and nothing of the batch lands.
func TestOverLongEventIDIsRefused(t *testing.T) {
	f := newFixture(t)
	long := payEvent("evt_"+strings.Repeat("x", 256), "pi_1", "bk_1", 100, nil)
	_, err := f.svc.RecordEvent(f.ctx, long)
	wantErr(t, err, finance.ErrInvalid)
	_, err = f.svc.RecordEvents(f.ctx, []finance.ProviderEvent{payEvent("evt_ok", "pi_2", "bk_2", 100, nil), long})
	wantErr(t, err, finance.ErrInvalid)
	if !strings.Contains(err.Error(), "at most 255") {
		t.Fatalf("error %q does not name the limit", err)
	}
	// So is a payment id longer than any provider's.
	_, err = f.svc.RecordEvent(f.ctx, payEvent("evt_p", "pi_"+strings.Repeat("p", 256), "bk_3", 100, nil))
	wantErr(t, err, finance.ErrInvalid)
	inbox, err := f.svc.Inbox(f.ctx, 10)
	must(t, err)
	if len(inbox) != 0 {
		t.Fatalf("inbox holds %d events, want none", len(inbox))
	}
}
