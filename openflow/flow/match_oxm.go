package flow

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ofp_match type for OXM matches (OpenFlow 1.2+).
const ofpMatchTypeOXM = 1

// ErrBadMatch is wrapped by the errors of DecodeMatch and DecodeOXMFields.
var ErrBadMatch = errors.New("flow: bad match")

// AppendOXM appends m as an OpenFlow 1.5 ofp_match: type OFPMT_OXM, length,
// the OXM/NXM entries OVS would send for the same match (see
// AppendOXMFields), and zero padding to a multiple of 8 bytes.
func (m Match) AppendOXM(b []byte) []byte {
	start := len(b)
	b = append(b, 0, ofpMatchTypeOXM, 0, 0)
	b = m.AppendOXMFields(b)
	n := len(b) - start
	binary.BigEndian.PutUint16(b[start+2:], uint16(n))
	for ; n%8 != 0; n++ {
		b = append(b, 0)
	}
	return b
}

// AppendOXMFields appends the OXM/NXM entries (TLVs) of m, in the order and
// form OVS's nx_put_raw uses for OpenFlow 1.5: the OpenFlow 1.5 header of
// each field, exact entries when the mask is all ones, registers as xreg
// (OXM_OF_PKT_REG) pairs, in_port as OXM_OF_IN_PORT, vlan_tci as
// VLAN_VID/VLAN_PCP, IP/L4 fields only where their prerequisites hold.
// Bits OpenFlow 1.5 cannot express are left out, as OVS does (see
// Canonical).
func (m Match) AppendOXMFields(b []byte) []byte {
	var view matchView
	view.init(m)
	v := &view
	e := oxmEncoder{b: b}
	start := len(b)

	ptVal, ptMask := v.u(FieldPacketType)
	defaultPT := ptVal == 0 && ptMask == 0xffffffff
	if ptMask != 0 && !defaultPT {
		e.putSlot(v, FieldPacketType, FieldPacketType)
	}
	e.putSlot(v, FieldDPHash, FieldDPHash)
	e.putExact(v, FieldRecircID, FieldRecircID)
	e.putExact(v, FieldConjID, FieldConjID)
	if val, mask := v.u(FieldInPort); mask != 0 {
		e.putUint(FieldInPortOXM, uint64(port32(Port(val))), 4)
	}
	e.putExact(v, FieldActsetOutput, FieldActsetOutput)

	e.putSlot(v, FieldEthSrc, FieldEthSrc)
	e.putSlot(v, FieldEthDst, FieldEthDst)
	e.putSlot(v, FieldEthType, FieldEthType)
	if tci, tciMask := v.u(FieldVLANTCI); tciMask != 0 {
		vid, vidMask := tci&(vlanVIDMask|vlanCFI), tciMask&(vlanVIDMask|vlanCFI)
		switch {
		case vidMask == vlanVIDMask|vlanCFI:
			e.putUint(FieldVLANVID, vid, 2)
		case vidMask != 0:
			e.putMaskedUint(FieldVLANVID, vid, vidMask, 2)
		}
		if vid != 0 && tciMask&vlanPCPMask != 0 {
			e.putUint(FieldVLANPCP, tci>>vlanPCPShift&7, 1)
		}
	}

	dlTypeVal, _ := v.u(FieldEthType)
	dlType := uint16(dlTypeVal)
	if dlType == ethTypeMPLS || dlType == ethTypeMPLSMcast {
		if lse, mask := v.u(FieldMPLSLabel); mask != 0 {
			if mask&0xe00 != 0 {
				e.putUint(FieldMPLSTC, lse>>9&7, 1)
			}
			if mask&0x100 != 0 {
				e.putUint(FieldMPLSBOS, lse>>8&1, 1)
			}
			if mask&0xff != 0 {
				e.putUint(FieldMPLSTTL, lse&0xff, 1)
			}
			if mask&0xfffff000 != 0 {
				e.putUint(FieldMPLSLabel, lse>>12, 4)
			}
		}
	}

	switch dlType {
	case ethTypeIP, ethTypeIPv6:
		e.putIP(v, dlType)
	case ethTypeARP, ethTypeRARP:
		if proto, mask := v.u(FieldIPProto); mask != 0 {
			e.putUint(FieldARPOp, proto, 2)
		}
		e.putSlot(v, FieldARPSPA, FieldIPv4Src)
		e.putSlot(v, FieldARPTPA, FieldIPv4Dst)
		e.putSlot(v, FieldARPSHA, FieldARPSHA)
		e.putSlot(v, FieldARPTHA, FieldARPTHA)
	}

	e.putSlot(v, FieldTunID, FieldTunID)
	e.putSlot(v, FieldTunFlags, FieldTunFlags)
	e.putSlot(v, FieldTunSrc, FieldTunSrc)
	e.putSlot(v, FieldTunDst, FieldTunDst)
	e.putSlot(v, FieldTunIPv6Src, FieldTunIPv6Src)
	e.putSlot(v, FieldTunIPv6Dst, FieldTunIPv6Dst)
	e.putSlot(v, FieldTunGBPID, FieldTunGBPID)
	e.putSlot(v, FieldTunGBPFlags, FieldTunGBPFlags)
	for i := 0; i < 64 && v.tunMDs; i++ {
		e.putSlot(v, FieldTunMetadata(i), FieldTunMetadata(i))
	}

	for i := 0; i < 8; i++ {
		hiVal, hiMask := v.u(FieldReg(2 * i))
		loVal, loMask := v.u(FieldReg(2*i + 1))
		e.putMaskedUint(FieldXReg(i), hiVal<<32|loVal, hiMask<<32|loMask, 8)
	}

	e.putSlot(v, FieldPktMark, FieldPktMark)
	e.putSlot(v, FieldCTState, FieldCTState)
	e.putSlot(v, FieldCTZone, FieldCTZone)
	e.putSlot(v, FieldCTMark, FieldCTMark)
	e.putSlot(v, FieldCTLabel, FieldCTLabel)
	e.putSlot(v, FieldCTNwSrc, FieldCTNwSrc)
	e.putSlot(v, FieldCTIPv6Src, FieldCTIPv6Src)
	e.putSlot(v, FieldCTNwDst, FieldCTNwDst)
	e.putSlot(v, FieldCTIPv6Dst, FieldCTIPv6Dst)
	if proto, _ := v.u(FieldCTNwProto); proto != 0 {
		e.putSlot(v, FieldCTNwProto, FieldCTNwProto)
		e.putSlot(v, FieldCTTpSrc, FieldCTTpSrc)
		e.putSlot(v, FieldCTTpDst, FieldCTTpDst)
	}
	e.putSlot(v, FieldMetadata, FieldMetadata)
	e.b = m.appendRawOXM(e.b)

	if defaultPT && !e.impliedEthernet {
		// OVS puts an explicit Ethernet packet_type first when nothing
		// else implies it.
		var pt []byte
		pt = FieldPacketType.AppendHeader(pt, false, 4)
		pt = append(pt, 0, 0, 0, 0)
		e.b = append(e.b, pt...)
		copy(e.b[start+len(pt):], e.b[start:len(e.b)-len(pt)])
		copy(e.b[start:], pt)
	}
	return e.b
}

// putIP is OVS nxm_put_ip: the IPv4 or IPv6 fields, then the transport
// fields that the (exact) nw_proto selects.
func (e *oxmEncoder) putIP(v *matchView, dlType uint16) {
	if dlType == ethTypeIP {
		e.putSlot(v, FieldIPv4Src, FieldIPv4Src)
		e.putSlot(v, FieldIPv4Dst, FieldIPv4Dst)
	} else {
		e.putSlot(v, FieldIPv6Src, FieldIPv6Src)
		e.putSlot(v, FieldIPv6Dst, FieldIPv6Dst)
	}
	if frag, mask := v.u(FieldIPFrag); mask&fragMask != 0 {
		mask &= fragMask
		if mask == fragMask {
			mask = 0xff
		}
		e.putMaskedUint(FieldIPFrag, frag&fragMask, mask, 1)
	}
	tos, tosMask := v.u(FieldIPDSCP)
	if tosMask&ipDSCPMask != 0 {
		e.putUint(FieldIPDSCPShifted, tos>>2, 1)
	}
	if tosMask&ipECNMask != 0 {
		e.putUint(FieldIPECN, tos&ipECNMask, 1)
	}
	if ttl, mask := v.u(FieldIPTTL); mask != 0 {
		e.putUint(FieldIPTTL, ttl, 1)
	}
	e.putSlot(v, FieldIPv6Label, FieldIPv6Label)

	proto, protoMask := v.u(FieldIPProto)
	if protoMask == 0 {
		return
	}
	e.putUint(FieldIPProto, proto, 1)
	tpSrc, tpSrcMask := v.u(FieldTCPSrc)
	tpDst, tpDstMask := v.u(FieldTCPDst)
	switch {
	case proto == ipProtoTCP:
		e.putSlot(v, FieldTCPSrc, FieldTCPSrc)
		e.putSlot(v, FieldTCPDst, FieldTCPDst)
		e.putSlot(v, FieldTCPFlags, FieldTCPFlags)
	case proto == ipProtoUDP:
		e.putSlot(v, FieldUDPSrc, FieldTCPSrc)
		e.putSlot(v, FieldUDPDst, FieldTCPDst)
	case proto == ipProtoSCTP:
		e.putSlot(v, FieldSCTPSrc, FieldTCPSrc)
		e.putSlot(v, FieldSCTPDst, FieldTCPDst)
	case proto == ipProtoICMP && dlType == ethTypeIP:
		if tpSrcMask != 0 {
			e.putUint(FieldICMPv4Type, tpSrc&0xff, 1)
		}
		if tpDstMask != 0 {
			e.putUint(FieldICMPv4Code, tpDst&0xff, 1)
		}
	case proto == ipProtoICMPv6 && dlType == ethTypeIPv6:
		if tpSrcMask != 0 {
			e.putUint(FieldICMPv6Type, tpSrc&0xff, 1)
		}
		if tpDstMask != 0 {
			e.putUint(FieldICMPv6Code, tpDst&0xff, 1)
		}
		const ndSolicit, ndAdvert = 135, 136
		if tpDst != 0 || (tpSrc != ndSolicit && tpSrc != ndAdvert) {
			return
		}
		if val, mask := v.u(FieldNDReserved); mask != 0 {
			e.putUint(FieldNDReserved, val, 4)
		}
		e.putSlot(v, FieldNDTarget, FieldNDTarget)
		if val, mask := v.u(FieldTCPFlags); mask != 0 {
			e.putUint(FieldNDOptionsType, val&0xff, 1)
		}
		if tpSrc == ndSolicit {
			e.putSlot(v, FieldNDSLL, FieldARPSHA)
		} else {
			e.putSlot(v, FieldNDTLL, FieldARPTHA)
		}
	}
}

type oxmEncoder struct {
	b               []byte
	impliedEthernet bool
}

func (e *oxmEncoder) noteField(f Field) {
	if f.Prereq() != PrereqNone {
		e.impliedEthernet = true
	}
}

// putSlot puts field f with the value and mask stored in slot: nothing
// when unset, an exact entry when the mask is all ones.
func (e *oxmEncoder) putSlot(v *matchView, f, slot Field) {
	val, mask := v.get(slot)
	if mask == "" || bytesZero(mask) {
		return
	}
	masked := !bytesOnes(mask)
	e.b = f.AppendHeader(e.b, masked, len(val))
	e.b = append(e.b, val...)
	if masked {
		e.b = append(e.b, mask...)
	}
	e.noteField(f)
}

// putExact puts the slot's value as an exact entry (OVS nxm_put_<n>).
func (e *oxmEncoder) putExact(v *matchView, f, slot Field) {
	val, mask := v.get(slot)
	if mask == "" {
		return
	}
	e.b = f.AppendHeader(e.b, false, len(val))
	e.b = append(e.b, val...)
	e.noteField(f)
}

func (e *oxmEncoder) putUint(f Field, val uint64, n int) {
	e.b = f.AppendHeader(e.b, false, n)
	e.b = appendBigEndian(e.b, val, n)
	e.noteField(f)
}

func (e *oxmEncoder) putMaskedUint(f Field, val, mask uint64, n int) {
	if mask == 0 {
		return
	}
	if mask == ^uint64(0)>>(64-8*n) {
		e.putUint(f, val, n)
		return
	}
	e.b = f.AppendHeader(e.b, true, n)
	e.b = appendBigEndian(e.b, val, n)
	e.b = appendBigEndian(e.b, mask, n)
	e.noteField(f)
}

func appendBigEndian(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// DecodeMatch decodes an OpenFlow 1.2+ ofp_match (OFPMT_OXM) at the start
// of b and returns it with the number of bytes it occupies, padding
// included. It never panics; malformed input is an error wrapping
// ErrBadMatch (or ErrUnknownHeader for fields this package does not know).
func DecodeMatch(b []byte) (Match, int, error) {
	if len(b) < 4 {
		return Match{}, 0, fmt.Errorf("%w: %d bytes, want an ofp_match header", ErrBadMatch, len(b))
	}
	typ := binary.BigEndian.Uint16(b)
	length := int(binary.BigEndian.Uint16(b[2:]))
	if typ != ofpMatchTypeOXM {
		return Match{}, 0, fmt.Errorf("%w: ofp_match type %d, want OXM", ErrBadMatch, typ)
	}
	if length < 4 {
		return Match{}, 0, fmt.Errorf("%w: ofp_match length %d", ErrBadMatch, length)
	}
	padded := (length + 7) / 8 * 8
	if len(b) < padded {
		return Match{}, 0, fmt.Errorf("%w: ofp_match of %d bytes (padded %d) in %d", ErrBadMatch, length, padded, len(b))
	}
	m, err := DecodeOXMFields(b[4:length])
	if err != nil {
		return Match{}, 0, err
	}
	return m, padded, nil
}

// DecodeOXMFields decodes a list of OXM/NXM entries (no ofp_match header,
// no padding), as ovs-vswitchd fills ofp_match, packet-in metadata and
// NXM-format matches. Each entry is stored as OVS's mf_set stores it.
func DecodeOXMFields(b []byte) (Match, error) {
	var stack [256]byte
	mb := matchBuilder{buf: stack[:0]}
	for off := 0; off < len(b); {
		f, masked, n, hl, err := DecodeHeader(b[off:])
		if errors.Is(err, ErrUnknownHeader) {
			// Keep what this package does not know, so the flow can still
			// be compared, re-encoded and deleted.
			total := 4 + int(b[off+3])
			if off+total > len(b) {
				return Match{}, fmt.Errorf("%w: unknown OXM entry of %d bytes at offset %d overruns %d", ErrBadMatch, total, off, len(b))
			}
			mb.appendRaw(b[off : off+total])
			off += total
			continue
		}
		if err != nil {
			return Match{}, fmt.Errorf("%w at offset %d: %w", ErrBadMatch, off, err)
		}
		if n == 0 {
			return Match{}, fmt.Errorf("%w: %s: empty entry at offset %d", ErrBadMatch, f.NXMName(), off)
		}
		payload := n
		if masked {
			payload *= 2
		}
		if off+hl+payload > len(b) {
			return Match{}, fmt.Errorf("%w: %s: entry of %d bytes at offset %d overruns %d", ErrBadMatch, f.NXMName(), hl+payload, off, len(b))
		}
		val := b[off+hl : off+hl+n]
		var mask []byte
		if masked {
			mask = b[off+hl+n : off+hl+payload]
		}
		mb.update(f, val, mask, false)
		off += hl + payload
	}
	return mb.match(), nil
}

// Canonical returns m as OVS holds it after an OpenFlow 1.5 round trip,
// which is what a flow dump reports: bits OXM cannot express (a vlan_tci
// mask beyond VID, CFI and an exact PCP; fields whose prerequisites the
// match does not meet; ct_tp_* without ct_nw_proto) are dropped. Compare
// desired flows with dumped ones through Canonical.
func (m Match) Canonical() Match {
	c, err := DecodeOXMFields(m.AppendOXMFields(nil))
	if err != nil {
		return m
	}
	return c
}

// fieldRawOXM is the slot of OXM entries DecodeOXMFields does not know. It
// sorts after every real slot, so raw entries stay last, in wire order.
// The entry holds the whole TLV split over its value and mask halves (with
// one zero byte of padding when its length is odd).
const fieldRawOXM Field = 0xffff

func (mb *matchBuilder) appendRaw(tlv []byte) {
	n := (len(tlv) + 1) / 2
	mb.buf = append(mb.buf, byte(fieldRawOXM>>8), byte(fieldRawOXM&0xff), byte(n))
	mb.buf = append(mb.buf, tlv...)
	if len(tlv)%2 != 0 {
		mb.buf = append(mb.buf, 0)
	}
}

// rawTLV returns the TLV kept in a raw entry.
func (e matchEntry) rawTLV() string {
	tlv := e.value + e.mask
	return tlv[:4+int(tlv[3])]
}

// appendRawOXM appends the unknown entries kept by DecodeOXMFields.
func (m Match) appendRawOXM(b []byte) []byte {
	start, _ := findEntry(m.enc, fieldRawOXM)
	for off := start; off < len(m.enc); {
		e, next := nextMatchEntry(m.enc, off)
		b = append(b, e.rawTLV()...)
		off = next
	}
	return b
}
