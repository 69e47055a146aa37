package physical

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/chassisd/chassisd/openflow/flow"
)

// helperTables are the controller-owned tables fed from SB rows rather than
// logical flows: neighbours (66/67), load-balancer hairpin (68-70), FDB
// (71/72) and port security (73-75).
func (c *computer) helperTables() {
	c.loadBalancerFlows()
	for i := range c.in.MACBindings {
		b := &c.in.MACBindings[i]
		if !c.want(b.UUID) {
			continue
		}
		c.origin = b.UUID
		c.neighborFlows(b.UUID, b.LogicalPort, b.IP, b.MAC, 100)
	}
	for i := range c.in.StaticMACBindings {
		b := &c.in.StaticMACBindings[i]
		if !c.want(b.UUID) {
			continue
		}
		c.origin = b.UUID
		prio := uint16(50)
		if b.OverrideDynamicMAC {
			prio = 150
		}
		c.neighborFlows(b.UUID, b.LogicalPort, b.IP, b.MAC, prio)
	}
	for i := range c.in.FDBs {
		if !c.want(c.in.FDBs[i].UUID) {
			continue
		}
		c.origin = c.in.FDBs[i].UUID
		c.fdbFlows(&c.in.FDBs[i])
	}
	for _, pb := range c.ports {
		c.origin = pb.UUID
		if c.want(pb.UUID) && pb.Chassis == c.in.Chassis && c.localDP[pb.DatapathKey] != nil {
			c.portSecurityFlows(pb)
		}
	}
	c.origin = ""
}

// neighborFlows is consider_neighbor_flow(): get_arp/get_nd (66) and
// lookup_arp/lookup_nd (67) for one MAC binding.
func (c *computer) neighborFlows(uuid, lport, ip, macStr string, prio uint16) {
	pb := c.byName[lport]
	if pb == nil || c.localDP[pb.DatapathKey] == nil {
		return
	}
	mac, ok := parseMAC(macStr)
	if !ok {
		return
	}
	get := newMatch()
	lookup := newMatch()
	if strings.Contains(ip, ".") {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return
		}
		v := a.As4()
		get.bytes(flow.FieldReg(0), v[:])
		lookup.bytes(flow.FieldReg(0), v[:])
		lookup.set(flow.FieldEthType, 0x0806)
	} else {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is6() {
			return
		}
		v := a.As16()
		get.bytes(flow.FieldXXReg(0), v[:])
		lookup.bytes(flow.FieldXXReg(0), v[:])
		lookup.set(flow.FieldEthType, 0x86dd).set(flow.FieldIPProto, 58).set(flow.FieldICMPv6Code, 0)
	}
	get.metadata(pb.DatapathKey).reg(fieldOutport, pb.TunnelKey)
	lookup.metadata(pb.DatapathKey).reg(fieldInport, pb.TunnelKey)

	cookie := cookieOf(uuid)
	var a actionList
	a.add(flow.SetField{Field: flow.FieldEthDst, Value: mac[:]})
	a.loadBits(fieldFlags, 6, 1, 1) // MLF_LOOKUP_MAC
	c.add(tableMACBinding, prio, cookie, get.done(), a.list())

	var l actionList
	l.loadBits(fieldFlags, 6, 1, 1)
	lookup.bytes(flow.FieldEthSrc, mac[:])
	c.add(tableMACLookup, prio, cookie, lookup.done(), l.list())
}

// fdbFlows is consider_fdb_flows(): get_fdb (71) and lookup_fdb (72).
func (c *computer) fdbFlows(f *FDB) {
	if c.localDP[f.DPKey] == nil {
		return
	}
	mac, ok := parseMAC(f.MAC)
	if !ok {
		return
	}
	cookie := cookieOf(f.UUID)
	var a actionList
	a.load(fieldOutport, uint64(f.PortKey))
	c.add(tableGetFDB, 100, cookie, newMatch().metadata(f.DPKey).bytes(flow.FieldEthDst, mac[:]).done(), a.list())

	var l actionList
	l.loadBits(fieldFlags, 8, 1, 1) // MLF_LOOKUP_FDB
	c.add(tableLookupFDB, 100, cookie,
		newMatch().metadata(f.DPKey).bytes(flow.FieldEthSrc, mac[:]).reg(fieldInport, f.PortKey).done(), l.list())
}

// sortedKeys returns m's keys sorted (deterministic iteration).
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
