package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui"
	"github.com/paydesk/paydesk/tui/common"
)

// The TUI is driven the way Bubble Tea drives it, minus the terminal: the
// root model from tui.New gets a window size, every command it returns runs
// on its own goroutine and its message is fed back to Update on this one.
// Commands that wait on purpose (the clock tick, the change subscription)
// simply never answer while a screen settles.

const (
	termWidth  = 120
	termHeight = 40
	// settle is how long no message may arrive before a screen counts as loaded.
	settle = 40 * time.Millisecond
)

type driver struct {
	m    tea.Model
	msgs chan tea.Msg
	// lastMsg is when the last message that changed the screen was applied.
	lastMsg time.Time
}

func newDriver(books *finance.Service, ctx context.Context) *driver {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor) // style as a real terminal would, so View pays for colour
	r.SetHasDarkBackground(true)
	d := &driver{m: tui.New(tui.Deps{Service: books, Renderer: r, Ctx: ctx, SyncConfigured: true}),
		msgs: make(chan tea.Msg, 64)}
	d.send(tea.WindowSizeMsg{Width: termWidth, Height: termHeight})
	d.run(d.m.Init())
	return d
}

// run starts a command; a batch starts each of its parts.
func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if msg := cmd(); msg != nil {
			d.msgs <- msg
		}
	}()
}

func (d *driver) send(msg tea.Msg) {
	if batch, ok := msg.(tea.BatchMsg); ok {
		for _, c := range batch {
			d.run(c)
		}
		return
	}
	m, cmd := d.m.Update(msg)
	d.m = m
	d.lastMsg = time.Now()
	d.run(cmd)
}

// settleDown feeds messages until none arrives for the settle window,
// bounded by limit. Ticks of the clock are applied but do not count as
// activity, or a screen would never settle.
func (d *driver) settleDown(limit time.Duration) {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		select {
		case msg := <-d.msgs:
			if _, ok := msg.(tea.BatchMsg); ok {
				d.send(msg)
				continue
			}
			at := d.lastMsg
			d.send(msg)
			if isTick(msg) {
				d.lastMsg = at
			}
		case <-time.After(settle):
			return
		}
	}
}

// isTick spots the root's once-a-second clock message by its type name
// (it is unexported), so it is not mistaken for data arriving.
func isTick(msg tea.Msg) bool {
	switch msg.(type) {
	case spinner.TickMsg:
		return true
	}
	return fmt.Sprintf("%T", msg) == "*tui.tickMsg" || fmt.Sprintf("%T", msg) == "tui.tickMsg"
}

func (d *driver) key(s string) {
	switch s {
	case "enter":
		d.send(tea.KeyMsg{Type: tea.KeyEnter})
	case "esc":
		d.send(tea.KeyMsg{Type: tea.KeyEsc})
	default:
		d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)})
	}
}

func (d *driver) view() string { return d.m.View() }

// screen is one TUI screen to time, and how to get there from the clients tab.
type screen struct {
	name string
	go_  func(d *driver)
}

// openToFirstFrame opens the database, builds the TUI and renders the first
// frame with data in it (the PIN screen, staff listed). It returns the time
// from before the open until that frame was rendered.
func openToFirstFrame(ctx context.Context, open func() (*finance.Service, func() error, error)) (time.Duration, error) {
	start := time.Now()
	books, closeDB, err := open()
	if err != nil {
		return 0, err
	}
	defer func() { _ = closeDB() }()
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := newDriver(books, dctx)
	d.settleDown(5 * time.Second)
	frame := d.lastMsg
	t := time.Now()
	_ = d.view()
	return frame.Sub(start) + time.Since(t), nil
}

// measureScreens logs in and times View() of every screen at 120x40.
// after, if set, is called once each screen is measured.
//
// Besides wall time it returns, for all screens together, the CPU time each
// View() call took on its thread: on a shared 2-core machine a 0.1 ms call
// that loses the CPU for a scheduler tick shows 4 ms of wall time, and the
// CPU time tells that apart from a slow View.
func measureScreens(ctx context.Context, books *finance.Service, busy finance.Client, n int,
	after func(screen string)) (views map[string][]time.Duration, order []string, cpu []time.Duration, err error) {
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := newDriver(books, dctx)
	d.settleDown(5 * time.Second)
	d.send(common.LoggedInMsg{Actor: actorAdmin})
	d.settleDown(5 * time.Second)

	digits := strings.TrimPrefix(busy.Phone, "+48")
	tab := func(t common.Tab) func(d *driver) {
		return func(d *driver) { d.send(common.SwitchTabMsg{Tab: t}) }
	}
	screens := []screen{
		{"clients list", tab(common.TabClients)},
		{"clients search (busy name)", func(d *driver) {
			d.key("/")
			for _, r := range busy.Name {
				d.key(string(r))
			}
		}},
		{"client detail (busiest)", func(d *driver) {
			d.key("esc")
			d.settleDown(2 * time.Second)
			d.key("/")
			for _, r := range digits {
				d.key(string(r))
			}
			d.settleDown(2 * time.Second)
			d.key("enter")
			d.settleDown(2 * time.Second)
			d.key("enter")
		}},
		{"checkout", tab(common.TabCheckout)},
		{"bookings", tab(common.TabBookings)},
		{"finance", tab(common.TabFinance)},
		{"sync", tab(common.TabSync)},
		{"staff", tab(common.TabStaff)},
		{"audit", tab(common.TabAudit)},
	}
	out := map[string][]time.Duration{}
	runtime.LockOSThread() // thread CPU time below must be this goroutine's
	defer runtime.UnlockOSThread()
	for _, s := range screens {
		s.go_(d)
		d.settleDown(5 * time.Second)
		samples := make([]time.Duration, n)
		for i := range samples {
			c := threadCPU()
			t := time.Now()
			_ = d.view()
			samples[i] = time.Since(t)
			if c >= 0 {
				cpu = append(cpu, threadCPU()-c)
			}
		}
		out[s.name] = samples
		order = append(order, s.name)
		if after != nil {
			after(s.name)
		}
	}
	return out, order, cpu, nil
}
