package main

import (
	"testing"
)

// `paydesk audit` lists newest first, as the Audit tab does; --oldest the
// other way.
func TestAuditNewestFirst(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	d.ok("init")
	d.ok("client", "add", "--name", "Anna", "--phone", "+380671234567")
	var newest, oldest []struct {
		Action string `json:"action"`
	}
	d.json(&newest, "audit")
	d.json(&oldest, "audit", "--oldest")
	if len(newest) < 2 || len(newest) != len(oldest) {
		t.Fatalf("newest %v, oldest %v", newest, oldest)
	}
	if newest[0].Action != "client_add" || oldest[len(oldest)-1].Action != "client_add" || newest[len(newest)-1] != oldest[0] {
		t.Fatalf("order: newest %v, oldest %v", newest, oldest)
	}
}
