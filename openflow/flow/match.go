package flow

import (
	"encoding/binary"
	"fmt"
)

// Match is a set of fields with values and masks, as OVS's struct match
// holds them. Fields that OVS stores in one place are stored once here too,
// under their storage field ("slot"): xreg/xxreg in the regs, arp_spa in
// nw_src, icmp_type and udp_src in tp_src (tcp_src), nd_sll in arp_sha,
// nw_tos/ip_dscp/nw_ecn in one tos byte, dl_vlan/vlan_vid/vlan_pcp in
// vlan_tci, the MPLS fields in one label stack entry, in_port_oxm in in_port.
// So the same match set through different views compares equal.
//
// A Match is an immutable value (setters replace the receiver's contents)
// and is cheap to copy and compare: internally it is one canonical string
// of entries sorted by slot, each value already ANDed with its mask and no
// entry with an all-zero mask. The zero Match matches everything.
type Match struct {
	enc string
}

// Entry layout inside Match.enc: slot (2 bytes, big-endian), n (1 byte),
// value (n bytes), mask (n bytes).
const entryHeaderLen = 3

// maxValueLen bounds a value (tun_metadata is the widest field).
const maxValueLen = 124

type matchEntry struct {
	slot        Field
	value, mask string
}

// nextMatchEntry decodes the entry at enc[off:] and returns it with the
// offset of the following one.
func nextMatchEntry(enc string, off int) (matchEntry, int) {
	slot := Field(enc[off])<<8 | Field(enc[off+1])
	n := int(enc[off+2])
	v := off + entryHeaderLen
	return matchEntry{slot: slot, value: enc[v : v+n], mask: enc[v+n : v+2*n]}, v + 2*n
}

// Key identifies the match: equal matches have equal keys.
func (m Match) Key() string { return m.enc }

// Equal reports whether m and o match exactly the same fields, values and masks.
func (m Match) Equal(o Match) bool { return m.enc == o.enc }

// IsEmpty reports whether the match matches every packet.
func (m Match) IsEmpty() bool { return m.enc == "" }

// lookup returns the value and mask stored for slot, or empty strings.
func (m Match) lookup(slot Field) (value, mask string) {
	for off := 0; off < len(m.enc); {
		e, next := nextMatchEntry(m.enc, off)
		if e.slot == slot {
			return e.value, e.mask
		}
		if e.slot > slot {
			break
		}
		off = next
	}
	return "", ""
}

// Set matches f exactly on value (big-endian; shorter values are extended
// with leading zero bytes). See SetMasked.
func (m *Match) Set(f Field, value []byte) { m.SetMasked(f, value, nil) }

// SetUint matches the low 64 bits of f on value under mask (pass ^uint64(0)
// for an exact match; a zero mask changes nothing). For tun_metadata it
// sets a 4-byte option, the length ovn-controller maps; use SetMasked for
// other lengths.
func (m *Match) SetUint(f Field, value, mask uint64) {
	var v, mk [8]byte
	binary.BigEndian.PutUint64(v[:], value)
	binary.BigEndian.PutUint64(mk[:], mask)
	n := f.Bytes()
	switch {
	case f.VariableLength():
		n = 4
	case n > 8:
		n = 8
	}
	m.SetMasked(f, v[8-n:], mk[8-n:])
}

// SetMasked matches the bits of f selected by mask on value, keeping what m
// already matches in the other bits of f (as OVS mf_mask_subfield does).
// Values and masks are big-endian, at most f.Bytes() long, and are extended
// with leading zeros when shorter; a nil mask means all ones (exact). For
// tun_metadata the value length is the option length of the TLV mapping.
// It panics on an invalid field or an over-long value, which are
// programming errors.
func (m *Match) SetMasked(f Field, value, mask []byte) {
	m.update(f, value, mask, false)
}

// Clear stops matching on f (on the bits f covers in its storage).
func (m *Match) Clear(f Field) {
	m.update(f, nil, nil, true)
}

// ClearMasked stops matching on the bits of f selected by mask (a nil
// mask clears all of f).
func (m *Match) ClearMasked(f Field, mask []byte) {
	m.update(f, nil, mask, true)
}

func (m *Match) update(f Field, value, mask []byte, clear bool) {
	mb := matchBuilder{buf: make([]byte, 0, len(m.enc)+4*(entryHeaderLen+32))}
	mb.buf = append(mb.buf, m.enc...)
	mb.update(f, value, mask, clear)
	m.enc = string(mb.buf)
}

// matchBuilder edits the encoded form of a match in a byte buffer, so a
// series of edits (decoding, for one) makes one string at the end.
type matchBuilder struct {
	buf []byte
}

func (mb *matchBuilder) match() Match { return Match{enc: string(mb.buf)} }

func (mb *matchBuilder) update(f Field, value, mask []byte, clear bool) {
	if !f.Valid() {
		panic(fmt.Sprintf("flow: SetMasked on invalid field %d", f))
	}
	if f.VariableLength() {
		mb.updateVariable(f, value, mask, clear)
		return
	}
	width := f.Bytes()
	if len(value) > width || len(mask) > width {
		panic(fmt.Sprintf("flow: %s: value/mask of %d/%d bytes, field has %d", f.Name(), len(value), len(mask), width))
	}
	var vb, mk [16]byte
	copy(vb[width-len(value):width], value)
	if mask == nil {
		for i := range width {
			mk[i] = 0xff
		}
	} else {
		copy(mk[width-len(mask):width], mask)
	}
	ps := toSlots(f, vb[:width], mk[:width])
	for i := range ps.n {
		p := &ps.p[i]
		if clear {
			mb.buf = clearEntry(mb.buf, p.slot, p.m[:p.n])
		} else {
			mb.buf = mergeEntry(mb.buf, p.slot, p.v[:p.n], p.m[:p.n])
		}
	}
}

// updateVariable handles tun_metadata, whose width is the value's.
func (mb *matchBuilder) updateVariable(f Field, value, mask []byte, clear bool) {
	if clear && len(mask) == 0 {
		mb.buf = clearEntry(mb.buf, f, nil)
		return
	}
	width := max(len(value), len(mask))
	if width == 0 || width > maxValueLen {
		panic(fmt.Sprintf("flow: %s: value/mask of %d/%d bytes", f.Name(), len(value), len(mask)))
	}
	var vb, mk [maxValueLen]byte
	copy(vb[width-len(value):width], value)
	if mask == nil {
		for i := range width {
			mk[i] = 0xff
		}
	} else {
		copy(mk[width-len(mask):width], mask)
	}
	if clear {
		mb.buf = clearEntry(mb.buf, f, mk[:width])
	} else {
		mb.buf = mergeEntry(mb.buf, f, vb[:width], mk[:width])
	}
}

// slotPiece is a value/mask for one storage slot.
type slotPiece struct {
	slot Field
	n    int
	v, m [16]byte
}

type slotPieces struct {
	p [4]slotPiece
	n int
}

func (ps *slotPieces) add(slot Field, v, m []byte) {
	p := &ps.p[ps.n]
	ps.n++
	p.slot, p.n = slot, len(v)
	copy(p.v[:], v)
	copy(p.m[:], m)
}

// addConv adds a piece of n bytes given as integers.
func (ps *slotPieces) addConv(slot Field, n int, v, m uint32) {
	p := &ps.p[ps.n]
	ps.n++
	p.slot, p.n = slot, n
	for i := range n {
		shift := 8 * (n - 1 - i)
		p.v[i], p.m[i] = byte(v>>shift), byte(m>>shift)
	}
}

// toSlots translates f's value/mask (f.Bytes() wide) into storage slots, the
// way OVS's match_set_* functions store them.
func toSlots(f Field, v, m []byte) (ps slotPieces) {
	switch {
	case f >= FieldXReg0 && f < FieldXReg0+8:
		r := FieldReg(2 * int(f-FieldXReg0))
		ps.add(r, v[0:4], m[0:4])
		ps.add(r+1, v[4:8], m[4:8])
		return ps
	case f >= FieldXXReg0 && f < FieldXXReg0+4:
		r := FieldReg(4 * int(f-FieldXXReg0))
		for i := 0; i < 4; i++ {
			ps.add(r+Field(i), v[4*i:4*i+4], m[4*i:4*i+4])
		}
		return ps
	}
	switch f {
	case FieldInPortOXM:
		port, err := portFrom32(binary.BigEndian.Uint32(v))
		if err != nil {
			port = PortAny
		}
		ps.addConv(FieldInPort, 2, uint32(port), 0xffff&uint32OrAllOnes(m))
	case FieldDLVLAN:
		vid := uint32(binary.BigEndian.Uint16(v))
		if !bytesOnes(m) {
			ps.addConv(FieldVLANTCI, 2, 0, 0) // not maskable: nothing sensible to do
		} else if vid == 0xffff {
			ps.addConv(FieldVLANTCI, 2, 0, 0xffff)
		} else {
			ps.addConv(FieldVLANTCI, 2, vid&vlanVIDMask|vlanCFI, vlanVIDMask|vlanCFI)
		}
	case FieldVLANVID:
		mask := uint32(binary.BigEndian.Uint16(m)) & (vlanVIDMask | vlanCFI)
		ps.addConv(FieldVLANTCI, 2, uint32(binary.BigEndian.Uint16(v))&mask, mask)
	case FieldDLVLANPCP, FieldVLANPCP:
		if m[0] == 0 {
			return ps
		}
		ps.addConv(FieldVLANTCI, 2, uint32(v[0]&7)<<vlanPCPShift|vlanCFI, vlanPCPMask|vlanCFI)
	case FieldMPLSLabel:
		ps.addConv(FieldMPLSLabel, 4, binary.BigEndian.Uint32(v)<<12, binary.BigEndian.Uint32(m)<<12)
	case FieldMPLSTC:
		ps.addConv(FieldMPLSLabel, 4, uint32(v[0]&7)<<9, uint32(m[0]&7)<<9)
	case FieldMPLSBOS:
		ps.addConv(FieldMPLSLabel, 4, uint32(v[0]&1)<<8, uint32(m[0]&1)<<8)
	case FieldMPLSTTL:
		ps.addConv(FieldMPLSLabel, 4, uint32(v[0]), uint32(m[0]))
	case FieldARPSPA:
		ps.add(FieldIPv4Src, v, m)
	case FieldARPTPA:
		ps.add(FieldIPv4Dst, v, m)
	case FieldARPOp:
		ps.add(FieldIPProto, v[1:], m[1:])
	case FieldIPDSCP:
		ps.addConv(FieldIPDSCP, 1, uint32(v[0]&ipDSCPMask), uint32(m[0]&ipDSCPMask))
	case FieldIPDSCPShifted:
		ps.addConv(FieldIPDSCP, 1, uint32(v[0]<<2), uint32(m[0]<<2))
	case FieldIPECN:
		ps.addConv(FieldIPDSCP, 1, uint32(v[0]&ipECNMask), uint32(m[0]&ipECNMask))
	case FieldIPFrag:
		ps.addConv(FieldIPFrag, 1, uint32(v[0]&fragMask), uint32(m[0]&fragMask))
	case FieldTCPSrc, FieldUDPSrc, FieldSCTPSrc:
		ps.add(FieldTCPSrc, v, m)
	case FieldTCPDst, FieldUDPDst, FieldSCTPDst:
		ps.add(FieldTCPDst, v, m)
	case FieldICMPv4Type, FieldICMPv6Type:
		ps.addConv(FieldTCPSrc, 2, uint32(v[0]), widenByteMask(m[0]))
	case FieldICMPv4Code, FieldICMPv6Code:
		ps.addConv(FieldTCPDst, 2, uint32(v[0]), widenByteMask(m[0]))
	case FieldNDSLL:
		ps.add(FieldARPSHA, v, m)
	case FieldNDTLL:
		ps.add(FieldARPTHA, v, m)
	case FieldNDOptionsType:
		ps.addConv(FieldTCPFlags, 2, uint32(v[0]), widenByteMask(m[0]))
	case FieldCTState:
		ps.addConv(FieldCTState, 4, binary.BigEndian.Uint32(v)&0xff, binary.BigEndian.Uint32(m)&0xff)
	case FieldTunFlags:
		ps.addConv(FieldTunFlags, 2, uint32(binary.BigEndian.Uint16(v))&tunFlagOAM, uint32(binary.BigEndian.Uint16(m))&tunFlagOAM)
	default:
		ps.add(f, v, m)
	}
	return ps
}

// widenByteMask maps the exact mask of an 8-bit field stored in a 16-bit
// slot to the 16-bit exact mask OVS uses there.
func widenByteMask(m byte) uint32 {
	if m == 0xff {
		return 0xffff
	}
	return uint32(m)
}

func uint32OrAllOnes(m []byte) uint32 {
	if bytesOnes(m) {
		return 0xffffffff
	}
	return binary.BigEndian.Uint32(m)
}

// findEntry returns the byte range of slot's entry in enc, or an empty
// range where it would be inserted.
func findEntry[T string | []byte](enc T, slot Field) (start, end int) {
	for off := 0; off < len(enc); {
		s := Field(enc[off])<<8 | Field(enc[off+1])
		next := off + entryHeaderLen + 2*int(enc[off+2])
		if s == slot {
			return off, next
		}
		if s > slot {
			return off, off
		}
		off = next
	}
	return len(enc), len(enc)
}

// mergeEntry sets the bits of slot selected by mask to value in enc.
// Values of different widths (tun_metadata) are right-aligned.
func mergeEntry(enc []byte, slot Field, value, mask []byte) []byte {
	if bytesZero(mask) {
		return enc
	}
	start, end := findEntry(enc, slot)
	if start != end && int(enc[start+2]) == len(value) {
		n := len(value)
		ov := enc[start+entryHeaderLen : start+entryHeaderLen+n]
		om := enc[start+entryHeaderLen+n : end]
		for i := range n {
			ov[i] = ov[i]&^mask[i] | value[i]&mask[i]
			om[i] |= mask[i]
		}
		return enc
	}
	var old matchEntry
	if start != end {
		old, _ = nextMatchEntry(string(enc[start:end]), 0)
	}
	n := max(len(value), len(old.value))
	var e [entryHeaderLen + 2*maxValueLen]byte
	e[0], e[1], e[2] = byte(slot>>8), byte(slot), byte(n)
	nv := e[entryHeaderLen : entryHeaderLen+n]
	nm := e[entryHeaderLen+n : entryHeaderLen+2*n]
	copy(nv[n-len(old.value):], old.value)
	copy(nm[n-len(old.mask):], old.mask)
	off := n - len(value)
	for i := range value {
		nv[off+i] = nv[off+i]&^mask[i] | value[i]&mask[i]
		nm[off+i] |= mask[i]
	}
	return spliceEntry(enc, start, end, e[:entryHeaderLen+2*n])
}

// clearEntry stops matching the bits of slot selected by mask
// (right-aligned; all bits when mask is nil) and drops an emptied entry.
func clearEntry(enc []byte, slot Field, mask []byte) []byte {
	start, end := findEntry(enc, slot)
	if start == end {
		return enc
	}
	if mask == nil {
		return spliceEntry(enc, start, end, nil)
	}
	n := int(enc[start+2])
	ov := enc[start+entryHeaderLen : start+entryHeaderLen+n]
	om := enc[start+entryHeaderLen+n : end]
	for i := range n {
		j := i - (n - len(mask))
		if j >= 0 {
			om[i] &^= mask[j]
			ov[i] &= om[i]
		}
	}
	if bytesZero(om) {
		return spliceEntry(enc, start, end, nil)
	}
	return enc
}

// spliceEntry replaces enc[start:end] with e.
func spliceEntry(enc []byte, start, end int, e []byte) []byte {
	tail := len(enc) - end
	newLen := start + len(e) + tail
	if newLen > cap(enc) {
		grown := make([]byte, len(enc), newLen+64)
		copy(grown, enc)
		enc = grown
	}
	old := enc
	enc = enc[:newLen]
	copy(enc[start+len(e):], old[end:end+tail])
	copy(enc[start:], e)
	return enc
}

// Get returns what m matches for f: value and mask, f.Bytes() wide (for
// tun_metadata as wide as it was set), and whether any bit is matched.
func (m Match) Get(f Field) (value, mask []byte, ok bool) {
	if !f.Valid() {
		return nil, nil, false
	}
	slot := f
	var ps slotPieces
	width := f.Bytes()
	if f.VariableLength() {
		v, mk := m.lookup(f)
		if mk == "" {
			return nil, nil, false
		}
		return []byte(v), []byte(mk), true
	}
	// Find the pieces f occupies by translating an all-ones mask.
	var ones [16]byte
	for i := range ones {
		ones[i] = 0xff
	}
	ps = toSlots(f, ones[:width], ones[:width])
	value = make([]byte, width)
	mask = make([]byte, width)
	if ps.n > 1 { // xreg/xxreg: registers in order, most significant first
		for i := 0; i < ps.n; i++ {
			v, mk := m.lookup(ps.p[i].slot)
			if mk != "" {
				copy(value[4*i:], v)
				copy(mask[4*i:], mk)
			}
		}
		return value, mask, !bytesZero(mask)
	}
	slot = ps.p[0].slot
	sv, sm := m.lookup(slot)
	if sm == "" {
		return value, mask, false
	}
	sval, smask := []byte(sv), []byte(sm)
	switch f {
	case FieldInPortOXM:
		binary.BigEndian.PutUint32(value, port32(Port(binary.BigEndian.Uint16(sval))))
		binary.BigEndian.PutUint32(mask, 0xffffffff)
		if binary.BigEndian.Uint16(smask) != 0xffff {
			binary.BigEndian.PutUint32(mask, uint32(binary.BigEndian.Uint16(smask)))
		}
	case FieldDLVLAN:
		tci, tm := binary.BigEndian.Uint16(sval), binary.BigEndian.Uint16(smask)
		if tm&vlanVIDMask == 0 {
			return value, mask, false
		}
		binary.BigEndian.PutUint16(value, tci&vlanVIDMask)
		binary.BigEndian.PutUint16(mask, 0xffff)
	case FieldVLANVID:
		binary.BigEndian.PutUint16(value, binary.BigEndian.Uint16(sval)&(vlanVIDMask|vlanCFI))
		binary.BigEndian.PutUint16(mask, binary.BigEndian.Uint16(smask)&(vlanVIDMask|vlanCFI))
	case FieldDLVLANPCP, FieldVLANPCP:
		tci, tm := binary.BigEndian.Uint16(sval), binary.BigEndian.Uint16(smask)
		if tm&vlanPCPMask == 0 {
			return value, mask, false
		}
		value[0], mask[0] = byte(tci>>vlanPCPShift)&7, 0xff
	case FieldMPLSLabel:
		binary.BigEndian.PutUint32(value, binary.BigEndian.Uint32(sval)>>12)
		binary.BigEndian.PutUint32(mask, binary.BigEndian.Uint32(smask)>>12)
	case FieldMPLSTC:
		value[0], mask[0] = byte(binary.BigEndian.Uint32(sval)>>9)&7, byte(binary.BigEndian.Uint32(smask)>>9)&7
	case FieldMPLSBOS:
		value[0], mask[0] = byte(binary.BigEndian.Uint32(sval)>>8)&1, byte(binary.BigEndian.Uint32(smask)>>8)&1
	case FieldMPLSTTL:
		value[0], mask[0] = byte(binary.BigEndian.Uint32(sval)), byte(binary.BigEndian.Uint32(smask))
	case FieldARPOp:
		value[1], mask[1] = sval[0], smask[0]
		if smask[0] == 0xff {
			mask[0] = 0xff
		}
	case FieldIPDSCP:
		value[0], mask[0] = sval[0]&ipDSCPMask, smask[0]&ipDSCPMask
	case FieldIPDSCPShifted:
		value[0], mask[0] = sval[0]>>2, (smask[0]&ipDSCPMask)>>2
	case FieldIPECN:
		value[0], mask[0] = sval[0]&ipECNMask, smask[0]&ipECNMask
	case FieldICMPv4Type, FieldICMPv6Type, FieldICMPv4Code, FieldICMPv6Code, FieldNDOptionsType:
		value[0], mask[0] = sval[1], smask[1]
	default:
		copy(value[width-len(sval):], sval)
		copy(mask[width-len(smask):], smask)
	}
	return value, mask, !bytesZero(mask)
}

// GetUint is Get for fields up to 64 bits wide (wider fields: the low 64 bits).
func (m Match) GetUint(f Field) (value, mask uint64, ok bool) {
	v, mk, ok := m.Get(f)
	return uintOfBytes(v), uintOfBytes(mk), ok
}

// Fields returns the storage fields m matches on, in storage order. The
// views (xreg, arp_spa, icmp_type ...) appear as their storage field.
func (m Match) Fields() []Field {
	var out []Field
	for off := 0; off < len(m.enc); {
		e, next := nextMatchEntry(m.enc, off)
		if e.slot.Valid() {
			out = append(out, e.slot)
		}
		off = next
	}
	return out
}

// Bit layouts of packed storage slots (OVS packets.h).
const (
	vlanVIDMask  = 0x0fff
	vlanCFI      = 0x1000
	vlanPCPMask  = 0xe000
	vlanPCPShift = 13
	ipDSCPMask   = 0xfc
	ipECNMask    = 0x03
	fragAny      = 0x01
	fragLater    = 0x02
	fragMask     = fragAny | fragLater
	tunFlagOAM   = 0x0001
)

func bytesZero[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != 0 {
			return false
		}
	}
	return true
}

func bytesOnes[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != 0xff {
			return false
		}
	}
	return true
}

// uintOfBytes reads the low 8 bytes of a big-endian value of any length.
func uintOfBytes[T string | []byte](b T) uint64 {
	var v uint64
	start := max(0, len(b)-8)
	for i := start; i < len(b); i++ {
		v = v<<8 | uint64(b[i])
	}
	return v
}
