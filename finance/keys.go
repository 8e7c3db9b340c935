package finance

import (
	"context"
	"errors"
	"strings"
)

// Idempotency keys have owners. A key typed by a person or a script (--key,
// a form's key) lives under "desk:"; a provider's object lives under
// "<provider>:<kind>:<id>", one space per kind of object:
//
//	desk:<key>                     anything staff or scripts post
//	<provider>:payment:<id>        online prepayment
//	<provider>:fee:<payment id>    the provider's fee for that payment
//	<provider>:refund:<id>         a card refund (ours or from the dashboard)
//	<provider>:payout:<id>         a payout to the bank
//
// so "--key stripe:pi_X" can no longer take the key the sync worker needs
// for payment pi_X, nor a refund id a payment's.
//
// Files written before keys had owners hold desk keys bare and provider keys
// as "<provider>:<id>" (fee keys had their kind already). Those keys keep
// replaying: a lookup that misses the owned key tries the old one, and takes
// what it finds only when that operation has the same origin (and, for a
// provider key, the same kind); anything else under the old key belongs to
// someone else and is not a match. Nothing stored is rewritten, so no
// migration walks a million operations.
const deskKeyPrefix = "desk:"

// maxStoredKeyLen bounds a key as stored: a desk key of maxKeyLen, or a
// provider, a kind and an id of maxProviderIDLen.
const maxStoredKeyLen = 320

// maxProviderIDLen bounds a provider's object id (Stripe's are under 70
// characters): a longer one is refused before it is keyed or stored.
const maxProviderIDLen = 255

// opKey is an operation's idempotency key: where it is stored, where a file
// of before may hold it, and which kind of operation may answer to it.
type opKey struct {
	key      string
	provider string // provider keys: whose object it is
	legacy   string
	kind     OpKind // provider keys: the one kind stored under it; "" for desk keys
	desk     bool
	typed    string // the key as given, for messages
}

// deskKey owns a key typed by a person or made by a form or script.
func deskKey(typed string) opKey {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return opKey{desk: true}
	}
	if len(typed) > maxKeyLen {
		// Kept over-long so checkKey refuses it with the limit named.
		return opKey{key: strings.Repeat("x", maxStoredKeyLen+1), desk: true, typed: typed}
	}
	return opKey{key: deskKeyPrefix + typed, legacy: typed, desk: true, typed: typed}
}

// DeskKey is where a key typed at the desk is stored (for reading back an
// operation by the key a script gave it).
func DeskKey(typed string) string { return deskKey(typed).key }

// providerOpKey owns a provider object's key for an operation of kind.
func providerOpKey(provider string, kind OpKind, id string) opKey {
	if provider == "" {
		provider = defaultProvider
	}
	var space string
	legacy := provider + ":" + id
	switch kind {
	case OpOnlinePrepayment:
		space = "payment"
	case OpProviderFee:
		space, legacy = "fee", "" // "<provider>:fee:<id>" already was its own space
	case OpRefund:
		space = "refund"
	case OpPayout:
		space = "payout"
	default:
		space = string(kind)
	}
	return opKey{key: provider + ":" + space + ":" + id, provider: provider, legacy: legacy, kind: kind, typed: id}
}

// staff is who an operation under k is recorded as: the provider for its
// own objects (Stripe's stay "stripe", as they always were), else as given.
func (k opKey) staff(given string) string {
	if k.provider == "" || k.desk {
		return given
	}
	return k.provider
}

// providerKind reports the kinds only the sync worker posts.
func providerKind(k OpKind) bool {
	switch k {
	case OpOnlinePrepayment, OpProviderFee, OpRefund, OpPayout, OpDispute, OpProviderReversal:
		return true
	}
	return false
}

// owns reports whether op, found under k's old key, is k's operation.
func (k opKey) owns(op Operation) bool {
	if k.desk {
		return !providerKind(op.Kind) && op.Staff != providerStaff
	}
	return op.Kind == k.kind && op.Staff == providerStaff
}

// lookup finds the operation k already names, if any.
func (k opKey) lookup(tx ReadTx) (Operation, bool, error) {
	op, err := tx.OperationByKey(k.key)
	if err == nil {
		return op, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Operation{}, false, err
	}
	if k.legacy == "" || (k.desk && strings.HasPrefix(k.legacy, deskKeyPrefix)) {
		// A typed key that starts "desk:" is matched in its owned form only:
		// bare, it is what another typed key is stored as now.
		return Operation{}, false, nil
	}
	op, err = tx.OperationByKey(k.legacy)
	switch {
	case errors.Is(err, ErrNotFound):
		return Operation{}, false, nil
	case err != nil:
		return Operation{}, false, err
	case !k.owns(op):
		return Operation{}, false, nil
	}
	return op, true, nil
}

// conflict says, in words, that k names another operation.
func (k opKey) conflict(prev Operation, env postEnv) error {
	what := strings.ReplaceAll(string(prev.Kind), "_", " ")
	if k.desk {
		return errf(ErrConflict, "key %q was already used for a %s on %s (operation %d); a different operation needs a new key",
			k.typed, what, prev.BusinessDate, prev.ID)
	}
	return errf(ErrConflict, "%s %s is already posted as a %s (operation %d), not as this %s",
		k.kind, k.typed, what, prev.ID, strings.ReplaceAll(string(k.kind), "_", " "))
}

// TypedKey is a stored key as it was given: desk keys without their owner.
func TypedKey(stored string) string { return strings.TrimPrefix(stored, deskKeyPrefix) }

// DeskOperation finds the operation a key typed at the desk posted, if any.
func (s *Service) DeskOperation(ctx context.Context, typed string) (Operation, bool, error) {
	type hit struct {
		op    Operation
		found bool
	}
	h, err := read(ctx, s, func(tx ReadTx) (hit, error) {
		op, found, err := deskKey(typed).lookup(tx)
		return hit{op, found}, err
	})
	return h.op, h.found, err
}
