package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill serve if the harness itself dies, so an
// interrupted run leaves no serve behind holding its file.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
