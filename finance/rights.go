package finance

// Right is something a staff member may be allowed to do.
type Right string

const (
	RightTopUp       Right = "top_up"
	RightCheckout    Right = "checkout"
	RightCashOut     Right = "cash_out"
	RightTransfer    Right = "transfer"
	RightPaidInOut   Right = "paid_in_out"
	RightReverse     Right = "reverse"
	RightRefund      Right = "refund"
	RightCloseDay    Right = "close_day"
	RightPastTotals  Right = "past_totals" // see totals of days before today, and the audit log (the Audit tab)
	RightExport      Right = "export"
	RightManageStaff Right = "manage_staff"
	RightSettings    Right = "settings"
	RightClients     Right = "clients"  // create and edit clients
	RightBookings    Right = "bookings" // cancel bookings
	// RightCredit sets how far below zero a client's deposit may go: that is
	// lending the business's money, so it is a manager's call, not the desk's.
	RightCredit Right = "credit"
	// RightQuit leaves the full-screen desk for the terminal it runs on: on
	// a shared terminal that is the owner's shell, so not for everyone.
	RightQuit Right = "quit"
	// RightChain sees the chain's reports: every location's books, from the
	// central database.
	RightChain Right = "chain"
	// RightSyncAdmin re-applies and resolves payment provider events: a
	// retry can post money, and a resolve closes a flag for good.
	RightSyncAdmin Right = "sync_admin"
	// RightCatalog adds, edits and deactivates the service and product list
	// (its prices are what the desk charges by default).
	RightCatalog Right = "catalog"
	// RightDiscount gives a discount at checkout (per line or per visit):
	// money the business does not take, so a manager's call.
	RightDiscount Right = "discount"
)

// Description is the right in words, for "may not <description>".
func (r Right) Description() string {
	switch r {
	case RightTopUp:
		return "take deposits (top up)"
	case RightCheckout:
		return "check out"
	case RightCashOut:
		return "cash out a deposit"
	case RightTransfer:
		return "transfer between registers"
	case RightPaidInOut:
		return "pay in or pay out"
	case RightReverse:
		return "reverse operations"
	case RightRefund:
		return "refund bookings"
	case RightCloseDay:
		return "close the day"
	case RightPastTotals:
		return "see past days' totals"
	case RightExport:
		return "export"
	case RightManageStaff:
		return "manage staff"
	case RightSettings:
		return "change settings"
	case RightClients:
		return "create or edit clients"
	case RightBookings:
		return "cancel bookings"
	case RightCredit:
		return "set client credit limits"
	case RightQuit:
		return "quit the desk (ctrl+l locks it)"
	case RightChain:
		return "see the chain's reports"
	case RightSyncAdmin:
		return "retry or resolve payment sync events"
	case RightCatalog:
		return "edit the service and product list"
	case RightDiscount:
		return "give discounts"
	}
	return string(r)
}

// AllRights lists every right in display order.
func AllRights() []Right {
	return []Right{RightTopUp, RightCheckout, RightCashOut, RightTransfer, RightPaidInOut, RightReverse,
		RightRefund, RightCloseDay, RightPastTotals, RightExport, RightManageStaff, RightSettings,
		RightClients, RightBookings, RightCredit, RightQuit, RightChain, RightSyncAdmin, RightCatalog, RightDiscount}
}

// RoleRights is what one role may do, and which registers it may use
// (empty Registers means all).
type RoleRights struct {
	Rights    []Right  `json:"rights" toml:"rights"`
	Registers []string `json:"registers" toml:"registers"`
}

// Rights is the rights table: role -> rights. It comes from config with
// DefaultRights filling whatever config leaves out.
type Rights map[Role]RoleRights

// Actor is who is doing something. The Owner actor (the OS user who owns the
// database file, acting through the CLI without --as) holds every right.
type Actor struct {
	Staff string
	Role  Role
	// Session is the login this actor came from (see sessions.go); 0 for
	// actors that are not a PIN login (the owner, the payment sync).
	Session uint64
}

// SystemActor is the payment sync worker: it posts provider events.
func SystemActor() Actor { return Actor{Staff: "stripe", Role: RoleAdmin} }

// OwnerActor is the database file's owner acting from the CLI.
func OwnerActor(name string) Actor { return Actor{Staff: name, Role: RoleAdmin} }
