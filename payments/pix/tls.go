package pix

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// ReceiverTLS is the TLS config of the webhook receiver's own HTTPS
// address: its certificate (certFile, keyFile) and, required of every
// caller, a client certificate chaining to the PSP's CA (caFile). The Pix
// callback has no body signature ("security: []" in the spec): this is
// the only proof a call comes from the PSP. The pool is returned too, for
// Config.WebhookCAs, so the provider checks the chain again itself.
func ReceiverTLS(caFile, certFile, keyFile string) (*tls.Config, *x509.CertPool, error) {
	pool, err := LoadPool(caFile)
	if err != nil {
		return nil, nil, fmt.Errorf("pix ca_file: %w", err)
	}
	cert, err := loadKeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("pix receiver certificate: %w", err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}, pool, nil
}

// ClientTLS is the TLS config of calls to the PSP's API: the API Pix is
// mutual TLS too, with the certificate the PSP issued to the merchant
// (certFile, keyFile). caFile, when set, is the roots the PSP's server
// certificate chains to (else the system's).
func ClientTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := loadKeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("pix client certificate: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if caFile != "" {
		if cfg.RootCAs, err = LoadPool(caFile); err != nil {
			return nil, fmt.Errorf("pix api_ca_file: %w", err)
		}
	}
	return cfg, nil
}

// LoadPool reads PEM certificates into a pool; a file with none is refused.
func LoadPool(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, errors.New("no file named")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// loadKeyPair reads a certificate and its key, refusing a key file others
// can read: it is what lets a caller pose as this desk.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	if certFile == "" || keyFile == "" {
		return tls.Certificate{}, errors.New("needs both a certificate file and a key file")
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	if info.Mode().Perm()&0o007 != 0 {
		return tls.Certificate{}, fmt.Errorf("key file %s can be read by others (mode %04o); run `chmod 600 %s`",
			keyFile, info.Mode().Perm(), keyFile)
	}
	return tls.LoadX509KeyPair(certFile, keyFile)
}
