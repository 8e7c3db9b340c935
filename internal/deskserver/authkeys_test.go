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

func TestRemoveAuthorizedKeysKeepsOtherLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authorized_keys")
	a, b := newSigner(t), newSigner(t)
	line := func(s gossh.Signer, staff string) string {
		return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey()))) + " " + staff
	}
	body := "# desks\n" + line(a, "Ann Lee") + "\nnot a key\n" + line(b, "Bohdan") + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveAuthorizedKeys(path, func(k AuthorizedKey) bool { return k.Staff == "Ann Lee" })
	if err != nil || len(removed) != 1 || removed[0].Staff != "Ann Lee" {
		t.Fatalf("removed %v, err %v", removed, err)
	}
	got, _ := os.ReadFile(path)
	if want := "# desks\nnot a key\n" + line(b, "Bohdan") + "\n"; string(got) != want {
		t.Fatalf("file\n%q\nwant\n%q", got, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	if removed, err := RemoveAuthorizedKeys(path, func(AuthorizedKey) bool { return false }); err != nil || removed != nil {
		t.Fatalf("nothing to remove: %v %v", removed, err)
	}
	if removed, err := RemoveAuthorizedKeys(filepath.Join(t.TempDir(), "none"), func(AuthorizedKey) bool { return true }); err != nil || removed != nil {
		t.Fatalf("no file: %v %v", removed, err)
	}
}
