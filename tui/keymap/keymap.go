// Package keymap is the one place key bindings are declared, so the footer
// help and `?` always show what the keys actually do.
package keymap

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every binding. Screens pick the ones they use for help.
type KeyMap struct {
	// frame
	Quit      key.Binding
	ForceQuit key.Binding
	Help      key.Binding
	NextTab   key.Binding
	PrevTab   key.Binding
	Tab1      key.Binding // 1..9 jump to a tab
	Lock      key.Binding

	// lists and forms
	Up       key.Binding
	Down     key.Binding
	ListUp   key.Binding // the arrows alone: a list under a text field, where j and k are typed
	ListDown key.Binding
	PickUp   key.Binding // the login list beside the PIN field: the arrows or ctrl+p / ctrl+n
	PickDown key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Enter    key.Binding
	Back     key.Binding
	Filter   key.Binding
	NextFld  key.Binding
	PrevFld  key.Binding
	Left     key.Binding
	Right    key.Binding
	// a choice field (one of a few values): the arrows, h/l, space forward
	ChoicePrev key.Binding
	ChoiceNext key.Binding
	// the search field over a list: down to the list, or clear it
	FilterDone key.Binding
	Disconnect key.Binding // an SSH desk's login: leave without logging in
	Confirm    key.Binding
	Cancel     key.Binding
	Refresh    key.Binding
	Postings   key.Binding // in a confirmation: the ledger's postings / the words

	// clients and money actions
	New      key.Binding
	TopUp    key.Binding
	Checkout key.Binding
	CashOut  key.Binding
	Reverse  key.Binding
	NextPage key.Binding
	PrevPage key.Binding
	Edit     key.Binding

	// checkout
	WalkIn      key.Binding
	DeleteLine  key.Binding
	PickBooking key.Binding

	// finance
	DayBack    key.Binding
	DayFwd     key.Binding
	WeekBack   key.Binding
	WeekFwd    key.Binding
	MonthBack  key.Binding
	MonthFwd   key.Binding
	Today      key.Binding
	GoTo       key.Binding
	Export     key.Binding
	ExportSpan key.Binding
	Transfer   key.Binding
	PaidIn     key.Binding
	PaidOut    key.Binding
	CloseDay   key.Binding
	ZReport    key.Binding
	Chain      key.Binding // the chain view: every location's day

	// bookings, sync, staff
	CancelBooking key.Binding
	Refund        key.Binding
	RefundsDue    key.Binding
	Retry         key.Binding
	Add           key.Binding
	Disable       key.Binding
	ResetPIN      key.Binding

	// receipts: shown after a post, saved, printed
	Receipt      key.Binding
	SaveReceipt  key.Binding
	PrintReceipt key.Binding
}

// Default is the key map every session starts with.
func Default() *KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return &KeyMap{
		Quit:      b("q", "quit", "q"),
		ForceQuit: b("ctrl+c", "quit", "ctrl+c"),
		Help:      b("?", "all keys", "?"),
		NextTab:   b("tab", "next tab", "tab"),
		PrevTab:   b("shift+tab", "prev tab", "shift+tab"),
		Tab1:      b("1-7", "go to tab", "1", "2", "3", "4", "5", "6", "7"),
		Lock:      b("ctrl+l", "lock / switch user", "ctrl+l"),

		Up:         b("↑/k", "up", "up", "k"),
		Down:       b("↓/j", "down", "down", "j"),
		ListUp:     b("↑", "up", "up"),
		ListDown:   b("↓", "down", "down"),
		PickUp:     b("↑/ctrl+p", "previous", "up", "ctrl+p"),
		PickDown:   b("↓/ctrl+n", "next", "down", "ctrl+n"),
		PageUp:     b("pgup", "page up", "pgup"),
		PageDown:   b("pgdn", "page down", "pgdown"),
		Enter:      b("enter", "open", "enter"),
		Back:       b("esc", "back", "esc"),
		Filter:     b("/", "search", "/"),
		NextFld:    b("tab", "next field", "tab", "down"),
		PrevFld:    b("shift+tab", "prev field", "shift+tab", "up"),
		Left:       b("←", "previous", "left"),
		Right:      b("→", "next", "right"),
		ChoicePrev: b("←/h", "previous", "left", "h"),
		ChoiceNext: b("→/l/space", "next", "right", "l", " "),
		FilterDone: b("enter/↓", "to the list", "enter", "down", "tab"),
		Disconnect: b("ctrl+c", "disconnect", "ctrl+c"),
		Confirm:    b("y", "confirm", "y", "Y"),
		Cancel:     b("n/esc", "cancel", "n", "N", "esc"),
		Refresh:    b("ctrl+r", "refresh", "ctrl+r"),
		Postings:   b("p", "postings", "p"),

		New:      b("n", "new client", "n"),
		TopUp:    b("t", "top up", "t"),
		Checkout: b("c", "checkout", "c"),
		CashOut:  b("o", "cash out", "o"),
		Reverse:  b("r", "reverse op", "r"),
		NextPage: b("]", "older", "]", "pgdown"),
		PrevPage: b("[", "newer", "[", "pgup"),
		Edit:     b("E", "edit", "E"),

		WalkIn:      b("ctrl+w", "walk-in", "ctrl+w"),
		DeleteLine:  b("ctrl+d", "delete line", "ctrl+d"),
		PickBooking: b("ctrl+b", "booking", "ctrl+b"),

		DayBack:    b("←/h", "day back", "left", "h"),
		DayFwd:     b("→/l", "day fwd", "right", "l"),
		WeekBack:   b("shift+←", "week back", "shift+left", "H"),
		WeekFwd:    b("shift+→", "week fwd", "shift+right", "L"),
		MonthBack:  b("[", "month back", "["),
		MonthFwd:   b("]", "month fwd", "]"),
		Today:      b("t", "today", "t"),
		GoTo:       b("g", "go to date", "g"),
		Export:     b("e", "export day", "e"),
		ExportSpan: b("E", "export range", "E"),
		Transfer:   b("m", "transfer", "m"),
		PaidIn:     b("i", "paid in", "i"),
		PaidOut:    b("o", "paid out", "o"),
		CloseDay:   b("C", "close day", "C"),
		ZReport:    b("z", "Z-report", "z"),
		Chain:      b("v", "chain view", "v"),

		CancelBooking: b("x", "cancel booking", "x"),
		Refund:        b("R", "refund", "R"),
		RefundsDue:    b("f", "refunds due / all", "f"),
		Retry:         b("r", "retry", "r"),
		Add:           b("a", "add", "a"),
		Disable:       b("d", "disable / enable", "d"),
		ResetPIN:      b("p", "reset PIN", "p"),

		Receipt:      b("p", "receipt", "p"),
		SaveReceipt:  b("s", "save txt+pdf", "s"),
		PrintReceipt: b("P", "print", "P"),
	}
}

// Relabel is b with other help words: one key doing the screen's own thing
// (enter "approve", esc "clear") still matches through the same binding.
func Relabel(b key.Binding, help, desc string) key.Binding {
	b.SetHelp(help, desc)
	return b
}

// EnterFor is Enter helped as what it does on this screen.
func (k *KeyMap) EnterFor(desc string) key.Binding { return Relabel(k.Enter, "enter", desc) }

// BackFor is Back (esc) helped as what it does on this screen.
func (k *KeyMap) BackFor(desc string) key.Binding { return Relabel(k.Back, "esc", desc) }
