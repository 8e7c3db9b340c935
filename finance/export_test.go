package finance

// Hooks for the external tests: what a file written by an older paydesk
// holds, which only the package itself can compute.

// RequestHashForTest is the idempotency hash of a desk request.
func RequestHashForTest(req any) (string, error) { return requestHash(req) }

// ProviderHashForTest is the idempotency hash of a provider object.
func ProviderHashForTest(kind OpKind, ref string) (string, error) {
	return requestHash(providerObject{Kind: kind, Ref: ref})
}
