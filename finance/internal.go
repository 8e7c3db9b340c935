package finance

import (
	"sync"
	"time"
)

// hub fans committed changes out to subscribers (the other desks' screens).
type hub struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Change
}

func newHub() *hub { return &hub{subs: map[int]chan Change{}} }

func (h *hub) subscribe() (<-chan Change, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.next
	h.next++
	ch := make(chan Change, 16)
	h.subs[id] = ch
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if c, ok := h.subs[id]; ok {
			delete(h.subs, id)
			close(c)
		}
	}
}

func (h *hub) publish(c Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range h.subs {
		select {
		case ch <- c:
		default: // a slow screen misses one refresh rather than blocking a write
		}
	}
}

type locationCache struct {
	mu   sync.Mutex
	locs map[string]*time.Location
}

func newLocationCache() *locationCache { return &locationCache{locs: map[string]*time.Location{}} }

func (c *locationCache) get(name string) (*time.Location, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.locs[name]; ok {
		return l, nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	c.locs[name] = l
	return l, nil
}

// DefaultRights is the rights table when config says nothing.
func DefaultRights() Rights {
	desk := []Right{RightTopUp, RightCheckout, RightClients}
	manager := append(append([]Right{}, desk...), RightCashOut, RightTransfer, RightPaidInOut,
		RightPastTotals, RightExport, RightBookings, RightCloseDay, RightCredit)
	return Rights{
		RoleDesk:    {Rights: desk},
		RoleManager: {Rights: manager},
		RoleAdmin:   {Rights: AllRights()},
	}
}

func mergeRights(r, defaults Rights) Rights {
	out := Rights{}
	for role, rr := range defaults {
		out[role] = rr
	}
	for role, rr := range r {
		out[role] = rr
	}
	return out
}

func (r Rights) allows(role Role, right Right) bool {
	for _, x := range r[role].Rights {
		if x == right {
			return true
		}
	}
	return false
}

func (r Rights) allowsRegister(role Role, register string) bool {
	regs := r[role].Registers
	if len(regs) == 0 {
		return true
	}
	for _, x := range regs {
		if x == register {
			return true
		}
	}
	return false
}
