package ofctrl_test

import (
	"context"
	"log"

	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// The agent's loop: compute the desired flows, hand them over, and report
// nb_cfg only once the switch has them.
func ExampleController() {
	ctx := context.Background()
	ctl := ofctrl.New("unix:/var/run/openvswitch/br-int.mgmt")
	go ctl.Run(ctx) // connects after the first desired state

	var m flow.Match
	m.SetUint(flow.FieldMetadata, 1, ^uint64(0))
	flows := []flow.Flow{{Table: 8, Priority: 100, Match: m, Actions: flow.Actions{flow.Resubmit{Port: flow.PortInPort, Table: 9}}}}

	v := ctl.SetFlowValues(flows)
	if err := ctl.WaitInstalled(ctx, v); err != nil {
		log.Print(err)
		return
	}
	// ... write nb_cfg / ovn-installed here ...
	for _, r := range ctl.Rejections() {
		log.Printf("not installed: %s: %v", r.What, r.Err)
	}
}
