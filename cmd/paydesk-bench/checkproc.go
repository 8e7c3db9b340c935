package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
)

// checkEnv runs `paydesk check`'s work alone in a fresh process, on a file
// opened read-only as the command opens it: bbolt's page check
// (store.Verify), then every ledger invariant (finance.Service.Check).
// PAYDESK_BENCH_CHECK=books.db paydesk-bench prints its JSON by hand.
const checkEnv = "PAYDESK_BENCH_CHECK"

type checkResult struct {
	Seconds    float64  `json:"seconds"`     // wall time of the whole check
	CPUSeconds float64  `json:"cpu_seconds"` // this process's CPU (user and system)
	VerifyS    float64  `json:"verify_s"`    // of which the page check
	VmHWMKB    float64  `json:"vmhwm_kb"`
	RssAnonKB  float64  `json:"rss_anon_kb"`
	Operations int      `json:"operations"`
	Problems   []string `json:"problems"`
}

// runCheck runs the check process on path and reads its answer. The file
// must not be open for writing here: bbolt's lock would keep it waiting.
func runCheck(ctx context.Context, path string) (checkResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return checkResult{}, err
	}
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	if !strings.HasSuffix(exe, ".test") {
		cmd = exec.CommandContext(ctx, exe)
	}
	cmd.Env = append(os.Environ(), checkEnv+"="+path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return checkResult{}, fmt.Errorf("%w: %s", err, strings.TrimSpace(errb.String()))
	}
	var cr checkResult
	if err := json.Unmarshal(lastLine(out.Bytes()), &cr); err != nil {
		return checkResult{}, fmt.Errorf("reading its answer %q: %w", out.String(), err)
	}
	return cr, nil
}

func checkMain(path string, stdout, stderr io.Writer) int {
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintln(stderr, "check process:", err); return 1 }
	start, cpu0 := time.Now(), processCPU()
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	if err := db.Verify(ctx); err != nil {
		return fail(err)
	}
	verify := time.Since(start)
	rep, err := finance.NewService(db).Check(ctx)
	if err != nil {
		return fail(err)
	}
	took, cpu := time.Since(start), processCPU()-cpu0
	hwm, err := vmHWM()
	if err != nil {
		return fail(err)
	}
	anon, _ := statusKB("RssAnon:")
	out, _ := json.Marshal(checkResult{Seconds: took.Seconds(), CPUSeconds: cpu.Seconds(), VerifyS: verify.Seconds(),
		VmHWMKB: hwm, RssAnonKB: anon, Operations: rep.Operations, Problems: rep.Problems})
	fmt.Fprintln(stdout, string(out))
	return 0
}
