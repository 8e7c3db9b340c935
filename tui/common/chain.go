package common

import (
	"context"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// Chain reads the chain's central database for the Finance tab's chain
// view. It is declared here, by its consumer, so the TUI never imports the
// replication package: cmd/paydesk wires one over it when [replicate] is
// configured (nil otherwise). Calls go over the network: the screens make
// them only inside a tea.Cmd, never on the UI goroutine.
type Chain interface {
	// ChainDay is every location's registers on one business day: what
	// `paydesk chain totals --date d` says.
	ChainDay(ctx context.Context, d finance.Date) (ChainDay, error)
}

// ChainDay is one business day across the chain.
type ChainDay struct {
	Date      finance.Date
	Locations []ChainLocation
	// Local is this desk's own location id ("" unknown); Behind is what it
	// has not shipped yet, when a replicator runs in this process
	// (BehindKnown false otherwise).
	Local       string
	Behind      uint64
	BehindKnown bool
}

// ChainLocation is one location's day as the central database has it.
type ChainLocation struct {
	ID        string
	Name      string
	Currency  string
	Locale    string
	Registers []finance.Register
	// Totals holds one entry per register, in Registers' order.
	Totals []finance.DayTotals
	// ShippedAt is when its last batch arrived (zero: never).
	ShippedAt time.Time
}
