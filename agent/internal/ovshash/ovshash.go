// Package ovshash holds the Open vSwitch hash functions whose values show in
// ovn-controller's output (conjunction ids, the iteration order of an sset),
// as OVS's lib/hash.h computes them in its generic build (no SSE4.2 or ARM
// CRC32), which Debian's packages use; and the flow cookie of a row UUID.
// agent/lflow and agent/physical share it.
package ovshash

import (
	"encoding/binary"
	"math/bits"
	"strconv"
)

// Add is mhash_add().
func Add(h, data uint32) uint32 {
	if data != 0 {
		data *= 0xcc9e2d51
		data = bits.RotateLeft32(data, 15)
		data *= 0x1b873593
		h ^= data
	}
	h = bits.RotateLeft32(h, 13)
	return h*5 + 0xe6546b64
}

// Finish is mhash_finish().
func Finish(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// String is hash_string(s, 0) (hash_bytes over s).
func String(s string) uint32 {
	b := []byte(s)
	h := uint32(0)
	i := 0
	for ; i+4 <= len(b); i += 4 {
		h = Add(h, binary.LittleEndian.Uint32(b[i:]))
	}
	if i < len(b) {
		var tail [4]byte
		copy(tail[:], b[i:])
		h = Add(h, binary.LittleEndian.Uint32(tail[:]))
	}
	return Finish(h ^ uint32(len(b)))
}

// UUIDPart0 is parts[0] of an OVS struct uuid, the first 8 hex digits of
// its text (0 when they do not parse): what uuid_hash() returns and the
// cookie ovn-controller gives every flow derived from that row.
func UUIDPart0(uuid string) uint32 {
	if len(uuid) < 8 {
		return 0
	}
	v, err := strconv.ParseUint(uuid[:8], 16, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}
