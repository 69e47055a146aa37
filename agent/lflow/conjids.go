package lflow

import (
	"github.com/chassisd/chassisd/agent/internal/ovshash"
)

// conjHash is hash_int(uuid_hash(lflow), uuid_hash(dp)), the preferred first
// conjunction id of a (logical flow, datapath) pair.
func conjHash(lflowUUID, dpUUID string) uint32 {
	x, y := ovshash.UUIDPart0(lflowUUID), ovshash.UUIDPart0(dpUUID)
	return ovshash.Finish(ovshash.Add(ovshash.Add(x, 0), y) ^ 8)
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
