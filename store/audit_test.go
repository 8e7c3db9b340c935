package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

func appendAudits(t *testing.T, db *DB, n int) {
	t.Helper()
	update(t, db, func(tx finance.Tx) error {
		for i := range n {
			// Appended out of time order: the listing follows time, not seq.
			at := t0.Add(time.Duration((i*7)%n) * time.Minute)
			if err := tx.AppendAudit(&finance.AuditEntry{Time: at, Staff: "anna", Action: fmt.Sprintf("a%02d", (i*7)%n)}); err != nil {
				return err
			}
		}
		return nil
	})
}

func actionsOf(es []finance.AuditEntry) string {
	s := ""
	for _, e := range es {
		s += e.Action + " "
	}
	return s
}

func TestAuditNewest(t *testing.T) {
	db := openTest(t)
	appendAudits(t, db, 10)
	cases := []struct {
		since time.Duration
		limit int
		want  string
	}{
		{0, 3, "a09 a08 a07 "},
		{0, 0, "a09 a08 a07 a06 a05 a04 a03 a02 a01 a00 "},
		{8 * time.Minute, 5, "a09 a08 "},
		{20 * time.Minute, 5, ""},
	}
	for _, c := range cases {
		view(t, db, func(rtx finance.ReadTx) error {
			es, err := rtx.(finance.AuditTailReader).AuditNewest(t0.Add(c.since), c.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got := actionsOf(es); got != c.want {
				t.Errorf("AuditNewest(+%s, %d) = %q, want %q", c.since, c.limit, got, c.want)
			}
			return nil
		})
	}
}

// hideTail is a store whose transactions offer only finance.ReadTx, to run
// RecentAudit's fallback for stores without AuditNewest.
type hideTail struct{ finance.Store }

func (h hideTail) View(ctx context.Context, fn func(finance.ReadTx) error) error {
	return h.Store.View(ctx, func(tx finance.ReadTx) error { return fn(struct{ finance.ReadTx }{tx}) })
}

func TestRecentAudit(t *testing.T) {
	db := openTest(t)
	appendAudits(t, db, 10)
	admin := finance.OwnerActor("anna")
	for name, st := range map[string]finance.Store{"store": db, "fallback": hideTail{db}} {
		svc := finance.NewService(st)
		es, err := svc.RecentAudit(context.Background(), admin, t0.Add(2*time.Minute), 4)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := actionsOf(es), "a09 a08 a07 a06 "; got != want {
			t.Errorf("%s: RecentAudit = %q, want %q", name, got, want)
		}
		_, err = svc.RecentAudit(context.Background(), finance.Actor{Staff: "d", Role: finance.RoleDesk}, time.Time{}, 4)
		wantErr(t, err, finance.ErrForbidden)
	}
}
