package tunnel

import (
	"fmt"
	"strings"

	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// OpenFlow tables of ovn-controller 23.03.1 and later that tunnel flows use
// (23.03.0 numbered the output section differently).
const (
	TablePhyToLog      = 0
	TableRemoteOutput  = 39
	TableLocalOutput   = 40
	priorityTunnelRecv = 100
	priorityVXLANMcast = 105
	priorityRemoteOut  = 100
)

// Multicast port keys start here in SB; VXLAN carries them as 0x800 | low
// 11 bits in its 12 port bits.
const (
	minMulticastKey      = 32768
	vxlanMinMulticastKey = 0x800
)

// Flow is one OpenFlow flow as the tunnel code computes it; the agent
// hands it to the flow reconciler.
type Flow struct {
	Table    uint8
	Priority uint16
	Cookie   uint64
	Match    flow.Match
	Actions  flow.Actions
}

// String is the flow as `ovs-ofctl -O OpenFlow15 dump-flows --no-stats`
// prints it (with port numbers, not names).
func (f Flow) String() string {
	var b strings.Builder
	if f.Cookie != 0 {
		fmt.Fprintf(&b, "cookie=%#x, ", f.Cookie)
	}
	if f.Table != 0 {
		fmt.Fprintf(&b, "table=%d, ", f.Table)
	}
	fmt.Fprintf(&b, "priority=%d", f.Priority)
	if m := f.Match.String(); m != "" {
		b.WriteString(",")
		b.WriteString(m)
	}
	b.WriteString(" actions=")
	b.WriteString(f.Actions.String())
	return b.String()
}

// ChassisTunnel is a tunnel port on the integration bridge as the physical
// flows use it (ovn-controller's chassis_tunnels).
type ChassisTunnel struct {
	// ID is external_ids:ovn-chassis-id; Chassis and RemoteIP are its parts.
	ID, Chassis, RemoteIP string
	PortName              string
	OFPort                flow.Port
	// Type is geneve, vxlan or stt.
	Type   string
	IsIPv6 bool
}

// ChassisTunnels lists, in port order, the tunnel ports of brInt that have
// a usable ofport, skipping tunnels to ownChassis itself.
func ChassisTunnels(brInt Bridge, ownChassis string) []ChassisTunnel {
	var out []ChassisTunnel
	for _, p := range brInt.Ports {
		if p.Name == brInt.Name {
			continue
		}
		id, ok := p.ExternalIDs[ChassisIDKey]
		if !ok {
			continue
		}
		chassis, ip, ok := ParseTunnelID(id)
		if !ok || chassis == ownChassis {
			continue
		}
		for _, iface := range p.Interfaces {
			if iface.OFPort < 1 || iface.OFPort >= int(flow.PortMax) || TypeRank(iface.Type) == 0 {
				continue
			}
			out = append(out, ChassisTunnel{
				ID: id, Chassis: chassis, RemoteIP: ip, PortName: p.Name,
				OFPort: flow.Port(iface.OFPort), Type: iface.Type,
				IsIPv6: strings.Contains(ip, ":"),
			})
			break
		}
	}
	return out
}

// FindTunnel returns the tunnel to chassis whose remote IP is encapIP, or,
// when encapIP is "" or has no tunnel, the first tunnel to chassis.
func FindTunnel(tunnels []ChassisTunnel, chassis, encapIP string) (ChassisTunnel, bool) {
	if encapIP != "" {
		for _, t := range tunnels {
			if t.Chassis == chassis && t.RemoteIP == encapIP {
				return t, true
			}
		}
	}
	for _, t := range tunnels {
		if t.Chassis == chassis {
			return t, true
		}
	}
	return ChassisTunnel{}, false
}

// Logical fields the tunnel flows load (include/ovn/logical-fields.h).
var (
	logDatapath = flow.FieldMetadata
	logInport   = flow.FieldReg(14)
	logOutport  = flow.FieldReg(15)
)

func sub(f flow.Field, offset, bits int) flow.Subfield {
	return flow.Subfield{Field: f, Offset: offset, Bits: bits}
}

// ReceiveFlows are the table-0 flows for packets arriving from tunnels:
// datapath and logical ports come from the tunnel header and the packet
// goes straight to local output (the sender already ran the ingress
// pipeline). geneveOpt is the tun_metadata field the OVN Geneve option
// (class 0x0102, type 0x80, 4 bytes) is mapped to.
func ReceiveFlows(tunnels []ChassisTunnel, geneveOpt flow.Field) []Flow {
	var flows []Flow
	for _, t := range tunnels {
		var m flow.Match
		m.SetUint(flow.FieldInPort, uint64(t.OFPort), ^uint64(0))
		var acts flow.Actions
		switch t.Type {
		case Geneve:
			acts = flow.Actions{
				flow.Move{Src: sub(flow.FieldTunID, 0, 24), Dst: sub(logDatapath, 0, 24)},
				flow.Move{Src: sub(geneveOpt, 16, 15), Dst: sub(logInport, 0, 15)},
				flow.Move{Src: sub(geneveOpt, 0, 16), Dst: sub(logOutport, 0, 16)},
			}
		case STT:
			acts = flow.Actions{
				flow.Move{Src: sub(flow.FieldTunID, 40, 15), Dst: sub(logInport, 0, 15)},
				flow.Move{Src: sub(flow.FieldTunID, 24, 16), Dst: sub(logOutport, 0, 16)},
				flow.Move{Src: sub(flow.FieldTunID, 0, 24), Dst: sub(logDatapath, 0, 24)},
			}
		case VXLAN:
			acts = flow.Actions{
				flow.Move{Src: sub(flow.FieldTunID, 12, 12), Dst: sub(logOutport, 0, 12)},
				flow.Move{Src: sub(flow.FieldTunID, 0, 12), Dst: sub(logDatapath, 0, 12)},
			}
		default:
			continue
		}
		acts = append(acts, flow.Resubmit{Table: TableLocalOutput})
		flows = append(flows, Flow{Table: TablePhyToLog, Priority: priorityTunnelRecv, Match: m, Actions: acts})
	}
	// VXLAN's 12 port bits carry multicast keys as 0x800|key; widen them
	// back to the 16-bit SB multicast range.
	for _, t := range tunnels {
		if t.Type != VXLAN {
			continue
		}
		var m flow.Match
		m.SetUint(flow.FieldInPort, uint64(t.OFPort), ^uint64(0))
		m.SetUint(flow.FieldTunID, vxlanMinMulticastKey<<12, vxlanMinMulticastKey<<12)
		flows = append(flows, Flow{Table: TablePhyToLog, Priority: priorityVXLANMcast, Match: m, Actions: flow.Actions{
			flow.Load(sub(logOutport, 15, 1), 1),
			flow.Move{Src: sub(flow.FieldTunID, 12, 11), Dst: sub(logOutport, 0, 11)},
			flow.Move{Src: sub(flow.FieldTunID, 0, 12), Dst: sub(logDatapath, 0, 12)},
			flow.Resubmit{Table: TableLocalOutput},
		}})
	}
	return flows
}

// VXLANPortKey maps an SB port key to VXLAN's 12 port bits: unicast keys
// as they are (northd keeps them below 2048 in VXLAN mode), multicast keys
// as 0x800 | their low 11 bits.
func VXLANPortKey(portKey uint32) uint32 {
	if portKey >= minMulticastKey {
		return vxlanMinMulticastKey | portKey&(vxlanMinMulticastKey-1)
	}
	return portKey
}

// EncapActions are the actions that put datapath dpKey and logical outport
// into the tunnel header of t (the logical inport is copied from reg14 for
// Geneve and STT). rampSwitch (VXLAN to a hardware VTEP) sends the bare
// datapath key.
func EncapActions(t ChassisTunnel, dpKey, outport uint32, geneveOpt flow.Field, rampSwitch bool) (flow.Actions, error) {
	switch t.Type {
	case Geneve:
		return flow.Actions{
			flow.Load(sub(flow.FieldTunID, 0, 24), uint64(dpKey)),
			flow.SetField{Field: geneveOpt, Value: []byte{byte(outport >> 24), byte(outport >> 16), byte(outport >> 8), byte(outport)}},
			flow.Move{Src: sub(logInport, 0, 15), Dst: sub(geneveOpt, 16, 15)},
		}, nil
	case STT:
		return flow.Actions{
			flow.Load(sub(flow.FieldTunID, 0, 64), uint64(dpKey)|uint64(outport)<<24),
			flow.Move{Src: sub(logInport, 0, 15), Dst: sub(flow.FieldTunID, 40, 15)},
		}, nil
	case VXLAN:
		vni := uint64(dpKey)
		if !rampSwitch {
			vni |= uint64(VXLANPortKey(outport)) << 12
		}
		return flow.Actions{flow.Load(sub(flow.FieldTunID, 0, 24), vni)}, nil
	}
	return nil, fmt.Errorf("tunnel %s: unsupported type %q", t.PortName, t.Type)
}

// RemotePortFlow is the table-39 flow that sends packets for logical port
// portKey on datapath dpKey through the given tunnels (one for the port's
// chassis, plus one per additional chassis), then resubmits to local output
// for any local share. cookie is the first 32 bits of the Port_Binding UUID.
func RemotePortFlow(dpKey, portKey uint32, tunnels []ChassisTunnel, geneveOpt flow.Field, cookie uint64) (Flow, error) {
	var m flow.Match
	m.SetUint(logOutport, uint64(portKey), ^uint64(0))
	m.SetUint(logDatapath, uint64(dpKey), ^uint64(0))
	var acts flow.Actions
	for _, t := range tunnels {
		encap, err := EncapActions(t, dpKey, portKey, geneveOpt, false)
		if err != nil {
			return Flow{}, err
		}
		acts = append(acts, encap...)
		acts = append(acts, flow.Output{Port: t.OFPort})
	}
	acts = append(acts, flow.Resubmit{Table: TableLocalOutput})
	return Flow{Table: TableRemoteOutput, Priority: priorityRemoteOut, Cookie: cookie, Match: m, Actions: acts}, nil
}

// Overhead is the number of bytes tunnelling adds in front of a packet on
// t (encapsulation header plus outer IP header), which ovn-controller
// subtracts from an interface MTU for path MTU discovery; 0 for an unknown
// type.
func Overhead(t ChassisTunnel) int {
	var n int
	switch t.Type {
	case Geneve:
		n = 38
	case STT:
		n = 18
	case VXLAN:
		n = 30
	default:
		return 0
	}
	if t.IsIPv6 {
		return n + 40
	}
	return n + 20
}

// OFCtrl is the flow as the reconciler (openflow/ofctrl) takes it.
func (f Flow) OFCtrl() ofctrl.Flow {
	return ofctrl.Flow{Table: f.Table, Priority: f.Priority, Cookie: f.Cookie, Match: f.Match, Actions: f.Actions}
}
