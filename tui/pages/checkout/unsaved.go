package checkout

// Unsaved names the cart while it holds something: a line, a booking, a
// line half typed, or the pay step. Esc only steps back through the
// checkout and keeps the cart, so esc itself never asks.
func (m *Model) Unsaved(esc bool) string {
	if esc || m.step == stepReceipt || m.pend.Busy() {
		return ""
	}
	if len(m.lines) > 0 || m.booking >= 0 || m.step == stepPay || m.lineForm.Dirty() {
		return "this cart"
	}
	return ""
}
