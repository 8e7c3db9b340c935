package finance

import (
	"strings"

	"golang.org/x/text/language"
)

// ValidLocale refuses what is not a known BCP 47 language tag ("en", "uk",
// "pt-BR"): formatting would quietly fall back to English for it, and the
// owner would never learn that the setting was a typo (a time zone typed one
// field too early, say).
func ValidLocale(locale string) error {
	id := strings.ReplaceAll(strings.TrimSpace(locale), "_", "-")
	if t, err := language.Parse(id); err != nil || t == language.Und {
		return errf(ErrInvalid, "unknown locale %q (use a language tag such as en, uk, de-DE or pt-BR)", locale)
	}
	return nil
}
