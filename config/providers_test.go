package config

import (
	"testing"
)

// The other providers' keys: from a private file or the environment, never
// from a file others can read, never printed or logged.
func TestProviderKeys(t *testing.T) {
	const secret = "liqpay-private-xyz"
	for _, tc := range []struct {
		name string
		body string
		env  []string
	}{
		{"file", "[liqpay]\npublic_key = \"i123\"\nprivate_key = \"" + secret + "\"\nsandbox = true\n[monobank]\ntoken = \"mono-" + secret + "\"\n", nil},
		{"env", "[liqpay]\nsandbox = true\n", []string{"LIQPAY_PUBLIC_KEY", "i123", "LIQPAY_PRIVATE_KEY", secret, "MONOBANK_TOKEN", "mono-" + secret}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv, _ := env(t, tc.env...)
			c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: writeFile(t, 0o600, tc.body)}})
			if err != nil {
				t.Fatal(err)
			}
			if c.LiqPayPublicKey != "i123" || c.LiqPayPrivateKey.Reveal() != secret || !c.LiqPaySandbox {
				t.Fatalf("liqpay: %q %q %t", c.LiqPayPublicKey, c.LiqPayPrivateKey.Reveal(), c.LiqPaySandbox)
			}
			if c.MonobankToken.Reveal() != "mono-"+secret {
				t.Fatalf("monobank token %q", c.MonobankToken.Reveal())
			}
			notPrinted(t, c, secret)
		})
	}
	refused(t, []refusal{
		{"readable by others", 0o644, "[liqpay]\npublic_key = \"i1\"\nprivate_key = \"" + secret + "\"\n", "chmod 600"},
		{"private key alone", 0o600, "[liqpay]\nprivate_key = \"" + secret + "\"\n", "both public_key and private_key"},
		{"public key alone", 0o600, "[liqpay]\npublic_key = \"i1\"\n", "both public_key and private_key"},
		{"unknown key", 0o600, "[liqpay]\nsecret = \"x\"\n", "liqpay.secret"},
		{"token readable by others", 0o640, "[monobank]\ntoken = \"" + secret + "\"\n", "chmod 600"},
	}, secret)
}
