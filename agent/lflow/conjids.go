package lflow

import (
	"math/bits"
	"strconv"
)

// uuidPart0 is parts[0] of an OVS struct uuid: the first 8 hex digits.
// It is the flow cookie and what uuid_hash() returns.
func uuidPart0(uuid string) uint32 {
	if len(uuid) < 8 {
		return 0
	}
	v, err := strconv.ParseUint(uuid[:8], 16, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}

// OVS lib/hash.h, generic (non-SSE4.2) build, which Debian's x86-64 packages
// use.
func mhashAdd(h, data uint32) uint32 {
	if data != 0 {
		data *= 0xcc9e2d51
		data = bits.RotateLeft32(data, 15)
		data *= 0x1b873593
		h ^= data
	}
	h = bits.RotateLeft32(h, 13)
	return h*5 + 0xe6546b64
}

func mhashFinish(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// conjHash is hash_int(uuid_hash(lflow), uuid_hash(dp)), the preferred first
// conjunction id of a (logical flow, datapath) pair.
func conjHash(lflowUUID, dpUUID string) uint32 {
	x, y := uuidPart0(lflowUUID), uuidPart0(dpUUID)
	return mhashFinish(mhashAdd(mhashAdd(x, 0), y) ^ 8)
}

// conjIDs hands out ranges of conjunction ids as lflow_conj_ids_alloc does:
// the range starts at the pair's hash unless an id in it is taken, in which
// case the search goes on after the conflicting id. Id 0 is never used.
type conjIDs struct {
	used map[uint32]struct{}
}

func newConjIDs() *conjIDs { return &conjIDs{used: map[uint32]struct{}{}} }

// alloc reserves n consecutive ids and returns the first (0 if none left).
func (c *conjIDs) alloc(lflowUUID, dpUUID string, n uint32) uint32 {
	if n == 0 {
		return 0
	}
	start := conjHash(lflowUUID, dpUUID)
	if start == 0 {
		start = 1
	}
	initial := start
	first := true
	for {
		if start == 0 {
			start = 1
		}
		ok := true
		id := start
		for i := uint32(0); i < n; i++ {
			if id == 0 {
				ok = false
				break
			}
			if !first && id == initial {
				return 0
			}
			first = false
			if _, taken := c.used[id]; taken {
				ok = false
				break
			}
			id++
		}
		if ok {
			break
		}
		start = id + 1
	}
	for i := uint32(0); i < n; i++ {
		c.used[start+i] = struct{}{}
	}
	return start
}

func (c *conjIDs) free(start, n uint32) {
	for i := uint32(0); i < n; i++ {
		delete(c.used, start+i)
	}
}
