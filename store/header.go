package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"

	"github.com/paydesk/paydesk/finance"
)

// bbolt's on-disk header, as go.etcd.io/bbolt writes it: pages 0 and 1 are
// meta pages, each a 16-byte page header followed by the meta. bbolt checks a
// meta's magic, version and checksum, but not that the file holds the pages
// the meta counts, and then maps the file: reading a page past the end of a
// file cut short is a SIGBUS or SIGSEGV that no recover catches. So the
// file is measured against its own header before bbolt opens it.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64 // magic, version, page size, flags, root (16), freelist, pgid, txid, checksum
	metaFlag       = 0x04
)

// meta is what a header says of the file.
type meta struct {
	pageSize uint32
	freelist uint64 // the page holding the list of free pages
	pgid     uint64 // the high-water mark: pages [0, pgid) are in use
	txid     uint64
}

// DamagedFileError says a database file does not hold what its own header
// says: cut short (a copy interrupted, a full disk, a bad restore) or with
// both headers broken. Nothing is opened and nothing written.
type DamagedFileError struct {
	Path string
	Why  string
}

func (e *DamagedFileError) Error() string {
	return fmt.Sprintf("database %s is damaged: %s; nothing was opened or written: restore it from a backup (paydesk restore BACKUP)", e.Path, e.Why)
}

func (e *DamagedFileError) Unwrap() error { return finance.ErrInvalid }

// checkHeader reads both meta pages of the file at path and refuses a file
// shorter than the valid meta with the highest transaction says. A file that
// is not a bbolt file at all is left for bbolt to refuse in its own words; a
// missing or empty file is a new database.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return nil // bbolt's open says why (permission, a folder), naming the file
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return nil
	}
	size := fi.Size()
	first, ok0 := readMeta(f, 0)
	if !ok0 && first.pageSize == 0 {
		// Not even the first header's magic: not a bbolt file (bbolt says so).
		return nil
	}
	ps := int64(first.pageSize)
	if ps == 0 {
		ps = int64(os.Getpagesize())
	}
	second, ok1 := readMeta(f, ps)
	var m meta
	switch {
	case ok0 && ok1:
		m = first
		if second.txid > first.txid {
			m = second
		}
	case ok0:
		m = first
	case ok1:
		m = second
	default:
		return &DamagedFileError{Path: path, Why: "both of its headers fail their checksum"}
	}
	need := int64(m.pgid) * int64(m.pageSize)
	if m.pgid < 2 || m.pageSize < 512 || m.pageSize > 1<<20 || need/int64(m.pageSize) != int64(m.pgid) {
		return &DamagedFileError{Path: path, Why: fmt.Sprintf("its header counts %d pages of %d bytes", m.pgid, m.pageSize)}
	}
	// bbolt writes a freelist of "none" (all ones) when it does not sync it.
	if m.freelist != ^uint64(0) && (m.freelist+1)*uint64(m.pageSize) > uint64(size) {
		return &DamagedFileError{Path: path, Why: fmt.Sprintf(
			"the file is %d bytes but its list of free pages is at page %d (%d bytes of %d): it was cut short", size, m.freelist, m.freelist*uint64(m.pageSize), m.pageSize)}
	}
	if size < need {
		return &DamagedFileError{Path: path, Why: fmt.Sprintf(
			"the file is %d bytes but its header says %d (%d pages of %d bytes): it was cut short", size, need, m.pgid, m.pageSize)}
	}
	return nil
}

// readMeta reads the meta page at offset. ok is a valid meta; a meta with
// the right magic but a bad checksum still returns its page size, so the
// second header can be found.
func readMeta(r io.ReaderAt, offset int64) (meta, bool) {
	buf := make([]byte, pageHeaderSize+metaSize)
	if _, err := r.ReadAt(buf, offset); err != nil {
		return meta{}, false
	}
	le := binary.LittleEndian
	if le.Uint16(buf[8:10])&metaFlag == 0 {
		return meta{}, false
	}
	b := buf[pageHeaderSize:]
	if le.Uint32(b[0:4]) != boltMagic {
		return meta{}, false
	}
	m := meta{pageSize: le.Uint32(b[8:12]), freelist: le.Uint64(b[32:40]), pgid: le.Uint64(b[40:48]), txid: le.Uint64(b[48:56])}
	if le.Uint32(b[4:8]) != boltVersion {
		return m, false
	}
	h := fnv.New64a()
	_, _ = h.Write(b[:56])
	return m, h.Sum64() == le.Uint64(b[56:64])
}
