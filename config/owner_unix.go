//go:build unix

package config

import (
	"os"
	"syscall"
)

// ownedByOther reports the owner's uid of a file someone else owns: that
// user (or whoever becomes them) can rewrite the secrets it holds.
func ownedByOther(info os.FileInfo) (uid int, other bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), int(st.Uid) != os.Getuid()
}
