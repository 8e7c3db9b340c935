package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/charmbracelet/x/term"
)

// progressLine shows a long command's progress as one line on a terminal's
// stderr, redrawn in place a few times a second with the time so far, so a
// check of millions of operations is visibly alive. It is silent where
// stderr is no terminal (a script, a log, a forwarded command) and under
// --json; stdout, the report, is never touched.
type progressLine struct {
	w     io.Writer
	start time.Time
	stop  chan struct{}
	done  chan struct{}

	mu    sync.Mutex
	step  string
	n, of int
}

// newProgress starts the line on stderr if it is a terminal and on is set;
// otherwise every call is a no-op. End it with finish.
func newProgress(stderr io.Writer, on bool) *progressLine {
	f, ok := stderr.(*os.File)
	if !on || !ok || !term.IsTerminal(f.Fd()) {
		return nil
	}
	return startProgress(stderr, 250*time.Millisecond)
}

func startProgress(w io.Writer, every time.Duration) *progressLine {
	p := &progressLine{w: w, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

// set names the step and how far it is: n of total (total 0: a count
// without an end; n 0 too: only the step and the time).
func (p *progressLine) set(step string, n, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.step, p.n, p.of = step, n, total
	p.mu.Unlock()
}

func (p *progressLine) draw() {
	p.mu.Lock()
	step, n, of := p.step, p.n, p.of
	p.mu.Unlock()
	line := "checking: " + step
	switch {
	case of > 0:
		line += fmt.Sprintf(" %s of %s (%d%%)", thousands(n), thousands(of), min(100, n*100/of))
	case n > 0:
		line += " " + thousands(n)
	}
	line += fmt.Sprintf(", %ds", int(time.Since(p.start).Seconds()))
	// \r back to the start, \x1b[K clears what a longer line left.
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

// finish stops the line and clears it, so the report starts on a clean line.
func (p *progressLine) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
	fmt.Fprint(p.w, "\r\x1b[K")
}

// thousands writes n with commas: 1,148,360.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
