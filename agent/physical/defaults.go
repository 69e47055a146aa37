package physical

// The catch-all flows of an empty chassis (§3.1 of the reference).

import (
	"github.com/chassisd/chassisd/openflow/flow"
)

// defaults are the catch-all flows of physical_run().
func (c *computer) defaults() {
	all := newMatch().done()
	c.add(tablePhyToLog, 0, 0, all, c.dropActions(tablePhyToLog))

	var a actionList
	c.add(tableOutputLargeDetect, 0, 0, all, a.resubmit(tableRemoteOutput).list())
	a = actionList{}
	c.add(tableOutputLargeProc, 10, 0, newMatch().flags(flagAllowLoopback, flagAllowLoopback).done(),
		a.resubmit(tableLocalOutput).list())
	a = actionList{}
	c.add(tableOutputLargeProc, 0, 0, all, a.resubmit(tableRemoteOutput).list())

	// Ramp traffic (not loopback) and local-only traffic never leave.
	a = actionList{}
	c.add(tableRemoteOutput, 150, 0, newMatch().flags(flagRcvFromRamp, flagRcvFromRamp|flagAllowLoopback).done(),
		a.resubmit(tableLocalOutput).list())
	a = actionList{}
	c.add(tableRemoteOutput, 150, 0, newMatch().flags(flagLocalOnly, flagLocalOnly).done(),
		a.resubmit(tableLocalOutput).list())
	a = actionList{}
	c.add(tableRemoteOutput, 0, 0, all, a.resubmit(tableLocalOutput).list())

	c.add(tableLocalOutput, 0, 0, all, c.dropActions(tableLocalOutput))

	a = actionList{}
	c.add(tableCheckLoopback, 0, 0, all, a.clearLogRegs().resubmit(tableLogEgress).list())

	a = actionList{}
	c.add(tableSaveInport, 0, 0, all, a.resubmit(tableLogToPhy).list())

	c.add(tableLogToPhy, 0, 0, all, c.dropActions(tableLogToPhy))
}

// dropActions is put_drop(): empty, or a sample when drop debugging is on.
func (c *computer) dropActions(table uint8) flow.Actions {
	if c.in.DropCollectorSet == 0 {
		return nil
	}
	return flow.Actions{flow.Sample{
		Probability:    0xffff,
		CollectorSetID: c.in.DropCollectorSet,
		ObsDomainID:    c.in.DropDomainID << 24,
		ObsPointID:     uint32(table),
		SamplingPort:   flow.PortAny,
	}}
}
