package config

import (
	"testing"
)

// Viva's credentials: from a private file or the environment, all four or
// none, the API key and client secret never printed or logged.
func TestVivaKeys(t *testing.T) {
	const key, secret = "viva-api-key-xyz", "viva-client-secret-xyz"
	for _, tc := range []struct {
		name string
		body string
		env  []string
	}{
		{"file", "[viva]\nmerchant_id = \"m-1\"\napi_key = \"" + key + "\"\nclient_id = \"c.apps.vivapayments.com\"\nclient_secret = \"" + secret + "\"\ndemo = true\n", nil},
		{"env", "[viva]\ndemo = true\n", []string{"VIVA_MERCHANT_ID", "m-1", "VIVA_API_KEY", key, "VIVA_CLIENT_ID", "c.apps.vivapayments.com", "VIVA_CLIENT_SECRET", secret}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv, _ := env(t, tc.env...)
			c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: writeFile(t, 0o600, tc.body)}})
			if err != nil {
				t.Fatal(err)
			}
			if !c.VivaOn() || c.VivaMerchantID != "m-1" || c.VivaAPIKey.Reveal() != key || c.VivaClientSecret.Reveal() != secret || !c.VivaDemo {
				t.Fatalf("viva: %q %q %t", c.VivaMerchantID, c.VivaClientID, c.VivaDemo)
			}
			notPrinted(t, c, key, secret)
		})
	}
	refused(t, []refusal{
		{"readable by others", 0o644, "[viva]\nmerchant_id = \"m\"\napi_key = \"" + key + "\"\nclient_id = \"c\"\nclient_secret = \"" + secret + "\"\n", "chmod 600"},
		{"client secret readable by others", 0o640, "[viva]\nclient_secret = \"" + secret + "\"\n", "chmod 600"},
		{"some but not all", 0o600, "[viva]\nmerchant_id = \"m\"\napi_key = \"" + key + "\"\n", "merchant_id, api_key, client_id and client_secret"},
		{"unknown key", 0o600, "[viva]\nsource_code = \"x\"\n", "viva.source_code"},
	}, key, secret)
}
