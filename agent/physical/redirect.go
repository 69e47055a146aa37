package physical

// Distributed gateway ports (chassisredirect) and HA chassis groups.

import (
	"github.com/chassisd/chassisd/openflow/pipeline"
	"github.com/chassisd/chassisd/tunnel"
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
		a.load(pipeline.RegOutport, uint64(dist.TunnelKey))
		a.zones(c.zones(dist))
		a.resubmit(pipeline.TableCheckLoopback)
	}
	// Without a valid distributed port the flow still exists and drops.
	c.add(pipeline.TableLocalOutput, 100, cookieOf(pb.UUID), outportMatch(pb.DatapathKey, pb.TunnelKey).done(), a.list())
}

// remoteRedirectBridged is put_remote_port_redirect_bridged(): a remote
// chassisredirect port with redirect-type=bridged is reached through the
// localnet of the switch its distributed port connects to.
func (c *computer) remoteRedirectBridged(pb *PortBinding, ld *localDatapath) {
	if pb.Type != pipeline.PortChassisRedirect || len(pb.MAC) == 0 {
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
	a.load(pipeline.RegOutport, uint64(lsLD.localnet.TunnelKey))
	a.resubmit(pipeline.TableLogToPhy)
	c.add(pipeline.TableLocalOutput, 100, cookieOf(pb.UUID), outportMatch(pb.DatapathKey, pb.TunnelKey).done(), a.list())
}

// haGroupActive is ha_chassis_group_is_active() for this chassis.
func (c *computer) haGroupActive(pb *PortBinding) bool {
	g := tunnel.HAChassisGroup{Members: pb.HAChassis}
	for _, ref := range pb.HARefChassis {
		g.RefChassis = append(g.RefChassis, tunnel.RefChassis{Name: ref})
	}
	return tunnel.HAGroupIsActive(g, c.active, c.in.Chassis)
}

// orderedHA is get_ordered_ha_chassis_list() without BFD filtering: the
// members whose chassis exists, by priority (highest first), ties by name
// in descending order.
func orderedHA(members []HAChassis) []HAChassis {
	return tunnel.OrderedHAChassis(tunnel.HAChassisGroup{Members: members}, nil, "")
}

// chassisResident is lport_is_chassis_resident().
func (c *computer) chassisResident(name string) bool {
	pb := c.byName[name]
	if pb == nil {
		return false
	}
	if pb.Type != pipeline.PortChassisRedirect {
		return pb.Chassis == c.in.Chassis
	}
	return c.haGroupActive(pb) || (len(pb.HAChassis) == 0 && pb.Chassis == c.in.Chassis)
}
