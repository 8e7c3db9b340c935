package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"

	"github.com/paydesk/paydesk/finance"
)

// Path is the config file a saved setting goes to: the file read, else the
// one Load looked for.
func (c *Config) Path() (string, error) {
	if c.File != "" {
		return c.File, nil
	}
	if c.path != "" {
		return c.path, nil
	}
	return "", fmt.Errorf("%w: no config file and no config folder; pass --config", ErrInvalid)
}

// SaveWebhookSecret sets stripe.webhook_secret in the TOML config file,
// written private to its owner (0600) through a temp file and a rename, so
// a crash never leaves half a config.
func SaveWebhookSecret(path, secret string) error {
	doc := map[string]any{}
	if raw, err := os.ReadFile(path); err == nil {
		if _, err := toml.Decode(string(raw), &doc); err != nil {
			return fmt.Errorf("%w: config file %s: %v", finance.ErrInvalid, path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	section, _ := doc["stripe"].(map[string]any)
	if section == nil {
		section = map[string]any{}
	}
	section["webhook_secret"] = secret
	doc["stripe"] = section
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.toml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
