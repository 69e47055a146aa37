package flow

import (
	"encoding/binary"
	"fmt"
)

// LearnDefaultPriority is the priority OVS gives learned flows unless told
// otherwise (OFP_DEFAULT_PRIORITY); Learn.String omits it.
const LearnDefaultPriority = 0x8000

// Learn adds or modifies a flow from the packet (NXAST_LEARN, or
// NXAST_LEARN2 when Limit or ResultDst is set):
// "learn(table=76,idle_timeout=20,delete_learned,OXM_OF_METADATA[],eth_type=0x800,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],load:0x1->NXM_NX_REG10[13])".
// Timeouts of 0 mean permanent. Priority is used as is: set
// LearnDefaultPriority for OVS's default.
type Learn struct {
	Table          uint8
	IdleTimeout    uint16
	HardTimeout    uint16
	FinIdleTimeout uint16
	FinHardTimeout uint16
	Priority       uint16
	Cookie         uint64
	SendFlowRem    bool
	DeleteLearned  bool
	Limit          uint32
	ResultDst      Subfield // Field set: write whether the flow was learned (1 bit)
	Specs          []LearnSpec
}

// LearnSpecKind is what a learn spec adds to the learned flow.
type LearnSpecKind uint8

// Learn spec kinds.
const (
	LearnMatch  LearnSpecKind = iota // a match on Dst
	LearnLoad                        // an action loading Dst
	LearnOutput                      // an output to the port in Src
)

// LearnSpec is one element of a learn action. The source is Imm when it is
// non-nil (a big-endian value, right-aligned in the spec's width), else Src.
// The width is Dst's (Src's for LearnOutput). Printed forms:
// "NXM_OF_ETH_SRC[]" (match a field on itself), "NXM_OF_IP_SRC[]=NXM_OF_IP_DST[]",
// "eth_type=0x800", "NXM_NX_REG0[0..3]=0x5", "load:0x1->NXM_NX_REG10[13]",
// "load:NXM_NX_REG0[]->NXM_NX_REG1[]", "output:NXM_NX_REG15[]".
type LearnSpec struct {
	Kind LearnSpecKind
	Src  Subfield
	Imm  []byte
	Dst  Subfield
}

// Learn flags (NX_LEARN_F_*) and spec header bits.
const (
	learnFlagSendFlowRem   = 1 << 0
	learnFlagDeleteLearned = 1 << 1
	learnFlagWriteResult   = 1 << 2

	learnSrcImmediate = 1 << 13
	learnDstLoad      = 1 << 11
	learnDstOutput    = 2 << 11
	learnDstMask      = 3 << 11
	learnNBitsMask    = 0x3ff
)

func (s LearnSpec) nbits() int {
	if s.Kind == LearnOutput {
		return s.Src.NBits()
	}
	return s.Dst.NBits()
}

// imm returns the immediate value as ceil(nbits/8) big-endian bytes.
func (s LearnSpec) imm() []byte {
	n := (s.nbits() + 7) / 8
	out := make([]byte, n)
	src := s.Imm
	if len(src) > n {
		src = src[len(src)-n:]
	}
	copy(out[n-len(src):], src)
	return out
}

func (a Learn) String() string { return stringOf(a) }

func (a Learn) appendText(b []byte) []byte {
	b = appendUint(append(b, "learn(table="...), uint64(a.Table))
	if a.IdleTimeout != 0 {
		b = appendUint(append(b, ",idle_timeout="...), uint64(a.IdleTimeout))
	}
	if a.HardTimeout != 0 {
		b = appendUint(append(b, ",hard_timeout="...), uint64(a.HardTimeout))
	}
	if a.FinIdleTimeout != 0 {
		b = appendUint(append(b, ",fin_idle_timeout="...), uint64(a.FinIdleTimeout))
	}
	if a.FinHardTimeout != 0 {
		b = appendUint(append(b, ",fin_hard_timeout="...), uint64(a.FinHardTimeout))
	}
	if a.Priority != LearnDefaultPriority {
		b = appendUint(append(b, ",priority="...), uint64(a.Priority))
	}
	if a.SendFlowRem {
		b = append(b, ",send_flow_rem"...)
	}
	if a.DeleteLearned {
		b = append(b, ",delete_learned"...)
	}
	if a.Cookie != 0 {
		b = appendHex(append(b, ",cookie="...), a.Cookie)
	}
	if a.Limit != 0 {
		b = appendUint(append(b, ",limit="...), uint64(a.Limit))
	}
	if a.ResultDst.Field != FieldInvalid {
		b = a.ResultDst.appendText(append(b, ",result_dst="...))
	}
	for _, s := range a.Specs {
		b = append(b, ',')
		switch {
		case s.Kind == LearnMatch && s.Imm != nil:
			f := s.Dst.Field
			if s.Dst.Offset == 0 && s.Dst.NBits() == f.Bits() {
				value := make([]byte, f.Bytes())
				imm := s.imm()
				if len(imm) > len(value) {
					imm = imm[len(imm)-len(value):]
				}
				copy(value[len(value)-len(imm):], imm)
				b = append(b, f.Name()...)
				b = appendFieldValue(append(b, '='), f, value, nil)
			} else {
				b = s.Dst.appendText(b)
				b = appendHexBytes(append(b, '='), s.imm())
			}
		case s.Kind == LearnMatch:
			b = s.Dst.appendText(b)
			if s.Src.Field != s.Dst.Field || s.Src.Offset != s.Dst.Offset {
				b = s.Src.appendText(append(b, '='))
			}
		case s.Kind == LearnLoad && s.Imm != nil:
			b = appendHexBytes(append(b, "load:"...), s.imm())
			b = s.Dst.appendText(append(b, "->"...))
		case s.Kind == LearnLoad:
			b = s.Src.appendText(append(b, "load:"...))
			b = s.Dst.appendText(append(b, "->"...))
		default:
			b = s.Src.appendText(append(b, "output:"...))
		}
	}
	return append(b, ')')
}

func (a Learn) appendWire(b []byte) []byte {
	start := len(b)
	learn2 := a.Limit != 0 || a.ResultDst.Field != FieldInvalid
	if learn2 {
		b = appendNXHeader(b, nxastLearn2)
	} else {
		b = appendNXHeader(b, nxastLearn)
	}
	var flags uint16
	if a.SendFlowRem {
		flags |= learnFlagSendFlowRem
	}
	if a.DeleteLearned {
		flags |= learnFlagDeleteLearned
	}
	if a.ResultDst.Field != FieldInvalid {
		flags |= learnFlagWriteResult
	}
	b = binary.BigEndian.AppendUint16(b, a.IdleTimeout)
	b = binary.BigEndian.AppendUint16(b, a.HardTimeout)
	b = binary.BigEndian.AppendUint16(b, a.Priority)
	b = binary.BigEndian.AppendUint64(b, a.Cookie)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = append(b, a.Table, 0)
	b = binary.BigEndian.AppendUint16(b, a.FinIdleTimeout)
	b = binary.BigEndian.AppendUint16(b, a.FinHardTimeout)
	if learn2 {
		b = binary.BigEndian.AppendUint32(b, a.Limit)
		b = binary.BigEndian.AppendUint16(b, uint16(a.ResultDst.Offset))
		b = append(b, 0, 0)
		if a.ResultDst.Field != FieldInvalid {
			b = appendHeaderNX(b, a.ResultDst.Field)
		}
	}
	for _, s := range a.Specs {
		n := s.nbits()
		hdr := uint16(n) & learnNBitsMask
		switch s.Kind {
		case LearnLoad:
			hdr |= learnDstLoad
		case LearnOutput:
			hdr |= learnDstOutput
		}
		if s.Imm != nil && s.Kind != LearnOutput {
			hdr |= learnSrcImmediate
		}
		b = binary.BigEndian.AppendUint16(b, hdr)
		if hdr&learnSrcImmediate != 0 {
			width := 2 * ((n + 15) / 16)
			imm := s.imm()
			for i := len(imm); i < width; i++ {
				b = append(b, 0)
			}
			b = append(b, imm[max(0, len(imm)-width):]...)
		} else {
			h, _ := header32NX(s.Src.Field)
			b = binary.BigEndian.AppendUint32(b, h)
			b = binary.BigEndian.AppendUint16(b, uint16(s.Src.Offset))
		}
		if s.Kind != LearnOutput {
			h, _ := header32NX(s.Dst.Field)
			b = binary.BigEndian.AppendUint32(b, h)
			b = binary.BigEndian.AppendUint16(b, uint16(s.Dst.Offset))
		}
	}
	return finishAction(b, start)
}

func decodeLearn(b []byte, learn2 bool) (Action, error) {
	minLen := 32
	if learn2 {
		minLen = 40
	}
	if len(b) < minLen {
		return nil, fmt.Errorf("%w: learn of %d bytes", ErrBadAction, len(b))
	}
	flags := be16(b, 24)
	a := Learn{
		IdleTimeout:    be16(b, 10),
		HardTimeout:    be16(b, 12),
		Priority:       be16(b, 14),
		Cookie:         binary.BigEndian.Uint64(b[16:]),
		SendFlowRem:    flags&learnFlagSendFlowRem != 0,
		DeleteLearned:  flags&learnFlagDeleteLearned != 0,
		Table:          b[26],
		FinIdleTimeout: be16(b, 28),
		FinHardTimeout: be16(b, 30),
	}
	p := b[32:]
	if learn2 {
		a.Limit = be32(b, 32)
		p = b[40:]
		if flags&learnFlagWriteResult != 0 {
			f, _, _, n, err := DecodeHeader(p)
			if err != nil {
				return nil, fmt.Errorf("learn result_dst: %w", err)
			}
			a.ResultDst = Subfield{Field: f, Offset: int(be16(b, 36)), Bits: 1}
			if err := checkSubfield(a.ResultDst); err != nil {
				return nil, err
			}
			p = p[n:]
		}
	}
	for len(p) >= 2 {
		hdr := be16(p, 0)
		if hdr == 0 {
			break
		}
		p = p[2:]
		n := int(hdr & learnNBitsMask)
		var s LearnSpec
		switch hdr & learnDstMask {
		case 0:
			s.Kind = LearnMatch
		case learnDstLoad:
			s.Kind = LearnLoad
		case learnDstOutput:
			s.Kind = LearnOutput
			if hdr&learnSrcImmediate != 0 {
				return nil, fmt.Errorf("%w: learn output from an immediate", ErrBadAction)
			}
		default:
			return nil, fmt.Errorf("%w: learn spec destination type %d", ErrBadAction, hdr&learnDstMask>>11)
		}
		if n == 0 {
			return nil, fmt.Errorf("%w: learn spec of 0 bits", ErrBadAction)
		}
		if hdr&learnSrcImmediate != 0 {
			width := 2 * ((n + 15) / 16)
			if len(p) < width {
				return nil, fmt.Errorf("%w: learn spec truncated", ErrBadAction)
			}
			nb := (n + 7) / 8
			s.Imm = append([]byte(nil), p[width-nb:width]...)
			p = p[width:]
		} else {
			sf, rest, err := learnSubfield(p, n)
			if err != nil {
				return nil, err
			}
			s.Src, p = sf, rest
		}
		if s.Kind != LearnOutput {
			sf, rest, err := learnSubfield(p, n)
			if err != nil {
				return nil, err
			}
			s.Dst, p = sf, rest
		}
		a.Specs = append(a.Specs, s)
	}
	if !allZero(p) {
		return nil, fmt.Errorf("%w: learn: nonzero padding", ErrBadAction)
	}
	return a, nil
}

func learnSubfield(p []byte, n int) (Subfield, []byte, error) {
	if len(p) < 6 {
		return Subfield{}, nil, fmt.Errorf("%w: learn spec truncated", ErrBadAction)
	}
	f, err := decodeHeader32(be32(p, 0))
	if err != nil {
		return Subfield{}, nil, fmt.Errorf("learn: %w", err)
	}
	s := Subfield{Field: f, Offset: int(be16(p, 4)), Bits: n}
	if err := checkSubfield(s); err != nil {
		return Subfield{}, nil, err
	}
	return s, p[6:], nil
}
