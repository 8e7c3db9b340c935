//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"

	"github.com/paydesk/paydesk/store"
)

// lockFile takes the lock bbolt takes (flock), so no paydesk process has
// the file open while it is replaced. A missing file needs no lock.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, &store.LockedError{Path: path}
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
}
