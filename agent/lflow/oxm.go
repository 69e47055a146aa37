package lflow

import (
	"sort"

	"github.com/chassisd/chassisd/openflow/flow"
)

// Match is a flow.Match that ofctrl can send: it adds the OXM/NXM encoding
// ofctrl.Match needs. Local adapter: openflow/flow has no match encoder yet;
// when it gains one this type should simply defer to it.
type Match struct{ flow.Match }

// AppendOXM appends the match as OXM/NXM TLVs, with each stored field
// written through the view its prerequisites select (icmp_type for an ICMP
// tp_src, arp_spa for an ARP nw_src, nd_sll for an ND arp_sha ...), ordered
// so that every field's prerequisites come before it, as OVS checks them
// while it parses a flow_mod.
func (m Match) AppendOXM(b []byte) []byte {
	ethType, _, _ := m.GetUint(flow.FieldEthType)
	proto, _, _ := m.GetUint(flow.FieldIPProto)
	isARP := ethType == 0x0806 || ethType == 0x8035
	isIP := ethType == 0x0800 || ethType == 0x86dd

	type entry struct {
		f     flow.Field
		v, mk []byte
		rank  int
	}
	var es []entry
	for _, f := range m.Fields() {
		v, mk, ok := m.Get(f)
		if !ok {
			continue
		}
		view := f
		switch f {
		case flow.FieldTCPSrc, flow.FieldTCPDst:
			src := f == flow.FieldTCPSrc
			switch {
			case isIP && proto == 17:
				view = pick(src, flow.FieldUDPSrc, flow.FieldUDPDst)
			case isIP && proto == 132:
				view = pick(src, flow.FieldSCTPSrc, flow.FieldSCTPDst)
			case ethType == 0x0800 && proto == 1:
				view = pick(src, flow.FieldICMPv4Type, flow.FieldICMPv4Code)
				v, mk = v[1:], mk[1:]
			case ethType == 0x86dd && proto == 58:
				view = pick(src, flow.FieldICMPv6Type, flow.FieldICMPv6Code)
				v, mk = v[1:], mk[1:]
			}
		case flow.FieldIPv4Src, flow.FieldIPv4Dst:
			if isARP {
				view = pick(f == flow.FieldIPv4Src, flow.FieldARPSPA, flow.FieldARPTPA)
			}
		case flow.FieldIPProto:
			if isARP {
				view = flow.FieldARPOp
				v, mk = append([]byte{0}, v...), append([]byte{0}, mk...)
			}
		case flow.FieldARPSHA, flow.FieldARPTHA:
			if ethType == 0x86dd {
				view = pick(f == flow.FieldARPSHA, flow.FieldNDSLL, flow.FieldNDTLL)
			}
		case flow.FieldIPDSCP:
			// One stored byte holds DSCP (nw_tos) and ECN.
			if mk[0]&0xfc != 0 {
				es = append(es, entry{flow.FieldIPDSCP, []byte{v[0] & 0xfc}, []byte{mk[0] & 0xfc}, rankOf(flow.FieldIPDSCP)})
			}
			if mk[0]&0x03 != 0 {
				es = append(es, entry{flow.FieldIPECN, []byte{v[0] & 0x03}, []byte{mk[0] & 0x03}, rankOf(flow.FieldIPECN)})
			}
			continue
		}
		es = append(es, entry{view, v, mk, rankOf(view)})
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].rank < es[j].rank })
	for _, e := range es {
		masked := !allOnes(e.mk) && e.f.Maskable()
		b = e.f.AppendHeader(b, masked, len(e.v))
		b = append(b, e.v...)
		if masked {
			b = append(b, e.mk...)
		}
	}
	return b
}

func pick(first bool, a, b flow.Field) flow.Field {
	if first {
		return a
	}
	return b
}

func allOnes(b []byte) bool {
	for _, x := range b {
		if x != 0xff {
			return false
		}
	}
	return true
}

// rankOf orders fields so that prerequisites come first: eth_type and
// VLAN, then L3 (nw_proto among them), then L4, then what depends on an L4
// value (ND fields).
func rankOf(f flow.Field) int {
	switch f {
	case flow.FieldEthType:
		return 1
	case flow.FieldIPProto:
		return 3
	}
	switch f.Prereq() {
	case flow.PrereqNone:
		return 0
	case flow.PrereqEthernet, flow.PrereqVLANVID:
		return 2
	case flow.PrereqARP, flow.PrereqIPv4, flow.PrereqIPv6, flow.PrereqIPAny, flow.PrereqMPLS, flow.PrereqNSH, flow.PrereqCT:
		return 2
	case flow.PrereqTCP, flow.PrereqUDP, flow.PrereqSCTP, flow.PrereqICMPv4, flow.PrereqICMPv6:
		return 4
	default:
		return 5
	}
}
