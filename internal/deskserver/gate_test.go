package deskserver

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// rawConn opens a TCP connection that never starts the SSH handshake.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads what the server sends (its version line) until it
// closes the connection, and says whether that happened within limit.
func closedWithin(c net.Conn, limit time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(limit))
	_, err := io.Copy(io.Discard, c)
	return err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
}

func TestSilentConnectionIsClosedAfterTheHandshakeDeadline(t *testing.T) {
	anna := newSigner(t)
	srv := startSSHWith(t, map[string]gossh.Signer{"anna": anna}, nil, func(c *SSHConfig) {
		c.HandshakeTimeout = 300 * time.Millisecond
	})
	c := rawConn(t, srv.addr)
	start := time.Now()
	if !closedWithin(c, 10*time.Second) {
		t.Fatal("a connection that never started the handshake was kept open")
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("closed after %s, before the deadline", d)
	}
	// A desk that authenticates is not cut off by the deadline.
	d := openDesk(t, srv.addr, "desk", anna, 80, 24)
	d.waitFor("PIN for anna")
	time.Sleep(500 * time.Millisecond)
	d.typeKeys("1234\r")
	d.waitFor("desk of anna")
	waitPending(t, srv.srv, 0)
}

func TestTooManyUnauthenticatedConnectionsAreRefused(t *testing.T) {
	anna := newSigner(t)
	srv := startSSHWith(t, map[string]gossh.Signer{"anna": anna}, nil, func(c *SSHConfig) {
		c.MaxUnauthenticated = 4
		c.HandshakeTimeout = time.Minute
	})
	held := make([]net.Conn, 4)
	for i := range held {
		held[i] = rawConn(t, srv.addr)
	}
	waitPending(t, srv.srv, 4)
	extra := rawConn(t, srv.addr)
	if !closedWithin(extra, 5*time.Second) {
		t.Fatal("a fifth unauthenticated connection was kept open over a cap of 4")
	}
	if _, err := dialSSH(srv.addr, "desk", anna); err == nil {
		t.Fatal("a desk got in while the cap was full")
	}
	// The held ones are still open (closing them frees their places).
	_ = held[0].SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := io.Copy(io.Discard, held[0]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a held connection was closed: %v", err)
	}
	for _, c := range held {
		c.Close()
	}
	waitPending(t, srv.srv, 0)
	d := openDesk(t, srv.addr, "desk", anna, 80, 24)
	d.waitFor("PIN for anna")
}

func waitPending(t *testing.T, s *SSHServer, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.gate.count() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections at the gate, want %d", s.gate.count(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A key removed while its desk is open, or its person disabled, ends that
// connection within about RecheckEvery; other desks stay.
func TestRemovedKeyOrDisabledStaffEndsTheConnection(t *testing.T) {
	anna, bob, dora := newSigner(t), newSigner(t), newSigner(t)
	var mu sync.Mutex
	disabled := map[string]bool{}
	srv := startSSHWith(t, map[string]gossh.Signer{"anna": anna, "bob": bob, "dora": dora},
		func(_ context.Context, staff string) error {
			mu.Lock()
			defer mu.Unlock()
			if disabled[staff] {
				return errors.New("disabled")
			}
			return nil
		}, func(c *SSHConfig) { c.RecheckEvery = 50 * time.Millisecond })
	a := openDesk(t, srv.addr, "desk", anna, 80, 24)
	b := openDesk(t, srv.addr, "desk", bob, 80, 24)
	d := openDesk(t, srv.addr, "desk", dora, 80, 24)
	a.login()
	b.login()
	d.login()

	removed, err := RemoveAuthorizedKeys(srv.keysPath, func(k AuthorizedKey) bool { return k.Staff == "anna" })
	if err != nil || len(removed) != 1 {
		t.Fatalf("removed %v, err %v", removed, err)
	}
	mu.Lock()
	disabled["dora"] = true
	mu.Unlock()
	for name, dk := range map[string]*desk{"removed key": a, "disabled staff": d} {
		select {
		case <-dk.ended:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the connection stayed open", name)
		}
	}
	b.typeKeys("p")
	b.waitFor("ops=1: bob")
	if _, err := dialSSH(srv.addr, "desk", anna); err == nil {
		t.Fatal("a removed key logged in")
	}
	keys, _, err := ReadAuthorizedKeys(srv.keysPath)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys left %v, err %v", keys, err)
	}
}
