package tui

import (
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// The PIN screen, first shown or after a lock (ctrl+l, idle), never hands
// the terminal back: no key quits, only a PIN leads on.
func TestLockScreenCannotBeLeftWithoutAPIN(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	withStaff(t, b, "Mila", "admin", "1234", "Olha", "desk", "5555")
	for _, how := range []string{"start", "ctrl+l", "idle"} {
		t.Run(how, func(t *testing.T) {
			h := newHarness(t, b, Deps{IdleLock: 5 * time.Minute}, 80, 24)
			if how != "start" {
				h.press("down")
				h.login("5555")
				switch how {
				case "ctrl+l":
					h.press("ctrl+l")
				case "idle":
					h.send(tickMsg(testNow.Add(6 * time.Minute)))
				}
			}
			if h.m.state != stateLogin {
				t.Fatalf("not locked:\n%s", h.view())
			}
			for _, k := range []string{"esc", "q", "ctrl+c", "Q", "ctrl+d", "ctrl+w"} {
				h.press(k)
				if h.quit || h.m.state != stateLogin {
					t.Fatalf("%q left the lock screen (quit %v, state %v)", k, h.quit, h.m.state)
				}
			}
			h.lacks("quit")
			h.contains("Who are you?")
			// What was typed meanwhile is no PIN: the right one still opens it.
			h.press("up", "down")
			h.login("5555")
		})
	}
}

// Quitting the local desk hands over the shell, so it takes the quit right
// (managers and admins by default); the others lock the desk instead.
func TestQuittingNeedsTheQuitRight(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	withStaff(t, b, "Mila", "admin", "1234", "Olha", "desk", "5555", "Max", "manager", "7777")
	h := newHarness(t, b, Deps{}, 80, 24)
	h.press("down", "down") // Max, Mila, Olha
	h.login("5555")
	for _, k := range []string{"q", "ctrl+c"} {
		h.press(k)
		if h.quit {
			t.Fatalf("a desk person quit with %s", k)
		}
		h.contains("may not quit")
	}
	h.lacks("q quit")
	h.contains("ctrl+l lock")

	for _, who := range []struct {
		down int
		pin  string
	}{{0, "7777"}, {1, "1234"}} {
		h := newHarness(t, b, Deps{}, 80, 24)
		for range who.down {
			h.press("down")
		}
		h.login(who.pin)
		a := h.m.c.Actor
		h.press("q")
		if !h.quit {
			t.Fatalf("%s could not quit:\n%s", a.Staff, h.view())
		}
	}
}

// Over SSH leaving ends only the connection: ctrl+c on the PIN screen
// disconnects, and quitting needs no right.
func TestDetachableSessionMayLeave(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	withStaff(t, b, "Mila", "admin", "1234", "Olha", "desk", "5555")
	h := newHarness(t, b, Deps{Detachable: true}, 80, 24)
	h.contains("ctrl+c disconnect")
	h.press("ctrl+c")
	if !h.quit {
		t.Fatal("ctrl+c did not end the SSH session at its PIN screen")
	}
	h = newHarness(t, b, Deps{Detachable: true}, 80, 24)
	h.press("down")
	h.login("5555")
	h.press("q")
	if !h.quit {
		t.Fatal("a desk person could not leave an SSH session")
	}
}

// Disabling a person, resetting their PIN or changing their role takes the
// desk away from them at once: on the change's notice, or at the next
// clock tick if the notice was missed.
func TestStaffChangeEndsTheSessionOnScreen(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	withStaff(t, b, "Mila", "admin", "1234", "Olha", "desk", "5555")
	admin := finance.OwnerActor("owner")
	for _, tc := range []struct {
		name   string
		change func() error
		notice bool
	}{
		{"disabled, notice", func() error { return b.svc.DisableStaff(ctx(), admin, "Olha") }, true},
		{"PIN reset, tick", func() error { return b.svc.ResetPIN(ctx(), admin, "Olha", "5555") }, false},
		{"role changed, notice", func() error { return b.svc.SetRole(ctx(), admin, "Olha", finance.RoleManager) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := b.svc.EnableStaff(ctx(), admin, "Olha"); err != nil {
				t.Fatal(err)
			}
			if err := b.svc.SetRole(ctx(), admin, "Olha", finance.RoleDesk); err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, b, Deps{}, 80, 24)
			h.press("down")
			h.login("5555")
			h.send(tickMsg(testNow.Add(time.Second)))
			if h.m.state != stateMain {
				t.Fatal("a live login was locked")
			}
			if err := tc.change(); err != nil {
				t.Fatal(err)
			}
			if tc.notice {
				h.send(changeMsg{change: finance.Change{What: "staff", Staff: "Olha"}})
			} else {
				h.send(tickMsg(testNow.Add(2 * time.Second)))
			}
			if h.m.state != stateLogin {
				t.Fatalf("the desk stayed open for Olha after the change:\n%s", h.view())
			}
			h.contains("Olha's login was ended")
			h.press("ctrl+c", "esc", "q")
			if h.quit {
				t.Fatal("left the lock screen")
			}
		})
	}
}

// An SSH key bound to one person shows only that person.
func TestBoundKeyLogsInOnlyAsItsPerson(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	withStaff(t, b, "Ruslan", "admin", "1234", "Olha", "desk", "5555")
	h := newHarness(t, b, Deps{Staff: "Olha", StaffOnly: true, Detachable: true}, 80, 24)
	h.contains("Olha")
	h.lacks("Ruslan")
	h.press("up")
	h.typ("1234") // Ruslan's PIN, but Ruslan is not offered
	h.press("enter")
	if h.m.state == stateMain {
		t.Fatal("logged in as someone else with a bound key")
	}
	h.login("5555")
	h.contains("Olha (desk)")
	h.press("ctrl+l")
	h.lacks("Ruslan")

	if err := b.svc.DisableStaff(ctx(), finance.OwnerActor("owner"), "Olha"); err != nil {
		t.Fatal(err)
	}
	h = newHarness(t, b, Deps{Staff: "Olha", StaffOnly: true, Detachable: true}, 80, 24)
	h.contains("logs in only as Olha")
	h.lacks("Ruslan")
}

// The Staff tab's d disables a person (their desk locks) and, on a
// disabled person, enables them again.
func TestStaffTabDisablesAndEnables(t *testing.T) {
	t.Parallel()
	b := newBooks(t, true)
	withStaff(t, b, "Mila", "admin", "1234", "Olha", "desk", "5555")
	olha := newHarness(t, b, Deps{}, 100, 30)
	olha.press("down")
	olha.login("5555")

	h := newHarness(t, b, Deps{}, 100, 30)
	h.login("1234")
	h.press("6", "down", "d")
	h.contains("Disable Olha?", "open desks lock at once")
	h.press("y")
	h.contains("Olha is disabled.")
	olha.send(changeMsg{change: finance.Change{What: "staff", Staff: "Olha"}})
	if olha.m.state != stateLogin {
		t.Fatal("Olha's desk stayed open")
	}
	h.press("d")
	h.contains("Enable Olha?")
	h.press("y")
	h.contains("Olha can log in again.")
	olha = newHarness(t, b, Deps{}, 100, 30)
	olha.press("down")
	olha.login("5555")
}
