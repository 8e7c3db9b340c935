package store

import (
	"bufio"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder names the process holding the lock on the file at path, as
// /proc/locks tells (bbolt takes a flock on the file itself): its pid, its
// command line and its user. "" when it cannot be told (another pid
// namespace, /proc not mounted).
func lockHolder(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return ""
	}
	// /proc/locks writes the device as hex major:minor and the inode in decimal.
	dev := uint64(st.Dev) //nolint:unconvert // Stat_t.Dev is uint32 on some Linux architectures (mips)
	major, minor := (dev>>8)&0xfff|(dev>>32)&^0xfff, dev&0xff|(dev>>12)&^0xff
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, st.Ino)
	f, err := os.Open("/proc/locks")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 5786 fe:00:9978259 0 EOF"; a blocked
		// waiter's line has "->" after the number.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] == "->" || fields[1] != "FLOCK" || fields[5] != want {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		return describeProcess(pid)
	}
	return ""
}

// describeProcess is "pid 1234 (paydesk serve), user mila".
func describeProcess(pid int) string {
	out := "pid " + strconv.Itoa(pid)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(b) > 0 {
		args := strings.Fields(strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " "))
		if len(args) > 0 {
			args[0] = args[0][strings.LastIndex(args[0], "/")+1:]
		}
		cmd := strings.Join(args, " ")
		if len(cmd) > 120 {
			cmd = cmd[:120] + "..."
		}
		out += " (" + strings.Map(printable, cmd) + ")"
	}
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d", pid), &st); err == nil {
		name := strconv.Itoa(int(st.Uid))
		if u, err := user.LookupId(name); err == nil {
			name = u.Username
		}
		out += ", user " + name
	}
	return out
}

// printable keeps a command line from putting control characters on the
// terminal that reads the refusal.
func printable(r rune) rune {
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
		return '?'
	}
	return r
}
