package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCrashHarness is the short run of the crash harness against the real
// binaries: 25 kills -9 of paydesk serve under load, nothing acknowledged
// lost or doubled, every replay posting nothing, every check clean. The
// long run is `paydesk-crash --kills 1000` (README, Reliability).
func TestCrashHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("builds paydesk and kills it 25 times")
	}
	dir := t.TempDir()
	paydesk, harness := filepath.Join(dir, "paydesk"), filepath.Join(dir, "paydesk-crash")
	for bin, pkg := range map[string]string{paydesk: "github.com/paydesk/paydesk/cmd/paydesk", harness: "."} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	cmd := exec.CommandContext(context.Background(), harness, "--kills", "25", "--seed", "7", "--json",
		"--paydesk", paydesk, "--dir", filepath.Join(dir, "run"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	var f figures
	if err := json.Unmarshal(out.Bytes(), &f); err != nil {
		t.Fatalf("harness output: %v\n%s\nstderr: %s", err, out.String(), errb.String())
	}
	t.Logf("kills %d, acknowledged %d %v, unacknowledged %d, replayed %d, checks %d, desk stalls %d, %.1f s",
		f.Kills, f.Acknowledged, f.ByKind, f.Unacknowledged, f.Replayed, f.Checks, f.DeskStalls, f.Seconds)
	if runErr != nil || !f.Clean() || f.Kills != 25 {
		t.Fatalf("harness: %v; lost %d, doubled %d, replay posted %d, replay mismatch %d, check failures %d, restart failures %d\n%v\nstderr: %s",
			runErr, f.Lost, f.Doubled, f.ReplayPosted, f.ReplayMismatch, f.CheckFailures, f.RestartFailures, f.Problems, errb.String())
	}
	for _, k := range []string{"webhook", "deposit", "checkout", "cancel", "refund", "ssh"} {
		if f.ByKind[k] == 0 {
			t.Errorf("no %s was acknowledged: the load did not cover it", k)
		}
	}
}

// The counting itself: a request missing from the books is lost, one there
// twice is doubled, each counted once however many cycles see it.
func TestExactlyOnceCounts(t *testing.T) {
	r := &rig{fig: &figures{ByKind: map[string]int{}}}
	r.acks = []*ack{
		{kind: "deposit", key: "k1", opID: 1},
		{kind: "deposit", key: "k2", opID: 2},
		{kind: "checkout", key: "k3", opID: 3},
		{kind: "webhook", key: "evt", booking: "bk1"},
		{kind: "cancel", booking: "bk2"},
		{kind: "ssh", key: "ssh-crash-1-1", opID: 4},
		{kind: "ssh", key: "ssh-crash-1-2", opID: 5}, // the screen's operation holds another note: lost
		{kind: "ssh", key: "ssh-crash-1-3", opID: 6}, // twice in the books
		{kind: "ssh", key: "ssh-crash-1-4", opID: 7}, // not in the books
	}
	s := &snapshot{
		byKey: map[string]int{"k1": 1, "k2": 2},
		byID: map[uint64]opRow{1: {ID: 1, Key: "cli:k1"}, 2: {ID: 2, Key: "k2"},
			4: {ID: 4, Kind: "top_up", Comment: "ssh-crash-1-1"}, 5: {ID: 5, Kind: "top_up", Comment: "ssh-crash-1-9"},
			6: {ID: 6, Kind: "top_up", Comment: "ssh-crash-1-3"}, 9: {ID: 9, Kind: "top_up", Comment: "ssh-crash-1-3"}},
		byNote:   map[string]int{"ssh-crash-1-1": 1, "ssh-crash-1-2": 1, "ssh-crash-1-3": 2, "ssh-crash-1-9": 1},
		prepay:   map[string]int{"bk1": 1},
		bookings: map[string]string{"bk2": "prepaid"},
	}
	r.exactlyOnce(s)
	r.exactlyOnce(s)
	if r.fig.Lost != 4 || r.fig.Doubled != 2 {
		t.Fatalf("lost %d doubled %d, want 4 and 2: %v", r.fig.Lost, r.fig.Doubled, r.fig.Problems)
	}
}

// The desk's status line is its acknowledgement: the newest top-up of the
// amount typed, never the line the one before left on the screen.
func TestPostedOp(t *testing.T) {
	tests := []struct {
		name, screen, shown string
		last                uint64
		id                  uint64
		refused             string
	}{
		{"posted", " ✓ Top-up of €12.30 posted as operation #41.\n help", "€12.30", 0, 41, ""},
		{"the line of the one before", " ✓ Top-up of €12.30 posted as operation #41.", "€12.30", 41, 0, ""},
		{"another amount", " ✓ Top-up of €9.99 posted as operation #42.", "€12.30", 41, 0, ""},
		{"still posting", " posting the top-up…", "€12.30", 41, 0, ""},
		{"refused", "x\n ✗ Top-up refused: the day is closed  \nhelp", "€12.30", 0, 0, "Top-up refused: the day is closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, refused := postedOp(tt.screen, tt.shown, tt.last)
			if id != tt.id || refused != tt.refused {
				t.Errorf("postedOp = %d %q, want %d %q", id, refused, tt.id, tt.refused)
			}
		})
	}
}
