package replicate

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/paydesk/paydesk/finance"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrCentral wraps every failure to reach or use the central database, so
// callers can tell "the network is down" from a refusal of the books.
var ErrCentral = errors.New("central database")

// connectTimeout bounds one attempt to reach the central database: a desk
// behind a dead link should hear about it in seconds, not minutes.
const connectTimeout = 10 * time.Second

var locationID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// CheckLocation says whether id can name a location: a short, stable slug
// such as "kyiv-podil", since every central row carries it.
func CheckLocation(id string) error {
	if !locationID.MatchString(id) {
		return fmt.Errorf("%w: replicate location %q must be 1-64 lowercase letters, digits, '.', '_' or '-' (e.g. \"kyiv-podil\")", finance.ErrInvalid, id)
	}
	return nil
}

// Redact is the URL without its password, for logs and status lines.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(a connection string)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Connect opens one connection to the central database.
func Connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: the replicate url is not a PostgreSQL connection string: %w", finance.ErrInvalid, scrub(err, dsn))
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > connectTimeout {
		cfg.ConnectTimeout = connectTimeout
	}
	cfg.RuntimeParams["application_name"] = "paydesk"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w %s unreachable: %w", ErrCentral, Redact(dsn), scrub(err, dsn))
	}
	return conn, nil
}

// scrub keeps a parse error from echoing the password back.
func scrub(err error, dsn string) error {
	if u, perr := url.Parse(dsn); perr == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg := regexp.MustCompile(regexp.QuoteMeta(p)).ReplaceAllString(err.Error(), "xxxxx")
			return errors.New(msg)
		}
	}
	return err
}

// Migrate brings the central schema up to date. Locations starting at once
// take turns through PostgreSQL's advisory lock.
func Migrate(ctx context.Context, conn *pgx.Conn) error {
	db := stdlib.OpenDB(*conn.Config())
	defer db.Close()
	return migrateDB(ctx, db)
}

func migrateDB(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("%w: reading the schema migrations: %w", ErrCentral, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("%w: migrating the schema: %w", ErrCentral, err)
	}
	reg, client := finance.AccountPrefixes()
	if _, err := db.ExecContext(ctx, `INSERT INTO account_prefixes (kind, prefix) VALUES ('register', $1), ('client', $2)
		ON CONFLICT (kind) DO UPDATE SET prefix = excluded.prefix WHERE account_prefixes.prefix <> excluded.prefix`, reg, client); err != nil {
		return fmt.Errorf("%w: writing the account prefixes: %w", ErrCentral, err)
	}
	return nil
}

// registerPrefix is what every register account begins with, for queries
// that select them by pattern.
func registerPrefix() string {
	reg, _ := finance.AccountPrefixes()
	return reg
}

// SchemaVersion is the newest central schema this binary knows.
func SchemaVersion() (int64, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return 0, err
	}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return 0, err
	}
	return int64(len(entries)), nil
}

// isUniqueViolation: a row that is already there.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
