package common

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/keymap"
)

// RightOf is the right a key's action needs, if any. Keys are told apart by
// their help as well as their keys: o is "cash out" on a client's card and
// "paid out" in Finance.
func RightOf(k *keymap.KeyMap, b key.Binding) (finance.Right, bool) {
	same := func(x key.Binding) bool {
		return slices.Equal(x.Keys(), b.Keys()) && x.Help() == b.Help()
	}
	for _, e := range []struct {
		b key.Binding
		r finance.Right
	}{
		{k.TopUp, finance.RightTopUp}, {k.Checkout, finance.RightCheckout}, {k.CashOut, finance.RightCashOut},
		{k.Reverse, finance.RightReverse}, {k.New, finance.RightClients}, {k.Edit, finance.RightClients},
		{k.Transfer, finance.RightTransfer}, {k.PaidIn, finance.RightPaidInOut}, {k.PaidOut, finance.RightPaidInOut},
		{k.CloseDay, finance.RightCloseDay}, {k.Export, finance.RightExport}, {k.ExportSpan, finance.RightExport},
		{k.CancelBooking, finance.RightBookings}, {k.Refund, finance.RightRefund},
	} {
		if same(e.b) {
			return e.r, true
		}
	}
	return "", false
}

// Offered drops the keys whose right the person at the desk lacks: a
// footer never offers what would only be refused (the key still works and
// offers a manager's PIN; `?` lists every key).
func (c Common) Offered(bs []key.Binding) []key.Binding {
	out := make([]key.Binding, 0, len(bs))
	for _, b := range bs {
		if r, ok := RightOf(c.Keys, b); ok && !c.Allowed(r) {
			continue
		}
		out = append(out, b)
	}
	return out
}
