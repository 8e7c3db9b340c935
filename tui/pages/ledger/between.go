package ledger

import "github.com/paydesk/paydesk/finance"

// betweenKinds move money from one of the location's registers to another
// (a transfer, a payout from the online register to the bank): counted in
// "All registers" they would show as money in and out that never came or
// went, so that row leaves them out and says them on a line of their own.
var betweenKinds = []finance.OpKind{finance.OpTransfer, finance.OpPayout}

// allRegisters is the day's in and out over every register without the
// moves between them, and what moved between them. It works from each
// register's net per kind (the day's aggregates), so a register that both
// sent and received such a move on one day keeps the smaller side in both
// its in and its out; the total moved is still exact in any case where
// each register only sends or only receives.
func allRegisters(totals []finance.DayTotals) (in, out, moved int64) {
	for _, t := range totals {
		in, out = in+t.In, out+t.Out
		for _, k := range betweenKinds {
			switch n := t.ByKind[k]; {
			case n > 0:
				in -= n
				moved += n
			case n < 0:
				out += n
			}
		}
	}
	return in, out, moved
}
