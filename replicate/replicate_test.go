package replicate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
)

func TestTwoLocationsIntoOneDatabase(t *testing.T) {
	url := centralDB(t)
	a := newLocation(t, "kyiv-podil", "UAH", 1, 20)
	b := newLocation(t, "lviv-rynok", "UAH", 2, 20)
	a.sync(t, url)
	b.sync(t, url)
	conn := connect(t, url)
	wantComplete(t, conn, a)
	wantComplete(t, conn, b)

	// A second pass ships nothing new and doubles nothing.
	a.sync(t, url)
	wantComplete(t, conn, a)

	// Later writes of every kind follow: an operation, a client edit.
	a.topUp(t, 12345)
	name := "Renamed Client"
	if _, err := a.svc.UpdateClient(context.Background(), finance.OwnerActor("olena"), 1, finance.ClientUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	// A closed and sealed day follows too.
	ctx := context.Background()
	cash, err := a.svc.DayTotals(ctx, finance.OwnerActor("olena"), a.sum.From)
	if err != nil {
		t.Fatal(err)
	}
	counted := cash[0].Closing
	if _, err := a.svc.CloseDay(ctx, finance.OwnerActor("olena"), finance.CloseRequest{Key: "close-1", Date: a.sum.From, Counted: &counted}); err != nil {
		t.Fatal(err)
	}
	a.sync(t, url)
	wantComplete(t, conn, a)
	if n := count(t, conn, `SELECT count(*) FROM day_closes WHERE location = $1`, a.id); n != int64(len(cash)) {
		t.Errorf("central closes %d, want %d", n, len(cash))
	}
	if n := count(t, conn, `SELECT count(*) FROM day_seals WHERE location = $1`, a.id); n != 1 {
		t.Errorf("central seals %d, want 1", n)
	}
	var got string
	if err := conn.QueryRow(context.Background(), `SELECT name FROM clients WHERE location = 'kyiv-podil' AND id = 1`).Scan(&got); err != nil || got != name {
		t.Errorf("client 1 central name %q (%v), want %q", got, err, name)
	}

	// PINs never leave the location.
	if n := count(t, conn, `SELECT count(*) FROM information_schema.columns WHERE table_name = $1 AND column_name ILIKE '%pin%'`, "staff"); n != 0 {
		t.Errorf("the central staff table has %d PIN columns", n)
	}

	rep, err := Verify(context.Background(), a.db, conn, a.id)
	if err != nil || rep.Difference != nil || rep.Operations != int64(a.heads(t).Operation) {
		t.Errorf("verify: %+v, %v", rep, err)
	}
}

func TestAnotherFileCannotShipTheSameLocation(t *testing.T) {
	url := centralDB(t)
	a := newLocation(t, "kyiv-podil", "UAH", 1, 3)
	b := newLocation(t, "kyiv-podil", "UAH", 2, 3)
	a.sync(t, url)
	_, err := b.replicator(t, url, nil).SyncOnce(context.Background())
	if !errors.Is(err, finance.ErrConflict) || !strings.Contains(err.Error(), "another paydesk file") {
		t.Fatalf("second file for one location: %v", err)
	}
	wantComplete(t, connect(t, url), a)
}

// A crash after a batch is written but before it commits: nothing of it
// stays, and the next run ships it again, once.
func TestCrashBeforeCommitResumes(t *testing.T) {
	url := centralDB(t)
	a := newLocation(t, "kyiv-podil", "UAH", 3, 15)
	crash := errors.New("crash")
	batches := 0
	r := a.replicator(t, url, func(o *Options) {
		o.limits = limits{ops: 17, audit: 11, changes: 5}
		o.beforeCommit = func(*batch) error {
			if batches++; batches == 4 {
				return crash
			}
			return nil
		}
	})
	if _, err := r.SyncOnce(context.Background()); !errors.Is(err, crash) {
		t.Fatalf("want the crash, got %v", err)
	}
	conn := connect(t, url)
	if n := count(t, conn, `SELECT op_id FROM locations WHERE location = $1`, a.id); n != 3*17 {
		t.Errorf("cursor after the crash %d, want %d (three committed batches)", n, 3*17)
	}
	if n := count(t, conn, `SELECT count(*) FROM operations WHERE location = $1`, a.id); n != 3*17 {
		t.Errorf("operations after the crash %d, want %d", n, 3*17)
	}
	a.sync(t, url)
	wantComplete(t, conn, a)
}

// Rows already central though the cursor says not (a cursor put back by
// hand, a restore): shipped again without doubling.
func TestRowsAlreadyThereAreSkipped(t *testing.T) {
	url := centralDB(t)
	a := newLocation(t, "kyiv-podil", "UAH", 4, 5)
	a.sync(t, url)
	conn := connect(t, url)
	if _, err := conn.Exec(context.Background(), `UPDATE locations SET op_id = 3, audit_seq = 2, change_seq = 1`); err != nil {
		t.Fatal(err)
	}
	a.sync(t, url)
	wantComplete(t, conn, a)
}

const childEnv = "PAYDESK_REPLICATE_CHILD"

// childMain is the replicator in a process of its own, for the kill -9
// test: small batches, each held open a moment before it commits, and a
// line on stdout after each commit.
func childMain() int {
	path, url, location := os.Getenv("CHILD_DB"), os.Getenv("CHILD_URL"), os.Getenv("CHILD_LOCATION")
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	r, err := New(Options{URL: url, Location: location, Store: db, limits: limits{ops: 13, audit: 7, changes: 3},
		beforeCommit: func(b *batch) error {
			fmt.Println("batch", b.to.Operation)
			time.Sleep(30 * time.Millisecond)
			return nil
		}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := r.SyncOnce(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("done")
	return 0
}

// kill -9 in the middle of a batch (written, not committed), then resume.
func TestKillNineMidBatchResumes(t *testing.T) {
	url := centralDB(t)
	a := newLocation(t, "kyiv-podil", "UAH", 5, 30)
	a.close(t)
	for round := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "CHILD_DB="+a.path, "CHILD_URL="+url, "CHILD_LOCATION="+a.id)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Each "batch" line is printed inside an open transaction: kill
		// there, after a few batches have committed.
		sc := bufio.NewScanner(out)
		lines := 0
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "batch") {
				if lines++; lines == 5+round*3 {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					break
				}
			}
			if sc.Text() == "done" {
				t.Fatalf("round %d: the child finished before it could be killed", round)
			}
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child: %v\n%s", round, err, stderr.String())
		}
	}
	a.open(t)
	conn := connect(t, url)
	shipped := count(t, conn, `SELECT op_id FROM locations WHERE location = $1`, a.id)
	if shipped == 0 || shipped >= int64(a.heads(t).Operation) {
		t.Fatalf("after two kills the cursor is at %d of %d", shipped, a.heads(t).Operation)
	}
	if n := count(t, conn, `SELECT count(*) FROM operations WHERE location = $1`, a.id); n != shipped {
		t.Fatalf("after the kills %d operations central, cursor %d", n, shipped)
	}
	a.sync(t, url)
	wantComplete(t, conn, a)
}

// The central server stops and starts mid-stream while the desk keeps
// posting: every write arrives once, and no desk write waited on it.
func TestServerStoppedAndStartedMidStream(t *testing.T) {
	url := centralDB(t)
	a := newLocation(t, "kyiv-podil", "UAH", 6, 10)
	r := a.replicator(t, url, func(o *Options) { o.limits = limits{ops: 20, audit: 20, changes: 10} })
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = r.Run(ctx)
	}()
	defer func() {
		cancel()
		wg.Wait()
	}()
	waitCaughtUp(t, r, a)

	var slowest time.Duration
	desk := func(n int) {
		for i := range n {
			start := time.Now()
			a.topUp(t, int64(100+i))
			slowest = max(slowest, time.Since(start))
			r.Poke()
			time.Sleep(5 * time.Millisecond)
		}
	}
	desk(10)
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	desk(30)
	// The replicator noticed: it is not connected, and knows it is behind.
	deadline := time.Now().Add(10 * time.Second)
	for st := r.Status(); st.Connected || st.Behind.Operations == 0; st = r.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("status while the server is down: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := r.Status(); st.LastError == "" {
		t.Errorf("no error shown while the server is down: %+v", st)
	}
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	desk(10)
	waitCaughtUp(t, r, a)
	if slowest > time.Second {
		t.Errorf("a desk top-up took %v while the central server was away", slowest)
	}
	wantComplete(t, connect(t, url), a)
}

func waitCaughtUp(t *testing.T, r *Replicator, l *location) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := r.Status()
		if st.Connected && st.Shipped == l.heads(t) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not caught up: %+v (local %+v)", st, l.heads(t))
		}
		r.Poke()
		time.Sleep(20 * time.Millisecond)
	}
}
