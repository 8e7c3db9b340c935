package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReceiptMatchesOps is issue 17's "done when" at the CLI: a checkout
// part from the deposit, the rest in cash; its receipt (text and PDF) says
// the figures `paydesk ops --json` says for that operation, each amount in
// the location's money.
func TestReceiptMatchesOps(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Lily Evans", "--phone", "050 123 4567")
	d.ok("deposit", "--client", id, "--amount", "100", "--register", "cash")
	op := d.ok("checkout", "--client", id, "--total", "150", "--register", "cash")

	var ops []struct {
		ID       uint64 `json:"id"`
		Kind     string `json:"kind"`
		Staff    string `json:"staff"`
		Postings []struct {
			Account    string `json:"account"`
			Amount     int64  `json:"amount"`
			AmountText string `json:"amount_text"`
		} `json:"postings"`
	}
	d.json(&ops, "ops")
	var want []string // the amounts as text, each without its sign
	for _, o := range ops {
		if strings.TrimSpace(op) != strconv.FormatUint(o.ID, 10) {
			continue
		}
		for _, p := range o.Postings {
			want = append(want, strings.TrimPrefix(strings.TrimPrefix(p.AmountText, "-"), "+"))
		}
		want = append(want, "Operation #"+strconv.FormatUint(o.ID, 10), o.Staff)
	}
	if len(want) != 5 {
		t.Fatalf("no checkout #%s in ops: %+v", op, ops)
	}
	dir := t.TempDir()
	txt, pdf := filepath.Join(dir, "r.txt"), filepath.Join(dir, "r.pdf")
	d.ok("receipt", op, "--text", txt, "--pdf", pdf)
	text, err := os.ReadFile(txt)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append(want, "SALE", "Lily Evans", "From deposit", "Cash drawer", "Deposit balance after") {
		if !bytes.Contains(text, []byte(w)) {
			t.Errorf("the receipt lacks %q:\n%s", w, text)
		}
	}
	for _, line := range []string{"TOTAL", "From deposit", "Cash drawer"} {
		if !strings.Contains(string(text), line) {
			t.Errorf("no %s line", line)
		}
	}
	if !strings.Contains(string(text), "TOTAL                              €150.00") ||
		!strings.Contains(string(text), "From deposit                       €100.00") ||
		!strings.Contains(string(text), "Cash drawer                         €50.00") ||
		!strings.Contains(string(text), "Deposit balance after                €0.00") {
		t.Errorf("receipt:\n%s", text)
	}
	// Shown without flags: the same text on stdout.
	if out := d.run("receipt", op); out.code != 0 || out.out != string(text) {
		t.Errorf("receipt on stdout (exit %d):\n%s", out.code, out.out)
	}
	raw, err := os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(raw, []byte("%PDF-")) {
		t.Fatalf("PDF %q, %v", raw[:min(8, len(raw))], err)
	}
	if path, err := exec.LookPath("pdftotext"); err == nil {
		out, err := exec.Command(path, "-layout", pdf, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(out), w) {
				t.Errorf("the PDF lacks %q:\n%s", w, out)
			}
		}
	}
	// The same again is fine; another receipt over it is refused.
	d.ok("receipt", op, "--text", txt)
	if r := d.run("receipt", "1", "--text", txt); r.code != 1 || !strings.Contains(r.err, "exists already") {
		t.Errorf("overwrite: exit %d %s", r.code, r.err)
	}
	// --save puts both files in the receipts folder beside the database.
	if out := d.ok("receipt", op, "--save"); !strings.Contains(out, filepath.Join(filepath.Dir(d.db), "receipts", "op-"+op+".pdf")) {
		t.Errorf("save: %s", out)
	}
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"receipt", "99"}, 1, "there is no operation #99"},
		{[]string{"receipt", "x"}, 1, "is not an operation id"},
		{[]string{"receipt"}, 2, "missing argument"},
		{[]string{"receipt", op, "--print"}, 1, "no receipt printer is configured"},
		{[]string{"receipt", op, "--width", "40"}, 2, "32, 42 or 48"},
	} {
		r := d.run(c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.says) {
			t.Errorf("%v: exit %d, %s", c.args, r.code, r.err)
		}
	}
}

// TestReceiptPrinter prints through a fake lp on PATH, as CUPS' own would
// take the job, and through a device file.
func TestReceiptPrinter(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Lily Evans", "--phone", "050 123 4567")
	op := d.ok("deposit", "--client", id, "--amount", "100", "--register", "cash")
	bin := t.TempDir()
	job := filepath.Join(bin, "job")
	if err := os.WriteFile(filepath.Join(bin, "lp"), []byte("#!/bin/sh\n[ \"$*\" = \"-d till -o raw\" ] || exit 3\ncat > "+job+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, e := range d.env {
		if strings.HasPrefix(e, "PATH=") {
			d.env[i] = "PATH=" + bin + ":" + strings.TrimPrefix(e, "PATH=")
		}
	}
	if err := os.WriteFile(d.config, []byte(testConfig+"\n[receipt]\nqueue = \"till\"\nwidth = 32\nfooter = [\"Thank you!\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := d.ok("receipt", op, "--print"); !strings.Contains(out, "printed") {
		t.Errorf("print: %s", out)
	}
	data, err := os.ReadFile(job)
	if err != nil || !bytes.HasPrefix(data, []byte{0x1b, '@'}) || !bytes.Contains(data, []byte("\x80100.00")) || !bytes.Contains(data, []byte("Thank you!")) {
		t.Errorf("the job: %q, %v", data, err)
	}
	dev := filepath.Join(bin, "lp0")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.config, []byte(testConfig+"\n[receipt]\ndevice = \""+dev+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.ok("receipt", op, "--print")
	if data, _ := os.ReadFile(dev); !bytes.HasSuffix(data, []byte{0x1d, 'V', 66, 0}) {
		t.Errorf("the device got %q", data)
	}
	if err := os.WriteFile(d.config, []byte(testConfig+"\n[receipt]\ndevice = \"/dev/x\"\nqueue = \"till\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := d.run("receipt", op); r.code == 0 || !strings.Contains(r.err, "both a device and a queue") {
		t.Errorf("both: exit %d %s", r.code, r.err)
	}
}
