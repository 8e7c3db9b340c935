package config

import (
	"log/slog"
	"net"
	"strings"
)

// Pix's section ([pix]) and environment (PIX_*): its own file, as Viva's.

// DefaultPixAddr is the Pix receiver's own mutual-TLS address: never the
// plain webhook address, whose callers bring no certificate.
const DefaultPixAddr = "127.0.0.1:8443"

// Pix is [pix]: the PSP's API Pix (api_url with the PSP's prefix, the
// OAuth2 client, the certificate the PSP issued the merchant) and the
// callback receiver (its own address, its server certificate, the PSP's
// CA a caller's certificate must chain to, and the pins that certificate
// must match). Either half may be on alone.
type Pix struct {
	APIURL       string // PIX_API_URL
	TokenURL     string // default: api_url's origin + /oauth/token
	ClientID     string // PIX_CLIENT_ID
	ClientSecret Secret // PIX_CLIENT_SECRET
	// ClientCertFile, ClientKeyFile: the certificate the PSP issued to
	// call its API (the API Pix is mutual TLS); APICAFile the roots its
	// server certificate chains to (empty: the system's).
	ClientCertFile, ClientKeyFile, APICAFile string
	// Chave is the merchant's Pix key (PIX_KEY), for `paydesk pix setup`.
	Chave string
	// Addr is the receiver's mutual-TLS address (PIX_WEBHOOK_ADDR).
	Addr string
	// CAFile is the PSP's CA for callers' certificates; CertFile, KeyFile
	// the receiver's own server certificate.
	CAFile, CertFile, KeyFile string
	// Fingerprints (SHA-256, hex) and Subjects pin the PSP's callback
	// certificate: the CA alone would let any certificate it issued in.
	Fingerprints, Subjects []string
}

type pixFile struct {
	APIURL         *string  `toml:"api_url"`
	TokenURL       *string  `toml:"token_url"`
	ClientID       *string  `toml:"client_id"`
	ClientSecret   *string  `toml:"client_secret"`
	ClientCertFile *string  `toml:"client_cert_file"`
	ClientKeyFile  *string  `toml:"client_key_file"`
	APICAFile      *string  `toml:"api_ca_file"`
	Chave          *string  `toml:"chave"`
	Addr           *string  `toml:"webhook_addr"`
	CAFile         *string  `toml:"ca_file"`
	CertFile       *string  `toml:"cert_file"`
	KeyFile        *string  `toml:"key_file"`
	Fingerprints   []string `toml:"client_cert_fingerprints"`
	Subjects       []string `toml:"client_cert_subjects"`
}

func (f pixFile) hasSecret() bool { return f.ClientSecret != nil && *f.ClientSecret != "" }

func (c *Config) applyPix(f *pixFile) {
	p := &c.Pix
	for _, s := range []struct {
		dst *string
		v   *string
	}{{&p.APIURL, f.APIURL}, {&p.TokenURL, f.TokenURL}, {&p.ClientID, f.ClientID}, {&p.ClientCertFile, f.ClientCertFile},
		{&p.ClientKeyFile, f.ClientKeyFile}, {&p.APICAFile, f.APICAFile}, {&p.Chave, f.Chave}, {&p.Addr, f.Addr},
		{&p.CAFile, f.CAFile}, {&p.CertFile, f.CertFile}, {&p.KeyFile, f.KeyFile}} {
		if s.v != nil {
			*s.dst = strings.TrimSpace(*s.v)
		}
	}
	if f.ClientSecret != nil {
		p.ClientSecret = Secret(strings.TrimSpace(*f.ClientSecret))
	}
	if f.Fingerprints != nil {
		p.Fingerprints = f.Fingerprints
	}
	if f.Subjects != nil {
		p.Subjects = f.Subjects
	}
}

func (c *Config) pixEnv(getenv func(string) string) {
	for _, e := range []struct {
		name string
		set  func(string)
	}{
		{"PIX_API_URL", func(v string) { c.Pix.APIURL = v }},
		{"PIX_CLIENT_ID", func(v string) { c.Pix.ClientID = v }},
		{"PIX_CLIENT_SECRET", func(v string) { c.Pix.ClientSecret = Secret(v) }},
		{"PIX_KEY", func(v string) { c.Pix.Chave = v }},
		{"PIX_WEBHOOK_ADDR", func(v string) { c.Pix.Addr = v }},
	} {
		if v := strings.TrimSpace(getenv(e.name)); v != "" {
			e.set(v)
		}
	}
}

// WebhookOn: the receiver has its certificate and the PSP's CA.
func (p Pix) WebhookOn() bool { return p.CAFile != "" && p.CertFile != "" && p.KeyFile != "" }

// APIOn: the API's URL, OAuth2 client and client certificate are set.
func (p Pix) APIOn() bool {
	return p.APIURL != "" && p.ClientID != "" && p.ClientSecret.IsSet() && p.ClientCertFile != "" && p.ClientKeyFile != ""
}

// On: either half is.
func (p Pix) On() bool { return p.WebhookOn() || p.APIOn() }

// problems: a half given in part, or a receiver address that is not one.
func (p Pix) problems() []string {
	var out []string
	if (p.CAFile != "" || p.CertFile != "" || p.KeyFile != "") && !p.WebhookOn() {
		out = append(out, "[pix] receiver needs ca_file (the PSP's CA), cert_file and key_file (its own certificate)")
	}
	if (p.APIURL != "" || p.ClientID != "" || p.ClientSecret.IsSet() || p.ClientCertFile != "" || p.ClientKeyFile != "") && !p.APIOn() {
		out = append(out, "[pix] API needs api_url, client_id, client_secret, client_cert_file and client_key_file "+
			"(or PIX_API_URL, PIX_CLIENT_ID and PIX_CLIENT_SECRET)")
	}
	if p.WebhookOn() {
		if _, _, err := net.SplitHostPort(p.Addr); err != nil {
			out = append(out, "[pix] webhook_addr \""+p.Addr+"\" is not host:port")
		}
	}
	return out
}

// LogValue logs [pix] with the client secret redacted.
func (p Pix) LogValue() slog.Value {
	return slog.GroupValue(slog.String("api_url", p.APIURL), slog.String("client_id", p.ClientID),
		slog.Any("client_secret", p.ClientSecret), slog.String("webhook_addr", p.Addr), slog.String("ca_file", p.CAFile),
		slog.Int("pinned_fingerprints", len(p.Fingerprints)), slog.Int("pinned_subjects", len(p.Subjects)))
}
