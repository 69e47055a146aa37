package flow

import (
	"errors"
	"fmt"
	"strconv"
)

// Field identifies one OVS field (an MFF_* of OVS meta-flow). The zero Field
// is invalid. Fields are small integers: cheap to copy, compare and index.
type Field uint16

// Prereq is the prerequisite OVS enforces before a field may be matched.
type Prereq uint8

// Prerequisites, as OVS meta-flow names them (MFP_*).
const (
	PrereqNone      Prereq = iota
	PrereqEthernet         // any Ethernet packet
	PrereqARP              // dl_type=0x0806 or 0x8035
	PrereqIPv4             // dl_type=0x0800
	PrereqIPv6             // dl_type=0x86dd
	PrereqIPAny            // IPv4 or IPv6
	PrereqVLANVID          // a VLAN header is present
	PrereqMPLS             // dl_type is an MPLS ethertype
	PrereqTCP              // IPv4/IPv6 and nw_proto=6
	PrereqUDP              // IPv4/IPv6 and nw_proto=17
	PrereqSCTP             // IPv4/IPv6 and nw_proto=132
	PrereqICMPv4           // IPv4 and nw_proto=1
	PrereqICMPv6           // IPv6 and nw_proto=58
	PrereqND               // ICMPv6 type 135 or 136, code 0
	PrereqNDSolicit        // ICMPv6 type 135, code 0
	PrereqNDAdvert         // ICMPv6 type 136, code 0
	PrereqCT               // conntrack state marks a valid connection
	PrereqNSH              // dl_type=0x894f
)

// Format is how OVS prints a field's value (mf_format).
type Format uint8

// Value formats (the "Formatting:" of OVS meta-flow).
const (
	FormatHex         Format = iota // 0x1a
	FormatDecimal                   // 26
	FormatIPv4                      // 10.0.0.1
	FormatIPv6                      // fe80::1
	FormatEthernet                  // 00:00:00:00:00:01
	FormatOFPort                    // OpenFlow 1.0 port: number or LOCAL, CONTROLLER...
	FormatOFPort32                  // OpenFlow 1.1+ port, same spelling
	FormatFrag                      // no, first, later, yes, not_later
	FormatTunnelFlags               // +oam
	FormatTCPFlags                  // +syn-ack
	FormatCTState                   // +trk+est
	FormatPacketType                // (0,0x800)
)

// OXM classes used by the headers of the fields below.
const (
	oxmClassNXM0         = 0x0000 // NXM_OF_*
	oxmClassNXM1         = 0x0001 // NXM_NX_*
	oxmClassEricsson     = 0x1000 // ERICOXM_OF_*
	oxmClassBasic        = 0x8000 // OXM_OF_*
	oxmClassPacketRegs   = 0x8001 // OXM_OF_PKT_REG*
	oxmClassExperimenter = 0xffff

	experimenterNicira = 0x00002320 // NXOXM_ET_*
	experimenterONF    = 0x4f4e4600 // ONFOXM_ET_*
	experimenterNSH    = 0x005ad650 // NXOXM_NSH_*
)

// header is one NXM/OXM header a field can be sent with. version is the
// lowest OpenFlow wire version (0x03 = 1.2 ... 0x06 = 1.5) that may use it;
// 0 means any.
type header struct {
	name         string
	class        uint16
	field        uint8
	experimenter uint32
	version      uint8
}

type fieldInfo struct {
	name     string // the name OVS prints
	alias    string // the other name ovs-ofctl accepts ("" if none)
	bits     int
	bytes    int
	maskable bool
	writable bool
	variable bool // tun_metadata: the wire length follows the TLV mapping
	prereq   Prereq
	format   Format
	headers  []header // in OVS's order: NXM first, then by OpenFlow version
}

// Field constants. The names follow OVS's MFF_* identifiers.
const (
	FieldInvalid Field = iota
	FieldDPHash
	FieldRecircID
	FieldPacketType
	FieldConjID
	FieldTunID
	FieldTunSrc
	FieldTunDst
	FieldTunIPv6Src
	FieldTunIPv6Dst
	FieldTunFlags
	FieldTunTTL
	FieldTunTOS
	FieldTunGBPID
	FieldTunGBPFlags
	FieldTunMetadata0    // tun_metadata0..63 follow: FieldTunMetadata(i)
	fieldTunMetadataLast = FieldTunMetadata0 + 63
)

const (
	FieldMetadata Field = fieldTunMetadataLast + 1 + iota
	FieldInPort
	FieldInPortOXM
	FieldActsetOutput
	FieldSkbPriority
	FieldPktMark
	FieldCTState
	FieldCTZone
	FieldCTMark
	FieldCTLabel
	FieldCTNwProto
	FieldCTNwSrc
	FieldCTNwDst
	FieldCTIPv6Src
	FieldCTIPv6Dst
	FieldCTTpSrc
	FieldCTTpDst
	FieldReg0    // reg0..15 follow: FieldReg(i)
	fieldRegLast = FieldReg0 + 15
)

const (
	FieldXReg0 Field = fieldRegLast + 1 + iota // xreg0..7 follow: FieldXReg(i)
	_
	_
	_
	_
	_
	_
	_
	FieldXXReg0 // xxreg0..3 follow: FieldXXReg(i)
	_
	_
	_
	FieldEthSrc
	FieldEthDst
	FieldEthType
	FieldVLANTCI
	FieldDLVLAN
	FieldVLANVID
	FieldDLVLANPCP
	FieldVLANPCP
	FieldMPLSLabel
	FieldMPLSTC
	FieldMPLSBOS
	FieldMPLSTTL
	FieldIPv4Src
	FieldIPv4Dst
	FieldIPv6Src
	FieldIPv6Dst
	FieldIPv6Label
	FieldIPProto
	FieldIPDSCP        // nw_tos: the DSCP bits in place (value & 0xfc)
	FieldIPDSCPShifted // ip_dscp: the DSCP bits shifted right by 2
	FieldIPECN
	FieldIPTTL
	FieldIPFrag
	FieldARPOp
	FieldARPSPA
	FieldARPTPA
	FieldARPSHA
	FieldARPTHA
	FieldTCPSrc
	FieldTCPDst
	FieldTCPFlags
	FieldUDPSrc
	FieldUDPDst
	FieldSCTPSrc
	FieldSCTPDst
	FieldICMPv4Type
	FieldICMPv4Code
	FieldICMPv6Type
	FieldICMPv6Code
	FieldNDTarget
	FieldNDSLL
	FieldNDTLL
	FieldNDReserved
	FieldNDOptionsType
	numFields
)

// FieldReg returns reg<i> (0..15).
func FieldReg(i int) Field { return FieldReg0 + Field(i) }

// FieldXReg returns xreg<i> (0..7), the 64-bit view of reg<2i> (high) and reg<2i+1>.
func FieldXReg(i int) Field { return FieldXReg0 + Field(i) }

// FieldXXReg returns xxreg<i> (0..3), the 128-bit view of reg<4i> (high) .. reg<4i+3>.
func FieldXXReg(i int) Field { return FieldXXReg0 + Field(i) }

// FieldTunMetadata returns tun_metadata<i> (0..63).
func FieldTunMetadata(i int) Field { return FieldTunMetadata0 + Field(i) }

var fields = buildFieldTable()

func nxm0(name string, field uint8) header {
	return header{name: name, class: oxmClassNXM0, field: field}
}
func nxm1(name string, field uint8) header {
	return header{name: name, class: oxmClassNXM1, field: field}
}

// oxm is an OpenFlow basic-class header usable since OpenFlow wire version v.
func oxm(name string, field uint8, v uint8) header {
	return header{name: name, class: oxmClassBasic, field: field, version: v}
}

func nxoxm(name string, field uint8) header {
	return header{name: name, class: oxmClassExperimenter, field: field, experimenter: experimenterNicira}
}

const (
	of12 = 0x03
	of13 = 0x04
	of15 = 0x06
)

func buildFieldTable() [numFields]fieldInfo {
	var t [numFields]fieldInfo
	// def fills one entry; bits is the field's significant width, bytes its
	// storage width.
	def := func(f Field, name, alias string, bits, bytes int, maskable, writable bool, prereq Prereq, format Format, hs ...header) {
		t[f] = fieldInfo{name: name, alias: alias, bits: bits, bytes: bytes, maskable: maskable,
			writable: writable, prereq: prereq, format: format, headers: hs}
	}
	const (
		mask   = true
		nomask = false
		rw     = true
		ro     = false
	)
	def(FieldDPHash, "dp_hash", "", 32, 4, mask, ro, PrereqNone, FormatHex, nxm1("NXM_NX_DP_HASH", 35), nxoxm("NXOXM_ET_DP_HASH", 0))
	def(FieldRecircID, "recirc_id", "", 32, 4, nomask, ro, PrereqNone, FormatDecimal, nxm1("NXM_NX_RECIRC_ID", 36))
	def(FieldPacketType, "packet_type", "", 32, 4, nomask, ro, PrereqNone, FormatPacketType, oxm("OXM_OF_PACKET_TYPE", 44, of15))
	def(FieldConjID, "conj_id", "", 32, 4, nomask, ro, PrereqNone, FormatDecimal, nxm1("NXM_NX_CONJ_ID", 37))
	def(FieldTunID, "tun_id", "tunnel_id", 64, 8, mask, rw, PrereqNone, FormatHex, nxm1("NXM_NX_TUN_ID", 16), oxm("OXM_OF_TUNNEL_ID", 38, of13))
	def(FieldTunSrc, "tun_src", "", 32, 4, mask, rw, PrereqNone, FormatIPv4, nxm1("NXM_NX_TUN_IPV4_SRC", 31))
	def(FieldTunDst, "tun_dst", "", 32, 4, mask, rw, PrereqNone, FormatIPv4, nxm1("NXM_NX_TUN_IPV4_DST", 32))
	def(FieldTunIPv6Src, "tun_ipv6_src", "", 128, 16, mask, rw, PrereqNone, FormatIPv6, nxm1("NXM_NX_TUN_IPV6_SRC", 109))
	def(FieldTunIPv6Dst, "tun_ipv6_dst", "", 128, 16, mask, rw, PrereqNone, FormatIPv6, nxm1("NXM_NX_TUN_IPV6_DST", 110))
	def(FieldTunFlags, "tun_flags", "", 1, 2, mask, rw, PrereqNone, FormatTunnelFlags, nxm1("NXM_NX_TUN_FLAGS", 104))
	def(FieldTunTTL, "tun_ttl", "", 8, 1, nomask, ro, PrereqNone, FormatDecimal)
	def(FieldTunTOS, "tun_tos", "", 8, 1, nomask, ro, PrereqNone, FormatDecimal)
	def(FieldTunGBPID, "tun_gbp_id", "", 16, 2, mask, rw, PrereqNone, FormatDecimal, nxm1("NXM_NX_TUN_GBP_ID", 38))
	def(FieldTunGBPFlags, "tun_gbp_flags", "", 8, 1, mask, rw, PrereqNone, FormatHex, nxm1("NXM_NX_TUN_GBP_FLAGS", 39))
	for i := 0; i < 64; i++ {
		n := strconv.Itoa(i)
		def(FieldTunMetadata(i), "tun_metadata"+n, "", 124*8, 124, mask, rw, PrereqNone, FormatHex,
			nxm1("NXM_NX_TUN_METADATA"+n, uint8(40+i)))
		t[FieldTunMetadata(i)].variable = true
	}
	def(FieldMetadata, "metadata", "", 64, 8, mask, rw, PrereqNone, FormatHex, oxm("OXM_OF_METADATA", 2, of12))
	def(FieldInPort, "in_port", "", 16, 2, nomask, rw, PrereqNone, FormatOFPort, nxm0("NXM_OF_IN_PORT", 0))
	def(FieldInPortOXM, "in_port_oxm", "", 32, 4, nomask, rw, PrereqNone, FormatOFPort32, oxm("OXM_OF_IN_PORT", 0, of12))
	def(FieldActsetOutput, "actset_output", "", 32, 4, nomask, ro, PrereqNone, FormatOFPort32,
		header{name: "ONFOXM_ET_ACTSET_OUTPUT", class: oxmClassExperimenter, field: 43, experimenter: experimenterONF, version: of13},
		oxm("OXM_OF_ACTSET_OUTPUT", 43, of15))
	def(FieldSkbPriority, "skb_priority", "", 32, 4, nomask, ro, PrereqNone, FormatHex)
	def(FieldPktMark, "pkt_mark", "", 32, 4, mask, rw, PrereqNone, FormatHex, nxm1("NXM_NX_PKT_MARK", 33))
	def(FieldCTState, "ct_state", "", 32, 4, mask, ro, PrereqNone, FormatCTState, nxm1("NXM_NX_CT_STATE", 105))
	def(FieldCTZone, "ct_zone", "", 16, 2, nomask, ro, PrereqNone, FormatHex, nxm1("NXM_NX_CT_ZONE", 106))
	def(FieldCTMark, "ct_mark", "", 32, 4, mask, rw, PrereqNone, FormatHex, nxm1("NXM_NX_CT_MARK", 107))
	def(FieldCTLabel, "ct_label", "", 128, 16, mask, rw, PrereqNone, FormatHex, nxm1("NXM_NX_CT_LABEL", 108))
	def(FieldCTNwProto, "ct_nw_proto", "", 8, 1, nomask, ro, PrereqCT, FormatDecimal, nxm1("NXM_NX_CT_NW_PROTO", 119))
	def(FieldCTNwSrc, "ct_nw_src", "", 32, 4, mask, ro, PrereqCT, FormatIPv4, nxm1("NXM_NX_CT_NW_SRC", 120))
	def(FieldCTNwDst, "ct_nw_dst", "", 32, 4, mask, ro, PrereqCT, FormatIPv4, nxm1("NXM_NX_CT_NW_DST", 121))
	def(FieldCTIPv6Src, "ct_ipv6_src", "", 128, 16, mask, ro, PrereqCT, FormatIPv6, nxm1("NXM_NX_CT_IPV6_SRC", 122))
	def(FieldCTIPv6Dst, "ct_ipv6_dst", "", 128, 16, mask, ro, PrereqCT, FormatIPv6, nxm1("NXM_NX_CT_IPV6_DST", 123))
	def(FieldCTTpSrc, "ct_tp_src", "", 16, 2, mask, ro, PrereqCT, FormatDecimal, nxm1("NXM_NX_CT_TP_SRC", 124))
	def(FieldCTTpDst, "ct_tp_dst", "", 16, 2, mask, ro, PrereqCT, FormatDecimal, nxm1("NXM_NX_CT_TP_DST", 125))
	for i := 0; i < 16; i++ {
		n := strconv.Itoa(i)
		def(FieldReg(i), "reg"+n, "", 32, 4, mask, rw, PrereqNone, FormatHex, nxm1("NXM_NX_REG"+n, uint8(i)))
	}
	for i := 0; i < 8; i++ {
		n := strconv.Itoa(i)
		def(FieldXReg(i), "xreg"+n, "", 64, 8, mask, rw, PrereqNone, FormatHex,
			header{name: "OXM_OF_PKT_REG" + n, class: oxmClassPacketRegs, field: uint8(i), version: of13})
	}
	for i := 0; i < 4; i++ {
		n := strconv.Itoa(i)
		def(FieldXXReg(i), "xxreg"+n, "", 128, 16, mask, rw, PrereqNone, FormatHex, nxm1("NXM_NX_XXREG"+n, uint8(111+i)))
	}
	def(FieldEthSrc, "eth_src", "dl_src", 48, 6, mask, rw, PrereqEthernet, FormatEthernet, nxm0("NXM_OF_ETH_SRC", 2), oxm("OXM_OF_ETH_SRC", 4, of12))
	def(FieldEthDst, "eth_dst", "dl_dst", 48, 6, mask, rw, PrereqEthernet, FormatEthernet, nxm0("NXM_OF_ETH_DST", 1), oxm("OXM_OF_ETH_DST", 3, of12))
	def(FieldEthType, "eth_type", "dl_type", 16, 2, nomask, ro, PrereqEthernet, FormatHex, nxm0("NXM_OF_ETH_TYPE", 3), oxm("OXM_OF_ETH_TYPE", 5, of12))
	def(FieldVLANTCI, "vlan_tci", "", 16, 2, mask, rw, PrereqEthernet, FormatHex, nxm0("NXM_OF_VLAN_TCI", 4))
	def(FieldDLVLAN, "dl_vlan", "", 12, 2, nomask, rw, PrereqEthernet, FormatDecimal)
	def(FieldVLANVID, "vlan_vid", "", 12, 2, mask, rw, PrereqEthernet, FormatDecimal, oxm("OXM_OF_VLAN_VID", 6, of12))
	def(FieldDLVLANPCP, "dl_vlan_pcp", "", 3, 1, nomask, rw, PrereqEthernet, FormatDecimal)
	def(FieldVLANPCP, "vlan_pcp", "", 3, 1, nomask, rw, PrereqVLANVID, FormatDecimal, oxm("OXM_OF_VLAN_PCP", 7, of12))
	def(FieldMPLSLabel, "mpls_label", "", 20, 4, nomask, rw, PrereqMPLS, FormatDecimal, oxm("OXM_OF_MPLS_LABEL", 34, of12))
	def(FieldMPLSTC, "mpls_tc", "", 3, 1, nomask, rw, PrereqMPLS, FormatDecimal, oxm("OXM_OF_MPLS_TC", 35, of12))
	def(FieldMPLSBOS, "mpls_bos", "", 1, 1, nomask, ro, PrereqMPLS, FormatDecimal, oxm("OXM_OF_MPLS_BOS", 36, of13))
	def(FieldMPLSTTL, "mpls_ttl", "", 8, 1, nomask, rw, PrereqMPLS, FormatDecimal, nxm1("NXM_NX_MPLS_TTL", 30))
	def(FieldIPv4Src, "ip_src", "nw_src", 32, 4, mask, rw, PrereqIPv4, FormatIPv4, nxm0("NXM_OF_IP_SRC", 7), oxm("OXM_OF_IPV4_SRC", 11, of12))
	def(FieldIPv4Dst, "ip_dst", "nw_dst", 32, 4, mask, rw, PrereqIPv4, FormatIPv4, nxm0("NXM_OF_IP_DST", 8), oxm("OXM_OF_IPV4_DST", 12, of12))
	def(FieldIPv6Src, "ipv6_src", "", 128, 16, mask, rw, PrereqIPv6, FormatIPv6, nxm1("NXM_NX_IPV6_SRC", 19), oxm("OXM_OF_IPV6_SRC", 26, of12))
	def(FieldIPv6Dst, "ipv6_dst", "", 128, 16, mask, rw, PrereqIPv6, FormatIPv6, nxm1("NXM_NX_IPV6_DST", 20), oxm("OXM_OF_IPV6_DST", 27, of12))
	def(FieldIPv6Label, "ipv6_label", "", 20, 4, mask, rw, PrereqIPv6, FormatHex, nxm1("NXM_NX_IPV6_LABEL", 27), oxm("OXM_OF_IPV6_FLABEL", 28, of12))
	def(FieldIPProto, "nw_proto", "ip_proto", 8, 1, nomask, ro, PrereqIPAny, FormatDecimal, nxm0("NXM_OF_IP_PROTO", 6), oxm("OXM_OF_IP_PROTO", 10, of12))
	def(FieldIPDSCP, "nw_tos", "", 8, 1, nomask, rw, PrereqIPAny, FormatDecimal, nxm0("NXM_OF_IP_TOS", 5))
	def(FieldIPDSCPShifted, "ip_dscp", "", 6, 1, nomask, rw, PrereqIPAny, FormatDecimal, oxm("OXM_OF_IP_DSCP", 8, of12))
	def(FieldIPECN, "nw_ecn", "ip_ecn", 2, 1, nomask, rw, PrereqIPAny, FormatDecimal, nxm1("NXM_NX_IP_ECN", 28), oxm("OXM_OF_IP_ECN", 9, of12))
	def(FieldIPTTL, "nw_ttl", "", 8, 1, nomask, rw, PrereqIPAny, FormatDecimal, nxm1("NXM_NX_IP_TTL", 29))
	def(FieldIPFrag, "ip_frag", "nw_frag", 2, 1, mask, ro, PrereqIPAny, FormatFrag, nxm1("NXM_NX_IP_FRAG", 26))
	def(FieldARPOp, "arp_op", "", 16, 2, nomask, rw, PrereqARP, FormatDecimal, nxm0("NXM_OF_ARP_OP", 15), oxm("OXM_OF_ARP_OP", 21, of12))
	def(FieldARPSPA, "arp_spa", "", 32, 4, mask, rw, PrereqARP, FormatIPv4, nxm0("NXM_OF_ARP_SPA", 16), oxm("OXM_OF_ARP_SPA", 22, of12))
	def(FieldARPTPA, "arp_tpa", "", 32, 4, mask, rw, PrereqARP, FormatIPv4, nxm0("NXM_OF_ARP_TPA", 17), oxm("OXM_OF_ARP_TPA", 23, of12))
	def(FieldARPSHA, "arp_sha", "", 48, 6, mask, rw, PrereqARP, FormatEthernet, nxm1("NXM_NX_ARP_SHA", 17), oxm("OXM_OF_ARP_SHA", 24, of12))
	def(FieldARPTHA, "arp_tha", "", 48, 6, mask, rw, PrereqARP, FormatEthernet, nxm1("NXM_NX_ARP_THA", 18), oxm("OXM_OF_ARP_THA", 25, of12))
	def(FieldTCPSrc, "tcp_src", "tp_src", 16, 2, mask, rw, PrereqTCP, FormatDecimal, nxm0("NXM_OF_TCP_SRC", 9), oxm("OXM_OF_TCP_SRC", 13, of12))
	def(FieldTCPDst, "tcp_dst", "tp_dst", 16, 2, mask, rw, PrereqTCP, FormatDecimal, nxm0("NXM_OF_TCP_DST", 10), oxm("OXM_OF_TCP_DST", 14, of12))
	def(FieldTCPFlags, "tcp_flags", "", 12, 2, mask, ro, PrereqTCP, FormatTCPFlags, nxm1("NXM_NX_TCP_FLAGS", 34),
		header{name: "ONFOXM_ET_TCP_FLAGS", class: oxmClassExperimenter, field: 42, experimenter: experimenterONF, version: of13},
		oxm("OXM_OF_TCP_FLAGS", 42, of15))
	def(FieldUDPSrc, "udp_src", "", 16, 2, mask, rw, PrereqUDP, FormatDecimal, nxm0("NXM_OF_UDP_SRC", 11), oxm("OXM_OF_UDP_SRC", 15, of12))
	def(FieldUDPDst, "udp_dst", "", 16, 2, mask, rw, PrereqUDP, FormatDecimal, nxm0("NXM_OF_UDP_DST", 12), oxm("OXM_OF_UDP_DST", 16, of12))
	def(FieldSCTPSrc, "sctp_src", "", 16, 2, mask, rw, PrereqSCTP, FormatDecimal, oxm("OXM_OF_SCTP_SRC", 17, of12))
	def(FieldSCTPDst, "sctp_dst", "", 16, 2, mask, rw, PrereqSCTP, FormatDecimal, oxm("OXM_OF_SCTP_DST", 18, of12))
	def(FieldICMPv4Type, "icmp_type", "", 8, 1, nomask, rw, PrereqICMPv4, FormatDecimal, nxm0("NXM_OF_ICMP_TYPE", 13), oxm("OXM_OF_ICMPV4_TYPE", 19, of12))
	def(FieldICMPv4Code, "icmp_code", "", 8, 1, nomask, rw, PrereqICMPv4, FormatDecimal, nxm0("NXM_OF_ICMP_CODE", 14), oxm("OXM_OF_ICMPV4_CODE", 20, of12))
	def(FieldICMPv6Type, "icmpv6_type", "", 8, 1, nomask, rw, PrereqICMPv6, FormatDecimal, nxm1("NXM_NX_ICMPV6_TYPE", 21), oxm("OXM_OF_ICMPV6_TYPE", 29, of12))
	def(FieldICMPv6Code, "icmpv6_code", "", 8, 1, nomask, rw, PrereqICMPv6, FormatDecimal, nxm1("NXM_NX_ICMPV6_CODE", 22), oxm("OXM_OF_ICMPV6_CODE", 30, of12))
	def(FieldNDTarget, "nd_target", "", 128, 16, mask, rw, PrereqND, FormatIPv6, nxm1("NXM_NX_ND_TARGET", 23), oxm("OXM_OF_IPV6_ND_TARGET", 31, of12))
	def(FieldNDSLL, "nd_sll", "", 48, 6, mask, rw, PrereqNDSolicit, FormatEthernet, nxm1("NXM_NX_ND_SLL", 24), oxm("OXM_OF_IPV6_ND_SLL", 32, of12))
	def(FieldNDTLL, "nd_tll", "", 48, 6, mask, rw, PrereqNDAdvert, FormatEthernet, nxm1("NXM_NX_ND_TLL", 25), oxm("OXM_OF_IPV6_ND_TLL", 33, of12))
	def(FieldNDReserved, "nd_reserved", "", 32, 4, nomask, rw, PrereqND, FormatDecimal,
		header{name: "ERICOXM_OF_ICMPV6_ND_RESERVED", class: oxmClassEricsson, field: 1})
	def(FieldNDOptionsType, "nd_options_type", "", 8, 1, nomask, rw, PrereqND, FormatDecimal,
		header{name: "ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE", class: oxmClassEricsson, field: 2})
	return t
}

var fieldsByName = func() map[string]Field {
	m := make(map[string]Field, 3*int(numFields))
	for f := Field(1); f < numFields; f++ {
		fi := &fields[f]
		m[fi.name] = f
		if fi.alias != "" {
			m[fi.alias] = f
		}
		for _, h := range fi.headers {
			m[h.name] = f
		}
	}
	return m
}()

// FieldByName looks a field up by its OVS name, its alias (dl_src, nw_src,
// tp_src ...) or one of its NXM/OXM names (NXM_NX_REG0, OXM_OF_METADATA ...).
func FieldByName(name string) (Field, bool) {
	f, ok := fieldsByName[name]
	return f, ok
}

// Fields returns every known field in registry order.
func Fields() []Field {
	out := make([]Field, 0, numFields-1)
	for f := Field(1); f < numFields; f++ {
		out = append(out, f)
	}
	return out
}

// Valid reports whether f is a known field.
func (f Field) Valid() bool { return f > FieldInvalid && f < numFields }

func (f Field) info() *fieldInfo {
	if !f.Valid() {
		return &fields[FieldInvalid]
	}
	return &fields[f]
}

// Name is the name OVS prints for the field in matches and set_field.
func (f Field) Name() string {
	if !f.Valid() {
		return "Field(" + strconv.Itoa(int(f)) + ")"
	}
	return fields[f].name
}

// String returns Name.
func (f Field) String() string { return f.Name() }

// Alias is the field's other ovs-ofctl name (dl_src for eth_src), or "".
func (f Field) Alias() string { return f.info().alias }

// Bits is the field's width in bits (for tun_metadata the largest possible).
func (f Field) Bits() int { return f.info().bits }

// Bytes is the field's storage width in bytes: values and masks are
// big-endian byte strings of this length.
func (f Field) Bytes() int { return f.info().bytes }

// Maskable reports whether the field may be matched with an arbitrary mask.
func (f Field) Maskable() bool { return f.info().maskable }

// Writable reports whether actions (set_field, load, move) may write it.
func (f Field) Writable() bool { return f.info().writable }

// VariableLength reports whether the field's wire length depends on a
// mapping (tun_metadata, whose length comes from the TLV table).
func (f Field) VariableLength() bool { return f.info().variable }

// Prereq is the prerequisite OVS checks before matching the field.
func (f Field) Prereq() Prereq { return f.info().prereq }

// Format is how OVS prints the field's values.
func (f Field) Format() Format { return f.info().format }

// wireHeader is the header OVS uses for f with OpenFlow 1.5: the last of the
// field's headers allowed in that version (NXM headers are allowed in any).
func (f Field) wireHeader() (header, bool) {
	if f.Valid() {
		h := &wireHeaders[f]
		return h.h, h.ok
	}
	return header{}, false
}

var wireHeaders = func() (t [numFields]struct {
	h  header
	ok bool
}) {
	for f := Field(1); f < numFields; f++ {
		t[f].h, t[f].ok = f.chooseWireHeader()
	}
	return t
}()

func (f Field) chooseWireHeader() (header, bool) {
	hs := f.info().headers
	var best header
	ok := false
	for _, h := range hs {
		if !ok || of15 >= h.version {
			best, ok = h, true
		}
	}
	return best, ok
}

// NXMName is the NXM/OXM name of the header OVS uses for the field with
// OpenFlow 1.5 (OVS nx_format_field_name), or the field name when the field
// has no header.
func (f Field) NXMName() string {
	if h, ok := f.wireHeader(); ok {
		return h.name
	}
	return f.Name()
}

// SubfieldName is the name OVS prints for the field inside a subfield
// (move:NXM_NX_REG0[0..15]->..., push, pop, learn): its first NXM/OXM name,
// or its field name when it has none.
func (f Field) SubfieldName() string {
	if hs := f.info().headers; len(hs) > 0 {
		return hs[0].name
	}
	return f.Name()
}

// Header lookups for decoding: class, field and experimenter of every header.
type headerKey struct {
	class        uint16
	field        uint8
	experimenter uint32
}

var fieldsByHeader = func() map[headerKey]Field {
	m := make(map[headerKey]Field)
	for f := Field(1); f < numFields; f++ {
		for _, h := range fields[f].headers {
			m[headerKey{h.class, h.field, h.experimenter}] = f
		}
	}
	return m
}()

// AppendHeader appends the NXM/OXM header OVS uses for f with OpenFlow 1.5
// (4 bytes, plus the experimenter ID for experimenter OXMs). valueLen is the
// value length in bytes; 0 means Bytes() (tun_metadata uses its mapped
// length). With masked the header announces value and mask. It returns b
// unchanged if f has no header.
func (f Field) AppendHeader(b []byte, masked bool, valueLen int) []byte {
	if valueLen <= 0 {
		valueLen = f.Bytes()
	}
	return f.appendHeaderLen(b, masked, valueLen)
}

// appendHeaderLen is AppendHeader with valueLen taken as is (0 is an
// empty value).
func (f Field) appendHeaderLen(b []byte, masked bool, valueLen int) []byte {
	h, ok := f.wireHeader()
	if !ok {
		return b
	}
	payload := valueLen
	var hm uint8
	if masked {
		payload *= 2
		hm = 1
	}
	if h.class == oxmClassExperimenter {
		payload += 4
	}
	b = append(b, byte(h.class>>8), byte(h.class), h.field<<1|hm, byte(payload))
	if h.class == oxmClassExperimenter {
		b = append(b, byte(h.experimenter>>24), byte(h.experimenter>>16), byte(h.experimenter>>8), byte(h.experimenter))
	}
	return b
}

// HasHeader reports whether f can be sent over OpenFlow at all.
func (f Field) HasHeader() bool {
	_, ok := f.wireHeader()
	return ok
}

// ErrShortHeader and ErrUnknownHeader are returned by DecodeHeader.
var (
	ErrShortHeader   = errors.New("flow: truncated NXM/OXM header")
	ErrUnknownHeader = errors.New("flow: unknown NXM/OXM field")
)

// DecodeHeader reads one NXM/OXM header at the start of b. It returns the
// field, whether a mask follows, the length of the value in bytes (the
// payload is valueLen, or 2*valueLen when masked) and the header's length
// in bytes (4, or 8 with an experimenter ID).
func DecodeHeader(b []byte) (f Field, masked bool, valueLen int, n int, err error) {
	if len(b) < 4 {
		return 0, false, 0, 0, ErrShortHeader
	}
	class := uint16(b[0])<<8 | uint16(b[1])
	field := b[2] >> 1
	masked = b[2]&1 != 0
	payload := int(b[3])
	n = 4
	key := headerKey{class: class, field: field}
	if class == oxmClassExperimenter {
		if len(b) < 8 {
			return 0, false, 0, 0, ErrShortHeader
		}
		key.experimenter = uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
		n = 8
		payload -= 4
		if payload < 0 {
			return 0, false, 0, 0, fmt.Errorf("flow: experimenter OXM %08x:%d: length %d: %w", key.experimenter, field, b[3], ErrShortHeader)
		}
	}
	f, ok := fieldsByHeader[key]
	if !ok {
		if class == oxmClassExperimenter {
			return 0, false, 0, n, fmt.Errorf("flow: OXM class 0x%04x experimenter 0x%08x field %d: %w", class, key.experimenter, field, ErrUnknownHeader)
		}
		return 0, false, 0, n, fmt.Errorf("flow: OXM class 0x%04x field %d: %w", class, field, ErrUnknownHeader)
	}
	valueLen = payload
	if masked {
		if payload%2 != 0 {
			return 0, false, 0, n, fmt.Errorf("flow: %s: odd masked length %d", f.NXMName(), payload)
		}
		valueLen = payload / 2
	}
	if !f.VariableLength() && valueLen != f.Bytes() {
		return 0, false, 0, n, fmt.Errorf("flow: %s: length %d, want %d", f.NXMName(), valueLen, f.Bytes())
	}
	// A variable-length field may come with no value: OVS dumps
	// set_field:0->tun_metadata0 so. Matches reject that themselves.
	if f.VariableLength() && valueLen > f.Bytes() {
		return 0, false, 0, n, fmt.Errorf("flow: %s: bad length %d", f.NXMName(), valueLen)
	}
	return f, masked, valueLen, n, nil
}
