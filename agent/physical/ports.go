package physical

import (
	"log/slog"
	"strings"

	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// accessType is how this chassis reaches a port (enum access_type).
type accessType int

const (
	accessLocal    accessType = iota // an OpenFlow port on br-int
	accessLocalnet                   // through the datapath's localnet port
	accessRemote                     // through a tunnel to its chassis
	accessHARemote                   // through an active/backup bundle of tunnels
)

// portBinding is consider_port_binding(): the flows of one Port_Binding.
func (c *computer) portBinding(pb *PortBinding) {
	ld := c.localDP[pb.DatapathKey]
	if ld == nil {
		return
	}
	switch {
	case pb.Type == pipeline.PortPatch || (pb.Type == pipeline.PortL3Gateway && pb.Chassis == c.in.Chassis):
		c.patchPort(pb)
		return
	case pb.Type == pipeline.PortChassisRedirect && (pb.Chassis == c.in.Chassis || c.haGroupActive(pb)):
		c.localRedirect(pb)
		return
	}

	ofport, tag, parent := c.findOFPort(pb)
	if pb.ParentPort != "" && pb.Tag == 0 {
		return
	}

	access := accessLocal
	if ofport == 0 {
		switch {
		case ld.localnet != nil && len(pb.AdditionalChassis) == 0:
			if c.in.PatchPorts[ld.localnet.LogicalPort] == 0 {
				return
			}
			access = accessLocalnet
		case len(orderedHA(pb.HAChassis)) >= 2:
			access = accessHARemote
		default:
			access = accessRemote
		}
	}

	switch access {
	case accessLocal:
		c.localPort(pb, ld, ofport, tag, parent)
	case accessLocalnet:
		c.remoteViaLocalnet(pb, ld)
		c.enforceTunnelingForMultichassis(pb, ld)
		return
	}
	// Remote ports, and local ones that also live on other chassis
	// (multichassis), are tunnelled to those chassis.
	c.remotePort(pb, ld, access)
}

// findOFPort finds the OpenFlow port of pb on this chassis: the parent's
// VIF for a nested container, the patch port of a localnet/l2gateway port,
// or the port's own VIF when requested-chassis allows it here. tag is the
// VLAN to match (container or tagged localnet), parent the container's
// parent binding.
func (c *computer) findOFPort(pb *PortBinding) (ofport, tag uint16, parent *PortBinding) {
	switch {
	case pb.ParentPort != "":
		if pb.Tag == 0 {
			return 0, 0, nil
		}
		ofport = c.in.VIFs[pb.ParentPort]
		if ofport != 0 {
			tag = pb.Tag
			parent = c.byName[pb.ParentPort]
		}
	case pb.Type == pipeline.PortLocalnet || pb.Type == pipeline.PortL2Gateway:
		ofport = c.in.PatchPorts[pb.LogicalPort]
		if ofport != 0 {
			tag = pb.Tag
		}
	default:
		ofport = c.in.VIFs[pb.LogicalPort]
		if ofport != 0 && !c.canBindHere(pb) {
			ofport = 0
		}
	}
	return ofport, tag, parent
}

// localCommonFlows is put_local_common_flows(): output to the port on this
// chassis (table 40), same-port loopback drop (41) and hairpin (64).
func (c *computer) localCommonFlows(pb *PortBinding, parent *PortBinding, z zoneIDs) {
	dp, port := pb.DatapathKey, pb.TunnelKey
	cookie := cookieOf(pb.UUID)

	var a actionList
	a.zones(z).resubmit(pipeline.TableCheckLoopback)
	c.add(pipeline.TableLocalOutput, 100, cookie, outportMatch(dp, port).done(), a.list())

	c.add(pipeline.TableCheckLoopback, 100, cookie,
		newMatch().metadata(dp).flags(0, pipeline.FlagAllowLoopback).reg(pipeline.RegInport, port).reg(pipeline.RegOutport, port).done(),
		c.dropActions(pipeline.TableCheckLoopback))

	// Traffic to a nested container always shares the parent's OpenFlow
	// port, so it hairpins without the loopback flag.
	m := outportMatch(dp, port)
	if parent == nil {
		m.flags(pipeline.FlagAllowLoopback, pipeline.FlagAllowLoopback)
	}
	var h actionList
	c.add(pipeline.TableSaveInport, 100, cookie, m.done(), h.hairpinOutput().list())

	if parent != nil {
		// A container talking to its parent (cookie 0: shared by all the
		// parent's children).
		var p actionList
		c.add(pipeline.TableSaveInport, 100, 0,
			outportMatch(dp, parent.TunnelKey).flags(pipeline.FlagNestedContainer, pipeline.FlagNestedContainer).done(),
			p.hairpinOutput().list())
	}
}

// localPort is the PORT_LOCAL branch: VIF, container, localport, localnet
// and l2gateway ports with an OpenFlow port here.
func (c *computer) localPort(pb *PortBinding, ld *localDatapath, ofport, tag uint16, parent *PortBinding) {
	z := c.zones(pb)
	c.localCommonFlows(pb, parent, z)
	cookie := cookieOf(pb.UUID)
	isLocalnetLike := pb.Type == pipeline.PortLocalnet || pb.Type == pipeline.PortL2Gateway

	// Table 0: classify by in_port (and VLAN), strip the tag, load the
	// logical ingress metadata and enter the ingress pipeline.
	m := newMatch().inPort(ofport)
	var pre actionList
	if tag != 0 || isLocalnetLike {
		if parent != nil {
			pre.loadBits(pipeline.RegFlags, 5, 1, 1) // MLF_NESTED_CONTAINER
		}
		if !optionTrue(pb.Options, "vlan-passthru") || tag != 0 {
			m.dlVLAN(tag)
			pre.add(flow.PopVLAN{})
		}
	}
	c.activationStrategy(pb, ofport, z)

	var meta actionList
	meta.ingressMetadata(pb, z)
	if pb.Type == pipeline.PortLocalport {
		meta.loadBits(pipeline.RegFlags, 10, 1, 1) // MLF_LOCALPORT
	}
	meta.resubmit(pipeline.TableLogIngress)
	priority := uint16(100)
	if tag != 0 {
		priority = 150
	}
	c.add(pipeline.TablePhyToLog, priority, cookie, m.done(), append(append(flow.Actions{}, pre.list()...), meta.list()...))

	if tag == 0 && isLocalnetLike {
		// Frames without any 802.1Q header.
		c.add(pipeline.TablePhyToLog, 100, cookie, newMatch().inPort(ofport).noVLAN().done(), meta.list())
	}

	if pb.Type == pipeline.PortLocalnet {
		c.replaceChassisMACFlows(pb, ld, ofport)
	}

	// Table 65: deliver to the OpenFlow port, tagging for containers and
	// tagged localnet ports, and untagging again for later outputs.
	var out actionList
	if tag != 0 {
		var opts map[string]string
		if ld.localnet != nil {
			opts = ld.localnet.Options
		}
		out.pushVLAN(opts, tag)
	}
	out.output(ofport)
	if tag != 0 {
		out.add(flow.PopVLAN{})
	}
	c.add(pipeline.TableLogToPhy, 100, cookie, outportMatch(pb.DatapathKey, pb.TunnelKey).done(), out.list())

	if pb.Type == pipeline.PortLocalnet {
		c.replaceRouterPortMACFlows(pb, ld, ofport)
		c.localnetLoopbackFlows(pb, ld)
	}

	if pb.Type == pipeline.PortLocalport {
		// Traffic from a localport is never tunnelled.
		var a actionList
		c.add(pipeline.TableRemoteOutput, 150, cookie,
			newMatch().reg(pipeline.RegInport, pb.TunnelKey).metadata(pb.DatapathKey).done(),
			a.resubmit(pipeline.TableLocalOutput).list())
	}
}

// localnetLoopbackFlows are the table-41 flows of a localnet port: nothing
// from a localport or marked local-only leaves through it, except traffic
// from a localport to an external port bound here.
func (c *computer) localnetLoopbackFlows(pb *PortBinding, ld *localDatapath) {
	cookie := cookieOf(pb.UUID)
	dp, port := pb.DatapathKey, pb.TunnelKey
	c.add(pipeline.TableCheckLoopback, 160, cookie,
		outportMatch(dp, port).flags(pipeline.FlagLocalport, pipeline.FlagLocalport).done(), c.dropActions(pipeline.TableCheckLoopback))
	c.add(pipeline.TableCheckLoopback, 160, cookie,
		outportMatch(dp, port).flags(pipeline.FlagLocalOnly, pipeline.FlagLocalOnly).done(), c.dropActions(pipeline.TableCheckLoopback))

	for _, ext := range ld.externalPorts {
		if ext.Chassis == "" || ext.Chassis != c.in.Chassis {
			continue
		}
		var a actionList
		a.clearLogRegs().resubmit(pipeline.TableLogEgress)
		for _, s := range ext.MAC {
			mac, ok := parseMAC(firstField(s))
			if !ok {
				slog.Warn("physical: bad MAC on external port", "port", ext.LogicalPort, "mac", s)
				continue
			}
			c.add(pipeline.TableCheckLoopback, 170, cookie,
				outportMatch(dp, port).flags(pipeline.FlagLocalport, pipeline.FlagLocalport).bytes(flow.FieldEthDst, mac[:]).done(),
				a.list())
		}
	}
}

// remoteViaLocalnet is the PORT_LOCALNET branch: a port elsewhere on a
// switch with a localnet port is reached through the physical network.
func (c *computer) remoteViaLocalnet(pb *PortBinding, ld *localDatapath) {
	var a actionList
	a.load(pipeline.RegOutport, uint64(ld.localnet.TunnelKey)).resubmit(pipeline.TableLocalOutput)
	c.add(pipeline.TableLocalOutput, 100, cookieOf(pb.UUID), outportMatch(pb.DatapathKey, pb.TunnelKey).done(), a.list())
}

// firstField is the first space-separated word of s (a Port_Binding.mac
// entry is "MAC [IP...]").
func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
