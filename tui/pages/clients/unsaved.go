package clients

// Unsaved names the open form when leaving it loses what was typed: a form
// the person changed, or one whose review is open. Esc from the review only
// goes back to the form, so there esc asks nothing.
func (m *Model) Unsaved(esc bool) string {
	if m.form == nil || m.ovr.Active() || m.pend.Busy() || (esc && m.pend.Active()) {
		return ""
	}
	if !m.form.Dirty() && !m.pend.Active() {
		return ""
	}
	switch m.formKind {
	case formTopUp:
		return "this top-up"
	case formCashOut:
		return "this cash-out"
	case formReverse:
		return "this reversal"
	case formNewClient:
		return "this new client"
	case formEdit:
		return "these changes"
	}
	return ""
}
