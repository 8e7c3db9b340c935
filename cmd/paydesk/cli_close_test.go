package main

import (
	"bytes"
	bin "encoding/binary"
	"encoding/csv"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

type zOut struct {
	Date      string `json:"date"`
	Registers []struct {
		Register string `json:"register"`
		Opening  int64  `json:"opening"`
		In       int64  `json:"in"`
		Out      int64  `json:"out"`
		Closing  int64  `json:"closing"`
		Count    int    `json:"count"`
		Expected int64  `json:"expected"`
		Closed   bool   `json:"closed"`
		Sealed   bool   `json:"sealed"`
		Seal     string `json:"seal"`
		ByKind   []struct {
			Name string `json:"name"`
			In   int64  `json:"in"`
			Out  int64  `json:"out"`
		} `json:"by_kind"`
		Close *struct {
			Counted   int64  `json:"counted"`
			OverShort int64  `json:"over_short"`
			Reason    string `json:"reason"`
			Staff     string `json:"closed_by"`
		} `json:"close"`
	} `json:"registers"`
}

// Issue 15's "done when", from the CLI: the drawer counted short and
// closed, the Z-report equal to the day's totals, a later operation on the
// next day linked to the closed one, and a byte changed in a copy of the
// file named by verify.
func TestCloseDayCLI(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Anna Petrenko", "--phone", "050 123 4567")
	d.ok("deposit", "--client", id, "--amount", "100", "--register", "cash", "--note", "sealed note")
	d.ok("deposit", "--client", id, "--amount", "30", "--register", "card")
	day := d.ok("zreport", "--csv")
	if !strings.HasPrefix(day, "date,register,section") {
		t.Fatalf("zreport --csv: %s", day)
	}
	rows, err := csv.NewReader(strings.NewReader(day)).ReadAll()
	if err != nil || len(rows) < 5 {
		t.Fatalf("zreport CSV %v: %q", err, day)
	}
	date := rows[1][0]

	// Short by €1.50 with no reason: refused, exit 1, nothing closed.
	if r := d.run("close", "--counted", "98.50"); r.code != 1 || !strings.Contains(r.err, "short by €1.50") {
		t.Fatalf("close without a reason: exit %d, %s", r.code, r.err)
	}
	out := d.ok("close", "--date", date, "--counted", "98.50", "--reason", "change given twice")
	if !strings.Contains(out, "sealed "+date) || !strings.Contains(out, "-€1.50") {
		t.Errorf("close output:\n%s", out)
	}

	var z zOut
	d.json(&z, "zreport", "--date", date)
	var tot totalsOut
	d.json(&tot, "totals", "--date", date)
	if len(z.Registers) != len(tot.Registers) {
		t.Fatalf("%d Z-reports, %d registers", len(z.Registers), len(tot.Registers))
	}
	for i, r := range z.Registers {
		tr := tot.Registers[i]
		if r.Register != tr.Register || r.Opening != tr.Opening || r.In != tr.In || r.Out != tr.Out || r.Closing != tr.Closing || r.Count != tr.Count {
			t.Errorf("Z-report %+v, totals %+v", r, tr)
		}
		if !r.Closed || !r.Sealed || r.Seal == "" {
			t.Errorf("register %s not shown closed and sealed: %+v", r.Register, r)
		}
	}
	if c := z.Registers[0].Close; c == nil || c.Counted != 9850 || c.OverShort != -150 || c.Reason != "change given twice" || c.Staff == "" {
		t.Errorf("cash close %+v", c)
	}

	// The day is closed: a new deposit lands on the next day and says so.
	r := d.run("deposit", "--client", id, "--amount", "5", "--register", "cash")
	if r.code != 0 || !strings.Contains(r.err, date+" is closed") {
		t.Fatalf("late deposit: exit %d, stderr %q", r.code, r.err)
	}
	var ops []struct {
		ID           uint64 `json:"id"`
		BusinessDate string `json:"business_date"`
		BelongsTo    string `json:"belongs_to"`
	}
	d.json(&ops, "ops", "--date", nextDay(t, date))
	if len(ops) != 1 || strconv.FormatUint(ops[0].ID, 10) != strings.TrimSpace(r.out) || ops[0].BelongsTo != date {
		t.Errorf("next day's ops %+v, the late deposit %s", ops, r.out)
	}
	if r := d.run("close", "--date", date, "--register", "card"); r.code != 1 || !strings.Contains(r.err, "never reopened") {
		t.Errorf("closing a closed register again: exit %d, %s", r.code, r.err)
	}
	if out := d.ok("verify"); !strings.Contains(out, "verified 1 sealed days") {
		t.Errorf("verify: %s", out)
	}
	if out := d.ok("check"); !strings.Contains(out, "1 sealed days") {
		t.Errorf("check: %s", out)
	}

	// One byte of the sealed deposit's note changed in a copy of the file.
	cp := filepath.Join(t.TempDir(), "copy.db")
	d.ok("backup", cp)
	bdb, err := bolt.Open(cp, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("ops"))
		k := bin.BigEndian.AppendUint64(nil, 1)
		v := bytes.Clone(b.Get(k))
		i := bytes.Index(v, []byte("sealed note"))
		if i < 0 {
			return errors.New("operation 1's note is not in its record")
		}
		v[i] ^= 0x20
		if err := b.Put(k, v); err != nil {
			return err
		}
		// And its copy in the client's history, so only the seal tells.
		return tx.Bucket([]byte("ops_client")).Put(bin.BigEndian.AppendUint64(bin.BigEndian.AppendUint64(nil, 1), 1), v)
	})
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	copyDesk := *d
	copyDesk.db = cp
	r = copyDesk.run("verify")
	if r.code != 1 || !strings.Contains(r.out, "BROKEN: sealed day "+date) || !strings.Contains(r.err, "operation 1") {
		t.Errorf("verify on the tampered copy: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if r := copyDesk.run("check"); r.code != 1 || !strings.Contains(r.out, "sealed day "+date) {
		t.Errorf("check on the tampered copy: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

func nextDay(t *testing.T, d string) string {
	t.Helper()
	return string(finance.Date(d).AddDays(1))
}
