package ledger

// Unsaved names the register action or day close the person typed into.
// Esc from a review, or from the close's second step (back to the count),
// keeps the work, so esc asks only where it throws it away.
func (m *Model) Unsaved(esc bool) string {
	if m.ovr.Active() || m.pend.Busy() || (esc && m.pend.Active()) {
		return ""
	}
	if m.closeActive() {
		if esc && m.cl.form != nil {
			return ""
		}
		if m.pend.Active() || m.cl.form != nil || m.cl.count.typed() {
			return "this day close"
		}
		return ""
	}
	if m.form == nil || (!m.form.Dirty() && !m.pend.Active()) {
		return ""
	}
	switch m.action {
	case actTransfer:
		return "this transfer"
	case actPaidIn:
		return "this paid-in"
	case actPaidOut:
		return "this paid-out"
	}
	return ""
}

// typed reports whether anything of the count was typed.
func (d *drawerCount) typed() bool {
	if d == nil {
		return false
	}
	for _, s := range d.cells {
		if s != "" {
			return true
		}
	}
	return false
}
