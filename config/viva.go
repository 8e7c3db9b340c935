package config

import "strings"

// Viva's section ([viva]) and environment (VIVA_*): its own file so the
// providers' sections do not all grow in one place.

func (c *Config) applyViva(f *fileConfig) {
	if f.Viva.MerchantID != nil {
		c.VivaMerchantID = strings.TrimSpace(*f.Viva.MerchantID)
	}
	if f.Viva.APIKey != nil {
		c.VivaAPIKey = Secret(strings.TrimSpace(*f.Viva.APIKey))
	}
	if f.Viva.ClientID != nil {
		c.VivaClientID = strings.TrimSpace(*f.Viva.ClientID)
	}
	if f.Viva.ClientSecret != nil {
		c.VivaClientSecret = Secret(strings.TrimSpace(*f.Viva.ClientSecret))
	}
	if f.Viva.Demo != nil {
		c.VivaDemo = *f.Viva.Demo
	}
}

func (c *Config) vivaEnv(getenv func(string) string) {
	for _, e := range []struct {
		name string
		set  func(string)
	}{
		{"VIVA_MERCHANT_ID", func(v string) { c.VivaMerchantID = v }},
		{"VIVA_API_KEY", func(v string) { c.VivaAPIKey = Secret(v) }},
		{"VIVA_CLIENT_ID", func(v string) { c.VivaClientID = v }},
		{"VIVA_CLIENT_SECRET", func(v string) { c.VivaClientSecret = Secret(v) }},
	} {
		if v := strings.TrimSpace(getenv(e.name)); v != "" {
			e.set(v)
		}
	}
}

// VivaOn reports whether Viva is switched on (all four credentials set).
func (c *Config) VivaOn() bool {
	return c.VivaMerchantID != "" && c.VivaAPIKey.IsSet() && c.VivaClientID != "" && c.VivaClientSecret.IsSet()
}

// vivaProblem: some of Viva's credentials without the others. Viva needs
// all four: the OAuth2 pair confirms each notification, the merchant id and
// API key answer Viva's URL check and read the messages API.
func (c *Config) vivaProblem() string {
	some := c.VivaMerchantID != "" || c.VivaAPIKey.IsSet() || c.VivaClientID != "" || c.VivaClientSecret.IsSet()
	if some && !c.VivaOn() {
		return "[viva] needs merchant_id, api_key, client_id and client_secret (or VIVA_MERCHANT_ID, VIVA_API_KEY, VIVA_CLIENT_ID and VIVA_CLIENT_SECRET)"
	}
	return ""
}
