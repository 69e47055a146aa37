package lflow

import (
	"net/netip"
	"strings"

	"github.com/chassisd/chassisd/agent/internal/ovshash"
	"github.com/chassisd/chassisd/openflow/expr"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Load balancer hairpin tables (add_lb_hairpin_flows in controller/lflow.c):
// table 68 detects a backend reaching itself through a VIP and learns the
// reply flow into table 69; table 70 SNATs such hairpinned traffic to the
// VIP (or to options:hairpin_snat_ip, then per datapath).

// LoadBalancer is one Southbound Load_Balancer row.
type LoadBalancer struct {
	UUID string
	// VIPs maps "VIP[:port]" to "backend[:port],..." (the vips column).
	VIPs     map[string]string
	Protocol string // "tcp" (default), "udp", "sctp"
	// Options: hairpin_orig_tuple, hairpin_snat_ip, template.
	Options map[string]string
	// Datapaths and DPGroup (Logical_DP_Group _uuid) are where the load
	// balancer applies; it is local if one of them is.
	Datapaths []string
	DPGroup   string
}

type lbVIP struct {
	vip      netip.Addr
	vipPort  uint16
	backends []lbBackend
}

type lbBackend struct {
	ip   netip.Addr
	port uint16
}

// parseLBAddr reads "IP", "IP:port", "[IPv6]:port" or "IPv6".
func parseLBAddr(s string) (netip.Addr, uint16, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), ap.Port(), ap.Port() != 0
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, 0, false
	}
	return a.Unmap(), 0, true
}

// parseLBVIPs parses the vips column as ovn_lb_vip_init_explicit does: a
// VIP with any bad backend is dropped altogether. VIPs come sorted by key
// (their order does not change the flows).
func parseLBVIPs(vips map[string]string) []lbVIP {
	keys := sortedKeys(vips)
	var out []lbVIP
next:
	for _, k := range keys {
		vip, port, ok := parseLBAddr(k)
		if !ok {
			continue
		}
		v := lbVIP{vip: vip, vipPort: port}
		for _, tok := range strings.Split(vips[k], ",") {
			if strings.TrimSpace(tok) == "" {
				continue
			}
			ip, bport, ok := parseLBAddr(tok)
			if !ok || ip.Is4() != vip.Is4() || (port != 0 && bport == 0) {
				continue next
			}
			v.backends = append(v.backends, lbBackend{ip, bport})
		}
		out = append(out, v)
	}
	return out
}

// PutLoadBalancer adds or replaces a Load_Balancer row.
func (t *Translator) PutLoadBalancer(lb LoadBalancer) {
	t.extra.lbs[lb.UUID] = &lb
	t.considerLB(&lb)
}

// DeleteLoadBalancer removes a Load_Balancer row.
func (t *Translator) DeleteLoadBalancer(uuid string) {
	delete(t.extra.lbs, uuid)
	t.dropExtra(sourceID("lb", uuid))
}

// SetLBHairpinUseCTLabel follows SB_Global options:lb_hairpin_use_ct_mark
// (false means true here; ovn-northd 23.03 sets ct_mark).
func (t *Translator) SetLBHairpinUseCTLabel(useLabel bool) {
	if t.lbUseCTLabel == useLabel {
		return
	}
	t.lbUseCTLabel = useLabel
	for _, u := range sortedKeys(t.extra.lbs) {
		t.considerLB(t.extra.lbs[u])
	}
}

func (t *Translator) lbDatapaths(lb *LoadBalancer) []*Datapath {
	var out []*Datapath
	add := func(uuids []string) {
		for _, u := range uuids {
			if dp := t.datapaths[u]; dp != nil {
				out = append(out, dp)
			}
		}
	}
	add(lb.Datapaths)
	if lb.DPGroup != "" {
		add(t.dpGroups[lb.DPGroup])
	}
	return out
}

func (t *Translator) considerLB(lb *LoadBalancer) {
	id := sourceID("lb", lb.UUID)
	t.dropExtra(id)
	dps := t.lbDatapaths(lb)
	local := false
	for _, dp := range dps {
		local = local || dp.Local
	}
	if !local {
		return
	}
	vipMap := lb.VIPs
	if lb.Options["template"] == "true" {
		vipMap = map[string]string{}
		for k, v := range lb.VIPs {
			ek, _ := expr.ExpandTemplates(k, t.tmplVars)
			ev, _ := expr.ExpandTemplates(v, t.tmplVars)
			vipMap[ek] = ev
		}
	}
	vips := parseLBVIPs(vipMap)
	proto := uint8(6)
	switch lb.Protocol {
	case "udp":
		proto = 17
	case "sctp":
		proto = 132
	}
	origTuple := lb.Options["hairpin_orig_tuple"] == "true"
	var snat4, snat6 netip.Addr
	for _, s := range strings.Fields(lb.Options["hairpin_snat_ip"]) {
		if a, err := netip.ParseAddr(s); err == nil {
			if a.Is4() && !snat4.IsValid() {
				snat4 = a
			} else if a.Is6() && !snat6.IsValid() {
				snat6 = a
			}
		}
	}
	cookie := uint64(ovshash.UUIDPart0(lb.UUID))
	out := t.extraOut(id)
	add := func(table uint8, prio uint16, m flow.Match, acts flow.Actions) {
		t.addFlow(out, table, prio, m, &contrib{source: lb.UUID, cookie: cookie, actions: acts})
	}
	const ctTrkDNAT = 0x20 | 0x80

	for _, v := range vips {
		snat := v.vip
		if v.vip.Is4() && snat4.IsValid() {
			snat = snat4
		} else if v.vip.Is6() && snat6.IsValid() {
			snat = snat6
		}
		for _, b := range v.backends {
			var m flow.Match
			if !origTuple {
				m.SetUint(flow.FieldCTState, ctTrkDNAT, ctTrkDNAT)
			}
			matchVIP(&m, v.vip, origTuple)
			if v.vip.Is4() {
				m.Set(flow.FieldIPv4Src, b.ip.AsSlice())
				m.Set(flow.FieldIPv4Dst, b.ip.AsSlice())
			} else {
				m.Set(flow.FieldIPv6Src, b.ip.AsSlice())
				m.Set(flow.FieldIPv6Dst, b.ip.AsSlice())
			}
			if b.port != 0 {
				exact(&m, l4Field(proto, false), uint64(b.port))
				matchVIPPort(&m, proto, v.vipPort, origTuple)
			}
			if t.lbUseCTLabel {
				lbl := make([]byte, 16)
				lbl[15] = pipeline.CTNatted
				m.SetMasked(flow.FieldCTLabel, lbl, lbl)
			} else {
				m.SetUint(flow.FieldCTMark, pipeline.CTNatted, pipeline.CTNatted)
			}
			add(pipeline.TableChkLBHairpin, 100, m, flow.Actions{
				flow.SetFieldMasked(pipeline.RegFlags, 1<<pipeline.FlagLookupLBHairpinBit, 1<<pipeline.FlagLookupLBHairpinBit),
				hairpinReplyLearn(snat, proto, b.port != 0, cookie),
			})
		}

		// add_lb_ct_snat_hairpin_vip_flow
		acts := flow.Actions{flow.CT{Commit: true, Table: flow.TableNone,
			Zone:    flow.Subfield{Field: pipeline.RegSNATZone, Offset: 0, Bits: 16},
			Actions: flow.Actions{flow.NAT{Kind: flow.NATSrc, MinAddr: snat}}}}
		var m flow.Match
		if !origTuple {
			m.SetUint(flow.FieldCTState, ctTrkDNAT, ctTrkDNAT)
		}
		matchVIP(&m, v.vip, origTuple)
		if v.vipPort != 0 {
			matchVIPPort(&m, proto, v.vipPort, origTuple)
		}
		prio := uint16(100)
		if v.vipPort == 0 {
			prio -= 10
		}
		useSnatIP := (v.vip.Is4() && snat4.IsValid()) || (v.vip.Is6() && snat6.IsValid())
		if !useSnatIP {
			add(pipeline.TableCTSnatHairpin, prio, m, acts)
			continue
		}
		for _, dp := range dps {
			if !dp.Local {
				continue
			}
			dm := m
			exact(&dm, flow.FieldMetadata, uint64(dp.TunnelKey))
			add(pipeline.TableCTSnatHairpin, prio+100, dm, acts)
		}
	}
}

// matchVIP matches traffic to vip: its address family, and the VIP in the
// original tuple (hairpin_orig_tuple: northd saved it in reg1/xxreg1) or in
// the conntrack entry.
func matchVIP(m *flow.Match, vip netip.Addr, origTuple bool) {
	switch {
	case vip.Is4() && origTuple:
		exact(m, flow.FieldEthType, 0x0800)
		m.Set(pipeline.RegLBOrigDIPv4, vip.AsSlice())
	case vip.Is4():
		exact(m, flow.FieldEthType, 0x0800)
		m.Set(flow.FieldCTNwDst, vip.AsSlice())
	case origTuple:
		exact(m, flow.FieldEthType, 0x86dd)
		m.Set(pipeline.RegLBOrigDIPv6, vip.AsSlice())
	default:
		exact(m, flow.FieldEthType, 0x86dd)
		m.Set(flow.FieldCTIPv6Dst, vip.AsSlice())
	}
}

// matchVIPPort matches the L4 protocol and the VIP's port, from reg2 or
// from the conntrack entry as in matchVIP.
func matchVIPPort(m *flow.Match, proto uint8, port uint16, origTuple bool) {
	exact(m, flow.FieldIPProto, uint64(proto))
	if origTuple {
		m.SetUint(pipeline.RegLBOrigTPDport, uint64(port), 0xffff)
	} else {
		exact(m, flow.FieldCTNwProto, uint64(proto))
		exact(m, flow.FieldCTTpDst, uint64(port))
	}
}

func l4Field(proto uint8, src bool) flow.Field {
	switch proto {
	case 17:
		return pick(src, flow.FieldUDPSrc, flow.FieldUDPDst)
	case 132:
		return pick(src, flow.FieldSCTPSrc, flow.FieldSCTPDst)
	}
	return pick(src, flow.FieldTCPSrc, flow.FieldTCPDst)
}

// hairpinReplyLearn is add_lb_vip_hairpin_reply_action: learn a table-69
// flow matching the reply of the hairpinned session.
func hairpinReplyLearn(snat netip.Addr, proto uint8, hasL4Port bool, cookie uint64) flow.Learn {
	whole := flow.WholeField
	l := flow.Learn{Table: pipeline.TableChkLBHairpinReply, DeleteLearned: true,
		Priority: flow.LearnDefaultPriority, Cookie: cookie}
	ethType, ipSrc, ipDst := []byte{0x08, 0x00}, flow.FieldIPv4Src, flow.FieldIPv4Dst
	if snat.Is6() {
		ethType, ipSrc, ipDst = []byte{0x86, 0xdd}, flow.FieldIPv6Src, flow.FieldIPv6Dst
	}
	l.Specs = append(l.Specs,
		flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(flow.FieldMetadata), Dst: whole(flow.FieldMetadata)},
		flow.LearnSpec{Kind: flow.LearnMatch, Imm: ethType, Dst: whole(flow.FieldEthType)},
		flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(ipSrc), Dst: whole(ipSrc)},
		flow.LearnSpec{Kind: flow.LearnMatch, Imm: snat.AsSlice(), Dst: whole(ipDst)},
	)
	if hasL4Port {
		l.Specs = append(l.Specs,
			flow.LearnSpec{Kind: flow.LearnMatch, Imm: []byte{proto}, Dst: whole(flow.FieldIPProto)},
			flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(l4Field(proto, false)), Dst: whole(l4Field(proto, true))},
		)
	} else {
		l.Specs = append(l.Specs, flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(flow.FieldIPProto), Dst: whole(flow.FieldIPProto)})
	}
	l.Specs = append(l.Specs, flow.LearnSpec{Kind: flow.LearnLoad, Imm: []byte{1},
		Dst: flow.Subfield{Field: pipeline.RegFlags, Offset: pipeline.FlagLookupLBHairpinBit, Bits: 1}})
	return l
}

func pick(first bool, a, b flow.Field) flow.Field {
	if first {
		return a
	}
	return b
}
