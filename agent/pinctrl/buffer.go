package pinctrl

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Bounds of the packets held while their next hop is being resolved, as
// in ovn-controller.
const (
	maxBufferedKeys      = 1000
	maxBufferedPerKey    = 4
	bufferedPacketMaxAge = 10 * time.Second
)

// Neighbour names a next hop packets wait for: the logical output port
// (Port_Binding tunnel key within the datapath) and its IP.
type Neighbour struct {
	DatapathKey int64
	PortKey     int64 // reg15 when the arp{}/nd_ns{} action ran
	IP          netip.Addr
}

type bufferedPacket struct {
	packet []byte
	md     flow.Match
}

type packetQueue struct {
	packets []bufferedPacket
	last    time.Time
}

// packetBuffer holds the packets that triggered arp{}/nd_ns{} until the
// main loop sees the MAC_Binding of their next hop.
type packetBuffer struct {
	mu     sync.Mutex
	queues map[Neighbour]*packetQueue
}

// add keeps a copy of pkt for n, dropping the oldest beyond the queue
// depth; it reports false when the buffer is full of other keys.
func (b *packetBuffer) add(now time.Time, n Neighbour, pkt []byte, md flow.Match) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queues == nil {
		b.queues = map[Neighbour]*packetQueue{}
	}
	b.expireLocked(now)
	q := b.queues[n]
	if q == nil {
		if len(b.queues) >= maxBufferedKeys {
			return false
		}
		q = &packetQueue{}
		b.queues[n] = q
	}
	if len(q.packets) >= maxBufferedPerKey {
		q.packets = q.packets[1:]
	}
	q.packets = append(q.packets, bufferedPacket{packet: append([]byte(nil), pkt...), md: md})
	q.last = now
	return true
}

func (b *packetBuffer) expireLocked(now time.Time) {
	for n, q := range b.queues {
		if now.Sub(q.last) > bufferedPacketMaxAge {
			delete(b.queues, n)
		}
	}
}

// waiting lists the neighbours packets wait for.
func (b *packetBuffer) waiting(now time.Time) []Neighbour {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expireLocked(now)
	out := make([]Neighbour, 0, len(b.queues))
	for n := range b.queues {
		out = append(out, n)
	}
	return out
}

// take removes and returns the packets waiting for n.
func (b *packetBuffer) take(n Neighbour) []bufferedPacket {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[n]
	delete(b.queues, n)
	if q == nil {
		return nil
	}
	return q.packets
}

// releasePacketOut re-injects a buffered packet with its destination MAC
// resolved, at the start of the output stage with its logical pipeline
// state (conntrack state is lost, as in ovn-controller).
func releasePacketOut(bp bufferedPacket, mac net.HardwareAddr) *conn.PacketOut {
	pkt := bp.packet
	if len(pkt) >= 6 && len(mac) == 6 {
		copy(pkt[:6], mac)
	}
	acts := restoreActions(bp.md)
	acts = flow.Actions{flow.Resubmit{Table: pipeline.TableOutputInit}}.Append(acts)
	return &conn.PacketOut{Match: oxmInPortController, Actions: acts, Packet: pkt}
}

// WaitingNeighbours lists the next hops buffered packets wait for; the
// main loop looks their MAC_Binding up and calls Release for those it
// finds.
func (p *Pinctrl) WaitingNeighbours(now time.Time) []Neighbour { return p.buffer.waiting(now) }

// Release sends the packets buffered for n to mac. They are dropped when
// the switch is not connected.
func (p *Pinctrl) Release(n Neighbour, mac net.HardwareAddr) {
	pkts := p.buffer.take(n)
	if len(pkts) == 0 {
		return
	}
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	if c == nil {
		return
	}
	for _, bp := range pkts {
		if err := c.PacketOut(releasePacketOut(bp, mac)); err != nil {
			p.rl.failed.Debug(p.log, "pinctrl: buffered packet not released", "err", err)
			return
		}
	}
}
