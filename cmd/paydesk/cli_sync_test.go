package main

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

type eventOut struct {
	ID         string  `json:"id"`
	Type       string  `json:"type"`
	Status     string  `json:"status"`
	Reason     string  `json:"reason"`
	Resolution string  `json:"resolution"`
	Operation  uint64  `json:"operation"`
	BookingID  string  `json:"booking_id"`
	AmountText string  `json:"amount_text"`
	Operations []opOut `json:"operations"`
}

// The inbox from the CLI, through serve's socket while serve runs and on
// the file once it stopped: list by status, show with the reason and the
// operations, retry (posting once), resolve (admin, with a reason).
func TestSyncCommands(t *testing.T) {
	d := newDesk(t)
	d.init()
	d.env = append(d.env, "STRIPE_WEBHOOK_SECRET=whsec_cli") // webhook-only: no key, no poller
	addr := freePort(t)
	serve := exec.Command(binary, "--db", d.db, "--config", d.config, "--webhook-addr", addr, "serve")
	serve.Env = d.env
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = serve.Process.Kill()
			_ = serve.Wait()
		}
	})
	waitFor(t, "serve to listen", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	pay := func(evt, pi, booking string, amount int64, cur, extra string) {
		t.Helper()
		obj := fmt.Sprintf(`{"id":%q,"object":"payment_intent","amount":%d,"amount_received":%d,"currency":%q,"status":"succeeded",`+
			`"metadata":{"booking_id":%q,"client_name":"Oksana Koval","client_phone":"+380671234567","booking_total":"2500"%s}}`,
			pi, amount, amount, cur, booking, extra)
		body := []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"payment_intent.succeeded","created":%d,`+
			`"api_version":"2023-10-16","data":{"object":%s}}`, evt, time.Now().Unix(), obj))
		if code := signedPost(t, "http://"+addr+"/webhooks/stripe", body, "whsec_cli"); code != http.StatusOK {
			t.Fatalf("%s: HTTP %d", evt, code)
		}
	}
	pay("evt_ok", "pi_ok", "bk_ok", 2500, "eur", "")
	pay("evt_usd", "pi_usd", "bk_usd", 2500, "usd", "")
	pay("evt_grp", "pi_grp", "bk_grp", 1000, "eur", `,"group_event":"true"`)

	var evs []eventOut
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sync list:\n%s", d.run("sync", "list").out)
		}
	})
	waitFor(t, "the three events to be applied", func() bool {
		d.json(&evs, "sync", "list")
		done := 0
		for _, e := range evs {
			if e.Status != "pending" && !strings.HasSuffix(e.ID, ":fee") {
				done++
			}
		}
		return done == 3
	})
	byID := map[string]eventOut{}
	for _, e := range evs {
		byID[e.ID] = e
	}
	if e := byID["evt_ok"]; e.Status != "applied" || e.Operation == 0 || e.BookingID != "bk_ok" || e.AmountText != "€25.00" {
		t.Errorf("evt_ok = %+v", e)
	}
	if e := byID["evt_usd"]; e.Status != "flagged" || !strings.Contains(e.Reason, "USD") || e.Operation != 0 {
		t.Errorf("evt_usd = %+v", e)
	}
	d.json(&evs, "sync", "list", "--status", "flagged")
	if len(evs) != 2 {
		t.Fatalf("flagged = %+v, want evt_usd and evt_grp", evs)
	}

	var show eventOut
	d.json(&show, "sync", "show", "evt_ok")
	if len(show.Operations) != 1 || show.Operations[0].Kind != "online_prepayment" || show.Operations[0].Amount != 2500 {
		t.Errorf("sync show evt_ok = %+v", show)
	}
	if out := d.ok("sync", "show", "evt_usd"); !strings.Contains(out, "reason    not posted: payment pi_usd is in USD") ||
		!strings.Contains(out, "no operations posted") {
		t.Errorf("sync show evt_usd:\n%s", out)
	}

	// Retry: a flagged event that posted is refused (resolve it instead); one
	// that posted nothing is applied again (and flagged again: its cause is
	// still there); an applied one posts nothing again.
	if r := d.run("sync", "retry", "evt_grp"); r.code != exitRefused || !strings.Contains(r.err, "resolve") {
		t.Errorf("retry of evt_grp: exit %d %s", r.code, r.err)
	}
	d.json(&show, "sync", "retry", "evt_usd")
	if show.Status != "flagged" || !strings.Contains(show.Reason, "USD") {
		t.Errorf("retried evt_usd = %+v", show)
	}
	d.json(&show, "sync", "retry", "evt_ok")
	if show.Status != "applied" || len(show.Operations) != 1 {
		t.Errorf("retried evt_ok = %+v", show)
	}

	if r := d.run("sync", "resolve", "evt_usd"); r.code != exitUsage {
		t.Errorf("resolve without --reason: exit %d %s", r.code, r.err)
	}
	d.json(&show, "sync", "resolve", "evt_usd", "--reason", "refunded in the Stripe dashboard; paid again in EUR")
	if show.Status != "resolved" || !strings.Contains(show.Resolution, "dashboard") || !strings.Contains(show.Reason, "USD") {
		t.Errorf("resolved evt_usd = %+v", show)
	}
	if r := d.run("sync", "resolve", "evt_usd", "--reason", "again"); r.code != exitRefused || !strings.Contains(r.err, "resolved already") {
		t.Errorf("second resolve: exit %d %s", r.code, r.err)
	}

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve did not stop cleanly: %v", err)
	}
	stopped = true

	// On the file itself, with serve gone.
	d.json(&evs, "sync", "list", "--status", "flagged")
	if len(evs) != 1 || evs[0].ID != "evt_grp" {
		t.Errorf("flagged after resolving one = %+v", evs)
	}
	d.json(&evs, "sync", "list", "--status", "resolved")
	if len(evs) != 1 || evs[0].ID != "evt_usd" {
		t.Errorf("resolved = %+v", evs)
	}
	if out := d.ok("sync", "list"); !strings.Contains(out, "evt_grp") || !strings.Contains(out, "resolved") {
		t.Errorf("sync list:\n%s", out)
	}
	if r := d.run("sync", "list", "--status", "bogus"); r.code != exitRefused || !strings.Contains(r.err, "no event status") {
		t.Errorf("--status bogus: exit %d %s", r.code, r.err)
	}
	if r := d.run("sync", "show", "evt_nope"); r.code != exitRefused || !strings.Contains(r.err, "not found") {
		t.Errorf("show of an unknown event: exit %d %s", r.code, r.err)
	}
	if out := d.ok("audit"); !strings.Contains(out, "event_resolve") || !strings.Contains(out, "event_retry") {
		t.Errorf("audit does not list the retry and the resolve:\n%s", out)
	}
	d.ok("check")
}
