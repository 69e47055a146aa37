package flow

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Subfield is a bit range of a field, as actions name it:
// NXM_NX_REG13[0..15] is Subfield{Field: FieldReg(13), Offset: 0, Bits: 16}.
// Bits 0 means "from Offset to the end of the field", so Subfield{Field: f}
// is the whole field.
type Subfield struct {
	Field  Field
	Offset int
	Bits   int
}

// WholeField is the subfield covering all of f.
func WholeField(f Field) Subfield { return Subfield{Field: f, Bits: f.Bits()} }

// NBits is the width of the subfield in bits.
func (s Subfield) NBits() int {
	if s.Bits == 0 {
		return s.Field.Bits() - s.Offset
	}
	return s.Bits
}

// String is the subfield as OVS prints it (mf_format_subfield):
// "NXM_NX_REG14[]", "NXM_NX_XXREG0[64..95]", "NXM_NX_REG10[6]".
func (s Subfield) String() string { return string(s.appendText(nil)) }

func (s Subfield) appendText(b []byte) []byte {
	b = append(b, s.Field.SubfieldName()...)
	n := s.NBits()
	switch {
	case s.Offset == 0 && n == s.Field.Bits():
		return append(b, "[]"...)
	case n == 1:
		b = appendUint(append(b, '['), uint64(s.Offset))
	default:
		b = appendUint(append(b, '['), uint64(s.Offset))
		b = append(b, ".."...)
		b = appendInt(b, int64(s.Offset+n-1))
	}
	return append(b, ']')
}

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendUint(append(b, '-'), uint64(-v))
	}
	return appendUint(b, uint64(v))
}

// ofsNBits packs offset and width as NXM actions do: ofs<<6 | (n_bits-1).
func (s Subfield) ofsNBits() uint16 { return uint16(s.Offset)<<6 | uint16(s.NBits()-1)&0x3f }

func subfieldFromOfsNBits(f Field, v uint16) Subfield {
	return Subfield{Field: f, Offset: int(v >> 6), Bits: int(v&0x3f) + 1}
}

// checkSubfield rejects a decoded subfield that does not fit its field.
func checkSubfield(s Subfield) error {
	if s.Bits <= 0 || s.Offset < 0 || s.Offset+s.Bits > s.Field.Bits() {
		return fmt.Errorf("%w: %s bits %d..%d outside its %d bits", ErrBadAction, s.Field.Name(), s.Offset, s.Offset+s.Bits-1, s.Field.Bits())
	}
	return nil
}

// Nicira actions name fields with the header OVS prefers when it may use
// NXM, which is the field's first header (OVS nxm_field_by_mf_id(id, 0)).
// Field.AppendHeader gives the OpenFlow 1.5 choice instead.

// appendHeaderNX appends f's preferred NXM header, announcing the field's
// full width, unmasked.
func appendHeaderNX(b []byte, f Field) []byte {
	hs := f.info().headers
	if len(hs) == 0 {
		return append(b, 0, 0, 0, 0)
	}
	h := hs[0]
	n := f.Bytes()
	if h.class == oxmClassExperimenter {
		n += 4
	}
	b = append(b, byte(h.class>>8), byte(h.class), h.field<<1, byte(n))
	if h.class == oxmClassExperimenter {
		b = binary.BigEndian.AppendUint32(b, h.experimenter)
	}
	return b
}

// header32NX is f's preferred NXM header as the 32-bit value the fixed
// header slots of Nicira actions hold, and false if that header needs the
// 64-bit experimenter form.
func header32NX(f Field) (uint32, bool) {
	hs := f.info().headers
	if len(hs) == 0 || hs[0].class == oxmClassExperimenter {
		return 0, false
	}
	var tmp [4]byte
	appendHeaderNX(tmp[:0], f)
	return binary.BigEndian.Uint32(tmp[:]), true
}

// decodeHeader32 resolves a 32-bit header from a fixed slot.
func decodeHeader32(v uint32) (Field, error) {
	var tmp [4]byte
	binary.BigEndian.PutUint32(tmp[:], v)
	f, _, _, _, err := DecodeHeader(tmp[:])
	return f, err
}

// SetField writes a value into a field, masked or not:
// "set_field:0x1->reg15", "set_field:0x4/0x4->reg10",
// "set_field:00:00:00:00:ff:02->eth_src". Value and Mask are big-endian and
// Field.Bytes() long (tun_metadata: its mapped length); Mask nil sets the
// whole field. OpenFlow 1.5 has no separate load action: OVS turns
// load:V->F[a..b] into a masked set_field and dumps it as one (see Load).
type SetField struct {
	Field Field
	Value []byte
	Mask  []byte
}

// SetFieldUint sets all of f (at most 64 bits wide) to v.
func SetFieldUint(f Field, v uint64) SetField {
	return SetField{Field: f, Value: uintBytes(v, f.Bytes())}
}

// SetFieldMasked sets the bits of f (at most 64 bits wide) selected by mask
// to the same bits of v.
func SetFieldMasked(f Field, v, mask uint64) SetField {
	return SetField{Field: f, Value: uintBytes(v&mask, f.Bytes()), Mask: uintBytes(mask, f.Bytes())}
}

// Load is OVS's load:V->SUBFIELD as OpenFlow 1.5 carries it: a set_field of
// v shifted into the subfield, masked to it (unmasked when the subfield is
// the whole field). The subfield must lie within the low 64 bits' reach of
// v, i.e. Bits <= 64.
func Load(s Subfield, v uint64) SetField {
	n := s.Field.Bytes()
	value := make([]byte, n)
	mask := make([]byte, n)
	nbits := s.NBits()
	for i := 0; i < nbits; i++ {
		bit := s.Offset + i
		pos := n - 1 - bit/8
		if pos < 0 {
			break
		}
		mask[pos] |= 1 << (bit % 8)
		if i < 64 && v>>i&1 != 0 {
			value[pos] |= 1 << (bit % 8)
		}
	}
	if allOnes(mask) {
		mask = nil
	}
	return SetField{Field: s.Field, Value: value, Mask: mask}
}

func uintBytes(v uint64, n int) []byte {
	b := make([]byte, n)
	for i := n - 1; i >= 0 && v != 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

func (a SetField) String() string { return stringOf(a) }

func (a SetField) appendText(b []byte) []byte {
	b = append(b, "set_field:"...)
	b = appendFieldValue(b, a.Field, a.Value, a.Mask)
	b = append(b, "->"...)
	return append(b, a.Field.Name()...)
}

func (a SetField) masked() bool { return a.Mask != nil && !allOnes(a.Mask) }

func (a SetField) appendWire(b []byte) []byte {
	start := len(b)
	b = append(b, 0, ofpatSetField, 0, 0)
	masked := a.masked()
	value, mask := a.Value, a.Mask
	if a.Field.VariableLength() {
		value, mask = trimVariable(value, mask, masked)
	}
	// An empty value is possible: OVS sends set_field:0->tun_metadata0 so.
	b = a.Field.appendHeaderLen(b, masked, len(value))
	b = append(b, value...)
	if masked {
		b = append(b, mask...)
	}
	return finishAction(b, start)
}

// trimVariable drops the leading zero bytes that value and mask share, as
// OVS's nx_put_entry does for a variable-length field (tun_metadata): its
// value is right-aligned in the mapped option, so a 4-byte 0x00000001 and a
// 1-byte 0x01 are the same set_field, and ovs-vswitchd dumps the short one.
// Encoding the same way makes a dumped flow re-encode to the bytes of the
// desired one (ofctrl compares by encoding).
func trimVariable(value, mask []byte, masked bool) ([]byte, []byte) {
	lead := len(value)
	for i, c := range value {
		if c != 0 {
			lead = i
			break
		}
	}
	n := len(value) - lead
	if masked {
		ml := len(mask)
		for i, c := range mask {
			if c != 0 {
				ml = i
				break
			}
		}
		n = max(n, len(mask)-ml)
		mask = mask[len(mask)-n:]
	}
	return value[len(value)-n:], mask
}

func decodeSetField(b []byte) (Action, error) {
	f, masked, n, hlen, err := DecodeHeader(b[4:])
	if err != nil {
		return nil, fmt.Errorf("set_field: %w", err)
	}
	body := b[4+hlen:]
	need := n
	if masked {
		need *= 2
	}
	if need > len(body) {
		return nil, fmt.Errorf("%w: set_field %s value of %d bytes in %d", ErrBadAction, f.Name(), need, len(body))
	}
	if !allZero(body[need:]) {
		return nil, fmt.Errorf("%w: set_field %s: nonzero padding", ErrBadAction, f.Name())
	}
	if f.VariableLength() && masked && allOnes(body[n:need]) {
		// OVS sends a mask for a variable-length field only when it does
		// not cover the mapped option, whose width the dump does not tell:
		// a trimmed 0xff mask of a 4-byte option is a partial mask. One
		// leading zero byte keeps it partial (and prints as OVS does).
		if n == 0 {
			return nil, fmt.Errorf("%w: set_field %s: empty masked value", ErrBadAction, f.Name())
		}
		buf := make([]byte, 2*(n+1))
		copy(buf[1:], body[:n])
		copy(buf[n+2:], body[n:need])
		return SetField{Field: f, Value: buf[: n+1 : n+1], Mask: buf[n+1:]}, nil
	}
	buf := append([]byte(nil), body[:need]...) // value and mask in one allocation
	a := SetField{Field: f, Value: buf[:n:n]}
	if masked {
		a.Mask = buf[n:]
	}
	return a, nil
}

// Move copies one subfield into another of the same width:
// "move:NXM_NX_REG14[]->NXM_NX_REG15[]". OpenFlow 1.5 carries it as
// OFPAT_COPY_FIELD.
type Move struct {
	Src, Dst Subfield
}

func (a Move) String() string { return stringOf(a) }

func (a Move) appendText(b []byte) []byte {
	b = append(b, "move:"...)
	b = a.Src.appendText(b)
	b = append(b, "->"...)
	return a.Dst.appendText(b)
}

func (a Move) appendWire(b []byte) []byte {
	start := len(b)
	b = append(b, 0, ofpatCopyField, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(a.Dst.NBits()))
	b = binary.BigEndian.AppendUint16(b, uint16(a.Src.Offset))
	b = binary.BigEndian.AppendUint16(b, uint16(a.Dst.Offset))
	b = append(b, 0, 0)
	b = a.Src.Field.AppendHeader(b, false, 0)
	b = a.Dst.Field.AppendHeader(b, false, 0)
	return finishAction(b, start)
}

func decodeCopyField(b []byte) (Action, error) {
	if len(b) < 16 {
		return nil, fmt.Errorf("%w: copy_field of %d bytes", ErrBadAction, len(b))
	}
	return decodeMoveBody(b, int(be16(b, 4)), int(be16(b, 6)), int(be16(b, 8)), 12)
}

func decodeRegMove(b []byte) (Action, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("%w: reg_move of %d bytes", ErrBadAction, len(b))
	}
	return decodeMoveBody(b, int(be16(b, 10)), int(be16(b, 12)), int(be16(b, 14)), 16)
}

func decodeMoveBody(b []byte, nbits, srcOfs, dstOfs, hdrOff int) (Action, error) {
	src, _, _, n1, err := DecodeHeader(b[hdrOff:])
	if err != nil {
		return nil, fmt.Errorf("move source: %w", err)
	}
	dst, _, _, n2, err := DecodeHeader(b[hdrOff+n1:])
	if err != nil {
		return nil, fmt.Errorf("move destination: %w", err)
	}
	if !allZero(b[hdrOff+n1+n2:]) {
		return nil, fmt.Errorf("%w: move: nonzero padding", ErrBadAction)
	}
	a := Move{Src: Subfield{Field: src, Offset: srcOfs, Bits: nbits}, Dst: Subfield{Field: dst, Offset: dstOfs, Bits: nbits}}
	if err := checkSubfield(a.Src); err != nil {
		return nil, err
	}
	if err := checkSubfield(a.Dst); err != nil {
		return nil, err
	}
	return a, nil
}

// StackPush pushes a subfield onto the stack: "push:NXM_NX_REG0[]".
type StackPush struct{ Subfield Subfield }

// StackPop pops the stack into a subfield: "pop:NXM_NX_REG0[]".
type StackPop struct{ Subfield Subfield }

func (a StackPush) String() string { return stringOf(a) }
func (a StackPush) appendText(b []byte) []byte {
	return a.Subfield.appendText(append(b, "push:"...))
}
func (a StackPush) appendWire(b []byte) []byte { return appendStack(b, nxastStackPush, a.Subfield) }

func (a StackPop) String() string { return stringOf(a) }
func (a StackPop) appendText(b []byte) []byte {
	return a.Subfield.appendText(append(b, "pop:"...))
}
func (a StackPop) appendWire(b []byte) []byte { return appendStack(b, nxastStackPop, a.Subfield) }

func appendStack(b []byte, sub uint16, s Subfield) []byte {
	start := len(b)
	b = appendNXHeader(b, sub)
	b = binary.BigEndian.AppendUint16(b, uint16(s.Offset))
	b = appendHeaderNX(b, s.Field)
	b = binary.BigEndian.AppendUint16(b, uint16(s.NBits()))
	for len(b)-start < 24 {
		b = append(b, 0)
	}
	return finishAction(b, start)
}

func decodeStack(b []byte, push bool) (Action, error) {
	if len(b) != 24 {
		return nil, fmt.Errorf("%w: stack action of %d bytes", ErrBadAction, len(b))
	}
	f, _, _, n, err := DecodeHeader(b[12:])
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	if 12+n+2 > len(b) {
		return nil, fmt.Errorf("%w: stack action truncated", ErrBadAction)
	}
	s := Subfield{Field: f, Offset: int(be16(b, 10)), Bits: int(be16(b, 12+n))}
	if !allZero(b[12+n+2:]) {
		return nil, fmt.Errorf("%w: stack action: nonzero padding", ErrBadAction)
	}
	if err := checkSubfield(s); err != nil {
		return nil, err
	}
	if push {
		return StackPush{Subfield: s}, nil
	}
	return StackPop{Subfield: s}, nil
}

// OutputReg outputs to the port number held in a subfield:
// "output:NXM_NX_REG15[]". MaxLen only matters if that port is the
// controller; 0 is sent as MaxLenAll.
type OutputReg struct {
	Src    Subfield
	MaxLen uint16
}

func (a OutputReg) String() string { return stringOf(a) }
func (a OutputReg) appendText(b []byte) []byte {
	return a.Src.appendText(append(b, "output:"...))
}
func (a OutputReg) appendWire(b []byte) []byte {
	start := len(b)
	maxLen := a.MaxLen
	if maxLen == 0 {
		maxLen = MaxLenAll
	}
	if h, ok := header32NX(a.Src.Field); ok {
		b = appendNXHeader(b, nxastOutputReg)
		b = binary.BigEndian.AppendUint16(b, a.Src.ofsNBits())
		b = binary.BigEndian.AppendUint32(b, h)
		b = binary.BigEndian.AppendUint16(b, maxLen)
	} else {
		b = appendNXHeader(b, nxastOutputReg2)
		b = binary.BigEndian.AppendUint16(b, a.Src.ofsNBits())
		b = binary.BigEndian.AppendUint16(b, maxLen)
		b = appendHeaderNX(b, a.Src.Field)
	}
	for len(b)-start < 24 {
		b = append(b, 0)
	}
	return finishAction(b, start)
}

func decodeOutputReg(b []byte, reg2 bool) (Action, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("%w: output_reg of %d bytes", ErrBadAction, len(b))
	}
	var (
		f      Field
		maxLen uint16
		err    error
	)
	if reg2 {
		maxLen = be16(b, 12)
		f, _, _, _, err = DecodeHeader(b[14:])
	} else {
		f, err = decodeHeader32(be32(b, 12))
		maxLen = be16(b, 16)
	}
	if err != nil {
		return nil, fmt.Errorf("output_reg: %w", err)
	}
	a := OutputReg{Src: subfieldFromOfsNBits(f, be16(b, 10)), MaxLen: maxLen}
	if err := checkSubfield(a.Src); err != nil {
		return nil, err
	}
	return a, nil
}

// CheckPktLarger stores in a 1-bit subfield whether the packet is longer
// than Len bytes: "check_pkt_larger(1500)->NXM_NX_XXREG0[96]".
type CheckPktLarger struct {
	Len uint16
	Dst Subfield
}

func (a CheckPktLarger) String() string { return stringOf(a) }
func (a CheckPktLarger) appendText(b []byte) []byte {
	b = appendUint(append(b, "check_pkt_larger("...), uint64(a.Len))
	b = append(b, ")->"...)
	return a.Dst.appendText(b)
}
func (a CheckPktLarger) appendWire(b []byte) []byte {
	start := len(b)
	b = appendNXHeader(b, nxastCheckPktLarger)
	b = binary.BigEndian.AppendUint16(b, a.Len)
	b = binary.BigEndian.AppendUint16(b, uint16(a.Dst.Offset))
	b = appendHeaderNX(b, a.Dst.Field)
	for len(b)-start < 24 {
		b = append(b, 0)
	}
	return finishAction(b, start)
}

func decodeCheckPktLarger(b []byte) (Action, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("%w: check_pkt_larger of %d bytes", ErrBadAction, len(b))
	}
	f, _, _, n, err := DecodeHeader(b[14:])
	if err != nil {
		return nil, fmt.Errorf("check_pkt_larger: %w", err)
	}
	if !allZero(b[14+n:]) {
		return nil, fmt.Errorf("%w: check_pkt_larger: nonzero padding", ErrBadAction)
	}
	a := CheckPktLarger{Len: be16(b, 10), Dst: Subfield{Field: f, Offset: int(be16(b, 12)), Bits: 1}}
	if err := checkSubfield(a.Dst); err != nil {
		return nil, err
	}
	return a, nil
}

// BundleAlgorithm is how a bundle action picks a member (NX_BD_ALG_*).
type BundleAlgorithm uint16

// Bundle algorithms.
const (
	BundleActiveBackup BundleAlgorithm = 0
	BundleHRW          BundleAlgorithm = 1
)

// HashFields is the packet fields a bundle action hashes (NX_HASH_FIELDS_*).
type HashFields uint16

// Hash field sets.
const (
	HashEthSrc HashFields = iota
	HashSymmetricL4
	HashSymmetricL3L4
	HashSymmetricL3L4UDP
	HashNwSrc
	HashNwDst
	HashSymmetricL3
)

var hashFieldNames = [...]string{"eth_src", "symmetric_l4", "symmetric_l3l4", "symmetric_l3l4+udp", "nw_src", "nw_dst", "symmetric_l3"}

// Bundle outputs to one live member port (bundle), or with Dst set stores
// the chosen port in a subfield (bundle_load):
// "bundle(eth_src,0,active_backup,ofport,members:1,2)".
type Bundle struct {
	Fields    HashFields
	Basis     uint16
	Algorithm BundleAlgorithm
	Dst       Subfield // zero Field: plain bundle
	Members   []Port
}

func (a Bundle) String() string { return stringOf(a) }
func (a Bundle) appendText(b []byte) []byte {
	if a.Dst.Field != FieldInvalid {
		b = append(b, "bundle_load("...)
	} else {
		b = append(b, "bundle("...)
	}
	if int(a.Fields) < len(hashFieldNames) {
		b = append(b, hashFieldNames[a.Fields]...)
	} else {
		b = append(b, "<unknown>"...)
	}
	b = appendUint(append(b, ','), uint64(a.Basis))
	switch a.Algorithm {
	case BundleHRW:
		b = append(b, ",hrw,ofport,"...)
	case BundleActiveBackup:
		b = append(b, ",active_backup,ofport,"...)
	default:
		b = append(b, ",<unknown>,ofport,"...)
	}
	if a.Dst.Field != FieldInvalid {
		b = append(a.Dst.appendText(b), ',')
	}
	b = append(b, "members:"...)
	for i, p := range a.Members {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPort(b, p)
	}
	return append(b, ')')
}

// inPortHeader is NXM_OF_IN_PORT, the member type every bundle uses.
const inPortHeader = 0x00000002

func (a Bundle) appendWire(b []byte) []byte {
	start := len(b)
	sub := uint16(nxastBundle)
	if a.Dst.Field != FieldInvalid {
		sub = nxastBundleLoad
	}
	b = appendNXHeader(b, sub)
	b = binary.BigEndian.AppendUint16(b, uint16(a.Algorithm))
	b = binary.BigEndian.AppendUint16(b, uint16(a.Fields))
	b = binary.BigEndian.AppendUint16(b, a.Basis)
	b = binary.BigEndian.AppendUint32(b, inPortHeader)
	b = binary.BigEndian.AppendUint16(b, uint16(len(a.Members)))
	if a.Dst.Field != FieldInvalid {
		h, _ := header32NX(a.Dst.Field)
		b = binary.BigEndian.AppendUint16(b, a.Dst.ofsNBits())
		b = binary.BigEndian.AppendUint32(b, h)
	} else {
		b = append(b, 0, 0, 0, 0, 0, 0)
	}
	b = append(b, 0, 0, 0, 0)
	for _, p := range a.Members {
		b = binary.BigEndian.AppendUint16(b, uint16(p))
	}
	return finishAction(b, start)
}

func decodeBundle(b []byte, load bool) (Action, error) {
	if len(b) < 32 {
		return nil, fmt.Errorf("%w: bundle of %d bytes", ErrBadAction, len(b))
	}
	a := Bundle{Algorithm: BundleAlgorithm(be16(b, 10)), Fields: HashFields(be16(b, 12)), Basis: be16(b, 14)}
	n := int(be16(b, 20))
	if 32+2*n > len(b) {
		return nil, fmt.Errorf("%w: bundle with %d members in %d bytes", ErrBadAction, n, len(b))
	}
	if load {
		f, err := decodeHeader32(be32(b, 24))
		if err != nil {
			return nil, fmt.Errorf("bundle_load: %w", err)
		}
		a.Dst = subfieldFromOfsNBits(f, be16(b, 22))
		if err := checkSubfield(a.Dst); err != nil {
			return nil, err
		}
	}
	a.Members = make([]Port, n)
	for i := range a.Members {
		a.Members[i] = Port(be16(b, 32+2*i))
	}
	return a, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func allOnes(b []byte) bool {
	for _, c := range b {
		if c != 0xff {
			return false
		}
	}
	return true
}

// appendFieldValue prints a field value (and mask, nil for exact) as OVS
// mf_format does for set_field and learn.
func appendFieldValue(b []byte, f Field, value, mask []byte) []byte {
	if mask != nil {
		if allZero(mask) {
			return append(b, "ANY"...)
		}
		if allOnes(mask) {
			mask = nil
		}
	}
	switch f.Format() {
	case FormatOFPort:
		if mask == nil && len(value) == 2 {
			return appendPort(b, Port(be16(value, 0)))
		}
		return appendDecimalValue(b, value, mask)
	case FormatOFPort32:
		if mask == nil && len(value) == 4 {
			if p, err := portFrom32(be32(value, 0)); err == nil {
				return appendPort(b, p)
			}
		}
		return appendDecimalValue(b, value, mask)
	case FormatDecimal:
		return appendDecimalValue(b, value, mask)
	case FormatEthernet:
		if len(value) == 6 && (mask == nil || len(mask) == 6) {
			b = appendMAC(b, value)
			if mask != nil {
				b = appendMAC(append(b, '/'), mask)
			}
			return b
		}
	case FormatIPv4:
		if len(value) == 4 && (mask == nil || len(mask) == 4) {
			b = appendIPv4(b, value)
			if mask != nil {
				if n, ok := cidrBits(mask); ok {
					b = appendUint(append(b, '/'), uint64(n))
				} else {
					b = appendIPv4(append(b, '/'), mask)
				}
			}
			return b
		}
	case FormatTunnelFlags:
		if len(value) == 2 && (mask == nil || len(mask) == 2) {
			return appendTunnelFlags(b, value, mask)
		}
	case FormatIPv6:
		if len(value) == 16 && (mask == nil || len(mask) == 16) {
			b = appendIPv6(b, value)
			if mask != nil {
				if n, ok := cidrBits(mask); ok {
					b = appendUint(append(b, '/'), uint64(n))
				} else {
					b = appendIPv6(append(b, '/'), mask)
				}
			}
			return b
		}
	}
	b = appendHexBytes(b, value)
	if mask != nil {
		b = appendHexBytes(append(b, '/'), mask)
	}
	return b
}

var tunnelFlagNames = [...]string{"oam", "df", "csum", "key"}

// appendTunnelFlags prints tun_flags as OVS mf_format_tnl_flags_string does:
// only the public "oam" flag is maskable, so the mask is that bit or nothing.
func appendTunnelFlags(b []byte, value, mask []byte) []byte {
	const public = 1
	m := uint16(public)
	if mask != nil {
		m = be16(mask, 0) & public
	}
	if m != public {
		return append(b, "0/0"...)
	}
	v := be16(value, 0)
	if v == 0 {
		return append(b, '0')
	}
	var bad uint16
	start := len(b)
	for bit := 0; bit < 16; bit++ {
		if v&(1<<bit) == 0 {
			continue
		}
		if bit < len(tunnelFlagNames) {
			b = append(append(b, tunnelFlagNames[bit]...), '|')
		} else {
			bad |= 1 << bit
		}
	}
	if bad != 0 {
		b = append(appendHexDigits(append(b, "0x"...), uint64(bad)), '|')
	}
	if len(b) > start {
		b = b[:len(b)-1]
	}
	return b
}

func appendDecimalValue(b []byte, value, mask []byte) []byte {
	if len(value) > 8 {
		b = appendHexBytes(b, value)
	} else {
		var v uint64
		for _, c := range value {
			v = v<<8 | uint64(c)
		}
		b = appendInt(b, int64(v)) // OVS prints with %lld
	}
	if mask != nil {
		b = appendHexBytes(append(b, '/'), mask)
	}
	return b
}

// appendHexBytes prints a big-endian number as OVS ds_put_hex does: "0x"
// and the digits without leading zeros, or "0".
func appendHexBytes(b, v []byte) []byte {
	const hexdigits = "0123456789abcdef"
	i := 0
	for i < len(v) && v[i] == 0 {
		i++
	}
	if i == len(v) {
		return append(b, '0')
	}
	b = append(b, '0', 'x')
	if v[i] < 0x10 {
		b = append(b, hexdigits[v[i]])
	} else {
		b = append(b, hexdigits[v[i]>>4], hexdigits[v[i]&15])
	}
	for _, c := range v[i+1:] {
		b = append(b, hexdigits[c>>4], hexdigits[c&15])
	}
	return b
}

func appendMAC(b, mac []byte) []byte {
	const hexdigits = "0123456789abcdef"
	for i, c := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexdigits[c>>4], hexdigits[c&15])
	}
	return b
}

func appendIPv4(b, ip []byte) []byte {
	for i, c := range ip {
		if i > 0 {
			b = append(b, '.')
		}
		b = appendUint(b, uint64(c))
	}
	return b
}

// appendIPv6 prints an address as glibc inet_ntop does. That matches Go's
// netip except for addresses whose first 96 bits are zero (and the next 16
// not), which glibc prints with an embedded IPv4 address ("::0.1.0.2").
func appendIPv6(b, ip []byte) []byte {
	var a [16]byte
	copy(a[:], ip)
	if allZero(a[:12]) && (a[12] != 0 || a[13] != 0) {
		return appendIPv4(append(b, "::"...), a[12:])
	}
	return netip.AddrFrom16(a).AppendTo(b)
}

// cidrBits reports whether mask is a prefix mask and its length.
func cidrBits(mask []byte) (int, bool) {
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
		if !allZero(mask[i+1:]) {
			return 0, false
		}
	}
	return n, true
}
