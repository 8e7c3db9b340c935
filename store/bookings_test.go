package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// putBookings stores bookings bk_0..bk_{n-1}, starting an hour apart in a
// shuffled order, alternating clients and cycling through statuses.
func putBookings(t *testing.T, db *DB, n int, clients []finance.ClientID) {
	t.Helper()
	statuses := []finance.BookingStatus{finance.BookingPrepaid, finance.BookingCanceled, finance.BookingServed}
	update(t, db, func(tx finance.Tx) error {
		for j := range n {
			i := (j * 7) % n // not in start order, so the index does the sorting
			b := finance.Booking{ID: fmt.Sprintf("bk_%02d", i), ClientID: clients[i%len(clients)],
				Status: statuses[i%len(statuses)], StartsAt: t0.Add(time.Duration(i) * time.Hour),
				Total: 3000, Paid: 3000, Service: "cut", Created: t0}
			if i%6 == 4 { // some canceled ones are refunded in part, some (i%6 == 1) not at all
				b.Refunded = 1000
			}
			if err := tx.PutBooking(b); err != nil {
				return err
			}
		}
		return nil
	})
}

func bookingIDs(t *testing.T, db *DB, f finance.BookingFilter) []string {
	t.Helper()
	var out []string
	view(t, db, func(tx finance.ReadTx) error {
		bs, err := tx.Bookings(f)
		for _, b := range bs {
			out = append(out, b.ID)
		}
		return err
	})
	return out
}

func idsOf(nums ...int) []string {
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = fmt.Sprintf("bk_%02d", n)
	}
	return out
}

func TestBookingsOrderAndLimits(t *testing.T) {
	db := openTest(t)
	c1 := mustClient(t, db, "A", phone(1))
	c2 := mustClient(t, db, "B", phone(2))
	putBookings(t, db, 12, []finance.ClientID{c1.ID, c2.ID})
	// Statuses: i%3 == 0 prepaid, 1 canceled, 2 served; client c1 for even i.
	// Canceled: 1 (nothing refunded), 4 (part), 7, 10 (part); all paid 3000.
	cases := []struct {
		name string
		f    finance.BookingFilter
		want []string
	}{
		{"all by start", finance.BookingFilter{}, idsOf(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)},
		{"first 3", finance.BookingFilter{Limit: 3}, idsOf(0, 1, 2)},
		{"newest 3", finance.BookingFilter{Limit: 3, Newest: true}, idsOf(11, 10, 9)},
		{"canceled", finance.BookingFilter{Status: finance.BookingCanceled}, idsOf(1, 4, 7, 10)},
		{"canceled newest 2", finance.BookingFilter{Status: finance.BookingCanceled, Newest: true, Limit: 2}, idsOf(10, 7)},
		{"refund due", finance.BookingFilter{RefundDue: true}, idsOf(1, 4, 7, 10)},
		{"refund due newest 1", finance.BookingFilter{RefundDue: true, Newest: true, Limit: 1}, idsOf(10)},
		{"refund due and prepaid", finance.BookingFilter{RefundDue: true, Status: finance.BookingPrepaid}, nil},
		{"client", finance.BookingFilter{ClientID: c2.ID}, idsOf(1, 3, 5, 7, 9, 11)},
		{"client newest 2", finance.BookingFilter{ClientID: c2.ID, Newest: true, Limit: 2}, idsOf(11, 9)},
		{"client prepaid", finance.BookingFilter{ClientID: c1.ID, Status: finance.BookingPrepaid}, idsOf(0, 6)},
		{"client prepaid 1", finance.BookingFilter{ClientID: c1.ID, Status: finance.BookingPrepaid, Limit: 1}, idsOf(0)},
		{"client refund due", finance.BookingFilter{ClientID: c1.ID, RefundDue: true, Newest: true}, idsOf(10, 4)},
		{"unknown client", finance.BookingFilter{ClientID: 999}, nil},
		{"status with none", finance.BookingFilter{Status: finance.BookingRefunded}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := bookingIDs(t, db, tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("Bookings(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		})
	}
}

func TestBookingsRefundDueSkipsFullyRefunded(t *testing.T) {
	db := openTest(t)
	c := mustClient(t, db, "A", phone(1))
	update(t, db, func(tx finance.Tx) error {
		for i, refunded := range []int64{3000, 0, 3000} {
			b := finance.Booking{ID: fmt.Sprintf("bk_%02d", i), ClientID: c.ID, Status: finance.BookingCanceled,
				StartsAt: t0.Add(time.Duration(i) * time.Hour), Paid: 3000, Refunded: refunded}
			if err := tx.PutBooking(b); err != nil {
				return err
			}
		}
		return nil
	})
	if got := bookingIDs(t, db, finance.BookingFilter{RefundDue: true, Limit: 1}); !slices.Equal(got, idsOf(1)) {
		t.Errorf("refund due = %v, want [bk_01]", got)
	}
}

// A booking whose start, status or client changes leaves no stale index entry.
func TestBookingsReindexOnChange(t *testing.T) {
	db := openTest(t)
	c1 := mustClient(t, db, "A", phone(1))
	c2 := mustClient(t, db, "B", phone(2))
	putBookings(t, db, 3, []finance.ClientID{c1.ID})
	update(t, db, func(tx finance.Tx) error {
		b, err := tx.Booking("bk_00")
		if err != nil {
			return err
		}
		b.StartsAt, b.Status, b.ClientID = t0.Add(10*time.Hour), finance.BookingCanceled, c2.ID
		return tx.PutBooking(b)
	})
	checks := []struct {
		f    finance.BookingFilter
		want []string
	}{
		{finance.BookingFilter{}, idsOf(1, 2, 0)},
		{finance.BookingFilter{Status: finance.BookingPrepaid}, nil},
		{finance.BookingFilter{Status: finance.BookingCanceled}, idsOf(1, 0)},
		{finance.BookingFilter{ClientID: c1.ID}, idsOf(1, 2)},
		{finance.BookingFilter{ClientID: c2.ID, Status: finance.BookingCanceled}, idsOf(0)},
	}
	for _, c := range checks {
		if got := bookingIDs(t, db, c.f); !slices.Equal(got, c.want) {
			t.Errorf("Bookings(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
	var n int
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bBookStart, bBookStatus, bBookClient} {
			n += tx.Bucket(b).Stats().KeyN
		}
		return nil
	})
	if n != 9 {
		t.Errorf("index entries = %d, want 3 per booking", n)
	}
}

// A schema 1 file (indexes keyed by id, no start index) is upgraded in place
// and lists the same bookings in start order.
func TestBookingIndexMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx finance.Tx) error { return tx.PutSettings(testSettings()) })
	c := mustClient(t, db, "A", phone(1))
	putBookings(t, db, 6, []finance.ClientID{c.ID})
	// Lay the indexes out the way schema 1 did.
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bBookStart); err != nil {
			return err
		}
		for _, name := range [][]byte{bBookStatus, bBookClient} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		err := tx.Bucket(bBookings).ForEach(func(k, v []byte) error {
			var b finance.Booking
			if err := getJSON(v, &b); err != nil {
				return err
			}
			if err := tx.Bucket(bBookStatus).Put(join([]byte(b.Status), []byte(b.ID)), nil); err != nil {
				return err
			}
			return tx.Bucket(bBookClient).Put(append(u64(uint64(b.ClientID)), b.ID...), nil)
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(keySchema, u64(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, db)
	if got := bookingIDs(t, db, finance.BookingFilter{Newest: true}); !slices.Equal(got, idsOf(5, 4, 3, 2, 1, 0)) {
		t.Errorf("after migration, newest first = %v", got)
	}
	if got := bookingIDs(t, db, finance.BookingFilter{ClientID: c.ID, Status: finance.BookingCanceled}); !slices.Equal(got, idsOf(1, 4)) {
		t.Errorf("after migration, client canceled = %v", got)
	}
}
