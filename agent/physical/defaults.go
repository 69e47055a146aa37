package physical

// The catch-all flows of an empty chassis (§3.1 of the reference).

import (
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// defaults are the catch-all flows of physical_run().
func (c *computer) defaults() {
	all := newMatch().done()
	c.add(pipeline.TablePhyToLog, 0, 0, all, c.dropActions(pipeline.TablePhyToLog))

	var a actionList
	c.add(pipeline.TableOutputLargeDetect, 0, 0, all, a.resubmit(pipeline.TableRemoteOutput).list())
	a = actionList{}
	c.add(pipeline.TableOutputLargeProcess, 10, 0, newMatch().flags(pipeline.FlagAllowLoopback, pipeline.FlagAllowLoopback).done(),
		a.resubmit(pipeline.TableLocalOutput).list())
	a = actionList{}
	c.add(pipeline.TableOutputLargeProcess, 0, 0, all, a.resubmit(pipeline.TableRemoteOutput).list())

	// Ramp traffic (not loopback) and local-only traffic never leave.
	a = actionList{}
	c.add(pipeline.TableRemoteOutput, 150, 0, newMatch().flags(pipeline.FlagRcvFromRamp, pipeline.FlagRcvFromRamp|pipeline.FlagAllowLoopback).done(),
		a.resubmit(pipeline.TableLocalOutput).list())
	a = actionList{}
	c.add(pipeline.TableRemoteOutput, 150, 0, newMatch().flags(pipeline.FlagLocalOnly, pipeline.FlagLocalOnly).done(),
		a.resubmit(pipeline.TableLocalOutput).list())
	a = actionList{}
	c.add(pipeline.TableRemoteOutput, 0, 0, all, a.resubmit(pipeline.TableLocalOutput).list())

	c.add(pipeline.TableLocalOutput, 0, 0, all, c.dropActions(pipeline.TableLocalOutput))

	a = actionList{}
	c.add(pipeline.TableCheckLoopback, 0, 0, all, a.clearLogRegs().resubmit(pipeline.TableLogEgress).list())

	a = actionList{}
	c.add(pipeline.TableSaveInport, 0, 0, all, a.resubmit(pipeline.TableLogToPhy).list())

	c.add(pipeline.TableLogToPhy, 0, 0, all, c.dropActions(pipeline.TableLogToPhy))
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
