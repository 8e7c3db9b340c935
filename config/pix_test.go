package config

import (
	"testing"
)

// [pix]: from a private file or the environment, the client secret never
// printed or logged; each half (API, receiver) whole or not at all; the
// receiver on its own address.
func TestPixKeys(t *testing.T) {
	const secret = "pix-client-secret-xyz"
	const client = "client_cert_file = \"/k/client.pem\"\nclient_key_file = \"/k/client-key.pem\"\n"
	const receiver = "ca_file = \"/k/psp-ca.pem\"\ncert_file = \"/k/recv.pem\"\nkey_file = \"/k/recv-key.pem\"\n" +
		"client_cert_fingerprints = [\"ab:cd\"]\nclient_cert_subjects = [\"psp-webhook\"]\n"
	const files = client + receiver
	for _, tc := range []struct {
		name string
		body string
		env  []string
	}{
		{"file", "[pix]\napi_url = \"https://psp.example/api/v2\"\nclient_id = \"cid\"\nclient_secret = \"" + secret +
			"\"\nchave = \"loja@example.com\"\nwebhook_addr = \"0.0.0.0:9443\"\n" + files, nil},
		{"env", "[pix]\n" + files, []string{"PIX_API_URL", "https://psp.example/api/v2", "PIX_CLIENT_ID", "cid",
			"PIX_CLIENT_SECRET", secret, "PIX_KEY", "loja@example.com", "PIX_WEBHOOK_ADDR", "0.0.0.0:9443"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv, _ := env(t, tc.env...)
			c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: writeFile(t, 0o600, tc.body)}})
			if err != nil {
				t.Fatal(err)
			}
			p := c.Pix
			if !p.APIOn() || !p.WebhookOn() || p.ClientSecret.Reveal() != secret || p.Chave != "loja@example.com" ||
				p.Addr != "0.0.0.0:9443" || p.APIURL != "https://psp.example/api/v2" || len(p.Fingerprints) != 1 || p.Subjects[0] != "psp-webhook" {
				t.Fatalf("pix: %+v", p)
			}
			notPrinted(t, c, secret)
		})
	}
	getenv, _ := env(t)
	c, err := Load(Options{Getenv: getenv, Overrides: Overrides{Config: writeFile(t, 0o600, "[pix]\n"+receiver)}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Pix.APIOn() || !c.Pix.WebhookOn() || c.Pix.Addr != DefaultPixAddr {
		t.Fatalf("receiver alone: %+v", c.Pix)
	}
	refused(t, []refusal{
		{"readable by others", 0o644, "[pix]\nclient_secret = \"" + secret + "\"\n", "chmod 600"},
		{"API in part", 0o600, "[pix]\napi_url = \"https://psp.example\"\nclient_id = \"cid\"\n", "client_secret"},
		{"receiver in part", 0o600, "[pix]\nca_file = \"/k/ca.pem\"\n", "cert_file and key_file"},
		{"bad address", 0o600, "[pix]\nwebhook_addr = \"nope\"\n" + files, "webhook_addr"},
		{"unknown key", 0o600, "[pix]\nsecret = \"x\"\n", "pix.secret"},
	}, secret)
}
