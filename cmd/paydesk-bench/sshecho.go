package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/deskserver"
	"github.com/paydesk/paydesk/internal/vterm"
	"github.com/paydesk/paydesk/tui"
)

// measureSSHEcho is four cashiers at SSH desks (the real SSH server of
// `paydesk serve`, internal/deskserver, one TUI per session over the one
// service, over loopback), each typing client names into the clients
// screen's search at once, a key every gap: a keystroke's echo is the time
// from sending the key until that desk's screen, as a terminal shows it
// (internal/vterm), has the typed text in the search line.
func measureSSHEcho(ctx context.Context, books *finance.Service, dir string, desks, names int, gap time.Duration) ([]time.Duration, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	keys := filepath.Join(dir, "bench_authorized_keys")
	if err := deskserver.AddAuthorizedKey(keys, signer.PublicKey(), actorDesk.Staff); err != nil {
		return nil, err
	}
	srv, err := deskserver.NewSSHServer(deskserver.SSHConfig{
		Addr: "127.0.0.1:0", HostKeyPath: filepath.Join(dir, "bench_host_key"), AuthorizedKeysPath: keys,
		Logger: slog.New(slog.DiscardHandler),
		NewModel: func(s deskserver.Session) (tea.Model, error) {
			return tui.New(tui.Deps{Service: books, Renderer: s.Renderer, Ctx: s.Context, Staff: s.Staff, Detachable: true}), nil
		},
	})
	if err != nil {
		return nil, err
	}
	ln, err := srv.Listen()
	if err != nil {
		return nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { _ = srv.Serve(sctx, ln); close(served) }()
	defer func() { stop(); <-served }()

	var (
		mu    sync.Mutex
		all   []time.Duration
		first error
		wg    sync.WaitGroup
	)
	for i := range desks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			echoes, err := sshDesk(ctx, ln.Addr().String(), signer, i, names, gap)
			mu.Lock()
			defer mu.Unlock()
			all = append(all, echoes...)
			if err != nil && first == nil {
				first = fmt.Errorf("SSH desk %d: %w", i+1, err)
			}
		}()
	}
	wg.Wait()
	return all, first
}

// echoScreen is a desk's terminal, with a signal each time output arrives
// so a wait for the echo looks as soon as there is something to see.
type echoScreen struct {
	*vterm.Screen
	arrived chan struct{}
}

type signalReader struct {
	r       io.Reader
	arrived chan struct{}
}

func (s signalReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	return n, err
}

// await waits until the screen shows want, up to limit.
func (e *echoScreen) await(want string, limit time.Duration) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		if strings.Contains(e.String(), want) {
			return nil
		}
		select {
		case <-e.arrived:
		case <-time.After(time.Millisecond): // vterm applies a read just after it returns
		case <-e.Done():
			return errors.New("the session ended")
		case <-deadline.C:
			return fmt.Errorf("the screen never showed %q within %v; it shows:\n%s", want, limit, e.String())
		}
	}
}

// sshDesk is one desk: connect, PIN, the clients screen's search, then
// names typed a key at a time.
func sshDesk(ctx context.Context, addr string, signer gossh.Signer, n, names int, gap time.Duration) ([]time.Duration, error) {
	const w, h = 120, 40
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "desk", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		Timeout: 10 * time.Second, HostKeyCallback: func(string, net.Addr, gossh.PublicKey) error { return nil }})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := s.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		return nil, err
	}
	in, err := s.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := s.StdoutPipe()
	if err != nil {
		return nil, err
	}
	arrived := make(chan struct{}, 1)
	scr := &echoScreen{Screen: vterm.Attach(signalReader{out, arrived}, in, w, h), arrived: arrived}
	if err := s.Shell(); err != nil {
		return nil, err
	}
	send := func(k string) error { _, err := io.WriteString(in, k); return err }
	const slow = 20 * time.Second // a screen change, not a keystroke: only a hang fails
	if err := scr.await("Who are you?", slow); err != nil {
		return nil, err
	}
	if err := send("1111\r"); err != nil {
		return nil, err
	}
	if err := scr.await(actorDesk.Staff+" (desk)", slow); err != nil {
		return nil, err
	}
	var echoes []time.Duration
	for i := range names {
		if err := send("/"); err != nil {
			return echoes, err
		}
		if err := scr.await("esc clear", slow); err != nil {
			return echoes, err
		}
		typed := ""
		for _, r := range clientName(n*7919 + i*37) {
			typed += string(r)
			if r == ' ' {
				// The screen's text has no trailing blanks to see a space
				// by: it goes with the next letter, which is timed.
				if err := send(" "); err != nil {
					return echoes, err
				}
				continue
			}
			t := time.Now()
			if err := send(string(r)); err != nil {
				return echoes, err
			}
			if err := scr.await("Search "+typed, slow); err != nil {
				return echoes, err
			}
			echoes = append(echoes, time.Since(t))
			sleepCtx(ctx, gap)
			if ctx.Err() != nil {
				return echoes, ctx.Err()
			}
		}
		if err := send("\x1b"); err != nil { // esc clears the search
			return echoes, err
		}
		if err := scr.await("Search ", slow); err != nil {
			return echoes, err
		}
		sleepCtx(ctx, 5*gap)
	}
	return echoes, nil
}
