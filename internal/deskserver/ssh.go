// Package deskserver lets one `paydesk serve` process, which holds the bbolt
// file, serve every front desk: an SSH server that runs one TUI per session
// (soft-serve's shape, on charmbracelet/wish), and a unix socket through which
// the CLI runs its commands in the server's process while the file is locked.
// It knows nothing of the TUI or the store: the caller hands it a model
// constructor and a CLI dispatch function, both closed over one
// *finance.Service so that every desk sees the same books and notifications.
package deskserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	bm "github.com/charmbracelet/wish/bubbletea"
	"github.com/charmbracelet/wish/recover"
	"github.com/muesli/termenv"
)

// Defaults for the SSH server.
const (
	DefaultSSHAddr = "127.0.0.1:2222"
	// DefaultIdleTimeout drops a connection nobody has typed into or looked
	// at for this long; the TUI's own PIN lock comes much sooner.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultMaxTimeout bounds a connection to a long working day.
	DefaultMaxTimeout = 16 * time.Hour
	// DefaultRecheck: a key removed or its person disabled ends the
	// connections it opened within about this long.
	DefaultRecheck = 500 * time.Millisecond
	// shutdownGrace is how long Serve waits for sessions to close after
	// asking their programs to quit.
	shutdownGrace = 5 * time.Second
)

// Session is what a model constructor learns about a new SSH session.
type Session struct {
	// Context ends when the SSH session ends.
	Context context.Context
	// User is the name the client logged in as (`ssh desk@host`).
	User string
	// Staff is the staff member the client's key belongs to. The TUI still
	// asks for a PIN: the key proves the terminal, the PIN the person.
	Staff string
	// Renderer is this session's lipgloss renderer: styles must be built
	// from it, not from lipgloss.NewStyle, or colours follow the server's
	// terminal instead of the desk's.
	Renderer *lipgloss.Renderer
	// Width and Height are the terminal's size at connect; resizes arrive
	// as tea.WindowSizeMsg.
	Width, Height int
	RemoteAddr    string
}

// ModelFunc builds one session's model. An error ends the session with the
// error's text shown to the client.
type ModelFunc func(Session) (tea.Model, error)

// SSHConfig configures the SSH server.
type SSHConfig struct {
	Addr               string // default DefaultSSHAddr
	HostKeyPath        string // required; generated on first start
	AuthorizedKeysPath string // required; "ssh-ed25519 AAAA... staff-name" lines
	IdleTimeout        time.Duration
	MaxTimeout         time.Duration
	// HandshakeTimeout closes a connection that has not authenticated by
	// then (default DefaultHandshakeTimeout); MaxUnauthenticated caps how
	// many such connections may be open at once (DefaultMaxUnauthenticated).
	HandshakeTimeout   time.Duration
	MaxUnauthenticated int
	// RecheckEvery is how often an open session's key is checked again
	// (default DefaultRecheck, half a second): a key removed, or its staff member
	// disabled, ends the connection.
	RecheckEvery time.Duration
	NewModel     ModelFunc
	// CheckStaff, when set, is asked whether the staff member a key belongs
	// to may connect (unknown or disabled staff are refused at the door).
	CheckStaff func(ctx context.Context, staff string) error
	Logger     *slog.Logger
}

// SSHServer serves one TUI per SSH session.
type SSHServer struct {
	cfg  SSHConfig
	log  *slog.Logger
	srv  *ssh.Server
	gate *gate

	mu       sync.Mutex
	programs map[ssh.Session]*tea.Program
	ended    chan struct{} // a session's program finished
}

type staffKey struct{}

// NewSSHServer builds the server and loads (or creates) its host key.
func NewSSHServer(cfg SSHConfig) (*SSHServer, error) {
	if cfg.NewModel == nil {
		return nil, errors.New("ssh server: no model constructor")
	}
	if cfg.HostKeyPath == "" || cfg.AuthorizedKeysPath == "" {
		return nil, errors.New("ssh server: host key and authorized keys paths are required")
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultSSHAddr
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxTimeout == 0 {
		cfg.MaxTimeout = DefaultMaxTimeout
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.MaxUnauthenticated <= 0 {
		cfg.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	if cfg.RecheckEvery <= 0 {
		cfg.RecheckEvery = DefaultRecheck
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	signer, err := LoadOrCreateHostKey(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s := &SSHServer{cfg: cfg, log: log, programs: map[ssh.Session]*tea.Program{}, ended: make(chan struct{}, 1),
		gate: &gate{timeout: cfg.HandshakeTimeout, max: cfg.MaxUnauthenticated, log: log}}
	srv, err := wish.NewServer(
		wish.WithAddress(cfg.Addr),
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		func(srv *ssh.Server) error {
			srv.ConnCallback = s.gate.admit
			srv.ServerConfigCallback = s.gate.serverConfig
			return nil
		},
		wish.WithPublicKeyAuth(s.publicKeyHandler),
		wish.WithIdleTimeout(cfg.IdleTimeout),
		wish.WithMaxTimeout(cfg.MaxTimeout),
		// The last middleware runs first: authenticate, log, then run the
		// program under recover so a panic ends only this session.
		wish.WithMiddleware(
			recover.MiddlewareWithLogger(printfLogger{log},
				bm.MiddlewareWithProgramHandler(s.newProgram, termenv.ANSI256),
				s.trackMiddleware,
				activeterm.Middleware(),
			),
			s.logMiddleware,
			s.authMiddleware,
		),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Addr is the configured listen address.
func (s *SSHServer) Addr() string { return s.cfg.Addr }

// Listen opens the configured TCP address.
func (s *SSHServer) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	return ln, nil
}

// Serve accepts desks on ln until ctx ends, then shuts down gracefully: it
// stops accepting, asks every running TUI to quit, waits a few seconds for
// sessions to close and then drops the rest.
func (s *SSHServer) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, ssh.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("ssh server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("ssh server stopping", "sessions", s.sessionCount())
	// Shutdown with a spent context only closes the listener: no new desks.
	spent, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.srv.Shutdown(spent)
	s.quitAll()
	if !s.waitSessions(shutdownGrace) {
		s.log.Warn("ssh sessions did not close in time; dropping them", "sessions", s.sessionCount())
	}
	// Clients keep their connections open after a session ends; drop them.
	_ = s.srv.Close()
	<-errc
	return nil
}

// waitSessions waits until every session's program has ended.
func (s *SSHServer) waitSessions(limit time.Duration) bool {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for s.sessionCount() > 0 {
		select {
		case <-s.ended:
		case <-deadline.C:
			return false
		}
	}
	return true
}

func (s *SSHServer) sessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.programs)
}

func (s *SSHServer) quitAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.programs {
		// Quit blocks until the program's loop takes it; never hold up
		// shutdown on one stuck session.
		go p.Quit()
	}
}

// publicKeyHandler admits a key found in the authorized-keys file whose staff
// member passes CheckStaff.
func (s *SSHServer) publicKeyHandler(ctx ssh.Context, key ssh.PublicKey) bool {
	staff, err := s.staffFor(ctx, key)
	if err != nil {
		s.log.Info("ssh key refused", "user", ctx.User(), "remote", ctx.RemoteAddr().String(), "err", err)
		return false
	}
	return staff != ""
}

func (s *SSHServer) staffFor(ctx context.Context, key ssh.PublicKey) (string, error) {
	staff, err := LookupKey(s.cfg.AuthorizedKeysPath, key)
	if err != nil {
		return "", err
	}
	if s.cfg.CheckStaff != nil {
		if err := s.cfg.CheckStaff(ctx, staff); err != nil {
			return "", fmt.Errorf("staff %s: %w", staff, err)
		}
	}
	return staff, nil
}

// authMiddleware checks again, with the key the connection actually proved,
// because the public key callback may have been asked about other keys the
// client offered (soft-serve does the same).
func (s *SSHServer) authMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		staff, err := s.staffFor(sess.Context(), sess.PublicKey())
		if err != nil {
			s.log.Warn("ssh session refused", "user", sess.User(), "remote", sess.RemoteAddr().String(), "err", err)
			wish.Fatalln(sess, "paydesk: this key may not log in")
			return
		}
		sess.Context().SetValue(staffKey{}, staff)
		stop := s.watchKey(sess, staff)
		defer stop()
		next(sess)
	}
}

// watchKey checks the session's key again every RecheckEvery and closes the
// connection once the key may no longer log in: `paydesk ssh-key remove`,
// or its staff member disabled. The desk's own screen locks for a staff
// change already; this also takes the connection away.
func (s *SSHServer) watchKey(sess ssh.Session, staff string) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(s.cfg.RecheckEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-sess.Context().Done():
				return
			case <-t.C:
			}
			if _, err := s.staffFor(sess.Context(), sess.PublicKey()); err != nil {
				if errors.Is(err, context.Canceled) {
					return
				}
				s.log.Warn("ssh connection closed: the key may no longer log in", "staff", staff,
					"remote", sess.RemoteAddr().String(), "err", err)
				_, _ = fmt.Fprint(sess.Stderr(), "\r\npaydesk: this key may no longer log in\r\n")
				if c, ok := sess.Context().Value(ssh.ContextKeyConn).(interface{ Close() error }); ok {
					_ = c.Close()
				}
				return
			}
		}
	}()
	return func() { close(done) }
}

func (s *SSHServer) logMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		start := time.Now()
		pty, _, _ := sess.Pty()
		staff, _ := sess.Context().Value(staffKey{}).(string)
		s.log.Info("ssh session start", "user", sess.User(), "staff", staff,
			"remote", sess.RemoteAddr().String(), "term", pty.Term,
			"width", pty.Window.Width, "height", pty.Window.Height)
		next(sess)
		s.log.Info("ssh session end", "user", sess.User(), "staff", staff,
			"remote", sess.RemoteAddr().String(), "duration", time.Since(start).Round(time.Second))
	}
}

// trackMiddleware forgets a session's program once it has finished.
func (s *SSHServer) trackMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer func() {
			s.mu.Lock()
			delete(s.programs, sess)
			s.mu.Unlock()
			select {
			case s.ended <- struct{}{}:
			default:
			}
		}()
		next(sess)
	}
}

func (s *SSHServer) newProgram(sess ssh.Session) *tea.Program {
	pty, _, _ := sess.Pty()
	staff, _ := sess.Context().Value(staffKey{}).(string)
	m, err := s.cfg.NewModel(Session{
		Context:    sess.Context(),
		User:       sess.User(),
		Staff:      staff,
		Renderer:   bm.MakeRenderer(sess),
		Width:      pty.Window.Width,
		Height:     pty.Window.Height,
		RemoteAddr: sess.RemoteAddr().String(),
	})
	if err != nil {
		s.log.Error("ssh session: cannot start the screen", "staff", staff, "err", err)
		wish.Fatalln(sess, "paydesk: "+err.Error())
		return nil
	}
	// Catching panics stays on (the default): Bubble Tea then recovers panics
	// in Update, View and Cmds, ending this program only. Process signals
	// belong to serve, which quits every session itself on shutdown.
	opts := append(bm.MakeOptions(sess),
		tea.WithAltScreen(),
		tea.WithContext(sess.Context()),
		tea.WithoutSignalHandler(),
	)
	p := tea.NewProgram(m, opts...)
	s.mu.Lock()
	s.programs[sess] = p
	s.mu.Unlock()
	return p
}

// printfLogger adapts slog to wish's recover logger.
type printfLogger struct{ l *slog.Logger }

func (p printfLogger) Printf(format string, v ...any) {
	p.l.Error("ssh session panicked", "detail", fmt.Sprintf(format, v...))
}
