package payments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
	"golang.org/x/crypto/bcrypt"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/payments"
	pstripe "github.com/paydesk/paydesk/payments/stripe"
	"github.com/paydesk/paydesk/store"
)

// Benchmarks of the webhook path with the real Stripe provider, store and
// worker: signed payment_intent.succeeded bodies, each making a booking and
// posting a prepayment, as cmd/paydesk-bench's webhook row does.
//
//	go test ./payments -run '^$' -bench Webhook -benchtime 5000x
//
// WebhookCPU runs verify + record + apply one after another on a NoSync
// file: CPU per event, what the single writer pays, steady under load from
// other processes. WebhookHTTP is the real thing (fsync, loopback HTTP, many
// senders) and reports events/s.

const whBenchSecret = "whsec_paydesk_bench"

type whBench struct {
	db    *store.DB
	books *finance.Service
	prov  *pstripe.Provider
}

func newWhBench(b *testing.B, noSync bool) *whBench {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "wh.db"), store.Options{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	books := finance.NewService(db, finance.WithPINCost(bcrypt.MinCost))
	err = books.Setup(ctx, finance.Settings{Location: "Bench", Currency: "PLN", Locale: "pl", TimeZone: "Europe/Warsaw",
		PhoneRegion: "PL", OnlineRegID: "stripe", BankRegID: "bank", Registers: []finance.Register{
			{ID: "cash", Name: "Cash", Kind: finance.RegisterCash},
			{ID: "stripe", Name: "Stripe", Kind: finance.RegisterOnline},
			{ID: "bank", Name: "Bank", Kind: finance.RegisterBank}}},
		"owner", "1234")
	if err != nil {
		b.Fatal(err)
	}
	prov, err := pstripe.New(pstripe.Config{WebhookSecret: whBenchSecret})
	if err != nil {
		b.Fatal(err)
	}
	return &whBench{db: db, books: books, prov: prov}
}

// whPhone spreads events over 2,000 clients, so most find their client and
// some create one, as bookings from regulars and newcomers do.
func whPhone(i int) string { return fmt.Sprintf("+48600%06d", (i*7919)%2000) }

type whReq struct {
	body []byte
	sig  string
}

// whPayloads signs n Stripe-shaped payment events up front: the sender's
// cost is not the desk's.
func whPayloads(n int) []whReq {
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	now := time.Now()
	out := make([]whReq, n)
	for i := range out {
		id := fmt.Sprintf("evt_wh_%s_%07d", run, i)
		pi := fmt.Sprintf("pi_wh%s%07d", run, i)
		md := map[string]string{
			finance.MetaBookingID: fmt.Sprintf("bk_wh_%s_%07d", run, i), finance.MetaClientName: "Anna Nowak " + strconv.Itoa(i%2000),
			finance.MetaClientPhone: whPhone(i), finance.MetaService: "Strzyżenie damskie",
			finance.MetaStartsAt:     now.Add(48 * time.Hour).UTC().Format(time.RFC3339),
			finance.MetaBookingTotal: "12000",
		}
		ev := map[string]any{
			"id": id, "object": "event", "api_version": pstripe.APIVersion, "created": now.Unix(),
			"livemode": false, "pending_webhooks": 1, "type": "payment_intent.succeeded",
			"request": map[string]any{"id": nil, "idempotency_key": nil},
			"data": map[string]any{"object": map[string]any{"id": pi, "object": "payment_intent", "amount": 12000,
				"amount_received": 12000, "currency": "pln", "status": "succeeded", "created": now.Unix(),
				"latest_charge": "ch_" + pi[3:], "livemode": false, "metadata": md, "payment_method": "pm_" + pi[3:],
				"payment_method_types": []string{"card"}}},
		}
		body, err := json.Marshal(ev)
		if err != nil {
			panic(err)
		}
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: whBenchSecret, Timestamp: now})
		out[i] = whReq{body: body, sig: sp.Header}
	}
	return out
}

// cpuTime is this process's user+system CPU time: other processes on the
// machine change a benchmark's wall time, not the CPU it burns.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkWebhookCPU(b *testing.B) {
	wb := newWhBench(b, true)
	ctx := context.Background()
	w := payments.NewWorker(wb.books, wb.prov, payments.Options{Idle: time.Hour})
	const wave = 100 // a burst: records share a Batch commit, the worker drains them in one apply
	reqs := whPayloads(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for lo := 0; lo < len(reqs); lo += wave {
		hi := min(lo+wave, len(reqs))
		var wg sync.WaitGroup
		errs := make(chan error, hi-lo)
		for _, r := range reqs[lo:hi] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := http.Header{}
				h.Set("Stripe-Signature", r.sig)
				e, err := wb.prov.VerifyWebhook(r.body, h)
				if err == nil {
					_, err = w.Record(ctx, e)
				}
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		w.Drain(ctx)
	}
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	st, err := wb.books.InboxStats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if st.Pending != 0 || st.Failed != 0 || st.Total != b.N {
		b.Fatalf("inbox after the run: %+v, want %d applied", st, b.N)
	}
}

func BenchmarkWebhookHTTP(b *testing.B) {
	const senders = 128
	wb := newWhBench(b, false)
	ctx := context.Background()
	w := payments.NewWorker(wb.books, wb.prov, payments.Options{})
	rc := payments.NewReceiver(w)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := payments.NewServer(ln.Addr().String(), rc)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = w.Run(wctx); close(done) }()
	defer func() { stop(); <-done }()

	reqs := whPayloads(b.N)
	url := "http://" + ln.Addr().String() + rc.Path()
	client := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: senders, MaxIdleConnsPerHost: senders, DisableCompression: true}}
	defer client.CloseIdleConnections()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var sendErr error
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime(b)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := whPost(client, url, reqs[i]); err != nil {
					once.Do(func() { sendErr = err })
				}
			}
		}()
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	acked := time.Since(start)
	if sendErr != nil {
		b.Fatal(sendErr)
	}
	for {
		st, err := wb.books.InboxStats(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if st.Failed > 0 {
			b.Fatalf("%d events failed: %s", st.Failed, st.LastError)
		}
		if st.Total >= b.N && st.Pending == 0 {
			break
		}
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("still %d pending", st.Pending)
		}
		time.Sleep(time.Millisecond)
	}
	applied := time.Since(start)
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	// Senders included: cores busy is what the run got of the machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(cpu.Seconds()/applied.Seconds(), "cores-busy")
	b.ReportMetric(float64(b.N)/applied.Seconds(), "applied/s")
	b.ReportMetric(float64(b.N)/acked.Seconds(), "acked/s")
}

func whPost(c *http.Client, url string, r whReq) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", r.sig)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}
