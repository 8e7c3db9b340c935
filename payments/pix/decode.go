package pix

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
)

// pixItem is one Pix received, as the callback, GET /pix and GET
// /pix/{e2eid} write it (schema Pix of the API Pix spec).
type pixItem struct {
	EndToEndID  string     `json:"endToEndId"`
	TxID        string     `json:"txid"`
	Valor       string     `json:"valor"`
	Horario     string     `json:"horario"`
	InfoPagador string     `json:"infoPagador"`
	Devolucoes  devolucoes `json:"devolucoes"`
}

// devolucao is one refund of a Pix (schema Devolucao).
type devolucao struct {
	ID      string `json:"id"`
	RtrID   string `json:"rtrId"`
	Valor   string `json:"valor"`
	Horario struct {
		Solicitacao string `json:"solicitacao"`
		Liquidacao  string `json:"liquidacao"`
	} `json:"horario"`
	Status string `json:"status"`
	Motivo string `json:"motivo"`
}

// devolucoes is an array, as the schema says; a single object, as the
// spec's own example pixWebhook1 writes it, is taken as a list of one.
type devolucoes []devolucao

func (d *devolucoes) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*d = nil
		return nil
	case len(b) > 0 && b[0] == '{':
		var one devolucao
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*d = devolucoes{one}
		return nil
	}
	var many []devolucao
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*d = many
	return nil
}

// decodeBatch reads a callback body, {"pix":[...]}, into events: each
// Pix's payment and one event per state of each of its refunds. A Pix
// that does not decode is kept as a flagged event (under a hash of its
// text), so the rest of the batch is not lost with it.
func decodeBatch(body []byte) ([]finance.ProviderEvent, error) {
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var env struct {
		Pix *[]json.RawMessage `json:"pix"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("pix callback: %w", err)
	}
	if env.Pix == nil {
		return nil, errors.New(`pix callback without a "pix" list`)
	}
	var out []finance.ProviderEvent
	for _, raw := range *env.Pix {
		out = append(out, itemEvents(raw)...)
	}
	return out, nil
}

// itemEvents decodes one Pix.
func itemEvents(raw json.RawMessage) []finance.ProviderEvent {
	var it pixItem
	err := json.Unmarshal(raw, &it)
	if err == nil {
		err = it.check()
	}
	if err != nil {
		sum := sha256.Sum256(raw)
		return []finance.ProviderEvent{{ID: "pix:unreadable:" + hex.EncodeToString(sum[:16]), Provider: Name,
			// A payment's type, so it is flagged for an admin (an unknown
			// type would be ignored): it may be money received.
			Type: finance.EventPaymentSucceeded, RawType: "pix.unreadable", Raw: raw,
			Problem: "a Pix in the PSP's notification could not be read: " + err.Error()}}
	}
	return it.events(raw)
}

// check refuses what must not be used as an id: the e2eid and a refund's
// id go into the API's paths, the txid is the booking.
func (it pixItem) check() error {
	if !alnum(it.EndToEndID, 32, 32) {
		return fmt.Errorf("endToEndId %q is not 32 letters and digits", it.EndToEndID)
	}
	if it.TxID != "" && !alnum(it.TxID, 1, 35) {
		return fmt.Errorf("txid %q is not 1-35 letters and digits", it.TxID)
	}
	for _, d := range it.Devolucoes {
		if !alnum(d.ID, 1, 35) {
			return fmt.Errorf("devolução id %q is not 1-35 letters and digits", d.ID)
		}
	}
	return nil
}

func alnum(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// ParseValor reads an amount as the API Pix writes it ("110.00": a string,
// reais with two decimals, BRL implied) into centavos, exactly. Fewer
// decimals are taken ("110", "110.5"); more than two are refused, as are a
// sign, an exponent, spaces, or more than 10 digits of reais (the spec's
// \d{1,10}\.\d{2}).
func ParseValor(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("valor %q has more than two decimals", s)
	}
	if len(whole) > 10 || strings.TrimSpace(s) != s {
		return 0, fmt.Errorf("valor %q is not reais as \\d{1,10}.\\d{2}", s)
	}
	if strings.HasSuffix(s, ".") {
		return 0, fmt.Errorf("valor %q is not a plain decimal number", s)
	}
	return payments.MajorToMinor(s, "BRL")
}

// FormatValor writes centavos as the API Pix reads them ("7.89").
func FormatValor(n int64) (string, error) { return payments.MinorToMajor(n, "BRL") }

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// refundID names a devolução in the ledger: the Pix it returns and its id.
func refundID(e2eid, id string) string { return e2eid + ":devolucao:" + id }

// refundStatus maps a devolução's status to finance's.
func refundStatus(s string) string {
	switch s {
	case "DEVOLVIDO":
		return "succeeded"
	case "NAO_REALIZADO":
		return "failed"
	default: // EM_PROCESSAMENTO
		return "pending"
	}
}

// events are what one Pix tells: its payment (a Pix received is settled
// money; Pix has no pending or failed payments), booked on the txid, and
// each refund's state.
func (it pixItem) events(raw json.RawMessage) []finance.ProviderEvent {
	paid := parseTime(it.Horario)
	e := finance.ProviderEvent{ID: "pix:" + it.EndToEndID + ":paid", Provider: Name, Type: finance.EventPaymentSucceeded,
		RawType: "pix.received", Created: paid, Raw: raw, ObjectID: it.EndToEndID, PaymentRef: it.EndToEndID,
		Currency: "brl", Metadata: map[string]string{}}
	if it.TxID != "" {
		// The txid is the booking: the booking system creates the charge
		// (cob) with its booking's id as txid.
		e.Metadata[finance.MetaBookingID] = it.TxID
	}
	if n, err := ParseValor(it.Valor); err != nil {
		e.Problem = "Pix " + it.EndToEndID + ": " + err.Error()
	} else {
		e.Amount = n
	}
	out := []finance.ProviderEvent{e}
	for _, d := range it.Devolucoes {
		out = append(out, it.refundEvent(d, paid, raw))
	}
	return out
}

// refundEvent is one state of one devolução: its id and status make the
// event's, so each state is recorded once however often it is told.
func (it pixItem) refundEvent(d devolucao, paid time.Time, raw json.RawMessage) finance.ProviderEvent {
	at := parseTime(d.Horario.Liquidacao)
	if at.IsZero() {
		at = parseTime(d.Horario.Solicitacao)
	}
	if !at.After(paid) {
		at = paid.Add(time.Millisecond) // after its payment, which it needs posted first
	}
	status := strings.ToUpper(strings.TrimSpace(d.Status))
	id := refundID(it.EndToEndID, d.ID)
	e := finance.ProviderEvent{ID: "pix:" + id + ":" + status, Provider: Name, Type: finance.EventRefundUpdated,
		RawType: "pix.devolucao." + strings.ToLower(status), Created: at, Raw: raw, ObjectID: id,
		PaymentRef: it.EndToEndID, Currency: "brl", FailureText: d.Motivo}
	n, err := ParseValor(d.Valor)
	if err != nil {
		e.Problem = "devolução " + id + ": " + err.Error()
		return e
	}
	e.Refunds = []finance.ProviderRefund{{ID: id, Amount: n, Status: refundStatus(status)}}
	return e
}

// cob is what paydesk reads of a charge (GET /cob/{txid}, CobCompleta):
// who it is addressed to and the booking's fields the booking system put
// in infoAdicionais under paydesk's metadata keys.
type cob struct {
	TxID    string `json:"txid"`
	Status  string `json:"status"`
	Devedor struct {
		Nome string `json:"nome"`
	} `json:"devedor"`
	InfoAdicionais []struct {
		Nome  string `json:"nome"`
		Valor string `json:"valor"`
	} `json:"infoAdicionais"`
}

// cobKeys are the infoAdicionais names taken as booking fields.
var cobKeys = []string{finance.MetaService, finance.MetaStartsAt, finance.MetaGroupEvent, finance.MetaBookingTotal,
	finance.MetaClientName, finance.MetaClientPhone}

// metadata merges the charge's booking fields into md; devedor.nome is the
// client's name unless infoAdicionais names one.
func (c cob) metadata(md map[string]string) {
	if n := strings.TrimSpace(c.Devedor.Nome); n != "" {
		md[finance.MetaClientName] = n
	}
	for _, ia := range c.InfoAdicionais {
		name := strings.TrimSpace(ia.Nome)
		for _, k := range cobKeys {
			if name == k {
				md[k] = strings.TrimSpace(ia.Valor)
			}
		}
	}
}
