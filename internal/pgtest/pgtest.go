// Package pgtest starts a private PostgreSQL server for tests: initdb into a
// temporary directory, pg_ctl on 127.0.0.1 with a free port, as an
// unprivileged user when the tests run as root (PostgreSQL refuses root).
// Start it once per test package, from TestMain.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoServer means no PostgreSQL server binaries were found: tests skip.
var ErrNoServer = errors.New("no PostgreSQL server binaries (initdb, pg_ctl) found: install Debian's postgresql package, or set PAYDESK_PG_BIN to their folder")

// Server is a running private PostgreSQL.
type Server struct {
	Dir  string // holds data/ and the log
	Port int
	bin  string
	run  []string // prefix that runs a command as the server's user ("runuser -u postgres --")
	dbs  atomic.Int64
}

// FindBin is the folder of initdb and pg_ctl: PAYDESK_PG_BIN, the PATH, or
// the newest /usr/lib/postgresql/NN/bin (where Debian puts them).
func FindBin() (string, error) {
	if d := os.Getenv("PAYDESK_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				p = real
			}
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoServer
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initialises and starts a server in a new temporary directory.
// Options are extra server settings ("fsync=off").
func Start(settings ...string) (*Server, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "paydesk-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL will not run as root: hand the directory to an
		// unprivileged system user and run the server as it.
		name, uid, gid, err := serverUser()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.run = []string{"runuser", "-u", name, "--"}
	}
	if err := s.cmd("initdb", "-D", s.data(), "-U", "paydesk", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w", err)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.Port = port
	opts := []string{"-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir}
	for _, kv := range settings {
		opts = append(opts, "-c", kv)
	}
	conf := filepath.Join(s.data(), "postgresql.auto.conf")
	var lines []string
	for i := 0; i+1 < len(opts); i += 2 {
		if opts[i] == "-p" {
			lines = append(lines, "port = "+opts[i+1])
			continue
		}
		k, v, _ := strings.Cut(opts[i+1], "=")
		lines = append(lines, fmt.Sprintf("%s = '%s'", k, v))
	}
	if err := appendFile(conf, strings.Join(lines, "\n")+"\n"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.Restart(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func serverUser() (string, int, int, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return name, uid, gid, nil
	}
	return "", 0, 0, errors.New("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) data() string { return filepath.Join(s.Dir, "data") }

func (s *Server) cmd(name string, args ...string) error {
	argv := append(append([]string{}, s.run...), append([]string{filepath.Join(s.bin, name)}, args...)...)
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = s.Dir
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	return nil
}

// Stop stops the server (fast shutdown: connections are cut), as a network
// outage or a restart of the central database would.
func (s *Server) Stop() error {
	return s.cmd("pg_ctl", "-D", s.data(), "-m", "fast", "-w", "stop")
}

// Restart starts a stopped server again on the same port.
func (s *Server) Restart() error {
	return s.cmd("pg_ctl", "-D", s.data(), "-l", filepath.Join(s.Dir, "server.log"), "-w", "-t", "60", "start")
}

// Close stops the server and removes its directory.
func (s *Server) Close() {
	_ = s.Stop()
	os.RemoveAll(s.Dir)
}

// URL is the connection string of one database on the server.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://paydesk@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// NewDB creates an empty database and returns its URL.
func (s *Server) NewDB(ctx context.Context, prefix string) (string, error) {
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), s.dbs.Add(1))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return s.URL(name), nil
}
