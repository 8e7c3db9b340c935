//go:build !linux

package store

import (
	"errors"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Trimming bbolt's mapping is Linux-only (see Options.MappedResidentCap):
// elsewhere there is no /proc/self/statm to look at, so newMappedTrim turns
// it off and the other two are never called.
func openStatm() (*os.File, error) { return nil, nil }

func fileResident(*os.File) (int64, error) { return 0, errNoTrim }

func dropMapped(*bolt.Tx) error { return errNoTrim }

var errNoTrim = errors.New("trimming the file mapping is Linux-only")
