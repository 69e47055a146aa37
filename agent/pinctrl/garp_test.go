package pinctrl

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/flow"
)

func TestGARPSchedule(t *testing.T) {
	p, _ := newTestPinctrl()
	mac := net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 2, 5}
	target := GARPTarget{DatapathKey: 5, PortKey: 2, MAC: mac, IPv4: netip.MustParseAddr("172.24.4.5")}
	start := time.Unix(1000, 0)
	p.SetGARPTargets(start, []GARPTarget{target})
	var sentAt []time.Duration
	for ms := 0; ms <= 40000; ms += 250 {
		now := start.Add(time.Duration(ms) * time.Millisecond)
		if ms == 20000 {
			p.SetGARPTargets(now, []GARPTarget{target}) // unchanged: keeps its schedule
		}
		for range p.garps.due(now) {
			sentAt = append(sentAt, now.Sub(start))
		}
	}
	want := []time.Duration{1 * time.Second, 3 * time.Second, 7 * time.Second, 15 * time.Second, 31 * time.Second}
	if len(sentAt) != len(want) {
		t.Fatalf("sent at %v, want %v", sentAt, want)
	}
	for i := range want {
		if sentAt[i] != want[i] {
			t.Errorf("announcement %d at %v, want %v", i, sentAt[i], want[i])
		}
	}
	p.SetGARPTargets(start, nil)
	if got := p.garps.due(start.Add(time.Hour)); len(got) != 0 {
		t.Errorf("removed target still announced: %+v", got)
	}
}

func TestGARPPackets(t *testing.T) {
	mac := net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 2, 5}
	po := garpPacketOut(GARPTarget{DatapathKey: 5, PortKey: 2, MAC: mac, IPv4: netip.MustParseAddr("172.24.4.5")})
	if want := mustHex(t, "ffffffffffff fa163e000205 0806 0001080006040001 fa163e000205 ac180405 000000000000 ac180405"); !bytes.Equal(po.Packet, want) {
		t.Errorf("GARP %x\nwant %x", po.Packet, want)
	}
	acts, err := flow.DecodeActions(po.Actions)
	if err != nil {
		t.Fatal(err)
	}
	if s := acts.String(); s != "set_field:0x5->metadata,set_field:0x2->reg14,resubmit(,8)" {
		t.Errorf("actions %s", s)
	}
	rarp := composeGARP(GARPTarget{MAC: mac})
	if want := mustHex(t, "ffffffffffff fa163e000205 8035 0001080006040003 fa163e000205 00000000 fa163e000205 00000000"); !bytes.Equal(rarp, want) {
		t.Errorf("RARP %x\nwant %x", rarp, want)
	}
}
