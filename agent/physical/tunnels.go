package physical

import (
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// tunnelReceive is the table-0 part of physical_run() for tunnels: take the
// datapath and the logical ports from the tunnel header and go straight to
// local output (the sender already ran the ingress pipeline).
func (c *computer) tunnelReceive() {
	tunID := flow.FieldTunID
	for i := range c.in.Tunnels {
		t := &c.in.Tunnels[i]
		var a actionList
		switch t.Type {
		case "geneve":
			a.move(tunID, 0, fieldMetadata, 0, 24)
			a.move(c.geneve, 16, pipeline.RegInport, 0, 15)
			a.move(c.geneve, 0, pipeline.RegOutport, 0, 16)
		case "stt":
			a.move(tunID, 40, pipeline.RegInport, 0, 15)
			a.move(tunID, 24, pipeline.RegOutport, 0, 16)
			a.move(tunID, 0, fieldMetadata, 0, 24)
		case "vxlan":
			a.move(tunID, 12, pipeline.RegOutport, 0, 12)
			a.move(tunID, 0, fieldMetadata, 0, 12)
		default:
			continue
		}
		a.resubmit(pipeline.TableLocalOutput)
		c.add(pipeline.TablePhyToLog, 100, 0, newMatch().inPort(t.OFPort).done(), a.list())
	}

	// VXLAN carries 12 port bits: multicast keys come as 0x800|low 11 bits.
	for i := range c.in.Tunnels {
		t := &c.in.Tunnels[i]
		if t.Type != "vxlan" {
			continue
		}
		var a actionList
		a.loadBits(pipeline.RegOutport, 15, 1, 1)
		a.move(tunID, 12, pipeline.RegOutport, 0, 11)
		a.move(tunID, 0, fieldMetadata, 0, 12)
		a.resubmit(pipeline.TableLocalOutput)
		c.add(pipeline.TablePhyToLog, 105, 0,
			newMatch().inPort(t.OFPort).setMasked(tunID, 0x800<<12, 0x800<<12).done(), a.list())
	}

	// Ramp switches (hardware VTEP): the VNI is the datapath, the gateway
	// port is the ingress port, and the ingress pipeline runs here.
	for i := range c.in.Tunnels {
		t := &c.in.Tunnels[i]
		if t.Type != "vxlan" {
			continue
		}
		for _, pb := range c.ports {
			if pb.Type != pipeline.PortVTEP || pb.Chassis == "" || pb.Chassis != t.Chassis {
				continue
			}
			var a actionList
			a.move(tunID, 0, fieldMetadata, 0, 24)
			a.loadBits(pipeline.RegInport, 0, 15, uint64(pb.TunnelKey))
			a.loadBits(pipeline.RegFlags, 1, 1, 1) // MLF_RCV_FROM_RAMP
			a.resubmit(pipeline.TableLogIngress)
			c.add(pipeline.TablePhyToLog, 110, cookieOf(pb.UUID),
				newMatch().inPort(t.OFPort).set(tunID, uint64(pb.DatapathKey)).done(), a.list())
		}
	}
}
