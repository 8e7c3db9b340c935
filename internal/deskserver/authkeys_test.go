package deskserver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

func TestAuthorizedKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paydesk", "authorized_keys")
	anna, bob := newSigner(t), newSigner(t)

	if _, err := LookupKey(path, anna.PublicKey()); !errors.Is(err, ErrKeyNotAuthorized) {
		t.Fatalf("missing file: %v", err)
	}
	if err := AddAuthorizedKey(path, anna.PublicKey(), "Anna K"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v err %v", st.Mode().Perm(), err)
	}
	// A hand edit without a final newline, a comment and a broken line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("# front desk\nssh-ed25519 not-base64 someone\n" + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(newSigner(t).PublicKey()))))
	f.Close()
	if err := AddAuthorizedKey(path, bob.PublicKey(), "bob"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		key  gossh.PublicKey
		want string
		err  error
	}{
		{anna.PublicKey(), "Anna K", nil},
		{bob.PublicKey(), "bob", nil},
		{newSigner(t).PublicKey(), "", ErrKeyNotAuthorized},
		{nil, "", ErrKeyNotAuthorized},
	}
	for _, tt := range tests {
		got, err := LookupKey(path, tt.key)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("LookupKey = %q, %v; want %q, %v", got, err, tt.want, tt.err)
		}
	}
	keys, problems, err := ReadAuthorizedKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || len(problems) != 2 {
		t.Fatalf("keys %d problems %q", len(keys), problems)
	}

	if err := AddAuthorizedKey(path, anna.PublicKey(), "Anna K"); err != nil {
		t.Fatalf("re-adding the same key for the same person: %v", err)
	}
	if err := AddAuthorizedKey(path, anna.PublicKey(), "bob"); err == nil || !strings.Contains(err.Error(), "already belongs to Anna K") {
		t.Fatalf("one key, two people: %v", err)
	}
	for _, bad := range []string{"", " ", "a\nb", "x#y"} {
		if err := AddAuthorizedKey(path, newSigner(t).PublicKey(), bad); err == nil {
			t.Errorf("staff name %q accepted", bad)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(newSigner(t).PublicKey())))
	tests := []struct {
		in string
		ok bool
	}{
		{line + " anna@laptop\n", true},
		{line, true},
		{"", false},
		{"hello", false},
		{`from="10.0.0.1" ` + line, false},
		{line + "\n" + line, false},
	}
	for _, tt := range tests {
		_, err := ParsePublicKey([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("ParsePublicKey(%.30q): %v", tt.in, err)
		}
	}
}
