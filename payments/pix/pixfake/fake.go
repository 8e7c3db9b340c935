// Package pixfake is a PSP's API Pix as Banco Central's spec (bacen/pix-api
// openapi.yaml 2.9.0) shows it, for tests: OAuth2 client credentials, GET
// /cob/{txid}, GET /pix/{e2eid}, GET /pix (paginated), PUT and GET
// /pix/{e2eid}/devolucao/{id} and PUT /webhook/{chave}, under a path
// prefix as a real PSP has one, over mutual TLS with certificates made by
// NewPKI. It also writes the {"pix":[...]} callbacks the PSP would post.
// Tests only; it listens on loopback.
package pixfake

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paydesk/paydesk/payments/pix"
)

// The credentials the fake takes.
const (
	ClientID     = "paydesk-test-client"
	ClientSecret = "test-pix-client-secret"
)

// Prefix is the fake PSP's path before the spec's paths.
const Prefix = "/api/v2"

// Pix is one Pix the fake holds.
type Pix struct {
	E2E     string // 32 letters and digits
	TxID    string
	Valor   string // "110.00"
	Horario time.Time
	Devs    []Devolucao
}

// Devolucao is one refund of a Pix.
type Devolucao struct {
	ID, RtrID, Valor, Status, Motivo string
	Solicitacao, Liquidacao          time.Time
}

// Cob is a charge: who it is addressed to and its infoAdicionais.
type Cob struct {
	Status string // default CONCLUIDA
	Nome   string
	Info   [][2]string
}

// API is the fake.
type API struct {
	t   testing.TB
	pki *PKI
	srv *httptest.Server

	mu       sync.Mutex
	pix      map[string]*Pix
	order    []string
	cobs     map[string]Cob
	tokens   int
	made     int    // devoluções carried out
	refuse   string // a devolução is refused with this detail
	crash    bool   // carry a devolução out, then answer 504
	hold     bool   // devoluções stay EM_PROCESSAMENTO
	fail     string // devoluções end NAO_REALIZADO with this motivo
	webhooks map[string]string
	noList   bool // GET /pix lists nothing (the PSP's listing lags)
	// PageSize is GET /pix's page (default 2, to make pages).
	PageSize int
}

// New starts the fake on loopback over mutual TLS; it stops at the test's end.
func New(t testing.TB, pki *PKI) *API {
	f := &API{t: t, pki: pki, pix: map[string]*Pix{}, cobs: map[string]Cob{}, webhooks: map[string]string{}, PageSize: 2}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	cas := x509.NewCertPool()
	cas.AddCert(pki.PSPCA)
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.APIServer}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: cas, MinVersion: tls.VersionTLS12}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the API base, prefix included ([pix] api_url).
func (f *API) URL() string { return f.srv.URL + Prefix }

// Provider is a pix.Provider over the fake, taking callbacks signed by the PSP's CA.
func (f *API) Provider(t testing.TB) *pix.Provider {
	t.Helper()
	cfg, err := pix.ClientTLS(f.pki.ClientCertFile, f.pki.ClientKeyFile, f.pki.PSPCAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pix.LoadPool(f.pki.PSPCAFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pix.New(pix.Config{WebhookCAs: pool, BaseURL: f.URL(), ClientID: ClientID, ClientSecret: ClientSecret,
		HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// E2E makes an endToEndId as the SPI writes them (E + ISPB + time + 11).
func E2E(n int) string {
	return fmt.Sprintf("E12345678202609091221%011d", n)
}

// Add holds a Pix received.
func (f *API) Add(p Pix) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.Horario.IsZero() {
		p.Horario = time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	}
	if _, ok := f.pix[p.E2E]; !ok {
		f.order = append(f.order, p.E2E)
	}
	f.pix[p.E2E] = &p
}

// AddCob holds the charge of a txid.
func (f *API) AddCob(txid string, c Cob) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cobs[txid] = c
}

// Devolve is a refund made at the PSP (its portal), settled.
func (f *API) Devolve(e2e, id, valor string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().Truncate(time.Millisecond)
	f.pix[e2e].Devs = append(f.pix[e2e].Devs, Devolucao{ID: id, RtrID: rtr(len(f.pix[e2e].Devs)), Valor: valor,
		Status: "DEVOLVIDO", Solicitacao: now, Liquidacao: now})
}

// Made is how many devoluções the fake carried out for PUTs.
func (f *API) Made() int { f.mu.Lock(); defer f.mu.Unlock(); return f.made }

// Tokens is how many OAuth2 tokens it issued.
func (f *API) Tokens() int { f.mu.Lock(); defer f.mu.Unlock(); return f.tokens }

// Refuse makes devolução requests fail with detail ("" to take them again).
func (f *API) Refuse(detail string) { f.mu.Lock(); defer f.mu.Unlock(); f.refuse = detail }

// Crash makes devoluções go through and their answers get lost (504).
func (f *API) Crash(on bool) { f.mu.Lock(); defer f.mu.Unlock(); f.crash = on }

// Hold keeps new devoluções EM_PROCESSAMENTO (else they settle, DEVOLVIDO,
// right after the PUT's answer, as a PSP's usually do within seconds).
func (f *API) Hold(on bool) { f.mu.Lock(); defer f.mu.Unlock(); f.hold = on }

// Fail makes new devoluções end NAO_REALIZADO with motivo ("" to settle them).
func (f *API) Fail(motivo string) { f.mu.Lock(); defer f.mu.Unlock(); f.fail = motivo }

// NoList makes GET /pix list nothing while on, so a test knows the
// callback, not the poller, is what posted a Pix.
func (f *API) NoList(on bool) { f.mu.Lock(); defer f.mu.Unlock(); f.noList = on }

// Settle ends every devolução still EM_PROCESSAMENTO as DEVOLVIDO.
func (f *API) Settle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pix {
		for i := range p.Devs {
			if p.Devs[i].Status == "EM_PROCESSAMENTO" {
				p.Devs[i].Status, p.Devs[i].Liquidacao = "DEVOLVIDO", time.Now().Truncate(time.Millisecond)
			}
		}
	}
}

// WebhookURL is what PUT /webhook/{chave} registered for chave.
func (f *API) WebhookURL(chave string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.webhooks[chave]
}

func rtr(n int) string { return fmt.Sprintf("D12345678202609091000abcde%06d", n) }

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func devJSON(d Devolucao) map[string]any {
	h := map[string]any{"solicitacao": stamp(d.Solicitacao)}
	if !d.Liquidacao.IsZero() {
		h["liquidacao"] = stamp(d.Liquidacao)
	}
	m := map[string]any{"id": d.ID, "rtrId": d.RtrID, "valor": d.Valor, "horario": h, "status": d.Status}
	if d.Motivo != "" {
		m["motivo"] = d.Motivo
	}
	return m
}

func pixJSON(p Pix) map[string]any {
	m := map[string]any{"endToEndId": p.E2E, "txid": p.TxID, "valor": p.Valor, "horario": stamp(p.Horario),
		"infoPagador": "Reserva no salão"}
	if len(p.Devs) > 0 {
		ds := []any{}
		for _, d := range p.Devs {
			ds = append(ds, devJSON(d))
		}
		m["devolucoes"] = ds
	}
	return m
}

// Webhook is the callback body the PSP would post for these Pix as they are now.
func (f *API) Webhook(e2es ...string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := []any{}
	for _, e := range e2es {
		list = append(list, pixJSON(*f.pix[e]))
	}
	b, err := json.Marshal(map[string]any{"pix": list})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *API) serve(w http.ResponseWriter, r *http.Request) {
	answer := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	problem := func(code int, title, detail string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://pix.bcb.gov.br/api/v2/error/" + title,
			"title": title, "status": code, "detail": detail})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/oauth/token" {
		id, secret, ok := r.BasicAuth()
		if r.Method != http.MethodPost || !ok || id != ClientID || secret != ClientSecret ||
			r.PostFormValue("grant_type") != "client_credentials" {
			answer(http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
			return
		}
		f.tokens++
		answer(http.StatusOK, map[string]any{"access_token": "tok-" + strconv.Itoa(f.tokens), "token_type": "Bearer",
			"expires_in": 3600, "scope": "cob.read pix.read pix.write webhook.write"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
		problem(http.StatusUnauthorized, "AcessoNegado", "no token")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		problem(http.StatusNotFound, "NaoEncontrado", "no "+r.URL.Path)
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "cob":
		c, ok := f.cobs[parts[1]]
		if !ok {
			problem(http.StatusNotFound, "CobranceNaoEncontrada", "cob "+parts[1])
			return
		}
		info := []any{}
		for _, kv := range c.Info {
			info = append(info, map[string]string{"nome": kv[0], "valor": kv[1]})
		}
		st := c.Status
		if st == "" {
			st = "CONCLUIDA"
		}
		answer(http.StatusOK, map[string]any{"txid": parts[1], "revisao": 0, "status": st,
			"calendario": map[string]any{"criacao": stamp(time.Now()), "expiracao": 3600},
			"devedor":    map[string]string{"cpf": "12345678909", "nome": c.Nome},
			"valor":      map[string]string{"original": "0.00"}, "chave": "salon@example.com.br", "infoAdicionais": info})
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "pix":
		f.list(w, r, answer, problem)
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "pix":
		p, ok := f.pix[parts[1]]
		if !ok {
			problem(http.StatusNotFound, "PixNaoEncontrado", "pix "+parts[1])
			return
		}
		answer(http.StatusOK, pixJSON(*p))
	case len(parts) == 4 && parts[0] == "pix" && parts[2] == "devolucao":
		f.devolucao(w, r, parts[1], parts[3], answer, problem)
	case r.Method == http.MethodPut && len(parts) == 2 && parts[0] == "webhook":
		var req struct {
			WebhookURL string `json:"webhookUrl"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !strings.HasPrefix(req.WebhookURL, "https://") {
			problem(http.StatusBadRequest, "WebhookOperacaoInvalida", "webhookUrl")
			return
		}
		f.webhooks[parts[1]] = req.WebhookURL
		w.WriteHeader(http.StatusOK)
	default:
		problem(http.StatusNotFound, "NaoEncontrado", "no "+r.Method+" "+r.URL.Path)
	}
}

func (f *API) list(_ http.ResponseWriter, r *http.Request, answer func(int, any), problem func(int, string, string)) {
	q := r.URL.Query()
	inicio, err1 := time.Parse(time.RFC3339, q.Get("inicio"))
	fim, err2 := time.Parse(time.RFC3339, q.Get("fim"))
	if err1 != nil || err2 != nil || fim.Before(inicio) {
		problem(http.StatusBadRequest, "ConsultaPixInvalida", "inicio/fim")
		return
	}
	page, _ := strconv.Atoi(q.Get("paginacao.paginaAtual"))
	var all []any
	for _, e := range f.order {
		p := f.pix[e]
		if f.noList {
			break
		}
		if p.Horario.Before(inicio) || p.Horario.After(fim.Add(time.Second)) {
			continue
		}
		if q.Get("txIdPresente") == "true" && p.TxID == "" {
			continue
		}
		all = append(all, pixJSON(*p))
	}
	pages := max(1, (len(all)+f.PageSize-1)/f.PageSize)
	lo, hi := min(page*f.PageSize, len(all)), min((page+1)*f.PageSize, len(all))
	answer(http.StatusOK, map[string]any{
		"parametros": map[string]any{"inicio": q.Get("inicio"), "fim": q.Get("fim"), "paginacao": map[string]any{
			"paginaAtual": page, "itensPorPagina": f.PageSize, "quantidadeDePaginas": pages, "quantidadeTotalDeItens": len(all)}},
		"pix": append([]any{}, all[lo:hi]...)})
}

func (f *API) devolucao(w http.ResponseWriter, r *http.Request, e2e, id string, answer func(int, any), problem func(int, string, string)) {
	p, ok := f.pix[e2e]
	if !ok {
		problem(http.StatusNotFound, "PixNaoEncontrado", "pix "+e2e)
		return
	}
	for _, d := range p.Devs {
		if d.ID == id {
			// The id is the caller's: asking again is the same devolução.
			answer(map[bool]int{true: http.StatusCreated, false: http.StatusOK}[r.Method == http.MethodPut], devJSON(d))
			return
		}
	}
	if r.Method != http.MethodPut {
		problem(http.StatusNotFound, "DevolucaoNaoEncontrada", "devolução "+id)
		return
	}
	var req struct {
		Valor string `json:"valor"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		problem(http.StatusBadRequest, "DevolucaoOperacaoInvalida", "body")
		return
	}
	if f.refuse != "" {
		problem(http.StatusBadRequest, "DevolucaoOperacaoInvalida", f.refuse)
		return
	}
	want, err := pix.ParseValor(req.Valor)
	total, _ := pix.ParseValor(p.Valor)
	var done int64
	for _, d := range p.Devs {
		if d.Status != "NAO_REALIZADO" {
			n, _ := pix.ParseValor(d.Valor)
			done += n
		}
	}
	if err != nil || want <= 0 || done+want > total {
		problem(http.StatusBadRequest, "DevolucaoOperacaoInvalida", "valor "+req.Valor+" is more than the Pix has left")
		return
	}
	d := Devolucao{ID: id, RtrID: rtr(len(p.Devs)), Valor: req.Valor, Status: "EM_PROCESSAMENTO", Solicitacao: time.Now().Truncate(time.Millisecond)}
	f.made++
	answered := d
	switch {
	case f.fail != "":
		d.Status, d.Motivo = "NAO_REALIZADO", f.fail
	case !f.hold:
		d.Status, d.Liquidacao = "DEVOLVIDO", time.Now().Truncate(time.Millisecond)
	}
	p.Devs = append(p.Devs, d)
	if f.crash {
		http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
		return
	}
	answer(http.StatusCreated, devJSON(answered))
}

// Receiver serves h over HTTPS on loopback with the receiver's TLS config
// as paydesk builds it (pix.ReceiverTLS over the PKI's files).
func Receiver(t testing.TB, k *PKI, h http.Handler) *httptest.Server {
	t.Helper()
	cfg, _, err := pix.ReceiverTLS(k.PSPCAFile, k.ReceiverCertFile, k.ReceiverKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}
