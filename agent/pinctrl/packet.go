package pinctrl

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Ethernet types and IP protocols the composers look at.
const (
	ethTypeIPv4 = 0x0800
	ethTypeARP  = 0x0806
	ethTypeVLAN = 0x8100
	ethTypeIPv6 = 0x86dd

	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58

	ethHeaderLen  = 14
	ipv4HeaderLen = 20
	ipv6HeaderLen = 40
)

var errNotParsable = errors.New("pinctrl: packet not parsable")

// frame is an Ethernet frame split into its L2 header and payload.
type frame struct {
	dst, src  [6]byte
	vlan      bool
	vlanTCI   uint16
	etherType uint16
	payload   []byte
}

func parseFrame(b []byte) (frame, error) {
	if len(b) < ethHeaderLen {
		return frame{}, errNotParsable
	}
	var f frame
	copy(f.dst[:], b[0:6])
	copy(f.src[:], b[6:12])
	f.etherType = binary.BigEndian.Uint16(b[12:])
	rest := b[14:]
	if f.etherType == ethTypeVLAN {
		if len(rest) < 4 {
			return frame{}, errNotParsable
		}
		f.vlan = true
		f.vlanTCI = binary.BigEndian.Uint16(rest)
		f.etherType = binary.BigEndian.Uint16(rest[2:])
		rest = rest[4:]
	}
	f.payload = rest
	return f, nil
}

// appendL2 appends an Ethernet header (with f's VLAN tag, if it had one).
func appendL2(b []byte, dst, src [6]byte, vlan bool, tci uint16, etherType uint16) []byte {
	b = append(b, dst[:]...)
	b = append(b, src[:]...)
	if vlan {
		b = binary.BigEndian.AppendUint16(b, ethTypeVLAN)
		b = binary.BigEndian.AppendUint16(b, tci)
	}
	return binary.BigEndian.AppendUint16(b, etherType)
}

// ipv4 is the part of an IPv4 header the composers need.
type ipv4 struct {
	src, dst [4]byte
	proto    uint8
	ihl      int // header length in bytes
	total    int // total length, clamped to the captured bytes
}

func parseIPv4(b []byte) (ipv4, error) {
	if len(b) < ipv4HeaderLen || b[0]>>4 != 4 {
		return ipv4{}, errNotParsable
	}
	h := ipv4{ihl: int(b[0]&0xf) * 4, proto: b[9], total: int(binary.BigEndian.Uint16(b[2:]))}
	if h.ihl < ipv4HeaderLen || h.ihl > len(b) || h.total < h.ihl {
		return ipv4{}, errNotParsable
	}
	if h.total > len(b) {
		h.total = len(b)
	}
	copy(h.src[:], b[12:16])
	copy(h.dst[:], b[16:20])
	return h, nil
}

type ipv6 struct {
	src, dst [16]byte
	next     uint8
}

func parseIPv6(b []byte) (ipv6, error) {
	if len(b) < ipv6HeaderLen || b[0]>>4 != 6 {
		return ipv6{}, errNotParsable
	}
	h := ipv6{next: b[6]}
	copy(h.src[:], b[8:24])
	copy(h.dst[:], b[24:40])
	return h, nil
}

// checksum is the Internet checksum of b folded onto sum.
func checksum(sum uint32, b []byte) uint16 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func pseudoSum(b []byte) uint32 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	return sum
}

// ipv6PseudoSum is the partial sum of the IPv6 pseudo-header.
func ipv6PseudoSum(src, dst [16]byte, length int, next uint8) uint32 {
	sum := pseudoSum(src[:]) + pseudoSum(dst[:])
	sum += uint32(length>>16) + uint32(length&0xffff) + uint32(next)
	return sum
}

// appendIPv4Header appends a 20-byte IPv4 header with its checksum.
func appendIPv4Header(b []byte, src, dst [4]byte, proto uint8, tos uint8, ttl uint8, df bool, payloadLen int) []byte {
	s := len(b)
	b = append(b, 0x45, tos)
	b = binary.BigEndian.AppendUint16(b, uint16(ipv4HeaderLen+payloadLen))
	b = append(b, 0, 0) // id
	if df {
		b = append(b, 0x40, 0)
	} else {
		b = append(b, 0, 0)
	}
	b = append(b, ttl, proto, 0, 0)
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	binary.BigEndian.PutUint16(b[s+10:], checksum(0, b[s:s+ipv4HeaderLen]))
	return b
}

func appendIPv6Header(b []byte, src, dst [16]byte, next uint8, hopLimit uint8, payloadLen int) []byte {
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(payloadLen))
	b = append(b, next, hopLimit)
	b = append(b, src[:]...)
	return append(b, dst[:]...)
}

// composeARPRequest builds the request OVN's arp{} action starts from: an
// ARP request from the original frame's source for its IPv4 destination,
// still addressed to the frame's (unresolved) destination MAC; the nested
// actions rewrite what the router knows better.
func composeARPRequest(pkt []byte) ([]byte, error) {
	f, err := parseFrame(pkt)
	if err != nil || f.etherType != ethTypeIPv4 {
		return nil, errNotParsable
	}
	ip, err := parseIPv4(f.payload)
	if err != nil {
		return nil, err
	}
	b := appendL2(make([]byte, 0, 64), f.dst, f.src, f.vlan, f.vlanTCI, ethTypeARP)
	b = append(b, 0, 1, 8, 0, 6, 4, 0, 1)
	b = append(b, f.src[:]...)
	b = append(b, ip.src[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, ip.dst[:]...), nil
}

// solicitedNode returns the solicited-node multicast address of ip and its
// Ethernet multicast MAC.
func solicitedNode(ip [16]byte) (addr [16]byte, mac [6]byte) {
	addr = [16]byte{0xff, 0x02, 11: 1, 12: 0xff}
	copy(addr[13:], ip[13:])
	mac = [6]byte{0x33, 0x33, 0xff, ip[13], ip[14], ip[15]}
	return addr, mac
}

// linkLocal is the EUI-64 link-local address of mac.
func linkLocal(mac [6]byte) [16]byte {
	return [16]byte{0xfe, 0x80, 8: mac[0] ^ 2, 9: mac[1], 10: mac[2], 11: 0xff, 12: 0xfe,
		13: mac[3], 14: mac[4], 15: mac[5]}
}

// composeNeighborSolicit builds the NS OVN's nd_ns{} action starts from:
// from the frame's source MAC (and its link-local address) to the
// solicited-node group of the original IPv6 destination.
func composeNeighborSolicit(pkt []byte) ([]byte, error) {
	f, err := parseFrame(pkt)
	if err != nil || f.etherType != ethTypeIPv6 {
		return nil, errNotParsable
	}
	ip, err := parseIPv6(f.payload)
	if err != nil {
		return nil, err
	}
	dstIP, dstMAC := solicitedNode(ip.dst)
	srcIP := linkLocal(f.src)
	icmp := make([]byte, 0, 32)
	icmp = append(icmp, 135, 0, 0, 0, 0, 0, 0, 0)
	icmp = append(icmp, ip.dst[:]...)
	icmp = append(icmp, 1, 1)
	icmp = append(icmp, f.src[:]...)
	binary.BigEndian.PutUint16(icmp[2:], checksum(ipv6PseudoSum(srcIP, dstIP, len(icmp), protoICMPv6), icmp))
	b := appendL2(make([]byte, 0, 96), dstMAC, f.src, false, 0, ethTypeIPv6)
	b = appendIPv6Header(b, srcIP, dstIP, protoICMPv6, 255, len(icmp))
	return append(b, icmp...), nil
}

// composeNeighborAdvert builds the NA OVN's nd_na{}/nd_na_router{} actions
// start from, answering the NS (or NA) in pkt: from the NS's destination MAC
// and target address back to its source, Solicited|Override (and Router)
// flags, the target link-layer option carrying the NS's destination MAC
// (the nested actions then set the real MAC).
func composeNeighborAdvert(pkt []byte, router bool) ([]byte, error) {
	f, err := parseFrame(pkt)
	if err != nil || f.etherType != ethTypeIPv6 {
		return nil, errNotParsable
	}
	ip, err := parseIPv6(f.payload)
	if err != nil || ip.next != protoICMPv6 || len(f.payload) < ipv6HeaderLen+24 {
		return nil, errNotParsable
	}
	nd := f.payload[ipv6HeaderLen:]
	if nd[0] != 135 && nd[0] != 136 {
		return nil, errNotParsable
	}
	var target [16]byte
	copy(target[:], nd[8:24])
	flags := byte(0x60) // Solicited, Override
	if router {
		flags |= 0x80
	}
	icmp := make([]byte, 0, 32)
	icmp = append(icmp, 136, 0, 0, 0, flags, 0, 0, 0)
	icmp = append(icmp, target[:]...)
	icmp = append(icmp, 2, 1)
	icmp = append(icmp, f.dst[:]...)
	binary.BigEndian.PutUint16(icmp[2:], checksum(ipv6PseudoSum(target, ip.src, len(icmp), protoICMPv6), icmp))
	b := appendL2(make([]byte, 0, 96), f.src, f.dst, false, 0, ethTypeIPv6)
	b = appendIPv6Header(b, target, ip.src, protoICMPv6, 255, len(icmp))
	return append(b, icmp...), nil
}

// Limits of the quoted original packet in ICMP errors (RFC 1812 / 4443).
const (
	icmp4MaxFrame = 576
	icmp6MaxFrame = 1280
)

// composeICMP builds the ICMP error OVN's icmp4{}/icmp4_error{}/icmp6{}/
// icmp6_error{} actions start from: addresses not swapped (the nested
// actions swap them), destination unreachable, the original IP packet
// quoted. forUDP selects the port-unreachable code for UDP input (icmp4{}
// and icmp6{} only).
func composeICMP(pkt []byte, forUDP bool) ([]byte, error) {
	f, err := parseFrame(pkt)
	if err != nil {
		return nil, err
	}
	switch f.etherType {
	case ethTypeIPv4:
		ip, err := parseIPv4(f.payload)
		if err != nil {
			return nil, err
		}
		code := byte(1)
		if forUDP && ip.proto == protoUDP {
			code = 3
		}
		quoted := f.payload[:ip.total]
		l2 := ethHeaderLen
		if f.vlan {
			l2 += 4
		}
		if max := icmp4MaxFrame - l2 - ipv4HeaderLen - 8; len(quoted) > max {
			quoted = quoted[:max]
		}
		icmp := append([]byte{3, code, 0, 0, 0, 0, 0, 0}, quoted...)
		binary.BigEndian.PutUint16(icmp[2:], checksum(0, icmp))
		b := appendL2(make([]byte, 0, l2+ipv4HeaderLen+len(icmp)), f.dst, f.src, f.vlan, f.vlanTCI, ethTypeIPv4)
		b = appendIPv4Header(b, ip.src, ip.dst, protoICMP, 0xc0, 255, true, len(icmp))
		return append(b, icmp...), nil
	case ethTypeIPv6:
		ip, err := parseIPv6(f.payload)
		if err != nil {
			return nil, err
		}
		code := byte(1)
		if forUDP && ip.next == protoUDP {
			code = 4
		}
		quoted := f.payload
		if max := icmp6MaxFrame - ethHeaderLen - ipv6HeaderLen - 8; len(quoted) > max {
			quoted = quoted[:max]
		}
		icmp := append([]byte{1, code, 0, 0, 0, 0, 0, 0}, quoted...)
		binary.BigEndian.PutUint16(icmp[2:], checksum(ipv6PseudoSum(ip.src, ip.dst, len(icmp), protoICMPv6), icmp))
		b := appendL2(make([]byte, 0, ethHeaderLen+ipv6HeaderLen+len(icmp)), f.dst, f.src, false, 0, ethTypeIPv6)
		b = appendIPv6Header(b, ip.src, ip.dst, protoICMPv6, 255, len(icmp))
		return append(b, icmp...), nil
	}
	return nil, errNotParsable
}

// composeTCPReset builds the RST|ACK OVN's tcp_reset{} action starts from:
// addresses as in the original (the nested actions swap them), ports
// swapped, ack = seq + 1, TTL 63.
func composeTCPReset(pkt []byte) ([]byte, error) {
	f, err := parseFrame(pkt)
	if err != nil {
		return nil, err
	}
	tcp := make([]byte, 20)
	fill := func(l4 []byte) error {
		if len(l4) < 20 {
			return errNotParsable
		}
		copy(tcp[0:2], l4[2:4])
		copy(tcp[2:4], l4[0:2])
		binary.BigEndian.PutUint32(tcp[8:], binary.BigEndian.Uint32(l4[4:])+1)
		tcp[12] = 5 << 4
		tcp[13] = 0x14 // RST|ACK
		return nil
	}
	switch f.etherType {
	case ethTypeIPv4:
		ip, err := parseIPv4(f.payload)
		if err != nil || ip.proto != protoTCP {
			return nil, errNotParsable
		}
		if err := fill(f.payload[ip.ihl:ip.total]); err != nil {
			return nil, err
		}
		sum := pseudoSum(ip.src[:]) + pseudoSum(ip.dst[:]) + protoTCP + uint32(len(tcp))
		binary.BigEndian.PutUint16(tcp[16:], checksum(sum, tcp))
		b := appendL2(nil, f.dst, f.src, false, 0, ethTypeIPv4)
		b = appendIPv4Header(b, ip.src, ip.dst, protoTCP, 0, 63, false, len(tcp))
		return append(b, tcp...), nil
	case ethTypeIPv6:
		ip, err := parseIPv6(f.payload)
		if err != nil || ip.next != protoTCP {
			return nil, errNotParsable
		}
		if err := fill(f.payload[ipv6HeaderLen:]); err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint16(tcp[16:], checksum(ipv6PseudoSum(ip.src, ip.dst, len(tcp), protoTCP), tcp))
		b := appendL2(nil, f.dst, f.src, false, 0, ethTypeIPv6)
		b = appendIPv6Header(b, ip.src, ip.dst, protoTCP, 63, len(tcp))
		return append(b, tcp...), nil
	}
	return nil, errNotParsable
}

// composeReject builds the answer of OVN's reject{} action: a TCP RST for
// TCP, an ICMP unreachable otherwise, already addressed back to the sender
// (L2 and L3 addresses swapped). It never answers a TCP RST or an ICMP
// destination unreachable, so two rejecting peers cannot loop.
func composeReject(pkt []byte) ([]byte, error) {
	f, err := parseFrame(pkt)
	if err != nil {
		return nil, err
	}
	var proto uint8
	var l4 []byte
	switch f.etherType {
	case ethTypeIPv4:
		ip, err := parseIPv4(f.payload)
		if err != nil {
			return nil, err
		}
		proto, l4 = ip.proto, f.payload[ip.ihl:ip.total]
	case ethTypeIPv6:
		ip, err := parseIPv6(f.payload)
		if err != nil {
			return nil, err
		}
		proto, l4 = ip.next, f.payload[ipv6HeaderLen:]
	default:
		return nil, errNotParsable
	}
	var out []byte
	switch {
	case proto == protoTCP && len(l4) >= 14 && l4[13]&0x04 != 0,
		proto == protoICMP && len(l4) >= 1 && l4[0] == 3,
		proto == protoICMPv6 && len(l4) >= 1 && l4[0] == 1:
		return nil, errNotParsable
	case proto == protoTCP:
		out, err = composeTCPReset(pkt)
	default:
		out, err = composeICMP(pkt, true)
	}
	if err != nil {
		return nil, err
	}
	swapAddresses(out)
	return out, nil
}

// swapAddresses swaps the Ethernet and IP source and destination of a
// composed frame in place; no checksum changes, since every checksum over
// them sums both.
func swapAddresses(b []byte) {
	for i := 0; i < 6; i++ {
		b[i], b[6+i] = b[6+i], b[i]
	}
	l3 := ethHeaderLen
	if binary.BigEndian.Uint16(b[12:]) == ethTypeVLAN {
		l3 += 4
	}
	switch binary.BigEndian.Uint16(b[l3-2:]) {
	case ethTypeIPv4:
		for i := 0; i < 4; i++ {
			b[l3+12+i], b[l3+16+i] = b[l3+16+i], b[l3+12+i]
		}
	case ethTypeIPv6:
		for i := 0; i < 16; i++ {
			b[l3+8+i], b[l3+24+i] = b[l3+24+i], b[l3+8+i]
		}
	}
}

// addrFrom16 turns a 16-byte register value into an address: IPv4-mapped
// values become IPv4.
func addrFrom16(b [16]byte) netip.Addr { return netip.AddrFrom16(b).Unmap() }
