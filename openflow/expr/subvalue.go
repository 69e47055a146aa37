package expr

import (
	"math/bits"
	"strconv"
	"strings"
)

// SubvalueBytes is the size of a Subvalue, the widest value the language
// handles (OVS union mf_subvalue).
const SubvalueBytes = 128

// SubvalueBits is the number of bits in a Subvalue.
const SubvalueBits = SubvalueBytes * 8

// Subvalue is a big-endian 1024-bit value: bit 0 is the least significant bit
// of the last byte. Constants, masks and comparison values all use it, so a
// value lines up with the low bits of whatever field it is compared with.
type Subvalue [SubvalueBytes]byte

// Bit reports whether bit i (0 = least significant) is set.
func (v *Subvalue) Bit(i int) bool {
	return v[SubvalueBytes-1-i/8]&(1<<(uint(i)%8)) != 0
}

// SetBit sets bit i to b.
func (v *Subvalue) SetBit(i int, b bool) {
	if b {
		v[SubvalueBytes-1-i/8] |= 1 << (uint(i) % 8)
	} else {
		v[SubvalueBytes-1-i/8] &^= 1 << (uint(i) % 8)
	}
}

// ToggleBit flips bit i.
func (v *Subvalue) ToggleBit(i int) { v[SubvalueBytes-1-i/8] ^= 1 << (uint(i) % 8) }

// IsZero reports whether no bit is set.
func (v *Subvalue) IsZero() bool {
	for _, b := range v {
		if b != 0 {
			return false
		}
	}
	return true
}

// Uint64 returns the low 64 bits.
func (v *Subvalue) Uint64() uint64 {
	var x uint64
	for _, b := range v[SubvalueBytes-8:] {
		x = x<<8 | uint64(b)
	}
	return x
}

// SetUint64 sets the low 64 bits to x and clears the others.
func (v *Subvalue) SetUint64(x uint64) {
	*v = Subvalue{}
	for i := 0; i < 8; i++ {
		v[SubvalueBytes-1-i] = byte(x >> (8 * i))
	}
}

// highZeroBytes reports whether the first n bytes are zero.
func (v *Subvalue) highZeroBytes(n int) bool {
	for _, b := range v[:n] {
		if b != 0 {
			return false
		}
	}
	return true
}

// Width returns the position of the highest set bit plus one (0 for zero).
func (v *Subvalue) Width() int {
	for i, b := range v {
		if b != 0 {
			return (SubvalueBytes-1-i)*8 + bits.Len8(b)
		}
	}
	return 0
}

const hexDigits = "0123456789abcdef"

func (v *Subvalue) appendHex(sb *strings.Builder) { appendHexBytes(sb, v[:]) }

// appendHexBytes writes big-endian bytes as OVN prints integers: "0x" and
// the value without leading zeros, or "0".
func appendHexBytes(sb *strings.Builder, bs []byte) {
	printed := false
	for _, b := range bs {
		if b == 0 && !printed {
			continue
		}
		if !printed {
			sb.WriteString("0x")
			if b >= 0x10 {
				sb.WriteByte(hexDigits[b>>4])
			}
			sb.WriteByte(hexDigits[b&15])
			printed = true
			continue
		}
		sb.WriteByte(hexDigits[b>>4])
		sb.WriteByte(hexDigits[b&15])
	}
	if !printed {
		sb.WriteByte('0')
	}
}

// ipv4 returns the low 32 bits.
func (v *Subvalue) ipv4() [4]byte {
	var a [4]byte
	copy(a[:], v[SubvalueBytes-4:])
	return a
}

// ipv6 returns the low 128 bits.
func (v *Subvalue) ipv6() [16]byte {
	var a [16]byte
	copy(a[:], v[SubvalueBytes-16:])
	return a
}

func formatIPv4(a [4]byte) string {
	var sb strings.Builder
	for i, b := range a {
		if i > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(strconv.Itoa(int(b)))
	}
	return sb.String()
}

// formatIPv6 formats like glibc inet_ntop: the first longest run of two or
// more zero groups becomes "::", and IPv4-compatible or -mapped addresses end
// in dotted quad.
func formatIPv6(a [16]byte) string {
	var words [8]uint16
	for i := range words {
		words[i] = uint16(a[2*i])<<8 | uint16(a[2*i+1])
	}
	bestBase, bestLen := -1, 0
	curBase, curLen := -1, 0
	for i, w := range words {
		if w == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
		} else if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				sb.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			sb.WriteByte(':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff)) {
			sb.WriteString(formatIPv4([4]byte{a[12], a[13], a[14], a[15]}))
			break
		}
		sb.WriteString(strconv.FormatUint(uint64(words[i]), 16))
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		sb.WriteByte(':')
	}
	return sb.String()
}

func formatEthernet(v *Subvalue) string {
	var sb strings.Builder
	for i, b := range v[SubvalueBytes-6:] {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteByte(hexDigits[b>>4])
		sb.WriteByte(hexDigits[b&15])
	}
	return sb.String()
}

// cidrBits returns the prefix length if the low 'width' bits of mask are a
// CIDR mask (ones followed by zeros), or -1.
func cidrBits(mask *Subvalue, width int) int {
	n := 0
	for i := width - 1; i >= 0 && mask.Bit(i); i-- {
		n++
	}
	for i := width - 1 - n; i >= 0; i-- {
		if mask.Bit(i) {
			return -1
		}
	}
	return n
}
