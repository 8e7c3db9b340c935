package common

import "strconv"

// Count writes a number with its noun, singular for one: "1 posting",
// "3 postings". many is the plural, given whole because English plurals are
// not all an added s ("1 entry", "2 entries").
func Count(n int, one, many string) string {
	if n == 1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}
