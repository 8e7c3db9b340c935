package finance

import (
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

// cleanText trims s, turns control characters (escape sequences would repaint
// the terminal) into spaces and collapses runs of spaces. An over-long text
// is an error rather than silently cut, so nothing typed is lost unseen.
func cleanText(field, s string, max int) (string, error) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if n := utf8.RuneCountInString(s); n > max {
		return "", errf(ErrInvalid, "%s is %d characters long; at most %d", field, n, max)
	}
	return s, nil
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
