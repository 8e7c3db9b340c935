//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the user a test runs paydesk as when it runs as root, for whom
// file modes mean nothing: a file of mode 0444 is read-only to every other
// user, so the child really cannot write it.
const nobody = 65534

// readOnlyBooks is a backup of d's books that this user cannot write: the
// file 0444 in a folder 0555. As root the copy's commands run as nobody, who
// owns the copy's home (config, log) but still cannot write the file.
func readOnlyBooks(t *testing.T, d *desk) *desk {
	t.Helper()
	home, err := os.MkdirTemp("", "paydesk-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.Chmod(filepath.Join(home, "books"), 0o755)
		_ = os.RemoveAll(home)
	})
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	ro := newDeskAt(t, home)
	d.ok("backup", ro.db)
	if os.Geteuid() == 0 {
		err := filepath.Walk(home, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, nobody, nobody)
		})
		if err != nil {
			t.Fatal(err)
		}
		ro.sys = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	if err := os.Chmod(ro.db, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(ro.db), 0o555); err != nil {
		t.Fatal(err)
	}
	// Proof that the child cannot write it, whoever runs the test.
	probe := *ro
	probe.prefix = []string{"sh", "-c", `: >> "$1" 2>/dev/null && echo writable`, "sh", ro.db}
	if r := probe.runRaw(); strings.Contains(r.out, "writable") {
		t.Fatalf("the read-only copy %s is writable for the test's child", ro.db)
	}
	return ro
}

// A backup that may only be read is checked and reported on (check, totals
// and ops open it read-only, so they never need to write), and a write to it
// is refused with words naming the file, the books and the bytes unchanged.
func TestReadOnlyDatabaseFile(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.ok("client", "add", "--name", "Anna Petrenko", "--phone", "050 123 4567")
	d.ok("deposit", "--client", "1", "--amount", "20", "--register", "cash")
	ro := readOnlyBooks(t, d)
	bytesBefore, err := os.ReadFile(ro.db)
	if err != nil {
		t.Fatal(err)
	}
	books := ro.books()
	if books != d.books() {
		t.Error("the read-only copy reads other books than the original")
	}
	if out := ro.ok("check"); !strings.Contains(out, "ok: every invariant holds") {
		t.Errorf("check of the read-only copy: %q", out)
	}
	for _, args := range [][]string{
		{"deposit", "--client", "1", "--amount", "5", "--register", "cash"},
		{"client", "add", "--name", "Ira", "--phone", "050 765 4321"},
	} {
		r := ro.run(args...)
		if r.code != 1 || !strings.Contains(r.err, ro.db) || !strings.Contains(r.err, "cannot be opened for writing") ||
			!strings.Contains(r.err, "nothing was written") {
			t.Errorf("%v on a read-only file: exit %d, %q", args, r.code, r.err)
		}
	}
	if ro.books() != books {
		t.Error("a refused write changed the books")
	}
	if after, _ := os.ReadFile(ro.db); string(after) != string(bytesBefore) {
		t.Error("the read-only file's bytes changed")
	}
}

// A full disk, as the file size limit (RLIMIT_FSIZE, `ulimit -f`) makes it
// for one process with no privilege needed: bbolt's commit cannot write its
// pages (EFBIG, as ENOSPC on a full disk), rolls back, and the desk says so;
// nothing is half-written (check passes, the books are as they were), and
// the same keyed post succeeds once the limit is gone, exactly once.
//
// The limit is two pages: pages 0 and 1 are bbolt's headers, and every
// commit writes its data pages, all past them, before a header, so the
// first write of any commit fails and the headers keep the last commit.
func TestFullDisk(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.ok("client", "add", "--name", "Anna Petrenko", "--phone", "050 123 4567")
	d.ok("deposit", "--client", "1", "--amount", "20", "--register", "cash")
	before := d.books()
	full := *d
	full.prefix = []string{"sh", "-c", `ulimit -f 16 && exec "$@"`, "sh"}
	post := []string{"deposit", "--client", "1", "--amount", "5", "--register", "cash", "--key", "full-disk-1"}
	for _, args := range [][]string{post, {"client", "add", "--name", "Ira", "--phone", "050 765 4321"}} {
		r := full.run(args...)
		if r.code != 1 || !strings.Contains(r.err, d.db) || !strings.Contains(r.err, "nothing was written") ||
			!strings.Contains(r.err, "file too large") || !strings.Contains(r.err, "largest file this system lets paydesk write") {
			t.Errorf("%v on a full disk: exit %d, %q", args, r.code, r.err)
		}
	}
	if d.books() != before {
		t.Fatal("a post refused for want of space changed the books")
	}
	d.ok("check")
	d.ok(post...)
	d.ok(post...) // the retry replays, posting nothing more
	var c clientOut
	d.json(&c, "client", "show", "1")
	if c.Balance != 2500 {
		t.Errorf("balance after the disk had room again: %d, want 2500", c.Balance)
	}
	d.ok("check")
}

// A second process while a desk holds the file: refused within seconds,
// with the file and who holds it (pid, command, user) named, and the books
// unchanged.
func TestSecondProcessNamesTheHolder(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux; .ci/run installs it): skipping")
	}
	d := newDesk(t)
	d.init()
	d.ok("client", "add", "--name", "Anna Petrenko", "--phone", "050 123 4567")
	before := d.books()
	m := &tmuxDesk{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock"), name: "holder"}
	env := append([]string{"exec", "env", "-i", "TERM=xterm-256color", "NO_COLOR=1"}, d.env...)
	for i := range env[2:] {
		env[2+i] = shellQuote(env[2+i])
	}
	line := strings.Join(env, " ") + " " + shellQuote(binary) + " --db " + shellQuote(d.db) + " --config " + shellQuote(d.config)
	if out, err := m.tmux("new-session", "-d", "-s", m.name, "-x", "120", "-y", "40", line); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { m.tmux("kill-server") })
	m.waitFor("Studio Mila")
	pid, err := m.tmux("display-message", "-p", "-t", m.name, "#{pane_pid}")
	if err != nil {
		t.Fatal(err)
	}
	pid = strings.TrimSpace(pid)
	start := time.Now()
	r := d.run("deposit", "--client", "1", "--amount", "5", "--register", "cash")
	if r.code != 1 || !strings.Contains(r.err, d.db) || !strings.Contains(r.err, "in use by another paydesk process") ||
		!strings.Contains(r.err, "pid "+pid+" (paydesk --db") || !strings.Contains(r.err, "nothing was done") {
		t.Errorf("a second process: exit %d, %q (holder pid %s)", r.code, r.err, pid)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the refusal took %s", took)
	}
	m.tmux("kill-server")
	for range 100 {
		if r := d.run("ops", "--json"); r.code == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d.books() != before {
		t.Error("the refused deposit changed the books")
	}
}

// The database reached through a symlink to the file, a symlink to its
// folder, or a relative path with ".." is the file serve holds: the command
// goes through serve's socket and posts, as on the real path.
func TestSymlinkedDatabaseIsTheOneServeHolds(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.ok("client", "add", "--name", "Anna Petrenko", "--phone", "050 123 4567")
	s := serveWebhooks(t, d)
	defer s.stop()
	links := t.TempDir()
	fileLink := filepath.Join(links, "books.db")
	dirLink := filepath.Join(links, "books")
	if err := os.Symlink(d.db, fileLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(d.db), dirLink); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, filepath.Join(filepath.Dir(d.db), "..", "books", "paydesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	for i, path := range []string{d.db, fileLink, filepath.Join(dirLink, "paydesk.db"), rel} {
		other := *d
		other.db = path
		r := other.run("deposit", "--client", "1", "--amount", "5", "--register", "cash")
		if r.code != 0 {
			t.Errorf("deposit on %s while serve holds %s: exit %d, %q", path, d.db, r.code, r.err)
			continue
		}
		var c clientOut
		other.json(&c, "client", "show", "1")
		if want := int64(500 * (i + 1)); c.Balance != want {
			t.Errorf("balance through %s: %d, want %d", path, c.Balance, want)
		}
	}
}
