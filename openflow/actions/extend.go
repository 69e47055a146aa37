package actions

import (
	"sort"
	"sync"
)

// ExtendTable hands out OpenFlow group or meter ids for action-generated
// descriptions, like ovn-controller's ovn_extend_table: ids start at 1, a
// description already present gets its old id back, and a new description
// gets the lowest free id. Ids are only returned by Release.
type ExtendTable struct {
	name  string
	maxID uint32

	mu     sync.Mutex
	byName map[string]uint32
	byID   map[uint32]string
	// free is a lower bound of the lowest free id, so allocation does not
	// rescan the ids in use.
	free uint32
}

// Maximum ids of OpenFlow groups (OFPG_MAX) and meters (OFPM13_MAX).
const (
	MaxGroupID uint32 = 0xffffff00
	MaxMeterID uint32 = 0xffff0000
)

// NewExtendTable returns an empty table whose ids run from 1 to maxID.
func NewExtendTable(name string, maxID uint32) *ExtendTable {
	return &ExtendTable{name: name, maxID: maxID, byName: map[string]uint32{}, byID: map[uint32]string{}, free: 1}
}

// Name is the table's name ("group-table", "meter-table").
func (t *ExtendTable) Name() string { return t.name }

// AssignID returns the id for description, allocating one if needed. ok is
// false when the table is full.
func (t *ExtendTable) AssignID(description string) (id uint32, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, found := t.byName[description]; found {
		return id, true
	}
	for id = t.free; id <= t.maxID && id != 0; id++ {
		if _, used := t.byID[id]; !used {
			t.byName[description] = id
			t.byID[id] = description
			t.free = id + 1
			return id, true
		}
	}
	t.free = id
	return 0, false
}

// Release frees the id of description, if it has one.
func (t *ExtendTable) Release(description string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.byName[description]; ok {
		delete(t.byName, description)
		delete(t.byID, id)
		if id < t.free {
			t.free = id
		}
	}
}

// Lookup returns the description that owns id.
func (t *ExtendTable) Lookup(id uint32) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, ok := t.byID[id]
	return d, ok
}

// ExtendEntry is one allocated id and its description.
type ExtendEntry struct {
	ID          uint32
	Description string
}

// Entries lists the allocated ids in ascending order.
func (t *ExtendTable) Entries() []ExtendEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]ExtendEntry, 0, len(t.byID))
	for id, d := range t.byID {
		out = append(out, ExtendEntry{id, d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
