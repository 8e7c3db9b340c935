package payments

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// MaxWebhookBody caps a webhook body; Stripe's events are a few KiB.
const MaxWebhookBody = 256 << 10

// DefaultWebhookAddr keeps the receiver on loopback unless told otherwise.
const DefaultWebhookAddr = "127.0.0.1:8085"

// Receiver is the webhook inlet: it verifies, records durably, and only
// then answers 2xx, so the provider retries anything not safely stored.
type Receiver struct {
	w    *Worker
	prov Provider
	log  *slog.Logger
}

// NewReceiver builds the webhook handler for the worker's first provider.
func NewReceiver(w *Worker) *Receiver { return NewProviderReceiver(w, w.prov) }

// NewProviderReceiver builds the webhook handler for one of the worker's
// providers: what it verifies is recorded as that provider's, whatever the
// body claims.
func NewProviderReceiver(w *Worker, p Provider) *Receiver {
	return &Receiver{w: w, prov: p, log: w.log.With("provider", p.Name())}
}

// Path is where the provider posts: /webhooks/<provider>.
func (rc *Receiver) Path() string { return "/webhooks/" + rc.prov.Name() }

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g, ok := rc.prov.(GetAnswerer); ok && r.Method == http.MethodGet {
		g.AnswerGet(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if bv, ok := rc.prov.(BatchVerifier); ok {
		rc.serveBatch(w, r, bv, body)
		return
	}
	var e finance.ProviderEvent
	if cv, ok := rc.prov.(ContextVerifier); ok {
		e, err = cv.VerifyWebhookContext(r.Context(), body, r.Header)
	} else {
		e, err = rc.prov.VerifyWebhook(body, r.Header)
	}
	if err != nil {
		// Never log the body or headers: they carry customer data and the signature.
		rc.log.Warn("webhook refused", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "bad signature or payload", http.StatusBadRequest)
		return
	}
	e.Provider = rc.prov.Name()
	if _, err := rc.w.recordFrom(r.Context(), rc.prov, e); errors.Is(err, finance.ErrInvalid) {
		// An event the inbox will never take (an id too long or not plain):
		// a 5xx would have the provider resend it for days.
		rc.log.Warn("webhook refused", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "event refused: "+err.Error(), http.StatusBadRequest)
		return
	} else if err != nil {
		rc.log.Error("webhook not stored", "event", e.ID, "err", err)
		http.Error(w, "not stored, retry later", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"received":true}`)
}

// serveBatch is ServeHTTP for a provider whose call carries several
// events: all of them are stored before the 2xx (one commit up to
// finance's chunk of a thousand).
func (rc *Receiver) serveBatch(w http.ResponseWriter, r *http.Request, bv BatchVerifier, body []byte) {
	evs, err := bv.VerifyWebhookBatch(r.Context(), body, r.Header, r.TLS)
	if err != nil {
		rc.log.Warn("webhook refused", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "not authenticated or bad payload", http.StatusBadRequest)
		return
	}
	for i := range evs {
		evs[i].Provider = rc.prov.Name()
	}
	fresh, err := rc.w.books.RecordEvents(r.Context(), evs)
	if errors.Is(err, finance.ErrInvalid) {
		rc.log.Warn("webhook refused", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "event refused: "+err.Error(), http.StatusBadRequest)
		return
	} else if err != nil {
		rc.log.Error("webhook not stored", "events", len(evs), "err", err)
		http.Error(w, "not stored, retry later", http.StatusInternalServerError)
		return
	}
	if fresh > 0 {
		rc.w.Wake()
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"received":true}`)
}

// NewServer serves each receiver at its path on addr, with timeouts so a
// slow or idle client cannot hold the desk's connections.
func NewServer(addr string, rc *Receiver, more ...*Receiver) *http.Server {
	if addr == "" {
		addr = DefaultWebhookAddr
	}
	mux := http.NewServeMux()
	for _, r := range append([]*Receiver{rc}, more...) {
		mux.Handle(r.Path(), r)
	}
	return &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}
