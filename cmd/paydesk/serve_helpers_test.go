package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hooked is a `paydesk serve` of one desk taking signed webhooks.
type hooked struct {
	t       *testing.T
	d       *desk
	url     string
	cmd     *exec.Cmd
	stopped bool
}

// serveWebhooks runs serve with a fake Stripe API and waits until it listens.
func serveWebhooks(t *testing.T, d *desk) *hooked {
	t.Helper()
	if !strings.Contains(strings.Join(d.env, " "), "STRIPE_WEBHOOK_SECRET") {
		withStripe(t, d)
	}
	s := startServe(t, d)
	s.url += "/webhooks/stripe"
	return s
}

// startServe runs serve with the desk's env and waits until it listens;
// url is the webhook address's root. With listens named, it waits for
// those addresses instead (a desk whose only receiver has its own).
func startServe(t *testing.T, d *desk, listens ...string) *hooked {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(binary, "--db", d.db, "--config", d.config, "--webhook-addr", addr, "serve")
	cmd.Env = d.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &hooked{t: t, d: d, url: "http://" + addr, cmd: cmd}
	t.Cleanup(func() {
		if !s.stopped {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			b, _ := os.ReadFile(s.logFile())
			t.Logf("log:\n%s", b)
		}
	})
	if len(listens) == 0 {
		listens = []string{addr}
	}
	for _, l := range listens {
		waitFor(t, "serve to listen on "+l, func() bool {
			c, err := net.Dial("tcp", l)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
	}
	return s
}

func (s *hooked) logFile() string { return filepath.Join(s.d.home, "state", "paydesk", "paydesk.log") }

// post sends one signed event and returns the HTTP status.
func (s *hooked) post(body string) int {
	s.t.Helper()
	return signedPost(s.t, s.url, []byte(body), "whsec_cli")
}

// waitDone waits until every event id named was applied (flagged ones too),
// as the log says.
func (s *hooked) waitDone(ids ...string) {
	s.t.Helper()
	waitFor(s.t, "events "+strings.Join(ids, ", "), func() bool {
		b, _ := os.ReadFile(s.logFile())
		done := map[string]bool{}
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, `msg="event applied"`) {
				continue
			}
			for _, f := range strings.Fields(line) {
				if id, ok := strings.CutPrefix(f, "event="); ok {
					done[id] = true
				}
			}
		}
		for _, id := range ids {
			if !done[id] {
				return false
			}
		}
		return true
	})
}

// stop ends serve with SIGTERM, as an operator would.
func (s *hooked) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		s.t.Fatalf("serve did not stop cleanly: %v", err)
	}
	s.stopped = true
}

// paymentEvent is a signed-to-be payment_intent.succeeded for a booking.
func paymentEvent(evt, pi, booking string, amount int64, name, phone string, total int64, group bool) string {
	pay := fmt.Sprintf(`{"id":%q,"object":"payment_intent","amount":%d,"amount_received":%d,"currency":"eur","status":"succeeded",`+
		`"metadata":{"booking_id":%q,"client_name":%q,"client_phone":%q,"service":"Yoga class",`+
		`"starts_at":"2030-01-02T10:00:00Z","booking_total":"%d","group_event":"%t"}}`,
		pi, amount, amount, booking, name, phone, total, group)
	return fmt.Sprintf(`{"id":%q,"object":"event","type":"payment_intent.succeeded","created":%d,`+
		`"api_version":"2023-10-16","data":{"object":%s}}`, evt, time.Now().Unix(), pay)
}
