package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

func fullAudit() finance.AuditEntry {
	return finance.AuditEntry{Seq: 1200001, Time: time.Date(2026, 12, 3, 14, 4, 17, 307860606, time.FixedZone("", 3600)),
		Staff: "stripe", Action: "provider_fee", Subject: "op 1090069, client 38543, booking bk_1",
		Reason: "provider fee", Detail: "fees +1,50; register/stripe -1,50 — Łucja"}
}

func TestAuditCodecMatchesJSON(t *testing.T) {
	// A field added to AuditEntry needs a place in the binary record.
	if n := reflect.TypeOf(finance.AuditEntry{}).NumField(); n != 7 {
		t.Fatalf("AuditEntry has %d fields; encodeAudit knows 7", n)
	}
	utc := fullAudit()
	utc.Time = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for name, e := range map[string]finance.AuditEntry{"every field": fullAudit(), "zero": {}, "utc time": utc,
		"only some": {Seq: 5, Time: utc.Time, Staff: "Ola", Action: "login"}} {
		t.Run(name, func(t *testing.T) {
			v, err := encodeAudit(&e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeAudit(v)
			if err != nil {
				t.Fatal(err)
			}
			var want finance.AuditEntry
			j, _ := json.Marshal(e)
			if err := json.Unmarshal(j, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("binary round trip\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

// What the binary entry is for: about half its JSON.
func TestAuditRecordIsCompact(t *testing.T) {
	e := fullAudit()
	v, err := encodeAudit(&e)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(e)
	if len(v)*10 > len(j)*7 {
		t.Errorf("binary entry %d bytes, JSON %d: want under 70%%", len(v), len(j))
	}
}

// A damaged entry is an error, never a panic or a half-read entry.
func TestAuditDamagedRecord(t *testing.T) {
	e := fullAudit()
	v, _ := encodeAudit(&e)
	for n := 0; n < len(v); n++ {
		if _, err := decodeAudit(v[:n]); err == nil {
			t.Errorf("an entry cut to %d of %d bytes decoded without error", n, len(v))
		}
	}
	if _, err := decodeAudit(append(bytes.Clone(v), 0)); err == nil {
		t.Error("an entry with a byte too many decoded without error")
	}
	for i := range v {
		w := bytes.Clone(v)
		w[i] ^= 0xff
		_, _ = decodeAudit(w) // may decode to other values; must not panic
	}
	if _, err := decodeAudit([]byte{9, 0}); err == nil {
		t.Error("an unknown format decoded without error")
	}
}

func FuzzDecodeAudit(f *testing.F) {
	e := fullAudit()
	v, _ := encodeAudit(&e)
	f.Add(v)
	f.Add([]byte(`{"seq":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeAudit(b) // never a panic
	})
}

// A file of schema 7 holds JSON audit entries. It opens (schema 8 rewrites
// nothing), its entries read as before beside new binary ones through every
// reader, and the file passes Verify.
func TestAuditWrittenAsJSONStillRead(t *testing.T) {
	path := t.TempDir() + "/old.db"
	db, err := Open(t.Context(), path, Options{}) // closed by hand below
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	old := []finance.AuditEntry{
		{Time: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Staff: "Ola", Action: "login"},
		{Time: time.Date(2026, 3, 2, 11, 5, 0, 0, time.FixedZone("", 7200)), Staff: "Ola", Action: "top_up",
			Subject: "op 1, client 1", Detail: "client/1 -5,00; register/cash +5,00"},
	}
	update(t, db, func(ftx finance.Tx) error {
		btx := ftx.(*tx).btx
		for i := range old {
			if err := ftx.AppendAudit(&old[i]); err != nil {
				return err
			}
			// As schema 7 wrote it.
			j, err := json.Marshal(old[i])
			if err != nil {
				return err
			}
			if err := btx.Bucket(bAudit).Put(u64(old[i].Seq), j); err != nil {
				return err
			}
		}
		return btx.Bucket(bMeta).Put(keySchema, u64(7))
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openPath(t, path)
	view(t, db, func(ftx finance.ReadTx) error {
		if v := ftx.(*tx).btx.Bucket(bMeta).Get(keySchema); getU64(v) != SchemaVersion() {
			t.Errorf("schema %d after opening, want %d", getU64(v), SchemaVersion())
		}
		if v := ftx.(*tx).btx.Bucket(bAudit).Get(u64(old[0].Seq)); !strings.HasPrefix(string(v), "{") {
			t.Errorf("the old entry was rewritten: %q", v)
		}
		return nil
	})
	nw := finance.AuditEntry{Time: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), Staff: "Ola", Action: "reversal",
		Subject: "op 2", Reason: "mistake"}
	update(t, db, func(ftx finance.Tx) error { return ftx.AppendAudit(&nw) })
	want := append(jsonCopy(t, old), jsonCopy(t, []finance.AuditEntry{nw})...)
	view(t, db, func(ftx finance.ReadTx) error {
		if v := ftx.(*tx).btx.Bucket(bAudit).Get(u64(nw.Seq)); len(v) == 0 || v[0] != auditFormat {
			t.Errorf("a new entry is not binary: %q", v)
		}
		all, err := ftx.Audit(time.Time{}, 0)
		if err != nil || !reflect.DeepEqual(all, want) {
			t.Errorf("Audit: %#v (%v)\nwant %#v", all, err, want)
		}
		after, err := ftx.(finance.ChangeLog).AuditAfter(0, 0)
		if err != nil || !reflect.DeepEqual(after, want) {
			t.Errorf("AuditAfter: %#v (%v)", after, err)
		}
		newest, err := ftx.(finance.AuditTailReader).AuditNewest(time.Time{}, 0)
		if err != nil || len(newest) != 3 || !reflect.DeepEqual(newest[0], want[2]) || !reflect.DeepEqual(newest[2], want[0]) {
			t.Errorf("AuditNewest: %#v (%v)", newest, err)
		}
		return nil
	})
	if err := db.Verify(t.Context()); err != nil {
		t.Errorf("the upgraded file fails Verify: %v", err)
	}
}

// jsonCopy is what the entries read back as after a JSON round trip.
func jsonCopy(t *testing.T, es []finance.AuditEntry) []finance.AuditEntry {
	t.Helper()
	j, _ := json.Marshal(es)
	var out []finance.AuditEntry
	if err := json.Unmarshal(j, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// openPath opens the file at path again, checked and closed when the test ends.
func openPath(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db)
	return db
}
