package flow

import (
	"errors"
	"fmt"
)

// ErrPrereq is wrapped by CheckPrereqs errors.
var ErrPrereq = errors.New("flow: prerequisite not met")

// Conntrack state bits (OVS CS_*).
const (
	ctStateNew     = 0x01
	ctStateEst     = 0x02
	ctStateRel     = 0x04
	ctStateRpl     = 0x08
	ctStateInv     = 0x10
	ctStateTrk     = 0x20
	ctStateSrcNAT  = 0x40
	ctStateDstNAT  = 0x80
	ndSolicitation = 135
	ndAdvert       = 136
)

// CheckPrereqs reports the first field whose prerequisites m does not
// match, as ovs-vswitchd does before it accepts a flow (OFPBMC_BAD_PREREQ):
// nw_src needs ip or arp, tp_dst needs tcp/udp/sctp (or icmp for
// icmp_code), nd_target needs an ND icmp6 type with code 0, ct_nw_src needs
// a ct_state that implies a valid connection, and so on.
func (m Match) CheckPrereqs() error {
	var view matchView
	view.init(m)
	v := &view
	dlType, _ := v.u(FieldEthType)
	proto, protoMask := v.u(FieldIPProto)
	tpSrc, _ := v.u(FieldTCPSrc)
	tpDst, _ := v.u(FieldTCPDst)
	ipv4 := dlType == ethTypeIP
	ipv6 := dlType == ethTypeIPv6
	ip := ipv4 || ipv6
	arp := dlType == ethTypeARP || dlType == ethTypeRARP
	l4 := ip && protoMask != 0 && (proto == ipProtoTCP || proto == ipProtoUDP || proto == ipProtoSCTP)
	icmp := protoMask != 0 && ((ipv4 && proto == ipProtoICMP) || (ipv6 && proto == ipProtoICMPv6))
	nd := ipv6 && protoMask != 0 && proto == ipProtoICMPv6 && tpDst == 0 && (tpSrc == ndSolicitation || tpSrc == ndAdvert)
	tcp := ip && protoMask != 0 && proto == ipProtoTCP

	ctState, ctMask := v.u(FieldCTState)
	const valid = ctStateNew | ctStateEst | ctStateRel | ctStateRpl | ctStateSrcNAT | ctStateDstNAT
	ctValid := ctState&valid != 0 ||
		(ctState&ctStateTrk != 0 && ctMask&ctStateInv != 0 && ctState&ctStateInv == 0)

	for off := 0; off < len(m.enc); {
		e, next := nextMatchEntry(m.enc, off)
		off = next
		ok := true
		var need string
		switch e.slot {
		case FieldIPv4Src, FieldIPv4Dst:
			ok, need = ipv4 || arp, "ip or arp"
		case FieldIPv6Src, FieldIPv6Dst, FieldIPv6Label:
			ok, need = ipv6, "ipv6"
		case FieldIPProto:
			ok, need = ip || arp, "ip, ipv6 or arp"
		case FieldIPDSCP, FieldIPTTL, FieldIPFrag:
			ok, need = ip, "ip or ipv6"
		case FieldARPSHA:
			ok, need = arp || (nd && tpSrc == ndSolicitation), "arp or an ND solicitation"
		case FieldARPTHA:
			ok, need = arp || (nd && tpSrc == ndAdvert), "arp or an ND advertisement"
		case FieldTCPSrc, FieldTCPDst:
			ok, need = l4 || icmp, "tcp, udp, sctp, icmp or icmp6"
		case FieldTCPFlags:
			ok, need = tcp || nd, "tcp or ND"
		case FieldNDTarget, FieldNDReserved:
			ok, need = nd, "icmp6 ND (type 135 or 136, code 0)"
		case FieldMPLSLabel:
			ok, need = dlType == ethTypeMPLS || dlType == ethTypeMPLSMcast, "mpls"
		case FieldCTNwSrc, FieldCTNwDst, FieldCTIPv6Src, FieldCTIPv6Dst, FieldCTNwProto, FieldCTTpSrc, FieldCTTpDst:
			ok, need = ctValid, "a ct_state of a valid connection"
		}
		if !ok {
			return fmt.Errorf("%w: %s needs %s in %q", ErrPrereq, e.slot.Name(), need, m.String())
		}
	}
	return nil
}
