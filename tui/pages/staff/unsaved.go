package staff

// Unsaved names the staff form the person typed into.
func (m *Model) Unsaved(esc bool) string {
	if m.form == nil || m.pend.Busy() || (esc && m.pend.Active()) {
		return ""
	}
	if !m.form.Dirty() && !m.pend.Active() {
		return ""
	}
	if m.formKind == formPIN {
		return "this new PIN"
	}
	return "this new staff member"
}
