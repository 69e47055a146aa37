package flow_test

import (
	"fmt"
	"net/netip"

	"github.com/chassisd/chassisd/openflow/flow"
)

// Building the actions of an OVN load-balancer flow and a group for it.
func ExampleActions() {
	zone := flow.Subfield{Field: flow.FieldReg(13), Offset: 0, Bits: 16}
	ct := flow.CT{
		Commit: true,
		Table:  19,
		Zone:   zone,
		Actions: flow.Actions{
			flow.NAT{Kind: flow.NATDst, MinAddr: netip.MustParseAddr("192.168.1.2"), MinPort: 80},
			flow.SetFieldMasked(flow.FieldCTLabel, 2, 2),
		},
	}
	g := flow.Group{ID: 1, Type: flow.GroupSelect, SelectionMethod: "dp_hash",
		Buckets: []flow.Bucket{{ID: 0, Weight: 100, Actions: flow.Actions{ct}}}}
	acts := flow.Actions{
		flow.Load(flow.Subfield{Field: flow.FieldReg(10), Offset: 6, Bits: 1}, 0),
		flow.GroupAction{ID: g.ID},
	}
	fmt.Println(acts)
	fmt.Println(g)
	wire := acts.Append(nil)
	back, err := flow.DecodeActions(wire)
	fmt.Println(len(wire), back, err)
	// Output:
	// set_field:0/0x40->reg10,group:1
	// group_id=1,type=select,selection_method=dp_hash,bucket=bucket_id:0,weight:100,actions=ct(commit,table=19,zone=NXM_NX_REG13[0..15],nat(dst=192.168.1.2:80),exec(set_field:0x2/0x2->ct_label))
	// 24 set_field:0/0x40->reg10,group:1 <nil>
}
