package pinctrl

import (
	"encoding/binary"
	"fmt"

	"github.com/chassisd/chassisd/openflow/actions"
	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
)

// DHCPv6 message types and option codes (RFC 8415) and OVN's private
// option code.
const (
	dhcp6Solicit     = 1
	dhcp6Advertise   = 2
	dhcp6Request     = 3
	dhcp6Confirm     = 4
	dhcp6Reply       = 7
	dhcp6Decline     = 9
	dhcp6InfoRequest = 11

	dhcp6OptClientID     = 1
	dhcp6OptServerID     = 2
	dhcp6OptIANA         = 3
	dhcp6OptIAAddr       = 5
	dhcp6OptUserClass    = 15
	dhcp6OptDNSServer    = 23
	dhcp6OptDomainSearch = 24
	dhcp6OptBootfileURL  = 59
	dhcp6OptBootfileAlt  = 254
)

// dhcpv6 answers PUT_DHCPV6_OPTS like dhcpv4: reply and bit set, or the
// request resumed unchanged.
func (p *Pinctrl) dhcpv6(r reply, pin *conn.PacketIn, md flow.Match, ud actions.Userdata) (reply, error) {
	field, bit, rest, err := ud.ResultField()
	if err != nil {
		return r, err
	}
	pkt, err := buildDHCPv6Reply(pin.Packet, rest)
	if err != nil {
		return r, err
	}
	md = setResultBit(md, field, bit)
	resumed := *pin
	resumed.Metadata = md.AppendOXMFields(nil)
	r.resume, r.packet = &resumed, pkt
	return r, nil
}

// dhcp6Options walks a DHCPv6 option list, calling fn for each option.
func dhcp6Options(b []byte, fn func(code uint16, v []byte)) {
	for len(b) >= 4 {
		code, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		if len(b) < 4+n {
			return
		}
		fn(code, b[4:4+n])
		b = b[4+n:]
	}
}

func appendDHCP6Option(b []byte, code uint16, v ...[]byte) []byte {
	n := 0
	for _, p := range v {
		n += len(p)
	}
	b = binary.BigEndian.AppendUint16(b, code)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	for _, p := range v {
		b = append(b, p...)
	}
	return b
}

// buildDHCPv6Reply builds the ADVERTISE/REPLY for the request frame pkt
// from the userdata options (ia_addr, server_id MAC, dns_server,
// domain_search, bootfile names). L2 and L3 stay the request's; the
// response flow rewrites them.
func buildDHCPv6Reply(pkt, opts []byte) ([]byte, error) {
	f, err := parseFrame(pkt)
	if err != nil || f.etherType != ethTypeIPv6 {
		return nil, errNotParsable
	}
	ip, err := parseIPv6(f.payload)
	if err != nil || ip.next != protoUDP || len(f.payload) < ipv6HeaderLen+8 {
		return nil, errNotParsable
	}
	udp := f.payload[ipv6HeaderLen:]
	udpLen := int(binary.BigEndian.Uint16(udp[4:]))
	if udpLen < 12 || udpLen > len(udp) {
		return nil, errNotParsable
	}
	msg := udp[8:udpLen]
	var replyType byte
	switch msg[0] {
	case dhcp6Solicit:
		replyType = dhcp6Advertise
	case dhcp6Request, dhcp6Confirm, dhcp6Decline, dhcp6InfoRequest:
		replyType = dhcp6Reply
	default: // RELEASE, RENEW, REBIND ...: no reply
		return nil, errNoReply
	}
	var clientID, iaid []byte
	ipxe := false
	dhcp6Options(msg[4:], func(code uint16, v []byte) {
		switch code {
		case dhcp6OptClientID:
			clientID = v
		case dhcp6OptIANA:
			if len(v) >= 4 {
				iaid = v[:4]
			}
		case dhcp6OptUserClass:
			ipxe = len(v) >= 2 && string(v[2:]) == "iPXE"
		}
	})
	info := msg[0] == dhcp6InfoRequest
	if clientID == nil || (iaid == nil && !info) {
		return nil, errNoReply
	}

	out := make([]byte, 0, len(pkt)+128)
	l2 := len(pkt) - len(f.payload)
	out = append(out, pkt[:l2+ipv6HeaderLen+8]...)
	body := len(out)
	out = append(out, replyType, msg[1], msg[2], msg[3])
	out = appendDHCP6Option(out, dhcp6OptClientID, clientID)
	infinite := []byte{0xff, 0xff, 0xff, 0xff}
	var bad error
	dhcp6Options(opts, func(code uint16, v []byte) {
		switch code {
		case dhcp6OptServerID:
			if len(v) != 6 {
				bad = fmt.Errorf("dhcpv6 server_id of %d bytes", len(v))
				return
			}
			out = appendDHCP6Option(out, dhcp6OptServerID, []byte{0, 3, 0, 1}, v)
		case dhcp6OptIAAddr:
			if info {
				return
			}
			if len(v) != 16 {
				bad = fmt.Errorf("dhcpv6 ia_addr of %d bytes", len(v))
				return
			}
			addr := appendDHCP6Option(nil, dhcp6OptIAAddr, v, infinite, infinite)
			out = appendDHCP6Option(out, dhcp6OptIANA, iaid, infinite, infinite, addr)
		case dhcp6OptDNSServer:
			out = appendDHCP6Option(out, dhcp6OptDNSServer, v)
		case dhcp6OptDomainSearch:
			out = appendDHCP6Option(out, dhcp6OptDomainSearch, []byte{byte(len(v))}, v, []byte{0})
		case dhcp6OptBootfileURL:
			if ipxe {
				out = appendDHCP6Option(out, dhcp6OptBootfileURL, v)
			}
		case dhcp6OptBootfileAlt:
			if !ipxe {
				out = appendDHCP6Option(out, dhcp6OptBootfileURL, v)
			}
		default:
			bad = fmt.Errorf("dhcpv6 option %d not supported", code)
		}
	})
	if bad != nil {
		return nil, bad
	}

	l4 := out[l2+ipv6HeaderLen:]
	n := len(out) - body + 8
	binary.BigEndian.PutUint16(out[l2+4:], uint16(n))
	binary.BigEndian.PutUint16(l4[4:], uint16(n))
	l4[6], l4[7] = 0, 0
	sum := checksum(ipv6PseudoSum(ip.src, ip.dst, n, protoUDP), l4)
	if sum == 0 {
		sum = 0xffff
	}
	binary.BigEndian.PutUint16(l4[6:], sum)
	return out, nil
}
