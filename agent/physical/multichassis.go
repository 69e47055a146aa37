package physical

import (
	"encoding/binary"
	"strings"

	"github.com/chassisd/chassisd/openflow/actions"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Tunnel overheads (lib/ovn-util.h) and header sizes for path MTU.
const (
	geneveOverhead   = 38
	sttOverhead      = 18
	vxlanOverhead    = 30
	ipv4HeaderLen    = 20
	ipv6HeaderLen    = 40
	ethernetOverhead = 14 + 4 // header + CRC
)

// multichassisPorts are the VIFs on ld with additional chassis (live
// migration): traffic from them is tunnelled even where a localnet port
// exists.
func (c *computer) multichassisPorts(ld *localDatapath) []*PortBinding {
	var out []*PortBinding
	for _, pb := range c.ports {
		if pb.DatapathKey == ld.dp.TunnelKey && pb.Type == pipeline.PortVIF && len(pb.AdditionalChassis) > 0 {
			out = append(out, pb)
		}
	}
	return out
}

// enforceTunnelingForMultichassis is
// enforce_tunneling_for_multichassis_ports(): for a port reached through
// the localnet, packets from a multichassis port go through the tunnels to
// the port's chassis instead (table 39 priority 110), with path-MTU checks.
func (c *computer) enforceTunnelingForMultichassis(pb *PortBinding, ld *localDatapath) {
	mcps := c.multichassisPorts(ld)
	if len(mcps) == 0 {
		return
	}
	ts := c.remoteTunnels(pb)
	if len(ts) == 0 {
		return
	}
	vtep := pb.Type == pipeline.PortVTEP
	for _, mcp := range mcps {
		var a actionList
		if vtep {
			a.loadBits(fieldInPort, 0, 16, uint64(flow.PortAny))
		}
		for _, t := range ts {
			c.encapsulation(&a, t, pb.DatapathKey, pb.TunnelKey, vtep)
			a.output(t.OFPort)
		}
		c.add(pipeline.TableRemoteOutput, 110, cookieOf(pb.UUID),
			outportMatch(pb.DatapathKey, pb.TunnelKey).reg(pipeline.RegInport, mcp.TunnelKey).done(), a.list())
		c.pktTooBig(pb, mcp, ts)
	}
}

// effectiveMTU is the multichassis port's interface MTU minus the largest
// overhead of the tunnels used (0: unknown).
func (c *computer) effectiveMTU(mcp *PortBinding, ts []*Tunnel) uint16 {
	mtu := c.in.VIFMTU[mcp.LogicalPort]
	if mtu == 0 {
		return 0
	}
	var overhead uint16
	for _, t := range ts {
		var o uint16
		switch t.Type {
		case "geneve":
			o = geneveOverhead
		case "stt":
			o = sttOverhead
		case "vxlan":
			o = vxlanOverhead
		default:
			continue
		}
		if strings.Contains(t.IP, ":") {
			o += ipv6HeaderLen
		} else {
			o += ipv4HeaderLen
		}
		overhead = max(overhead, o)
	}
	if overhead == 0 {
		return 0
	}
	return mtu - overhead
}

// pktTooBig is handle_pkt_too_big(): for IPv4 and IPv6, in both directions
// (mcp as inport, then as outport), detect packets larger than the
// effective MTU (table 37) and answer them with an ICMP error (table 38).
func (c *computer) pktTooBig(pb, mcp *PortBinding, ts []*Tunnel) {
	mtu := c.effectiveMTU(mcp, ts)
	if mtu == 0 {
		return
	}
	for _, ipv6 := range []bool{false, true} {
		for _, dir := range []flow.Field{pipeline.RegInport, pipeline.RegOutport} {
			c.detectPktTooBig(pb, mcp, mtu, ipv6, dir)
			c.replyICMPTooBig(pb, mcp, mtu, ipv6, dir)
		}
	}
}

// Ethernet types of the path-MTU checks.
const (
	ethTypeIP   = 0x0800
	ethTypeIPv6 = 0x86dd
)

func ethTypeFor(ipv6 bool) uint64 {
	if ipv6 {
		return ethTypeIPv6
	}
	return ethTypeIP
}

func (c *computer) detectPktTooBig(pb, mcp *PortBinding, mtu uint16, ipv6 bool, dir flow.Field) {
	m := newMatch().set(flow.FieldEthType, ethTypeFor(ipv6)).metadata(pb.DatapathKey).reg(dir, mcp.TunnelKey)
	var a actionList
	a.add(flow.CheckPktLarger{Len: mtu, Dst: pipeline.RegPktLarger})
	a.resubmit(pipeline.TableOutputLargeProcess)
	c.add(pipeline.TableOutputLargeDetect, 100, cookieOf(pb.UUID), m.done(), a.list())
}

func (c *computer) replyICMPTooBig(pb, mcp *PortBinding, mtu uint16, ipv6 bool, dir flow.Field) {
	m := newMatch().set(flow.FieldEthType, ethTypeFor(ipv6)).metadata(pb.DatapathKey).reg(dir, mcp.TunnelKey).
		regMasked(pipeline.RegPktLarger.Field, 1<<pipeline.RegPktLarger.Offset, 1<<pipeline.RegPktLarger.Offset)

	var inner actionList
	inner.add(flow.Load(pipeline.RegPktLarger, 0)) // the error is not too big
	inner.loadBits(pipeline.RegFlags, 0, 1, 1)     // delivered locally: loopback
	swap := func(a, b flow.Field) {
		inner.add(flow.StackPush{Subfield: flow.WholeField(a)}, flow.StackPush{Subfield: flow.WholeField(b)},
			flow.StackPop{Subfield: flow.WholeField(a)}, flow.StackPop{Subfield: flow.WholeField(b)})
	}
	swap(flow.FieldEthDst, flow.FieldEthSrc)
	fragMTU := mtu - ethernetOverhead
	var frag flow.Controller
	if ipv6 {
		swap(flow.FieldIPv6Dst, flow.FieldIPv6Src)
		inner.add(flow.SetIPTTL{TTL: 255})
		inner.add(flow.SetField{Field: flow.FieldICMPv6Type, Value: []byte{2}}, flow.SetField{Field: flow.FieldICMPv6Code, Value: []byte{0}})
		frag = controllerOp(actions.OpPutICMP6FragMTU, true, binary.BigEndian.AppendUint32(nil, uint32(fragMTU)))
	} else {
		swap(flow.FieldIPv4Dst, flow.FieldIPv4Src)
		inner.add(flow.SetIPTTL{TTL: 255})
		inner.add(flow.SetField{Field: flow.FieldICMPv4Type, Value: []byte{3}}, flow.SetField{Field: flow.FieldICMPv4Code, Value: []byte{4}})
		frag = controllerOp(actions.OpPutICMP4FragMTU, true, binary.BigEndian.AppendUint16(nil, fragMTU))
	}
	inner.add(frag)
	inner.resubmit(pipeline.TableLogIngress)

	icmp := controllerOp(actions.OpICMP, true, inner.list().Append(nil))
	c.add(pipeline.TableOutputLargeProcess, 100, cookieOf(pb.UUID), m.done(), flow.Actions{icmp})
}

// controllerOp is encode_controller_op(): a paused or plain controller
// action whose userdata is the opcode header and payload (no meter).
func controllerOp(op actions.Opcode, pause bool, payload []byte) flow.Controller {
	ud := make([]byte, actions.UserdataHeaderLen, actions.UserdataHeaderLen+len(payload))
	binary.BigEndian.PutUint32(ud, uint32(op))
	return flow.Controller{MaxLen: flow.MaxLenAll, Reason: flow.ReasonAction, Userdata: append(ud, payload...), Pause: pause}
}

// activationStrategy is setup_activation_strategy(): on an additional
// chassis of a port with activation-strategy=rarp, block the port (both
// ways) until a RARP from it is seen; the RARP goes to pinctrl too.
func (c *computer) activationStrategy(pb *PortBinding, ofport uint16, z zoneIDs) {
	if !contains(pb.AdditionalChassis, c.in.Chassis) {
		return
	}
	strategy := pb.Options["activation-strategy"]
	if strategy == "" || contains(strings.Split(pb.Options["additional-chassis-activated"], ","), c.in.Chassis) ||
		c.in.ActivatedPorts[pb.LogicalPort] {
		return
	}
	if strategy != "rarp" {
		warnOnce("unknown activation strategy", pb.LogicalPort)
		return
	}
	cookie := cookieOf(pb.UUID)
	var a actionList
	a.ingressMetadata(pb, z)
	a.add(controllerOp(actions.OpActivationStrategyRARP, false, nil))
	a.resubmit(pipeline.TableLogIngress)
	c.add(pipeline.TablePhyToLog, 1010, cookie, newMatch().set(flow.FieldEthType, 0x8035).inPort(ofport).done(), a.list())
	c.add(pipeline.TablePhyToLog, 1000, cookie, newMatch().inPort(ofport).done(), nil)
	c.add(pipeline.TableLogToPhy, 1000, cookie, outportMatch(pb.DatapathKey, pb.TunnelKey).done(), nil)
}
