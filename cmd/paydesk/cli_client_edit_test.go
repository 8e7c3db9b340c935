package main

import (
	"strings"
	"testing"
)

type editedClient struct {
	ID          uint64 `json:"id"`
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
	Note        string `json:"note"`
	Balance     int64  `json:"balance"`
	CreditLimit int64  `json:"credit_limit"`
}

func TestClientEdit(t *testing.T) {
	d := newDesk(t)
	d.init()
	id := d.ok("client", "add", "--name", "Iryna", "--phone", "0501112233", "--email", "i@example.com", "--note", "tea")
	other := d.ok("client", "add", "--name", "Oksana", "--phone", "0671234567")

	// Only the flags given change; an empty flag clears an optional field.
	if got := d.ok("client", "edit", id, "--name", "Iryna Koval", "--phone", "050 999 88 77", "--note", ""); got != id {
		t.Errorf("edit printed %q, want the id %s", got, id)
	}
	var c editedClient
	d.json(&c, "client", "show", id)
	if c.Name != "Iryna Koval" || c.Phone != "+380509998877" || c.Email != "i@example.com" || c.Note != "" || c.CreditLimit != 0 {
		t.Errorf("after edit: %+v", c)
	}
	// The old phone is free, the new one taken.
	d.ok("client", "add", "--name", "Petro", "--phone", "0501112233")

	// A credit limit lets the deposit go below zero, down to the limit.
	d.json(&c, "client", "edit", id, "--credit-limit", "50")
	if c.CreditLimit != 5000 || c.Name != "Iryna Koval" {
		t.Errorf("--json after credit: %+v", c)
	}
	d.ok("checkout", "--client", id, "--total", "30")
	d.json(&c, "client", "show", id)
	if c.Balance != -3000 {
		t.Errorf("balance %d, want -3000", c.Balance)
	}

	snapshot := func() string {
		return d.ok("client", "list", "--json") + d.ok("ops", "--json")
	}
	before := snapshot()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"client", "edit", id}, 2, "nothing to change"},
		{[]string{"client", "edit", "--name", "X"}, 2, "missing argument"},
		{[]string{"client", "edit", id, other, "--name", "X"}, 2, "unexpected argument"},
		{[]string{"client", "edit", id, "--bogus", "x"}, 2, "bogus"},
		{[]string{"client", "edit", "anna", "--name", "X"}, 1, "client id"},
		{[]string{"client", "edit", "999", "--name", "X"}, 1, "not found"},
		{[]string{"client", "edit", id, "--name", "  "}, 1, "name is required"},
		{[]string{"client", "edit", id, "--phone", "12"}, 1, "phone"},
		{[]string{"client", "edit", id, "--phone", "+380671234567"}, 1, "already belongs to Oksana"},
		{[]string{"client", "edit", id, "--email", "iryna@"}, 1, "email"},
		{[]string{"client", "edit", id, "--credit-limit", "-5"}, 1, "credit-limit"},
		{[]string{"client", "edit", id, "--credit-limit", "abc"}, 1, "credit-limit"},
		{[]string{"client", "edit", id, "--credit-limit", "1.234"}, 1, "credit-limit"},
		{[]string{"client", "edit", id, "--credit-limit", ""}, 1, "credit-limit"},
		{[]string{"client", "edit", id, "--credit-limit", "29.99"}, 1, "already owes €30.00"},
		{[]string{"client", "edit", id, "--credit-limit", "0", "--name", "Changed"}, 1, "owes"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := d.run(tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.out, r.err)
			}
			if !strings.HasPrefix(r.err, "paydesk: ") || !strings.Contains(r.err, tt.want) {
				t.Errorf("stderr %q, want a message containing %q", r.err, tt.want)
			}
			if tt.code == 2 && !strings.Contains(r.err, "usage: paydesk client edit") {
				t.Errorf("a usage error must show the usage: %q", r.err)
			}
			if r.out != "" {
				t.Errorf("a refused edit printed %q", r.out)
			}
		})
	}
	if after := snapshot(); after != before {
		t.Errorf("bad input changed the books:\nbefore %s\nafter %s", before, after)
	}

	// Down to exactly what is owed is fine; help works.
	d.ok("client", "edit", id, "--credit-limit", "30")
	if r := d.run("client", "edit", "--help"); r.code != 0 || !strings.Contains(r.out, "--credit-limit") {
		t.Errorf("help: %d %q", r.code, r.out)
	}
	d.ok("check")
}
