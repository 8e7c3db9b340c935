// Package config reads paydesk's settings: defaults, then a TOML file, then
// the environment, then command-line flags, each overriding the one before.
// It holds secrets (Stripe keys), so a file carrying one must be private to
// its owner, and a Config never prints them.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/paydesk/paydesk/finance"
)

// ErrInvalid is wrapped by every error about a bad config file, variable or flag.
var ErrInvalid = errors.New("invalid configuration")

// Config is everything paydesk needs to start.
type Config struct {
	File string // the config file read ("" when none exists)
	path string // the file Load looked for: where a saved setting goes when File is ""

	DB             string        // bbolt database file
	LogLevel       string        // debug, info, warn, error
	LogFile        string        // where log/slog writes; never the terminal
	WebhookAddr    string        // Stripe webhook receiver, loopback by default
	SSHAddr        string        // paydesk serve's SSH server for other desks
	AuthorizedKeys string        // SSH keys mapped to staff names
	ExportDir      string        // where CSV exports go
	PollInterval   time.Duration // how often the Stripe events list is polled
	IdleLock       time.Duration // lock the screen after this long idle (0 = never)
	LogMaxSizeMB   int           // the log file rotates when it reaches this size
	LogMaxFiles    int           // rotated log files kept beside it

	// Kiosk: the terminal is shared by staff, so no CLI command acts as the
	// database's owner; every one needs --as NAME and that person's PIN.
	Kiosk bool

	// SSH: a key logs in only as the staff member it belongs to (BindKeys),
	// and connections that have not authenticated get a deadline and a cap.
	SSHBindKeys           bool
	SSHHandshakeTimeout   time.Duration
	SSHMaxUnauthenticated int
	SSHHideRoles          bool // the SSH PIN screen lists names without roles

	StripeSecretKey     Secret
	StripeWebhookSecret Secret
	// StripeAccount is the desk's own acct_ id: events naming another are refused.
	StripeAccount string
	// StripeReconcileEvery is how often serve reconciles the Stripe register
	// against Stripe's balance transactions (at start, then on this
	// interval; 0 = never). It needs the secret key.
	StripeReconcileEvery time.Duration

	// LiqPay ([liqpay]): on when both keys are set. Sandbox takes its test
	// payments as paid (a test desk only).
	LiqPayPublicKey  string
	LiqPayPrivateKey Secret
	LiqPaySandbox    bool
	// MonobankToken ([monobank] token): Monobank acquiring's X-Token; on when set.
	MonobankToken Secret
	// Viva ([viva]): on when all four are set; the API key and client
	// secret are secrets. VivaDemo uses Viva's demo environment.
	VivaMerchantID   string
	VivaAPIKey       Secret
	VivaClientID     string
	VivaClientSecret Secret
	VivaDemo         bool
	// Pix ([pix], PIX_*): the API Pix through a PSP and its mTLS receiver.
	Pix Pix

	Close  finance.CloseRules // [close]: the over/short reason threshold, the closed-drawer rule
	Limits finance.Limits     // [limits]: per-operation amount, registers allowed below zero, admin PIN length
	// ReplicateURL is the chain's central PostgreSQL (it may hold a
	// password); replication is off while it is empty.
	ReplicateURL      Secret
	ReplicateLocation string // this location's stable id there, e.g. "kyiv-podil"

	Backup Backup // [backup]: serve's daily backup

	Receipt Receipt // [receipt]: layout, folder and printer of receipts

	Setup  Setup          // what first-run setup and `paydesk init` start from
	Rights finance.Rights // what config says; RightsTable merges the defaults in

	// origin names the variable or flag that last set a setting (by its file
	// key), so a bad value is blamed on where it was typed, not on the file.
	origin map[string]string
}

// Backup is `paydesk serve`'s scheduled backup: once a day, at Hour (local
// time of the machine), a hot copy into Dir, keeping the newest Keep. Off
// while Dir is empty.
type Backup struct {
	Dir  string
	Hour int
	Keep int
}

// Setup holds the location defaults that first-run setup, `paydesk init` and
// `paydesk demo` write into a new database. Once a database is set up its
// stored finance.Settings win; these only seed new ones.
type Setup struct {
	Location       string             `toml:"location"`
	Currency       string             `toml:"currency"`
	Locale         string             `toml:"locale"`
	TimeZone       string             `toml:"time_zone"`
	PhoneRegion    string             `toml:"phone_region"`
	CreditLimit    int64              `toml:"credit_limit"` // minor units
	Registers      []finance.Register `toml:"registers"`
	OnlineRegister string             `toml:"online_register"`
	BankRegister   string             `toml:"bank_register"`
}

// Settings turns the setup defaults into the settings a new database stores.
func (s Setup) Settings() finance.Settings {
	return finance.Settings{
		Location:    s.Location,
		Currency:    s.Currency,
		Locale:      s.Locale,
		TimeZone:    s.TimeZone,
		PhoneRegion: s.PhoneRegion,
		Registers:   append([]finance.Register(nil), s.Registers...),
		CreditLimit: s.CreditLimit,
		OnlineRegID: s.OnlineRegister,
		BankRegID:   s.BankRegister,
	}
}

// DefaultRegisters are finance's four registers a new location starts with.
func DefaultRegisters() []finance.Register { return finance.DefaultRegisters() }

// RightsTable is the config's rights merged over finance.DefaultRights: a
// role the file names replaces that role's defaults whole, so removing a
// right is as easy as adding one.
func (c *Config) RightsTable() finance.Rights {
	out := finance.DefaultRights()
	for role, rr := range c.Rights {
		out[role] = rr
	}
	return out
}

// Secret is a value that must never reach a screen or a log.
type Secret string

// Reveal returns the secret itself, for the one call that needs it.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether a secret was configured.
func (s Secret) IsSet() bool { return s != "" }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the secret.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText keeps encoders (JSON, TOML) from writing the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue keeps log/slog from writing the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// String lists the settings with secrets redacted, for logs and `--help`.
func (c *Config) String() string {
	return fmt.Sprintf("config=%q db=%q log_level=%s log_file=%q webhook_addr=%s ssh_addr=%s "+
		"poll_interval=%s idle_lock=%s kiosk=%t stripe_secret_key=%s stripe_webhook_secret=%s",
		c.File, c.DB, c.LogLevel, c.LogFile, c.WebhookAddr, c.SSHAddr,
		c.PollInterval, c.IdleLock, c.Kiosk, c.StripeSecretKey, c.StripeWebhookSecret)
}

// LogValue logs the settings with secrets redacted.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("file", c.File),
		slog.String("db", c.DB),
		slog.String("log_level", c.LogLevel),
		slog.String("webhook_addr", c.WebhookAddr),
		slog.String("ssh_addr", c.SSHAddr),
		slog.Duration("poll_interval", c.PollInterval),
		slog.Duration("idle_lock", c.IdleLock),
		slog.Bool("kiosk", c.Kiosk),
		slog.Any("stripe_secret_key", c.StripeSecretKey),
		slog.Any("stripe_webhook_secret", c.StripeWebhookSecret),
		slog.String("liqpay_public_key", c.LiqPayPublicKey),
		slog.Any("liqpay_private_key", c.LiqPayPrivateKey),
		slog.Any("monobank_token", c.MonobankToken),
		slog.String("viva_merchant_id", c.VivaMerchantID),
		slog.Any("viva_api_key", c.VivaAPIKey),
		slog.String("viva_client_id", c.VivaClientID),
		slog.Any("viva_client_secret", c.VivaClientSecret),
		slog.Any("pix", c.Pix),
		slog.Any("replicate_url", c.ReplicateURL),
		slog.String("replicate_location", c.ReplicateLocation),
	)
}

// SlogLevel is the configured log level.
func (c *Config) SlogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// Overrides are the command-line flags; empty fields leave the value alone.
type Overrides struct {
	Config      string
	DB          string
	LogLevel    string
	WebhookAddr string
	SSHAddr     string
}

// Options say where Load looks. Getenv is os.Getenv outside tests.
type Options struct {
	Getenv    func(string) string
	Overrides Overrides
}

// fileConfig is the TOML file's shape. Pointers tell "absent" from "zero".
type fileConfig struct {
	DB              *string        `toml:"db"`
	LogLevel        *string        `toml:"log_level"`
	LogFile         *string        `toml:"log_file"`
	WebhookAddr     *string        `toml:"webhook_addr"`
	SSHAddr         *string        `toml:"ssh_addr"`
	AuthorizedKeys  *string        `toml:"authorized_keys"`
	ExportDir       *string        `toml:"export_dir"`
	PollInterval    *time.Duration `toml:"poll_interval"`
	IdleLockMinutes *int           `toml:"idle_lock_minutes"`
	LogMaxSizeMB    *int           `toml:"log_max_size_mb"`
	LogMaxFiles     *int           `toml:"log_max_files"`
	Desk            struct {
		Kiosk *bool `toml:"kiosk"`
	} `toml:"desk"`
	SSH struct {
		BindKeys           *bool          `toml:"bind_keys"`
		HandshakeTimeout   *time.Duration `toml:"handshake_timeout"`
		MaxUnauthenticated *int           `toml:"max_unauthenticated"`
		HideRoles          *bool          `toml:"hide_roles"`
	} `toml:"ssh"`
	Stripe struct {
		SecretKey      *string        `toml:"secret_key"`
		WebhookSecret  *string        `toml:"webhook_secret"`
		Account        *string        `toml:"account"`
		ReconcileEvery *time.Duration `toml:"reconcile_every"`
	} `toml:"stripe"`
	LiqPay struct {
		PublicKey  *string `toml:"public_key"`
		PrivateKey *string `toml:"private_key"`
		Sandbox    *bool   `toml:"sandbox"`
	} `toml:"liqpay"`
	Monobank struct {
		Token *string `toml:"token"`
	} `toml:"monobank"`
	Viva struct {
		MerchantID   *string `toml:"merchant_id"`
		APIKey       *string `toml:"api_key"`
		ClientID     *string `toml:"client_id"`
		ClientSecret *string `toml:"client_secret"`
		Demo         *bool   `toml:"demo"`
	} `toml:"viva"`
	Pix    pixFile `toml:"pix"`
	Backup struct {
		Dir  *string `toml:"dir"`
		Hour *int    `toml:"hour"`
		Keep *int    `toml:"keep"`
	} `toml:"backup"`
	Receipt fileReceipt `toml:"receipt"`
	Close   struct {
		ReasonThreshold     *int64 `toml:"reason_threshold"`
		RequireClosedDrawer *bool  `toml:"require_closed_drawer"`
	} `toml:"close"`
	Replicate struct {
		URL      *string `toml:"url"`
		Location *string `toml:"location"`
	} `toml:"replicate"`
	Limits struct {
		MaxAmount         *int64   `toml:"max_amount"`
		NegativeRegisters []string `toml:"negative_registers"`
		AdminPINLength    *int     `toml:"admin_pin_length"`
		AskTwiceFactor    *int64   `toml:"ask_twice_factor"`
	} `toml:"limits"`
	Setup  *fileSetup     `toml:"setup"`
	Rights finance.Rights `toml:"rights"`
}

type fileSetup struct {
	Location       *string            `toml:"location"`
	Currency       *string            `toml:"currency"`
	Locale         *string            `toml:"locale"`
	TimeZone       *string            `toml:"time_zone"`
	PhoneRegion    *string            `toml:"phone_region"`
	CreditLimit    *int64             `toml:"credit_limit"`
	Registers      []finance.Register `toml:"registers"`
	OnlineRegister *string            `toml:"online_register"`
	BankRegister   *string            `toml:"bank_register"`
}

// Load builds the Config: defaults, the file (--config, else PAYDESK_CONFIG,
// else the default path; only an explicitly named file must exist), the
// environment, then the flags.
func Load(o Options) (*Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	dirs, err := userDirs(getenv)
	if err != nil {
		return nil, err
	}
	c := defaults(dirs, getenv)

	path, explicit := o.Overrides.Config, true
	if path == "" {
		path = getenv("PAYDESK_CONFIG")
	}
	if path == "" {
		path, explicit = filepath.Join(dirs.config, "paydesk", "config.toml"), false
	}
	c.path = path
	if err := c.readFile(path, explicit, dirs.home); err != nil {
		return nil, err
	}
	if err := c.applyEnv(getenv); err != nil {
		return nil, err
	}
	c.applyOverrides(o.Overrides)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func defaults(d dirs, getenv func(string) string) *Config {
	return &Config{
		DB:             filepath.Join(d.data, "paydesk", "paydesk.db"),
		LogLevel:       "info",
		LogFile:        filepath.Join(d.state, "paydesk", "paydesk.log"),
		WebhookAddr:    "127.0.0.1:8085",
		Pix:            Pix{Addr: DefaultPixAddr},
		SSHAddr:        "127.0.0.1:2222",
		AuthorizedKeys: filepath.Join(d.config, "paydesk", "authorized_keys"),
		ExportDir:      filepath.Join(d.data, "paydesk", "exports"),
		PollInterval:   30 * time.Second,
		IdleLock:       5 * time.Minute,
		LogMaxSizeMB:   10,
		LogMaxFiles:    5,
		SSHBindKeys:    true,
		// The deskserver defaults, here so `--help` and the README show them.
		SSHHandshakeTimeout:   30 * time.Second,
		SSHMaxUnauthenticated: 32,
		StripeReconcileEvery:  time.Hour,
		Setup:                 MachineSetup(getenv),
		Backup:                Backup{Hour: 3, Keep: 14},
	}
}

func (c *Config) readFile(path string, explicit bool, home string) error {
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: config file: %w", ErrInvalid, err)
	}
	if info.IsDir() {
		return fmt.Errorf("%w: config file %s is a directory", ErrInvalid, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: config file: %w", ErrInvalid, err)
	}
	var f fileConfig
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%w: %s line %d: %s", ErrInvalid, path, pe.Position.Line, pe.Message)
		}
		return fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return fmt.Errorf("%w: %s: unknown setting(s) %s", ErrInvalid, path, strings.Join(keys, ", "))
	}
	hasSecret := f.Stripe.SecretKey != nil && *f.Stripe.SecretKey != "" ||
		f.Stripe.WebhookSecret != nil && *f.Stripe.WebhookSecret != "" ||
		f.LiqPay.PrivateKey != nil && *f.LiqPay.PrivateKey != "" ||
		f.Monobank.Token != nil && *f.Monobank.Token != "" ||
		f.Viva.APIKey != nil && *f.Viva.APIKey != "" || f.Viva.ClientSecret != nil && *f.Viva.ClientSecret != "" ||
		f.Pix.hasSecret()
	if uid, other := ownedByOther(info); other && (hasSecret || f.Replicate.URL != nil && urlHasPassword(*f.Replicate.URL)) {
		return fmt.Errorf("%w: %s holds a secret but is owned by another user (uid %d, not %d); run `chown %d %s`",
			ErrInvalid, path, uid, os.Getuid(), os.Getuid(), path)
	}
	if hasSecret && info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s holds a payment provider's secret but others can read it (mode %04o); run `chmod 600 %s`",
			ErrInvalid, path, info.Mode().Perm(), path)
	}
	if f.Replicate.URL != nil && urlHasPassword(*f.Replicate.URL) && info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s holds the replicate url's password but others can read it (mode %04o); run `chmod 600 %s`",
			ErrInvalid, path, info.Mode().Perm(), path)
	}
	c.File = path
	setString(&c.DB, f.DB)
	setString(&c.LogLevel, f.LogLevel)
	setString(&c.LogFile, f.LogFile)
	setString(&c.WebhookAddr, f.WebhookAddr)
	setString(&c.SSHAddr, f.SSHAddr)
	setString(&c.AuthorizedKeys, f.AuthorizedKeys)
	setString(&c.ExportDir, f.ExportDir)
	if f.PollInterval != nil {
		c.PollInterval = *f.PollInterval
	}
	if f.IdleLockMinutes != nil {
		if *f.IdleLockMinutes < 0 {
			return fmt.Errorf("%w: %s: idle_lock_minutes must be 0 (never) or more", ErrInvalid, path)
		}
		c.IdleLock = time.Duration(*f.IdleLockMinutes) * time.Minute
	}
	if v := f.Backup.Dir; v != nil {
		c.Backup.Dir = expandHome(*v, home)
	}
	if v := f.Backup.Hour; v != nil {
		if *v < 0 || *v > 23 {
			return fmt.Errorf("%w: %s: [backup] hour must be 0-23 (the hour of the day it runs)", ErrInvalid, path)
		}
		c.Backup.Hour = *v
	}
	if v := f.Backup.Keep; v != nil {
		if *v < 1 {
			return fmt.Errorf("%w: %s: [backup] keep must be 1 or more (how many backups are kept)", ErrInvalid, path)
		}
		c.Backup.Keep = *v
	}
	if err := c.readReceipt(f.Receipt, path, home); err != nil {
		return err
	}
	if v := f.Close.ReasonThreshold; v != nil {
		if *v < 0 {
			return fmt.Errorf("%w: %s: [close] reason_threshold must be 0 or more (minor units)", ErrInvalid, path)
		}
		c.Close.ReasonThreshold = *v
	}
	if v := f.Close.RequireClosedDrawer; v != nil {
		c.Close.RequireClosedDrawer = *v
	}
	if v := f.Limits.MaxAmount; v != nil {
		if *v <= 0 {
			return fmt.Errorf("%w: %s: [limits] max_amount must be more than 0 (whole units of the currency)", ErrInvalid, path)
		}
		c.Limits.MaxAmount = *v
	}
	if f.Limits.NegativeRegisters != nil {
		c.Limits.NegativeRegisters = f.Limits.NegativeRegisters
	}
	if v := f.Limits.AdminPINLength; v != nil {
		if *v < 4 || *v > 8 {
			return fmt.Errorf("%w: %s: [limits] admin_pin_length must be 4 to 8 digits", ErrInvalid, path)
		}
		c.Limits.AdminPINLength = *v
	}
	if v := f.Limits.AskTwiceFactor; v != nil {
		switch {
		case *v < 0:
			return fmt.Errorf("%w: %s: [limits] ask_twice_factor must be 0 (never ask twice) or more", ErrInvalid, path)
		case *v == 0:
			c.Limits.AskTwiceFactor = -1 // finance's zero is the default; the file's 0 is "never"
		default:
			c.Limits.AskTwiceFactor = *v
		}
	}
	setInt(&c.LogMaxSizeMB, f.LogMaxSizeMB)
	setInt(&c.LogMaxFiles, f.LogMaxFiles)
	setInt(&c.SSHMaxUnauthenticated, f.SSH.MaxUnauthenticated)
	if f.Desk.Kiosk != nil {
		c.Kiosk = *f.Desk.Kiosk
	}
	if f.SSH.BindKeys != nil {
		c.SSHBindKeys = *f.SSH.BindKeys
	}
	if f.SSH.HideRoles != nil {
		c.SSHHideRoles = *f.SSH.HideRoles
	}
	if f.SSH.HandshakeTimeout != nil {
		c.SSHHandshakeTimeout = *f.SSH.HandshakeTimeout
	}
	if f.Stripe.SecretKey != nil {
		c.StripeSecretKey = Secret(*f.Stripe.SecretKey)
	}
	if f.Stripe.Account != nil {
		c.StripeAccount = strings.TrimSpace(*f.Stripe.Account)
	}
	if f.Stripe.ReconcileEvery != nil {
		c.StripeReconcileEvery = *f.Stripe.ReconcileEvery
	}
	if f.Stripe.WebhookSecret != nil {
		c.StripeWebhookSecret = Secret(*f.Stripe.WebhookSecret)
	}
	if f.LiqPay.PublicKey != nil {
		c.LiqPayPublicKey = strings.TrimSpace(*f.LiqPay.PublicKey)
	}
	if f.LiqPay.PrivateKey != nil {
		c.LiqPayPrivateKey = Secret(strings.TrimSpace(*f.LiqPay.PrivateKey))
	}
	if f.LiqPay.Sandbox != nil {
		c.LiqPaySandbox = *f.LiqPay.Sandbox
	}
	if f.Monobank.Token != nil {
		c.MonobankToken = Secret(strings.TrimSpace(*f.Monobank.Token))
	}
	c.applyViva(&f)
	c.applyPix(&f.Pix)
	if f.Replicate.URL != nil {
		c.ReplicateURL = Secret(*f.Replicate.URL)
	}
	setString(&c.ReplicateLocation, f.Replicate.Location)
	if s := f.Setup; s != nil {
		setString(&c.Setup.Location, s.Location)
		setString(&c.Setup.Currency, s.Currency)
		setString(&c.Setup.Locale, s.Locale)
		setString(&c.Setup.TimeZone, s.TimeZone)
		setString(&c.Setup.PhoneRegion, s.PhoneRegion)
		setString(&c.Setup.OnlineRegister, s.OnlineRegister)
		setString(&c.Setup.BankRegister, s.BankRegister)
		if s.CreditLimit != nil {
			c.Setup.CreditLimit = *s.CreditLimit
		}
		if s.Registers != nil {
			c.Setup.Registers = s.Registers
			// The defaults name "stripe" and "bank"; a file with its own
			// registers means its own online and bank ones unless it says.
			if s.OnlineRegister == nil {
				c.Setup.OnlineRegister = firstOfKind(s.Registers, finance.RegisterOnline)
			}
			if s.BankRegister == nil {
				c.Setup.BankRegister = firstOfKind(s.Registers, finance.RegisterBank)
			}
		}
	}
	c.Rights = f.Rights
	for _, p := range []*string{&c.DB, &c.LogFile, &c.AuthorizedKeys, &c.ExportDir} {
		*p = expandHome(*p, home)
	}
	return nil
}

func (c *Config) applyEnv(getenv func(string) string) error {
	for _, e := range []struct {
		name, setting string
		dst           *string
	}{
		{"PAYDESK_DB", "db", &c.DB},
		{"PAYDESK_LOG_LEVEL", "log_level", &c.LogLevel},
		{"PAYDESK_LOG_FILE", "log_file", &c.LogFile},
		{"PAYDESK_WEBHOOK_ADDR", "webhook_addr", &c.WebhookAddr},
		{"PAYDESK_SSH_ADDR", "ssh_addr", &c.SSHAddr},
		{"PAYDESK_EXPORT_DIR", "export_dir", &c.ExportDir},
	} {
		if v := getenv(e.name); v != "" {
			*e.dst = v
			c.setOrigin(e.setting, e.name)
		}
	}
	if v := getenv("STRIPE_SECRET_KEY"); v != "" {
		c.StripeSecretKey = Secret(v)
	}
	if v := getenv("STRIPE_WEBHOOK_SECRET"); v != "" {
		c.StripeWebhookSecret = Secret(v)
	}
	if v := getenv("PAYDESK_REPLICATE_URL"); v != "" {
		c.ReplicateURL = Secret(v)
	}
	if v := getenv("PAYDESK_REPLICATE_LOCATION"); v != "" {
		c.ReplicateLocation = v
		c.setOrigin("replicate.location", "PAYDESK_REPLICATE_LOCATION")
	}
	if v := getenv("STRIPE_ACCOUNT"); v != "" {
		c.StripeAccount = strings.TrimSpace(v)
	}
	if v := getenv("LIQPAY_PUBLIC_KEY"); v != "" {
		c.LiqPayPublicKey = strings.TrimSpace(v)
	}
	if v := getenv("LIQPAY_PRIVATE_KEY"); v != "" {
		c.LiqPayPrivateKey = Secret(strings.TrimSpace(v))
	}
	if v := getenv("MONOBANK_TOKEN"); v != "" {
		c.MonobankToken = Secret(strings.TrimSpace(v))
	}
	c.vivaEnv(getenv)
	c.pixEnv(getenv)
	if v := getenv("PAYDESK_POLL_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%w: PAYDESK_POLL_INTERVAL=%q is not a duration such as 30s or 2m", ErrInvalid, v)
		}
		c.PollInterval = d
	}
	// The environment may turn kiosk mode on, never off: whoever reaches the
	// shared terminal's shell can set variables.
	if v := getenv("PAYDESK_KIOSK"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%w: PAYDESK_KIOSK=%q is not true or false", ErrInvalid, v)
		}
		c.Kiosk = c.Kiosk || on
	}
	if v := getenv("PAYDESK_IDLE_LOCK_MINUTES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: PAYDESK_IDLE_LOCK_MINUTES=%q is not a whole number of minutes", ErrInvalid, v)
		}
		c.IdleLock = time.Duration(n) * time.Minute
	}
	return nil
}

func (c *Config) applyOverrides(o Overrides) {
	for _, p := range []struct {
		setting, flag string
		dst           *string
		v             string
	}{
		{"db", "--db", &c.DB, o.DB}, {"log_level", "--log-level", &c.LogLevel, o.LogLevel},
		{"webhook_addr", "--webhook-addr", &c.WebhookAddr, o.WebhookAddr}, {"ssh_addr", "--ssh-addr", &c.SSHAddr, o.SSHAddr},
	} {
		if p.v != "" {
			*p.dst = p.v
			c.setOrigin(p.setting, p.flag)
		}
	}
}

func (c *Config) setOrigin(setting, from string) {
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[setting] = from
}

// Validate checks every value, so a typo is caught at start rather than
// when a desk first needs the setting.
func (c *Config) Validate() error {
	var problems, elsewhere []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	// badAt files a problem under the source of the setting's value.
	badAt := func(setting, format string, args ...any) {
		if from := c.origin[setting]; from != "" {
			elsewhere = append(elsewhere, from+": "+fmt.Sprintf(format, args...))
			return
		}
		bad(format, args...)
	}
	if c.DB == "" {
		bad("db path is empty")
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
		c.LogLevel = strings.ToLower(c.LogLevel)
	default:
		badAt("log_level", "log level %q is not one of debug, info, warn, error", c.LogLevel)
	}
	for _, a := range []struct{ name, addr string }{{"webhook_addr", c.WebhookAddr}, {"ssh_addr", c.SSHAddr}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			badAt(a.name, "%s %q is not host:port", a.name, a.addr)
		}
	}
	if c.PollInterval < time.Second {
		bad("poll_interval %s is shorter than 1s", c.PollInterval)
	}
	if c.StripeReconcileEvery != 0 && c.StripeReconcileEvery < time.Minute {
		bad("stripe reconcile_every %s is shorter than 1m (0 turns it off)", c.StripeReconcileEvery)
	}
	if c.IdleLock < 0 {
		bad("idle lock %s is negative", c.IdleLock)
	}
	if c.LogMaxSizeMB < 1 {
		bad("log_max_size_mb must be 1 or more")
	}
	if c.LogMaxFiles < 0 {
		bad("log_max_files must be 0 or more")
	}
	if c.SSHHandshakeTimeout < time.Second {
		bad("ssh handshake_timeout %s is shorter than 1s", c.SSHHandshakeTimeout)
	}
	if c.SSHMaxUnauthenticated < 1 {
		bad("ssh max_unauthenticated must be 1 or more")
	}
	if c.LiqPayPrivateKey.IsSet() != (c.LiqPayPublicKey != "") {
		bad("[liqpay] needs both public_key and private_key (or LIQPAY_PUBLIC_KEY and LIQPAY_PRIVATE_KEY)")
	}
	if p := c.vivaProblem(); p != "" {
		bad("%s", p)
	}
	for _, p := range c.Pix.problems() {
		bad("%s", p)
	}
	if c.ReplicateURL.IsSet() && strings.TrimSpace(c.ReplicateLocation) == "" {
		bad(`[replicate] url is set but location is not: give this location a stable id, e.g. location = "kyiv-podil"`)
	}
	problems = append(problems, c.Setup.problems()...)
	problems = append(problems, rightsProblems(c.Rights)...)
	if len(problems) > 0 {
		where := "configuration"
		if c.File != "" {
			where = c.File
		}
		elsewhere = append(elsewhere, where+": "+strings.Join(problems, "; "))
	}
	if len(elsewhere) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(elsewhere, "; "))
	}
	return nil
}

func (s Setup) problems() []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if len(s.Currency) != 3 || strings.ToUpper(s.Currency) != s.Currency {
		bad("setup currency %q is not an ISO 4217 code such as EUR", s.Currency)
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			bad("setup time_zone %q is not an IANA zone such as Europe/Kyiv", s.TimeZone)
		}
	}
	if len(s.PhoneRegion) != 2 || strings.ToUpper(s.PhoneRegion) != s.PhoneRegion {
		bad("setup phone_region %q is not a two-letter country code such as UA", s.PhoneRegion)
	}
	if s.CreditLimit < 0 {
		bad("setup credit_limit must be 0 or more")
	}
	if len(s.Registers) == 0 {
		bad("setup needs at least one register")
	}
	seen := map[string]bool{}
	for i, r := range s.Registers {
		if r.ID == "" || r.Name == "" {
			bad("register %d needs an id and a name", i+1)
		}
		if seen[strings.ToLower(r.ID)] {
			bad("register id %q appears twice", r.ID)
		}
		seen[strings.ToLower(r.ID)] = true
		switch r.Kind {
		case finance.RegisterCash, finance.RegisterCard, finance.RegisterOnline, finance.RegisterBank:
		default:
			bad("register %q has kind %q; use cash, card, online or bank", r.ID, r.Kind)
		}
	}
	for name, id := range map[string]string{"online_register": s.OnlineRegister, "bank_register": s.BankRegister} {
		if id != "" && !seen[strings.ToLower(id)] {
			bad("setup %s %q is not one of the registers", name, id)
		}
	}
	return out
}

func rightsProblems(r finance.Rights) []string {
	known := map[finance.Right]bool{}
	for _, x := range finance.AllRights() {
		known[x] = true
	}
	var out []string
	for role, rr := range r {
		switch role {
		case finance.RoleDesk, finance.RoleManager, finance.RoleAdmin:
		default:
			out = append(out, fmt.Sprintf("rights: unknown role %q (use desk, manager or admin)", role))
		}
		for _, x := range rr.Rights {
			if !known[x] {
				out = append(out, fmt.Sprintf("rights.%s: unknown right %q", role, x))
			}
		}
	}
	return out
}

func firstOfKind(regs []finance.Register, k finance.RegisterKind) string {
	for _, r := range regs {
		if r.Kind == k {
			return r.ID
		}
	}
	return ""
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func setString(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// expandHome lets a hand-written file say "~/salon/paydesk.db".
func expandHome(p, home string) string {
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return filepath.Join(home, p[1:])
	}
	return p
}

// urlHasPassword reports whether a PostgreSQL connection string (URL or
// key=value form) carries a password.
func urlHasPassword(s string) bool {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		_, ok := u.User.Password()
		return ok || u.Query().Has("password")
	}
	return strings.Contains(s, "password=")
}
