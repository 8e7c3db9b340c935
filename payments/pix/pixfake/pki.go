package pixfake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a test's certificates, made fresh in t.TempDir() (no key is ever
// checked in): the PSP's CA and what it signs (its callback client
// certificate, its API's server certificate, the merchant's API client
// certificate), the desk's CA and its receiver's server certificate, and
// another CA with a client certificate of its own, for forged calls.
type PKI struct {
	Dir string

	PSPCAFile  string // [pix] ca_file and api_ca_file
	DeskCAFile string
	// The receiver's server certificate ([pix] cert_file, key_file).
	ReceiverCertFile, ReceiverKeyFile string
	// The merchant's API client certificate ([pix] client_cert_file, client_key_file).
	ClientCertFile, ClientKeyFile string

	PSPCA, DeskCA *x509.Certificate
	// PSPCallback is the PSP's client certificate for callbacks; Other is
	// one from a CA nobody trusts; APIServer is the fake API's.
	PSPCallback, Other, APIServer tls.Certificate
}

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewPKI makes the certificates.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	dir := t.TempDir()
	k := &PKI{Dir: dir}
	psp := newCA(t, "Test PSP Root CA")
	desk := newCA(t, "Test Desk CA")
	other := newCA(t, "Somebody Else's CA")
	k.PSPCA, k.DeskCA = psp.cert, desk.cert
	k.PSPCAFile = writeCert(t, dir, "psp-ca.pem", psp.cert.Raw)
	k.DeskCAFile = writeCert(t, dir, "desk-ca.pem", desk.cert.Raw)

	cert, key := psp.leaf(t, "psp-api.test", x509.ExtKeyUsageServerAuth)
	k.APIServer = pair(cert, key)
	cert, key = psp.leaf(t, "psp-webhook-client", x509.ExtKeyUsageClientAuth)
	k.PSPCallback = pair(cert, key)
	cert, key = other.leaf(t, "psp-webhook-client", x509.ExtKeyUsageClientAuth)
	k.Other = pair(cert, key)

	cert, key = desk.leaf(t, "paydesk-receiver", x509.ExtKeyUsageServerAuth)
	k.ReceiverCertFile = writeCert(t, dir, "receiver.pem", cert.Raw)
	k.ReceiverKeyFile = writeKey(t, dir, "receiver-key.pem", key)
	cert, key = psp.leaf(t, "merchant-12345678", x509.ExtKeyUsageClientAuth)
	k.ClientCertFile = writeCert(t, dir, "client.pem", cert.Raw)
	k.ClientKeyFile = writeKey(t, dir, "client-key.pem", key)
	return k
}

func newCA(t testing.TB, name string) issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(t), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return issuer{cert: cert, key: key}
}

// leaf is a certificate for loopback (127.0.0.1, localhost) with one use.
func (ca issuer) leaf(t testing.TB, name string, use x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(t), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{use},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func serial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func pair(cert *x509.Certificate, key *ecdsa.PrivateKey) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

func writeCert(t testing.TB, dir, name string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeKey(t testing.TB, dir, name string, key *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Caller is who posts a callback.
type Caller int

const (
	FromPSP   Caller = iota // the PSP's callback certificate
	FromOther               // a certificate of another CA
	NoCert                  // no client certificate at all
)

// Client is an HTTPS client that trusts the desk's receiver and presents
// who's certificate.
func (k *PKI) Client(who Caller) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(k.DeskCA)
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	switch who {
	case FromPSP:
		cfg.Certificates = []tls.Certificate{k.PSPCallback}
	case FromOther:
		cfg.Certificates = []tls.Certificate{k.Other}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}
