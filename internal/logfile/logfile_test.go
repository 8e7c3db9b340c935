package logfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotatesBySizeAndKeepsCount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paydesk.log")
	l, err := Open(path, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var all []string
	for i := range 20 {
		line := fmt.Sprintf("line %02d %s\n", i, strings.Repeat("x", 20)) // 29 bytes
		all = append(all, line)
		if _, err := l.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	// 3 lines per file: the newest in paydesk.log, then .1 and .2; older gone.
	want := map[string]string{
		path:        strings.Join(all[18:], ""),
		path + ".1": strings.Join(all[15:18], ""),
		path + ".2": strings.Join(all[12:15], ""),
	}
	for p, w := range want {
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != w {
			t.Errorf("%s = %q, want %q", filepath.Base(p), got, w)
		}
		if st, _ := os.Stat(p); st.Size() > 100 || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: size %d mode %v", filepath.Base(p), st.Size(), st.Mode().Perm())
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("a third old file was kept: %v", err)
	}
}

func TestKeepNoneAndLongLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paydesk.log")
	l, err := Open(path, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	long := bytes.Repeat([]byte("y"), 25)
	for _, p := range [][]byte{[]byte("short\n"), long, []byte("last\n")} {
		if _, err := l.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(path)
	if string(got) != "last\n" {
		t.Fatalf("log = %q", got)
	}
	if m, _ := filepath.Glob(path + ".*"); len(m) != 0 {
		t.Fatalf("old files kept with keep=0: %v", m)
	}
}

// Two processes share one log: when one rotates, the other notices at its
// own next rotation and follows to the new file rather than rotating the
// fresh one away (lines it wrote meanwhile are in .1).
func TestSecondWriterFollowsARotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paydesk.log")
	a, err := Open(path, 50, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path, 50, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	line := []byte(strings.Repeat("a", 19) + "\n") // 20 bytes
	write := func(l *File) {
		if _, err := l.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	write(a)
	write(a)
	write(b) // the file has 60 bytes; b has counted 20
	write(a) // a counts 60: rotates; .1 has 60, the new file 20
	write(b) // b counts 40: still its file, now .1 (80)
	write(b) // b counts 60: path is another file, so b follows it (40)
	one, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if len(one) != 80 || len(cur) != 40 {
		t.Fatalf(".1 has %d bytes, the log %d; want 80 and 40", len(one), len(cur))
	}
	if _, err := os.Stat(path + ".2"); !os.IsNotExist(err) {
		t.Fatal("the second writer rotated again")
	}
}
