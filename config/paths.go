package config

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/bojanz/currency"

	"github.com/paydesk/paydesk/finance"
)

// dirs are the XDG base directories paydesk keeps its files under.
type dirs struct {
	home, config, data, state string
}

// userDirs follows the XDG base directory spec on Linux and the BSDs (an
// XDG_*_HOME must be absolute to count); elsewhere it uses the platform's
// config dir and keeps data and state beside it.
func userDirs(getenv func(string) string) (dirs, error) {
	home := getenv("HOME")
	if home == "" && runtime.GOOS == "windows" {
		home = getenv("USERPROFILE")
	}
	xdg := func(name, fallback string) (string, error) {
		if v := getenv(name); filepath.IsAbs(v) {
			return v, nil
		}
		if home == "" {
			return "", fmt.Errorf("%w: neither $%s nor $HOME is set; pass --db and --config", ErrInvalid, name)
		}
		return filepath.Join(home, fallback), nil
	}
	var d dirs
	var err error
	d.home = home
	switch runtime.GOOS {
	case "darwin", "windows", "ios", "plan9":
		if d.config, err = os.UserConfigDir(); err != nil {
			return d, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		d.data, d.state = d.config, d.config
		return d, nil
	}
	if d.config, err = xdg("XDG_CONFIG_HOME", ".config"); err != nil {
		return d, err
	}
	if d.data, err = xdg("XDG_DATA_HOME", filepath.Join(".local", "share")); err != nil {
		return d, err
	}
	if d.state, err = xdg("XDG_STATE_HOME", filepath.Join(".local", "state")); err != nil {
		return d, err
	}
	return d, nil
}

// MachineSetup guesses a new location's defaults from the machine: locale and
// country from LC_ALL/LC_MESSAGES/LANG, the currency of that country, and the
// time zone from TZ or /etc/localtime. Without clues it falls back to en, US,
// USD and UTC; first-run setup shows all of it for the owner to correct.
func MachineSetup(getenv func(string) string) Setup {
	if getenv == nil {
		getenv = os.Getenv
	}
	d := finance.SetupDefaults(finance.Settings{Location: "My salon", TimeZone: machineZone(getenv)})
	s := Setup{
		Location:       d.Location,
		Currency:       d.Currency,
		Locale:         d.Locale,
		TimeZone:       d.TimeZone,
		PhoneRegion:    d.PhoneRegion,
		Registers:      d.Registers,
		OnlineRegister: d.OnlineRegID,
		BankRegister:   d.BankRegID,
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		lang, region, ok := parsePOSIXLocale(getenv(name))
		if !ok {
			continue
		}
		s.Locale = lang
		if region != "" {
			s.Locale = lang + "-" + region
			s.PhoneRegion = region
			if cur, ok := currency.ForCountryCode(region); ok {
				s.Currency = cur
			}
		}
		break
	}
	return s
}

// parsePOSIXLocale reads "uk_UA.UTF-8" as ("uk", "UA"); C and POSIX say nothing.
func parsePOSIXLocale(v string) (lang, region string, ok bool) {
	if i := strings.IndexAny(v, ".@"); i >= 0 {
		v = v[:i]
	}
	if v == "" || v == "C" || v == "POSIX" {
		return "", "", false
	}
	lang, region, _ = strings.Cut(v, "_")
	if len(lang) < 2 || len(lang) > 3 {
		return "", "", false
	}
	if len(region) != 2 {
		region = ""
	}
	return strings.ToLower(lang), strings.ToUpper(region), true
}

func machineZone(getenv func(string) string) string {
	if tz := strings.TrimPrefix(getenv("TZ"), ":"); tz != "" {
		if _, err := time.LoadLocation(tz); err == nil && tz != "Local" {
			return tz
		}
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if i := strings.Index(target, "zoneinfo/"); i >= 0 {
			tz := target[i+len("zoneinfo/"):]
			if _, err := time.LoadLocation(tz); err == nil {
				return tz
			}
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		tz := strings.TrimSpace(string(b))
		if _, err := time.LoadLocation(tz); err == nil && tz != "" {
			return tz
		}
	}
	return "UTC"
}
