package finance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"testing"
)

// requestHashV1 is requestHash as first written (two Marshals and an
// Unmarshal). Keys stored by it must keep replaying, so the faster one has to
// hash the very same bytes.
func requestHashV1(req any) (string, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) == nil && fields != nil {
		delete(fields, "Key")
		delete(fields, "key")
		if b, err = json.Marshal(fields); err != nil {
			return "", err
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "%T\n", req)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func TestRequestHashUnchanged(t *testing.T) {
	from := int64(0)
	type tagged struct {
		Zeta  string `json:"zeta"`
		Key   string `json:"key"`
		Alpha []int  `json:"alpha,omitempty"`
		Mid   any    `json:"mid"`
	}
	type escaped struct {
		A string `json:"a<b"`
		B string `json:"é"`
	}
	type dup struct {
		X string `json:"x"`
		Y string `json:"y"`
	}
	for name, req := range map[string]any{
		"top-up": TopUpRequest{Key: "k", ClientID: 7, Amount: 5000, Register: "cash", Note: `say "hi" <b> & \ bye`},
		"checkout": CheckoutRequest{Key: "k2", ClientID: 3, BookingID: "bk_1", Total: 9000, FromBalance: &from,
			Lines:    []LineItem{{Description: "Cut, {wash}", UnitPrice: 4500, Quantity: 2}},
			Payments: []Tender{{Register: "card", Amount: 9000}}},
		"checkout nil": CheckoutRequest{Key: "k3"},
		"cash-out":     CashOutRequest{Key: "k", ClientID: 1, Amount: math.MaxInt64, Register: "cash", Note: "Łucja\n\t😀"},
		"transfer":     TransferRequest{Key: "k", From: "cash", To: "bank", Amount: -1},
		"cash move":    CashMoveRequest{Key: "k", Register: "cash", Amount: 1, In: true, Reason: "]}\",{"},
		"reverse":      ReverseRequest{Key: "k", OperationID: 9, Reason: "typo"},
		"refund":       RefundRequest{Key: "k", BookingID: "b", ToDeposit: true, Reason: "r"},
		"provider":     providerObject{Kind: OpOnlinePrepayment, Ref: "pi_123"},
		"tags":         tagged{Zeta: "z", Key: "gone", Alpha: []int{1, 2}, Mid: map[string]any{"key": 1, "b": []any{nil, true}}},
		"escaped name": escaped{A: "1", B: "2"},
		"empty struct": struct{}{},
		"map":          map[string]int{"b": 1, "Key": 2, "a": 3},
		"pointer":      &TopUpRequest{Key: "k", Amount: 1},
		"slice":        []int{1, 2},
		"string":       "plain",
		"nil":          nil,
		"dup-ish":      dup{X: "x", Y: "y"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := requestHash(req)
			if err != nil {
				t.Fatal(err)
			}
			want, err := requestHashV1(req)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("requestHash = %s, first version %s", got, want)
			}
		})
	}
	// Field order, and the key, do not change the hash.
	a, _ := requestHash(TopUpRequest{Key: "one", ClientID: 1, Amount: 2})
	b, _ := requestHash(TopUpRequest{Key: "two", ClientID: 1, Amount: 2})
	c, _ := requestHash(CashOutRequest{Key: "one", ClientID: 1, Amount: 2})
	if a != b || a == c {
		t.Errorf("hashes: same request other key %v, other type same fields %v", a == b, a == c)
	}
}

func TestSortedJSONFieldsRefuses(t *testing.T) {
	for _, in := range []string{``, `{`, `[1]`, `null`, `"s"`, `{"a":1,"a":2}`, `{"a\"b":1}`, `{"a":"x`, `{"a":1}x`} {
		if _, ok := sortedJSONFields([]byte(in)); ok {
			t.Errorf("sortedJSONFields(%q) took the short way", in)
		}
	}
}

// TestAuditAmountsMatchPlain: the audit line writes amounts exactly as
// Formatter.Plain does, in every kind of locale.
func TestAuditAmountsMatchPlain(t *testing.T) {
	amounts := []int64{0, 1, 5, 9, 10, 99, 100, 101, 999, 1000, 123456, 1234567890123, math.MaxInt64}
	for _, cur := range []string{"EUR", "UAH", "PLN", "JPY", "KWD", "BRL", "INR", "CLF"} {
		for _, loc := range []string{"", "en", "uk", "pl", "de", "de-CH", "fr", "pt-BR", "es", "ar", "ar-EG", "fa",
			"hi", "bn", "mr", "ja", "zh", "sv", "nb", "fi", "he", "th", "my", "en-IN", "xx"} {
			f, err := NewFormatter(cur, loc)
			if err != nil {
				t.Fatal(err)
			}
			p := &plainAmounts{}
			for _, a := range amounts {
				if got, want := p.format(f, a), f.Plain(a); got != want {
					t.Errorf("%s %q: %d written %q, Plain says %q", cur, loc, a, got, want)
				}
			}
			if fast := map[string]bool{"en": true, "pl": true, "uk": true, "de": true}; fast[loc] && !p.ok {
				t.Errorf("%s %q: amounts still go through CLDR's formatter", cur, loc)
			}
			ps := []Posting{{Account: "register:cash", Amount: 12345}, {Account: "client:7", Amount: -12345}}
			if got, want := postingsDetail(ps, f, &plainAmounts{}), postingsDetail(ps, f, nil); got != want {
				t.Errorf("%s %q: audit detail %q, want %q", cur, loc, got, want)
			}
		}
	}
}
