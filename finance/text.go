package finance

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Caps on free text, so one pasted page cannot bloat every listing.
const (
	maxNameLen   = 100
	maxNoteLen   = 500
	maxReasonLen = 500
	maxEmailLen  = 254
)

// cleanText trims s, removes what a terminal would act on rather than print
// (stripTerminal) and collapses runs of spaces. An over-long text is an error
// rather than silently cut, so nothing typed is lost unseen.
func cleanText(field, s string, max int) (string, error) {
	s = stripTerminal(s)
	if n := utf8.RuneCountInString(s); n > max {
		return "", errf(ErrInvalid, "%s is %d characters long; at most %d", field, n, max)
	}
	return s, nil
}

// cutText is cleanText for text that arrives from outside (a webhook's
// metadata) where refusing would lose the money it came with: an over-long
// text is cut to max with "…", and note says so, for the event's flag.
func cutText(field, s string, max int) (out, note string) {
	s = stripTerminal(s)
	n := utf8.RuneCountInString(s)
	if n <= max {
		return s, ""
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…", fmt.Sprintf("%s was %d characters long, cut to %d", field, n, max)
}

// stripTerminal makes text safe to show on a terminal and in one line:
// escape sequences go whole (CSI such as colours and cursor moves, OSC such
// as window titles and hyperlinks, DCS and the other string controls, the
// two-character ones), the bidirectional embeddings, overrides and
// isolates go (they reorder what follows them, even past the field: a name
// could make an amount read backwards), other control characters and
// invalid UTF-8 become spaces, and runs of spaces one.
func stripTerminal(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b: // ESC
			i += size + escapeLen(s[i+size:])
			b.WriteByte(' ')
			continue
		case r == 0x9b: // CSI as one C1 character
			i += size + csiLen(s[i+size:])
			b.WriteByte(' ')
			continue
		case r == 0x90 || r == 0x9d || r == 0x98 || r == 0x9e || r == 0x9f: // DCS, OSC, SOS, PM, APC
			i += size + stringControlLen(s[i+size:])
			b.WriteByte(' ')
			continue
		case isBidiControl(r):
		case r == utf8.RuneError && size <= 1, unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// isBidiControl: U+202A-202E (embeddings, overrides, pop) and U+2066-2069
// (isolates). The marks (U+200E, U+200F) only give direction to neutral
// characters and stay.
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// escapeLen is how much of s, after an ESC, belongs to its sequence.
func escapeLen(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case '[':
		return 1 + csiLen(s[1:])
	case ']', 'P', 'X', '^', '_':
		return 1 + stringControlLen(s[1:])
	}
	if s[0] >= 0x20 && s[0] <= 0x2f { // intermediates, then a final byte
		n := 1
		for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
			n++
		}
		if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
			n++
		}
		return n
	}
	if s[0] >= 0x30 && s[0] <= 0x7e {
		return 1
	}
	return 0
}

// csiLen: parameter and intermediate bytes up to and with the final byte.
func csiLen(s string) int {
	for n := 0; n < len(s); n++ {
		c := s[n]
		switch {
		case c >= 0x40 && c <= 0x7e:
			return n + 1
		case c < 0x20 || c >= 0x7f:
			return n // not a CSI byte: the sequence was cut short
		}
	}
	return len(s)
}

// stringControlLen: up to and with the string terminator (BEL, ESC \ or
// the C1 ST); a string never terminated runs to the end.
func stringControlLen(s string) int {
	for n := 0; n < len(s); n++ {
		switch {
		case s[n] == 0x07:
			return n + 1
		case s[n] == 0x1b && n+1 < len(s) && s[n+1] == '\\':
			return n + 2
		case strings.HasPrefix(s[n:], "\u009c"):
			return n + len("\u009c")
		}
	}
	return len(s)
}

// requiredText is cleanText that refuses an empty result.
func requiredText(field, s string, max int) (string, error) {
	s, err := cleanText(field, s, max)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", errf(ErrInvalid, "%s is required", field)
	}
	return s, nil
}
