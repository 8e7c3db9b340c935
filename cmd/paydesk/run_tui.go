package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/demo"
	"github.com/paydesk/paydesk/tui"
)

// runTUI opens the full-screen front desk on this terminal. A missing
// database file is created so first-run setup can fill it.
func runTUI(ctx context.Context, a *app) error {
	svc, err := a.open(ctx, true)
	if errors.Is(err, finance.ErrLocked) {
		return fmt.Errorf("%w\nopen the front desk through it with `%s` (an admin adds your SSH key with `paydesk ssh-key add`)",
			err, sshHint(a.cfg.SSHAddr, "NAME"))
	}
	if err != nil {
		return err
	}
	// The renderer reads this terminal's colour support; termenv honours
	// NO_COLOR and CLICOLOR here.
	renderer := lipgloss.NewRenderer(os.Stdout)
	rights := a.cfg.RightsTable()
	setupDefaults := a.cfg.Setup.Settings()
	model := tui.New(tui.Deps{
		Service:        svc,
		Renderer:       renderer,
		ExportDir:      a.cfg.ExportDir,
		IdleLock:       a.cfg.IdleLock,
		SyncConfigured: a.cfg.StripeSecretKey.IsSet(),
		Version:        a.version,
		Ctx:            ctx,
		SetupDefaults:  setupDefaults,
		Demo: func(ctx context.Context) error {
			sum, err := demo.Fill(ctx, svc.Store(), demo.Options{Settings: setupDefaults, Staff: "demo", Rights: rights})
			if err == nil {
				a.log.Info("demo data loaded", "clients", sum.Clients, "operations", sum.Operations)
			}
			return err
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
