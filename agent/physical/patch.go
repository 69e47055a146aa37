package physical

import (
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
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
	inner.load(pipeline.RegDNATZone, 0).load(pipeline.RegSNATZone, 0).load(pipeline.RegCTZone, 0)
	inner.ingressMetadata(peer, c.zones(peer))
	inner.load(pipeline.RegFlags, 0).load(pipeline.RegOutport, 0)
	inner.clearLogRegs()
	inner.resubmit(pipeline.TableLogIngress)
	c.add(pipeline.TableLogToPhy, 100, cookieOf(pb.UUID),
		outportMatch(pb.DatapathKey, pb.TunnelKey).done(),
		flow.Actions{flow.Clone{Actions: inner.list()}})
}
