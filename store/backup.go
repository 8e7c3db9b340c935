package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/paydesk/paydesk/finance"
)

// Backup writes a consistent copy of the database to path while it stays in
// use: one read transaction streams every page into a temp file beside the
// target, which is synced and then moved into place, so path is either the
// whole copy or absent. An existing file at path is refused.
func (db *DB) Backup(ctx context.Context, path string) error {
	return db.backup(ctx, path, false)
}

// BackupOverwrite is Backup that replaces an existing file at path.
func (db *DB) BackupOverwrite(ctx context.Context, path string) error {
	return db.backup(ctx, path, true)
}

func (db *DB) backup(ctx context.Context, path string, overwrite bool) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if path == "" {
		return fmt.Errorf("%w: no backup path given", finance.ErrInvalid)
	}
	if abs, aerr := filepath.Abs(path); aerr == nil {
		path = abs
	}
	if path == db.path {
		return fmt.Errorf("%w: backup path %s is the database itself", finance.ErrInvalid, path)
	}
	if !overwrite {
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%w: %s already exists; choose a new file name", finance.ErrConflict, path)
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating backup folder %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating backup file in %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		_, werr := tx.WriteTo(ctxWriter{ctx: ctx, w: tmp})
		return werr
	})
	if err != nil {
		return fmt.Errorf("writing backup %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("syncing backup %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("closing backup %s: %w", path, err)
	}
	if overwrite {
		err = os.Rename(tmp.Name(), path)
	} else {
		// A hard link fails if path appeared meanwhile, so a file created
		// after the check above is still never overwritten.
		if err = os.Link(tmp.Name(), path); err == nil {
			_ = os.Remove(tmp.Name())
		} else if errors.Is(err, os.ErrExist) {
			err = fmt.Errorf("%w: %s already exists; choose a new file name", finance.ErrConflict, path)
		}
	}
	if err != nil {
		return fmt.Errorf("placing backup %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable; a filesystem that cannot sync a
// directory still has the file, so failures are ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// ctxWriter stops a long copy when ctx is canceled.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
