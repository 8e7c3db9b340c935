package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestReceiptSettings(t *testing.T) {
	getenv, home := env(t)
	p := writeFile(t, 0o600, "[receipt]\nwidth = 32\nqueue = \"till\"\ndir = \"~/receipts\"\nheader = [\"Rua das Flores 12\"]\nfooter = [\"Thank you!\"]\n")
	c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p}})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Receipt
	if r.Width != 32 || r.Queue != "till" || r.Device != "" || r.Dir != filepath.Join(home, "receipts") ||
		len(r.Header) != 1 || r.Footer[0] != "Thank you!" {
		t.Errorf("receipt %+v", r)
	}
	for body, says := range map[string]string{
		"[receipt]\nwidth = 40\n":                                      "width must be 32, 42 or 48",
		"[receipt]\ndevice = \"/dev/lp0\"\nqueue = \"q\"\n":            "both a device and a queue",
		"[receipt]\nqueue = \"-o x\"\n":                                "not a CUPS queue name",
		"[receipt]\nfooter = [" + strings.Repeat("\"x\",", 11) + "]\n": "at most 10 lines",
		"[receipt]\npaper = 80\n":                                      "unknown setting",
	} {
		_, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: writeFile(t, 0o600, body)}})
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%q: %v, want %q", body, err, says)
		}
	}
}
