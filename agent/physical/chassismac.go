package physical

import (
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// chassisMACConjID is CHASSIS_MAC_TO_ROUTER_MAC_CONJID.
const chassisMACConjID = 100

// chassisMACConjunctions is put_chassis_mac_conj_id_flow(): clause 1 of the
// chassis-MAC conjunction, one flow per remote chassis MAC.
func (c *computer) chassisMACConjunctions() {
	for _, rc := range c.in.RemoteChassisMACs {
		if rc.Chassis == c.in.Chassis || !c.want(rc.UUID) {
			continue
		}
		c.origin = rc.UUID
		for _, s := range rc.MACs {
			mac, ok := parseMAC(s)
			if !ok {
				// ovn-controller gives up on all remaining MACs.
				return
			}
			c.add(pipeline.TablePhyToLog, 180, cookieOf(rc.UUID),
				newMatch().bytes(flow.FieldEthSrc, mac[:]).done(),
				flow.Actions{flow.Conjunction{ID: chassisMACConjID, K: 1, N: 2}})
		}
	}
	c.origin = ""
}

// replaceChassisMACFlows is put_replace_chassis_mac_flows(): packets from
// the localnet port whose source is a remote chassis MAC were routed on that
// chassis; restore the router port MAC. One conjunction per router port
// peered with the localnet's datapath.
func (c *computer) replaceChassisMACFlows(ln *PortBinding, ld *localDatapath, ofport uint16) {
	z := c.zones(ln)
	for _, pp := range ld.peerPorts {
		rport := pp.remote
		if len(rport.MAC) == 0 {
			continue
		}
		mac, ok := parseMAC(firstField(rport.MAC[0]))
		if !ok {
			warnOnce("bad router port MAC", rport.LogicalPort)
			return
		}
		cookie := cookieOf(rport.UUID)

		m := newMatch().inPort(ofport).set(flow.FieldConjID, chassisMACConjID)
		vlanMatch := newMatch()
		if ln.Tag != 0 {
			m.dlVLAN(ln.Tag)
			vlanMatch.dlVLAN(ln.Tag)
		} else {
			m.noVLAN()
			vlanMatch.noVLAN()
		}
		var a actionList
		if ln.Tag != 0 {
			a.add(flow.PopVLAN{})
		}
		a.ingressMetadata(ln, z)
		a.setEthSrc(mac)
		a.resubmit(pipeline.TableLogIngress)
		c.add(pipeline.TablePhyToLog, 180, cookie, m.done(), a.list())

		c.add(pipeline.TablePhyToLog, 180, cookie, vlanMatch.done(),
			flow.Actions{flow.Conjunction{ID: chassisMACConjID, K: 2, N: 2}})
	}
}

// replaceRouterPortMACFlows is put_replace_router_port_mac_flows(): when
// this chassis has a MAC for the localnet's network, routed packets leave
// through the localnet with the chassis MAC instead of the router port MAC
// (unless the router port's chassisredirect port is resident here).
func (c *computer) replaceRouterPortMACFlows(ln *PortBinding, ld *localDatapath, ofport uint16) {
	network := ln.Options["network_name"]
	if network == "" {
		return
	}
	chassisMAC, ok := parseMAC(c.in.ChassisMACs[network])
	if !ok {
		return
	}
	for _, pp := range ld.peerPorts {
		rport := pp.remote
		if c.chassisResident("cr-" + rport.LogicalPort) {
			continue
		}
		if len(rport.MAC) == 0 {
			continue
		}
		rmac, ok := parseMAC(firstField(rport.MAC[0]))
		if !ok {
			warnOnce("bad router port MAC", rport.LogicalPort)
			return
		}
		var a actionList
		a.setEthSrc(chassisMAC)
		if ln.Tag != 0 {
			a.pushVLAN(ln.Options, ln.Tag)
		}
		a.output(ofport)
		a.setEthSrc(rmac)
		if ln.Tag != 0 {
			a.add(flow.PopVLAN{})
		}
		c.add(pipeline.TableLogToPhy, 150, cookieOf(ln.UUID),
			outportMatch(ln.DatapathKey, ln.TunnelKey).bytes(flow.FieldEthSrc, rmac[:]).done(), a.list())
	}
}
