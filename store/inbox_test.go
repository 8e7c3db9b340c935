package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// fullEvent sets every field of a ProviderEvent, times in three kinds of zone.
func fullEvent() finance.ProviderEvent {
	kyiv := time.FixedZone("", 2*3600)
	return finance.ProviderEvent{
		ID: "evt_1", Provider: "stripe", Type: finance.EventRefundUpdated, RawType: "charge.refunded",
		Created: time.Date(2026, 3, 2, 10, 0, 0, 123456789, time.UTC), Received: time.Date(2026, 3, 2, 12, 0, 1, 5, kyiv),
		Status: finance.InboxFailed, Attempts: 3, NextTry: time.Date(2026, 3, 2, 11, 0, 0, 0, time.Local),
		Error: "booking unknown", Operation: 42, ObjectID: "ch_1", PaymentRef: "pi_1", Amount: -12345, Currency: "eur",
		Fee: 77, Refunds: []finance.ProviderRefund{{ID: "re_1", Amount: 100, Status: "succeeded", Key: "k1"}, {ID: "re_2"}},
		Metadata:    map[string]string{"booking_id": "bk_1", "client_name": "Łucja Zoë", "": "empty key"},
		FailureText: "card declined", FeeCurrency: "eur", ObjectStatus: "lost", Problem: "another account",
		Resolution: "checked by hand", Raw: []byte(`{"id":"evt_1"}`),
	}
}

// jsonRoundTrip is what the JSON records gave back: the binary record must
// give back the same.
func jsonRoundTrip[T any](t *testing.T, e T) T {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInboxCodecMatchesJSON(t *testing.T) {
	// A field added to these types needs a place in the binary record.
	if n := reflect.TypeOf(finance.ProviderEvent{}).NumField(); n != 24 {
		t.Fatalf("finance.ProviderEvent has %d fields; encodeInboxEvent knows 24", n)
	}
	if n := reflect.TypeOf(finance.ProviderRefund{}).NumField(); n != 4 {
		t.Fatalf("finance.ProviderRefund has %d fields; encodeInboxEvent knows 4", n)
	}
	for name, e := range map[string]finance.ProviderEvent{
		"every field": fullEvent(),
		"zero":        {ID: "evt_0"},
		"empty list and map": {ID: "evt_2", Refunds: []finance.ProviderRefund{}, Metadata: map[string]string{},
			Raw: []byte{}},
	} {
		t.Run(name, func(t *testing.T) {
			v, err := encodeInboxEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeInboxEvent(v)
			if err != nil {
				t.Fatal(err)
			}
			want := jsonRoundTrip(t, e)
			want.Raw = nil // kept apart
			if !reflect.DeepEqual(got, want) {
				t.Errorf("binary round trip\n got %#v\nwant %#v", got, want)
			}
			if again, _ := encodeInboxEvent(e); !bytes.Equal(again, v) {
				t.Error("the same event encodes to different bytes")
			}
		})
	}
}

func TestInboxDamagedRecord(t *testing.T) {
	v, err := encodeInboxEvent(fullEvent())
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(v) {
		if _, err := decodeInboxEvent(v[:n]); err == nil {
			t.Fatalf("a record cut to %d of %d bytes decoded", n, len(v))
		}
	}
	if _, err := decodeInboxEvent(append(bytes.Clone(v), 0)); err == nil {
		t.Error("trailing bytes decoded")
	}
	db := openTest(t)
	if err := db.bolt.Update(func(btx *bolt.Tx) error { return btx.Bucket(bInbox).Put([]byte("evt_x"), v[:len(v)/2]) }); err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx finance.ReadTx) error {
		if _, err := tx.InboxEvent("evt_x"); err == nil {
			t.Error("a damaged record read without error")
		}
		return nil
	})
}

func TestInboxRawBodyKeptApart(t *testing.T) {
	db := openTest(t)
	e := fullEvent()
	e.Status, e.Error = finance.InboxPending, ""
	update(t, db, func(tx finance.Tx) error { return tx.PutInboxEvent(e) })
	rawOf := func() []byte {
		var raw []byte
		if err := db.bolt.View(func(btx *bolt.Tx) error {
			raw = bytes.Clone(btx.Bucket(bInboxRaw).Get([]byte(e.ID)))
			if v := btx.Bucket(bInbox).Get([]byte(e.ID)); bytes.Contains(v, e.Raw) {
				t.Error("the event record carries its body")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return raw
	}
	if got := rawOf(); !bytes.Equal(got, e.Raw) {
		t.Fatalf("stored body = %q", got)
	}
	// Marking it applied keeps the body; the event read back has it.
	update(t, db, func(tx finance.Tx) error {
		got, err := tx.InboxEvent(e.ID)
		if err != nil {
			return err
		}
		if !bytes.Equal(got.Raw, e.Raw) {
			t.Errorf("InboxEvent Raw = %q", got.Raw)
		}
		got.Status, got.Operation = finance.InboxApplied, 9
		return tx.PutInboxEvent(got)
	})
	if got := rawOf(); !bytes.Equal(got, e.Raw) {
		t.Errorf("body after apply = %q", got)
	}
	view(t, db, func(tx finance.ReadTx) error {
		for _, list := range [][]finance.ProviderEvent{must(tx.Inbox(0)), must(tx.DueEvents(t0.Add(time.Hour), 0))} {
			for _, got := range list {
				if !bytes.Equal(got.Raw, e.Raw) {
					t.Errorf("listed event Raw = %q", got.Raw)
				}
			}
		}
		return nil
	})
	// An event put without a body has none, as with the JSON records.
	update(t, db, func(tx finance.Tx) error {
		got, _ := tx.InboxEvent(e.ID)
		got.Raw = nil
		return tx.PutInboxEvent(got)
	})
	if got := rawOf(); got != nil {
		t.Errorf("body after a put without one = %q", got)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestInboxOlderFile: a file written with JSON records and JSON counts
// (bodies inside the records) reads as before and moves to the new layout
// as its events change.
func TestInboxOlderFile(t *testing.T) {
	db := openTest(t)
	failed := fullEvent()
	pending := fullEvent()
	pending.ID, pending.Status, pending.Error, pending.Raw = "evt_2", finance.InboxPending, "", []byte(`{"id":"evt_2"}`)
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		for _, e := range []finance.ProviderEvent{failed, pending} {
			v, _ := json.Marshal(e)
			if err := btx.Bucket(bInbox).Put([]byte(e.ID), v); err != nil {
				return err
			}
			if err := btx.Bucket(bInboxRecv).Put(timeStrKey(e.Received, e.ID), nil); err != nil {
				return err
			}
			if err := btx.Bucket(bInboxDue).Put(timeStrKey(e.Created, e.ID), timeKey(e.NextTry)); err != nil {
				return err
			}
		}
		v, _ := json.Marshal(oldInboxCounts{Total: 2, LastError: failed.Error,
			ByStatus: map[finance.InboxStatus]int{finance.InboxFailed: 1, finance.InboxPending: 1}})
		return btx.Bucket(bMeta).Put(keyInboxStats, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantStats := func(want finance.InboxStats) {
		t.Helper()
		view(t, db, func(tx finance.ReadTx) error {
			st, err := tx.InboxStats()
			if err != nil {
				return err
			}
			want.LastReceived = st.LastReceived
			if st != want {
				t.Errorf("stats = %+v, want %+v", st, want)
			}
			return nil
		})
	}
	wantStats(finance.InboxStats{Total: 2, Pending: 1, Failed: 1, LastError: failed.Error})
	update(t, db, func(tx finance.Tx) error {
		got, err := tx.InboxEvent(failed.ID)
		if err != nil {
			return err
		}
		if want := jsonRoundTrip(t, failed); !reflect.DeepEqual(got, want) {
			t.Errorf("older record\n got %#v\nwant %#v", got, want)
		}
		// The pending one is applied: its record and the counts move to the new layout.
		p, err := tx.InboxEvent(pending.ID)
		if err != nil {
			return err
		}
		p.Status = finance.InboxApplied
		return tx.PutInboxEvent(p)
	})
	wantStats(finance.InboxStats{Total: 2, Failed: 1, LastError: failed.Error})
	err = db.bolt.View(func(btx *bolt.Tx) error {
		if btx.Bucket(bMeta).Get(keyInboxStats) != nil {
			t.Error("the JSON counts were kept")
		}
		if v := btx.Bucket(bInbox).Get([]byte(pending.ID)); len(v) == 0 || v[0] != inboxFormat {
			t.Error("the rewritten record is not binary")
		}
		if raw := btx.Bucket(bInboxRaw).Get([]byte(pending.ID)); !bytes.Equal(raw, pending.Raw) {
			t.Errorf("the rewritten record's body = %q", raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx finance.Tx) error {
		f, _ := tx.InboxEvent(failed.ID)
		f.Status, f.Error = finance.InboxApplied, ""
		return tx.PutInboxEvent(f)
	})
	wantStats(finance.InboxStats{Total: 2})
}

// TestInboxIndexesFollowState walks one event through the states the worker
// moves it through and checks both indexes hold exactly what they should.
func TestInboxIndexesFollowState(t *testing.T) {
	db := openTest(t)
	e := finance.ProviderEvent{ID: "evt_1", Type: finance.EventPaymentSucceeded, Status: finance.InboxPending,
		Created: t0, Received: t0.Add(time.Second)}
	check := func(step string, e finance.ProviderEvent) {
		t.Helper()
		err := db.bolt.View(func(btx *bolt.Tx) error {
			var recv, dueKeys [][]byte
			var dueVals [][]byte
			_ = btx.Bucket(bInboxRecv).ForEach(func(k, _ []byte) error { recv = append(recv, k); return nil })
			_ = btx.Bucket(bInboxDue).ForEach(func(k, v []byte) error {
				dueKeys, dueVals = append(dueKeys, k), append(dueVals, v)
				return nil
			})
			if len(recv) != 1 || !bytes.Equal(recv[0], timeStrKey(e.Received, e.ID)) {
				t.Errorf("%s: received index %q", step, recv)
			}
			switch {
			case !due(e.Status) && len(dueKeys) != 0:
				t.Errorf("%s: %s event still in the due index", step, e.Status)
			case due(e.Status) && (len(dueKeys) != 1 || !bytes.Equal(dueKeys[0], timeStrKey(e.Created, e.ID)) ||
				!bytes.Equal(dueVals[0], timeKey(e.NextTry))):
				t.Errorf("%s: due index %q -> %q", step, dueKeys, dueVals)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put := func(step string, change func(*finance.ProviderEvent)) {
		t.Helper()
		change(&e)
		update(t, db, func(tx finance.Tx) error { return tx.PutInboxEvent(e) })
		check(step, e)
	}
	put("recorded", func(*finance.ProviderEvent) {})
	put("payload filled in", func(e *finance.ProviderEvent) { e.Amount = 5 })
	put("failed", func(e *finance.ProviderEvent) {
		e.Status, e.Attempts, e.Error, e.NextTry = finance.InboxFailed, 1, "x", t0.Add(time.Minute)
	})
	put("retry now", func(e *finance.ProviderEvent) { e.NextTry = time.Time{} })
	put("created corrected", func(e *finance.ProviderEvent) { e.Created = t0.Add(-time.Hour) })
	put("received again", func(e *finance.ProviderEvent) { e.Received = t0.Add(time.Hour) })
	put("applied", func(e *finance.ProviderEvent) { e.Status, e.Error, e.Operation = finance.InboxApplied, "", 3 })
	put("applied again", func(*finance.ProviderEvent) {})
}
