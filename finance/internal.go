package finance

import (
	"sync"
	"time"
)

// hub fans committed changes out to subscribers (the other desks' screens).
// A writer never waits for a screen: a change that finds a subscriber's
// queue full is dropped. What is owed instead is one ChangeMissed, sent as
// soon as there is room, so a screen that fell behind in a burst still
// reloads after the burst's last write rather than showing what it read
// before it.
type hub struct {
	mu   sync.Mutex
	next int
	subs map[int]*subscriber
}

type subscriber struct {
	ch       chan Change
	stop     chan struct{} // closed on unsubscribe: an owed catch-up is given up
	catching bool          // a catch-up goroutine is waiting for room
	wg       sync.WaitGroup
}

// subscriberQueue is how many changes wait for a slow screen.
const subscriberQueue = 16

func newHub() *hub { return &hub{subs: map[int]*subscriber{}} }

func (h *hub) subscribe() (<-chan Change, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.next
	h.next++
	sub := &subscriber{ch: make(chan Change, subscriberQueue), stop: make(chan struct{})}
	h.subs[id] = sub
	return sub.ch, func() {
		h.mu.Lock()
		_, ok := h.subs[id]
		if ok {
			delete(h.subs, id)
			close(sub.stop)
		}
		h.mu.Unlock()
		if ok {
			sub.wg.Wait() // no catch-up may send on the channel once it is closed
			close(sub.ch)
		}
	}
}

func (h *hub) publish(c Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, sub := range h.subs {
		select {
		case sub.ch <- c:
		default:
			if !sub.catching {
				sub.catching = true
				sub.wg.Add(1)
				go h.catchUp(sub)
			}
		}
	}
}

// catchUpEvery is how often a catch-up looks for room in a queue.
const catchUpEvery = 20 * time.Millisecond

// catchUp queues a ChangeMissed for sub once it has room, unless sub ends
// first. It queues under the hub's lock, the lock publish drops under, so
// every change dropped before it is covered, and a change dropped after it
// finds no catch-up running and starts the next.
func (h *hub) catchUp(sub *subscriber) {
	defer sub.wg.Done()
	t := time.NewTicker(catchUpEvery)
	defer t.Stop()
	for {
		h.mu.Lock()
		select {
		case sub.ch <- Change{What: ChangeMissed}:
			sub.catching = false
			h.mu.Unlock()
			return
		default:
		}
		h.mu.Unlock()
		select {
		case <-sub.stop:
			return
		case <-t.C:
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
	// A salon's shape: the desk takes money in; a manager runs the floor
	// and its mistakes (cash-outs, reversals, refunds, the day's close); an
	// admin keeps staff, settings and the chain.
	desk := []Right{RightTopUp, RightCheckout, RightClients}
	manager := append(append([]Right{}, desk...), RightCashOut, RightTransfer, RightPaidInOut, RightReverse,
		RightRefund, RightPastTotals, RightExport, RightBookings, RightCloseDay, RightCredit, RightQuit,
		RightCatalog, RightDiscount)
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
