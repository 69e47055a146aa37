package pinctrl

import (
	"net"
	"sync"
)

// maxPendingFDB bounds the learned FDB entries waiting for the main loop.
const maxPendingFDB = 1000

// FDBEntry is a MAC learned by put_fdb on a logical switch port, to be
// written to the Southbound FDB table by the main loop.
type FDBEntry struct {
	DatapathKey int64
	PortKey     int64
	MAC         net.HardwareAddr
}

type fdbKey struct {
	dp  int64
	mac [6]byte
}

type fdbQueue struct {
	mu      sync.Mutex
	pending map[fdbKey]int64
}

// add queues a learned MAC; a repeated (datapath, MAC) takes the newest
// port. It reports false when the queue is full.
func (q *fdbQueue) add(dp, port int64, mac [6]byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending == nil {
		q.pending = map[fdbKey]int64{}
	}
	k := fdbKey{dp, mac}
	if _, ok := q.pending[k]; !ok && len(q.pending) >= maxPendingFDB {
		return false
	}
	q.pending[k] = port
	return true
}

func (q *fdbQueue) take() []FDBEntry {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]FDBEntry, 0, len(q.pending))
	for k, port := range q.pending {
		out = append(out, FDBEntry{DatapathKey: k.dp, PortKey: port, MAC: net.HardwareAddr(append([]byte(nil), k.mac[:]...))})
	}
	clear(q.pending)
	return out
}

// TakeFDBEntries removes and returns the MACs learned by put_fdb; the main
// loop writes them to the FDB table.
func (p *Pinctrl) TakeFDBEntries() []FDBEntry { return p.fdb.take() }
