package finance

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NormalizePhone turns a phone number as typed into E.164, reading numbers
// without a country code as numbers of region (ISO 3166 alpha-2, "UA").
// Numbers libphonenumber does not consider valid are refused.
func NormalizePhone(typed, region string) (string, error) {
	s := strings.TrimSpace(typed)
	if s == "" {
		return "", errf(ErrInvalid, "phone is required")
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	n, err := phonenumbers.Parse(s, region)
	if errors.Is(err, phonenumbers.ErrTooShortNSN) {
		return "", errf(ErrInvalid, "%q is too short for a phone number", typed)
	}
	if err != nil {
		return "", errf(ErrInvalid, "%q is not a phone number", typed)
	}
	if r := phonenumbers.IsPossibleNumberWithReason(n); r == phonenumbers.TOO_SHORT || r == phonenumbers.IS_POSSIBLE_LOCAL_ONLY {
		return "", errf(ErrInvalid, "%q is too short for a phone number", typed)
	}
	if !phonenumbers.IsValidNumber(n) {
		if region != "" && !strings.HasPrefix(s, "+") {
			return "", errf(ErrInvalid, "%q is not a valid phone number in %s (add the country code if it is foreign)", typed, region)
		}
		return "", errf(ErrInvalid, "%q is not a valid phone number", typed)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// ValidPhoneRegion reports whether region is a region libphonenumber knows.
func ValidPhoneRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(strings.TrimSpace(region))) != 0
}
