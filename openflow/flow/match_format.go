package flow

import (
	"strconv"
	"strings"
)

// String formats m exactly as OVS match_to_string(match, NULL,
// OFP_DEFAULT_PRIORITY) does, which is the match part of
// `ovs-ofctl dump-flows`: "tcp,reg14=0x1,metadata=0x2,nw_src=10.0.0.0/8,tp_dst=80".
func (m Match) String() string {
	var buf [256]byte
	return string(m.AppendString(buf[:0]))
}

// AppendString appends the String form of m to b.
func (m Match) AppendString(b []byte) []byte {
	start := len(b)
	b = m.appendFields(b)
	if len(b) > start && b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	return b
}

// matchView indexes a match's entries by slot for formatting.
type matchView struct {
	m      Match
	off    [numFields]uint16 // entry offset + 1; 0 when the slot is unset
	tunMDs bool              // some tun_metadata slot is set
}

func (v *matchView) init(m Match) {
	v.m = m
	for off := 0; off < len(m.enc); {
		e, next := nextMatchEntry(m.enc, off)
		if e.slot < numFields {
			v.off[e.slot] = uint16(off + 1)
		}
		if e.slot >= FieldTunMetadata0 && e.slot <= fieldTunMetadataLast {
			v.tunMDs = true
		}
		off = next
	}
}

// get returns the slot's value and mask; both empty if unset.
func (v *matchView) get(slot Field) (value, mask string) {
	o := v.off[slot]
	if o == 0 {
		return "", ""
	}
	e, _ := nextMatchEntry(v.m.enc, int(o-1))
	return e.value, e.mask
}

func (v *matchView) has(slot Field) bool { return v.off[slot] != 0 }

// u returns the slot's value and mask as integers (0, 0 if unset).
func (v *matchView) u(slot Field) (uint64, uint64) {
	val, mask := v.get(slot)
	return uintOfBytes(val), uintOfBytes(mask)
}

const (
	ethTypeIP        = 0x0800
	ethTypeARP       = 0x0806
	ethTypeRARP      = 0x8035
	ethTypeIPv6      = 0x86dd
	ethTypeMPLS      = 0x8847
	ethTypeMPLSMcast = 0x8848
	ethTypeNSH       = 0x894f

	ipProtoICMP   = 1
	ipProtoTCP    = 6
	ipProtoUDP    = 17
	ipProtoICMPv6 = 58
	ipProtoSCTP   = 132
)

// appendFields follows the order and spelling of OVS match_format().
func (m Match) appendFields(b []byte) []byte {
	var view matchView
	view.init(m)
	v := &view

	b = appendHexMasked32(b, v, "pkt_mark", FieldPktMark)
	b = appendHexMasked32(b, v, "recirc_id", FieldRecircID)
	b = appendHexMasked32(b, v, "dp_hash", FieldDPHash)
	if val, mask := v.u(FieldConjID); mask != 0 {
		b = append(b, "conj_id="...)
		b = strconv.AppendUint(b, val, 10)
		b = append(b, ',')
	}
	if val, mask := v.u(FieldSkbPriority); mask != 0 {
		b = append(b, "skb_priority="...)
		b = appendHexAlt(b, val)
		b = append(b, ',')
	}
	if val, mask := v.u(FieldActsetOutput); mask != 0 {
		b = append(b, "actset_output="...)
		p, err := portFrom32(uint32(val))
		if err != nil {
			p = PortAny
		}
		b = append(b, p.String()...)
		b = append(b, ',')
	}
	if val, mask := v.u(FieldCTState); mask != 0 {
		b = append(b, "ct_state="...)
		if mask == 0xff {
			b = appendFlagBits(b, ctStateNames[:], val, '|')
		} else {
			b = appendFlagBitsMasked(b, ctStateNames[:], val, mask)
		}
		b = append(b, ',')
	}
	if val, mask := v.u(FieldCTZone); mask != 0 {
		b = appendUint16Masked(b, "ct_zone", val, mask)
	}
	b = appendHexMasked32(b, v, "ct_mark", FieldCTMark)
	if val, mask := v.get(FieldCTLabel); mask != "" {
		b = append(b, "ct_label="...)
		b = appendOVSHex(b, val)
		if !bytesOnes(mask) {
			b = append(b, '/')
			b = appendOVSHex(b, mask)
		}
		b = append(b, ',')
	}
	b = appendIPv4Masked(b, v, "ct_nw_src", FieldCTNwSrc)
	b = appendIPv6Masked(b, v, "ct_ipv6_src", FieldCTIPv6Src)
	b = appendIPv4Masked(b, v, "ct_nw_dst", FieldCTNwDst)
	b = appendIPv6Masked(b, v, "ct_ipv6_dst", FieldCTIPv6Dst)
	if val, mask := v.u(FieldCTNwProto); mask != 0 {
		b = append(b, "ct_nw_proto="...)
		b = strconv.AppendUint(b, val&0xff, 10)
		b = append(b, ',')
		b = appendDecMasked16(b, v, "ct_tp_src", FieldCTTpSrc)
		b = appendDecMasked16(b, v, "ct_tp_dst", FieldCTTpDst)
	}

	dlTypeVal, dlTypeMask := v.u(FieldEthType)
	dlType := uint16(dlTypeVal)
	if ptVal, ptMask := v.u(FieldPacketType); ptMask != 0 && !(ptVal == 0 && ptMask == 0xffffffff) {
		b = appendPacketType(b, uint32(ptVal), uint32(ptMask))
		b = append(b, ',')
		if ptVal>>16 == 1 { // OFPHTN_ETHERTYPE
			dlType = uint16(ptVal)
		}
	}
	protoVal, protoMask := v.u(FieldIPProto)
	nwProto := uint8(protoVal)
	skipType, skipProto := false, false
	if dlTypeMask != 0 {
		skipType = true
		switch dlType {
		case ethTypeIP, ethTypeIPv6:
			v6 := dlType == ethTypeIPv6
			name := "ip"
			if v6 {
				name = "ipv6"
			}
			if protoMask != 0 {
				skipProto = true
				switch {
				case nwProto == ipProtoICMP && !v6:
					name = "icmp"
				case nwProto == ipProtoICMPv6 && v6:
					name = "icmp6"
				case nwProto == ipProtoTCP:
					name = "tcp"
				case nwProto == ipProtoUDP:
					name = "udp"
				case nwProto == ipProtoSCTP:
					name = "sctp"
				default:
					skipProto = false
				}
				if skipProto && v6 && nwProto != ipProtoICMPv6 {
					name += "6"
				}
			}
			b = append(b, name...)
			b = append(b, ',')
		case ethTypeARP:
			b = append(b, "arp,"...)
		case ethTypeRARP:
			b = append(b, "rarp,"...)
		case ethTypeMPLS:
			b = append(b, "mpls,"...)
		case ethTypeMPLSMcast:
			b = append(b, "mplsm,"...)
		default:
			skipType = false
		}
	}
	for i := 0; i < 16; i++ {
		b = appendHexMasked32(b, v, fields[FieldReg(i)].name, FieldReg(i))
	}

	b = appendTunnel(b, v)

	if val, mask := v.u(FieldMetadata); mask != 0 {
		b = append(b, "metadata="...)
		b = appendHexAlt(b, val)
		if mask != ^uint64(0) {
			b = append(b, '/')
			b = appendHexAlt(b, mask)
		}
		b = append(b, ',')
	}
	if val, mask := v.u(FieldInPort); mask != 0 {
		b = append(b, "in_port="...)
		b = append(b, Port(val).String()...)
		b = append(b, ',')
	}
	if val, mask := v.u(FieldVLANTCI); mask != 0 {
		b = appendVLAN(b, uint16(val), uint16(mask))
	}
	b = appendEthMasked(b, v, "dl_src", FieldEthSrc)
	b = appendEthMasked(b, v, "dl_dst", FieldEthDst)
	if !skipType && dlTypeMask != 0 {
		b = append(b, "dl_type=0x"...)
		b = appendHexWidth(b, uint64(dlType), 4)
		b = append(b, ',')
	}
	arp := dlType == ethTypeARP || dlType == ethTypeRARP
	switch {
	case dlType == ethTypeIPv6:
		b = appendIPv6Masked(b, v, "ipv6_src", FieldIPv6Src)
		b = appendIPv6Masked(b, v, "ipv6_dst", FieldIPv6Dst)
		if val, mask := v.u(FieldIPv6Label); mask != 0 {
			b = append(b, "ipv6_label=0x"...)
			b = appendHexWidth(b, val, 5)
			if mask != 0xffffffff {
				b = append(b, "/0x"...)
				b = appendHexWidth(b, mask, 5)
			}
			b = append(b, ',')
		}
	case arp:
		b = appendIPv4Masked(b, v, "arp_spa", FieldIPv4Src)
		b = appendIPv4Masked(b, v, "arp_tpa", FieldIPv4Dst)
	case dlType == ethTypeNSH:
		// NSH fields are not supported; OVS would print them here.
	default:
		b = appendIPv4Masked(b, v, "nw_src", FieldIPv4Src)
		b = appendIPv4Masked(b, v, "nw_dst", FieldIPv4Dst)
	}
	if !skipProto && protoMask != 0 {
		if arp {
			b = append(b, "arp_op="...)
		} else {
			b = append(b, "nw_proto="...)
		}
		b = strconv.AppendUint(b, uint64(nwProto), 10)
		b = append(b, ',')
	}
	if arp {
		b = appendEthMasked(b, v, "arp_sha", FieldARPSHA)
		b = appendEthMasked(b, v, "arp_tha", FieldARPTHA)
	}
	if val, mask := v.u(FieldIPDSCP); mask != 0 {
		if mask&ipDSCPMask != 0 {
			b = append(b, "nw_tos="...)
			b = strconv.AppendUint(b, val&ipDSCPMask, 10)
			b = append(b, ',')
		}
		if mask&ipECNMask != 0 {
			b = append(b, "nw_ecn="...)
			b = strconv.AppendUint(b, val&ipECNMask, 10)
			b = append(b, ',')
		}
	}
	if val, mask := v.u(FieldIPTTL); mask != 0 {
		b = append(b, "nw_ttl="...)
		b = strconv.AppendUint(b, val, 10)
		b = append(b, ',')
	}
	if val, mask := v.u(FieldMPLSLabel); mask != 0 {
		if mask&0xfffff000 != 0 {
			b = append(b, "mpls_label="...)
			b = strconv.AppendUint(b, val>>12&0xfffff, 10)
			b = append(b, ',')
		}
		if mask&0xe00 != 0 {
			b = append(b, "mpls_tc="...)
			b = strconv.AppendUint(b, val>>9&7, 10)
			b = append(b, ',')
		}
		if mask&0xff != 0 {
			b = append(b, "mpls_ttl="...)
			b = strconv.AppendUint(b, val&0xff, 10)
			b = append(b, ',')
		}
		if mask&0x100 != 0 {
			b = append(b, "mpls_bos="...)
			b = strconv.AppendUint(b, val>>8&1, 10)
			b = append(b, ',')
		}
	}
	if val, mask := v.u(FieldIPFrag); mask&fragMask != 0 {
		b = append(b, "nw_frag="...)
		switch mask & fragMask {
		case fragAny | fragLater:
			switch val & fragMask {
			case fragAny | fragLater:
				b = append(b, "later"...)
			case fragAny:
				b = append(b, "first"...)
			case fragLater:
				b = append(b, "<error>"...)
			default:
				b = append(b, "no"...)
			}
		case fragAny:
			if val&fragAny != 0 {
				b = append(b, "yes"...)
			} else {
				b = append(b, "no"...)
			}
		case fragLater:
			if val&fragLater != 0 {
				b = append(b, "later"...)
			} else {
				b = append(b, "not_later"...)
			}
		}
		b = append(b, ',')
	}
	switch {
	case dlType == ethTypeIP && nwProto == ipProtoICMP:
		b = appendDecMasked16(b, v, "icmp_type", FieldTCPSrc)
		b = appendDecMasked16(b, v, "icmp_code", FieldTCPDst)
	case dlType == ethTypeIPv6 && nwProto == ipProtoICMPv6:
		b = appendDecMasked16(b, v, "icmp_type", FieldTCPSrc)
		b = appendDecMasked16(b, v, "icmp_code", FieldTCPDst)
		b = appendIPv6Masked(b, v, "nd_target", FieldNDTarget)
		b = appendEthMasked(b, v, "nd_sll", FieldARPSHA)
		b = appendEthMasked(b, v, "nd_tll", FieldARPTHA)
		if val, mask := v.u(FieldNDReserved); mask != 0 {
			b = appendUint32Masked(b, "nd_reserved", val, mask)
		}
		b = appendDecMasked16(b, v, "nd_options_type", FieldTCPFlags)
	default:
		b = appendDecMasked16(b, v, "tp_src", FieldTCPSrc)
		b = appendDecMasked16(b, v, "tp_dst", FieldTCPDst)
	}
	if (dlType == ethTypeIP || dlType == ethTypeIPv6) && nwProto == ipProtoTCP {
		if val, mask := v.u(FieldTCPFlags); mask&0x0fff != 0 {
			b = append(b, "tcp_flags="...)
			if mask&0x0fff == 0x0fff {
				b = appendFlagBits(b, tcpFlagNames[:], val, '|')
			} else {
				b = appendFlagBitsMasked(b, tcpFlagNames[:], val, mask&0x0fff)
			}
			b = append(b, ',')
		}
	}
	for off, _ := findEntry(m.enc, fieldRawOXM); off < len(m.enc); {
		e, next := nextMatchEntry(m.enc, off)
		// OVS would print a field it knows by name; this package shows the
		// entries it does not know as their OXM bytes.
		b = append(b, "unknown_oxm="...)
		b = appendOVSHex(b, e.rawTLV())
		b = append(b, ',')
		off = next
	}
	return b
}

func appendTunnel(b []byte, v *matchView) []byte {
	if val, mask := v.u(FieldTunID); mask != 0 {
		b = append(b, "tun_id="...)
		b = appendHexAlt(b, val)
		if mask != ^uint64(0) {
			b = append(b, '/')
			b = appendHexAlt(b, mask)
		}
		b = append(b, ',')
	}
	b = appendIPv4Masked(b, v, "tun_src", FieldTunSrc)
	b = appendIPv4Masked(b, v, "tun_dst", FieldTunDst)
	b = appendIPv6Masked(b, v, "tun_ipv6_src", FieldTunIPv6Src)
	b = appendIPv6Masked(b, v, "tun_ipv6_dst", FieldTunIPv6Dst)
	b = appendDecMasked16(b, v, "tun_gbp_id", FieldTunGBPID)
	if val, mask := v.u(FieldTunGBPFlags); mask != 0 {
		b = append(b, "tun_gbp_flags="...)
		b = appendHexAlt(b, val)
		b = append(b, ',')
	}
	if val, mask := v.u(FieldTunTOS); mask != 0 {
		b = append(b, "tun_tos="...)
		b = strconv.AppendUint(b, val, 16)
		b = append(b, ',')
	}
	if val, mask := v.u(FieldTunTTL); mask != 0 {
		b = append(b, "tun_ttl="...)
		b = strconv.AppendUint(b, val, 10)
		b = append(b, ',')
	}
	if val, mask := v.u(FieldTunFlags); mask&tunFlagOAM != 0 {
		b = append(b, "tun_flags="...)
		// OVS compares the mask with all four internal flag bits, which a
		// match never has, so the masked form is always used.
		b = appendFlagBitsMasked(b, tunFlagNames[:], val, mask&tunFlagOAM)
		b = append(b, ',')
	}
	for i := 0; i < 64 && v.tunMDs; i++ {
		val, mask := v.get(FieldTunMetadata(i))
		if mask == "" {
			continue
		}
		b = append(b, fields[FieldTunMetadata(i)].name...)
		b = append(b, '=')
		b = appendOVSHex(b, val)
		// Without a TLV map (as in ovs-ofctl) OVS takes the option to be
		// as long as the significant bytes of value and mask, so a mask
		// that is all ones over its significant bytes is not printed.
		if !bytesOnes(strings.TrimLeft(mask, "\x00")) {
			b = append(b, '/')
			b = appendOVSHex(b, mask)
		}
		b = append(b, ',')
	}
	return b
}

// appendVLAN prints vlan_tci as OVS does: dl_vlan/dl_vlan_pcp when the
// match is exactly "has a VLAN header with this VID and/or PCP", else
// vlan_tci with its mask.
func appendVLAN(b []byte, tci, mask uint16) []byte {
	vidMask := mask & vlanVIDMask
	pcpMask := mask & vlanPCPMask
	cfi := mask & vlanCFI
	if cfi != 0 && tci&vlanCFI != 0 &&
		(vidMask == 0 || vidMask == vlanVIDMask) &&
		(pcpMask == 0 || pcpMask == vlanPCPMask) &&
		(vidMask != 0 || pcpMask != 0) {
		if vidMask != 0 {
			b = append(b, "dl_vlan="...)
			b = strconv.AppendUint(b, uint64(tci&vlanVIDMask), 10)
			b = append(b, ',')
		}
		if pcpMask != 0 {
			b = append(b, "dl_vlan_pcp="...)
			b = strconv.AppendUint(b, uint64(tci>>vlanPCPShift), 10)
			b = append(b, ',')
		}
		return b
	}
	b = append(b, "vlan_tci=0x"...)
	b = appendHexWidth(b, uint64(tci), 4)
	if mask != 0xffff {
		b = append(b, "/0x"...)
		b = appendHexWidth(b, uint64(mask), 4)
	}
	return append(b, ',')
}

var ctStateNames = [...]string{"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"}

var tcpFlagNames = [...]string{"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns", "[200]", "[400]", "[800]"}

var tunFlagNames = [...]string{"oam", "df", "csum", "key"}

// appendFlagBits prints set flag bits joined by sep, lowest bit first, unknown
// bits as one hex number at the end, "0" for none (OVS format_flags).
func appendFlagBits(b []byte, names []string, flags uint64, sep byte) []byte {
	if flags == 0 {
		return append(b, '0')
	}
	var bad uint64
	first := true
	for bit := 0; bit < 64; bit++ {
		if flags&(1<<bit) == 0 {
			continue
		}
		if bit >= len(names) {
			bad |= 1 << bit
			continue
		}
		if !first {
			b = append(b, sep)
		}
		b = append(b, names[bit]...)
		first = false
	}
	if bad != 0 {
		if !first {
			b = append(b, sep)
		}
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, bad, 16)
	}
	return b
}

// appendFlagBitsMasked prints +name/-name for each masked bit, lowest first
// (OVS format_flags_masked with a partial mask).
func appendFlagBitsMasked(b []byte, names []string, flags, mask uint64) []byte {
	if mask == 0 {
		return append(b, "0/0"...)
	}
	for bit := 0; bit < 64; bit++ {
		if mask&(1<<bit) == 0 {
			continue
		}
		if flags&(1<<bit) != 0 {
			b = append(b, '+')
		} else {
			b = append(b, '-')
		}
		if bit < len(names) {
			b = append(b, names[bit]...)
		} else {
			b = append(b, "[Unknown]"...)
		}
	}
	return b
}

// appendHexMasked32 is OVS format_uint32_masked: name=%#x[/%#x],
func appendHexMasked32(b []byte, v *matchView, name string, slot Field) []byte {
	val, mask := v.u(slot)
	if mask == 0 {
		return b
	}
	b = append(b, name...)
	b = append(b, '=')
	b = appendHexAlt(b, val)
	if mask != 0xffffffff {
		b = append(b, '/')
		b = appendHexAlt(b, mask)
	}
	return append(b, ',')
}

// appendDecMasked16 is OVS format_be16_masked: decimal when exact, else
// 0x%x/0x%x.
func appendDecMasked16(b []byte, v *matchView, name string, slot Field) []byte {
	val, mask := v.u(slot)
	if mask == 0 {
		return b
	}
	return appendUint16Masked(b, name, val, mask)
}

func appendUint16Masked(b []byte, name string, val, mask uint64) []byte {
	b = append(b, name...)
	b = append(b, '=')
	if mask == 0xffff {
		b = strconv.AppendUint(b, val, 10)
	} else {
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, val, 16)
		b = append(b, "/0x"...)
		b = strconv.AppendUint(b, mask, 16)
	}
	return append(b, ',')
}

// appendUint32Masked is OVS format_be32_masked: decimal when exact, else
// 0x%08x/0x%08x.
func appendUint32Masked(b []byte, name string, val, mask uint64) []byte {
	b = append(b, name...)
	b = append(b, '=')
	if mask == 0xffffffff {
		b = strconv.AppendUint(b, val, 10)
	} else {
		b = append(b, "0x"...)
		b = appendHexWidth(b, val, 8)
		b = append(b, "/0x"...)
		b = appendHexWidth(b, mask, 8)
	}
	return append(b, ',')
}

func appendEthMasked(b []byte, v *matchView, name string, slot Field) []byte {
	val, mask := v.get(slot)
	if mask == "" {
		return b
	}
	b = append(b, name...)
	b = append(b, '=')
	b = appendEthAddr(b, val)
	if !bytesOnes(mask) {
		b = append(b, '/')
		b = appendEthAddr(b, mask)
	}
	return append(b, ',')
}

func appendIPv4Masked(b []byte, v *matchView, name string, slot Field) []byte {
	val, mask := v.get(slot)
	if mask == "" {
		return b
	}
	b = append(b, name...)
	b = append(b, '=')
	b = appendDottedQuad(b, val)
	if m := uint32(uintOfBytes(mask)); m != 0xffffffff {
		if n, ok := prefixLen(mask); ok {
			b = append(b, '/')
			b = strconv.AppendInt(b, int64(n), 10)
		} else {
			b = append(b, '/')
			b = appendDottedQuad(b, mask)
		}
	}
	return append(b, ',')
}

func appendIPv6Masked(b []byte, v *matchView, name string, slot Field) []byte {
	val, mask := v.get(slot)
	if mask == "" {
		return b
	}
	b = append(b, name...)
	b = append(b, '=')
	b = appendInet6(b, val)
	if !bytesOnes(mask) {
		b = append(b, '/')
		if n, ok := prefixLen(mask); ok {
			b = strconv.AppendInt(b, int64(n), 10)
		} else {
			b = appendInet6(b, mask)
		}
	}
	return append(b, ',')
}

// prefixLen reports whether mask is a run of leading ones, and its length.
func prefixLen(mask string) (int, bool) {
	n := 0
	i := 0
	for ; i < len(mask) && mask[i] == 0xff; i++ {
		n += 8
	}
	if i < len(mask) {
		c := mask[i]
		for c&0x80 != 0 {
			n++
			c <<= 1
		}
		if c != 0 {
			return 0, false
		}
		for i++; i < len(mask); i++ {
			if mask[i] != 0 {
				return 0, false
			}
		}
	}
	return n, true
}

func appendPacketType(b []byte, val, mask uint32) []byte {
	if val == 0 && mask == 0xffffffff {
		return append(b, "eth"...)
	}
	b = append(b, "packet_type=("...)
	b = appendPTHalf(b, uint16(val>>16), uint16(mask>>16))
	b = append(b, ',')
	b = appendPTHalf(b, uint16(val), uint16(mask))
	return append(b, ')')
}

func appendPTHalf(b []byte, val, mask uint16) []byte {
	if mask == 0 {
		return append(b, '*')
	}
	if val > 9 {
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, uint64(val), 16)
	} else {
		b = strconv.AppendUint(b, uint64(val), 10)
	}
	if mask != 0xffff {
		b = append(b, "/0x"...)
		b = strconv.AppendUint(b, uint64(mask), 16)
	}
	return b
}

// appendHexAlt is C's "%#x": 0 prints as "0", anything else as 0x....
func appendHexAlt(b []byte, v uint64) []byte {
	if v == 0 {
		return append(b, '0')
	}
	b = append(b, "0x"...)
	return strconv.AppendUint(b, v, 16)
}

// appendHexWidth is "%0<width>x".
func appendHexWidth(b []byte, v uint64, width int) []byte {
	var buf [16]byte
	s := strconv.AppendUint(buf[:0], v, 16)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendOVSHex is OVS ds_put_hex: 0x and the bytes without leading zero
// bytes (the first one without a leading zero digit), "0" when all zero.
func appendOVSHex[T string | []byte](b []byte, val T) []byte {
	const digits = "0123456789abcdef"
	printed := false
	for i := 0; i < len(val); i++ {
		c := val[i]
		switch {
		case printed:
			b = append(b, digits[c>>4], digits[c&15])
		case c != 0:
			b = append(b, "0x"...)
			if c >= 16 {
				b = append(b, digits[c>>4])
			}
			b = append(b, digits[c&15])
			printed = true
		}
	}
	if !printed {
		b = append(b, '0')
	}
	return b
}

func appendEthAddr[T string | []byte](b []byte, mac T) []byte {
	const digits = "0123456789abcdef"
	for i := 0; i < len(mac); i++ {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[mac[i]>>4], digits[mac[i]&15])
	}
	return b
}

func appendDottedQuad[T string | []byte](b []byte, ip T) []byte {
	for i := 0; i < len(ip); i++ {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, uint64(ip[i]), 10)
	}
	return b
}

// appendInet6 formats like glibc inet_ntop: the longest run (leftmost on a
// tie) of two or more zero groups becomes "::", and an address whose first
// 96 bits are zero, or that is IPv4-mapped, ends in dotted quad form.
func appendInet6[T string | []byte](b []byte, ip T) []byte {
	if len(ip) != 16 {
		return appendOVSHex(b, ip)
	}
	var w [8]uint16
	for i := range w {
		w[i] = uint16(ip[2*i])<<8 | uint16(ip[2*i+1])
	}
	bestBase, bestLen := -1, 0
	for i := 0; i < 8; {
		if w[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && w[j] == 0 {
			j++
		}
		if j-i > bestLen {
			bestBase, bestLen = i, j-i
		}
		i = j
	}
	if bestLen < 2 {
		bestBase = -1
	}
	for i := 0; i < 8; i++ {
		if bestBase >= 0 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				b = append(b, ':')
			}
			continue
		}
		if i > 0 {
			b = append(b, ':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			return appendDottedQuad(b, ip[12:16])
		}
		b = strconv.AppendUint(b, uint64(w[i]), 16)
	}
	if bestBase >= 0 && bestBase+bestLen == 8 {
		b = append(b, ':')
	}
	return b
}
