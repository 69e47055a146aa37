package physical

import "github.com/chassisd/chassisd/openflow/pipeline"

// Affected returns the rows whose flows must be recomputed (with
// ComputeFor) after the Port_Binding rows changed (added, modified or
// deleted) between before and after, in the spirit of ovn-controller's
// physical_handle_flows_for_lport(): the ports themselves, their patch
// peers, nested containers of a changed parent, chassisredirect ports of a
// changed distributed port, every port and multicast group of a datapath
// whose localnet port changed, the localnet port of a changed external
// port, the localnet ports (chassis-MAC flows) and bridged redirects when a
// router-facing port changed, every port of a datapath where a multichassis
// VIF changed, and the multicast groups containing a changed port. The
// rules are evaluated on both snapshots (before may be nil).
//
// Changes to anything else (local datapaths, VIFs, PatchPorts, Tunnels,
// CTZones, ActiveTunnels, chassis MACs, transit-switch flags) need a full
// Compute; a changed Multicast_Group or remote Chassis affects only its own
// row.
func Affected(before, after *Input, changedPorts []string) map[string]bool {
	out := make(map[string]bool)
	for _, in := range []*Input{before, after} {
		if in == nil {
			continue
		}
		c := newComputer(in)
		byUUID := make(map[string]*PortBinding, len(c.ports))
		for _, pb := range c.ports {
			byUUID[pb.UUID] = pb
		}
		for _, u := range changedPorts {
			out[u] = true
			if pb := byUUID[u]; pb != nil {
				c.affectedBy(pb, out)
			}
		}
	}
	return out
}

func (c *computer) affectedBy(pb *PortBinding, out map[string]bool) {
	name := pb.LogicalPort
	portsOnDP := func(dp uint32) {
		for _, p := range c.ports {
			if p.DatapathKey == dp {
				out[p.UUID] = true
			}
		}
		for _, mc := range c.mcGroups {
			if mc.DatapathKey == dp {
				out[mc.UUID] = true
			}
		}
	}
	routerFacing := pb.Type == pipeline.PortPatch || pb.Type == pipeline.PortL3Gateway || pb.Type == pipeline.PortChassisRedirect
	for _, p := range c.ports {
		switch {
		case p.Options["peer"] == name || (pb.Options["peer"] != "" && p.LogicalPort == pb.Options["peer"]):
			out[p.UUID] = true
		case p.ParentPort == name:
			out[p.UUID] = true
		case p.Type == pipeline.PortChassisRedirect && p.Options["distributed-port"] == name:
			out[p.UUID] = true
		case routerFacing && (p.Type == pipeline.PortLocalnet || p.Options["redirect-type"] != ""):
			out[p.UUID] = true
		}
	}
	switch {
	case pb.Type == pipeline.PortLocalnet:
		portsOnDP(pb.DatapathKey)
	case pb.Type == pipeline.PortExternal:
		if ld := c.localDP[pb.DatapathKey]; ld != nil && ld.localnet != nil {
			out[ld.localnet.UUID] = true
		}
	case pb.Type == pipeline.PortVIF && len(pb.AdditionalChassis) > 0:
		portsOnDP(pb.DatapathKey)
	}
	for _, mc := range c.mcGroups {
		if contains(mc.Ports, name) {
			out[mc.UUID] = true
		}
	}
}
