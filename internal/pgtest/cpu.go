package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPUTime is the CPU time (user and system) the server's processes have used
// so far: the postmaster, its live children, and the children it has reaped
// (a backend whose connection closed). A benchmark compares it before and
// after a piece of work to tell the database's share from its own on a shared
// machine, where wall time says little. Linux only (it reads /proc).
func (s *Server) CPUTime() (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(s.data(), "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	pm, err := strconv.Atoi(strings.TrimSpace(string(first)))
	if err != nil {
		return 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	ticks, _, err := procTicks(pm, true)
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == pm {
			continue
		}
		t, ppid, err := procTicks(pid, false)
		if err != nil || ppid != pm {
			continue // gone meanwhile, or not the server's
		}
		ticks += t
	}
	// USER_HZ is 100 on every Linux this runs on.
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// procTicks reads utime+stime (and cutime+cstime when withChildren) and the
// parent's pid from /proc/PID/stat.
func procTicks(pid int, withChildren bool) (int64, int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name is in parentheses and may hold spaces: fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is state (field 3); ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
	if len(f) < 15 {
		return 0, 0, errors.New("short /proc stat")
	}
	ppid, _ := strconv.Atoi(f[1])
	var sum int64
	n := 2
	if withChildren {
		n = 4
	}
	for _, s := range f[11 : 11+n] {
		v, _ := strconv.ParseInt(s, 10, 64)
		sum += v
	}
	return sum, ppid, nil
}
