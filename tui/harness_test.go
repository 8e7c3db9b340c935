package tui

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
	"github.com/paydesk/paydesk/tui/common"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// clock is the fixed test clock: 14 March 2025, 10:30 in Kyiv.
var testNow = time.Date(2025, 3, 14, 8, 30, 0, 0, time.UTC)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// books is a real store and service in a temp dir, with a fixed clock.
type books struct {
	svc   *finance.Service
	db    *store.DB
	clock *clock
	dir   string
}

func newBooks(t testing.TB, setUp bool) *books {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, "paydesk.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: testNow}
	b := &books{svc: finance.NewService(db, finance.WithClock(c.now)), db: db, clock: c, dir: dir}
	if setUp {
		// No owner here: hashing a PIN costs real time under -race, so
		// only the tests about PINs add staff (withStaff).
		if err := b.svc.Setup(context.Background(), testSettings(), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func testSettings() finance.Settings {
	return finance.Settings{
		Location: "Studio Mila", Currency: "EUR", Locale: "en", TimeZone: "Europe/Kyiv", PhoneRegion: "UA",
		Registers: []finance.Register{
			{ID: "cash", Name: "Cash drawer", Kind: finance.RegisterCash, StartBalance: 10000},
			{ID: "card", Name: "Card terminal", Kind: finance.RegisterCard},
			{ID: "stripe", Name: "Stripe", Kind: finance.RegisterOnline},
			{ID: "bank", Name: "Bank", Kind: finance.RegisterBank},
		},
		OnlineRegID: "stripe", BankRegID: "bank",
	}
}

// harness drives a root model synchronously: every command runs at once and
// its message goes back through Update, as the Bubble Tea runtime would.
type harness struct {
	t     testing.TB
	m     *Model
	b     *books
	quit  bool
	steps int
}

func newHarness(t testing.TB, b *books, d Deps, w, h int) *harness {
	t.Helper()
	d.Renderer = lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.Ascii))
	d.Now = b.clock.now
	if d.ExportDir == "" {
		d.ExportDir = filepath.Join(b.dir, "exports")
	}
	m := newModel(d, b.svc, true)
	hs := &harness{t: t, m: m, b: b}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(m.Init())
	return hs
}

func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		h.steps++
		if h.steps > 10000 {
			h.t.Fatal("runaway command loop")
		}
		msg := c()
		switch msg := msg.(type) {
		case nil:
			continue
		case tea.BatchMsg:
			queue = append(queue, msg...)
			continue
		case tea.QuitMsg:
			h.quit = true
			continue
		}
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			// tea.Sequence's message: run in order.
			for i := 0; i < v.Len(); i++ {
				queue = append(queue, v.Index(i).Interface().(tea.Cmd))
			}
			continue
		}
		_, next := h.m.Update(msg)
		queue = append(queue, next)
	}
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	h.run(func() tea.Msg { return msg })
}

// typ types text, one key per rune.
func (h *harness) typ(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// press sends named keys: "enter", "esc", "tab", "up", "ctrl+u", "shift+left" or one rune.
func (h *harness) press(keys ...string) {
	h.t.Helper()
	named := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"shift+left": tea.KeyShiftLeft, "shift+right": tea.KeyShiftRight, "backspace": tea.KeyBackspace,
		"ctrl+u": tea.KeyCtrlU, "ctrl+c": tea.KeyCtrlC, "ctrl+l": tea.KeyCtrlL, "ctrl+w": tea.KeyCtrlW,
		"ctrl+b": tea.KeyCtrlB, "ctrl+d": tea.KeyCtrlD, "pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp,
		"end": tea.KeyEnd, "home": tea.KeyHome,
	}
	for _, k := range keys {
		if t, ok := named[k]; ok {
			h.send(tea.KeyMsg{Type: t})
			continue
		}
		if len([]rune(k)) != 1 {
			h.t.Fatalf("unknown key %q", k)
		}
		h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
	}
}

func (h *harness) view() string { return h.m.View() }

// contains fails unless the screen shows every string.
func (h *harness) contains(want ...string) {
	h.t.Helper()
	v := h.view()
	for _, w := range want {
		if !strings.Contains(v, w) {
			h.t.Fatalf("screen lacks %q:\n%s", w, v)
		}
	}
}

func (h *harness) lacks(bad ...string) {
	h.t.Helper()
	v := h.view()
	for _, w := range bad {
		if strings.Contains(v, w) {
			h.t.Fatalf("screen shows %q:\n%s", w, v)
		}
	}
}

// owner is who most tests act as, without the PIN screen.
var owner = finance.Actor{Staff: "Mila", Role: finance.RoleAdmin}

// withStaff adds staff members with PINs (name, role, PIN triples).
func withStaff(t testing.TB, b *books, people ...string) {
	t.Helper()
	for i := 0; i+2 < len(people); i += 3 {
		if err := b.svc.AddStaff(context.Background(), finance.OwnerActor("owner"), people[i], finance.Role(people[i+1]), people[i+2]); err != nil {
			t.Fatal(err)
		}
	}
}

// enter logs a person in without the PIN screen (what a good PIN leads to).
func (h *harness) enter(a finance.Actor) {
	h.t.Helper()
	h.send(common.LoggedInMsg{Actor: a})
	if h.m.state != stateMain {
		h.t.Fatalf("not in the main screen:\n%s", h.view())
	}
}

// login logs in from the PIN screen as the preselected (or first) person.
func (h *harness) login(pin string) {
	h.t.Helper()
	h.typ(pin)
	h.press("enter")
	if h.m.state != stateMain {
		h.t.Fatalf("not logged in:\n%s", h.view())
	}
}

var sealHex = regexp.MustCompile(`Seal [0-9a-f]{32}`)

// golden compares the screen with testdata/<name>.golden (-update rewrites it).
func (h *harness) golden(name string) {
	h.t.Helper()
	got := h.view()
	if strings.Contains(got, "\x1b") {
		h.t.Fatalf("%s: the Ascii renderer let an escape sequence through", name)
	}
	// A day's seal hashes the forms' idempotency keys, which are random.
	got = sealHex.ReplaceAllStringFunc(got, func(s string) string { return strings.Repeat("#", len(s)) })
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			h.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			h.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if string(want) != got {
		h.t.Errorf("%s differs from the golden file (go test ./tui -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// lines asserts the view is exactly w×h cells.
func (h *harness) sized(w, hgt int) {
	h.t.Helper()
	lines := strings.Split(h.view(), "\n")
	if len(lines) != hgt {
		h.t.Fatalf("view has %d lines, want %d", len(lines), hgt)
	}
	for i, l := range lines {
		if n := lipgloss.Width(l); n > w {
			h.t.Fatalf("line %d is %d wide, more than %d: %q", i, n, w, l)
		}
	}
}
