package physical

import (
	"log/slog"
	"sort"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// multicastGroup is consider_mc_group(): table 40 delivers to the local
// members, table 39 to patch/localport members and through tunnels to the
// chassis hosting remote members.
func (c *computer) multicastGroup(mc *MulticastGroup) {
	ld := c.localDP[mc.DatapathKey]
	if ld == nil {
		return
	}
	var local, remote actionList
	var remoteChassis, vtepChassis chassisSet
	for _, port := range c.members(mc) {
		if port.DatapathKey != mc.DatapathKey {
			slog.Warn("physical: multicast group contains ports in wrong datapath", "group", mc.UUID)
			continue
		}
		if z := c.in.CTZones[port.LogicalPort]; z != 0 {
			local.load(pipeline.RegCTZone, uint64(z))
		}
		lport := port.LogicalPort
		if port.ParentPort != "" {
			lport = port.ParentPort
		}
		deliver := func(a *actionList, key uint32) {
			a.load(pipeline.RegOutport, uint64(key)).resubmit(pipeline.TableCheckLoopback)
		}

		// ovn-controller 23.03 tests "patch" on its own, then goes on with
		// the chain below; no branch of it matches a patch port.
		if port.Type == pipeline.PortPatch {
			if ld.dp.IsTransitSwitch {
				deliver(&local, port.TunnelKey)
			} else {
				deliver(&remote, port.TunnelKey)
			}
			continue
		}
		switch {
		case port.Type == pipeline.PortRemote:
			if port.Chassis != "" {
				remote.load(pipeline.RegOutport, uint64(port.TunnelKey))
				if t := c.tunnelFor(port.Chassis, ""); t != nil {
					c.encapsulation(&remote, t, mc.DatapathKey, port.TunnelKey, false)
					remote.output(t.OFPort)
				}
			}
		case port.Type == pipeline.PortLocalport:
			deliver(&remote, port.TunnelKey)
		case (port.Chassis == c.in.Chassis || contains(port.AdditionalChassis, c.in.Chassis)) &&
			(c.in.VIFs[lport] != 0 || port.Type == pipeline.PortL3Gateway):
			deliver(&local, port.TunnelKey)
		case c.in.PatchPorts[port.LogicalPort] != 0:
			deliver(&local, port.TunnelKey)
		case port.Type == pipeline.PortChassisRedirect && port.Chassis == c.in.Chassis:
			if dist := c.byName[port.Options["distributed-port"]]; dist != nil && dist.DatapathKey == port.DatapathKey {
				deliver(&local, dist.TunnelKey)
			}
		case ld.localnet == nil:
			// With a localnet port the physical network floods to the
			// other chassis.
			if port.Chassis != "" {
				c.chassisSetFor(port.Chassis, &remoteChassis, &vtepChassis).add(port.Chassis)
			}
			for _, ch := range port.AdditionalChassis {
				c.chassisSetFor(ch, &remoteChassis, &vtepChassis).add(ch)
			}
		}
	}

	cookie := cookieOf(mc.UUID)
	match := outportMatch(mc.DatapathKey, mc.TunnelKey).done()
	hasLocal := len(local.as) > 0
	if hasLocal {
		local.load(pipeline.RegOutport, uint64(mc.TunnelKey))
		c.add(pipeline.TableLocalOutput, 100, cookie, match, local.list())
	}
	if len(remoteChassis) > 0 || len(vtepChassis) > 0 || len(remote.as) > 0 {
		if len(remote.as) > 0 {
			remote.load(pipeline.RegOutport, uint64(mc.TunnelKey))
		}
		c.fanout(&remote, remoteChassis, mc, false)
		c.fanout(&remote, vtepChassis, mc, true)
		if len(remote.as) > 0 {
			if hasLocal {
				remote.resubmit(pipeline.TableLocalOutput)
			}
			c.add(pipeline.TableRemoteOutput, 100, cookie, match, remote.list())
		}
	}
}

// members are the group's port bindings in OVSDB set order (by UUID).
func (c *computer) members(mc *MulticastGroup) []*PortBinding {
	var ps []*PortBinding
	for _, name := range mc.Ports {
		if pb := c.byName[name]; pb != nil {
			ps = append(ps, pb)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].UUID < ps[j].UUID })
	return ps
}

// fanout is fanout_to_chassis(): one output per chassis, re-encapsulating
// only when the tunnel type changes.
func (c *computer) fanout(a *actionList, set chassisSet, mc *MulticastGroup, rampSwitch bool) {
	var prev *Tunnel
	for _, ch := range set.ovsOrder() {
		t := c.tunnelFor(ch, "")
		if t == nil {
			continue
		}
		if prev == nil || t.Type != prev.Type {
			c.encapsulation(a, t, mc.DatapathKey, mc.TunnelKey, rampSwitch)
			prev = t
		}
		a.output(t.OFPort)
	}
}

// chassisSetFor picks the set for a chassis: VTEP gateways (ramp switches,
// no port bits in the VNI) or regular chassis.
func (c *computer) chassisSetFor(ch string, regular, vtep *chassisSet) *chassisSet {
	if contains(c.in.VTEPChassis, ch) {
		return vtep
	}
	return regular
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
