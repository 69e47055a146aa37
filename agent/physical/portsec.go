package physical

import (
	"log/slog"

	"github.com/chassisd/chassisd/openflow/flow"
)

// Ethernet types and IP protocols used by port security.
const (
	ethTypeIP   = 0x0800
	ethTypeARP  = 0x0806
	ethTypeIPv6 = 0x86dd
	protoUDP    = 17
	protoICMPv6 = 58
)

// portSec builds the port-security flows of one port bound here
// (consider_port_sec_flows() in controller/lflow.c): tables 73/74 check what
// the port sends, 75 what it receives; they set or clear MLF_CHECK_PORT_SEC.
type portSec struct {
	c      *computer
	pb     *PortBinding
	cookie uint64
}

var (
	psDeny    = flow.Actions{flow.Load(flow.Subfield{Field: fieldFlags, Offset: 12, Bits: 1}, 1)}
	psAllow   = flow.Actions{flow.Load(flow.Subfield{Field: fieldFlags, Offset: 12, Bits: 1}, 0)}
	psCheckND = flow.Actions{flow.Resubmit{Port: flow.PortInPort, Table: tableChkInPortSecND}}
)

// base is reset_match_for_port_sec_flows(): metadata and the port's key in
// reg (inport or outport).
func (p *portSec) base(reg flow.Field) *matchBuilder {
	return newMatch().metadata(p.pb.DatapathKey).reg(reg, p.pb.TunnelKey)
}

func (p *portSec) add(table uint8, prio uint16, m *matchBuilder, acts flow.Actions) {
	p.c.add(table, prio, p.cookie, m.done(), acts)
}

func (c *computer) portSecurityFlows(pb *PortBinding) {
	if len(pb.PortSecurity) == 0 {
		return
	}
	var addrs []lportAddresses
	for _, s := range pb.PortSecurity {
		la, ok := parseLportAddresses(s)
		if !ok {
			slog.Info("physical: invalid port security entry, no MAC address found", "port", pb.LogicalPort, "entry", s)
			continue
		}
		addrs = append(addrs, la)
	}
	if len(addrs) == 0 {
		return
	}
	p := &portSec{c: c, pb: pb, cookie: cookieOf(pb.UUID)}
	p.inDefaults()
	for i := range addrs {
		a := &addrs[i]
		p.inNoIP(a)
		p.inIPv4(a)
		p.inARP(a)
		p.inIPv6(a)
		p.inND(a)
	}
	p.add(tableChkOutPortSec, 80, p.base(fieldOutport), psDeny)
	for i := range addrs {
		a := &addrs[i]
		p.outNoIP(a)
		p.outIPv4(a)
		p.outIPv6(a)
	}
}

// inDefaults: deny everything, hand ARP to table 74, deny ARP and NA there,
// allow NS (ovn-controller's "hack for now").
func (p *portSec) inDefaults() {
	p.add(tableChkInPortSec, 80, p.base(fieldInport), psDeny)
	p.add(tableChkInPortSec, 95, p.base(fieldInport).set(flow.FieldEthType, ethTypeARP), psCheckND)
	p.add(tableChkInPortSecND, 80, p.base(fieldInport).set(flow.FieldEthType, ethTypeARP), psDeny)
	nd := func(icmpType uint64) *matchBuilder {
		return p.base(fieldInport).set(flow.FieldEthType, ethTypeIPv6).set(flow.FieldIPProto, protoICMPv6).
			set(flow.FieldIPTTL, 255).set(flow.FieldICMPv6Type, icmpType)
	}
	p.add(tableChkInPortSecND, 80, nd(136), psDeny)
	p.add(tableChkInPortSecND, 80, nd(135), psAllow)
}

func (p *portSec) inNoIP(a *lportAddresses) {
	if len(a.ipv4) > 0 || len(a.ipv6) > 0 {
		return
	}
	p.add(tableChkInPortSec, 90, p.base(fieldInport).bytes(flow.FieldEthSrc, a.mac[:]), psCheckND)
}

// srcOrNet matches f on the address, or on its network when the host bits
// are zero (the port may then use any address of the subnet).
func srcOrNet(m *matchBuilder, f flow.Field, pfx ipPrefix) *matchBuilder {
	if pfx.full() || !hostBitsZero(pfx.Prefix) {
		return m.bytes(f, pfx.Addr().AsSlice())
	}
	return m.bytesMasked(f, pfx.Addr().AsSlice(), prefixMask(pfx.Prefix))
}

func (p *portSec) inIPv4(a *lportAddresses) {
	if len(a.ipv4) == 0 {
		return
	}
	for _, pfx := range a.ipv4 {
		m := p.base(fieldInport).bytes(flow.FieldEthSrc, a.mac[:]).set(flow.FieldEthType, ethTypeIP)
		p.add(tableChkInPortSec, 90, srcOrNet(m, flow.FieldIPv4Src, ipPrefix{pfx}), psAllow)
	}
	// DHCP requests.
	m := p.base(fieldInport).bytes(flow.FieldEthSrc, a.mac[:]).set(flow.FieldEthType, ethTypeIP).
		set(flow.FieldIPv4Src, 0).set(flow.FieldIPv4Dst, 0xffffffff).set(flow.FieldIPProto, protoUDP).
		set(flow.FieldUDPSrc, 68).set(flow.FieldUDPDst, 67)
	p.add(tableChkInPortSec, 90, m, psAllow)
}

func (p *portSec) inARP(a *lportAddresses) {
	if len(a.ipv4) == 0 && len(a.ipv6) > 0 {
		return
	}
	arp := func() *matchBuilder {
		return p.base(fieldInport).bytes(flow.FieldEthSrc, a.mac[:]).set(flow.FieldEthType, ethTypeARP).
			bytes(flow.FieldARPSHA, a.mac[:])
	}
	if len(a.ipv4) == 0 {
		p.add(tableChkInPortSecND, 90, arp(), psAllow)
	}
	for _, pfx := range a.ipv4 {
		p.add(tableChkInPortSecND, 90, srcOrNet(arp(), flow.FieldARPSPA, ipPrefix{pfx}), psAllow)
	}
}

func (p *portSec) inIPv6(a *lportAddresses) {
	if len(a.ipv6) == 0 {
		return
	}
	ip6 := func() *matchBuilder {
		return p.base(fieldInport).bytes(flow.FieldEthSrc, a.mac[:]).set(flow.FieldEthType, ethTypeIPv6)
	}
	for _, pfx := range a.ipv6 {
		p.add(tableChkInPortSec, 90, srcOrNet(ip6(), flow.FieldIPv6Src, ipPrefix{pfx}), psCheckND)
	}
	m := ip6().bytes(flow.FieldIPv6Src, lla(a.mac))
	p.add(tableChkInPortSec, 90, m, psCheckND)

	// MLD reports from the unspecified address.
	m.bytes(flow.FieldIPv6Src, make([]byte, 16)).
		bytesMasked(flow.FieldIPv6Dst, ipv6(0xff02), prefixMaskBits(16, 16)).
		set(flow.FieldIPProto, protoICMPv6).set(flow.FieldICMPv6Type, 131).set(flow.FieldICMPv6Code, 0)
	p.add(tableChkInPortSec, 90, m, psAllow)
	m.set(flow.FieldICMPv6Type, 143)
	p.add(tableChkInPortSec, 90, m, psAllow)
	// Neighbour solicitations (DAD) go on to table 74.
	m.set(flow.FieldICMPv6Type, 135)
	p.add(tableChkInPortSec, 90, m, psCheckND)
}

func (p *portSec) inND(a *lportAddresses) {
	// 23.03.0/23.03.1 match nw_ttl=225 here (a typo fixed in 23.03.2).
	m := p.base(fieldInport).set(flow.FieldEthType, ethTypeIPv6).set(flow.FieldIPProto, protoICMPv6).
		set(flow.FieldIPTTL, 225).set(flow.FieldICMPv6Type, 135).set(flow.FieldICMPv6Code, 0)
	m.bytes(flow.FieldNDSLL, make([]byte, 6))
	p.add(tableChkInPortSecND, 90, m, psAllow)
	m.bytes(flow.FieldNDSLL, a.mac[:])
	p.add(tableChkInPortSecND, 90, m, psAllow)

	// OVN keeps nd_sll in the NA match, but OVS normalizes it away (it is
	// only meaningful for solicitations); drop it so matches compare equal.
	m.set(flow.FieldICMPv6Type, 136).set(flow.FieldICMPv6Code, 0)
	m.m.Clear(flow.FieldNDSLL)
	if len(a.ipv6) == 0 {
		m.bytes(flow.FieldNDTLL, make([]byte, 6))
		p.add(tableChkInPortSecND, 90, m, psAllow)
		m.bytes(flow.FieldNDTLL, a.mac[:])
		p.add(tableChkInPortSecND, 90, m, psAllow)
		return
	}
	ll := lla(a.mac)
	m.bytes(flow.FieldNDTLL, make([]byte, 6)).bytes(flow.FieldNDTarget, ll)
	p.add(tableChkInPortSecND, 90, m, psAllow)
	m.bytes(flow.FieldNDTLL, a.mac[:]).bytes(flow.FieldNDTarget, ll)
	p.add(tableChkInPortSecND, 90, m, psAllow)

	for _, pfx := range a.ipv6 {
		n := p.base(fieldInport).bytes(flow.FieldEthSrc, a.mac[:]).set(flow.FieldEthType, ethTypeIPv6).
			set(flow.FieldIPProto, protoICMPv6).set(flow.FieldICMPv6Type, 136).set(flow.FieldICMPv6Code, 0).
			bytes(flow.FieldNDTLL, make([]byte, 6))
		srcOrNet(n, flow.FieldNDTarget, ipPrefix{pfx})
		p.add(tableChkInPortSecND, 90, n, psAllow)
		n.bytes(flow.FieldNDTLL, a.mac[:])
		p.add(tableChkInPortSecND, 90, n, psAllow)
	}
}

func (p *portSec) outNoIP(a *lportAddresses) {
	p.add(tableChkOutPortSec, 85, p.base(fieldOutport).bytes(flow.FieldEthDst, a.mac[:]), psAllow)
}

func (p *portSec) outIPv4(a *lportAddresses) {
	if len(a.ipv4) == 0 && len(a.ipv6) == 0 {
		return
	}
	ip4 := func() *matchBuilder {
		return p.base(fieldOutport).bytes(flow.FieldEthDst, a.mac[:]).set(flow.FieldEthType, ethTypeIP)
	}
	p.add(tableChkOutPortSec, 90, ip4(), psDeny)
	if len(a.ipv4) == 0 {
		return
	}
	for _, pfx := range a.ipv4 {
		m := ip4()
		if pfx.Bits() == 32 || !hostBitsZero(pfx) {
			if pfx.Bits() != 32 {
				p.add(tableChkOutPortSec, 95, m.bytes(flow.FieldIPv4Dst, ipv4Bcast(pfx)), psAllow)
			}
			m.bytes(flow.FieldIPv4Dst, pfx.Addr().AsSlice())
		} else {
			m.bytesMasked(flow.FieldIPv4Dst, pfx.Addr().AsSlice(), prefixMask(pfx))
		}
		p.add(tableChkOutPortSec, 95, m, psAllow)
	}
	m := ip4().set(flow.FieldIPv4Dst, 0xffffffff)
	p.add(tableChkOutPortSec, 95, m, psAllow)
	m.setMasked(flow.FieldIPv4Dst, 0xe0000000, 0xf0000000)
	p.add(tableChkOutPortSec, 95, m, psAllow)
}

func (p *portSec) outIPv6(a *lportAddresses) {
	if len(a.ipv4) == 0 && len(a.ipv6) == 0 {
		return
	}
	ip6 := func() *matchBuilder {
		return p.base(fieldOutport).bytes(flow.FieldEthDst, a.mac[:]).set(flow.FieldEthType, ethTypeIPv6)
	}
	p.add(tableChkOutPortSec, 90, ip6(), psDeny)
	if len(a.ipv6) == 0 {
		return
	}
	for _, pfx := range a.ipv6 {
		p.add(tableChkOutPortSec, 95, srcOrNet(ip6(), flow.FieldIPv6Dst, ipPrefix{pfx}), psAllow)
	}
	m := ip6().bytes(flow.FieldIPv6Dst, lla(a.mac))
	p.add(tableChkOutPortSec, 95, m, psAllow)
	m.bytesMasked(flow.FieldIPv6Dst, ipv6(0xff00), prefixMaskBits(8, 16))
	p.add(tableChkOutPortSec, 95, m, psAllow)
}

// ipv6 is an IPv6 address whose first 16 bits are hi and the rest zero.
func ipv6(hi uint16) []byte {
	b := make([]byte, 16)
	b[0], b[1] = byte(hi>>8), byte(hi)
	return b
}

// prefixMaskBits is an n-byte mask with the first bits set.
func prefixMaskBits(bits, n int) []byte {
	m := make([]byte, n)
	for i := 0; i < bits; i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}
