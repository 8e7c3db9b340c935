package bookings

// Unsaved names the open cancellation or refund the person typed into
// (esc from its review only goes back to the form).
func (m *Model) Unsaved(esc bool) string {
	if m.form == nil || m.ovr.Active() || m.pend.Busy() || (esc && m.pend.Active()) {
		return ""
	}
	if !m.form.Dirty() && !m.pend.Active() {
		return ""
	}
	if m.formKind == formRefund {
		return "this refund"
	}
	return "this cancellation"
}
