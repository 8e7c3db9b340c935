package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/demo"
	"github.com/paydesk/paydesk/internal/deskserver"
	"github.com/paydesk/paydesk/store"
	"github.com/paydesk/paydesk/tui"
)

// runTUI opens the full-screen front desk on this terminal. A missing
// database file is created so first-run setup can fill it.
func runTUI(ctx context.Context, a *app) error {
	// Without a terminal nothing is made; an existing database is still
	// opened first, so a user whose books paydesk serve holds learns the way
	// in through it.
	noTerm := needTerminal()
	if noTerm != nil && !store.Exists(a.cfg.DB) {
		return noTerm
	}
	svc, err := a.open(ctx, true)
	if errors.Is(err, finance.ErrLocked) {
		if _, serr := os.Lstat(deskserver.SocketPath(a.cfg.DB)); serr != nil {
			// No paydesk serve: another desk has the file, and SSH leads nowhere.
			return fmt.Errorf("%w\nclose that desk first; for several desks at once, run `paydesk serve` and open each with `%s`",
				err, sshHint(a.cfg.SSHAddr, "NAME"))
		}
		return fmt.Errorf("%w\nopen the front desk through it with `%s` (an admin adds your SSH key with `paydesk ssh-key add`)",
			err, sshHint(a.cfg.SSHAddr, "NAME"))
	}
	if err != nil {
		return err
	}
	if noTerm != nil {
		return noTerm
	}
	refunder, stopSync, err := a.startTUISync(ctx, svc)
	if err != nil {
		return err
	}
	defer stopSync()
	// The renderer reads this terminal's colour support; termenv honours
	// NO_COLOR and CLICOLOR here.
	renderer := lipgloss.NewRenderer(os.Stdout)
	rights := a.cfg.RightsTable()
	setupDefaults := a.cfg.Setup.Settings()
	model := tui.New(tui.Deps{
		Service:        svc,
		Renderer:       renderer,
		ExportDir:      a.cfg.ExportDir,
		Receipt:        receiptConfig(a.cfg),
		IdleLock:       a.cfg.IdleLock,
		SyncConfigured: a.syncOn(),
		SyncNote:       a.syncNote(),
		Version:        a.version,
		Refunder:       refunder,
		Chain:          a.chainView(),
		Ctx:            ctx,
		SetupDefaults:  setupDefaults,
		Demo: func(ctx context.Context) ([]string, error) {
			sum, err := demo.Fill(ctx, a.db, demo.Options{Settings: setupDefaults, Staff: "demo", Rights: rights})
			if err == nil {
				a.log.Info("demo data loaded", "clients", sum.Clients, "operations", sum.Operations)
			}
			// The notes hold the demo staff's PINs, which the desk shows once.
			return sum.Notes, err
		},
	})
	p := tea.NewProgram(model, tea.WithAltScreen(), tea.WithContext(ctx))
	if _, err := p.Run(); err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return nil // SIGINT/SIGTERM: a clean shutdown
		}
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}

// needTerminal refuses to start the full-screen desk without a terminal (a
// cron job, a pipe, a script) before any file is made: Bubble Tea's own
// complaint names /dev/tty and no way out.
func needTerminal() error {
	if term.IsTerminal(os.Stdout.Fd()) && (term.IsTerminal(os.Stdin.Fd()) || ttyOpens()) {
		return nil
	}
	return errors.New("the front desk needs a terminal; in a script run one of the commands instead (`paydesk --help` lists them)")
}

// ttyOpens reports whether this process has a controlling terminal to read
// keys from when stdin is redirected, as Bubble Tea then does.
func ttyOpens() bool {
	f, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// startTUISync runs the payment sync inside the TUI's process when Stripe
// keys are configured, as `paydesk serve` does headless: the worker, the
// events poller (secret key) and the webhook receiver (endpoint secret).
// stop ends them and waits, before the database closes.
func (a *app) startTUISync(ctx context.Context, svc *finance.Service) (refunder tui.Refunder, stop func(), err error) {
	ps, err := a.newPaymentSync(ctx, svc)
	if err != nil {
		return nil, nil, err
	}
	if ps == nil {
		return nil, func() {}, nil
	}
	w, srv, ln := ps.w, ps.srv, ps.ln
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = w.Run(workCtx) }()
	if ps.refunds {
		refunder = refunderFunc(func(ctx context.Context, key string) error { _, err := w.ExecuteRefund(ctx, key); return err })
	}
	if ps.poll {
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.RunPoller(workCtx) }()
		ps.startReconcile(workCtx, &wg, svc, a.cfg.StripeReconcileEvery, a.log)
	}
	if srv != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("webhook receiver", "err", err)
			}
		}()
	}
	ps.startOwn(&wg, a.log, nil)
	a.log.Info("payment sync started in the TUI", "webhook_addr", a.cfg.WebhookAddr, "polling", ps.poll)
	return refunder, func() {
		if srv != nil {
			shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := srv.Shutdown(shut); err != nil {
				a.log.Warn("webhook receiver shutdown", "err", err)
			}
			cancel()
		}
		ps.stopOwn(a.log)
		stopWork()
		wg.Wait()
	}, nil
}
