package physical

import (
	"github.com/chassisd/chassisd/openflow/flow"
)

// patchPort handles a logical patch port, and an l3gateway port bound here:
// output to it clones the packet into the peer datapath's ingress pipeline
// (table 65). It has the common local flows but no table-0 flow.
func (c *computer) patchPort(pb *PortBinding) {
	peer := c.peer(pb)
	if peer == nil {
		return
	}
	c.localCommonFlows(pb, nil, c.zones(pb))

	var inner actionList
	inner.add(flow.CTClear{})
	inner.load(fieldDNATZone, 0).load(fieldSNATZone, 0).load(fieldCTZone, 0)
	inner.ingressMetadata(peer, c.zones(peer))
	inner.load(fieldFlags, 0).load(fieldOutport, 0)
	inner.clearLogRegs()
	inner.resubmit(tableLogIngress)
	c.add(tableLogToPhy, 100, cookieOf(pb.UUID),
		outportMatch(pb.DatapathKey, pb.TunnelKey).done(),
		flow.Actions{flow.Clone{Actions: inner.list()}})
}
