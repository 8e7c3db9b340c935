package ledger

import (
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
)

// An answer that arrives after the person stepped on is dropped, so a slow
// central database never shows one day under another's title; a failure
// for the day shown replaces nothing but the message.
func TestChainArrivedKeepsTheDayShown(t *testing.T) {
	m := &Model{mode: modeChain, date: "2025-03-14"}
	m.chainArrived(chainMsg{date: "2025-03-14", day: common.ChainDay{Local: "a"}})
	if m.ch.day == nil || m.ch.day.Date != "2025-03-14" {
		t.Fatalf("the day's answer was not kept: %+v", m.ch.day)
	}
	m.date = "2025-03-13"
	m.chainArrived(chainMsg{date: "2025-03-14", day: common.ChainDay{Local: "late"}})
	if m.ch.day.Local != "a" {
		t.Fatalf("a late answer for another day replaced the figures: %+v", m.ch.day)
	}
	m.chainArrived(chainMsg{date: "2025-03-12", err: errTest})
	if m.ch.err != nil {
		t.Fatalf("a late failure for another day was kept: %v", m.ch.err)
	}
}

var errTest = finance.ErrInvalid

func TestAgo(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "just now"},
		{2 * time.Minute, "2 min ago"},
		{3 * time.Hour, "3 h ago"},
		{72 * time.Hour, "3 days ago"},
	} {
		if got := ago(c.d); got != c.want {
			t.Errorf("ago(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
