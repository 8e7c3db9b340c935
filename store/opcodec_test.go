package store

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// fullOp sets every field of an Operation.
func fullOp() finance.Operation {
	return finance.Operation{
		ID: 1234567, Key: "desk-7f3a", RequestHash: strings.Repeat("0123456789abcdef", 4),
		Kind: finance.OpCheckout, BusinessDate: "2026-03-02",
		Time:  time.Date(2026, 3, 2, 12, 0, 1, 5, time.FixedZone("", 2*3600)),
		Staff: "Ola", ClientID: 42, BookingID: "bk_1", Comment: "Łucja Zoë, \"VIP\"",
		Lines: []finance.LineItem{{Description: "Strzyżenie", UnitPrice: 12000, Quantity: 1},
			{Description: "", UnitPrice: -500, Quantity: 3}},
		Postings: []finance.Posting{{Account: "client/42", Amount: 12000}, {Account: "register/cash", Amount: -12000}},
		Reverses: 7, ReversedBy: 9, ProviderRef: "pi_1", BelongsTo: "2026-03-01",
	}
}

func TestOperationCodecMatchesJSON(t *testing.T) {
	// A field added to these types needs a place in the binary record.
	for typ, want := range map[reflect.Type]int{
		reflect.TypeOf(finance.Operation{}): 16, reflect.TypeOf(finance.LineItem{}): 3, reflect.TypeOf(finance.Posting{}): 2,
	} {
		if n := typ.NumField(); n != want {
			t.Fatalf("%s has %d fields; encodeOperation knows %d", typ, n, want)
		}
	}
	upper := fullOp()
	upper.RequestHash = strings.ToUpper(upper.RequestHash) // not the form the hex one decodes to: kept as text
	utc := fullOp()
	utc.Time = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for name, op := range map[string]finance.Operation{
		"every field":        fullOp(),
		"zero":               {},
		"upper-case hash":    upper,
		"short hash":         {ID: 1, RequestHash: "abc", Postings: []finance.Posting{{Account: "x", Amount: 1}}},
		"utc time":           utc,
		"empty lists":        {ID: 2, Lines: []finance.LineItem{}, Postings: []finance.Posting{}},
		"huge amounts":       {ID: 3, Postings: []finance.Posting{{Account: "a", Amount: 1<<63 - 1}, {Account: "b", Amount: -1 << 63}}},
		"non-ascii hex-like": {ID: 4, RequestHash: strings.Repeat("é", 32)},
	} {
		t.Run(name, func(t *testing.T) {
			v, err := encodeOperation(&op)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeOperation(v)
			if err != nil {
				t.Fatal(err)
			}
			want := jsonRoundTrip(t, op)
			if len(want.Postings) == 0 {
				want.Postings = nil // JSON keeps [] apart from null; no operation has no postings
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("binary round trip\n got %#v\nwant %#v", got, want)
			}
			if again, _ := encodeOperation(&op); !bytes.Equal(again, v) {
				t.Error("the same operation encodes to different bytes")
			}
		})
	}
}

// What makes the binary record worth having: a typical operation takes well
// under half the bytes of its JSON.
func TestOperationRecordIsCompact(t *testing.T) {
	op := fullOp()
	op.Lines = op.Lines[:1]
	v, err := encodeOperation(&op)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(op)
	if len(v)*2 > len(j) {
		t.Errorf("binary record %d bytes, JSON %d: want under half", len(v), len(j))
	}
}

// A damaged record is an error, never a panic or a half-read operation.
func TestOperationDamagedRecord(t *testing.T) {
	op := fullOp()
	v, err := encodeOperation(&op)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(v); n++ {
		if _, err := decodeOperation(v[:n]); err == nil {
			t.Errorf("a record cut to %d of %d bytes decoded without error", n, len(v))
		}
	}
	if _, err := decodeOperation(append(bytes.Clone(v), 0)); err == nil {
		t.Error("a record with a byte too many decoded without error")
	}
	for i := range v {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			w := bytes.Clone(v)
			w[i] ^= flip
			_, _ = decodeOperation(w) // may decode to other values; must not panic
		}
	}
	if _, err := decodeOperation([]byte{2, 0}); err == nil {
		t.Error("an unknown format decoded without error")
	}
}

func FuzzDecodeOperation(f *testing.F) {
	op := fullOp()
	v, _ := encodeOperation(&op)
	f.Add(v)
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte{opFormat, 1, 0, hashText, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		op, err := decodeOperation(b)
		if err != nil || len(b) == 0 || b[0] != opFormat {
			return
		}
		// What decodes encodes back to a record that decodes the same.
		again, err := encodeOperation(&op)
		if err != nil {
			return // a time the binary form cannot hold
		}
		op2, err := decodeOperation(again)
		if err != nil || !sameOp(op, op2) {
			t.Fatalf("re-encoded record decodes to %#v (%v), want %#v", op2, err, op)
		}
	})
}

// Files written before the binary record hold JSON operations, under their
// ids and in client histories: they read as before, and a reversal rewrites
// the original (and its history copy) in the binary form.
func TestOperationsWrittenAsJSONStillRead(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "Olena Kovalenko", phone(1))
	id := appendOp(t, db, topUp("k1", c.ID, "cash", 500, "2026-03-02"))
	var want finance.Operation
	view(t, db, func(tx finance.ReadTx) error {
		var err error
		want, err = tx.Operation(id)
		return err
	})
	old, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(ftx finance.Tx) error {
		btx := ftx.(*tx).btx
		if err := btx.Bucket(bOps).Put(u64(uint64(id)), old); err != nil {
			return err
		}
		return btx.Bucket(bOpClient).Put(idID(uint64(c.ID), uint64(id)), old)
	})
	view(t, db, func(tx finance.ReadTx) error {
		got, err := tx.Operation(id)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("JSON operation reads as %#v (%v), want %#v", got, err, want)
		}
		hist, err := tx.ClientOperations(c.ID, finance.Page{Limit: 5})
		if err != nil || len(hist) != 1 || !reflect.DeepEqual(hist[0], want) {
			t.Errorf("JSON history copy reads as %#v (%v)", hist, err)
		}
		return nil
	})
	rev := appendOp(t, db, &finance.Operation{Key: "rev1", Kind: finance.OpReversal, BusinessDate: "2026-03-02",
		Time: t0, Staff: "Ola", ClientID: c.ID, Reverses: id,
		Postings: []finance.Posting{{Account: finance.ClientAccount(c.ID), Amount: 500},
			{Account: "register/cash", Amount: -500}}})
	update(t, db, func(tx finance.Tx) error { return tx.MarkReversed(id, rev) })
	err = db.View(context.Background(), func(ftx finance.ReadTx) error {
		btx := ftx.(*tx).btx
		v, h := btx.Bucket(bOps).Get(u64(uint64(id))), btx.Bucket(bOpClient).Get(idID(uint64(c.ID), uint64(id)))
		if len(v) == 0 || v[0] != opFormat || !bytes.Equal(v, h) {
			t.Errorf("after the reversal the original is %q and its copy %q: want the same binary record", v, h)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var rep []error
	view(t, db, func(ftx finance.ReadTx) error {
		ftx.(*tx).checkClientHistory(func(err error) bool { rep = append(rep, err); return true })
		return nil
	})
	if len(rep) > 0 {
		t.Errorf("history check after the rewrite: %v", rep)
	}
}

// sameOp is DeepEqual with times compared as instants and offsets (each
// decode makes its own fixed zone).
func sameOp(a, b finance.Operation) bool {
	_, ao := a.Time.Zone()
	_, bo := b.Time.Zone()
	if !a.Time.Equal(b.Time) || ao != bo {
		return false
	}
	a.Time, b.Time = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// The operation record against its JSON, both ways: what a history page of
// twenty pays to decode, and what each commit pays to encode.
//
//	go test ./store -run '^$' -bench OperationRecord
func BenchmarkOperationRecord(b *testing.B) {
	op := fullOp()
	bin, err := encodeOperation(&op)
	if err != nil {
		b.Fatal(err)
	}
	js, err := json.Marshal(op)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		fn   func() error
	}{
		{"encode/binary", func() error { _, err := encodeOperation(&op); return err }},
		{"encode/json", func() error { _, err := json.Marshal(op); return err }},
		{"decode/binary", func() error { _, err := decodeOperation(bin); return err }},
		{"decode/json", func() error { _, err := decodeOperation(js); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Logf("record %d bytes, JSON %d", len(bin), len(js))
}
