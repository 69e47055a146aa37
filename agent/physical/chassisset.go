package physical

import (
	"github.com/chassisd/chassisd/agent/internal/ovshash"
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
		insert(buckets, mask, node{name, ovshash.String(name)})
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
