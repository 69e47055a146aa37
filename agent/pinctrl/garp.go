package pinctrl

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// GARP schedule of ovn-controller 23.03: the first announcement 1 s after
// the target appears, then at doubling intervals from 2 s, 5 in all.
const (
	garpFirstDelay    = time.Second
	garpFirstInterval = 2 * time.Second
	garpAnnouncements = 5
)

// GARPTarget is a VIF bound here on a logical switch with a localnet port,
// announced so that the physical network learns where its MAC is.
type GARPTarget struct {
	DatapathKey int64
	PortKey     int64
	MAC         net.HardwareAddr
	IPv4        netip.Addr // invalid: announced with a RARP
}

type garpState struct {
	target   GARPTarget
	next     time.Time
	interval time.Duration
	sent     int
}

type garpSet struct {
	mu      sync.Mutex
	targets map[string]*garpState // by key(): a changed address is a new target
}

func (t GARPTarget) key() string {
	return fmt.Sprintf("%d|%d|%s|%s", t.DatapathKey, t.PortKey, t.MAC, t.IPv4)
}

// SetGARPTargets replaces the set of VIFs to announce; new ones start their
// schedule now, ones already known keep theirs.
func (p *Pinctrl) SetGARPTargets(now time.Time, targets []GARPTarget) {
	g := &p.garps
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.targets
	g.targets = make(map[string]*garpState, len(targets))
	for _, t := range targets {
		k := t.key()
		if st, ok := old[k]; ok {
			g.targets[k] = st
			continue
		}
		g.targets[k] = &garpState{target: t, next: now.Add(garpFirstDelay), interval: garpFirstInterval}
	}
}

// dueGARPs returns the announcements due at now and advances their
// schedule.
func (g *garpSet) due(now time.Time) []GARPTarget {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []GARPTarget
	for _, st := range g.targets {
		if st.sent >= garpAnnouncements || now.Before(st.next) {
			continue
		}
		out = append(out, st.target)
		st.sent++
		st.next = now.Add(st.interval)
		st.interval *= 2
	}
	return out
}

// composeGARP builds the announcement: a gratuitous ARP request for the
// IPv4 address, or a RARP when the port has none.
func composeGARP(t GARPTarget) []byte {
	var mac [6]byte
	copy(mac[:], t.MAC)
	bcast := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if !t.IPv4.Is4() {
		b := appendL2(make([]byte, 0, 42), bcast, mac, false, 0, 0x8035)
		b = append(b, 0, 1, 8, 0, 6, 4, 0, 3)
		b = append(b, mac[:]...)
		b = append(b, 0, 0, 0, 0)
		b = append(b, mac[:]...)
		return append(b, 0, 0, 0, 0)
	}
	ip := t.IPv4.As4()
	b := appendL2(make([]byte, 0, 42), bcast, mac, false, 0, ethTypeARP)
	b = append(b, 0, 1, 8, 0, 6, 4, 0, 1)
	b = append(b, mac[:]...)
	b = append(b, ip[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, ip[:]...)
}

// garpPacketOut injects the announcement as if the VIF had sent it: into
// the logical ingress pipeline of its switch, so it floods through the
// localnet port.
func garpPacketOut(t GARPTarget) *conn.PacketOut {
	acts := flow.Actions{
		flow.SetFieldUint(flow.FieldMetadata, uint64(t.DatapathKey)),
		flow.SetFieldUint(pipeline.RegInport, uint64(t.PortKey)),
		flow.Resubmit{Table: pipeline.TableLogIngress},
	}
	return &conn.PacketOut{Match: oxmInPortController, Actions: acts.Append(nil), Packet: composeGARP(t)}
}

// sendGARPs sends the announcements due at now on s.
func (p *Pinctrl) sendGARPs(s sender, now time.Time) {
	for _, t := range p.garps.due(now) {
		if err := s.PacketOut(garpPacketOut(t)); err != nil {
			p.log.Debug("pinctrl: GARP not sent", "mac", t.MAC.String(), "err", err)
			return
		}
	}
}
