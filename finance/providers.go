package finance

import (
	"context"
	"fmt"
	"strings"
)

// Payment providers beside Stripe: each keeps its money in its own online
// register, named as the provider, so the day's totals show what each one
// holds and a refund through one never comes out of another's balance.

// AddProviderRegister makes sure the register a provider's money lands in
// exists: a new online register with the provider's name as its id and
// title as its name, starting at zero. A location set up before it took
// that provider gets it the first time the provider is switched on
// (paydesk serve). Stripe's register is the one setup made. It reports
// whether it added the register.
func (s *Service) AddProviderRegister(ctx context.Context, provider, title string) (bool, error) {
	provider = strings.TrimSpace(provider)
	if provider == "" || provider == defaultProvider {
		return false, nil
	}
	if !registerIDPattern.MatchString(provider) {
		return false, errf(ErrInvalid, "provider %q cannot name a register (a-z, 0-9, - and _)", provider)
	}
	title, err := cleanText("register name", title, maxNameLen)
	if err != nil {
		return false, err
	}
	added := false
	err = s.update(ctx, func(tx Tx) error {
		added = false
		st, err := tx.Settings()
		if err != nil {
			return err
		}
		for _, r := range st.Registers {
			if r.ID != provider {
				continue
			}
			if r.Kind != RegisterOnline {
				return errf(ErrConflict, "register %q is a %s register; provider %s needs an online one of that id",
					r.ID, r.Kind, provider)
			}
			return nil
		}
		st.Registers = append(st.Registers, Register{ID: provider, Name: firstNonEmpty(title, provider), Kind: RegisterOnline})
		if err := tx.PutSettings(st); err != nil {
			return err
		}
		added = true
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: provider, Action: "register_add",
			Subject: "register " + provider, Detail: fmt.Sprintf("online register for %s payments", firstNonEmpty(title, provider))})
	})
	if err != nil {
		return false, err
	}
	if added {
		s.publish(Change{What: "settings"})
	}
	return added, nil
}
