package pinctrl

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
)

func TestARPBuffersThePacketUntilReleased(t *testing.T) {
	p, _ := newTestPinctrl()
	// reg15 = 4 (outport), reg0 = next hop 10.0.1.9, datapath 3.
	md := "8000000400000001" + "800004080000000000000003" +
		"800101100a00010900000000ffffffff00000000" +
		"80010f10000000000000000400000000ffffffff"
	ud := mustHex(t, "0000000000000000 ffff0010 00002320 000e fff8 25000000")
	pkt := mustHex(t, echoFrame)
	now := time.Unix(1000, 0)
	pin := &conn.PacketIn{Packet: pkt, Reason: reasonAction, Metadata: mustHex(t, md), Userdata: ud}
	for i := 0; i < maxBufferedPerKey+2; i++ {
		if _, err := p.process(pin, now); err != nil {
			t.Fatal(err)
		}
	}
	want := Neighbour{DatapathKey: 3, PortKey: 4, IP: netip.MustParseAddr("10.0.1.9")}
	if w := p.WaitingNeighbours(now); len(w) != 1 || w[0] != want {
		t.Fatalf("waiting %+v, want %+v", w, want)
	}
	got := p.buffer.take(want)
	if len(got) != maxBufferedPerKey {
		t.Errorf("%d packets buffered, want the last %d", len(got), maxBufferedPerKey)
	}
	po := releasePacketOut(got[0], net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 1, 9})
	if !bytes.Equal(po.Packet[:6], []byte{0xfa, 0x16, 0x3e, 0, 1, 9}) || !bytes.Equal(po.Packet[6:], pkt[6:]) {
		t.Errorf("released packet %x: want eth.dst rewritten, rest unchanged", po.Packet)
	}
	if !bytes.Equal(pkt[:6], mustHex(t, "fa163e000101")) {
		t.Error("the packet-in's bytes were modified")
	}
	acts, err := flow.DecodeActions(po.Actions)
	if err != nil {
		t.Fatal(err)
	}
	if s := acts.String(); s != "set_field:0x3->metadata,set_field:0xa000109->reg0,set_field:0x4->reg15,resubmit(,37)" {
		t.Errorf("release actions %s", s)
	}

	p.buffer.add(now, want, pkt, flow.Match{})
	if w := p.WaitingNeighbours(now.Add(bufferedPacketMaxAge + time.Second)); len(w) != 0 {
		t.Errorf("packets older than %v still waiting: %+v", bufferedPacketMaxAge, w)
	}
}

// TestBufferBoundedUnderFlood: a guest sending to 5,000 unresolved next
// hops buffers at most maxBufferedKeys x maxBufferedPerKey packets, and
// they expire.
func TestBufferBoundedUnderFlood(t *testing.T) {
	var b packetBuffer
	now := time.Unix(1000, 0)
	pkt := make([]byte, 1500)
	full := 0
	for i := range 5000 {
		n := Neighbour{DatapathKey: 1, PortKey: 2, IP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
		for range maxBufferedPerKey + 3 {
			if !b.add(now, n, pkt, flow.Match{}) {
				full++
			}
		}
	}
	if w := b.waiting(now); len(w) != maxBufferedKeys {
		t.Errorf("%d next hops buffered, want the bound %d", len(w), maxBufferedKeys)
	}
	packets := 0
	for _, q := range b.queues {
		packets += len(q.packets)
	}
	if packets > maxBufferedKeys*maxBufferedPerKey || full == 0 {
		t.Errorf("%d packets buffered (bound %d), %d refused", packets, maxBufferedKeys*maxBufferedPerKey, full)
	}
	if w := b.waiting(now.Add(bufferedPacketMaxAge + time.Second)); len(w) != 0 {
		t.Errorf("%d next hops still buffered after they expired", len(w))
	}
}
