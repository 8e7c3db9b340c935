package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paydesk/paydesk/store"
)

// Found by walking the README as a new user: each case is one thing that
// once answered in words a new user could not act on.

func TestBarePaydeskWithoutTerminalSaysSoAndMakesNoFile(t *testing.T) {
	d := newDesk(t)
	r := d.run() // stdout is a buffer here, as in a cron job or a pipe
	if r.code != exitRefused || !strings.Contains(r.err, "needs a terminal") || strings.Contains(r.err, "/dev/tty") {
		t.Fatalf("exit %d, stderr %q; want 1 and a plain \"needs a terminal\"", r.code, r.err)
	}
	if _, err := os.Stat(d.db); !os.IsNotExist(err) {
		t.Fatalf("a database file was made (%v)", err)
	}
	d.ok("init")
	if r := d.run(); r.code != exitRefused || !strings.Contains(r.err, "needs a terminal") {
		t.Fatalf("on a set-up database: exit %d, stderr %q", r.code, r.err)
	}
}

func TestDBFlagNamingAFolderIsRefusedAsAFolder(t *testing.T) {
	d := newDesk(t)
	dir := filepath.Join(d.home, "books")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"totals"}, {"init", "--location", "X"}, {"client", "list"}} {
		r := d.runRaw(append([]string{"--db", dir, "--config", d.config}, args...)...)
		if r.code != exitRefused || !strings.Contains(r.err, "is a folder") || !strings.Contains(r.err, filepath.Join(dir, "paydesk.db")) {
			t.Errorf("paydesk --db DIR %s: exit %d, stderr %q; want a folder refusal", strings.Join(args, " "), r.code, r.err)
		}
	}
}

func TestBackupOverAnExistingFileNamesForce(t *testing.T) {
	d := newDesk(t)
	d.ok("init")
	p := filepath.Join(d.home, "monday.db")
	d.ok("backup", p)
	if r := d.run("backup", p); r.code != exitRefused || !strings.Contains(r.err, "--force") {
		t.Fatalf("exit %d, stderr %q; want a refusal that names --force", r.code, r.err)
	}
}

// init makes no staff, and the desk opens only with a PIN: init says how to
// get in, and prints the settings as stored (an empty locale is "en").
func TestInitSaysHowToOpenTheDesk(t *testing.T) {
	d := newDesk(t)
	out := d.ok("init", "--locale", "")
	if !strings.Contains(out, "paydesk staff add --name NAME --role admin") || !strings.Contains(out, "EUR, en, UTC") {
		t.Fatalf("init said:\n%s", out)
	}
	if r := d.run("init", "--locale", "Europe/Kyiv"); r.code != exitRefused || !strings.Contains(r.err, "locale") {
		t.Fatalf("a second init with a bad locale: exit %d %q", r.code, r.err)
	}
}

// 0 is a number; it is just no id.
func TestZeroIsNoIDInWords(t *testing.T) {
	d := newDesk(t)
	d.ok("init")
	for _, args := range [][]string{{"reverse", "0", "--reason", "x"}, {"client", "show", "0"}} {
		r := d.run(args...)
		if r.code != exitRefused || strings.Contains(r.err, "not a number") || !strings.Contains(r.err, "number from 1") {
			t.Errorf("paydesk %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.err)
		}
	}
}

// A second desk on a file another desk holds (no paydesk serve) is told to
// close that desk, not sent to an SSH server that is not there.
func TestSecondDeskWithoutServeIsToldToCloseTheFirst(t *testing.T) {
	d := newDesk(t)
	d.ok("init")
	db, err := store.Open(context.Background(), d.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := d.run()
	if r.code != exitRefused || !strings.Contains(r.err, "close that desk first") || !strings.Contains(r.err, "in use") {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
}
