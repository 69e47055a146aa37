package physical

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/flow"
)

// Load-balancer hairpin tables (controller/lflow.h).
const (
	tableChkLBHairpin      = 68
	tableChkLBHairpinReply = 69
	tableCTSNATHairpin     = 70
)

// ct_state bits and the "natted" bit of ct_mark / ct_label.
const (
	ctStateTracked = 0x20
	ctStateDNAT    = 0x80
	ctNatted       = 0x2
)

// lbVIP is one parsed Load_Balancer.vips entry (ovn_lb_vip).
type lbVIP struct {
	vip      netip.Addr
	port     uint16
	backends []lbBackend
}

type lbBackend struct {
	ip   netip.Addr
	port uint16
}

// parsedLB is ovn_controller_lb: the VIPs that parse, the protocol and the
// hairpin options.
type parsedLB struct {
	lb        *LoadBalancer
	proto     uint8
	vips      []lbVIP
	origTuple bool
	snat4     netip.Addr // hairpin_snat_ip, first IPv4
	snat6     netip.Addr // hairpin_snat_ip, first IPv6
}

// loadBalancerFlows is consider_lb_hairpin_flows() for every local load
// balancer (one with a local datapath): detect hairpinned traffic (68),
// learn its replies (69) and SNAT it (70).
func (c *computer) loadBalancerFlows() {
	lbs := make([]*LoadBalancer, 0, len(c.in.LoadBalancers))
	for i := range c.in.LoadBalancers {
		lbs = append(lbs, &c.in.LoadBalancers[i])
	}
	sort.SliceStable(lbs, func(i, j int) bool { return lbs[i].UUID < lbs[j].UUID })
	for _, lb := range lbs {
		if !c.want(lb.UUID) || !c.lbIsLocal(lb) {
			continue
		}
		c.origin = lb.UUID
		p := parseLB(lb)
		for _, v := range p.vips {
			for _, b := range v.backends {
				c.lbHairpinFlow(p, v, b)
			}
		}
		for _, v := range p.vips {
			c.lbSNATHairpinFlows(p, v)
		}
	}
	c.origin = ""
}

func (c *computer) lbIsLocal(lb *LoadBalancer) bool {
	for _, dp := range lb.Datapaths {
		if c.localDP[dp] != nil {
			return true
		}
	}
	return false
}

func parseLB(lb *LoadBalancer) *parsedLB {
	p := &parsedLB{lb: lb, proto: 6, origTuple: optionTrue(lb.Options, "hairpin_orig_tuple")}
	switch lb.Protocol {
	case "udp":
		p.proto = 17
	case "sctp":
		p.proto = 132
	}
	for _, s := range strings.Fields(lb.Options["hairpin_snat_ip"]) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		if a.Is4() && !p.snat4.IsValid() {
			p.snat4 = a
		} else if a.Is6() && !p.snat6.IsValid() {
			p.snat6 = a
		}
	}
	for _, key := range sortedKeys(lb.VIPs) {
		if v, ok := parseVIP(key, lb.VIPs[key]); ok {
			p.vips = append(p.vips, v)
		}
	}
	return p
}

// parseVIP is ovn_lb_vip_init_explicit(): a VIP with any bad backend is
// dropped whole.
func parseVIP(key, value string) (lbVIP, bool) {
	var v lbVIP
	ip, port, ok := parseLBAddr(key)
	if !ok {
		return v, false
	}
	v.vip, v.port = ip, port
	for _, tok := range strings.Split(value, ",") {
		if tok == "" {
			continue
		}
		bip, bport, ok := parseLBAddr(tok)
		if !ok || bip.Is4() != ip.Is4() || (port != 0) != (bport != 0) {
			return v, false
		}
		v.backends = append(v.backends, lbBackend{bip, bport})
	}
	return v, true
}

// parseLBAddr parses "IP", "IP:port", "[IPv6]" or "[IPv6]:port" (and a bare
// IPv6 address).
func parseLBAddr(s string) (netip.Addr, uint16, bool) {
	s = strings.TrimSpace(s)
	host, portStr := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return netip.Addr{}, 0, false
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return netip.Addr{}, 0, false
			}
			portStr = rest[1:]
		}
	case strings.Count(s, ":") == 1:
		host, portStr, _ = strings.Cut(s, ":")
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	var port uint64
	if portStr != "" {
		port, err = strconv.ParseUint(portStr, 10, 16)
		if err != nil || port == 0 {
			return netip.Addr{}, 0, false
		}
	}
	return ip, uint16(port), true
}

// lbOrigDst matches the load-balanced destination: the original tuple
// northd saved in reg1/xxreg1 and reg2[0..15], or (older northd) conntrack's
// original tuple, which needs ct_state=+trk+dnat.
func lbOrigDst(m *matchBuilder, p *parsedLB, v lbVIP, withPort bool) {
	if !p.origTuple {
		m.setMasked(flow.FieldCTState, ctStateTracked|ctStateDNAT, ctStateTracked|ctStateDNAT)
	}
	if v.vip.Is4() {
		if p.origTuple {
			m.bytes(flow.FieldReg(1), v.vip.AsSlice())
		} else {
			m.bytes(flow.FieldCTNwDst, v.vip.AsSlice())
		}
	} else {
		if p.origTuple {
			m.bytes(flow.FieldXXReg(1), v.vip.AsSlice())
		} else {
			m.bytes(flow.FieldCTIPv6Dst, v.vip.AsSlice())
		}
	}
	if withPort {
		m.set(flow.FieldIPProto, uint64(p.proto))
		if p.origTuple {
			m.regMasked(flow.FieldReg(2), uint32(v.port), 0xffff)
		} else {
			m.set(flow.FieldCTNwProto, uint64(p.proto))
			m.set(flow.FieldCTTpDst, uint64(v.port))
		}
	}
}

// lbHairpinFlow is add_lb_vip_hairpin_flows(): a backend talking to
// itself through the VIP sets MLF_LOOKUP_LB_HAIRPIN and learns a flow that
// recognises the replies.
func (c *computer) lbHairpinFlow(p *parsedLB, v lbVIP, b lbBackend) {
	m := newMatch()
	snat := v.vip
	if v.vip.Is4() {
		m.set(flow.FieldEthType, ethTypeIP).bytes(flow.FieldIPv4Src, b.ip.AsSlice()).bytes(flow.FieldIPv4Dst, b.ip.AsSlice())
		if p.snat4.IsValid() {
			snat = p.snat4
		}
	} else {
		m.set(flow.FieldEthType, ethTypeIPv6).bytes(flow.FieldIPv6Src, b.ip.AsSlice()).bytes(flow.FieldIPv6Dst, b.ip.AsSlice())
		if p.snat6.IsValid() {
			snat = p.snat6
		}
	}
	lbOrigDst(m, p, v, false)
	if b.port != 0 {
		m.set(flow.FieldIPProto, uint64(p.proto)).set(l4DstField(p.proto), uint64(b.port))
		if p.origTuple {
			m.regMasked(flow.FieldReg(2), uint32(v.port), 0xffff)
		} else {
			m.set(flow.FieldCTNwProto, uint64(p.proto)).set(flow.FieldCTTpDst, uint64(v.port))
		}
	}
	if c.in.LBHairpinUseCTLabel {
		m.bytesMasked(flow.FieldCTLabel, u128(ctNatted), u128(ctNatted))
	} else {
		m.setMasked(flow.FieldCTMark, ctNatted, ctNatted)
	}

	var a actionList
	a.loadBits(fieldFlags, 7, 1, 1) // MLF_LOOKUP_LB_HAIRPIN
	a.add(c.lbHairpinReplyLearn(p, snat, b.port != 0))
	c.add(tableChkLBHairpin, 100, cookieOf(p.lb.UUID), m.done(), a.list())
}

// lbHairpinReplyLearn is add_lb_vip_hairpin_reply_action(): learn, into
// table 69, a flow matching the replies (backend → VIP or SNAT address).
func (c *computer) lbHairpinReplyLearn(p *parsedLB, vip netip.Addr, hasL4Port bool) flow.Learn {
	whole := flow.WholeField
	l := flow.Learn{Table: tableChkLBHairpinReply, Priority: flow.LearnDefaultPriority,
		Cookie: cookieOf(p.lb.UUID), DeleteLearned: true}
	l.Specs = append(l.Specs, flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(fieldMetadata), Dst: whole(fieldMetadata)})
	src, dst, ethType := flow.FieldIPv4Src, flow.FieldIPv4Dst, []byte{0x08, 0x00}
	if vip.Is6() {
		src, dst, ethType = flow.FieldIPv6Src, flow.FieldIPv6Dst, []byte{0x86, 0xdd}
	}
	l.Specs = append(l.Specs,
		flow.LearnSpec{Kind: flow.LearnMatch, Imm: ethType, Dst: whole(flow.FieldEthType)},
		flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(src), Dst: whole(src)},
		flow.LearnSpec{Kind: flow.LearnMatch, Imm: vip.AsSlice(), Dst: whole(dst)})
	if hasL4Port {
		l.Specs = append(l.Specs,
			flow.LearnSpec{Kind: flow.LearnMatch, Imm: []byte{p.proto}, Dst: whole(flow.FieldIPProto)},
			flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(l4DstField(p.proto)), Dst: whole(l4SrcField(p.proto))})
	} else {
		l.Specs = append(l.Specs, flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(flow.FieldIPProto), Dst: whole(flow.FieldIPProto)})
	}
	l.Specs = append(l.Specs, flow.LearnSpec{Kind: flow.LearnLoad, Imm: []byte{1},
		Dst: flow.Subfield{Field: fieldFlags, Offset: 7, Bits: 1}})
	return l
}

// lbSNATHairpinFlows is add_lb_ct_snat_hairpin_vip_flow(): hairpinned
// traffic is SNATed to the VIP (one flow for all datapaths), or to
// hairpin_snat_ip (one flow per local datapath, higher priority).
func (c *computer) lbSNATHairpinFlows(p *parsedLB, v lbVIP) {
	m := newMatch()
	snat := v.vip
	useSNATIP := false
	if v.vip.Is4() {
		m.set(flow.FieldEthType, ethTypeIP)
		if p.snat4.IsValid() {
			snat, useSNATIP = p.snat4, true
		}
	} else {
		m.set(flow.FieldEthType, ethTypeIPv6)
		if p.snat6.IsValid() {
			snat, useSNATIP = p.snat6, true
		}
	}
	lbOrigDst(m, p, v, v.port != 0)
	acts := flow.Actions{flow.CT{Commit: true, Table: flow.TableNone,
		Zone:    flow.Subfield{Field: fieldSNATZone, Offset: 0, Bits: 16},
		Actions: flow.Actions{flow.NAT{Kind: flow.NATSrc, MinAddr: snat}}}}

	priority := uint16(100)
	if v.port == 0 {
		// Less specific than the LBs with L4 ports.
		priority -= 10
	}
	cookie := cookieOf(p.lb.UUID)
	if !useSNATIP {
		c.add(tableCTSNATHairpin, priority, cookie, m.done(), acts)
		return
	}
	for _, dp := range p.lb.Datapaths {
		if c.localDP[dp] == nil {
			continue
		}
		dm := *m
		c.add(tableCTSNATHairpin, priority+100, cookie, dm.metadata(dp).done(), acts)
	}
}

func l4DstField(proto uint8) flow.Field {
	switch proto {
	case 17:
		return flow.FieldUDPDst
	case 132:
		return flow.FieldSCTPDst
	}
	return flow.FieldTCPDst
}

func l4SrcField(proto uint8) flow.Field {
	switch proto {
	case 17:
		return flow.FieldUDPSrc
	case 132:
		return flow.FieldSCTPSrc
	}
	return flow.FieldTCPSrc
}

// u128 is a 16-byte big-endian value with v in its low 64 bits.
func u128(v uint64) []byte {
	b := make([]byte, 16)
	for i := 15; i >= 8; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}
