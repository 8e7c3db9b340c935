package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExport: `paydesk export` writes what the desk's export writes, with
// outside text neutralised, to stdout or (all or nothing) to --out.
func TestExport(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Iryna", "--phone", "0501112233")
	d.ok("deposit", "--client", id, "--amount", "50", "--register", "cash", "--note", "=HYPERLINK(\"http://x\")")
	d.ok("cashout", "--client", id, "--amount", "5", "--register", "cash")

	r := d.run("export")
	if r.code != 0 {
		t.Fatalf("export: %d %s", r.code, r.err)
	}
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "operation,business_date,") {
		t.Fatalf("export: %q", r.out)
	}
	if !strings.Contains(r.out, `"'=HYPERLINK(""http://x"")"`) || strings.Contains(r.out, `,"=HYPERLINK`) {
		t.Errorf("the note was not neutralised: %s", r.out)
	}
	if !strings.Contains(r.out, ",-50.00,EUR,") || !strings.Contains(r.out, ",-5.00,EUR,") {
		t.Errorf("negative amounts must stay numbers: %s", r.out)
	}

	today := strings.Split(lines[1], ",")[1]
	out := filepath.Join(d.home, "exports", "day.csv")
	r = d.run("export", "--from", today, "--to", today, "--out", out)
	if r.code != 0 || !strings.Contains(r.out, "4 rows to "+out) {
		t.Fatalf("export --out: %d %q %q", r.code, r.out, r.err)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != strings.Join(lines, "\n")+"\n" {
		t.Errorf("--out file differs from stdout: %v\n%s", err, b)
	}
	if !strings.Contains(d.ok("audit"), "export") {
		t.Error("the export is not in the audit log")
	}
	// The file is there now: refused without --force, replaced with it.
	if err := os.WriteFile(out, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := d.run("export", "--out", out); r.code == 0 || !strings.Contains(r.err, "--force writes over it") {
		t.Errorf("over an existing file: %d %q", r.code, r.err)
	}
	if b, _ := os.ReadFile(out); string(b) != "mine" {
		t.Errorf("the file was written over without --force: %q", b)
	}
	if r := d.run("export", "--out", out, "--force"); r.code != 0 {
		t.Errorf("--force: %d %q", r.code, r.err)
	}
	if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "operation,") {
		t.Errorf("--force did not write the export: %q", b)
	}
	// Client names in the rows.
	if !strings.Contains(lines[1], ",Iryna,") {
		t.Errorf("the client's name is not in the row: %s", lines[1])
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "--date", today, "--from", today, "--to", today}, 2, "not both"},
		{[]string{"export", "--from", today}, 2, "--to"},
		{[]string{"export", "--from", "2024-01-01", "--to", "2025-06-01"}, 1, "366 days"},
		{[]string{"export", "--date", "2024-13-01"}, 1, "YYYY-MM-DD"},
		{[]string{"export", "--from", "2025-03-14", "--to", "2025-03-10"}, 1, "before"},
	} {
		if r := d.run(tt.args...); r.code != tt.code || !strings.Contains(r.err, tt.want) {
			t.Errorf("%v: exit %d %q, want %d %q", tt.args, r.code, r.err, tt.code, tt.want)
		}
	}
}
