package main

import (
	"bytes"
	"github.com/creack/pty"
	"github.com/paydesk/paydesk/store"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuf is a buffer the progress goroutine and the test share.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressLineRedrawsInPlaceAndClears(t *testing.T) {
	var w syncBuf
	p := startProgress(&w, time.Millisecond)
	p.set("the ledger's invariants, operations", 573_440, 1_148_360)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), "573,440 of 1,148,360 (49%)") {
		if time.Now().After(deadline) {
			t.Fatalf("no progress drawn: %q", w.String())
		}
		time.Sleep(time.Millisecond)
	}
	p.set(store.VerifyPages, 16384, 0)
	for !strings.Contains(w.String(), "reading every page 16,384,") {
		if time.Now().After(deadline) {
			t.Fatalf("no count drawn: %q", w.String())
		}
		time.Sleep(time.Millisecond)
	}
	p.finish()
	out := w.String()
	if !strings.HasPrefix(out, "\rchecking: ") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Fatalf("the line is not redrawn in place and cleared at the end: %q", out)
	}
	if strings.Contains(out, "\n") {
		t.Fatalf("the progress line printed a newline: %q", out)
	}
}

// A nil line (stderr no terminal, or --json) does nothing.
func TestProgressOffWithoutTerminal(t *testing.T) {
	var w bytes.Buffer
	p := newProgress(&w, true)
	if p != nil {
		t.Fatal("a progress line on a buffer")
	}
	p.set("x", 1, 2)
	p.finish()
	if w.Len() != 0 {
		t.Fatalf("wrote %q", w.String())
	}
}

func TestCheckPrintsNoProgressOffTerminal(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.ok("client", "add", "--name", "Ada", "--phone", "+380501234567")
	for _, args := range [][]string{{"check"}, {"check", "--json"}} {
		r := d.run(args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.err)
		}
		if strings.Contains(r.err, "checking:") || strings.Contains(r.out, "checking:") {
			t.Fatalf("%v printed progress where no terminal is: stdout %q stderr %q", args, r.out, r.err)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1148360: "1,148,360", -12345: "-12,345"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// On a terminal's stderr, check draws its line there and clears it at the
// end; the report still goes to stdout alone. The books are small, so the
// line may be cleared before it is ever drawn: the clearing shows it was on.
func TestCheckProgressOnTerminalStderr(t *testing.T) {
	d := newDesk(t)
	d.init()
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer ptm.Close()
	cmd := exec.Command(binary, "--db", d.db, "--config", d.config, "check")
	cmd.Env = d.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var got bytes.Buffer
	read := make(chan struct{})
	go func() { _, _ = io.Copy(&got, ptm); close(read) }()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("check: %v\n%s", err, got.String())
	}
	select {
	case <-read: // EOF (or EIO) once the child's side closed
	case <-time.After(5 * time.Second):
		ptm.Close()
		<-read
	}
	if !strings.Contains(got.String(), "\r\x1b[K") {
		t.Fatalf("no progress line on the terminal: %q", got.String())
	}
	if !strings.Contains(out.String(), "ok: every invariant holds") || strings.Contains(out.String(), "checking:") {
		t.Fatalf("stdout: %q", out.String())
	}
}
