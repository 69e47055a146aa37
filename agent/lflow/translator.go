package lflow

import (
	"log/slog"
	"maps"
	"sort"
	"strings"

	"github.com/chassisd/chassisd/openflow/actions"
	"github.com/chassisd/chassisd/openflow/expr"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// Options configures a Translator.
type Options struct {
	Features Features
	// Logger receives one warning per logical flow that fails to compile
	// (default slog.Default()).
	Logger *slog.Logger
	// Symtab defaults to expr.DefaultSymtab().
	Symtab *expr.Symtab
}

// depKind is the kind of Southbound object a logical flow's translation
// depends on.
type depKind uint8

const (
	depAddrSet   depKind = iota // Address_Set name
	depPortGroup                // Port_Group (southbound) name
	depPort                     // Port_Binding logical_port
	depMCGroup                  // Multicast_Group, "<dp uuid> <name>"
	depDatapath                 // Datapath_Binding _uuid
	depDPGroup                  // Logical_DP_Group _uuid
	depTemplate                 // Chassis_Template_Var variable name
	depTunnel                   // chassis name whose tunnel port fwd_group uses
)

type depKey struct {
	kind depKind
	name string
}

// flowKey is an OpenFlow flow's identity in the desired table.
type flowKey struct {
	table uint8
	prio  uint16
	match string
}

// contrib is one logical flow's contribution to a desired flow.
type contrib struct {
	source  string // Logical_Flow UUID, or another row's (see extra.go)
	cookie  uint64
	actions flow.Actions
	conj    bool // actions are only conjunction() actions
}

// desired is one OpenFlow flow of the desired table and every logical flow
// that produced it. The first contribution wins, except that conjunction
// clause flows merge the conjunctions of every conjunctive contribution.
type desired struct {
	table    uint8
	prio     uint16
	match    flow.Match
	contribs []*contrib
}

type outRef struct {
	key flowKey
	c   *contrib
}

type conjRange struct{ start, n uint32 }

// lflowState is what the translator remembers about one logical flow.
type lflowState struct {
	f      LogicalFlow
	deps   map[depKey]struct{}
	out    []outRef
	conjs  []conjRange
	groups []uint32 // group ids referenced (one entry per use)
	meters []uint32
}

// Translator turns logical flows into OpenFlow flows and keeps the result
// up to date incrementally. It is not safe for concurrent use.
type Translator struct {
	log      *slog.Logger
	symtab   *expr.Symtab
	features Features

	flows       map[string]*lflowState
	dpGroups    map[string][]string
	datapaths   map[string]*Datapath
	ports       map[string]*PortBinding
	mcGroups    map[string]*MulticastGroup // "<dp uuid> <name>"
	addrSets    map[string]*expr.ConstantSet
	addrSetsRaw map[string][]string
	pgRaw       map[string][]string
	pgByPort    map[string]map[string]struct{} // port name -> port groups
	portGroups  map[string]*expr.ConstantSet   // reduced to related ports
	relatedIDs  map[string]struct{}            // "<dp key>_<port key>"
	tmplVars    map[string]string
	tunnels     map[string]uint32
	collectors  map[uint32]bool
	meterRows   map[string]Meter
	parseParams map[[2]int]*actions.ParseParams

	deps  map[depKey]map[string]struct{}
	table map[flowKey]*desired
	dirty map[flowKey]dirtyEntry
	conj  *conjIDs

	groupTable, meterTable *actions.ExtendTable
	groupRefs, meterRefs   map[uint32]int
	groupsDirty            map[uint32]struct{}
	metersDirty            map[uint32]struct{}
	// prevGroups and prevMeters hold, during Full, what was there before.
	prevGroups, prevMeters map[uint32]string

	extra        extraState
	lbUseCTLabel bool

	// logged remembers the flows whose failure was logged, with the text
	// that failed, so each failure is logged once.
	logged map[string]string
}

// New returns an empty Translator.
func New(opts Options) *Translator {
	t := &Translator{log: opts.Logger, symtab: opts.Symtab, features: opts.Features}
	if t.log == nil {
		t.log = slog.Default()
	}
	if t.symtab == nil {
		t.symtab = expr.DefaultSymtab()
	}
	t.parseParams = map[[2]int]*actions.ParseParams{}
	t.logged = map[string]string{}
	t.reset()
	return t
}

func (t *Translator) reset() {
	if t.table == nil {
		t.table = map[flowKey]*desired{}
		t.dirty = map[flowKey]dirtyEntry{}
		t.groupsDirty = map[uint32]struct{}{}
		t.metersDirty = map[uint32]struct{}{}
	} else {
		// Everything installed before becomes dirty: Changes reports it
		// as deleted unless the new state puts it back. (Before the inputs
		// are cleared: meters need their rows.)
		for k, d := range t.table {
			t.touch(k, d, d.match)
		}
		t.prevGroups, t.prevMeters = map[uint32]string{}, map[uint32]string{}
		for id := range t.groupRefs {
			t.groupsDirty[id] = struct{}{}
			if g, ok := t.group(id); ok {
				t.prevGroups[id] = GroupText(g)
			}
		}
		for id := range t.meterRefs {
			t.metersDirty[id] = struct{}{}
			if m, ok := t.meter(id); ok {
				t.prevMeters[id] = MeterText(m)
			}
		}
		t.table = map[flowKey]*desired{}
	}
	t.flows = map[string]*lflowState{}
	t.dpGroups = map[string][]string{}
	t.datapaths = map[string]*Datapath{}
	t.ports = map[string]*PortBinding{}
	t.mcGroups = map[string]*MulticastGroup{}
	t.addrSets = map[string]*expr.ConstantSet{}
	t.addrSetsRaw = map[string][]string{}
	t.pgRaw = map[string][]string{}
	t.pgByPort = map[string]map[string]struct{}{}
	t.portGroups = map[string]*expr.ConstantSet{}
	t.relatedIDs = map[string]struct{}{}
	t.tmplVars = map[string]string{}
	t.tunnels = map[string]uint32{}
	t.collectors = map[uint32]bool{}
	t.meterRows = map[string]Meter{}
	t.deps = map[depKey]map[string]struct{}{}
	t.resetExtra()
	t.conj = newConjIDs()
	// The group and meter tables outlive a full recompute, so a group or
	// meter that is still used keeps its id (as ovn-controller's extend
	// tables do); Full releases the ones nothing uses any more.
	if t.groupTable == nil {
		t.groupTable = actions.NewExtendTable("group-table", actions.MaxGroupID)
		t.meterTable = actions.NewExtendTable("meter-table", actions.MaxMeterID)
	}
	t.groupRefs = map[uint32]int{}
	t.meterRefs = map[uint32]int{}
}

// Full replaces the whole state with in and translates every logical flow
// (the start and reconnect path). Use Flows, Groups and Meters for the
// result, or Changes for the difference to what was there before.
func (t *Translator) Full(in *Input) {
	t.reset()
	// About eight OpenFlow flows per logical flow in Neutron-like tables;
	// sizing the table up front saves most rehashing.
	t.table = make(map[flowKey]*desired, 8*len(in.Flows))
	for k, v := range in.DPGroups {
		t.dpGroups[k] = v
	}
	for i := range in.Datapaths {
		d := in.Datapaths[i]
		t.datapaths[d.UUID] = &d
	}
	for i := range in.Ports {
		p := in.Ports[i]
		t.ports[p.Name] = &p
	}
	for i := range in.MulticastGroups {
		g := in.MulticastGroups[i]
		t.mcGroups[g.Datapath+" "+g.Name] = &g
	}
	for name, vals := range in.AddressSets {
		t.addrSets[name] = expr.NewAddressSet(vals)
		t.addrSetsRaw[name] = vals
	}
	for name, ports := range in.PortGroups {
		t.setPGRaw(name, ports)
	}
	for k, v := range in.TemplateVars {
		t.tmplVars[k] = v
	}
	for k, v := range in.ChassisTunnels {
		t.tunnels[k] = v
	}
	for k, v := range in.CollectorSetIDs {
		t.collectors[k] = v
	}
	for k, v := range in.Meters {
		t.meterRows[k] = v
	}
	t.rebuildRelated()
	for name := range t.pgRaw {
		t.rebuildPortGroup(name)
	}
	for i := range in.MACBindings {
		b := in.MACBindings[i]
		t.setMACBinding(b.UUID, &b)
	}
	for i := range in.FDBs {
		f := in.FDBs[i]
		t.extra.fdbs[f.UUID] = &f
	}
	for i := range in.LoadBalancers {
		lb := in.LoadBalancers[i]
		t.extra.lbs[lb.UUID] = &lb
	}
	t.lbUseCTLabel = in.LBHairpinUseCTLabel
	t.recomputeExtra()
	flows := make([]LogicalFlow, len(in.Flows))
	copy(flows, in.Flows)
	sort.Slice(flows, func(i, j int) bool { return flows[i].UUID < flows[j].UUID })
	for i := range flows {
		ls := &lflowState{f: flows[i]}
		t.flows[ls.f.UUID] = ls
		t.consider(ls)
	}
	releaseUnused(t.groupTable, t.groupRefs)
	releaseUnused(t.meterTable, t.meterRefs)
	// Groups and meters that came back unchanged are not changes.
	for id, text := range t.prevGroups {
		if g, ok := t.group(id); ok && GroupText(g) == text {
			delete(t.groupsDirty, id)
		}
	}
	for id, text := range t.prevMeters {
		if m, ok := t.meter(id); ok && MeterText(m) == text {
			delete(t.metersDirty, id)
		}
	}
	t.prevGroups, t.prevMeters = nil, nil
}

func releaseUnused(tbl *actions.ExtendTable, refs map[uint32]int) {
	for _, e := range tbl.Entries() {
		if refs[e.ID] == 0 {
			tbl.Release(e.Description)
		}
	}
}

func (t *Translator) rebuildRelated() {
	t.relatedIDs = map[string]struct{}{}
	for _, p := range t.ports {
		if !p.Related {
			continue
		}
		if dp := t.datapaths[p.Datapath]; dp != nil {
			t.relatedIDs[lportID(dp.TunnelKey, p.TunnelKey)] = struct{}{}
		}
	}
}

func lportID(dpKey, portKey uint32) string {
	var b [24]byte
	out := appendUint(b[:0], uint64(dpKey))
	out = append(out, '_')
	out = appendUint(out, uint64(portKey))
	return string(out)
}

func appendUint(b []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// setPGRaw records a port group's members and keeps pgByPort in step.
func (t *Translator) setPGRaw(name string, ports []string) {
	for _, p := range t.pgRaw[name] {
		if m := t.pgByPort[p]; m != nil {
			delete(m, name)
			if len(m) == 0 {
				delete(t.pgByPort, p)
			}
		}
	}
	t.pgRaw[name] = ports
	for _, p := range ports {
		m := t.pgByPort[p]
		if m == nil {
			m = map[string]struct{}{}
			t.pgByPort[p] = m
		}
		m[name] = struct{}{}
	}
}

// rebuildPortGroup reduces a port group to the related ports, as
// port_groups_init() filters by related_lports.lport_names.
func (t *Translator) rebuildPortGroup(name string) {
	raw, ok := t.pgRaw[name]
	if !ok {
		delete(t.portGroups, name)
		return
	}
	var local []string
	for _, p := range raw {
		if pb := t.ports[p]; pb != nil && pb.Related {
			local = append(local, p)
		}
	}
	t.portGroups[name] = expr.NewPortGroup(local)
}

func (t *Translator) addDep(ls *lflowState, k depKey) {
	if _, ok := ls.deps[k]; ok {
		return
	}
	ls.deps[k] = struct{}{}
	m := t.deps[k]
	if m == nil {
		m = map[string]struct{}{}
		t.deps[k] = m
	}
	m[ls.f.UUID] = struct{}{}
}

// remove takes back everything ls contributed.
func (t *Translator) remove(ls *lflowState) {
	t.removeOut(&ls.out)
	for _, r := range ls.conjs {
		t.conj.free(r.start, r.n)
	}
	ls.conjs = nil
	for _, id := range ls.groups {
		t.unref(t.groupTable, t.groupRefs, t.groupsDirty, id)
	}
	ls.groups = nil
	for _, id := range ls.meters {
		t.unref(t.meterTable, t.meterRefs, t.metersDirty, id)
	}
	ls.meters = nil
	for k := range ls.deps {
		if m := t.deps[k]; m != nil {
			delete(m, ls.f.UUID)
			if len(m) == 0 {
				delete(t.deps, k)
			}
		}
	}
	ls.deps = nil
}

func (t *Translator) unref(tbl *actions.ExtendTable, refs map[uint32]int, dirty map[uint32]struct{}, id uint32) {
	refs[id]--
	if refs[id] > 0 {
		return
	}
	delete(refs, id)
	if desc, ok := tbl.Lookup(id); ok {
		tbl.Release(desc)
	}
	dirty[id] = struct{}{}
}

func (t *Translator) ref(refs map[uint32]int, dirty map[uint32]struct{}, id uint32) {
	if refs[id] == 0 {
		dirty[id] = struct{}{}
	}
	refs[id]++
}

// removeOut takes the contributions in *out out of the desired table.
func (t *Translator) removeOut(out *[]outRef) {
	for _, o := range *out {
		d := t.table[o.key]
		if d == nil {
			continue
		}
		t.touch(o.key, d, d.match)
		for i, c := range d.contribs {
			if c == o.c {
				d.contribs = append(d.contribs[:i], d.contribs[i+1:]...)
				break
			}
		}
		if len(d.contribs) == 0 {
			delete(t.table, o.key)
		}
	}
	*out = nil
}

// addFlow links a contribution into the desired table and records it in
// *out. c.source identifies the Southbound row that produced it.
func (t *Translator) addFlow(out *[]outRef, table uint8, prio uint16, m flow.Match, c *contrib) {
	k := flowKey{table, prio, m.Key()}
	d := t.table[k]
	if d == nil {
		t.touch(k, nil, m)
		d = &desired{table: table, prio: prio, match: m}
		t.table[k] = d
	} else {
		if !c.conj {
			// ofctrl_add_flow drops a duplicate from the same row.
			for _, o := range d.contribs {
				if o.source == c.source && !o.conj {
					return
				}
			}
		}
		t.touch(k, d, m)
	}
	d.contribs = append(d.contribs, c)
	*out = append(*out, outRef{k, c})
}

// dirtyEntry remembers, for a flow touched since the last Changes, whether
// it existed then and with which cookie and actions, so that Changes
// reports only real differences.
type dirtyEntry struct {
	match flow.Match
	had   bool
	sig   string
}

// touch records the state of flow k before its first change in the current
// Changes window (d is nil or empty when there was no flow).
func (t *Translator) touch(k flowKey, d *desired, m flow.Match) {
	if _, ok := t.dirty[k]; ok {
		return
	}
	e := dirtyEntry{match: m}
	if d != nil && len(d.contribs) > 0 {
		e.had, e.sig = true, signature(d.output())
	}
	t.dirty[k] = e
}

// reprocess recomputes the logical flows that depend on any of keys.
func (t *Translator) reprocess(keys ...depKey) {
	set := map[string]struct{}{}
	for _, k := range keys {
		for u := range t.deps[k] {
			set[u] = struct{}{}
		}
	}
	uuids := make([]string, 0, len(set))
	for u := range set {
		uuids = append(uuids, u)
	}
	sort.Strings(uuids)
	for _, u := range uuids {
		if ls := t.flows[u]; ls != nil {
			t.remove(ls)
			t.consider(ls)
		}
	}
}

// PutFlow adds or replaces one logical flow.
func (t *Translator) PutFlow(f LogicalFlow) {
	if ls := t.flows[f.UUID]; ls != nil {
		t.remove(ls)
	}
	if old, ok := t.logged[f.UUID]; ok && old != f.Match+"\x00"+f.Actions {
		delete(t.logged, f.UUID)
	}
	ls := &lflowState{f: f}
	t.flows[f.UUID] = ls
	t.consider(ls)
}

// DeleteFlow removes one logical flow and its OpenFlow flows.
func (t *Translator) DeleteFlow(uuid string) {
	if ls := t.flows[uuid]; ls != nil {
		t.remove(ls)
		delete(t.flows, uuid)
	}
	delete(t.logged, uuid)
}

// PutAddressSet adds or replaces an Address_Set and recomputes the flows
// that use it.
func (t *Translator) PutAddressSet(name string, values []string) {
	t.addrSets[name] = expr.NewAddressSet(values)
	t.addrSetsRaw[name] = values
	t.reprocess(depKey{depAddrSet, name})
}

// DeleteAddressSet removes an Address_Set.
func (t *Translator) DeleteAddressSet(name string) {
	delete(t.addrSets, name)
	delete(t.addrSetsRaw, name)
	t.reprocess(depKey{depAddrSet, name})
}

// PutPortGroup adds or replaces a Port_Group (southbound name) and
// recomputes the flows that use it.
func (t *Translator) PutPortGroup(name string, ports []string) {
	t.setPGRaw(name, ports)
	t.rebuildPortGroup(name)
	t.reprocess(depKey{depPortGroup, name})
}

// DeletePortGroup removes a Port_Group.
func (t *Translator) DeletePortGroup(name string) {
	t.setPGRaw(name, nil)
	delete(t.pgRaw, name)
	t.rebuildPortGroup(name)
	t.reprocess(depKey{depPortGroup, name})
}

// PutDPGroup adds or replaces a Logical_DP_Group.
func (t *Translator) PutDPGroup(uuid string, datapaths []string) {
	t.dpGroups[uuid] = datapaths
	t.reprocess(depKey{depDPGroup, uuid})
	t.recomputeExtra()
}

// DeleteDPGroup removes a Logical_DP_Group.
func (t *Translator) DeleteDPGroup(uuid string) {
	delete(t.dpGroups, uuid)
	t.reprocess(depKey{depDPGroup, uuid})
	t.recomputeExtra()
}

// PutDatapath adds or replaces a datapath (including a change of locality).
func (t *Translator) PutDatapath(d Datapath) {
	old := t.datapaths[d.UUID]
	t.datapaths[d.UUID] = &d
	keys := []depKey{{depDatapath, d.UUID}}
	if old == nil || old.TunnelKey != d.TunnelKey {
		keys = append(keys, t.relatedChangeKeys()...)
	}
	t.reprocess(keys...)
	t.recomputeExtra()
}

// DeleteDatapath removes a datapath.
func (t *Translator) DeleteDatapath(uuid string) {
	delete(t.datapaths, uuid)
	t.reprocess(append(t.relatedChangeKeys(), depKey{depDatapath, uuid})...)
	t.recomputeExtra()
}

// relatedChangeKeys rebuilds the related ports and port groups and returns
// the dependencies whose value changed.
func (t *Translator) relatedChangeKeys() []depKey {
	t.rebuildRelated()
	var keys []depKey
	for name := range t.pgRaw {
		old := t.portGroups[name]
		t.rebuildPortGroup(name)
		if old == nil || old.String() != t.portGroups[name].String() {
			keys = append(keys, depKey{depPortGroup, name})
		}
	}
	return keys
}

// PutPort adds or replaces a Port_Binding (including a change of its
// Resident or Related facts).
func (t *Translator) PutPort(p PortBinding) {
	old := t.ports[p.Name]
	t.ports[p.Name] = &p
	keys := []depKey{{depPort, p.Name}}
	if old == nil || old.Related != p.Related || old.TunnelKey != p.TunnelKey || old.Datapath != p.Datapath {
		keys = append(keys, t.portRelatedChanged(old, &p)...)
	}
	t.reprocess(keys...)
	t.recomputePortExtra(p.Name)
}

// DeletePort removes a Port_Binding.
func (t *Translator) DeletePort(name string) {
	old := t.ports[name]
	delete(t.ports, name)
	keys := []depKey{{depPort, name}}
	if old != nil {
		keys = append(keys, t.portRelatedChanged(old, nil)...)
	}
	t.reprocess(keys...)
	t.recomputePortExtra(name)
}

// portRelatedChanged updates the related port ids and the port groups that
// contain the port after it changed from old to cur (either may be nil),
// and returns the port groups whose local members changed.
func (t *Translator) portRelatedChanged(old, cur *PortBinding) []depKey {
	if old != nil && old.Related {
		if dp := t.datapaths[old.Datapath]; dp != nil {
			delete(t.relatedIDs, lportID(dp.TunnelKey, old.TunnelKey))
		}
	}
	if cur != nil && cur.Related {
		if dp := t.datapaths[cur.Datapath]; dp != nil {
			t.relatedIDs[lportID(dp.TunnelKey, cur.TunnelKey)] = struct{}{}
		}
	}
	name := ""
	if cur != nil {
		name = cur.Name
	} else if old != nil {
		name = old.Name
	}
	var keys []depKey
	for pg := range t.pgByPort[name] {
		before := t.portGroups[pg]
		t.rebuildPortGroup(pg)
		if before == nil || before.String() != t.portGroups[pg].String() {
			keys = append(keys, depKey{depPortGroup, pg})
		}
	}
	return keys
}

// PutMulticastGroup adds or replaces a Multicast_Group.
func (t *Translator) PutMulticastGroup(g MulticastGroup) {
	t.mcGroups[g.Datapath+" "+g.Name] = &g
	t.reprocess(depKey{depMCGroup, g.Datapath + " " + g.Name})
}

// DeleteMulticastGroup removes a Multicast_Group.
func (t *Translator) DeleteMulticastGroup(datapath, name string) {
	delete(t.mcGroups, datapath+" "+name)
	t.reprocess(depKey{depMCGroup, datapath + " " + name})
}

// SetTemplateVars replaces this chassis' template variables and recomputes
// the flows that use a variable whose value changed.
func (t *Translator) SetTemplateVars(vars map[string]string) {
	keys := changedKeys(depTemplate, t.tmplVars, vars)
	t.tmplVars = maps.Clone(vars)
	if t.tmplVars == nil {
		t.tmplVars = map[string]string{}
	}
	t.reprocess(keys...)
	if len(keys) > 0 {
		for _, u := range sortedKeys(t.extra.lbs) {
			if lb := t.extra.lbs[u]; lb.Options["template"] == "true" {
				t.considerLB(lb)
			}
		}
	}
}

// SetChassisTunnels replaces the chassis → tunnel OpenFlow port map and
// recomputes the flows (fwd_group with liveness) whose tunnel changed.
func (t *Translator) SetChassisTunnels(tunnels map[string]uint32) {
	keys := changedKeys(depTunnel, t.tunnels, tunnels)
	t.tunnels = maps.Clone(tunnels)
	if t.tunnels == nil {
		t.tunnels = map[string]uint32{}
	}
	t.reprocess(keys...)
}

// changedKeys are the dependencies of kind on the keys whose value differs
// between before and after (added, changed or removed).
func changedKeys[V comparable](kind depKind, before, after map[string]V) []depKey {
	var keys []depKey
	for k, v := range after {
		if old, ok := before[k]; !ok || old != v {
			keys = append(keys, depKey{kind, k})
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			keys = append(keys, depKey{kind, k})
		}
	}
	return keys
}

// PutMeterRow adds or replaces a Southbound Meter row; a meter in use is
// reported by Changes with its new bands.
func (t *Translator) PutMeterRow(m Meter) {
	t.meterRows[m.Name] = m
	t.meterRowChanged(m.Name)
}

// DeleteMeterRow removes a Southbound Meter row.
func (t *Translator) DeleteMeterRow(name string) {
	delete(t.meterRows, name)
	t.meterRowChanged(name)
}

func (t *Translator) meterRowChanged(name string) {
	for id := range t.meterRefs {
		if n, ok := t.meterTable.Lookup(id); ok && n == name {
			t.metersDirty[id] = struct{}{}
		}
	}
}

// Sources returns the UUIDs of the Southbound rows (logical flows, MAC
// bindings, FDB entries, port bindings, load balancers) that produced the
// OpenFlow flow with this identity, in contribution order.
func (t *Translator) Sources(table uint8, priority uint16, m ofctrl.Match) []string {
	d := t.table[flowKey{table, priority, m.Key()}]
	if d == nil {
		return nil
	}
	out := make([]string, 0, len(d.contribs))
	for _, c := range d.contribs {
		out = append(out, c.source)
	}
	return out
}

// NumLogicalFlows is the number of logical flows the translator holds.
func (t *Translator) NumLogicalFlows() int { return len(t.flows) }

func (t *Translator) logFailure(ls *lflowState, what string, err error) {
	sig := ls.f.Match + "\x00" + ls.f.Actions
	if t.logged[ls.f.UUID] == sig {
		return
	}
	t.logged[ls.f.UUID] = sig
	t.log.Warn("logical flow skipped: "+what, "lflow", ls.f.UUID,
		"match", ls.f.Match, "actions", ls.f.Actions, "error", strings.TrimSpace(err.Error()))
}
