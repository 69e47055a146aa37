package expr

import (
	"math/bits"
	"strings"
)

// Value128 is the value or mask of a comparison: the widest logical field
// is 128 bits, so comparisons keep 16 bytes instead of a whole Subvalue,
// which keeps expression trees (cloned heavily by normalization) small.
// Big-endian; bit 0 is the least significant bit of the last byte.
type Value128 [16]byte

const value128Bytes = 16

// Bit reports whether bit i is set.
func (v *Value128) Bit(i int) bool { return v[value128Bytes-1-i/8]&(1<<(uint(i)%8)) != 0 }

// SetBit sets bit i to b.
func (v *Value128) SetBit(i int, b bool) {
	if b {
		v[value128Bytes-1-i/8] |= 1 << (uint(i) % 8)
	} else {
		v[value128Bytes-1-i/8] &^= 1 << (uint(i) % 8)
	}
}

// ToggleBit flips bit i.
func (v *Value128) ToggleBit(i int) { v[value128Bytes-1-i/8] ^= 1 << (uint(i) % 8) }

// IsZero reports whether no bit is set.
func (v *Value128) IsZero() bool { return *v == Value128{} }

// Uint64 returns the low 64 bits.
func (v *Value128) Uint64() uint64 {
	var x uint64
	for _, b := range v[8:] {
		x = x<<8 | uint64(b)
	}
	return x
}

// SetUint64 sets the value to x.
func (v *Value128) SetUint64(x uint64) {
	*v = Value128{}
	for i := 0; i < 8; i++ {
		v[value128Bytes-1-i] = byte(x >> (8 * i))
	}
}

func (v *Value128) scan(target bool, start, end int) int {
	for i := start; i < end; i++ {
		if v.Bit(i) == target {
			return i
		}
	}
	return end
}

func (v *Value128) setRange(ofs, n int, b bool) {
	for i := ofs; i < ofs+n; i++ {
		v.SetBit(i, b)
	}
}

// copyFromSubvalue copies n bits of src starting at srcOfs to dstOfs.
func (v *Value128) copyFromSubvalue(src *Subvalue, srcOfs, dstOfs, n int) {
	for i := 0; i < n; i++ {
		v.SetBit(dstOfs+i, src.Bit(srcOfs+i))
	}
}

func (v *Value128) copyBits(src *Value128, srcOfs, dstOfs, n int) {
	for i := 0; i < n; i++ {
		v.SetBit(dstOfs+i, src.Bit(srcOfs+i))
	}
}

// shiftLeft shifts towards the most significant end by n bits.
func (v *Value128) shiftLeft(n int) {
	if n <= 0 {
		return
	}
	var out Value128
	byteShift, bitShift := n/8, uint(n%8)
	for i := 0; i < value128Bytes; i++ {
		src := i + byteShift
		if src >= value128Bytes {
			break
		}
		out[i] = v[src] << bitShift
		if bitShift != 0 && src+1 < value128Bytes {
			out[i] |= v[src+1] >> (8 - bitShift)
		}
	}
	*v = out
}

func (v *Value128) onesCount() int {
	n := 0
	for _, b := range v {
		n += bits.OnesCount8(b)
	}
	return n
}

// appendHex formats like Subvalue.appendHex (the leading zeros of a wider
// value print the same).
func (v *Value128) appendHex(sb *strings.Builder) { appendHexBytes(sb, v[:]) }

// intersect128 is intersect for comparison values.
func intersect128(aValue, aMask, bValue, bMask *Value128) (value, mask Value128, ok bool) {
	for i := range value {
		if (aValue[i]^bValue[i])&aMask[i]&bMask[i] != 0 {
			return Value128{}, Value128{}, false
		}
		value[i] = aValue[i] | bValue[i]
		mask[i] = aMask[i] | bMask[i]
	}
	return value, mask, true
}
