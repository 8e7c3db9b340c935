package components

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
)

// Review is a previewed money movement in the cashier's words, one line a
// leg: "From Lily's deposit −€150.00", "Into Cash drawer +€40.00", and each
// client's and register's balance after. Every amount is signed as the
// holder's own history shows it (a top-up is + on the client's history and
// + here; a checkout from the deposit is − on both), so a review never
// shows the opposite sign to the client's card. clients names the client
// deposits by the client's name (others read "client #n").
func Review(c common.Common, pv finance.Preview, clients map[finance.AccountID]string) []string {
	who := func(acc finance.AccountID) string {
		if n, ok := clients[acc]; ok && n != "" {
			return n
		}
		id, _ := finance.ClientOf(acc)
		return fmt.Sprintf("client #%d", id)
	}
	type row struct {
		label, amount string
		neg           bool
	}
	var rows []row
	add := func(label string, signed int64) {
		rows = append(rows, row{label, c.Money.Signed(signed), signed < 0})
	}
	for _, p := range pv.Operation.Postings {
		if _, ok := finance.ClientOf(p.Account); ok {
			d := -p.Amount // credit-normal: a credit is money the client has
			if d < 0 {
				add("From "+who(p.Account)+"'s deposit", d)
			} else {
				add("Into "+who(p.Account)+"'s deposit", d)
			}
			continue
		}
		if id, ok := finance.RegisterOf(p.Account); ok {
			if p.Amount >= 0 {
				add("Into "+c.RegisterName(id), p.Amount)
			} else {
				add("Out of "+c.RegisterName(id), p.Amount)
			}
			continue
		}
		switch p.Account {
		case finance.AccountRevenue:
			if p.Amount <= 0 {
				rows = append(rows, row{"Sale", c.Money.Format(-p.Amount), false})
			} else {
				add("Sale undone", -p.Amount)
			}
		case finance.AccountPrepaid:
			if p.Amount >= 0 {
				add("From the online prepayment", -p.Amount)
			} else {
				add("Into the online prepayment", -p.Amount)
			}
		case finance.AccountPaidInOut:
			// The register's line says it all; the title says why.
		default:
			add(c.AccountName(p.Account), p.Amount)
		}
	}
	for _, b := range pv.After {
		if _, ok := finance.ClientOf(b.Account); ok {
			rows = append(rows, row{who(b.Account) + "'s balance after", c.Money.Format(b.Balance), b.Balance < 0})
		} else if id, ok := finance.RegisterOf(b.Account); ok {
			rows = append(rows, row{c.RegisterName(id) + " after", c.Money.Format(b.Balance), b.Balance < 0})
		}
	}
	w := 0
	for _, r := range rows {
		w = max(w, lipgloss.Width(r.label))
	}
	out := make([]string, 0, len(rows)+1)
	for i, r := range rows {
		st := c.Styles.Strong
		if r.neg {
			st = c.Styles.Negative
		}
		if i > 0 && strings.HasSuffix(r.label, " after") && !strings.HasSuffix(rows[i-1].label, " after") {
			out = append(out, "")
		}
		out = append(out, "  "+Pad(r.label, w, false)+"  "+st.Render(Pad(r.amount, 14, true)))
	}
	return out
}

// Reviewed is the confirmation of a previewed money movement: the title,
// what the screen adds (lines, a note), the review in words, the postings
// one key away, and a second question when the amount is unusual.
func Reviewed(c common.Common, title, yes string, pv finance.Preview, clients map[finance.AccountID]string, extra ...string) Confirm {
	lines := append([]string{}, extra...)
	if len(lines) > 0 {
		lines = append(lines, "")
	}
	lines = append(lines, Review(c, pv, clients)...)
	if pv.Pending {
		lines = append(lines, "", "  Posts when the payment provider confirms.")
	}
	deposits := map[finance.AccountID]string{}
	for acc, n := range clients {
		deposits[acc] = "Deposit of " + n
	}
	cf := Confirm{Title: title, Lines: lines, Yes: yes, Postings: PostingLines(c, pv.Operation.Postings, deposits)}
	if pv.Unusual {
		cf.Twice = "Unusual amount: " + c.Money.Format(opMoved(pv.Operation)) + " is far above the typical top-up here (" +
			c.Money.Format(pv.Typical) + "). Check it, then y again."
	}
	return cf
}

func opMoved(op finance.Operation) int64 {
	var n int64
	for _, p := range op.Postings {
		if p.Amount > 0 {
			n, _ = finance.AddInt64(n, p.Amount)
		}
	}
	return n
}
