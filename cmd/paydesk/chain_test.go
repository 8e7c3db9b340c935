package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/pgtest"
	"github.com/paydesk/paydesk/replicate"
)

// The package's private PostgreSQL, started by the first test that needs
// it and stopped by TestMain.
var (
	pgOnce sync.Once
	pgSrv  *pgtest.Server
	pgErr  error
)

func stopPG() {
	if pgSrv != nil {
		pgSrv.Close()
	}
}

func centralURL(t *testing.T) string {
	t.Helper()
	pgOnce.Do(func() { pgSrv, pgErr = pgtest.Start("fsync=off") })
	if pgErr == pgtest.ErrNoServer {
		t.Skip("PostgreSQL tests skipped: " + pgErr.Error())
	}
	if pgErr != nil {
		t.Fatal(pgErr)
	}
	u, err := pgSrv.NewDB(context.Background(), "cli")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// chainDesk is a desk whose config ships to url as location.
func chainDesk(t *testing.T, url, location string) *desk {
	t.Helper()
	d := newDesk(t)
	cfg := testConfig + "\n[replicate]\nurl = \"" + url + "\"\nlocation = \"" + location + "\"\n"
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

type replStatus struct {
	Running   bool `json:"running"`
	Connected bool `json:"connected"`
	Behind    struct {
		Operations, Audit, Changes uint64
	} `json:"behind"`
}

func (d *desk) waitShipped(t *testing.T) {
	t.Helper()
	waitFor(t, "replication to catch up", func() bool {
		var st replStatus
		d.json(&st, "replicate", "status")
		return st.Running && st.Connected && st.Behind.Operations+st.Behind.Audit+st.Behind.Changes == 0
	})
}

// Issue 18's "done when", through the real binary: two locations, each its
// own file and `paydesk serve`, replicate into one PostgreSQL; the chain's
// totals for each day are exactly each location's own; a client at both is
// found with both balances; verify finds no difference.
func TestChainOfTwoLocations(t *testing.T) {
	url := centralURL(t)
	a := chainDesk(t, url, "kyiv-podil")
	b := chainDesk(t, url, "lviv-rynok")
	a.ok("demo", "--days", "4", "--clients", "8", "--seed", "1")
	b.ok("demo", "--days", "4", "--clients", "8", "--seed", "2")
	a.serve()
	b.serve()
	// The desks keep working while it ships: the same person at both.
	ida := a.ok("client", "add", "--name", "Anna Chain", "--phone", "050 999 1234")
	idb := b.ok("client", "add", "--name", "Anna Chain", "--phone", "050 999 1234")
	a.ok("deposit", "--client", ida, "--amount", "100", "--register", "cash")
	b.ok("deposit", "--client", idb, "--amount", "40", "--register", "card")
	a.waitShipped(t)
	b.waitShipped(t)

	today := time.Now().UTC()
	for i := -4; i <= 0; i++ {
		day := today.AddDate(0, 0, i).Format(time.DateOnly)
		var chain struct {
			Locations []struct {
				Location  string          `json:"location"`
				Registers json.RawMessage `json:"registers"`
			} `json:"locations"`
		}
		a.json(&chain, "chain", "totals", "--date", day)
		if len(chain.Locations) != 2 {
			t.Fatalf("%s: chain totals for %d locations", day, len(chain.Locations))
		}
		// The Finance tab's chain view reads the same figures.
		tab, err := (&centralChain{url: url, location: "kyiv-podil"}).ChainDay(context.Background(), finance.Date(day))
		if err != nil {
			t.Fatalf("%s: chain view: %v", day, err)
		}
		if len(tab.Locations) != 2 || tab.Local != "kyiv-podil" || tab.BehindKnown {
			t.Fatalf("%s: chain view: %+v", day, tab)
		}
		for j, d := range []*desk{a, b} {
			var regs []registerTotalsJSON
			_ = json.Unmarshal(chain.Locations[j].Registers, &regs)
			l := tab.Locations[j]
			if l.ID != chain.Locations[j].Location || len(l.Totals) != len(regs) || l.ShippedAt.IsZero() {
				t.Fatalf("%s: chain view location %+v, chain totals %s", day, l, chain.Locations[j].Registers)
			}
			for k, r := range regs {
				v := l.Totals[k]
				kinds := map[string]int64{}
				for kind, n := range v.ByKind {
					kinds[string(kind)] = n
				}
				want := map[string]int64{}
				for kind, m := range r.ByKind {
					want[kind] = m.Amount
				}
				if v.Register != r.Register || v.Opening != r.Opening || v.In != r.In || v.Out != r.Out ||
					v.Closing != r.Closing || v.Count != r.Count || !reflect.DeepEqual(kinds, want) {
					t.Errorf("%s %s %s: chain view %+v, chain totals %+v", day, l.ID, r.Register, v, r)
				}
			}
			var own struct {
				Registers json.RawMessage `json:"registers"`
			}
			d.json(&own, "totals", "--date", day)
			var want, got any
			_ = json.Unmarshal(own.Registers, &want)
			_ = json.Unmarshal(chain.Locations[j].Registers, &got)
			if !reflect.DeepEqual(want, got) {
				t.Errorf("%s %s:\n own   %s\n chain %s", day, chain.Locations[j].Location, own.Registers, chain.Locations[j].Registers)
			}
		}
	}

	var people []struct {
		Phone     string `json:"phone"`
		Locations []struct {
			Location string `json:"location"`
			Balance  int64  `json:"balance"`
		} `json:"locations"`
	}
	a.json(&people, "chain", "clients", "--search", "0509991234")
	if len(people) != 1 || len(people[0].Locations) != 2 ||
		people[0].Locations[0].Balance != 10000 || people[0].Locations[1].Balance != 4000 {
		t.Errorf("chain clients: %+v", people)
	}
	if out := a.ok("replicate", "verify"); !strings.Contains(out, "ok: the central database matches") {
		t.Errorf("verify: %s", out)
	}
	if r := a.run("chain", "refunds-due"); r.code != 0 {
		t.Errorf("refunds-due: %d %s", r.code, r.err)
	}
}

// Without [replicate] nothing needs PostgreSQL, and the commands say how to
// turn it on.
func TestReplicationOffUntilConfigured(t *testing.T) {
	d := newDesk(t)
	d.init()
	r := d.run("replicate", "status")
	if r.code != 1 || !strings.Contains(r.err, "replication is not configured") {
		t.Errorf("status without config: %d %q", r.code, r.err)
	}
	r = d.run("chain", "totals")
	if r.code != 1 || !strings.Contains(r.err, "[replicate] url") {
		t.Errorf("chain totals without config: %d %q", r.code, r.err)
	}
}

// The chain view's source says plainly when the central database is not
// there, and names it without its password.
func TestChainViewUnreachable(t *testing.T) {
	src := &centralChain{url: "postgres://paydesk:secret@127.0.0.1:1/chain?connect_timeout=2", location: "kyiv-podil"}
	_, err := src.ChainDay(context.Background(), "2025-03-14")
	if !errors.Is(err, replicate.ErrCentral) || !strings.Contains(err.Error(), "unreachable") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("unreachable central database: %v", err)
	}
}
