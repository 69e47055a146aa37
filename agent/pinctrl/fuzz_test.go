package pinctrl

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/conn"
)

// The fuzz targets feed pinctrl what a guest controls — the packet, and
// through the flows it hits the packet-in userdata — plus what the switch
// frames around it. Any input must give an answer or an error, never a
// panic, and replies must be well-formed frames.

func hexSeed(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// seedFrames are guest packets of every kind pinctrl parses.
func seedFrames(f *testing.F) [][]byte {
	t := &testing.T{}
	return [][]byte{
		hexSeed(echoFrame), hexSeed(udp6Frame), hexSeed(nsFrame), hexSeed(synFrame),
		dhcpRequestFrame(0, dhcpOptMsgType, 1, dhcpDiscover, 55, 3, 1, 3, 6),
		dhcpRequestFrame(0x8000, dhcpOptMsgType, 1, dhcpRequest, 50, 4, 10, 0, 0, 5),
		dhcp6Frame(t, dhcp6Solicit, clientIDOpt+iaNAOpt+"000800020000"),
		dnsQueryFrame(t, "vm1.ovn.org", dnsTypeA, 0),
		dnsQueryFrame(t, "5.0.0.10.in-addr.arpa", dnsTypePTR, 1),
	}
}

// seedUserdata are controller() userdata of the opcodes pinctrl handles.
var seedUserdata = []string{
	"0000000000000000",                            // arp
	"0000000100000000",                            // put_arp
	"0000000200000000 0001de10 00000063",          // put_dhcp_opts (+ args below)
	"0000000300000000",                            // nd_na
	"0000000400000000",                            // put_nd
	"0000000500000000 0001de10 00000063",          // put_dhcpv6_opts (+ args)
	"0000000600000000 0001de10 00000063",          // dns_lookup
	"0000000700000000 0106 61636c",                // log
	"0000000900000000",                            // nd_ns
	"0000000a00000000",                            // icmp4
	"0000000b00000000",                            // tcp_reset
	"0000000c00000000",                            // nd_na_router
	"0000000d00000000 05dc",                       // put_icmp4_frag_mtu
	"0000000e00000000",                            // icmp4_error
	"0000001900000000",                            // put_fdb
	"0000001c00000000",                            // reject
	"0000000000000000 ffff0018 00002320 00070000", // nested actions
}

func fuzzPinctrl() *Pinctrl {
	p := New("unix:/nonexistent", Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	p.SetDNS(map[int64]DNSRecords{3: testDNSRecords})
	return p
}

// checkReply checks that what pinctrl composed is a parsable frame (a
// packet resumed unchanged is the guest's own).
func checkReply(t *testing.T, pin *conn.PacketIn, r reply) {
	for _, pkt := range [][]byte{r.packet, packetOf(r.packetOut)} {
		if pkt == nil || bytes.Equal(pkt, pin.Packet) {
			continue
		}
		if _, err := parseFrame(pkt); err != nil {
			t.Fatalf("reply frame does not parse: %v\n%x", err, pkt)
		}
	}
}

func packetOf(po *conn.PacketOut) []byte {
	if po == nil {
		return nil
	}
	return po.Packet
}

// FuzzPacketIn2 decodes and answers whole NXT_PACKET_IN2 messages, as they
// come off the switch connection.
func FuzzPacketIn2(f *testing.F) {
	md := hexSeed(pinMetadata)
	for _, pkt := range seedFrames(f) {
		for _, ud := range seedUserdata {
			u := hexSeed(ud)
			if strings.Contains(ud, "0001de10") {
				u = append(u, neutronArgs...)
			}
			f.Add(encodePacketIn2(&conn.PacketIn{Packet: pkt, Reason: reasonAction, Metadata: md, Userdata: u, Continuation: []byte{1, 2, 3, 4}}))
		}
	}
	p := fuzzPinctrl()
	f.Fuzz(func(t *testing.T, raw []byte) {
		_ = p.handle(&discardSender{}, raw, time.Unix(1e9, 0))
	})
}

// FuzzPacketIn hands a guest packet and a userdata straight to the opcode
// handlers (skipping the framing FuzzPacketIn2 covers).
func FuzzPacketIn(f *testing.F) {
	for _, pkt := range seedFrames(f) {
		for _, ud := range seedUserdata {
			u := hexSeed(ud)
			if strings.Contains(ud, "0001de10") {
				u = append(u, neutronArgs...)
			}
			f.Add(u, pkt, true, uint8(17))
		}
	}
	md := hexSeed(pinMetadata)
	p := fuzzPinctrl()
	now := time.Unix(1e9, 0)
	f.Fuzz(func(t *testing.T, userdata, packet []byte, paused bool, table uint8) {
		pin := &conn.PacketIn{Packet: packet, Reason: reasonAction, TableID: table, Metadata: md, Userdata: userdata}
		if paused {
			pin.Continuation = []byte{1, 2, 3, 4}
		}
		r, _ := p.process(pin, now)
		checkReply(t, pin, r)
		// Keep the queues from growing over the run, as the agent does.
		p.TakeMACBindings(now.Add(time.Hour))
		p.TakeFDBEntries()
		for _, n := range p.WaitingNeighbours(now) {
			p.buffer.take(n)
		}
	})
}

// FuzzDHCPv4 parses a guest's DHCP message against put_dhcp_opts
// arguments (from the Southbound, so also untrusted in their shape).
func FuzzDHCPv4(f *testing.F) {
	f.Add(dhcpRequestFrame(0, dhcpOptMsgType, 1, dhcpDiscover, 55, 3, 1, 3, 6), neutronArgs)
	f.Add(dhcpRequestFrame(0x8000, dhcpOptMsgType, 1, dhcpRequest, 50, 4, 10, 0, 0, 5, 54, 4, 10, 0, 0, 1), neutronArgs)
	f.Add(dhcpRequestFrame(0, dhcpOptMsgType, 1, dhcpRelease), neutronArgs)
	f.Add(dhcpRequestFrame(0, dhcpOptMsgType, 1, dhcpInform, 77, 4, 'i', 'P', 'X', 'E'), append(append([]byte{}, neutronArgs...), 67, 3, 'a', 'b', 'c', 0xfe, 3, 'i', 'p', 'x'))
	f.Fuzz(func(t *testing.T, pkt, args []byte) {
		out, _, err := buildDHCPv4Reply(pkt, args)
		if err != nil {
			return
		}
		fr, err := parseFrame(out)
		if err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
		ip, err := parseIPv4(fr.payload)
		if err != nil {
			t.Fatalf("reply IPv4 header: %v", err)
		}
		if checksum(0, fr.payload[:ip.ihl]) != 0 {
			t.Fatalf("reply IPv4 checksum wrong")
		}
	})
}

// FuzzDHCPv6 parses a guest's DHCPv6 message against put_dhcpv6_opts
// arguments.
func FuzzDHCPv6(f *testing.F) {
	t := &testing.T{}
	args := hexSeed(v6Args)
	f.Add(dhcp6Frame(t, dhcp6Solicit, clientIDOpt+iaNAOpt+"000800020000"), args)
	f.Add(dhcp6Frame(t, dhcp6Request, clientIDOpt+iaNAOpt), args)
	f.Add(dhcp6Frame(t, dhcp6Solicit, clientIDOpt), args)
	f.Fuzz(func(t *testing.T, pkt, opts []byte) {
		out, err := buildDHCPv6Reply(pkt, opts)
		if err != nil {
			return
		}
		if _, err := parseFrame(out); err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
	})
}

// FuzzDNS answers a guest's DNS query from the Southbound records.
func FuzzDNS(f *testing.F) {
	t := &testing.T{}
	for _, q := range []struct {
		name  string
		qtype uint16
		ar    uint16
	}{{"vm1.ovn.org", dnsTypeA, 0}, {"VM1.ovn.org", dnsTypeAAAA, 0}, {"5.0.0.10.in-addr.arpa", dnsTypePTR, 0}, {"vm1.ovn.org", dnsTypeANY, 1}} {
		f.Add(dnsQueryFrame(t, q.name, q.qtype, q.ar))
	}
	// A compression pointer looping on itself.
	loop := dnsQueryFrame(t, "a", dnsTypeA, 0)
	f.Add(append(loop[:len(loop)-7], 0xc0, 0x0c, 0, 1, 0, 1))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		out, err := buildDNSReply(pkt, testDNSRecords)
		if err != nil {
			return
		}
		if _, err := parseFrame(out); err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
	})
}

// FuzzComposers runs every reply composer (ARP, ND NS/NA, ICMP, TCP RST,
// reject, frag MTU) and the ACL log line on a guest packet.
func FuzzComposers(f *testing.F) {
	for _, pkt := range seedFrames(f) {
		f.Add(pkt, []byte{0x05, 0xdc, 0, 0})
	}
	vlan := hexSeed(echoFrame)
	vlan = append(append(append([]byte{}, vlan[:12]...), 0x81, 0, 0, 5), vlan[12:]...)
	f.Add(vlan, []byte{0, 0, 5, 0xdc})
	f.Fuzz(func(t *testing.T, pkt, mtu []byte) {
		composers := []func([]byte) ([]byte, error){
			composeARPRequest, composeNeighborSolicit, composeTCPReset, composeReject,
			func(b []byte) ([]byte, error) { return composeNeighborAdvert(b, false) },
			func(b []byte) ([]byte, error) { return composeNeighborAdvert(b, true) },
			func(b []byte) ([]byte, error) { return composeICMP(b, true) },
			func(b []byte) ([]byte, error) { return composeICMP(b, false) },
			func(b []byte) ([]byte, error) { return setFragMTU(b, mtu) },
		}
		for _, c := range composers {
			out, err := c(pkt)
			if err != nil {
				continue
			}
			if _, err := parseFrame(out); err != nil {
				t.Fatalf("composed frame does not parse: %v\n%x", err, out)
			}
		}
		_ = aclLogLine("acl", 1, 4, "from-lport", pkt)
		if len(pkt) >= 2 {
			_ = binary.BigEndian.Uint16(pkt)
		}
	})
}
