package vterm

import "testing"

func TestScreen(t *testing.T) {
	tests := []struct {
		name   string
		w      int
		writes []string
		want   string
	}{
		{"plain lines", 12, []string{"one\r\ntwo"}, "one\ntwo\n"},
		{"styles are not text", 12, []string{"\x1b[1;38;5;42mbold\x1b[0m green"}, "bold green\n\n"},
		{"an unchanged line stays, a changed one is rewritten", 12,
			[]string{"head\r\nold status\r\n", "\x1b[1A\rnew\x1b[K"}, "head\nnew\n"},
		{"cursor home and clear", 12, []string{"junk\r\nmore", "\x1b[2J\x1b[1;1Hclean"}, "clean\n\n"},
		{"a sequence cut between writes", 12, []string{"a\x1b[3", "8;5;1mb"}, "ab\n\n"},
		{"a rune cut between writes", 12, []string{"\xe2\x82", "\xac12"}, "€12\n\n"},
		{"OSC titles are not text", 12, []string{"\x1b]2;title\x07x"}, "x\n\n"},
		{"erase to the end of the screen", 12, []string{"aaa\r\nbbb\r\nccc", "\x1b[2;2H\x1b[J"}, "aaa\nb\n"},
		{"no writing past the right edge", 5, []string{"abcdefgh"}, "abcde\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := New(tt.w, 3)
			for _, w := range tt.writes {
				if n, err := term.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write: %d %v", n, err)
				}
			}
			if got := term.String(); got != tt.want {
				t.Errorf("screen %q, want %q", got, tt.want)
			}
		})
	}
}
