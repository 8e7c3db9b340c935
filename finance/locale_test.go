package finance_test

import (
	"errors"
	"testing"

	"github.com/paydesk/paydesk/finance"
)

func TestValidLocale(t *testing.T) {
	for _, tt := range []struct {
		locale string
		ok     bool
	}{
		{"en", true}, {"uk", true}, {"pt-BR", true}, {"de_DE", true}, {" en-US ", true}, {"sr-Latn-RS", true},
		{"", false}, {"xx", false}, {"Europe/Kyiv", false}, {"und", false}, {"C", false}, {"english", false},
	} {
		err := finance.ValidLocale(tt.locale)
		if (err == nil) != tt.ok {
			t.Errorf("ValidLocale(%q) = %v, want ok=%v", tt.locale, err, tt.ok)
		}
		if err != nil && !errors.Is(err, finance.ErrInvalid) {
			t.Errorf("ValidLocale(%q) = %v, want ErrInvalid", tt.locale, err)
		}
	}
}
