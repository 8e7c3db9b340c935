package finance_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

func str(s string) *string { return &s }

// storedClient reads a client straight from the store, with its phone index.
func (f *fixture) storedClient(id finance.ClientID) finance.Client {
	f.t.Helper()
	var c finance.Client
	must(f.t, f.db.View(f.ctx, func(tx finance.ReadTx) error {
		var err error
		c, err = tx.Client(id)
		return err
	}))
	return c
}

func (f *fixture) lastAudit() finance.AuditEntry {
	f.t.Helper()
	log, err := f.svc.Audit(f.ctx, f.admin, time.Time{}, 1<<20)
	must(f.t, err)
	return log[len(log)-1]
}

func TestUpdateClient(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	changes, cancel := f.svc.Subscribe()
	defer cancel()

	steps := []struct {
		name   string
		who    finance.Actor
		u      finance.ClientUpdate
		want   func(c *finance.Client) // edits the expected client
		detail string                  // in the audit line; "" = no audit line
	}{
		{"name and note by the desk", f.desk,
			finance.ClientUpdate{Name: str("  Anna   Koval "), Note: str("prefers mornings")},
			func(c *finance.Client) { c.Name, c.Note = "Anna Koval", "prefers mornings" },
			"name Anna Petrenko → Anna Koval; note"},
		{"phone as typed, re-normalised", f.desk,
			finance.ClientUpdate{Phone: str("050 111-22-33")},
			func(c *finance.Client) { c.Phone = "+380501112233" },
			"phone +380671234567 → +380501112233"},
		{"email set", f.desk,
			finance.ClientUpdate{Email: str("anna@example.com")},
			func(c *finance.Client) { c.Email = "anna@example.com" },
			"email (none) → anna@example.com"},
		{"credit limit by a manager", f.mgr,
			finance.ClientUpdate{CreditLimit: i64(5000)},
			func(c *finance.Client) { c.CreditLimit = 5000 },
			"credit limit €0.00 → €50.00"},
		{"email and note cleared", f.admin,
			finance.ClientUpdate{Email: str(" "), Note: str("")},
			func(c *finance.Client) { c.Email, c.Note = "", "" },
			"email anna@example.com → (none); note"},
		{"same values change nothing", f.desk,
			finance.ClientUpdate{Name: str("Anna Koval"), Phone: str("+380501112233")},
			func(*finance.Client) {}, ""},
	}
	want := f.storedClient(anna.ID) // Created as decoded, so == compares like for like
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := f.snap()
			st.want(&want)
			got, err := f.svc.UpdateClient(f.ctx, st.who, anna.ID, st.u)
			must(t, err)
			if got != want {
				t.Errorf("returned %+v\nwant     %+v", got, want)
			}
			if stored := f.storedClient(anna.ID); stored != want {
				t.Errorf("stored %+v\nwant   %+v", stored, want)
			}
			if st.detail == "" {
				f.unchanged(before)
				select {
				case c := <-changes:
					t.Errorf("a no-op edit published %+v", c)
				default:
				}
				return
			}
			e := f.lastAudit()
			if e.Action != "client_edit" || e.Staff != st.who.Staff || e.Subject != "client 1" || e.Detail != st.detail {
				t.Errorf("audit %+v, want detail %q", e, st.detail)
			}
			select {
			case c := <-changes:
				if c.What != "client" || c.ClientID != anna.ID {
					t.Errorf("change %+v", c)
				}
			default:
				t.Error("no change published")
			}
		})
	}

	// The phone and name indexes moved with the edit.
	for q, n := range map[string]int{"petrenko": 0, "koval": 1, "1234567": 0, "1112233": 1} {
		got, err := f.svc.SearchClients(f.ctx, q, 10)
		must(t, err)
		if len(got) != n {
			t.Errorf("search %q: %d results, want %d", q, len(got), n)
		}
	}
	// The old phone is free again.
	f.client("Oksana Melnyk", "+380671234567")

	// The credit is usable: Anna may now spend €50 she does not have.
	_, err := f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c", ClientID: anna.ID, Total: 3000})
	must(t, err)
	if owed := f.owed(anna.ID); owed != -3000 {
		t.Errorf("owed %d", owed)
	}
	// Down to exactly what she owes is allowed.
	got, err := f.svc.UpdateClient(f.ctx, f.mgr, anna.ID, finance.ClientUpdate{CreditLimit: i64(3000)})
	must(t, err)
	if got.CreditLimit != 3000 {
		t.Errorf("credit limit %d", got.CreditLimit)
	}
	f.reopen()
	if c := f.storedClient(anna.ID); c.CreditLimit != 3000 || c.Phone != "+380501112233" || c.Name != "Anna Koval" {
		t.Errorf("after reopen: %+v", c)
	}
	f.mustCheck()
}

func TestUpdateClientRefusals(t *testing.T) {
	f := newFixture(t)
	anna := f.client("Anna Petrenko", "+380671234567")
	oksana := f.client("Oksana Melnyk", "+380501234567")
	_, err := f.svc.UpdateClient(f.ctx, f.admin, anna.ID, finance.ClientUpdate{CreditLimit: i64(5000)})
	must(t, err)
	_, err = f.svc.Checkout(f.ctx, f.desk, finance.CheckoutRequest{Key: "c", ClientID: anna.ID, Total: 2000})
	must(t, err)
	anna = f.storedClient(anna.ID)
	guest := finance.Actor{Staff: "Guest", Role: "guest"}

	cases := []struct {
		name  string
		who   finance.Actor
		id    finance.ClientID
		u     finance.ClientUpdate
		want  error
		msg   string
		right finance.Right // when a RightError is expected
	}{
		{"nothing to change", f.admin, anna.ID, finance.ClientUpdate{}, finance.ErrInvalid, "nothing to change", ""},
		{"unknown client", f.admin, 404, finance.ClientUpdate{Name: str("X")}, finance.ErrNotFound, "404", ""},
		{"empty name", f.desk, anna.ID, finance.ClientUpdate{Name: str("  ")}, finance.ErrInvalid, "name is required", ""},
		{"long name", f.desk, anna.ID, finance.ClientUpdate{Name: str(strings.Repeat("a", 101))}, finance.ErrInvalid, "name", ""},
		{"long note", f.desk, anna.ID, finance.ClientUpdate{Note: str(strings.Repeat("n", 501))}, finance.ErrInvalid, "note", ""},
		{"empty phone", f.desk, anna.ID, finance.ClientUpdate{Phone: str("")}, finance.ErrInvalid, "phone is required", ""},
		{"bad phone", f.desk, anna.ID, finance.ClientUpdate{Phone: str("12")}, finance.ErrInvalid, "phone", ""},
		{"someone else's phone", f.desk, anna.ID, finance.ClientUpdate{Phone: str("050 123 45 67")}, finance.ErrConflict, "Oksana Melnyk (client 2)", ""},
		{"bad email", f.desk, anna.ID, finance.ClientUpdate{Email: str("anna@")}, finance.ErrInvalid, "email", ""},
		{"negative credit", f.admin, anna.ID, finance.ClientUpdate{CreditLimit: i64(-1)}, finance.ErrInvalid, "negative", ""},
		{"huge credit", f.admin, anna.ID, finance.ClientUpdate{CreditLimit: i64(1 << 62)}, finance.ErrInvalid, "too large", ""},
		{"credit below the debt", f.admin, anna.ID, finance.ClientUpdate{CreditLimit: i64(1999)},
			finance.ErrInsufficientFunds, "Anna Petrenko already owes €20.00; the credit limit cannot be lower than that (asked for €19.99)", ""},
		{"credit removed while owing", f.mgr, anna.ID, finance.ClientUpdate{CreditLimit: i64(0)}, finance.ErrInsufficientFunds, "owes €20.00", ""},
		{"desk sets credit", f.desk, oksana.ID, finance.ClientUpdate{CreditLimit: i64(1000)}, finance.ErrForbidden, "may not set client credit limits", finance.RightCredit},
		{"desk sets credit with a name", f.desk, oksana.ID, finance.ClientUpdate{Name: str("O. Melnyk"), CreditLimit: i64(1000)}, finance.ErrForbidden, "credit", finance.RightCredit},
		{"guest edits a name", guest, oksana.ID, finance.ClientUpdate{Name: str("X")}, finance.ErrForbidden, "create or edit clients", finance.RightClients},
		{"nobody logged in", finance.Actor{}, oksana.ID, finance.ClientUpdate{Name: str("X")}, finance.ErrForbidden, "nobody", ""},
		{"a good field does not carry a bad one", f.admin, anna.ID, finance.ClientUpdate{Name: str("Anna K"), Phone: str("nope")}, finance.ErrInvalid, "phone", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snap()
			beforeA, beforeO := f.storedClient(anna.ID), f.storedClient(oksana.ID)
			_, err := f.svc.UpdateClient(f.ctx, tc.who, tc.id, tc.u)
			wantErr(t, err, tc.want)
			if !strings.Contains(finance.Message(err), tc.msg) {
				t.Errorf("message %q does not say %q", finance.Message(err), tc.msg)
			}
			var re *finance.RightError
			if tc.right != "" && (!errors.As(err, &re) || re.Right != tc.right) {
				t.Errorf("want a RightError for %s, got %v", tc.right, err)
			}
			f.unchanged(before)
			if a, o := f.storedClient(anna.ID), f.storedClient(oksana.ID); a != beforeA || o != beforeO {
				t.Errorf("a refused edit changed a client:\n%+v\n%+v", a, o)
			}
		})
	}
	// Both phones still find their owners.
	for phone, id := range map[string]finance.ClientID{"+380671234567": anna.ID, "+380501234567": oksana.ID} {
		must(t, f.db.View(f.ctx, func(tx finance.ReadTx) error {
			c, err := tx.ClientByPhone(phone)
			if err != nil || c.ID != id {
				t.Errorf("phone %s -> %+v, %v", phone, c, err)
			}
			return nil
		}))
	}
	f.mustCheck()
}

func TestCreditRight(t *testing.T) {
	svc := finance.NewService(nil)
	for role, want := range map[finance.Role]bool{finance.RoleDesk: false, finance.RoleManager: true, finance.RoleAdmin: true} {
		if got := svc.Allowed(finance.Actor{Staff: "x", Role: role}, finance.RightCredit); got != want {
			t.Errorf("%s may set credit: %v, want %v", role, got, want)
		}
	}
	found := false
	for _, r := range finance.AllRights() {
		found = found || r == finance.RightCredit
	}
	if !found {
		t.Error("AllRights lacks RightCredit")
	}
}
