package store

import (
	"slices"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

func TestBookings(t *testing.T) {
	db := openTest(t)
	c1 := mustClient(t, db, "A", phone(1))
	c2 := mustClient(t, db, "B", phone(2))
	bk := func(id string, c finance.ClientID, st finance.BookingStatus, hour int, paid, refunded int64) finance.Booking {
		return finance.Booking{ID: id, ClientID: c, Status: st, StartsAt: t0.Add(time.Duration(hour) * time.Hour),
			Total: 3000, Paid: paid, Refunded: refunded, Service: "cut", Created: t0}
	}
	update(t, db, func(tx finance.Tx) error {
		for _, b := range []finance.Booking{
			bk("bk_3", c1.ID, finance.BookingPrepaid, 3, 3000, 0),
			bk("bk_1", c1.ID, finance.BookingCanceled, 1, 3000, 1000),
			bk("bk_2", c2.ID, finance.BookingCanceled, 2, 3000, 3000),
			bk("bk_4", c2.ID, finance.BookingServed, 0, 3000, 0),
		} {
			if err := tx.PutBooking(b); err != nil {
				return err
			}
		}
		wantErr(t, tx.PutBooking(finance.Booking{}), finance.ErrInvalid)
		return nil
	})
	ids := func(bs []finance.Booking) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.ID)
		}
		return out
	}
	check := func(f finance.BookingFilter, want ...string) {
		t.Helper()
		view(t, db, func(tx finance.ReadTx) error {
			got, err := tx.Bookings(f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), want) {
				t.Errorf("Bookings(%+v) = %v, want %v", f, ids(got), want)
			}
			return nil
		})
	}
	check(finance.BookingFilter{}, "bk_4", "bk_1", "bk_2", "bk_3")
	check(finance.BookingFilter{Limit: 2}, "bk_4", "bk_1")
	check(finance.BookingFilter{Status: finance.BookingCanceled}, "bk_1", "bk_2")
	check(finance.BookingFilter{RefundDue: true}, "bk_1")
	check(finance.BookingFilter{RefundDue: true, Status: finance.BookingPrepaid})
	check(finance.BookingFilter{ClientID: c2.ID}, "bk_4", "bk_2")
	check(finance.BookingFilter{ClientID: c2.ID, Status: finance.BookingCanceled}, "bk_2")

	// A status change moves the booking between index entries.
	update(t, db, func(tx finance.Tx) error {
		b, err := tx.Booking("bk_1")
		if err != nil {
			return err
		}
		b.Status, b.Refunded, b.ClientID = finance.BookingRefunded, 3000, c2.ID
		return tx.PutBooking(b)
	})
	check(finance.BookingFilter{Status: finance.BookingCanceled}, "bk_2")
	check(finance.BookingFilter{RefundDue: true})
	check(finance.BookingFilter{Status: finance.BookingRefunded}, "bk_1")
	check(finance.BookingFilter{ClientID: c1.ID}, "bk_3")
	view(t, db, func(tx finance.ReadTx) error {
		_, err := tx.Booking("bk_9")
		wantErr(t, err, finance.ErrNotFound)
		return nil
	})
}

func TestRefunds(t *testing.T) {
	db := openTest(t)
	update(t, db, func(tx finance.Tx) error {
		for _, r := range []finance.Refund{
			{Key: "r2", BookingID: "bk_1", Amount: 100, Status: finance.RefundRequested, Created: t0.Add(time.Minute)},
			{Key: "r1", BookingID: "bk_1", Amount: 200, Status: finance.RefundSucceeded, Created: t0},
			{Key: "r3", BookingID: "bk_10", Amount: 300, Status: finance.RefundPending, Created: t0},
		} {
			if err := tx.PutRefund(r); err != nil {
				return err
			}
		}
		wantErr(t, tx.PutRefund(finance.Refund{BookingID: "x"}), finance.ErrInvalid)
		r, err := tx.Refund("r2")
		if err != nil {
			return err
		}
		r.Status, r.ProviderRef = finance.RefundSucceeded, "re_1"
		return tx.PutRefund(r)
	})
	view(t, db, func(tx finance.ReadTx) error {
		rs, err := tx.BookingRefunds("bk_1")
		if err != nil || len(rs) != 2 || rs[0].Key != "r1" || rs[1].Key != "r2" || rs[1].ProviderRef != "re_1" {
			t.Errorf("BookingRefunds = %+v, %v", rs, err)
		}
		if rs, _ := tx.BookingRefunds("bk_2"); len(rs) != 0 {
			t.Errorf("unknown booking refunds = %v", rs)
		}
		_, err = tx.Refund("nope")
		wantErr(t, err, finance.ErrNotFound)
		return nil
	})
}

func TestStaffAuditCursors(t *testing.T) {
	db := openTest(t)
	update(t, db, func(tx finance.Tx) error {
		for _, s := range []finance.Staff{{Name: "zoe", Role: finance.RoleDesk}, {Name: "anna", Role: finance.RoleAdmin, PINHash: []byte("h")}} {
			if err := tx.PutStaff(s); err != nil {
				return err
			}
		}
		wantErr(t, tx.PutStaff(finance.Staff{}), finance.ErrInvalid)
		for i, at := range []time.Duration{2 * time.Hour, 0, time.Hour} {
			e := &finance.AuditEntry{Time: t0.Add(at), Staff: "anna", Action: []string{"c", "a", "b"}[i]}
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
			if e.Seq != uint64(i+1) {
				t.Errorf("seq = %d", e.Seq)
			}
		}
		if err := tx.SetCursor("stripe", "evt_1"); err != nil {
			return err
		}
		return tx.SetCursor("other", "x")
	})
	update(t, db, func(tx finance.Tx) error { return tx.SetCursor("other", "") })
	view(t, db, func(tx finance.ReadTx) error {
		s, err := tx.Staff("anna")
		if err != nil || s.Role != finance.RoleAdmin || string(s.PINHash) != "h" {
			t.Errorf("Staff = %+v, %v", s, err)
		}
		_, err = tx.Staff("bob")
		wantErr(t, err, finance.ErrNotFound)
		list, _ := tx.StaffList()
		if len(list) != 2 || list[0].Name != "anna" {
			t.Errorf("StaffList = %+v", list)
		}
		actions := func(es []finance.AuditEntry) (s string) {
			for _, e := range es {
				s += e.Action
			}
			return s
		}
		if es, _ := tx.Audit(time.Time{}, 0); actions(es) != "abc" {
			t.Errorf("audit = %q, want time order", actions(es))
		}
		if es, _ := tx.Audit(t0.Add(time.Hour), 0); actions(es) != "bc" {
			t.Errorf("audit since = %q", actions(es))
		}
		if es, _ := tx.Audit(time.Time{}, 2); actions(es) != "ab" {
			t.Errorf("audit limit = %q", actions(es))
		}
		if v, _ := tx.Cursor("stripe"); v != "evt_1" {
			t.Errorf("cursor = %q", v)
		}
		if v, _ := tx.Cursor("other"); v != "" {
			t.Errorf("cleared cursor = %q", v)
		}
		if v, _ := tx.Cursor("never"); v != "" {
			t.Errorf("unset cursor = %q", v)
		}
		return nil
	})
}

func TestInbox(t *testing.T) {
	db := openTest(t)
	ev := func(id string, created, received int, st finance.InboxStatus) finance.ProviderEvent {
		return finance.ProviderEvent{ID: id, Provider: "stripe", Type: finance.EventPaymentSucceeded, Status: st,
			Created: t0.Add(time.Duration(created) * time.Minute), Received: t0.Add(time.Duration(received) * time.Minute), Amount: 100}
	}
	update(t, db, func(tx finance.Tx) error {
		for _, e := range []finance.ProviderEvent{
			ev("evt_b", 2, 1, finance.InboxPending),
			ev("evt_a", 1, 3, finance.InboxPending),
			ev("evt_c", 3, 2, finance.InboxApplied),
		} {
			if err := tx.PutInboxEvent(e); err != nil {
				return err
			}
		}
		wantErr(t, tx.PutInboxEvent(finance.ProviderEvent{}), finance.ErrInvalid)
		return nil
	})
	evIDs := func(es []finance.ProviderEvent) (s []string) {
		for _, e := range es {
			s = append(s, e.ID)
		}
		return s
	}
	view(t, db, func(tx finance.ReadTx) error {
		if es, _ := tx.Inbox(0); !slices.Equal(evIDs(es), []string{"evt_a", "evt_c", "evt_b"}) {
			t.Errorf("Inbox = %v, want newest received first", evIDs(es))
		}
		if es, _ := tx.Inbox(1); len(es) != 1 {
			t.Errorf("Inbox(1) = %v", evIDs(es))
		}
		if es, _ := tx.DueEvents(t0.Add(time.Hour), 0); !slices.Equal(evIDs(es), []string{"evt_a", "evt_b"}) {
			t.Errorf("DueEvents = %v, want created order", evIDs(es))
		}
		st, _ := tx.InboxStats()
		if st.Total != 3 || st.Pending != 2 || st.Failed != 0 || !st.LastReceived.Equal(t0.Add(3*time.Minute)) {
			t.Errorf("stats = %+v", st)
		}
		return nil
	})
	// evt_a fails and waits for a retry; evt_b is applied but flagged.
	update(t, db, func(tx finance.Tx) error {
		a, _ := tx.InboxEvent("evt_a")
		a.Status, a.Attempts, a.Error, a.NextTry = finance.InboxFailed, 1, "booking unknown", t0.Add(30*time.Minute)
		if err := tx.PutInboxEvent(a); err != nil {
			return err
		}
		b, _ := tx.InboxEvent("evt_b")
		b.Status, b.Operation, b.Error = finance.InboxFlagged, 7, "group event paid in part" // check wants a reason
		return tx.PutInboxEvent(b)
	})
	view(t, db, func(tx finance.ReadTx) error {
		if es, _ := tx.DueEvents(t0.Add(10*time.Minute), 0); len(es) != 0 {
			t.Errorf("DueEvents before next try = %v", evIDs(es))
		}
		if es, _ := tx.DueEvents(t0.Add(30*time.Minute), 0); !slices.Equal(evIDs(es), []string{"evt_a"}) {
			t.Errorf("DueEvents at next try = %v", evIDs(es))
		}
		st, _ := tx.InboxStats()
		if st.Total != 3 || st.Pending != 0 || st.Failed != 1 || st.Flagged != 1 || st.LastError != "booking unknown" {
			t.Errorf("stats = %+v", st)
		}
		if es, _ := tx.Inbox(0); len(es) != 3 {
			t.Errorf("Inbox after updates = %v", evIDs(es))
		}
		_, err := tx.InboxEvent("evt_zz")
		wantErr(t, err, finance.ErrNotFound)
		return nil
	})
	update(t, db, func(tx finance.Tx) error {
		a, _ := tx.InboxEvent("evt_a")
		a.Status, a.Error = finance.InboxApplied, ""
		return tx.PutInboxEvent(a)
	})
	view(t, db, func(tx finance.ReadTx) error {
		st, _ := tx.InboxStats()
		if st.Failed != 0 || st.LastError != "" {
			t.Errorf("stats after recovery = %+v", st)
		}
		return nil
	})
}

func TestSettingsValidation(t *testing.T) {
	db := openTest(t)
	update(t, db, func(tx finance.Tx) error {
		s := testSettings()
		s.Registers = append(s.Registers, finance.Register{ID: "cash"})
		wantErr(t, tx.PutSettings(s), finance.ErrInvalid)
		s.Registers = []finance.Register{{Name: "no id"}}
		wantErr(t, tx.PutSettings(s), finance.ErrInvalid)
		// The tx sees its own settings write.
		s = testSettings()
		s.Location = "Other"
		if err := tx.PutSettings(s); err != nil {
			return err
		}
		got, _ := tx.Settings()
		if got.Location != "Other" {
			t.Errorf("settings in same tx = %q", got.Location)
		}
		return nil
	})
}
