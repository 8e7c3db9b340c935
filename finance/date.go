package finance

import (
	"time"
)

const dateLayout = "2006-01-02"

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return "", errf(ErrInvalid, "date %q is not YYYY-MM-DD", s)
	}
	return Date(t.Format(dateLayout)), nil
}

// DateOf is the business date of an instant in a location.
func DateOf(t time.Time, loc *time.Location) Date {
	return Date(t.In(loc).Format(dateLayout))
}

// Time is the date's midnight in loc. An invalid date gives the zero time.
func (d Date) Time(loc *time.Location) time.Time {
	t, err := time.ParseInLocation(dateLayout, string(d), loc)
	if err != nil {
		return time.Time{}
	}
	return t
}

// AddDays moves the date by n calendar days.
func (d Date) AddDays(n int) Date {
	t, err := time.Parse(dateLayout, string(d))
	if err != nil {
		return d
	}
	return Date(t.AddDate(0, 0, n).Format(dateLayout))
}

// AddMonths moves the date by n calendar months (clamped by time.AddDate's rules).
func (d Date) AddMonths(n int) Date {
	t, err := time.Parse(dateLayout, string(d))
	if err != nil {
		return d
	}
	return Date(t.AddDate(0, n, 0).Format(dateLayout))
}

func (d Date) String() string { return string(d) }
