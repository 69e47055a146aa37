package physical

// Distributed gateway ports (chassisredirect) and HA chassis groups.

import (
	"sort"
)

// localRedirect handles a chassisredirect port active here: output to it
// becomes output to its distributed port (table 40).
func (c *computer) localRedirect(pb *PortBinding) {
	var a actionList
	dist := c.byName[pb.Options["distributed-port"]]
	switch {
	case dist == nil:
		warnOnce("no port binding for the distributed port of a chassisredirect port", pb.LogicalPort)
	case dist.DatapathKey != pb.DatapathKey:
		warnOnce("chassisredirect port refers to a distributed port in another datapath", pb.LogicalPort)
	default:
		a.load(fieldOutport, uint64(dist.TunnelKey))
		a.zones(c.zones(dist))
		a.resubmit(tableCheckLoopback)
	}
	// Without a valid distributed port the flow still exists and drops.
	c.add(tableLocalOutput, 100, cookieOf(pb.UUID), outportMatch(pb.DatapathKey, pb.TunnelKey).done(), a.list())
}

// remoteRedirectBridged is put_remote_port_redirect_bridged(): a remote
// chassisredirect port with redirect-type=bridged is reached through the
// localnet of the switch its distributed port connects to.
func (c *computer) remoteRedirectBridged(pb *PortBinding, ld *localDatapath) {
	if pb.Type != "chassisredirect" || len(pb.MAC) == 0 {
		return
	}
	mac, ok := parseMAC(firstField(pb.MAC[0]))
	if !ok {
		return
	}
	dist := pb.Options["distributed-port"]
	var lsKey uint32
	for _, pp := range ld.peerPorts {
		if pp.remote.Options["peer"] == dist {
			lsKey = pp.remote.DatapathKey
			break
		}
	}
	if lsKey == 0 {
		return
	}
	lsLD := c.localDP[lsKey]
	if lsLD == nil || lsLD.localnet == nil {
		return
	}
	var a actionList
	a.setEthSrc(mac)
	a.load(fieldMetadata, uint64(lsKey))
	a.load(fieldOutport, uint64(lsLD.localnet.TunnelKey))
	a.resubmit(tableLogToPhy)
	c.add(tableLocalOutput, 100, cookieOf(pb.UUID), outportMatch(pb.DatapathKey, pb.TunnelKey).done(), a.list())
}

// haGroupActive is ha_chassis_group_is_active() for this chassis.
func (c *computer) haGroupActive(pb *PortBinding) bool {
	ms := pb.HAChassis
	switch len(ms) {
	case 0:
		return false
	case 1:
		return ms[0].Chassis == c.in.Chassis
	}
	// This chassis is the only member whose chassis still exists.
	var alive int
	here := false
	for _, m := range ms {
		if m.Chassis != "" {
			alive++
			here = here || m.Chassis == c.in.Chassis
		}
	}
	if here && alive == 1 {
		return true
	}
	if len(c.active) == 0 {
		// No BFD session up: this chassis is cut off.
		return false
	}
	// Among this chassis and the members reachable over BFD, the one with
	// the highest priority is active.
	var candidates []HAChassis
	for _, m := range ms {
		if m.Chassis != "" && (m.Chassis == c.in.Chassis || c.active[m.Chassis]) {
			candidates = append(candidates, m)
		}
	}
	if len(candidates) == 0 {
		return false
	}
	if len(candidates) == 1 && candidates[0].Chassis == c.in.Chassis {
		// Alone: only if some chassis using the group still reaches us.
		for _, ref := range pb.HARefChassis {
			if c.active[ref] {
				return true
			}
		}
		return false
	}
	return orderedHA(candidates)[0].Chassis == c.in.Chassis
}

// orderedHA is get_ordered_ha_chassis_list() without BFD filtering: the
// members whose chassis exists, by priority (highest first), ties by name
// in descending order.
func orderedHA(members []HAChassis) []HAChassis {
	var out []HAChassis
	for _, m := range members {
		if m.Chassis != "" {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority > out[j].Priority
		}
		return out[i].Chassis > out[j].Chassis
	})
	return out
}

// chassisResident is lport_is_chassis_resident().
func (c *computer) chassisResident(name string) bool {
	pb := c.byName[name]
	if pb == nil {
		return false
	}
	if pb.Type != "chassisredirect" {
		return pb.Chassis == c.in.Chassis
	}
	return c.haGroupActive(pb) || (len(pb.HAChassis) == 0 && pb.Chassis == c.in.Chassis)
}
