package deskserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// fakeCLI stands in for paydesk's command table.
func fakeCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: paydesk COMMAND")
		return 2
	}
	switch args[0] {
	case "echo":
		fmt.Fprintln(stdout, strings.Join(args[1:], " "))
		fmt.Fprintln(stderr, "echoed", len(args)-1, "words")
		return 0
	case "cat":
		n, err := io.Copy(stdout, stdin)
		if err != nil {
			fmt.Fprintln(stderr, "cat:", err)
			return 1
		}
		fmt.Fprintln(stderr, n, "bytes")
		return 0
	case "fail":
		fmt.Fprintln(stderr, "paydesk: client 7: not found")
		return 3
	case "pin":
		sr, ok := stdin.(SecretReader)
		if !ok || !sr.IsTerminal() {
			fmt.Fprintln(stderr, "no terminal")
			return 1
		}
		pin, err := sr.ReadSecret("PIN: ")
		if err != nil {
			fmt.Fprintln(stderr, "pin:", err)
			return 1
		}
		fmt.Fprintf(stdout, "got %q\n", pin)
		return 0
	case "panic":
		panic("boom")
	}
	fmt.Fprintf(stderr, "unknown command %q\n", args[0])
	return 2
}

// startSocket serves d on a fresh socket and stops it when the test ends.
func startSocket(t *testing.T, d Dispatch, opts ...SocketOption) (string, *SocketServer) {
	t.Helper()
	path := SocketPath(filepath.Join(t.TempDir(), "p.db"))
	s, err := ListenSocket(path, d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket %s left behind (err %v)", path, err)
		}
	})
	return path, s
}

func TestForwardGivesSameOutputAndExitCode(t *testing.T) {
	path, _ := startSocket(t, fakeCLI)
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*chunkSize/16+7) // several frames
	tests := []struct {
		name  string
		args  []string
		stdin func() io.Reader
	}{
		{"echo", []string{"echo", "day", "2026-11-25"}, nil},
		{"exit code", []string{"fail"}, nil},
		{"usage", nil, nil},
		{"stdin across frames", []string{"cat"}, func() io.Reader { return bytes.NewReader(big) }},
		{"empty stdin", []string{"cat"}, func() io.Reader { return strings.NewReader("") }},
		// A stdin that never ends must not matter to a command that does not read it.
		{"unread endless stdin", []string{"echo", "x"}, func() io.Reader { return neverEnding{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wantOut, wantErr bytes.Buffer
			var in, fwdIn io.Reader
			if tt.stdin != nil {
				in, fwdIn = tt.stdin(), tt.stdin()
			}
			wantCode := fakeCLI(context.Background(), tt.args, in, &wantOut, &wantErr)

			var gotOut, gotErr bytes.Buffer
			code, err := Forward(context.Background(), path, tt.args, fwdIn, &gotOut, &gotErr)
			if err != nil {
				t.Fatal(err)
			}
			if code != wantCode {
				t.Errorf("exit code %d, want %d", code, wantCode)
			}
			if !bytes.Equal(gotOut.Bytes(), wantOut.Bytes()) {
				t.Errorf("stdout differs: got %d bytes %.60q, want %d bytes %.60q", gotOut.Len(), gotOut.String(), wantOut.Len(), wantOut.String())
			}
			if gotErr.String() != wantErr.String() {
				t.Errorf("stderr %q, want %q", gotErr.String(), wantErr.String())
			}
		})
	}
}

type neverEnding struct{}

func (neverEnding) Read(p []byte) (int, error) { select {} }

func TestForwardSecretFromTerminal(t *testing.T) {
	path, _ := startSocket(t, fakeCLI)
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	// Typed ahead: the line waits in the terminal until the PIN is read.
	if _, err := master.Write([]byte("4821\r")); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, master) }()
	var out, errb bytes.Buffer
	code, err := Forward(context.Background(), path, []string{"pin"}, slave, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || out.String() != "got \"4821\"\n" || errb.String() != "PIN: \n" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

func TestSecretNeedsTerminal(t *testing.T) {
	path, _ := startSocket(t, fakeCLI)
	var out, errb bytes.Buffer
	code, err := Forward(context.Background(), path, []string{"pin"}, strings.NewReader("4821\n"), &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if code != 1 || errb.String() != "no terminal\n" {
		t.Fatalf("code %d, stderr %q", code, errb.String())
	}
}

func TestSocketRefusesOtherUsers(t *testing.T) {
	called := false
	path, _ := startSocket(t, func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		called = true
		return 0
	}, WithAllowedUID(os.Getuid()+1))
	var out, errb bytes.Buffer
	code, err := Forward(context.Background(), path, []string{"echo", "hi"}, nil, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if code != ExitRefused || !strings.Contains(errb.String(), "only the owner of the database") || out.Len() != 0 {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	if called {
		t.Fatal("the command ran for a refused peer")
	}
}

func TestSocketModeIsOwnerOnly(t *testing.T) {
	path, _ := startSocket(t, fakeCLI)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %o, want 600", st.Mode().Perm())
	}
}

func TestPanicEndsOnlyThatCommand(t *testing.T) {
	path, _ := startSocket(t, fakeCLI)
	var out, errb bytes.Buffer
	code, err := Forward(context.Background(), path, []string{"panic"}, nil, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if code != ExitInternal || !strings.Contains(errb.String(), "internal error") {
		t.Fatalf("code %d, stderr %q", code, errb.String())
	}
	out.Reset()
	code, err = Forward(context.Background(), path, []string{"echo", "still", "here"}, nil, &out, &errb)
	if err != nil || code != 0 || out.String() != "still here\n" {
		t.Fatalf("after a panic: code %d err %v stdout %q", code, err, out.String())
	}
}

func TestClientGoneCancelsCommand(t *testing.T) {
	started := make(chan struct{})
	cancelled := make(chan struct{})
	path, _ := startSocket(t, func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return 1
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Forward(ctx, path, []string{"wait"}, nil, io.Discard, io.Discard)
		errc <- err
	}()
	<-started
	cancel()
	<-cancelled
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Forward: %v, want context.Canceled", err)
	}
}

func TestStaleSocket(t *testing.T) {
	t.Run("left by a crash is replaced", func(t *testing.T) {
		path := SocketPath(filepath.Join(t.TempDir(), "p.db"))
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		ln.SetUnlinkOnClose(false)
		ln.Close()
		if _, err := os.Lstat(path); err != nil {
			t.Fatalf("setup: stale socket missing: %v", err)
		}
		s, err := ListenSocket(path, fakeCLI)
		if err != nil {
			t.Fatalf("stale socket not replaced: %v", err)
		}
		s.Close()
	})
	t.Run("a live server is not replaced", func(t *testing.T) {
		path, _ := startSocket(t, fakeCLI)
		if _, err := ListenSocket(path, fakeCLI); !errors.Is(err, ErrServerRunning) {
			t.Fatalf("got %v, want ErrServerRunning", err)
		}
		var out bytes.Buffer
		if code, err := Forward(context.Background(), path, []string{"echo", "ok"}, nil, &out, io.Discard); err != nil || code != 0 {
			t.Fatalf("the live server was disturbed: %d %v", code, err)
		}
	})
	t.Run("a regular file is left alone", func(t *testing.T) {
		path := SocketPath(filepath.Join(t.TempDir(), "p.db"))
		if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ListenSocket(path, fakeCLI); err == nil {
			t.Fatal("listened over a regular file")
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
			t.Fatalf("file changed: %q %v", b, err)
		}
	})
}

func TestForwardWithoutServer(t *testing.T) {
	path := SocketPath(filepath.Join(t.TempDir(), "p.db"))
	if _, err := Forward(context.Background(), path, []string{"echo"}, nil, io.Discard, io.Discard); !errors.Is(err, ErrNoServer) {
		t.Fatalf("got %v, want ErrNoServer", err)
	}
}

func TestSocketPathTooLong(t *testing.T) {
	path := "/tmp/" + strings.Repeat("d", 120) + "/p.db.sock"
	if _, err := ListenSocket(path, fakeCLI); err == nil || !strings.Contains(err.Error(), "longer") {
		t.Fatalf("got %v", err)
	}
}
