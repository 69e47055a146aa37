package pinctrl

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// aclLogLine is the text of OVN's ACL log line (lib/acl-log.c), which
// SIEMs and ovn-kubernetes' tests parse: `name="<name>", verdict=<v>,
// severity=<s>, direction=<d>: <flow>`, the flow as OVS's flow_format
// prints the packet's headers.
func aclLogLine(name string, verdict, severity byte, direction string, pkt []byte) string {
	if name == "" {
		name = "<unnamed>"
	}
	var quoted strings.Builder
	enc := json.NewEncoder(&quoted)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(name)
	verdicts := map[byte]string{0: "allow", 1: "drop", 2: "reject"}
	severities := map[byte]string{1: "alert", 4: "warning", 5: "notice", 6: "info", 7: "debug"}
	v, ok := verdicts[verdict]
	if !ok {
		v = "<unknown>"
	}
	s, ok := severities[severity]
	if !ok {
		s = "<unknown>"
	}
	return fmt.Sprintf("name=%s, verdict=%s, severity=%s, direction=%s: %s", strings.TrimSuffix(quoted.String(), "\n"), v, s, direction, flowString(pkt))
}

// flowString formats a frame's headers as flow_format does for the
// protocols OVN logs: ARP, IPv4 and IPv6 with TCP, UDP, SCTP or ICMP.
func flowString(pkt []byte) string {
	f, err := parseFrame(pkt)
	if err != nil {
		return "<truncated packet>"
	}
	var b strings.Builder
	l2 := fmt.Sprintf("vlan_tci=0x%04x,dl_src=%s,dl_dst=%s", f.vlanTCI, net.HardwareAddr(f.src[:]), net.HardwareAddr(f.dst[:]))
	p := f.payload
	switch f.etherType {
	case 0x0806:
		b.WriteString("arp," + l2)
		if len(p) >= 28 {
			fmt.Fprintf(&b, ",arp_spa=%s,arp_tpa=%s,arp_op=%d,arp_sha=%s,arp_tha=%s",
				netip.AddrFrom4([4]byte(p[14:18])), netip.AddrFrom4([4]byte(p[24:28])), binary.BigEndian.Uint16(p[6:8]),
				net.HardwareAddr(p[8:14]), net.HardwareAddr(p[18:24]))
		}
	case 0x0800:
		if len(p) < 20 || int(p[0]&0xf)*4 > len(p) {
			return "ip," + l2
		}
		ihl := int(p[0]&0xf) * 4
		proto := p[9]
		frag := "no"
		if off := binary.BigEndian.Uint16(p[6:8]); off&0x1fff != 0 {
			frag = "later"
		} else if off&0x2000 != 0 {
			frag = "first"
		}
		name, known := map[byte]string{1: "icmp", 6: "tcp", 17: "udp", 132: "sctp"}[proto]
		if !known {
			name = "ip"
		}
		b.WriteString(name + "," + l2)
		fmt.Fprintf(&b, ",nw_src=%s,nw_dst=%s", netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20])))
		if !known {
			fmt.Fprintf(&b, ",nw_proto=%d", proto)
		}
		fmt.Fprintf(&b, ",nw_tos=%d,nw_ecn=%d,nw_ttl=%d,nw_frag=%s", p[1]&0xfc, p[1]&3, p[8], frag)
		if frag != "later" {
			b.WriteString(l4String(proto, p[ihl:], false))
		}
	case 0x86dd:
		if len(p) < 40 {
			return "ipv6," + l2
		}
		proto := p[6]
		name, known := map[byte]string{58: "icmp6", 6: "tcp6", 17: "udp6", 132: "sctp6"}[proto]
		if !known {
			name = "ipv6"
		}
		vtf := binary.BigEndian.Uint32(p[0:4])
		b.WriteString(name + "," + l2)
		fmt.Fprintf(&b, ",ipv6_src=%s,ipv6_dst=%s,ipv6_label=0x%05x", netip.AddrFrom16([16]byte(p[8:24])),
			netip.AddrFrom16([16]byte(p[24:40])), vtf&0xfffff)
		if !known {
			fmt.Fprintf(&b, ",nw_proto=%d", proto)
		}
		tc := byte(vtf >> 20)
		fmt.Fprintf(&b, ",nw_tos=%d,nw_ecn=%d,nw_ttl=%d,nw_frag=no", tc&0xfc, tc&3, p[7])
		b.WriteString(l4String(proto, p[40:], true))
	default:
		fmt.Fprintf(&b, "%s,dl_type=0x%04x", l2, f.etherType)
	}
	return b.String()
}

func l4String(proto byte, l4 []byte, v6 bool) string {
	switch {
	case (proto == 1 && !v6) || (proto == 58 && v6):
		if len(l4) >= 2 {
			return fmt.Sprintf(",icmp_type=%d,icmp_code=%d", l4[0], l4[1])
		}
	case proto == 6:
		if len(l4) >= 14 {
			return fmt.Sprintf(",tp_src=%d,tp_dst=%d,tcp_flags=%s", binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:]),
				tcpFlags(binary.BigEndian.Uint16(l4[12:14])&0xfff))
		}
	case proto == 17 || proto == 132:
		if len(l4) >= 4 {
			return fmt.Sprintf(",tp_src=%d,tp_dst=%d", binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:]))
		}
	}
	return ""
}

// tcpFlags prints TCP flags as OVS does: names joined by '|', lowest bit
// first, "0" for none.
func tcpFlags(f uint16) string {
	if f == 0 {
		return "0"
	}
	names := []string{"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns", "[200]", "[400]", "[800]"}
	var out []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, "|")
}
