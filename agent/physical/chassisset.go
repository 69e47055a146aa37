package physical

import (
	"encoding/binary"
	"math/bits"
)

// chassisSet is a set of chassis names that iterates in the order of OVS's
// sset (an hmap keyed by hash_string()): ovn-controller fans a multicast
// packet out to remote chassis in that order, which shows in the action
// list. Names are kept in insertion order; ovsOrder replays the hmap.
type chassisSet []string

func (s *chassisSet) add(name string) {
	for _, n := range *s {
		if n == name {
			return
		}
	}
	*s = append(*s, name)
}

// ovsOrder is the iteration order of an OVS hmap after inserting the names
// in order: buckets by (hash & mask), each bucket's chain newest first,
// with the table doubling (and rehashing bucket by bucket) as it grows.
func (s chassisSet) ovsOrder() []string {
	type node struct {
		name string
		hash uint32
	}
	var buckets [][]node // each chain stored head first
	mask := 0
	buckets = make([][]node, 1)
	n := 0
	insert := func(bs [][]node, m int, nd node) {
		i := int(nd.hash) & m
		bs[i] = append([]node{nd}, bs[i]...)
	}
	for _, name := range s {
		insert(buckets, mask, node{name, ovsHashString(name)})
		n++
		if n/2 > mask {
			newMask := calcMask(n)
			if newMask > mask {
				nb := make([][]node, newMask+1)
				for _, chain := range buckets {
					for _, nd := range chain {
						insert(nb, newMask, nd)
					}
				}
				buckets, mask = nb, newMask
			}
		}
	}
	out := make([]string, 0, len(s))
	for _, chain := range buckets {
		for _, nd := range chain {
			out = append(out, nd.name)
		}
	}
	return out
}

// calcMask is OVS hmap's calc_mask().
func calcMask(capacity int) int {
	m := uint64(capacity / 2)
	m |= m >> 1
	m |= m >> 2
	m |= m >> 4
	m |= m >> 8
	m |= m >> 16
	m |= m >> 32
	m |= (m & 1) << 1
	return int(m)
}

// ovsHashString is OVS hash_string(s, 0) as built for generic x86-64 and
// other targets without SSE4.2/ARM CRC32 (murmur3-style hash_bytes).
func ovsHashString(s string) uint32 {
	b := []byte(s)
	h := uint32(0)
	i := 0
	for ; i+4 <= len(b); i += 4 {
		h = mhashAdd(h, binary.LittleEndian.Uint32(b[i:]))
	}
	if i < len(b) {
		var tail [4]byte
		copy(tail[:], b[i:])
		h = mhashAdd(h, binary.LittleEndian.Uint32(tail[:]))
	}
	return mhashFinish(h ^ uint32(len(b)))
}

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
