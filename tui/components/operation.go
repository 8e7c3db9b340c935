package components

import (
	"fmt"
	"strings"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
)

// PostingLines renders postings as "account  amount" lines, exactly what
// a confirmation promises to post. names overrides account names (e.g. a
// client's deposit by the client's name).
func PostingLines(c common.Common, ps []finance.Posting, names map[finance.AccountID]string) []string {
	w := 0
	label := func(p finance.Posting) string {
		if n, ok := names[p.Account]; ok {
			return n
		}
		return c.AccountName(p.Account)
	}
	for _, p := range ps {
		w = max(w, len([]rune(label(p))))
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		amt := c.Money.Signed(p.Amount)
		st := c.Styles.Positive
		if p.Amount < 0 {
			st = c.Styles.Negative
		}
		out = append(out, "  "+Pad(label(p), w, false)+"  "+st.Render(Pad(amt, 14, true)))
	}
	return out
}

// OperationView renders one operation: what, when, who, lines, postings
// and its reversal links.
func OperationView(c common.Common, op finance.Operation, names map[finance.AccountID]string) string {
	s := c.Styles
	var b strings.Builder
	title := fmt.Sprintf("Operation #%d · %s", op.ID, common.KindName(op.Kind))
	b.WriteString(s.Title.Render(title) + "\n")
	when := op.Time
	if c.Loc != nil {
		when = when.In(c.Loc)
	}
	b.WriteString(s.Label.Render("Business date ") + string(op.BusinessDate) + s.Label.Render("  at ") + when.Format("15:04:05") +
		s.Label.Render("  by ") + op.Staff + "\n")
	if op.BelongsTo != "" {
		b.WriteString(s.Muted.Render("Belongs to "+string(op.BelongsTo)+", which was closed: dated on the next open day") + "\n")
	}
	if op.ClientID != 0 {
		b.WriteString(s.Label.Render("Client ") + fmt.Sprintf("#%d", op.ClientID))
		if n, ok := names[finance.ClientAccount(op.ClientID)]; ok {
			b.WriteString(" " + strings.TrimPrefix(n, "Deposit of "))
		}
		b.WriteString("\n")
	}
	if op.BookingID != "" {
		b.WriteString(s.Label.Render("Booking ") + op.BookingID + "\n")
	}
	if op.Comment != "" {
		b.WriteString(s.Label.Render("Note ") + op.Comment + "\n")
	}
	if op.ProviderRef != "" {
		b.WriteString(s.Label.Render("Provider ref ") + op.ProviderRef + "\n")
	}
	if len(op.Lines) > 0 {
		b.WriteString("\n" + s.Subtitle.Render("Lines") + "\n")
		for _, l := range op.Lines {
			fmt.Fprintf(&b, "  %s  %s × %d = %s\n", Pad(l.Description, 24, false), c.Money.Format(l.UnitPrice), l.Quantity,
				c.Money.Format(l.UnitPrice*l.Quantity))
		}
	}
	b.WriteString("\n" + s.Subtitle.Render("Postings") + "\n")
	b.WriteString(strings.Join(PostingLines(c, op.Postings, names), "\n"))
	switch {
	case op.ReversedBy != 0:
		b.WriteString("\n\n" + s.Status.Error.Render(fmt.Sprintf("Reversed by operation #%d", op.ReversedBy)))
	case op.Reverses != 0:
		b.WriteString("\n\n" + s.Strong.Render(fmt.Sprintf("Reverses operation #%d", op.Reverses)))
	}
	return b.String()
}

// RightRefusal is the words for a right the person lacks, said before the
// service is even asked (the service checks again).
func RightRefusal(c common.Common, r finance.Right) string {
	return (&finance.RightError{Staff: c.Actor.Staff, Role: c.Actor.Role, Right: r}).Error()
}
