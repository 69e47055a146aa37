package lflow

import (
	"sort"
	"strconv"

	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// FlowKey is an OpenFlow flow's identity: what ofctrl.Txn.DeleteFlow takes.
type FlowKey struct {
	Table    uint8
	Priority uint16
	Match    flow.Match
}

// Delta is what changed since the previous Changes (or since New): flows,
// groups and meters to put (new or changed) and to delete.
type Delta struct {
	PutFlows     []ofctrl.Flow
	DeleteFlows  []FlowKey
	PutGroups    []ofctrl.Group
	DeleteGroups []uint32
	PutMeters    []ofctrl.Meter
	DeleteMeters []uint32
}

// Empty reports whether nothing changed.
func (d *Delta) Empty() bool {
	return len(d.PutFlows)+len(d.DeleteFlows)+len(d.PutGroups)+len(d.DeleteGroups)+
		len(d.PutMeters)+len(d.DeleteMeters) == 0
}

// output builds the OpenFlow flow of a desired entry: the first
// contribution, or for conjunction clause flows every conjunctive
// contribution's conjunctions in order, with cookie 0.
func (d *desired) output() ofctrl.Flow {
	c0 := d.contribs[0]
	f := ofctrl.Flow{Table: d.table, Priority: d.prio, Match: d.match, Cookie: c0.cookie, Actions: c0.actions}
	if c0.conj && len(d.contribs) > 1 {
		var acts flow.Actions
		for _, c := range d.contribs {
			if c.conj {
				acts = append(acts, c.actions...)
			}
		}
		f.Actions = acts
	}
	return f
}

// Flows returns every OpenFlow flow of the current translation, sorted by
// table, priority and match.
func (t *Translator) Flows() []ofctrl.Flow {
	keys := make([]flowKey, 0, len(t.table))
	for k := range t.table {
		keys = append(keys, k)
	}
	sortKeys(keys)
	out := make([]ofctrl.Flow, 0, len(keys))
	for _, k := range keys {
		out = append(out, t.table[k].output())
	}
	return out
}

// NumFlows is the number of OpenFlow flows of the current translation.
func (t *Translator) NumFlows() int { return len(t.table) }

func sortKeys(keys []flowKey) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.table != b.table {
			return a.table < b.table
		}
		if a.prio != b.prio {
			return a.prio > b.prio
		}
		return a.match < b.match
	})
}

// Changes returns what changed since the previous call and forgets it:
// flows that are new or whose cookie or actions changed, and flows that are
// gone. After Full it reports the difference to the state before Full.
func (t *Translator) Changes() Delta {
	var d Delta
	keys := make([]flowKey, 0, len(t.dirty))
	for k := range t.dirty {
		keys = append(keys, k)
	}
	sortKeys(keys)
	for _, k := range keys {
		e := t.dirty[k]
		if cur := t.table[k]; cur != nil {
			f := cur.output()
			if e.had && e.sig == signature(f) {
				continue
			}
			d.PutFlows = append(d.PutFlows, f)
		} else if e.had {
			d.DeleteFlows = append(d.DeleteFlows, FlowKey{Table: k.table, Priority: k.prio, Match: e.match})
		}
	}
	t.dirty = map[flowKey]dirtyEntry{}
	for _, id := range sortedKeys(t.groupsDirty) {
		if g, ok := t.group(id); ok {
			d.PutGroups = append(d.PutGroups, g)
		} else {
			d.DeleteGroups = append(d.DeleteGroups, id)
		}
	}
	t.groupsDirty = map[uint32]struct{}{}
	for _, id := range sortedKeys(t.metersDirty) {
		if m, ok := t.meter(id); ok {
			d.PutMeters = append(d.PutMeters, m)
		} else {
			d.DeleteMeters = append(d.DeleteMeters, id)
		}
	}
	t.metersDirty = map[uint32]struct{}{}
	return d
}

// FlowText formats f as `ovs-ofctl -O OpenFlow15 dump-flows --no-stats`
// prints it (without the leading space): a zero cookie and table 0 are left
// out.
func FlowText(f ofctrl.Flow) string {
	b := make([]byte, 0, 128)
	if f.Cookie != 0 {
		b = append(b, "cookie=0x"...)
		b = strconv.AppendUint(b, f.Cookie, 16)
		b = append(b, ", "...)
	}
	if f.Table != 0 {
		b = append(b, "table="...)
		b = strconv.AppendUint(b, uint64(f.Table), 10)
		b = append(b, ", "...)
	}
	b = append(b, "priority="...)
	b = strconv.AppendUint(b, uint64(f.Priority), 10)
	if ms := f.Match.String(); ms != "" {
		b = append(b, ',')
		b = append(b, ms...)
	}
	b = append(b, " actions="...)
	b = append(b, f.Actions.String()...)
	return string(b)
}

// signature is what Changes compares to tell a changed flow: cookie and
// actions (table, priority and match are the flow's identity).
func signature(f ofctrl.Flow) string {
	return strconv.FormatUint(f.Cookie, 16) + " " + f.Actions.String()
}
