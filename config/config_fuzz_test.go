package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad: any config file, at mode 0600 or readable by others, loads into
// a valid Config or fails with ErrInvalid; never a panic. A file others can
// read that holds a Stripe secret never loads, and a secret never shows in
// what the Config prints.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"", "log_level = \"debug\"\n", "idle_lock_minutes = -1\n", "poll_interval = \"1ns\"\n",
		"[stripe]\nsecret_key = \"sk_live_abc\"\nwebhook_secret = \"whsec_x\"\n",
		"[setup]\ncurrency = \"UAH\"\nlocale = \"uk\"\ntime_zone = \"Europe/Kyiv\"\nphone_region = \"UA\"\ncredit_limit = -9223372036854775808\n",
		"[[setup.registers]]\nid = \"cash\"\nname = \"\\u001b[2J\"\nkind = \"cash\"\nstart_balance = 9223372036854775807\n",
		"[rights.desk]\nrights = [\"top_up\", \"fly\"]\nregisters = []\n",
		"db = \"~/x.db\"\nwebhook_addr = \"0.0.0.0:99999\"\n", "x = 1\n", "[setup\n", "log_level = 3\n",
		"db = \"\x00\"\n", strings.Repeat("[a]\n", 100),
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body string, othersRead bool) {
		getenv, _ := env(t)
		mode := os.FileMode(0o600)
		if othersRead {
			mode = 0o644
		}
		p := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p}})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load gave a config that does not validate: %v", err)
		}
		for _, s := range []Secret{c.StripeSecretKey, c.StripeWebhookSecret} {
			if !s.IsSet() {
				continue
			}
			if othersRead {
				t.Fatalf("a secret loaded from a file others can read")
			}
			if len(s.Reveal()) > 3 && strings.Contains(c.String(), s.Reveal()) {
				t.Fatalf("the config prints its secret: %s", c.String())
			}
		}
	})
}
