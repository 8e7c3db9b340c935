package tui

import "testing"

// BenchmarkView measures one frame of the busiest screens (budget: p99 < 4 ms).
func BenchmarkView(b *testing.B) {
	for _, tab := range []string{"1", "2", "4", "7"} {
		b.Run("tab"+tab, func(b *testing.B) {
			h := newHarness(b, goldenBooks(b), Deps{SyncConfigured: true}, 120, 40)
			h.enter(owner)
			h.press(tab)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = h.m.View()
			}
		})
	}
}
