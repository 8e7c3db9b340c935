package deskserver

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// Dispatch runs one CLI command in-process exactly as `paydesk ARGS...`
// would, writing to stdout and stderr, and returns its exit code.
type Dispatch func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// SecretReader is implemented by the stdin a forwarded command receives. When
// IsTerminal is true a person sits at the client's terminal, and a PIN must
// be asked with ReadSecret (typed there without echo) instead of being read
// from the stream.
type SecretReader interface {
	io.Reader
	IsTerminal() bool
	ReadSecret(prompt string) (string, error)
}

// ErrServerRunning means a live server already answers on the socket.
var ErrServerRunning = errors.New("a paydesk server is already answering on the socket")

// Exit codes the socket itself produces (the command's own codes pass through).
const (
	ExitRefused  = 77 // the peer is not the database's owner (EX_NOPERM)
	ExitInternal = 70 // the command panicked (EX_SOFTWARE)
)

// socketPathMax is below sun_path's size (108 on Linux, 104 on the BSDs).
const socketPathMax = 103

// SocketPath is where serve listens for the database at dbPath.
func SocketPath(dbPath string) string { return dbPath + ".sock" }

// SocketServer runs CLI commands sent by `paydesk` processes that found the
// database locked by this one.
type SocketServer struct {
	path     string
	ln       *net.UnixListener
	dispatch Dispatch
	log      *slog.Logger
	uid      int

	wg     sync.WaitGroup
	mu     sync.Mutex
	cancel map[*net.UnixConn]context.CancelFunc
	closed bool
}

// SocketOption configures a SocketServer.
type SocketOption func(*SocketServer)

// WithSocketLogger logs connections and refusals.
func WithSocketLogger(l *slog.Logger) SocketOption {
	return func(s *SocketServer) { s.log = l }
}

// WithAllowedUID sets the one user id allowed to connect (default: ours).
func WithAllowedUID(uid int) SocketOption {
	return func(s *SocketServer) { s.uid = uid }
}

// ListenSocket listens on path with mode 0600. A socket left behind by a
// crashed server is removed; one a live server still answers on is
// ErrServerRunning; any other file there is left alone and is an error.
func ListenSocket(path string, d Dispatch, opts ...SocketOption) (*SocketServer, error) {
	if d == nil {
		return nil, errors.New("socket: no dispatch function")
	}
	if len(path) > socketPathMax {
		return nil, fmt.Errorf("socket path %s is longer than the %d bytes a unix socket allows: move the database to a shorter path", path, socketPathMax)
	}
	if err := clearStaleSocket(path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	// The peer-uid check is the real gate; the mode keeps other users from
	// even connecting.
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	s := &SocketServer{
		path:     path,
		ln:       ln,
		dispatch: d,
		log:      slog.New(slog.DiscardHandler),
		uid:      os.Getuid(),
		cancel:   map[*net.UnixConn]context.CancelFunc{},
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func clearStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("socket: %s exists and is not a socket; remove it if it is not needed", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		_ = c.Close()
		return fmt.Errorf("%s: %w", path, ErrServerRunning)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("socket: remove stale %s: %w", path, err)
	}
	return nil
}

// Path is the socket's path.
func (s *SocketServer) Path() string { return s.path }

// Serve runs commands until ctx ends. It then stops accepting and removes the
// socket, lets running commands finish for a few seconds, and cancels the
// rest.
func (s *SocketServer) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		s.closeListener()
	}()
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.closeListener()
			s.drain()
			return fmt.Errorf("socket: %w", err)
		}
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s.mu.Lock()
		s.cancel[conn] = cancel
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.cancel, conn)
				s.mu.Unlock()
				cancel()
			}()
			s.handle(cctx, conn)
		}()
	}
	s.drain()
	return nil
}

// Close stops accepting and removes the socket; Serve then returns.
func (s *SocketServer) Close() error {
	s.closeListener()
	return nil
}

func (s *SocketServer) closeListener() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	_ = s.ln.Close() // unlinks the socket file
}

func (s *SocketServer) drain() {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(shutdownGrace):
	}
	s.mu.Lock()
	for _, cancel := range s.cancel {
		cancel()
	}
	s.mu.Unlock()
	<-done
}

func (s *SocketServer) handle(ctx context.Context, conn *net.UnixConn) {
	defer conn.Close()
	rm := &remote{conn: conn, replies: make(chan reply), done: make(chan struct{})}
	uid, err := peerUID(conn)
	if err != nil || uid != s.uid {
		s.log.Warn("socket connection refused", "peer_uid", uid, "err", err)
		// Take the request the client is already sending before answering:
		// closing on unread data resets the connection, and the client would
		// see a broken pipe instead of the reason.
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _, _ = readFrame(conn)
		_ = rm.send(frameStderr, []byte("paydesk: only the owner of the database may run commands through the server\n"))
		_ = rm.send(frameExit, uint32Payload(ExitRefused))
		return
	}
	// A client that connects and says nothing must not hold a goroutine.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, payload, err := readFrame(conn)
	_ = conn.SetReadDeadline(time.Time{})
	if err != nil || typ != frameCommand {
		s.log.Warn("socket: bad request", "err", err, "frame", string(typ))
		return
	}
	var req commandRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		s.log.Warn("socket: bad request", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go rm.readLoop(cancel)

	s.log.Info("socket command", "args", redactArgs(req.Args))
	start := time.Now()
	code := s.run(ctx, req, rm)
	s.log.Info("socket command done", "args", redactArgs(req.Args), "code", code, "duration", time.Since(start))
	_ = rm.send(frameExit, uint32Payload(uint32(int32(code))))
}

func (s *SocketServer) run(ctx context.Context, req commandRequest, rm *remote) (code int) {
	stderr := &frameWriter{rm: rm, typ: frameStderr}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("socket command panicked", "args", redactArgs(req.Args), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			fmt.Fprintln(stderr, "paydesk: internal error; see the server's log")
			code = ExitInternal
		}
	}()
	in := &remoteStdin{rm: rm, tty: req.StdinTerminal}
	return s.dispatch(ctx, req.Args, in, &frameWriter{rm: rm, typ: frameStdout}, stderr)
}

// redactArgs keeps logs free of anything that looks like a value given to a
// flag; command names are enough to follow what happened.
func redactArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if len(a) > 0 && a[0] == '-' {
			out = append(out, a)
			continue
		}
		if len(out) < 2 {
			out = append(out, a)
			continue
		}
		out = append(out, "…")
	}
	return out
}

type reply struct {
	typ     byte
	payload []byte
}

// remote is one client connection, seen from the server.
type remote struct {
	conn    net.Conn
	wmu     sync.Mutex // one frame at a time on the wire
	rmu     sync.Mutex // one outstanding request at a time
	replies chan reply
	done    chan struct{} // closed when the client is gone
}

func (r *remote) send(typ byte, payload []byte) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	return writeFrame(r.conn, typ, payload)
}

// readLoop hands the client's replies to request; when the client goes away
// (Ctrl-C, crash) the command's context is cancelled.
func (r *remote) readLoop(cancel context.CancelFunc) {
	defer cancel()
	defer close(r.done)
	for {
		typ, payload, err := readFrame(r.conn)
		if err != nil {
			return
		}
		select {
		case r.replies <- reply{typ, payload}:
		case <-time.After(time.Minute): // a reply nobody asked for
			return
		}
	}
}

func (r *remote) request(typ byte, payload []byte) (reply, error) {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	if err := r.send(typ, payload); err != nil {
		return reply{}, fmt.Errorf("client: %w", err)
	}
	select {
	case rep := <-r.replies:
		return rep, nil
	case <-r.done:
		return reply{}, fmt.Errorf("client went away: %w", io.ErrUnexpectedEOF)
	}
}

type frameWriter struct {
	rm  *remote
	typ byte
}

func (w *frameWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := min(len(p), chunkSize)
		if err := w.rm.send(w.typ, p[:c]); err != nil {
			return n, err
		}
		n += c
		p = p[c:]
	}
	return n, nil
}

type remoteStdin struct {
	rm  *remote
	tty bool
	eof bool
}

var _ SecretReader = (*remoteStdin)(nil)

func (in *remoteStdin) Read(p []byte) (int, error) {
	if in.eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	want := min(len(p), chunkSize)
	rep, err := in.rm.request(frameReadStdin, uint32Payload(uint32(want)))
	if err != nil {
		return 0, err
	}
	switch rep.typ {
	case frameStdin:
		if len(rep.payload) > want {
			return 0, errors.New("stdin: client sent more than asked")
		}
		return copy(p, rep.payload), nil
	case frameStdinEOF:
		in.eof = true
		return 0, io.EOF
	case frameFail:
		return 0, fmt.Errorf("stdin: %s", rep.payload)
	}
	return 0, fmt.Errorf("stdin: unexpected reply %q", rep.typ)
}

func (in *remoteStdin) IsTerminal() bool { return in.tty }

func (in *remoteStdin) ReadSecret(prompt string) (string, error) {
	if !in.tty {
		return "", errors.New("no terminal to ask for a secret on")
	}
	rep, err := in.rm.request(framePrompt, []byte(prompt))
	if err != nil {
		return "", err
	}
	switch rep.typ {
	case frameSecret:
		return string(rep.payload), nil
	case frameFail:
		return "", fmt.Errorf("%s", rep.payload)
	}
	return "", fmt.Errorf("secret: unexpected reply %q", rep.typ)
}

func exitCode(payload []byte) (int, error) {
	if len(payload) != 4 {
		return 0, errors.New("bad exit frame")
	}
	return int(int32(binary.BigEndian.Uint32(payload))), nil
}
