package ofctrl

import (
	"bytes"
	"runtime"
	"sync"
)

// Txn changes the desired table; see Update.
type Txn struct{ c *Controller }

// flowEntry encodes f and computes its identity. With canonical keys
// (the default) the match key is taken from the decoded encoding, i.e. the
// match as the switch will report it, so a match that is not in canonical
// form still compares equal to its dump.
func (c *Controller) flowEntry(f Flow) (flowKey, *desiredFlow) {
	d := &desiredFlow{flow: f}
	k := flowKey{table: f.Table, priority: f.Priority}
	if f.Match != nil {
		d.oxm = f.Match.AppendOXMFields(nil)
		k.match = f.Match.Key()
		if c.canonicalKeys {
			if m, err := c.dec.DecodeMatch(d.oxm); err == nil {
				k.match = m.Key()
			}
		}
	}
	if f.Actions != nil {
		d.actions = f.Actions.Append(nil)
	}
	return k, d
}

// flowEntries is flowEntry for many flows, spread over the available CPUs.
func (c *Controller) flowEntries(flows []Flow) ([]flowKey, []*desiredFlow) {
	keys := make([]flowKey, len(flows))
	entries := make([]*desiredFlow, len(flows))
	parallel(len(flows), func(i int) { keys[i], entries[i] = c.flowEntry(flows[i]) })
	return keys, entries
}

// parallel runs fn(0..n-1) on all CPUs when n is large enough to be worth
// it; fn must only touch index i of shared slices.
func parallel(n int, fn func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 4096 || workers < 2 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// sameFlow reports whether d would install the same as prev.
func sameFlow(prev, d *desiredFlow) bool {
	return prev != nil && prev.flow.Cookie == d.flow.Cookie && bytes.Equal(prev.actions, d.actions)
}

// PutFlow adds or replaces the desired flow with f's identity. When two
// flows have the same identity, the last put wins.
func (t Txn) PutFlow(f Flow) {
	c := t.c
	k, d := c.flowEntry(f)
	if sameFlow(c.desired[k], d) {
		return // unchanged: keep the old entry (and its rejection, if any)
	}
	c.desired[k] = d
	c.dirty[k] = struct{}{}
}

// DeleteFlow removes the desired flow with this identity.
func (t Txn) DeleteFlow(table uint8, priority uint16, m Match) {
	k, _ := t.c.flowEntry(Flow{Table: table, Priority: priority, Match: m})
	if _, ok := t.c.desired[k]; ok {
		delete(t.c.desired, k)
		t.c.dirty[k] = struct{}{}
	}
}

// PutGroup adds or replaces a desired group.
func (t Txn) PutGroup(g Group) {
	c := t.c
	d := &desiredGroup{group: g, canon: canonicalGroup(&g)}
	if old, ok := c.desiredGroups[g.ID]; ok && bytes.Equal(old.canon, d.canon) {
		return
	}
	c.desiredGroups[g.ID] = d
	c.dirtyGroups[g.ID] = struct{}{}
}

// DeleteGroup removes a desired group.
func (t Txn) DeleteGroup(id uint32) {
	if _, ok := t.c.desiredGroups[id]; ok {
		delete(t.c.desiredGroups, id)
		t.c.dirtyGroups[id] = struct{}{}
	}
}

// PutMeter adds or replaces a desired meter.
func (t Txn) PutMeter(m Meter) {
	c := t.c
	d := &desiredMeter{meter: m, canon: canonicalMeter(&m)}
	if old, ok := c.desiredMeters[m.ID]; ok && bytes.Equal(old.canon, d.canon) {
		return
	}
	c.desiredMeters[m.ID] = d
	c.dirtyMeters[m.ID] = struct{}{}
}

// DeleteMeter removes a desired meter.
func (t Txn) DeleteMeter(id uint32) {
	if _, ok := t.c.desiredMeters[id]; ok {
		delete(t.c.desiredMeters, id)
		t.c.dirtyMeters[id] = struct{}{}
	}
}

// Clear empties the desired table (flows, groups, meters). Followed by Puts
// of the full new state in the same Update, only the difference is sent.
func (t Txn) Clear() {
	c := t.c
	for k := range c.desired {
		c.dirty[k] = struct{}{}
	}
	for id := range c.desiredGroups {
		c.dirtyGroups[id] = struct{}{}
	}
	for id := range c.desiredMeters {
		c.dirtyMeters[id] = struct{}{}
	}
	c.desired = make(map[flowKey]*desiredFlow, len(c.desired))
	c.desiredGroups = map[uint32]*desiredGroup{}
	c.desiredMeters = map[uint32]*desiredMeter{}
}

// Update applies fn to the desired table atomically and returns the new
// desired-state version. The change reaches the switch at the next Sync
// (Run syncs right away); WaitInstalled(version) tells when it is in.
func (c *Controller) Update(fn func(Txn)) uint64 {
	c.mu.Lock()
	fn(Txn{c})
	c.desiredSeq++
	seq := c.desiredSeq
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return seq
}

// SetFlows replaces the desired flows (groups and meters stay). Only flows
// that are new, changed or gone become pending, so a full recompute that
// changes little costs little to sync.
func (c *Controller) SetFlows(flows []Flow) uint64 {
	// Encoding is pure: do it before taking the lock, on all cores.
	keys, entries := c.flowEntries(flows)
	return c.Update(func(Txn) {
		old := c.desired
		c.desired = make(map[flowKey]*desiredFlow, len(flows))
		for i := range flows {
			k, d := keys[i], entries[i]
			if prev := old[k]; sameFlow(prev, d) {
				c.desired[k] = prev
				continue
			}
			c.desired[k] = d
			c.dirty[k] = struct{}{}
		}
		for k := range old {
			if _, ok := c.desired[k]; !ok {
				c.dirty[k] = struct{}{}
			}
		}
	})
}
