package deskserver

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Defaults for connections that have not authenticated yet.
const (
	// DefaultHandshakeTimeout is how long a connection has to finish the
	// SSH handshake and authenticate (OpenSSH's LoginGraceTime is 120 s; a
	// desk's key is in an agent or typed once, so less is plenty).
	DefaultHandshakeTimeout = 30 * time.Second
	// DefaultMaxUnauthenticated is how many connections may be in that
	// state at once; more are closed at accept (OpenSSH's MaxStartups
	// starts refusing at 10 and refuses all at 100).
	DefaultMaxUnauthenticated = 32
)

// gate holds connections that have not authenticated: each gets a deadline,
// and there may be only so many at once, so a client that opens sockets and
// never speaks (or speaks slowly) cannot use up the server's goroutines and
// file descriptors while the desks need them.
type gate struct {
	timeout time.Duration
	max     int
	log     *slog.Logger

	mu      sync.Mutex
	pending int
}

type gateKey struct{}

// pass is one connection's place at the gate; release is idempotent.
type pass struct {
	g     *gate
	once  sync.Once
	timer *time.Timer
}

func (p *pass) release() bool {
	released := false
	p.once.Do(func() {
		released = true
		p.g.mu.Lock()
		defer p.g.mu.Unlock()
		if p.timer != nil {
			p.timer.Stop()
		}
		p.g.pending--
	})
	return released
}

// admit is the server's ConnCallback: nil closes the connection at once.
func (g *gate) admit(ctx ssh.Context, c net.Conn) net.Conn {
	g.mu.Lock()
	if g.pending >= g.max {
		n := g.pending
		g.mu.Unlock()
		g.log.Warn("ssh connection refused: too many unauthenticated connections",
			"remote", c.RemoteAddr().String(), "pending", n, "max", g.max)
		return nil
	}
	g.pending++
	p := &pass{g: g}
	// Set under the lock that release reads it under.
	p.timer = time.AfterFunc(g.timeout, func() {
		if p.release() {
			g.log.Info("ssh connection closed: no handshake within the deadline",
				"remote", c.RemoteAddr().String(), "deadline", g.timeout)
			_ = c.Close()
		}
	})
	g.mu.Unlock()
	ctx.SetValue(gateKey{}, p)
	// The context ends when the connection closes, however it ends.
	context.AfterFunc(ctx, func() { p.release() })
	return c
}

// serverConfig lets a connection through the gate once it has authenticated
// (AuthLogCallback is called without an error only then: public-key
// queries are not reported).
func (g *gate) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{
		AuthLogCallback: func(_ gossh.ConnMetadata, _ string, err error) {
			if err != nil {
				return
			}
			if p, ok := ctx.Value(gateKey{}).(*pass); ok {
				p.release()
			}
		},
	}
}

// count is how many connections wait at the gate (tests).
func (g *gate) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pending
}
