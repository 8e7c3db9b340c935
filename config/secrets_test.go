package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// notPrinted fails t if any secret shows in c's String, %v/%+v or its log.
func notPrinted(t *testing.T, c *Config, secrets ...string) {
	t.Helper()
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("start", "config", c)
	for _, out := range []string{c.String(), fmt.Sprintf("%v %+v", c, c), logged.String()} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("secret printed: %s", out)
			}
		}
	}
}

// refusal is a config file Load must refuse, saying want.
type refusal struct {
	name string
	mode uint32
	body string
	want string
}

// refused checks each file is refused as ErrInvalid naming its want, with
// no secret in the error.
func refused(t *testing.T, cases []refusal, secrets ...string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			getenv, _ := env(t)
			_, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: writeFile(t, os.FileMode(tc.mode), tc.body)}})
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks a secret: %v", err)
				}
			}
		})
	}
}
