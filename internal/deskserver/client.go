package deskserver

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/charmbracelet/x/term"
)

// ErrNoServer means nothing answers on the socket.
var ErrNoServer = errors.New("no paydesk server answers on the socket")

// Forward has the server listening on socketPath run `paydesk args...` and
// relays its output; the result is the command's exit code. Input is read
// from stdin only when the command asks for it; a PIN is typed on this
// terminal without echo when stdin is one.
func Forward(ctx context.Context, socketPath string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socketPath)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNoServer, err)
	}
	defer conn.Close()
	// Ctrl-C here closes the connection, which cancels the command there.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	ttyFd, tty := terminalFd(stdin)
	req, err := json.Marshal(commandRequest{Args: args, StdinTerminal: tty})
	if err != nil {
		return 0, err
	}
	if err := writeFrame(conn, frameCommand, req); err != nil {
		return 0, fmt.Errorf("send command: %w", err)
	}
	for {
		typ, payload, err := readFrame(conn)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, fmt.Errorf("the server closed the connection before the command finished: %w", err)
		}
		switch typ {
		case frameStdout:
			_, _ = stdout.Write(payload)
		case frameStderr:
			_, _ = stderr.Write(payload)
		case frameExit:
			return exitCode(payload)
		case frameReadStdin:
			if err := answerStdin(conn, stdin, payload); err != nil {
				return 0, err
			}
		case framePrompt:
			if err := answerPrompt(conn, ttyFd, tty, string(payload), stderr); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("unexpected frame %q from the server", typ)
		}
	}
}

func terminalFd(r io.Reader) (uintptr, bool) {
	f, ok := r.(*os.File)
	if !ok || f == nil {
		return 0, false
	}
	return f.Fd(), term.IsTerminal(f.Fd())
}

func answerStdin(conn net.Conn, stdin io.Reader, payload []byte) error {
	if len(payload) != 4 {
		return errors.New("bad stdin request from the server")
	}
	want := min(int(binary.BigEndian.Uint32(payload)), chunkSize)
	if stdin == nil || want <= 0 {
		return writeFrame(conn, frameStdinEOF, nil)
	}
	buf := make([]byte, want)
	for {
		n, err := stdin.Read(buf)
		if n > 0 {
			return writeFrame(conn, frameStdin, buf[:n])
		}
		if errors.Is(err, io.EOF) {
			return writeFrame(conn, frameStdinEOF, nil)
		}
		if err != nil {
			return writeFrame(conn, frameFail, []byte(err.Error()))
		}
	}
}

func answerPrompt(conn net.Conn, fd uintptr, tty bool, prompt string, stderr io.Writer) error {
	if !tty {
		return writeFrame(conn, frameFail, []byte("stdin is not a terminal"))
	}
	fmt.Fprint(stderr, prompt)
	secret, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return writeFrame(conn, frameFail, []byte(err.Error()))
	}
	return writeFrame(conn, frameSecret, secret)
}
