package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// env builds a Getenv over a map, rooted in a temp home so nothing real is read.
func env(t *testing.T, kv ...string) (func(string) string, string) {
	t.Helper()
	home := t.TempDir()
	m := map[string]string{"HOME": home, "LANG": "C"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }, home
}

func writeFile(t *testing.T, mode os.FileMode, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return p
}

func TestDefaultsFollowXDG(t *testing.T) {
	getenv, home := env(t)
	c, err := Load(Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"db":       filepath.Join(home, ".local/share/paydesk/paydesk.db"),
		"log":      filepath.Join(home, ".local/state/paydesk/paydesk.log"),
		"keys":     filepath.Join(home, ".config/paydesk/authorized_keys"),
		"webhook":  "127.0.0.1:8085",
		"ssh":      "127.0.0.1:2222",
		"loglevel": "info",
	}
	got := map[string]string{"db": c.DB, "log": c.LogFile, "keys": c.AuthorizedKeys,
		"webhook": c.WebhookAddr, "ssh": c.SSHAddr, "loglevel": c.LogLevel}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if c.File != "" {
		t.Errorf("File = %q with no config file present", c.File)
	}
	if len(c.Setup.Registers) != 4 || c.Setup.Registers[0].Name != "Cash drawer" || c.Setup.Registers[2].Kind != finance.RegisterOnline {
		t.Errorf("default registers = %+v", c.Setup.Registers)
	}

	getenv, _ = env(t, "XDG_DATA_HOME", "/srv/data", "XDG_STATE_HOME", "/srv/state", "XDG_CONFIG_HOME", "relative/ignored")
	c, err = Load(Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/srv/data/paydesk/paydesk.db" || c.LogFile != "/srv/state/paydesk/paydesk.log" {
		t.Errorf("XDG dirs ignored: db %q log %q", c.DB, c.LogFile)
	}
	if !strings.HasSuffix(c.AuthorizedKeys, ".config/paydesk/authorized_keys") {
		t.Errorf("a relative XDG_CONFIG_HOME must be ignored, got %q", c.AuthorizedKeys)
	}
}

func TestPrecedenceFileEnvFlags(t *testing.T) {
	p := writeFile(t, 0o600, `
db = "/from/file.db"
log_level = "debug"
webhook_addr = "127.0.0.1:9000"
poll_interval = "2m"
idle_lock_minutes = 10
`)
	getenv, _ := env(t, "PAYDESK_WEBHOOK_ADDR", "127.0.0.1:9001", "PAYDESK_LOG_LEVEL", "warn")
	c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p, LogLevel: "error"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.File != p || c.DB != "/from/file.db" {
		t.Errorf("file not applied: %+v", c)
	}
	if c.WebhookAddr != "127.0.0.1:9001" {
		t.Errorf("env must override file: webhook %q", c.WebhookAddr)
	}
	if c.LogLevel != "error" {
		t.Errorf("flag must override env: level %q", c.LogLevel)
	}
	if c.PollInterval != 2*time.Minute || c.IdleLock != 10*time.Minute {
		t.Errorf("poll %s idle %s", c.PollInterval, c.IdleLock)
	}

	// PAYDESK_CONFIG names the file when --config does not.
	getenv, _ = env(t, "PAYDESK_CONFIG", p)
	if c, err = Load(Options{Getenv: getenv}); err != nil || c.DB != "/from/file.db" {
		t.Fatalf("PAYDESK_CONFIG: %v %+v", err, c)
	}
	getenv, _ = env(t, "PAYDESK_CONFIG", p, "PAYDESK_DB", "/env.db")
	if c, err = Load(Options{Getenv: getenv, Overrides: Overrides{DB: "/flag.db"}}); err != nil || c.DB != "/flag.db" {
		t.Fatalf("--db over PAYDESK_DB: %v %+v", err, c)
	}
}

func TestSetupAndRights(t *testing.T) {
	p := writeFile(t, 0o644, `
[setup]
location = "Studio Mila"
currency = "UAH"
locale = "uk"
time_zone = "Europe/Kyiv"
phone_region = "UA"

[[setup.registers]]
id = "cash"
name = "Каса"
kind = "cash"
start_balance = 50000

[[setup.registers]]
id = "card"
name = "Термінал"
kind = "card"

[rights.desk]
rights = ["top_up", "checkout"]
registers = ["cash"]
`)
	getenv, _ := env(t)
	c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p}})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Setup.Settings()
	if s.Location != "Studio Mila" || s.Currency != "UAH" || s.TimeZone != "Europe/Kyiv" || len(s.Registers) != 2 {
		t.Errorf("settings %+v", s)
	}
	if s.Registers[0].StartBalance != 50000 || s.Registers[0].Name != "Каса" {
		t.Errorf("register %+v", s.Registers[0])
	}
	r := c.RightsTable()
	if got := r[finance.RoleDesk]; len(got.Rights) != 2 || len(got.Registers) != 1 {
		t.Errorf("desk rights not from config: %+v", got)
	}
	if len(r[finance.RoleAdmin].Rights) != len(finance.AllRights()) {
		t.Errorf("admin must keep the defaults: %+v", r[finance.RoleAdmin])
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name string
		mode os.FileMode
		body string
		env  []string
		want string
	}{
		{"secret readable by others", 0o644, "[stripe]\nsecret_key = \"sk_test_x\"\n", nil, "chmod 600"},
		{"webhook secret readable by group", 0o640, "[stripe]\nwebhook_secret = \"whsec_x\"\n", nil, "chmod 600"},
		{"bad toml has line", 0o600, "db = \"x\"\n\nlog_level = = \n", nil, "line 3"},
		{"wrong type", 0o600, "idle_lock_minutes = \"five\"\n", nil, "idle_lock_minutes"},
		{"unknown key", 0o600, "datbase = \"x\"\n", nil, "unknown setting(s) datbase"}, //nolint:misspell // the typo is the test
		{"bad level", 0o600, "log_level = \"loud\"\n", nil, "log level"},
		{"bad addr", 0o600, "ssh_addr = \"2222\"\n", nil, "ssh_addr"},
		{"short poll", 0o600, "poll_interval = \"10ms\"\n", nil, "poll_interval"},
		{"bad currency", 0o600, "[setup]\ncurrency = \"euro\"\n", nil, "currency"},
		{"bad zone", 0o600, "[setup]\ntime_zone = \"Mars/Base\"\n", nil, "time_zone"},
		{"bad kind", 0o600, "[[setup.registers]]\nid = \"x\"\nname = \"X\"\nkind = \"jar\"\n", nil, "kind \"jar\""},
		{"dup register", 0o600, "[[setup.registers]]\nid = \"x\"\nname = \"X\"\nkind = \"cash\"\n[[setup.registers]]\nid = \"X\"\nname = \"Y\"\nkind = \"card\"\n", nil, "appears twice"},
		{"unknown right", 0o600, "[rights.desk]\nrights = [\"fly\"]\n", nil, "unknown right \"fly\""},
		{"unknown role", 0o600, "[rights.boss]\nrights = [\"top_up\"]\n", nil, "unknown role \"boss\""},
		{"bad env duration", 0o600, "", []string{"PAYDESK_POLL_INTERVAL", "soon"}, "PAYDESK_POLL_INTERVAL"},
		{"bad env idle", 0o600, "", []string{"PAYDESK_IDLE_LOCK_MINUTES", "-1"}, "PAYDESK_IDLE_LOCK_MINUTES"},
		{"negative reason threshold", 0o600, "[close]\nreason_threshold = -1\n", nil, "reason_threshold"},
		{"unknown close key", 0o600, "[close]\nreopen = true\n", nil, "close.reopen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.mode, tt.body)
			getenv, _ := env(t, tt.env...)
			_, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p}})
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "sk_test_x") || strings.Contains(err.Error(), "whsec_x") {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}

	getenv, _ := env(t)
	if _, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: "/nonexistent/paydesk.toml"}}); err == nil {
		t.Error("an explicitly named missing config file must be an error")
	}
}

// A private file someone else owns is refused as a readable one is: its
// owner can change the secrets it holds.
func TestSecretFileOwnedByOtherUserIsRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown a file to another user")
	}
	for _, body := range []string{"[stripe]\nsecret_key = \"sk_test_x\"\n", "[replicate]\nurl = \"postgres://u:pw@127.0.0.1/db\"\n"} {
		p := writeFile(t, 0o600, body)
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		getenv, _ := env(t)
		_, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p}})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "owned by another user (uid 65534") {
			t.Fatalf("err = %v, want ErrInvalid naming the owner", err)
		}
		if strings.Contains(err.Error(), "sk_test_x") || strings.Contains(err.Error(), "pw@") {
			t.Fatalf("error leaks the secret: %v", err)
		}
	}
	// Without a secret, whose file it is does not matter.
	p := writeFile(t, 0o644, "log_level = \"info\"\n")
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	getenv, _ := env(t)
	if _, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p}}); err != nil {
		t.Fatal(err)
	}
}

func TestSecretFromPrivateFileAndEnv(t *testing.T) {
	p := writeFile(t, 0o600, "[stripe]\nsecret_key = \"sk_test_file\"\nwebhook_secret = \"whsec_file\"\n")
	getenv, _ := env(t, "STRIPE_WEBHOOK_SECRET", "whsec_env")
	c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p}})
	if err != nil {
		t.Fatal(err)
	}
	if c.StripeSecretKey.Reveal() != "sk_test_file" || c.StripeWebhookSecret.Reveal() != "whsec_env" {
		t.Errorf("secrets: %q %q", c.StripeSecretKey.Reveal(), c.StripeWebhookSecret.Reveal())
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("start", "config", c, "key", c.StripeSecretKey)
	for _, out := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c.StripeSecretKey, c.StripeWebhookSecret), logged.String()} {
		if strings.Contains(out, "sk_test_file") || strings.Contains(out, "whsec_env") {
			t.Errorf("secret printed: %s", out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("no redaction marker in %s", out)
		}
	}
}

func TestMachineSetup(t *testing.T) {
	tests := []struct {
		lang                     string
		locale, region, currency string
	}{
		{"uk_UA.UTF-8", "uk-UA", "UA", "UAH"},
		{"pt_BR.UTF-8", "pt-BR", "BR", "BRL"},
		{"de_DE@euro", "de-DE", "DE", "EUR"},
		{"C", "en", "US", "USD"},
		{"", "en", "US", "USD"},
	}
	for _, tt := range tests {
		s := MachineSetup(func(k string) string {
			if k == "LANG" {
				return tt.lang
			}
			if k == "TZ" {
				return "Europe/Kyiv"
			}
			return ""
		})
		if s.Locale != tt.locale || s.PhoneRegion != tt.region || s.Currency != tt.currency || s.TimeZone != "Europe/Kyiv" {
			t.Errorf("LANG=%q: got %s %s %s %s", tt.lang, s.Locale, s.PhoneRegion, s.Currency, s.TimeZone)
		}
	}
}

// A bad value typed on the command line or in the environment is blamed on
// the flag or variable, not on a config file that never held it.
func TestRefusalsNameWhereTheValueCameFrom(t *testing.T) {
	p := writeFile(t, 0o600, "log_level = \"info\"\n")
	tests := []struct {
		name      string
		env       []string
		overrides Overrides
		want      string
	}{
		{"flag level", nil, Overrides{Config: p, LogLevel: "loud"}, "--log-level: log level \"loud\""},
		{"env level", []string{"PAYDESK_LOG_LEVEL", "loud"}, Overrides{Config: p}, "PAYDESK_LOG_LEVEL: log level \"loud\""},
		{"flag addr", nil, Overrides{Config: p, WebhookAddr: "8085"}, "--webhook-addr: webhook_addr \"8085\""},
		{"env addr", []string{"PAYDESK_SSH_ADDR", "2222"}, Overrides{Config: p}, "PAYDESK_SSH_ADDR: ssh_addr \"2222\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv, _ := env(t, tt.env...)
			_, err := Load(Options{Getenv: getenv, Overrides: tt.overrides})
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v blames the config file", err)
			}
		})
	}
}

func TestDeskSSHAndLogSettings(t *testing.T) {
	path := writeFile(t, 0o600, `log_max_size_mb = 2
log_max_files = 3

[desk]
kiosk = true

[ssh]
bind_keys = false
handshake_timeout = "10s"
max_unauthenticated = 8
`)
	getenv, _ := env(t)
	c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: path}})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Kiosk || c.SSHBindKeys || c.SSHHandshakeTimeout != 10*time.Second || c.SSHMaxUnauthenticated != 8 ||
		c.LogMaxSizeMB != 2 || c.LogMaxFiles != 3 {
		t.Fatalf("config %+v", c)
	}

	// Defaults: not a kiosk, keys bound, a deadline and a cap.
	d, err := Load(Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if d.Kiosk || !d.SSHBindKeys || d.SSHHandshakeTimeout != 30*time.Second || d.SSHMaxUnauthenticated != 32 ||
		d.LogMaxSizeMB != 10 || d.LogMaxFiles != 5 {
		t.Fatalf("defaults %+v", d)
	}

	// The environment turns kiosk mode on but never off.
	on, _ := env(t, "PAYDESK_KIOSK", "1")
	if c, err := Load(Options{Getenv: on}); err != nil || !c.Kiosk {
		t.Fatalf("PAYDESK_KIOSK=1: err %v", err)
	}
	off, _ := env(t, "PAYDESK_KIOSK", "false")
	if c, err := Load(Options{Getenv: off, Overrides: Overrides{Config: path}}); err != nil || !c.Kiosk {
		t.Fatalf("PAYDESK_KIOSK=false turned a kiosk file off: err %v", err)
	}

	for _, bad := range []string{"log_max_size_mb = 0", "[ssh]\nhandshake_timeout = \"10ms\"", "[ssh]\nmax_unauthenticated = 0"} {
		p := writeFile(t, 0o600, bad+"\n")
		if _, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err %v, want ErrInvalid", bad, err)
		}
	}
}

func TestCloseSettings(t *testing.T) {
	getenv, _ := env(t)
	d, err := Load(Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if d.Close != (finance.CloseRules{}) {
		t.Fatalf("default close rules %+v, want any difference to need a reason and no drawer rule", d.Close)
	}
	p := writeFile(t, 0o600, "[close]\nreason_threshold = 500\nrequire_closed_drawer = true\n")
	c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: p}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Close != (finance.CloseRules{ReasonThreshold: 500, RequireClosedDrawer: true}) {
		t.Fatalf("close rules %+v", c.Close)
	}
}
