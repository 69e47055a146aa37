package physical

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// remotePort is the PORT_REMOTE / PORT_HA_REMOTE branch: table 39 sends
// the packet through the tunnel(s) to the port's chassis.
func (c *computer) remotePort(pb *PortBinding, ld *localDatapath, access accessType) {
	switch {
	case strings.EqualFold(pb.Options["redirect-type"], "bridged"):
		c.remoteRedirectBridged(pb, ld)
	case access == accessHARemote:
		c.remoteHA(pb)
	default:
		c.remoteOverlay(pb)
	}
}

// encapsulation is put_encapsulation(): the tunnel key and, for Geneve, the
// OVN option carrying ingress and egress port keys.
func (c *computer) encapsulation(a *actionList, t *Tunnel, dpKey, outport uint32, rampSwitch bool) {
	tunID := flow.FieldTunID
	switch t.Type {
	case "geneve":
		a.loadBits(tunID, 0, 24, uint64(dpKey))
		// The option is 4 bytes long: a whole-field set_field.
		a.add(flow.SetField{Field: c.geneve, Value: []byte{byte(outport >> 24), byte(outport >> 16), byte(outport >> 8), byte(outport)}})
		a.move(pipeline.RegInport, 0, c.geneve, 16, 15)
	case "stt":
		a.loadBits(tunID, 0, 64, uint64(dpKey)|uint64(outport)<<24)
		a.move(pipeline.RegInport, 0, tunID, 40, 15)
	case "vxlan":
		vni := uint64(dpKey)
		if !rampSwitch {
			vni |= uint64(vxlanPortKey(outport)) << 12
		}
		a.loadBits(tunID, 0, 24, vni)
	}
}

// vxlanPortKey maps a 16-bit port key to VXLAN's 12 bits: multicast keys
// (>= 32768) become 0x800 | low 11 bits.
func vxlanPortKey(key uint32) uint32 {
	if key >= 32768 {
		return 0x800 | key&0x7ff
	}
	return key
}

// remoteTunnels is get_remote_tunnels(): the tunnel to the main chassis and
// one per additional chassis.
func (c *computer) remoteTunnels(pb *PortBinding) []*Tunnel {
	var ts []*Tunnel
	if pb.Chassis != "" && pb.Chassis != c.in.Chassis {
		if t := c.tunnelFor(pb.Chassis, pb.EncapIP); t != nil {
			ts = append(ts, t)
		}
	}
	for _, ch := range pb.AdditionalChassis {
		if ch == c.in.Chassis {
			continue
		}
		// Port_Binding.additional_encap is not part of Input: the first
		// tunnel to the chassis is used.
		if t := c.tunnelFor(ch, ""); t != nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// remoteOverlay is put_remote_port_redirect_overlay().
func (c *computer) remoteOverlay(pb *PortBinding) {
	ts := c.remoteTunnels(pb)
	if len(ts) == 0 {
		return
	}
	var a actionList
	vtep := pb.Type == pipeline.PortVTEP
	if vtep {
		a.loadBits(fieldInPort, 0, 16, uint64(flow.PortAny))
	}
	for _, t := range ts {
		c.encapsulation(&a, t, pb.DatapathKey, pb.TunnelKey, vtep)
		a.output(t.OFPort)
	}
	a.resubmit(pipeline.TableLocalOutput)
	c.add(pipeline.TableRemoteOutput, 100, cookieOf(pb.UUID), outportMatch(pb.DatapathKey, pb.TunnelKey).done(), a.list())
}

// remoteHA is put_remote_port_redirect_overlay_ha_remote(): encapsulate
// once and output through an active/backup bundle over the members'
// tunnels.
func (c *computer) remoteHA(pb *PortBinding) {
	members := orderedHA(pb.HAChassis)
	var first *Tunnel
	for _, m := range members {
		t := c.tunnelFor(m.Chassis, "")
		if first == nil {
			first = t
		} else if t != nil && t.Type != first.Type {
			warnOnce("HA chassis group with mixed encapsulations", pb.LogicalPort)
			return
		}
	}
	if first == nil {
		warnOnce("no tunnel to any HA chassis group member", pb.LogicalPort)
		return
	}
	var a actionList
	c.encapsulation(&a, first, pb.DatapathKey, pb.TunnelKey, pb.Type == pipeline.PortVTEP)
	b := flow.Bundle{Fields: flow.HashEthSrc, Algorithm: flow.BundleActiveBackup}
	for _, m := range members {
		if t := c.tunnelFor(m.Chassis, ""); t != nil {
			b.Members = append(b.Members, flow.Port(t.OFPort))
		}
	}
	a.add(b)
	c.add(pipeline.TableRemoteOutput, 100, cookieOf(pb.UUID), outportMatch(pb.DatapathKey, pb.TunnelKey).done(), a.list())
}

var warned sync.Map

// warnOnce logs a configuration problem once per port.
func warnOnce(msg, port string) {
	if _, dup := warned.LoadOrStore(msg+"\x00"+port, true); dup {
		return
	}
	slog.Warn("physical: "+msg, "port", port)
}
