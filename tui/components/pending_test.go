package components

import (
	"errors"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/tui/common"
	"github.com/paydesk/paydesk/tui/keymap"
)

type ranMsg struct{}

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func TestPendingHandleKey(t *testing.T) {
	k := keymap.Default()
	tests := []struct {
		name                 string
		ask, start           bool
		key                  tea.KeyMsg
		handled, ran         bool
		wantActive, wantBusy bool
	}{
		{name: "nothing asked: the key is the screen's", key: runes("y")},
		{name: "yes runs and waits, the dialog still shown", ask: true, key: runes("y"), handled: true, ran: true, wantActive: true, wantBusy: true},
		{name: "n drops the question", ask: true, key: runes("n"), handled: true},
		{name: "esc drops the question", ask: true, key: tea.KeyMsg{Type: tea.KeyEsc}, handled: true},
		{name: "other keys are swallowed while asking", ask: true, key: runes("x"), handled: true, wantActive: true},
		{name: "busy ignores even yes", start: true, key: runes("y"), handled: true, wantBusy: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Pending
			ran := false
			if tt.ask {
				p.Ask(Confirm{Title: "Post?"}, func() tea.Cmd {
					ran = true
					return func() tea.Msg { return ranMsg{} }
				})
			}
			if tt.start {
				p.Start()
			}
			cmd, handled := p.HandleKey(tt.key, k)
			if handled != tt.handled || ran != tt.ran {
				t.Fatalf("handled=%v ran=%v, want %v %v", handled, ran, tt.handled, tt.ran)
			}
			if tt.ran {
				if cmd == nil {
					t.Fatal("yes returned no command")
				}
				if _, ok := cmd().(ranMsg); !ok {
					t.Fatal("yes did not return the asked command")
				}
			} else if cmd != nil {
				t.Fatal("a command without a yes")
			}
			if p.Active() != tt.wantActive || p.Busy() != tt.wantBusy {
				t.Fatalf("active=%v busy=%v, want %v %v", p.Active(), p.Busy(), tt.wantActive, tt.wantBusy)
			}
		})
	}
}

func TestPendingDoneAndClear(t *testing.T) {
	k := keymap.Default()
	var p Pending
	p.Ask(Confirm{Title: "Post?"}, func() tea.Cmd { return nil })
	p.HandleKey(runes("y"), k)
	p.Clear()
	if !p.Busy() {
		t.Fatal("Clear stopped a running call")
	}
	p.Done()
	if p.Busy() || p.Active() {
		t.Fatal("Done left the pending busy or asking")
	}
	if _, handled := p.HandleKey(runes("y"), k); handled {
		t.Fatal("keys still taken after Done")
	}
}

// A preview's answer opens the question only on the Pending that asked for
// it; a refusal asks nothing and says why.
func TestPendingPreview(t *testing.T) {
	confirm := func(pv finance.Preview) Confirm { return Confirm{Title: pv.Operation.Comment} }
	run := func() tea.Cmd { return nil }
	var said error
	refused := func(err error) tea.Cmd { said = err; return nil }

	var asker, other Pending
	_ = asker.Preview(common.Common{}, finance.TopUpRequest{}, confirm, run, refused)
	if !asker.Busy() || asker.Active() {
		t.Fatalf("while previewing: busy %v active %v", asker.Busy(), asker.Active())
	}
	if _, handled := asker.HandleKey(runes("y"), keymap.Default()); !handled {
		t.Error("a key while previewing reached the screen")
	}
	answer := PreviewMsg{from: &asker, Preview: finance.Preview{Operation: finance.Operation{Comment: "Top up?"}}}
	if _, handled := other.HandlePreview(answer); handled || other.Active() {
		t.Error("another Pending took the answer")
	}
	if _, handled := asker.HandlePreview(answer); !handled || !asker.Active() || asker.Busy() || asker.confirm.Title != "Top up?" {
		t.Errorf("after the answer: active %v busy %v", asker.Active(), asker.Busy())
	}

	asker.Done()
	_ = asker.Preview(common.Common{}, finance.TopUpRequest{}, confirm, run, refused)
	no := errors.New("no")
	if _, handled := asker.HandlePreview(PreviewMsg{from: &asker, Err: no}); !handled || asker.Active() || asker.Busy() || said != no {
		t.Errorf("after a refusal: active %v busy %v said %v", asker.Active(), asker.Busy(), said)
	}
}
