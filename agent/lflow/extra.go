package lflow

import (
	"cmp"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/chassisd/chassisd/agent/internal/ovshash"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// The tables lflow.c fills from Southbound rows other than Logical_Flow:
// MAC_Binding and Static_MAC_Binding (66, 67), load balancer hairpin (68,
// 70; lbhairpin.go), FDB (71, 72) and the port security of the ports bound
// here (73, 74, 75; portsec.go). Each row is a source of
// flows like a logical flow, with its own cookie (first 32 bits of its
// UUID) and entry in Sources.

// MACBinding is a MAC_Binding row, or with Static set a Static_MAC_Binding
// row (then OverrideDynamicMAC picks priority 150 over 50).
type MACBinding struct {
	UUID               string
	LogicalPort        string
	IP                 string
	MAC                string
	Static             bool
	OverrideDynamicMAC bool
}

// FDB is one FDB row.
type FDB struct {
	UUID    string
	MAC     string
	DPKey   uint32
	PortKey uint32
}

// extraState is what the translator keeps for the non-lflow sources.
type extraState struct {
	macBindings map[string]*MACBinding
	macByPort   map[string]map[string]struct{} // logical port -> binding uuids
	fdbs        map[string]*FDB
	lbs         map[string]*LoadBalancer
	out         map[string]*[]outRef // by source id
}

func sourceID(kind, id string) string { return kind + ":" + id }

func (t *Translator) resetExtra() {
	t.extra = extraState{
		macBindings: map[string]*MACBinding{},
		macByPort:   map[string]map[string]struct{}{},
		fdbs:        map[string]*FDB{},
		lbs:         map[string]*LoadBalancer{},
		out:         map[string]*[]outRef{},
	}
}

func (t *Translator) extraOut(id string) *[]outRef {
	o := t.extra.out[id]
	if o == nil {
		o = new([]outRef)
		t.extra.out[id] = o
	}
	return o
}

func (t *Translator) dropExtra(id string) {
	if o := t.extra.out[id]; o != nil {
		t.removeOut(o)
		delete(t.extra.out, id)
	}
}

// recomputeExtra recomputes every non-lflow source; they depend on port
// and datapath locality, which change rarely compared with their number.
func (t *Translator) recomputeExtra() {
	for id, o := range t.extra.out {
		t.removeOut(o)
		delete(t.extra.out, id)
	}
	for _, u := range sortedKeys(t.extra.macBindings) {
		t.considerMACBinding(t.extra.macBindings[u])
	}
	for _, u := range sortedKeys(t.extra.fdbs) {
		t.considerFDB(t.extra.fdbs[u])
	}
	for _, u := range sortedKeys(t.extra.lbs) {
		t.considerLB(t.extra.lbs[u])
	}
	for _, n := range sortedKeys(t.ports) {
		t.considerPortSec(t.ports[n])
	}
}

// sortedKeys returns m's keys in order (deterministic iteration).
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

// PutMACBinding adds or replaces a MAC_Binding or Static_MAC_Binding row.
func (t *Translator) PutMACBinding(b MACBinding) {
	t.setMACBinding(b.UUID, &b)
	t.considerMACBinding(&b)
}

// DeleteMACBinding removes a MAC_Binding or Static_MAC_Binding row.
func (t *Translator) DeleteMACBinding(uuid string) {
	t.setMACBinding(uuid, nil)
	t.dropExtra(sourceID("mb", uuid))
}

func (t *Translator) setMACBinding(uuid string, b *MACBinding) {
	if old := t.extra.macBindings[uuid]; old != nil {
		if m := t.extra.macByPort[old.LogicalPort]; m != nil {
			delete(m, uuid)
			if len(m) == 0 {
				delete(t.extra.macByPort, old.LogicalPort)
			}
		}
		delete(t.extra.macBindings, uuid)
	}
	if b == nil {
		return
	}
	t.extra.macBindings[uuid] = b
	m := t.extra.macByPort[b.LogicalPort]
	if m == nil {
		m = map[string]struct{}{}
		t.extra.macByPort[b.LogicalPort] = m
	}
	m[uuid] = struct{}{}
}

// recomputePortExtra recomputes what depends on one port: its port
// security and the MAC bindings learnt on it.
func (t *Translator) recomputePortExtra(name string) {
	if pb := t.ports[name]; pb != nil {
		t.considerPortSec(pb)
	} else {
		t.dropExtra(sourceID("ps", name))
	}
	for _, u := range sortedKeys(t.extra.macByPort[name]) {
		t.considerMACBinding(t.extra.macBindings[u])
	}
}

// PutFDB adds or replaces an FDB row.
func (t *Translator) PutFDB(f FDB) {
	t.extra.fdbs[f.UUID] = &f
	t.considerFDB(&f)
}

// DeleteFDB removes an FDB row.
func (t *Translator) DeleteFDB(uuid string) {
	delete(t.extra.fdbs, uuid)
	t.dropExtra(sourceID("fdb", uuid))
}

func exact(m *flow.Match, f flow.Field, v uint64) { m.SetUint(f, v, ^uint64(0)) }

func setFlag(bit uint64, on bool) flow.SetField {
	v := uint64(0)
	if on {
		v = bit
	}
	return flow.SetFieldMasked(pipeline.RegFlags, v, bit)
}

// considerMACBinding is consider_neighbor_flow.
func (t *Translator) considerMACBinding(b *MACBinding) {
	id := sourceID("mb", b.UUID)
	t.dropExtra(id)
	pb := t.ports[b.LogicalPort]
	if pb == nil {
		return
	}
	dp := t.datapaths[pb.Datapath]
	if dp == nil || !dp.Local {
		return
	}
	mac, err := net.ParseMAC(b.MAC)
	if err != nil || len(mac) != 6 {
		t.log.Warn("bad mac in MAC binding", "uuid", b.UUID, "mac", b.MAC)
		return
	}
	var get, lookup flow.Match
	if strings.Contains(b.IP, ".") {
		ip, err := netip.ParseAddr(b.IP)
		if err != nil || !ip.Is4() {
			t.log.Warn("bad ip in MAC binding", "uuid", b.UUID, "ip", b.IP)
			return
		}
		v := ip.As4()
		get.Set(flow.FieldReg0, v[:])
		lookup.Set(flow.FieldReg0, v[:])
		exact(&lookup, flow.FieldEthType, 0x0806)
	} else {
		ip, err := netip.ParseAddr(b.IP)
		if err != nil || !ip.Is6() {
			t.log.Warn("bad ip in MAC binding", "uuid", b.UUID, "ip", b.IP)
			return
		}
		v := ip.As16()
		get.Set(flow.FieldXXReg0, v[:])
		lookup.Set(flow.FieldXXReg0, v[:])
		exact(&lookup, flow.FieldEthType, 0x86dd)
		exact(&lookup, flow.FieldIPProto, 58)
		exact(&lookup, flow.FieldICMPv6Code, 0)
	}
	exact(&get, flow.FieldMetadata, uint64(dp.TunnelKey))
	exact(&get, pipeline.RegOutport, uint64(pb.TunnelKey))
	exact(&lookup, flow.FieldMetadata, uint64(dp.TunnelKey))
	exact(&lookup, pipeline.RegInport, uint64(pb.TunnelKey))
	lookup.Set(flow.FieldEthSrc, mac)

	prio := uint16(100)
	if b.Static {
		prio = 50
		if b.OverrideDynamicMAC {
			prio = 150
		}
	}
	cookie := uint64(ovshash.UUIDPart0(b.UUID))
	out := t.extraOut(id)
	t.addFlow(out, pipeline.TableMACBinding, prio, get, &contrib{source: b.UUID, cookie: cookie,
		actions: flow.Actions{flow.SetField{Field: flow.FieldEthDst, Value: mac}, setFlag(pipeline.FlagLookupMAC, true)}})
	t.addFlow(out, pipeline.TableMACLookup, prio, lookup, &contrib{source: b.UUID, cookie: cookie,
		actions: flow.Actions{setFlag(pipeline.FlagLookupMAC, true)}})
}

// considerFDB is consider_fdb_flows.
func (t *Translator) considerFDB(f *FDB) {
	id := sourceID("fdb", f.UUID)
	t.dropExtra(id)
	local := false
	for _, dp := range t.datapaths {
		if dp.TunnelKey == f.DPKey && dp.Local {
			local = true
			break
		}
	}
	if !local {
		return
	}
	mac, err := net.ParseMAC(f.MAC)
	if err != nil || len(mac) != 6 {
		t.log.Warn("bad mac in FDB", "uuid", f.UUID, "mac", f.MAC)
		return
	}
	var get, lookup flow.Match
	exact(&get, flow.FieldMetadata, uint64(f.DPKey))
	get.Set(flow.FieldEthDst, mac)
	exact(&lookup, flow.FieldMetadata, uint64(f.DPKey))
	lookup.Set(flow.FieldEthSrc, mac)
	exact(&lookup, pipeline.RegInport, uint64(f.PortKey))
	cookie := uint64(ovshash.UUIDPart0(f.UUID))
	out := t.extraOut(id)
	t.addFlow(out, pipeline.TableGetFDB, 100, get, &contrib{source: f.UUID, cookie: cookie,
		actions: flow.Actions{flow.SetFieldUint(pipeline.RegOutport, uint64(f.PortKey))}})
	t.addFlow(out, pipeline.TableLookupFDB, 100, lookup, &contrib{source: f.UUID, cookie: cookie,
		actions: flow.Actions{setFlag(pipeline.FlagLookupFDB, true)}})
}
