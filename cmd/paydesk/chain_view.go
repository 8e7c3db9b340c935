package main

import (
	"context"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/replicate"
	"github.com/paydesk/paydesk/tui"
)

// centralChain is the Finance tab's chain view over the central database: the
// same replicate.Totals that `paydesk chain totals` prints, one day at a
// time, on a connection of its own for each read (the TUI calls it inside
// a tea.Cmd, so a slow or dead link only delays the view).
type centralChain struct {
	url, location string
	repl          *replicate.Replicator // nil: no replicator in this process
}

// chainView is nil when replication is not configured: the TUI then says so.
func (a *app) chainView() tui.Chain {
	if !a.cfg.ReplicateURL.IsSet() {
		return nil
	}
	return &centralChain{url: a.cfg.ReplicateURL.Reveal(), location: a.cfg.ReplicateLocation, repl: a.repl}
}

func (c *centralChain) ChainDay(ctx context.Context, d finance.Date) (tui.ChainDay, error) {
	out := tui.ChainDay{Date: d, Local: c.location}
	if c.repl != nil {
		out.Behind, out.BehindKnown = c.repl.Status().Behind.Total(), true
	}
	conn, err := replicate.Connect(ctx, c.url)
	if err != nil {
		return out, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	all, err := replicate.Totals(ctx, conn, d, d)
	if err != nil {
		return out, err
	}
	for _, lt := range all {
		l := tui.ChainLocation{ID: lt.ID, Name: lt.Name, Currency: lt.Currency, Locale: lt.Locale,
			Registers: lt.Registers, ShippedAt: lt.ShippedAt}
		for _, r := range lt.Registers {
			for _, dt := range lt.Days[r.ID] {
				if dt.Date == d {
					l.Totals = append(l.Totals, dt)
				}
			}
		}
		out.Locations = append(out.Locations, l)
	}
	return out, nil
}
