package finance

import (
	"strings"
	"testing"
)

func TestStripTerminal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Anna Koval", "Anna Koval"},
		{"  Anna \t Koval\n", "Anna Koval"},
		{"\x1b[31mRed\x1b[0m Anna", "Red Anna"},
		{"\x1b[2J\x1b[HAnna", "Anna"},
		{"\x1b]0;pwned\x07Anna", "Anna"},
		{"\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"\x1bPq#0;2;0;0;0\x1b\\Anna", "Anna"},
		{"\u009b31mAnna", "Anna"},
		{"\u009d0;title\u009cAnna", "Anna"},
		{"Anna\u202eanoK", "AnnaanoK"},
		{"\u2066Anna\u2069 \u202aKoval\u202c", "Anna Koval"},
		{"\x1b(BAnna", "Anna"},
		{"Anna\x07\x08\x7f", "Anna"},
		{"Ann\xffa", "Ann a"},
		{"Олена Коваль", "Олена Коваль"},
		{"مريم\u200f", "مريم\u200f"},
		{"\x1b]0;never ends", ""},
		{"a\x1b", "a"},
	}
	for _, tc := range tests {
		got := stripTerminal(tc.in)
		if got != tc.want {
			t.Errorf("stripTerminal(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.ContainsAny(got, "\x1b\x07\u009b\u009d\u202e\u2066") {
			t.Errorf("stripTerminal(%q) left a control: %q", tc.in, got)
		}
	}
}

func TestCutText(t *testing.T) {
	long := strings.Repeat("я", 10000)
	got, note := cutText("client_name", long, 100)
	if n := len([]rune(got)); n != 100 || !strings.HasSuffix(got, "…") {
		t.Fatalf("cut to %d runes: %q", n, got[:20])
	}
	if note != "client_name was 10000 characters long, cut to 100" {
		t.Fatalf("note %q", note)
	}
	if got, note := cutText("service", "\x1b[1mCut\x1b[0m", 100); got != "Cut" || note != "" {
		t.Fatalf("short text: %q %q", got, note)
	}
}
