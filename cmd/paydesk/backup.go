package main

// serve's scheduled backup ([backup] in the config) and `paydesk restore`.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/store"
)

const backupPrefix, backupSuffix = "paydesk-", ".db"

// startBackups runs the daily backup while ctx lasts, if [backup] dir is
// set, and makes a.lastBackup answer for the desks' header. wait returns
// once the loop has ended.
func (a *app) startBackups(ctx context.Context) (wait func()) {
	dir := a.cfg.Backup.Dir
	if dir == "" || a.db == nil {
		return func() {}
	}
	var last atomic.Int64
	if t := newestBackup(dir); !t.IsZero() {
		last.Store(t.UnixNano())
	}
	a.lastBackup = func() time.Time {
		if n := last.Load(); n != 0 {
			return time.Unix(0, n)
		}
		return time.Time{}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			now := time.Now()
			wait := untilHour(now, a.cfg.Backup.Hour)
			if now.Sub(a.lastBackup()) > 24*time.Hour {
				wait = 0 // none for a day (or ever): catch up now
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			path, err := backupInto(ctx, a.db, dir, a.cfg.Backup.Keep, time.Now())
			if err != nil {
				if ctx.Err() == nil {
					a.log.Error("scheduled backup failed", "dir", dir, "err", err)
				}
				// Try again in an hour rather than at once, or a full
				// disk would be asked every moment.
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Hour):
				}
				continue
			}
			last.Store(time.Now().UnixNano())
			a.log.Info("scheduled backup written", "path", path)
		}
	}()
	return wg.Wait
}

// untilHour is how long from now until the next hh:00 local time.
func untilHour(now time.Time, hour int) time.Duration {
	next := time.Date(now.Year(), now.Month(), now.Day(), hour, 0, 0, 0, now.Location())
	if !next.After(now) {
		next = next.AddDate(0, 0, 1)
	}
	return next.Sub(now)
}

// backupInto writes a hot copy into dir, checks it (bbolt's pages and every
// ledger invariant) before it counts, and keeps the newest keep backups.
func backupInto(ctx context.Context, db *store.DB, dir string, keep int, now time.Time) (string, error) {
	path := filepath.Join(dir, backupPrefix+now.UTC().Format("20060102T150405.000Z")+backupSuffix)
	if err := db.Backup(ctx, path); err != nil {
		return "", err
	}
	if err := checkBackup(ctx, path); err != nil {
		_ = os.Remove(path)
		return "", err
	}
	if keep > 0 {
		old := backups(dir)
		for len(old) > keep {
			if err := os.Remove(old[0]); err != nil {
				return path, fmt.Errorf("backup %s written, but removing the old %s: %w", path, old[0], err)
			}
			old = old[1:]
		}
	}
	return path, nil
}

// backups are the scheduled backups in dir, oldest first (the names sort by time).
func backups(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupSuffix) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	slices.Sort(out)
	return out
}

func newestBackup(dir string) time.Time {
	all := backups(dir)
	if len(all) == 0 {
		return time.Time{}
	}
	fi, err := os.Stat(all[len(all)-1])
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// checkBackup opens a backup on its own and runs what `paydesk check` does:
// the file's pages, then every ledger invariant. A file that is not a set-up
// paydesk database is refused too.
func checkBackup(ctx context.Context, path string) error {
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Verify(ctx); err != nil {
		return err
	}
	svc := finance.NewService(db)
	if _, err := svc.Settings(ctx); err != nil {
		if errors.Is(err, finance.ErrNotInitialized) {
			return fmt.Errorf("%w: %s holds no paydesk books (not set up)", finance.ErrInvalid, path)
		}
		return err
	}
	rep, err := svc.Check(ctx)
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("%w: backup %s fails the ledger check: %s", finance.ErrInvalid, path, rep.String())
	}
	return nil
}

// cmdRestore puts a checked backup in place of the database. Refused inside
// serve (the command reaches it through the socket while serve holds the
// file) and while any other process holds the file. The file replaced is
// kept beside it, never deleted.
func cmdRestore(ctx context.Context, a *app, args []string) error {
	fs := newFlags("restore")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if a.inServer {
		return fmt.Errorf("%w: paydesk serve holds database %s; stop it first, then run restore again", finance.ErrLocked, a.cfg.DB)
	}
	src, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	dst, err := filepath.Abs(a.cfg.DB)
	if err != nil {
		return err
	}
	if src == dst {
		return fmt.Errorf("%w: %s is the database itself", finance.ErrInvalid, src)
	}
	if err := checkBackup(ctx, src); err != nil {
		return fmt.Errorf("backup %s not restored, the database is unchanged: %w", src, err)
	}
	unlock, err := lockFile(dst)
	if err != nil {
		return err
	}
	defer unlock()
	tmp, err := copyBeside(src, dst)
	if err != nil {
		return err
	}
	kept := ""
	if _, err := os.Stat(dst); err == nil {
		kept = dst + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(dst, kept); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("moving the current database aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("placing the backup (the database is at %s): %w", kept, err)
	}
	_ = os.Remove(store.DamageMarker(dst))
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	a.log.Info("restored", "from", src, "db", dst, "kept", kept)
	fmt.Fprintf(a.stdout, "restored %s from %s (checked: every invariant holds)\n", dst, src)
	if kept != "" {
		fmt.Fprintf(a.stdout, "the database it replaced is kept as %s\n", kept)
	}
	return nil
}

// copyBeside copies src into a synced temp file in dst's folder.
func copyBeside(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", err
	}
	out, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".restore-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chmod(0o600)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(out.Name())
		return "", fmt.Errorf("copying the backup beside %s (nothing was replaced): %w", dst, err)
	}
	return out.Name(), nil
}
