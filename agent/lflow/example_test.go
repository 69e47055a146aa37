package lflow_test

import (
	"fmt"

	"github.com/chassisd/chassisd/agent/lflow"
)

// The start/reconnect path is Full; changes after that go through the Put
// and Delete methods, and Changes says what to send to ofctrl.
func Example() {
	dp := "a6c6f842-4aea-48ea-b485-1a363553a876"
	in := &lflow.Input{
		Datapaths: []lflow.Datapath{{UUID: dp, TunnelKey: 3, Local: true,
			ExternalIDs: map[string]string{"logical-switch": "ls"}}},
		Ports:       []lflow.PortBinding{{Name: "vm1", Datapath: dp, TunnelKey: 1, Related: true, Resident: true}},
		AddressSets: map[string][]string{"as1": {"10.0.0.1"}},
		Flows: []lflow.LogicalFlow{{
			UUID: "32acbde4-b4ad-4d6c-9f10-34e2b4c0a6f1", Pipeline: lflow.Egress, TableID: 4, Priority: 2001,
			Match: `outport == "vm1" && ip4.src == $as1`, Actions: "next;", Datapath: dp,
		}},
	}
	tr := lflow.New(lflow.Options{})
	tr.Full(in)
	for _, f := range tr.Changes().PutFlows {
		fmt.Println(lflow.FlowText(f))
	}

	tr.PutAddressSet("as1", []string{"10.0.0.1", "10.0.0.2"})
	d := tr.Changes()
	fmt.Println(len(d.PutFlows), "put,", len(d.DeleteFlows), "deleted")
	fmt.Println(tr.Sources(d.PutFlows[0].Table, d.PutFlows[0].Priority, d.PutFlows[0].Match))
	// Output:
	// cookie=0x32acbde4, table=46, priority=2001,ip,reg15=0x1,metadata=0x3,nw_src=10.0.0.1 actions=resubmit(,47)
	// 1 put, 0 deleted
	// [32acbde4-b4ad-4d6c-9f10-34e2b4c0a6f1]
}
