package store

import (
	"errors"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

var pageSize = int64(os.Getpagesize())

func openStatm() (*os.File, error) { return os.Open("/proc/self/statm") }

// fileResident is how many bytes of files this process has mapped and
// resident: /proc/self/statm's third field (RssFile + RssShmem, in pages),
// which the kernel keeps as counters, so reading it costs a few
// microseconds however large the mappings, unlike /proc/self/smaps, which
// walks them. f is /proc/self/statm, kept open: each read at offset 0
// makes the kernel write it anew. No allocation: it runs on the read path.
func fileResident(f *os.File) (int64, error) {
	var buf [128]byte
	n, err := f.ReadAt(buf[:], 0)
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		return 0, err
	}
	// "size resident shared text lib data dt"
	field, v, digits := 0, int64(0), false
	for _, c := range buf[:n] {
		if c == ' ' {
			if field++; field > 2 {
				break
			}
		} else if field == 2 && c >= '0' && c <= '9' {
			v = v*10 + int64(c-'0')
			digits = true
		}
	}
	if !digits {
		return 0, errors.New("no shared field in /proc/self/statm")
	}
	return v * pageSize, nil
}

// dropMapped tells the kernel this process no longer needs the pages of
// btx's database mapping (madvise MADV_DONTNEED). It must run inside the
// read transaction btx: bbolt remaps (munmap, then mmap at a new address)
// only under its mmap lock, which waits for every read transaction, so the
// range below is the live mapping for as long as btx is open. The mapping
// is read-only MAP_SHARED and bbolt writes with pwrite, so its pages are
// clean page-cache pages: dropping them only clears this process's page
// tables, and the next read maps the same bytes back from the page cache.
//
// The range (checked in bbolt v1.4.3): DB.Info().Data is the address of
// db.data[0], and db.data is the slice unix.Mmap returned (mmap in
// bolt_unix.go), so it is the mapping's start. Tx.Size() is the
// transaction's high-water page id times the page size; the mapped size is
// never below it: Open maps at least the file, which a commit grows past
// its pages before writing them; a write that allocates a page at or past
// the mapped size remaps to more first (DB.allocate); and remaps never
// shrink. Rounded up to whole OS pages, it stays inside the mapping.
func dropMapped(btx *bolt.Tx) error {
	start := btx.DB().Info().Data
	n := (btx.Size() + pageSize - 1) / pageSize * pageSize
	if n <= 0 {
		return nil
	}
	// The raw call: the range is bbolt's mapping, not Go memory, so it never
	// becomes a slice here.
	if _, _, errno := unix.Syscall(unix.SYS_MADVISE, start, uintptr(n), unix.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}
