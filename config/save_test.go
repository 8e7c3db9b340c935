package config

import (
	"os"
	"path/filepath"
	"testing"
)

// stripe setup saves the webhook secret into the file the config came from
// (or would have): the other settings stay, the secret reads back, and the
// file is the owner's alone.
func TestSaveWebhookSecretKeepsTheRestAndIsPrivate(t *testing.T) {
	t.Parallel()
	getenv, home := env(t)
	c, err := Load(Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	path, err := c.Path()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".config", "paydesk", "config.toml"); path != want {
		t.Fatalf("path %q, want %q", path, want)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("log_level = \"debug\"\n[stripe]\nsecret_key = \"sk_test_x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SaveWebhookSecret(path, "whsec_new"); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o, want 0600", info.Mode().Perm())
	}
	c, err = Load(Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if c.StripeWebhookSecret.Reveal() != "whsec_new" || c.StripeSecretKey.Reveal() != "sk_test_x" || c.LogLevel != "debug" {
		t.Fatalf("read back: webhook %q, key %q, log level %q", c.StripeWebhookSecret.Reveal(), c.StripeSecretKey.Reveal(), c.LogLevel)
	}
	if p, _ := c.Path(); p != path {
		t.Fatalf("path after saving %q, want %q", p, path)
	}
}
