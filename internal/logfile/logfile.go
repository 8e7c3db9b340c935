// Package logfile is paydesk's log file: appended to, and rotated when it
// reaches a size, keeping a number of older files beside it (paydesk.log.1
// the newest of them). Several paydesk processes may write the same file
// (serve, the desk, CLI commands); each notices when another has rotated it
// and follows to the new file instead of rotating again.
package logfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// File is an io.Writer safe for concurrent use.
type File struct {
	path     string
	maxBytes int64
	keep     int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Open opens (or creates, mode 0600) the log at path; it rotates once it
// would pass maxBytes, keeping keep older files (0: none).
func Open(path string, maxBytes int64, keep int) (*File, error) {
	if maxBytes <= 0 {
		return nil, errors.New("log file: the size limit must be positive")
	}
	l := &File{path: path, maxBytes: maxBytes, keep: max(0, keep)}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *File) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Write appends p, rotating first when p would take the file past its
// limit. A line longer than the limit is still written whole.
func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, fs.ErrClosed
	}
	if l.size > 0 && l.size+int64(len(p)) > l.maxBytes {
		if err := l.rotate(); err != nil {
			// Keep logging into the old file rather than lose the line.
			n, werr := l.f.Write(p)
			l.size += int64(n)
			return n, errors.Join(err, werr)
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// rotate moves path to path.1 (and path.1 to path.2, …, dropping the
// oldest) and opens a new path. If another process rotated already, path
// is no longer the file written to: follow it instead.
func (l *File) rotate() error {
	mine, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	if cur, err := os.Stat(l.path); err == nil && !os.SameFile(mine, cur) {
		if cur.Size()+1 < l.maxBytes {
			_ = l.f.Close()
			return l.open()
		}
	}
	if l.keep == 0 {
		if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("log file: %w", err)
		}
	} else {
		_ = os.Remove(l.name(l.keep))
		for i := l.keep - 1; i >= 1; i-- {
			if err := os.Rename(l.name(i), l.name(i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("log file: %w", err)
			}
		}
		if err := os.Rename(l.path, l.name(1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("log file: %w", err)
		}
	}
	old := l.f
	if err := l.open(); err != nil {
		return err
	}
	_ = old.Close()
	return nil
}

func (l *File) name(i int) string { return fmt.Sprintf("%s.%d", l.path, i) }

// Close closes the file; later writes fail.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
