package stripe_test

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// mockURL is the stripe-mock started for this package's tests ("" under -short).
var mockURL string

// TestMain builds stripe-mock (a tool in tools/go.mod, the tools module, so
// its dependencies stay out of paydesk's go.mod) once and serves it on
// loopback only: both listeners get a 127.0.0.1 address, or it would open
// HTTPS on every interface. Its fixtures make the events list return a
// payment_intent.succeeded at 2023-10-16 and balance transactions a fee.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	code, err := runWithMock(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stripe-mock:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runWithMock(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "paydesk-stripe-mock-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "stripe-mock")
	build := exec.Command("go", "-C", filepath.Join("..", "..", "tools"), "build", "-o", bin, "github.com/stripe/stripe-mock")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return 0, fmt.Errorf("build: %w", err)
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	httpsAddr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(bin, "-http-addr", httpAddr, "-https-addr", httpsAddr, "-fixtures", "testdata/fixtures.json")
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	if err := waitListening(httpAddr, 30*time.Second); err != nil {
		return 0, err
	}
	mockURL = "http://" + httpAddr
	return m.Run(), nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitListening waits for the mock to accept connections: startup, not a
// timing assertion.
func waitListening(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			return c.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not listening on %s after %v", addr, limit)
}

func needMock(t *testing.T) {
	t.Helper()
	if mockURL == "" {
		t.Skip("stripe-mock not started (-short)")
	}
}
