package lflow

import (
	"net"
	"net/netip"
	"strings"

	"github.com/chassisd/chassisd/agent/internal/ovshash"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Port security of the ports bound here (consider_port_sec_flows and the
// build_*_port_sec_* helpers of controller/lflow.c): tables 73 (ingress),
// 74 (ingress ARP/ND) and 75 (egress). The flows, priorities and even the
// match state carried from one flow to the next follow ovn-controller, so
// the tables come out identical (including its nw_ttl=225 for NS/NA).

type psAddrs struct {
	mac net.HardwareAddr
	ip4 []netip.Prefix // address with its prefix length
	ip6 []netip.Prefix
}

// parsePortSecurity reads one port_security entry: "MAC [IP[/len]]...".
func parsePortSecurity(s string) (psAddrs, bool) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return psAddrs{}, false
	}
	mac, err := net.ParseMAC(f[0])
	if err != nil || len(mac) != 6 {
		return psAddrs{}, false
	}
	a := psAddrs{mac: mac}
	for _, tok := range f[1:] {
		p, err := netip.ParsePrefix(tok)
		if err != nil {
			ip, err2 := netip.ParseAddr(tok)
			if err2 != nil {
				return psAddrs{}, false
			}
			p = netip.PrefixFrom(ip, ip.BitLen())
		}
		if p.Addr().Is4() {
			a.ip4 = append(a.ip4, p)
		} else {
			a.ip6 = append(a.ip6, p)
		}
	}
	return a, true
}

func maskBytes(bits, total int) []byte {
	b := make([]byte, total/8)
	for i := 0; i < bits; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return b
}

// hostZero reports whether p's address has no bits outside its prefix.
func hostZero(p netip.Prefix) bool { return p.Masked().Addr() == p.Addr() }

// setIPMatch matches f on the address, or on the network when the host
// part is zero and the prefix is not a full-length one.
func setIPMatch(m *flow.Match, f flow.Field, p netip.Prefix) {
	full := p.Bits() == p.Addr().BitLen()
	a := p.Addr().AsSlice()
	if full || !hostZero(p) {
		m.Set(f, a)
		return
	}
	m.SetMasked(f, p.Masked().Addr().AsSlice(), maskBytes(p.Bits(), p.Addr().BitLen()))
}

func lla(mac net.HardwareAddr) []byte {
	ip := make([]byte, 16)
	ip[0], ip[1] = 0xfe, 0x80
	ip[8], ip[9], ip[10] = mac[0]^0x02, mac[1], mac[2]
	ip[11], ip[12] = 0xff, 0xfe
	ip[13], ip[14], ip[15] = mac[3], mac[4], mac[5]
	return ip
}

func (t *Translator) considerPortSec(pb *PortBinding) {
	id := sourceID("ps", pb.Name)
	t.dropExtra(id)
	if len(pb.PortSecurity) == 0 || !pb.Resident || (pb.Type != pipeline.PortVIF && pb.Type != pipeline.PortVirtual) {
		return
	}
	dp := t.datapaths[pb.Datapath]
	if dp == nil {
		return
	}
	var addrs []psAddrs
	for _, s := range pb.PortSecurity {
		if a, ok := parsePortSecurity(s); ok {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return
	}
	out := t.extraOut(id)
	cookie := uint64(ovshash.UUIDPart0(pb.UUID))
	var m flow.Match
	reset := func(reg flow.Field) {
		m = flow.Match{}
		exact(&m, flow.FieldMetadata, uint64(dp.TunnelKey))
		exact(&m, reg, uint64(pb.TunnelKey))
	}
	deny := flow.Actions{setFlag(pipeline.FlagCheckPortSec, true)}
	allow := flow.Actions{setFlag(pipeline.FlagCheckPortSec, false)}
	advND := flow.Actions{flow.Resubmit{Table: pipeline.TableChkInPortSecND}}
	add := func(table uint8, prio uint16, acts flow.Actions) {
		t.addFlow(out, table, prio, m, &contrib{source: pb.UUID, cookie: cookie, actions: acts})
	}
	const (
		inTbl  = pipeline.TableChkInPortSec
		ndTbl  = pipeline.TableChkInPortSecND
		outTbl = pipeline.TableChkOutPortSec
	)

	// build_in_port_sec_default_flows
	reset(pipeline.RegInport)
	add(inTbl, 80, deny)
	exact(&m, flow.FieldEthType, 0x0806)
	add(inTbl, 95, advND)
	reset(pipeline.RegInport)
	exact(&m, flow.FieldEthType, 0x0806)
	add(ndTbl, 80, deny)
	exact(&m, flow.FieldEthType, 0x86dd)
	exact(&m, flow.FieldIPProto, 58)
	exact(&m, flow.FieldIPTTL, 255)
	exact(&m, flow.FieldICMPv6Type, 136)
	add(ndTbl, 80, deny)
	exact(&m, flow.FieldICMPv6Type, 135)
	add(ndTbl, 80, allow)

	for _, a := range addrs {
		// build_in_port_sec_no_ip_flows
		if len(a.ip4) == 0 && len(a.ip6) == 0 {
			reset(pipeline.RegInport)
			m.Set(flow.FieldEthSrc, a.mac)
			add(inTbl, 90, advND)
		}
		// build_in_port_sec_ip4_flows
		if len(a.ip4) > 0 {
			for _, p := range a.ip4 {
				reset(pipeline.RegInport)
				m.Set(flow.FieldEthSrc, a.mac)
				exact(&m, flow.FieldEthType, 0x0800)
				setIPMatch(&m, flow.FieldIPv4Src, p)
				add(inTbl, 90, allow)
			}
			reset(pipeline.RegInport)
			m.Set(flow.FieldEthSrc, a.mac)
			exact(&m, flow.FieldEthType, 0x0800)
			exact(&m, flow.FieldIPv4Src, 0)
			exact(&m, flow.FieldIPv4Dst, 0xffffffff)
			exact(&m, flow.FieldIPProto, 17)
			exact(&m, flow.FieldUDPSrc, 68)
			exact(&m, flow.FieldUDPDst, 67)
			add(inTbl, 90, allow)
		}
		// build_in_port_sec_arp_flows
		if !(len(a.ip4) == 0 && len(a.ip6) > 0) {
			if len(a.ip4) == 0 {
				reset(pipeline.RegInport)
				m.Set(flow.FieldEthSrc, a.mac)
				exact(&m, flow.FieldEthType, 0x0806)
				m.Set(flow.FieldARPSHA, a.mac)
				add(ndTbl, 90, allow)
			}
			for _, p := range a.ip4 {
				reset(pipeline.RegInport)
				m.Set(flow.FieldEthSrc, a.mac)
				exact(&m, flow.FieldEthType, 0x0806)
				m.Set(flow.FieldARPSHA, a.mac)
				setIPMatch(&m, flow.FieldARPSPA, p)
				add(ndTbl, 90, allow)
			}
		}
		// build_in_port_sec_ip6_flows
		if len(a.ip6) > 0 {
			for _, p := range a.ip6 {
				reset(pipeline.RegInport)
				m.Set(flow.FieldEthSrc, a.mac)
				exact(&m, flow.FieldEthType, 0x86dd)
				setIPMatch(&m, flow.FieldIPv6Src, p)
				add(inTbl, 90, advND)
			}
			reset(pipeline.RegInport)
			m.Set(flow.FieldEthSrc, a.mac)
			exact(&m, flow.FieldEthType, 0x86dd)
			m.Set(flow.FieldIPv6Src, lla(a.mac))
			add(inTbl, 90, advND)
			m.Set(flow.FieldIPv6Src, make([]byte, 16))
			ff02 := make([]byte, 16)
			ff02[0], ff02[1] = 0xff, 0x02
			m.SetMasked(flow.FieldIPv6Dst, ff02, maskBytes(16, 128))
			exact(&m, flow.FieldIPProto, 58)
			exact(&m, flow.FieldICMPv6Type, 131)
			exact(&m, flow.FieldICMPv6Code, 0)
			add(inTbl, 90, allow)
			exact(&m, flow.FieldICMPv6Type, 143)
			add(inTbl, 90, allow)
			exact(&m, flow.FieldICMPv6Type, 135)
			add(inTbl, 90, advND)
		}
		// build_in_port_sec_nd_flows
		reset(pipeline.RegInport)
		exact(&m, flow.FieldEthType, 0x86dd)
		exact(&m, flow.FieldIPProto, 58)
		exact(&m, flow.FieldIPTTL, 225)
		exact(&m, flow.FieldICMPv6Type, 135)
		exact(&m, flow.FieldICMPv6Code, 0)
		m.Set(flow.FieldARPSHA, make([]byte, 6))
		add(ndTbl, 90, allow)
		m.Set(flow.FieldARPSHA, a.mac)
		add(ndTbl, 90, allow)
		exact(&m, flow.FieldICMPv6Type, 136)
		exact(&m, flow.FieldICMPv6Code, 0)
		// ovn-controller leaves nd_sll set here, but OVS keeps nd_sll
		// only in NS matches, so the installed flow has none.
		m.Clear(flow.FieldARPSHA)
		if len(a.ip6) > 0 {
			m.Set(flow.FieldARPTHA, make([]byte, 6))
			m.Set(flow.FieldNDTarget, lla(a.mac))
			add(ndTbl, 90, allow)
			m.Set(flow.FieldARPTHA, a.mac)
			m.Set(flow.FieldNDTarget, lla(a.mac))
			add(ndTbl, 90, allow)
			for _, p := range a.ip6 {
				reset(pipeline.RegInport)
				m.Set(flow.FieldEthSrc, a.mac)
				exact(&m, flow.FieldEthType, 0x86dd)
				exact(&m, flow.FieldIPProto, 58)
				exact(&m, flow.FieldICMPv6Type, 136)
				exact(&m, flow.FieldICMPv6Code, 0)
				m.Set(flow.FieldARPTHA, make([]byte, 6))
				setIPMatch(&m, flow.FieldNDTarget, p)
				add(ndTbl, 90, allow)
				m.Set(flow.FieldARPTHA, a.mac)
				add(ndTbl, 90, allow)
			}
		} else {
			m.Set(flow.FieldARPTHA, make([]byte, 6))
			add(ndTbl, 90, allow)
			m.Set(flow.FieldARPTHA, a.mac)
			add(ndTbl, 90, allow)
		}
	}

	// Out port security.
	reset(pipeline.RegOutport)
	add(outTbl, 80, deny)
	for _, a := range addrs {
		// build_out_port_sec_no_ip_flows
		reset(pipeline.RegOutport)
		m.Set(flow.FieldEthDst, a.mac)
		add(outTbl, 85, allow)
		if len(a.ip4) == 0 && len(a.ip6) == 0 {
			continue
		}
		// build_out_port_sec_ip4_flows
		reset(pipeline.RegOutport)
		m.Set(flow.FieldEthDst, a.mac)
		exact(&m, flow.FieldEthType, 0x0800)
		add(outTbl, 90, deny)
		if len(a.ip4) > 0 {
			for _, p := range a.ip4 {
				reset(pipeline.RegOutport)
				m.Set(flow.FieldEthDst, a.mac)
				exact(&m, flow.FieldEthType, 0x0800)
				if p.Bits() == 32 || !hostZero(p) {
					if p.Bits() != 32 {
						bcast := p.Masked().Addr().As4()
						hostBits := 32 - p.Bits()
						v := uint32(bcast[0])<<24 | uint32(bcast[1])<<16 | uint32(bcast[2])<<8 | uint32(bcast[3])
						v |= (1<<hostBits - 1)
						exact(&m, flow.FieldIPv4Dst, uint64(v))
						add(outTbl, 95, allow)
					}
					m.Set(flow.FieldIPv4Dst, p.Addr().AsSlice())
				} else {
					m.SetMasked(flow.FieldIPv4Dst, p.Masked().Addr().AsSlice(), maskBytes(p.Bits(), 32))
				}
				add(outTbl, 95, allow)
			}
			reset(pipeline.RegOutport)
			m.Set(flow.FieldEthDst, a.mac)
			exact(&m, flow.FieldEthType, 0x0800)
			exact(&m, flow.FieldIPv4Dst, 0xffffffff)
			add(outTbl, 95, allow)
			m.Clear(flow.FieldIPv4Dst) // SetMasked merges; OVS replaces
			m.SetMasked(flow.FieldIPv4Dst, []byte{0xe0, 0, 0, 0}, []byte{0xf0, 0, 0, 0})
			add(outTbl, 95, allow)
		}
		// build_out_port_sec_ip6_flows
		reset(pipeline.RegOutport)
		m.Set(flow.FieldEthDst, a.mac)
		exact(&m, flow.FieldEthType, 0x86dd)
		add(outTbl, 90, deny)
		if len(a.ip6) > 0 {
			for _, p := range a.ip6 {
				reset(pipeline.RegOutport)
				m.Set(flow.FieldEthDst, a.mac)
				exact(&m, flow.FieldEthType, 0x86dd)
				setIPMatch(&m, flow.FieldIPv6Dst, p)
				add(outTbl, 95, allow)
			}
			reset(pipeline.RegOutport)
			m.Set(flow.FieldEthDst, a.mac)
			exact(&m, flow.FieldEthType, 0x86dd)
			m.Set(flow.FieldIPv6Dst, lla(a.mac))
			add(outTbl, 95, allow)
			ff := make([]byte, 16)
			ff[0] = 0xff
			m.Clear(flow.FieldIPv6Dst)
			m.SetMasked(flow.FieldIPv6Dst, ff, maskBytes(8, 128))
			add(outTbl, 95, allow)
		}
	}
}
