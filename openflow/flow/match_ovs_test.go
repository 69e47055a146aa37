package flow

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/openflow/ovstest"
)

// matchOVSTexts are match texts in ovs-ofctl syntax; OVS must print each
// one as String() prints the same match built from it.
var matchOVSTexts = []string{
	"reg0=0x1/0x1,reg15=0xffffffff",
	"xxreg0=0x1",
	"xxreg3=0x10000000000000000000000000000002/0x100000000000000000000000000000ff",
	"xreg1=0x100000002",
	"xreg7=0/0xffff0000ffff",
	"metadata=0x5/0xff",
	"tun_id=0x5/0xff,tun_dst=10.0.0.0/8",
	"tun_src=10.1.2.3/255.0.255.0",
	"tun_ipv6_src=fe80::1,tun_ipv6_dst=2001:db8::/32",
	"tun_metadata0=0x5",
	"tun_metadata0=0/0xff",
	"tun_metadata0=0x1234/0xffff",
	"tun_flags=+oam",
	"tun_flags=-oam",
	"tun_gbp_id=5,tun_gbp_flags=0x1",
	"pkt_mark=0x5",
	"pkt_mark=0/0x1",
	"ct_mark=0x5,ct_label=0x5/0xf",
	"ct_label=0x10000000000000000000000000000001",
	"ct_zone=10",
	"ct_state=0x21/0xff",
	"ct_state=0/0xff",
	"ct_state=+trk+est-new",
	"ct_state=+inv-rel+rpl+snat-dnat",
	"ip,ct_state=+est+trk,ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.0/24,ct_nw_proto=6,ct_tp_src=80,ct_tp_dst=0x100/0xff00",
	"ipv6,ct_state=+est+trk,ct_ipv6_src=fe80::1,ct_ipv6_dst=fd00::/8",
	"conj_id=5",
	"actset_output=5",
	"in_port=5",
	"in_port=LOCAL",
	"in_port=CONTROLLER",
	"in_port_oxm=7",
	"dl_vlan=5",
	"dl_vlan_pcp=3",
	"dl_vlan=4095,dl_vlan_pcp=7",
	"vlan_tci=0x1000/0x1000",
	"vlan_tci=0",
	"vlan_tci=0x0123/0x0fff",
	"vlan_vid=0x1005",
	"vlan_vid=0x1000/0x1000",
	"vlan_pcp=5,vlan_vid=0x1001",
	"dl_src=00:11:22:33:44:55/ff:ff:ff:00:00:00",
	"dl_dst=01:00:00:00:00:00/01:00:00:00:00:00",
	"eth_src=aa:bb:cc:dd:ee:ff,eth_dst=ff:ff:ff:ff:ff:ff",
	"dl_type=0x88cc",
	"dl_type=0x0800",
	"ip,nw_src=10.0.0.0/8,nw_dst=10.0.0.1/255.0.0.255,nw_tos=184,nw_ecn=2,nw_ttl=64",
	"ip,ip_dscp=46",
	"ip,nw_frag=first",
	"ip,nw_frag=no",
	"ip,nw_frag=yes",
	"ip,nw_frag=later",
	"ip,nw_frag=not_later",
	"ip,nw_proto=47",
	"ip,ip_proto=2",
	"ip,nw_src=128.0.0.0/1",
	"ipv6,ipv6_label=0x12345",
	"ipv6,ipv6_label=0x00001/0x0000f",
	"ipv6,ipv6_src=::ffff:1.2.3.4,ipv6_dst=::/1",
	"ipv6,ipv6_src=2001:db8::1/ffff::ffff",
	"ipv6,nw_proto=59",
	"arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_sha=00:00:00:00:00:01,arp_tha=00:00:00:00:00:00/01:00:00:00:00:00",
	"rarp",
	"arp,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=2",
	"tcp,tp_src=1024/0xfc00",
	"tcp,tcp_dst=80,tcp_src=0",
	"tcp,tcp_flags=+syn-ack",
	"tcp,tcp_flags=0x2",
	"tcp,tcp_flags=0/0x3",
	"tcp6,tcp_flags=+fin+rst+psh+urg+ece+cwr+ns",
	"udp,udp_src=68,udp_dst=67",
	"udp6,tp_dst=547",
	"sctp,tp_dst=9",
	"sctp6,sctp_src=9/0xf",
	"icmp,icmp_type=3,icmp_code=1",
	"icmp6,icmp_type=135,nd_target=fe80::1,nd_sll=00:00:00:00:00:01",
	"icmp6,icmp_type=136,icmp_code=0,nd_target=fe80::1,nd_tll=00:00:00:00:00:02",
	"icmp6,icmpv6_type=135,icmpv6_code=0,nd_reserved=5,nd_options_type=1",
	"icmp6,icmpv6_type=128",
	"mpls,mpls_label=5,mpls_tc=3,mpls_bos=1,mpls_ttl=64",
	"mplsm,mpls_label=1048575",
	"packet_type=(1,0x806)",
	"ipv6,reg14=0x1,metadata=0x2,dl_src=00:00:00:00:00:01,ipv6_src=fe80::/10,nw_ttl=255",
	"tcp,reg10=0x20/0x20,reg13=0x5,reg14=0x2,reg15=0x3,metadata=0x1,dl_src=00:00:00:00:00:01,nw_src=10.0.0.2,nw_dst=10.0.0.0/8,tp_dst=22",
	"udp,reg0=0x1/0x1,metadata=0x6,in_port=4,vlan_tci=0x1000/0x1000,dl_src=ba:be:be:ef:de:ad,nw_dst=255.255.255.255,nw_ttl=1,nw_frag=no,tp_src=68,tp_dst=67",
	"ct_state=-new+est-rel+rpl-inv+trk,ct_label=0x1/0x1,ipv6,reg0=0x4/0x4,metadata=0x3",
}

// TestMatchStringMatchesOVS installs each match with ovs-ofctl add-flows
// on a real (userspace) bridge, then checks, flow by flow:
//   - dump-flows --no-stats prints Flow.String() of the match built through
//     the API from the same text (after Canonical, the OpenFlow 1.5 round
//     trip ovs-ofctl's own encoding goes through);
//   - the ofp_match bytes ovs-vswitchd sends in its flow stats reply are
//     byte for byte AppendOXM of that match, and DecodeMatch of them gives
//     the same match back.
func TestMatchStringMatchesOVS(t *testing.T) {
	sw := ovstest.Start(t)
	sw.AddBridge("br0")
	sw.Ofctl("add-tlv-map", "br0", "{class=0x0102,type=0x80,len=4}->tun_metadata0")

	texts := append([]string(nil), matchOVSTexts...)
	for _, c := range matchBuildCases {
		if c.want != "" {
			texts = append(texts, c.want)
		}
	}
	var file strings.Builder
	want := map[uint64]Flow{}
	for i, text := range texts {
		m, err := parseMatchForTest(text)
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		// Distinct priorities keep equal matches from replacing each other.
		f := Flow{Table: uint8(i % 3), Priority: uint16(1000 + i), Match: m.Canonical(), Cookie: uint64(i + 1)}
		if i%5 == 0 {
			f.Priority = DefaultPriority - uint16(i)
		}
		want[f.Cookie] = f
		fmt.Fprintf(&file, "table=%d,cookie=%#x,priority=%d,%s,actions=drop\n", f.Table, f.Cookie, f.Priority, text)
	}
	path := filepath.Join(t.TempDir(), "flows.txt")
	if err := os.WriteFile(path, []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sw.Ofctl("add-flows", "br0", path)
	out := sw.Ofctl("dump-flows", "br0", "--no-stats")
	got := map[uint64]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		line = strings.TrimSpace(line)
		var cookie uint64
		if _, err := fmt.Sscanf(line, "cookie=%v", &cookie); err != nil {
			t.Errorf("dump line %q: %v", line, err)
			continue
		}
		got[cookie] = line
	}
	wire := dumpFlowMatchesForTest(t, sw.Mgmt("br0"))

	textPass, wirePass := 0, 0
	for i, text := range texts {
		cookie := uint64(i + 1)
		f, ok := want[cookie]
		if !ok {
			continue
		}
		g, ok := got[cookie]
		switch {
		case !ok:
			t.Errorf("%q: not in dump-flows", text)
		case g != f.String():
			t.Errorf("%q:\n  ovs-ofctl: %s\n  String(): %s", text, g, f.String())
		default:
			textPass++
		}
		raw, ok := wire[cookie]
		if !ok {
			t.Errorf("%q: not in the flow stats reply", text)
			continue
		}
		dec, n, err := DecodeMatch(raw)
		if err != nil || n != len(raw) {
			t.Errorf("%q: DecodeMatch(% x) = %d, %v", text, raw, n, err)
			continue
		}
		enc := f.Match.AppendOXM(nil)
		switch {
		case !dec.Equal(f.Match):
			t.Errorf("%q: decoded from OVS: %s, built: %s", text, dec, f.Match)
		case string(enc) != string(raw):
			t.Errorf("%q: encoding differs\n  ovs-vswitchd: % x\n  AppendOXM:    % x", text, raw, enc)
		default:
			wirePass++
		}
	}
	t.Logf("dump-flows text: %d/%d flows print as OVS prints them", textPass, len(texts))
	t.Logf("wire: %d/%d matches encode byte for byte as ovs-vswitchd and decode back", wirePass, len(texts))
}

// dumpFlowMatchesForTest asks the bridge for its flows over OpenFlow 1.5
// (a minimal client: hello, then OFPMP_FLOW_DESC) and returns the raw
// ofp_match of each flow, padding included, by cookie.
func dumpFlowMatchesForTest(t *testing.T, mgmt string) map[uint64][]byte {
	t.Helper()
	c, err := net.Dial("unix", strings.TrimPrefix(mgmt, "unix:"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	const of15 = 6
	send := func(typ uint8, xid uint32, body []byte) {
		msg := []byte{of15, typ, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(msg[4:], xid)
		msg = append(msg, body...)
		binary.BigEndian.PutUint16(msg[2:], uint16(len(msg)))
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() (typ uint8, body []byte) {
		var h [8]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			t.Fatal(err)
		}
		body = make([]byte, int(binary.BigEndian.Uint16(h[2:]))-8)
		if _, err := io.ReadFull(c, body); err != nil {
			t.Fatal(err)
		}
		if h[0] != of15 {
			t.Fatalf("switch speaks OpenFlow version %d", h[0])
		}
		return h[1], body
	}
	send(0, 1, nil)                       // OFPT_HELLO
	req := []byte{0, 1, 0, 0, 0, 0, 0, 0} // OFPMP_FLOW_DESC, no flags
	req = append(req, 0xff, 0, 0, 0)      // all tables
	req = append(req, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
	req = append(req, make([]byte, 16)...) // cookie, cookie mask
	req = Match{}.AppendOXM(req)
	send(18, 2, req) // OFPT_MULTIPART_REQUEST
	out := map[uint64][]byte{}
	for {
		typ, body := recv()
		switch typ {
		case 0: // hello
			continue
		case 1: // error
			t.Fatalf("switch error: % x", body)
		case 19: // OFPT_MULTIPART_REPLY
		default:
			continue
		}
		flags := binary.BigEndian.Uint16(body[2:])
		for b := body[8:]; len(b) > 0; {
			length := int(binary.BigEndian.Uint16(b))
			if length < 24 || length > len(b) {
				t.Fatalf("bad flow desc length %d", length)
			}
			cookie := binary.BigEndian.Uint64(b[16:])
			mlen := int(binary.BigEndian.Uint16(b[26:]))
			out[cookie] = append([]byte(nil), b[24:24+(mlen+7)/8*8]...)
			b = b[length:]
		}
		if flags&1 == 0 { // no OFPMPF_REPLY_MORE
			return out
		}
	}
}
