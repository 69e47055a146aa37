package pinctrl

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// maxPendingMACBindings bounds the learned bindings waiting for the main
// loop, as ovn-controller does; more are dropped.
const maxPendingMACBindings = 1000

// MACBinding is a neighbour learned from put_arp/put_nd, to be written to
// the Southbound MAC_Binding table by the main loop.
type MACBinding struct {
	DatapathKey int64 // Datapath_Binding.tunnel_key (OpenFlow metadata)
	PortKey     int64 // Port_Binding.tunnel_key of the logical inport (reg14)
	IP          netip.Addr
	MAC         net.HardwareAddr
}

type macKey struct {
	dp, port int64
	ip       netip.Addr
}

type pendingMAC struct {
	mac      [6]byte
	commitAt time.Time
}

// macQueue holds learned bindings until the main loop takes them.
type macQueue struct {
	mu      sync.Mutex
	pending map[macKey]pendingMAC
	dropped uint64
}

// add queues a binding. Bindings learned from broadcast or multicast
// frames (GARPs that every chassis sees) are delayed by 1-50 ms so the
// chassis do not all write the same row at once. A repeated key takes the
// newest MAC and keeps its first commit time. It reports whether the
// binding was queued and when it becomes due.
func (q *macQueue) add(now time.Time, dp, port int64, ip netip.Addr, mac [6]byte, multicastDst bool) (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending == nil {
		q.pending = map[macKey]pendingMAC{}
	}
	k := macKey{dp, port, ip.Unmap()}
	if p, ok := q.pending[k]; ok {
		p.mac = mac
		q.pending[k] = p
		return p.commitAt, true
	}
	if len(q.pending) >= maxPendingMACBindings {
		q.dropped++
		return time.Time{}, false
	}
	at := now
	if multicastDst {
		at = now.Add(time.Duration(1+rand.IntN(50)) * time.Millisecond)
	}
	q.pending[k] = pendingMAC{mac: mac, commitAt: at}
	return at, true
}

// take removes and returns the bindings due at now, and when the next one
// becomes due (zero if none is left).
func (q *macQueue) take(now time.Time) (due []MACBinding, next time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for k, p := range q.pending {
		if p.commitAt.After(now) {
			if next.IsZero() || p.commitAt.Before(next) {
				next = p.commitAt
			}
			continue
		}
		due = append(due, MACBinding{DatapathKey: k.dp, PortKey: k.port, IP: k.ip,
			MAC: net.HardwareAddr(append([]byte(nil), p.mac[:]...))})
		delete(q.pending, k)
	}
	return due, next
}
