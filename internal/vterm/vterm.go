// Package vterm is just enough of a terminal to know what a Bubble Tea
// screen shows to someone looking at it: a grid that follows the cursor
// moves and erases the renderer sends. Reading the raw byte stream is not
// enough, since an unchanged line is not sent again and a changed one may
// be sent in pieces between escape sequences. The SSH desk tests and the
// crash harness read the desk's screen through it.
package vterm

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Term is the screen. It is not safe for concurrent use.
type Term struct {
	w, h     int
	grid     [][]rune
	row, col int
	pending  []byte // an escape sequence or rune cut by a read
}

// New is a blank w×h screen with the cursor at the top left.
func New(w, h int) *Term {
	t := &Term{w: w, h: h, grid: make([][]rune, h)}
	for i := range t.grid {
		t.grid[i] = []rune(strings.Repeat(" ", w))
	}
	return t
}

func (t *Term) erase(row, from, to int) {
	for c := max(from, 0); c < min(to, t.w); c++ {
		t.grid[row][c] = ' '
	}
}

// Write applies what a program sent to its terminal; a sequence cut at the
// end waits for the next write. It never fails.
func (t *Term) Write(p []byte) (int, error) {
	b := append(t.pending, p...)
	t.pending = nil
	for len(b) > 0 {
		switch c := b[0]; {
		case c == 0x1b:
			n := t.escape(b)
			if n == 0 { // incomplete: wait for the rest
				t.pending = append([]byte(nil), b...)
				return len(p), nil
			}
			b = b[n:]
		case c == '\r':
			t.col, b = 0, b[1:]
		case c == '\n':
			t.row, b = min(t.row+1, t.h-1), b[1:]
		case c < 0x20:
			b = b[1:]
		default:
			r, n := utf8.DecodeRune(b)
			if r == utf8.RuneError && !utf8.FullRune(b) {
				t.pending = append([]byte(nil), b...)
				return len(p), nil
			}
			if t.col < t.w {
				t.grid[t.row][t.col] = r
				t.col++
			}
			b = b[n:]
		}
	}
	return len(p), nil
}

// escape applies one escape sequence and returns its length (0: incomplete).
func (t *Term) escape(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '[':
		i := 2
		for i < len(b) && (b[i] < 0x40 || b[i] > 0x7e) {
			i++
		}
		if i == len(b) {
			return 0
		}
		params := string(b[2:i])
		var nums []int
		for _, f := range strings.Split(strings.TrimLeft(params, "?<>="), ";") {
			n, _ := strconv.Atoi(f)
			nums = append(nums, n)
		}
		arg := func(k, def int) int {
			if k < len(nums) && nums[k] > 0 {
				return nums[k]
			}
			return def
		}
		switch b[i] {
		case 'A':
			t.row = max(t.row-arg(0, 1), 0)
		case 'B':
			t.row = min(t.row+arg(0, 1), t.h-1)
		case 'C':
			t.col = min(t.col+arg(0, 1), t.w)
		case 'D':
			t.col = max(t.col-arg(0, 1), 0)
		case 'H', 'f':
			t.row, t.col = min(arg(0, 1), t.h)-1, min(arg(1, 1), t.w)-1
		case 'J':
			switch arg(0, 0) {
			case 0:
				t.erase(t.row, t.col, t.w)
				for r := t.row + 1; r < t.h; r++ {
					t.erase(r, 0, t.w)
				}
			case 2, 3:
				for r := 0; r < t.h; r++ {
					t.erase(r, 0, t.w)
				}
			}
		case 'K':
			switch arg(0, 0) {
			case 0:
				t.erase(t.row, t.col, t.w)
			case 1:
				t.erase(t.row, 0, t.col+1)
			case 2:
				t.erase(t.row, 0, t.w)
			}
		}
		return i + 1
	case ']', 'P', '_':
		for i := 2; i < len(b); i++ {
			if b[i] == 0x07 {
				return i + 1
			}
			if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '\\' {
				return i + 2
			}
		}
		return 0
	case '(', ')':
		if len(b) < 3 {
			return 0
		}
		return 3
	}
	return 2
}

// String is the screen as text, one line a row, trailing blanks trimmed.
func (t *Term) String() string {
	lines := make([]string, t.h)
	for i, r := range t.grid {
		lines[i] = strings.TrimRight(string(r), " ")
	}
	return strings.Join(lines, "\n")
}

// Screen is a Term fed in the background by what a program sends to its
// terminal (an SSH session's output), safe to read while it changes.
type Screen struct {
	mu   sync.Mutex
	term *Term
	done chan struct{}
}

// Attach starts reading out onto a blank w×h screen until out ends. The
// first time the program asks for the terminal's device attributes (a
// Bubble Tea renderer does when it starts, and waits for the answer before
// drawing), in gets what a real terminal would say: a dark background, a
// VT220.
func Attach(out io.Reader, in io.Writer, w, h int) *Screen {
	s := &Screen{term: New(w, h), done: make(chan struct{})}
	go s.read(out, in)
	return s
}

func (s *Screen) read(out io.Reader, in io.Writer) {
	defer close(s.done)
	buf := make([]byte, 16<<10)
	var seen []byte
	answered := false
	for {
		n, err := out.Read(buf)
		s.mu.Lock()
		_, _ = s.term.Write(buf[:n])
		s.mu.Unlock()
		if !answered {
			seen = append(seen, buf[:n]...)
			if bytes.Contains(seen, []byte("\x1b[c")) {
				answered = true
				_, _ = io.WriteString(in, "\x1b]11;rgb:0000/0000/0000\x07\x1b[?62;c")
			}
		}
		if err != nil {
			return
		}
	}
}

// String is what the screen shows now.
func (s *Screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.term.String()
}

// Done is closed once the program's output has ended.
func (s *Screen) Done() <-chan struct{} { return s.done }
