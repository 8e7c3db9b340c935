package common

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
)

// ReceiptOfferMsg tells the root that an operation a client takes a
// receipt for has just posted on this screen: the footer offers `p` until
// the next one. Tendered and Change are the cash handed over and the change
// (the books keep only the sale), 0 when none.
type ReceiptOfferMsg struct {
	Op               finance.OperationID
	Tendered, Change int64
}

// OfferReceipt is the command a screen returns after such a post.
func OfferReceipt(op finance.OperationID, tendered, change int64) tea.Cmd {
	return func() tea.Msg { return ReceiptOfferMsg{Op: op, Tendered: tendered, Change: change} }
}
