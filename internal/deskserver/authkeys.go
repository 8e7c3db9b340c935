package deskserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	gossh "golang.org/x/crypto/ssh"
)

// ErrKeyNotAuthorized is returned when a public key is not in the
// authorized-keys file (or names no staff member).
var ErrKeyNotAuthorized = errors.New("key not authorized")

// AuthorizedKey is one line of paydesk's authorized-keys file: a public key
// and, in the comment field, the staff member it belongs to.
type AuthorizedKey struct {
	Key   gossh.PublicKey
	Staff string
	Line  int
}

// ReadAuthorizedKeys parses the authorized-keys file. A missing file means no
// key may log in, which is not an error. Lines that cannot be used (bad key,
// no staff name) are skipped and described in problems, so one bad line never
// locks every desk out.
func ReadAuthorizedKeys(path string) (keys []AuthorizedKey, problems []string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read authorized keys: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, comment, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", path, n, err))
			continue
		}
		staff := strings.TrimSpace(comment)
		if staff == "" {
			problems = append(problems, fmt.Sprintf("%s:%d: no staff name after the key", path, n))
			continue
		}
		keys = append(keys, AuthorizedKey{Key: key, Staff: staff, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read authorized keys: %w", err)
	}
	return keys, problems, nil
}

// LookupKey finds the staff member a public key belongs to. The file is read
// on every call so that `paydesk ssh-key add` takes effect without a restart;
// it is a few lines long.
func LookupKey(path string, key gossh.PublicKey) (string, error) {
	if key == nil {
		return "", ErrKeyNotAuthorized
	}
	keys, _, err := ReadAuthorizedKeys(path)
	if err != nil {
		return "", err
	}
	want := key.Marshal()
	for _, k := range keys {
		if bytes.Equal(k.Key.Marshal(), want) {
			return k.Staff, nil
		}
	}
	return "", ErrKeyNotAuthorized
}

// ParsePublicKey reads one public key as found in a .pub file or an
// authorized_keys line. Key options (from=, command=...) are refused: paydesk
// would not enforce them, and silently dropping them would mislead.
func ParsePublicKey(data []byte) (gossh.PublicKey, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("no public key given")
	}
	key, _, options, rest, err := gossh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("not an SSH public key: %w", err)
	}
	if len(options) > 0 {
		return nil, fmt.Errorf("key options (%s) are not supported", strings.Join(options, ","))
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("give one public key, not several")
	}
	return key, nil
}

// AddAuthorizedKey appends key for staff to the authorized-keys file,
// creating it (0600, directory 0700) if needed. A key may belong to one staff
// member only: adding it again for the same person is a no-op, for another
// person an error.
func AddAuthorizedKey(path string, key gossh.PublicKey, staff string) error {
	staff = strings.TrimSpace(staff)
	if staff == "" {
		return errors.New("staff name is empty")
	}
	if strings.ContainsAny(staff, "\r\n#") {
		return fmt.Errorf("staff name %q cannot be used in the authorized-keys file", staff)
	}
	if owner, err := LookupKey(path, key); err == nil {
		if owner == staff {
			return nil
		}
		return fmt.Errorf("this key already belongs to %s", owner)
	} else if !errors.Is(err, ErrKeyNotAuthorized) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create authorized keys directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open authorized keys: %w", err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key))) + " " + staff + "\n"
	// A file edited by hand may lack its last newline; appending would then
	// glue our key onto someone else's line.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = "\n" + line
		}
	}
	if _, err := f.WriteString(line); err != nil {
		_ = f.Close()
		return fmt.Errorf("write authorized keys: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write authorized keys: %w", err)
	}
	return nil
}

// RemoveAuthorizedKeys drops the keys for which match is true and returns
// them. Every other line (comments, lines paydesk cannot use) stays as it
// was. The file is replaced whole (a temporary file renamed over it), so a
// crash leaves the old file or the new one, never half of one.
func RemoveAuthorizedKeys(path string, match func(AuthorizedKey) bool) ([]AuthorizedKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read authorized keys: %w", err)
	}
	keys, _, err := ReadAuthorizedKeys(path)
	if err != nil {
		return nil, err
	}
	drop := map[int]bool{}
	var removed []AuthorizedKey
	for _, k := range keys {
		if match(k) {
			drop[k.Line] = true
			removed = append(removed, k)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	var out bytes.Buffer
	for n, line := range bytes.SplitAfter(data, []byte("\n")) {
		if !drop[n+1] {
			out.Write(line)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".authorized_keys-*")
	if err != nil {
		return nil, fmt.Errorf("write authorized keys: %w", err)
	}
	defer os.Remove(tmp.Name()) // once renamed, there is nothing left to remove
	// One err through the chain: a failed write, sync or rename must not be
	// lost to a shadowed variable and reported as removed.
	if err = tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(out.Bytes())
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
	}
	if err != nil {
		_ = tmp.Close()
		return nil, fmt.Errorf("write authorized keys: %w", err)
	}
	return removed, nil
}
