package finance

import (
	"context"
	"errors"
	"net/mail"
	"strings"
)

const (
	defaultSearchLimit = 50
	maxSearchLimit     = 500
	defaultHistoryPage = 50
	maxHistoryPage     = 500
)

// CreateClient is what the new-client form or `client add` submits.
func (s *Service) CreateClient(ctx context.Context, a Actor, nc NewClient) (Client, error) {
	if err := s.require(a, RightClients); err != nil {
		return Client{}, err
	}
	name, err := requiredText("name", nc.Name, maxNameLen)
	if err != nil {
		return Client{}, err
	}
	email, err := checkEmail(nc.Email)
	if err != nil {
		return Client{}, err
	}
	note, err := cleanText("note", nc.Note, maxNoteLen)
	if err != nil {
		return Client{}, err
	}
	var out Client
	err = s.update(ctx, func(tx Tx) error {
		st, err := tx.Settings()
		if err != nil {
			return err
		}
		phone, err := NormalizePhone(nc.Phone, st.PhoneRegion)
		if err != nil {
			return err
		}
		switch c, err := tx.ClientByPhone(phone); {
		case err == nil:
			return errf(ErrConflict, "%s already belongs to %s (client %d)", phone, c.Name, c.ID)
		case !errors.Is(err, ErrNotFound):
			return err
		}
		out, err = tx.CreateClient(Client{
			Name: name, Phone: phone, Email: email, Note: note,
			CreditLimit: st.CreditLimit, Created: s.now(),
		})
		if err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: s.now(), Staff: a.Staff, Action: "client_add",
			Subject: "client " + uitoa(uint64(out.ID)), Detail: out.Name + ", " + out.Phone})
	})
	if err != nil {
		return Client{}, err
	}
	s.publish(Change{What: "client", ClientID: out.ID})
	return out, nil
}

// checkEmail accepts an empty email or one plain address (no display name).
func checkEmail(typed string) (string, error) {
	e := strings.TrimSpace(typed)
	if e == "" {
		return "", nil
	}
	if len(e) > maxEmailLen {
		return "", errf(ErrInvalid, "email is longer than %d characters", maxEmailLen)
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || addr.Name != "" || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
		return "", errf(ErrInvalid, "%q is not an email address", typed)
	}
	return e, nil
}

// SearchClients finds clients by name words or phone digits, with balances.
func (s *Service) SearchClients(ctx context.Context, q string, limit int) ([]ClientSummary, error) {
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	return read(ctx, s, func(tx ReadTx) ([]ClientSummary, error) {
		cs, err := tx.SearchClients(searchQuery(tx, q), limit)
		if err != nil {
			return nil, err
		}
		out := make([]ClientSummary, 0, len(cs))
		for _, c := range cs {
			bal, err := tx.Balance(ClientAccount(c.ID))
			if err != nil {
				return nil, err
			}
			out = append(out, ClientSummary{Client: c, Balance: -bal})
		}
		return out, nil
	})
}

// searchQuery turns a whole phone number typed the local way ("07911 123456")
// into its international digits, because phones are indexed in E.164 and a
// trunk prefix is not a substring of it. Anything else is searched as typed.
func searchQuery(tx ReadTx, q string) string {
	q = strings.TrimSpace(q)
	if !looksLikePhone(q) {
		return q
	}
	st, err := tx.Settings()
	if err != nil {
		return q
	}
	if e164, err := NormalizePhone(q, st.PhoneRegion); err == nil {
		return e164
	}
	return q
}

func looksLikePhone(q string) bool {
	digits := 0
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-() .", r):
		default:
			return false
		}
	}
	return digits >= 7
}

// ClientView is a client, what they have, and one page of history, newest first.
func (s *Service) ClientView(ctx context.Context, id ClientID, p Page) (ClientView, error) {
	if p.Limit <= 0 {
		p.Limit = defaultHistoryPage
	}
	p.Limit = min(p.Limit, maxHistoryPage)
	return read(ctx, s, func(tx ReadTx) (ClientView, error) {
		var v ClientView
		c, err := tx.Client(id)
		if err != nil {
			return ClientView{}, err
		}
		bal, err := tx.Balance(ClientAccount(id))
		if err != nil {
			return ClientView{}, err
		}
		// One extra row tells whether another page exists without counting.
		ops, err := tx.ClientOperations(id, Page{Before: p.Before, Limit: p.Limit + 1})
		if err != nil {
			return ClientView{}, err
		}
		v.Client, v.Balance = c, -bal
		v.Available = -bal + c.CreditLimit
		if len(ops) > p.Limit {
			ops, v.More = ops[:p.Limit], true
		}
		v.History = ops
		return v, nil
	})
}

// clientFunds is what a client's deposit holds, for the floor rules.
type clientFunds struct {
	Client Client
	Owed   int64 // what the business owes the client
}

// Available is what may be spent now: the deposit plus the credit allowed.
func (f clientFunds) Available() int64 { return f.Owed + f.Client.CreditLimit }

func loadFunds(tx ReadTx, id ClientID) (clientFunds, error) {
	c, err := tx.Client(id)
	if err != nil {
		return clientFunds{}, err
	}
	bal, err := tx.Balance(ClientAccount(id))
	if err != nil {
		return clientFunds{}, err
	}
	return clientFunds{Client: c, Owed: -bal}, nil
}

// shortfall explains why taking amount would drop a deposit below its floor.
func shortfall(env postEnv, f clientFunds, amount int64, doing string) error {
	floor := "below zero"
	if f.Client.CreditLimit > 0 {
		floor = "beyond the credit limit of " + env.Money(f.Client.CreditLimit)
	}
	return errf(ErrInsufficientFunds, "%s has %s; %s %s would leave the deposit %s", f.Client.Name, env.Money(f.Owed), doing, env.Money(amount), floor)
}

// maxCreditLimit keeps deposit + credit far from int64 overflow while
// allowing any real salon's credit (10^15 minor units).
const maxCreditLimit = 1_000_000_000_000_000

// ClientUpdate changes some of a client's fields; nil leaves a field as it
// is, so a form passes only what the person touched. An empty string clears
// email or note; name and phone stay required.
type ClientUpdate struct {
	Name, Phone, Email, Note *string
	CreditLimit              *int64 // how far below zero the deposit may go, minor units
}

// UpdateClient edits a client. Name, phone, email and note need
// RightClients; the credit limit needs RightCredit, since raising it lends
// the business's money. The phone is re-normalised and stays unique. A
// credit limit below what the client already owes is refused: the deposit
// would sit below its floor, which Check reports as broken books.
// Nothing changing is not an error: the client is returned as stored, with
// no audit line.
func (s *Service) UpdateClient(ctx context.Context, a Actor, id ClientID, u ClientUpdate) (Client, error) {
	if u.Name == nil && u.Phone == nil && u.Email == nil && u.Note == nil && u.CreditLimit == nil {
		return Client{}, errf(ErrInvalid, "nothing to change")
	}
	if u.Name != nil || u.Phone != nil || u.Email != nil || u.Note != nil {
		if err := s.require(a, RightClients); err != nil {
			return Client{}, err
		}
	}
	if u.CreditLimit != nil {
		if err := s.require(a, RightCredit); err != nil {
			return Client{}, err
		}
		switch {
		case *u.CreditLimit < 0:
			return Client{}, errf(ErrInvalid, "the credit limit cannot be negative")
		case *u.CreditLimit > maxCreditLimit:
			return Client{}, errf(ErrInvalid, "the credit limit is too large")
		}
	}
	// Text is checked before the transaction so a typo never opens one.
	var name, email, note string
	var err error
	if u.Name != nil {
		if name, err = requiredText("name", *u.Name, maxNameLen); err != nil {
			return Client{}, err
		}
	}
	if u.Email != nil {
		if email, err = checkEmail(*u.Email); err != nil {
			return Client{}, err
		}
	}
	if u.Note != nil {
		if note, err = cleanText("note", *u.Note, maxNoteLen); err != nil {
			return Client{}, err
		}
	}

	var out Client
	changed := false
	err = s.update(ctx, func(tx Tx) error {
		env, err := s.env(tx, a)
		if err != nil {
			return err
		}
		f, err := loadFunds(tx, id)
		if err != nil {
			return err
		}
		old, c := f.Client, f.Client
		var what []string
		if u.Name != nil && name != old.Name {
			c.Name = name
			what = append(what, "name "+old.Name+" → "+name)
		}
		if u.Phone != nil {
			phone, err := NormalizePhone(*u.Phone, env.Settings.PhoneRegion)
			if err != nil {
				return err
			}
			if phone != old.Phone {
				switch other, err := tx.ClientByPhone(phone); {
				case err == nil && other.ID != id:
					return errf(ErrConflict, "%s already belongs to %s (client %d)", phone, other.Name, other.ID)
				case err != nil && !errors.Is(err, ErrNotFound):
					return err
				}
				c.Phone = phone
				what = append(what, "phone "+old.Phone+" → "+phone)
			}
		}
		if u.Email != nil && email != old.Email {
			c.Email = email
			what = append(what, "email "+orNone(old.Email)+" → "+orNone(email))
		}
		if u.Note != nil && note != old.Note {
			c.Note = note
			what = append(what, "note")
		}
		if u.CreditLimit != nil && *u.CreditLimit != old.CreditLimit {
			limit := *u.CreditLimit
			if debt := -f.Owed; debt > limit {
				return errf(ErrInsufficientFunds, "%s already owes %s; the credit limit cannot be lower than that (asked for %s)",
					old.Name, env.Money(debt), env.Money(limit))
			}
			c.CreditLimit = limit
			what = append(what, "credit limit "+env.Money(old.CreditLimit)+" → "+env.Money(limit))
		}
		out = c
		if len(what) == 0 {
			return nil
		}
		changed = true
		if err := tx.UpdateClient(c); err != nil {
			return err
		}
		return tx.AppendAudit(&AuditEntry{Time: env.Now, Staff: a.Staff, Action: "client_edit",
			Subject: "client " + uitoa(uint64(id)), Detail: strings.Join(what, "; ")})
	})
	if err != nil {
		return Client{}, err
	}
	if changed {
		s.publish(Change{What: "client", ClientID: id})
	}
	return out, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// ClientAfter is a client's name and what their deposit held right after
// one of their operations: what a receipt prints under it.
type ClientAfter struct {
	Name    string
	Balance int64 // owed to the client, as ClientView.Balance
}

// ClientBalanceAfter reads ClientAfter in one snapshot: today's balance with
// every later operation of the client taken back. One read transaction, so
// an operation posted meanwhile cannot land between the balance and the
// history it is walked back through (a reprint stays consistent).
func (s *Service) ClientBalanceAfter(ctx context.Context, id ClientID, op OperationID) (ClientAfter, error) {
	return read(ctx, s, func(tx ReadTx) (ClientAfter, error) {
		c, err := tx.Client(id)
		if err != nil {
			return ClientAfter{}, err
		}
		acc := ClientAccount(id)
		bal, err := tx.Balance(acc)
		if err != nil {
			return ClientAfter{}, err
		}
		out := ClientAfter{Name: c.Name, Balance: -bal}
		for before := OperationID(0); ; {
			ops, err := tx.ClientOperations(id, Page{Before: before, Limit: maxHistoryPage})
			if err != nil {
				return ClientAfter{}, err
			}
			for _, o := range ops {
				if o.ID <= op {
					return out, nil
				}
				for _, p := range o.Postings {
					if p.Account != acc {
						continue
					}
					// The deposit is credit-normal: what is owed is minus the
					// account, so taking a posting back adds it.
					var ok bool
					if out.Balance, ok = AddInt64(out.Balance, p.Amount); !ok {
						return ClientAfter{}, errf(ErrInvalid, "the balance after #%d overflows", op)
					}
				}
			}
			if len(ops) < maxHistoryPage {
				return out, nil
			}
			before = ops[len(ops)-1].ID
		}
	})
}
