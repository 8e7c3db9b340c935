package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dropMapped tells the kernel this process no longer needs its mapping of
// the database file resident (madvise MADV_DONTNEED), to measure how much of
// a desk's peak RSS is file pages kept mapped from earlier screens. It is an
// experiment of the probe (PAYDESK_BENCH_PROBE_DROP=1), not something the
// desk does: it is only sound here because the probe never writes, so bbolt
// never remaps the file under it. The pages are clean and shared, so the
// next read faults them back in from the page cache; nothing is lost.
func dropMapped(dbPath string) error {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return err
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != abs {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			return fmt.Errorf("bad /proc/self/maps line %q", sc.Text())
		}
		// The raw call: the range is not Go memory, so it never becomes a slice.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED); errno != 0 {
			return fmt.Errorf("madvise: %w", errno)
		}
	}
	return sc.Err()
}
