package actions

import (
	"sort"
	"sync"
)

// ExtendTable hands out OpenFlow group or meter ids for action-generated
// descriptions, like ovn-controller's ovn_extend_table: ids start at 1, a
// description already present gets its old id back, and a new description
// gets the lowest free id.
//
// Entries remember which logical flows use them. ReleaseLflow drops a
// flow's references and returns the entries nobody uses any more; their ids
// stay reserved (the switch may still have the group or meter) until
// FreeID is called once it has been deleted.
type ExtendTable struct {
	name  string
	maxID uint32

	mu       sync.Mutex
	byName   map[string]uint32
	byID     map[uint32]string
	reserved map[uint32]bool // ids of released entries not yet freed
	users    map[uint32]map[[16]byte]bool
	byLflow  map[[16]byte]map[uint32]bool
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
	return &ExtendTable{
		name: name, maxID: maxID, free: 1,
		byName: map[string]uint32{}, byID: map[uint32]string{}, reserved: map[uint32]bool{},
		users: map[uint32]map[[16]byte]bool{}, byLflow: map[[16]byte]map[uint32]bool{},
	}
}

// Name is the table's name ("group-table", "meter-table").
func (t *ExtendTable) Name() string { return t.name }

// AssignID returns the id for description, allocating one if needed. ok is
// false when the table is full.
func (t *ExtendTable) AssignID(description string) (id uint32, ok bool) {
	return t.AssignIDFor(description, [16]byte{})
}

// AssignIDFor is AssignID that also records that logical flow lflow uses
// the entry.
func (t *ExtendTable) AssignIDFor(description string, lflow [16]byte) (id uint32, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, found := t.byName[description]
	if !found {
		if id, ok = t.allocate(); !ok {
			return 0, false
		}
		t.byName[description] = id
		t.byID[id] = description
	}
	if t.users[id] == nil {
		t.users[id] = map[[16]byte]bool{}
	}
	t.users[id][lflow] = true
	if t.byLflow[lflow] == nil {
		t.byLflow[lflow] = map[uint32]bool{}
	}
	t.byLflow[lflow][id] = true
	return id, true
}

func (t *ExtendTable) allocate() (uint32, bool) {
	id := t.free
	for ; id <= t.maxID && id != 0; id++ {
		if _, used := t.byID[id]; !used && !t.reserved[id] {
			t.free = id + 1
			return id, true
		}
	}
	t.free = id
	return 0, false
}

// ReleaseLflow drops lflow's references and returns the entries no other
// flow uses; they leave the table but their ids stay reserved until FreeID.
func (t *ExtendTable) ReleaseLflow(lflow [16]byte) []ExtendEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []ExtendEntry
	for id := range t.byLflow[lflow] {
		delete(t.users[id], lflow)
		if len(t.users[id]) > 0 {
			continue
		}
		desc := t.byID[id]
		delete(t.users, id)
		delete(t.byID, id)
		delete(t.byName, desc)
		t.reserved[id] = true
		gone = append(gone, ExtendEntry{id, desc})
	}
	delete(t.byLflow, lflow)
	sort.Slice(gone, func(i, j int) bool { return gone[i].ID < gone[j].ID })
	return gone
}

// FreeID makes a released id available again (call it once the group or
// meter is gone from the switch).
func (t *ExtendTable) FreeID(id uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.reserved[id] {
		return
	}
	delete(t.reserved, id)
	if id < t.free {
		t.free = id
	}
}

// Release removes description and frees its id at once, whoever uses it.
func (t *ExtendTable) Release(description string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.byName[description]
	if !ok {
		return
	}
	for lflow := range t.users[id] {
		delete(t.byLflow[lflow], id)
		if len(t.byLflow[lflow]) == 0 {
			delete(t.byLflow, lflow)
		}
	}
	delete(t.users, id)
	delete(t.byName, description)
	delete(t.byID, id)
	if id < t.free {
		t.free = id
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
