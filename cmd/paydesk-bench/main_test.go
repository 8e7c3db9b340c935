package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary be the desk process that runProbe starts,
// exactly as the real binary is.
func TestMain(m *testing.M) {
	if path := os.Getenv(probeEnv); path != "" {
		os.Exit(probeMain(path, os.Stdout, os.Stderr))
	}
	if path := os.Getenv(checkEnv); path != "" {
		os.Exit(checkMain(path, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestQuickJSON runs the whole tool at --quick scale into a temp dir and
// checks the JSON it prints: every row has every field, the budget rows are
// there, and the books it built pass the invariant check. No timing is
// asserted: CI machines differ.
func TestQuickJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and measures a small database")
	}
	dbFile := filepath.Join(t.TempDir(), "books.db")
	var out, errb bytes.Buffer
	args := []string{"--quick", "--json", "--clients", "300", "--ops", "3000", "--days", "20", "--db", dbFile}
	if code := cli(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, errb.String())
	}
	if _, err := os.Stat(dbFile); !os.IsNotExist(err) {
		t.Errorf("database left behind without --keep (stat: %v)", err)
	}

	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatalf("stdout is not one JSON array: %v\n%s", err, out.String())
	}
	fields := []string{"name", "unit", "p50", "p99", "max", "budget", "within_budget", "ratio_to_raw"}
	for i, r := range raw {
		if len(r) != len(fields) {
			t.Errorf("row %d has %d fields, want %d: %v", i, len(r), len(fields), r)
		}
		for _, f := range fields {
			if _, ok := r[f]; !ok {
				t.Errorf("row %d lacks %q", i, f)
			}
		}
	}
	var rows []Row
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	byName := map[string]Row{}
	for _, r := range rows {
		if r.Name == "" || r.Unit == "" || r.P50 == nil {
			t.Errorf("row without name, unit or figure: %+v", r)
		}
		if (r.Budget == nil) != (r.WithinBudget == nil) {
			t.Errorf("%s: budget and within_budget must both be set or both null", r.Name)
		}
		byName[r.Name] = r
	}
	// Every row of DESIGN.md's budget is measured.
	want := []string{"client search per keystroke", "a day's totals", "client history, first page, busiest",
		"TUI View(): finance", "open database to first frame", "webhook events verified+stored+applied",
		"peak RSS of a desk session", "raw bbolt: DB.Batch", "raw bbolt: 1 put per fsync'd tx",
		"one top-up end to end", "30-day chart", "database bytes per operation", "raw disk: ",
		"webhook events acknowledged", "desk top-up during the burst", "client search per keystroke during the burst",
		"poll backlog of ", "paydesk check of ", "peak RSS of paydesk check", "keystroke echo over SSH"}
	for _, w := range want {
		found := false
		for name := range byName {
			if strings.HasPrefix(name, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no row named %q...", w)
		}
	}
	for name, r := range byName {
		if strings.HasPrefix(name, "webhook events verified") && r.RatioToRaw == nil {
			t.Errorf("%s: write path without ratio_to_raw", name)
		}
		if strings.HasPrefix(name, "invariant problems") && *r.P50 != 0 {
			t.Errorf("the generated books fail the invariant check: %v problems\n%s", *r.P50, errb.String())
		}
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--clients", "5"}, "--clients"},
		{[]string{"--ops", "10"}, "--ops"},
		{[]string{"--days", "1"}, "--days"},
		{[]string{"--ops", "10000000", "--days", "10"}, "raise --days"},
		{[]string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		var errb bytes.Buffer
		_, err := parse(tt.args, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parse(%q) = %v, want an error mentioning %q", tt.args, err, tt.wantErr)
		}
	}
	o, err := parse([]string{"--quick", "--ops", "500"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Clients != 2000 || o.Ops != 500 || o.Days != 60 {
		t.Errorf("--quick with --ops 500 gave %+v: explicit flags must win over the quick defaults", o)
	}
}

func TestExistingDatabaseRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "real.db")
	if err := os.WriteFile(path, []byte("not ours"), 0o600); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	if code := cli([]string{"--quick", "--db", path}, &bytes.Buffer{}, &errb); code == 0 {
		t.Fatal("an existing file was accepted")
	}
	if b, _ := os.ReadFile(path); string(b) != "not ours" {
		t.Error("the existing file was touched")
	}
}

// The webhook-only mode runs on books the tool built and kept, prints its
// figures as JSON, and leaves nothing but the books behind.
func TestWebhookOnlyOnKeptBooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and measures a small database")
	}
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "books.db")
	var out, errb bytes.Buffer
	args := []string{"--quick", "--json", "--clients", "300", "--ops", "3000", "--days", "20", "--db", dbFile, "--keep"}
	if code := cli(args, &out, &errb); code != 0 {
		t.Fatalf("building: exit %d\nstderr:\n%s", code, errb.String())
	}
	t.Setenv(webhookEnv+"_EVENTS", "200")
	t.Setenv(webhookEnv+"_SENDERS", "8")
	t.Setenv(webhookEnv+"_CLIENTS", "300")
	out.Reset()
	errb.Reset()
	if code := webhookMain(dbFile, &out, &errb); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, errb.String())
	}
	var got map[string]float64
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"raw_batch_puts_s", "applied_s", "acked_s", "ratio"} {
		if got[k] <= 0 {
			t.Errorf("%s = %v, want a positive figure (%s)", k, got[k], out.String())
		}
	}
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		if e.Name() != "books.db" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// The pages mode reads a kept file's buckets and names the big ones.
func TestPagesOnKeptBooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a small database")
	}
	dbFile := filepath.Join(t.TempDir(), "books.db")
	ctx := context.Background()
	if _, err := build(ctx, dbFile, scale{Clients: 50, Ops: 500, Days: 5, Seed: 1}, func(string) {}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := pagesMain(dbFile, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"ops_client", "audit", "all buckets", "operations"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
}
