// Package lflow translates the Southbound logical flows that concern this
// chassis into OpenFlow flows for br-int, as ovn-controller 23.03.1 does in
// controller/lflow.c (consider_logical_flow and add_matches_to_flow_table):
//
//   - table = Logical_Flow.table_id + 8 (ingress) or + 42 (egress), same
//     priority, metadata = datapath tunnel key, cookie = first 32 bits of
//     the Logical_Flow UUID;
//   - one translation per local datapath of the flow (logical_datapath or
//     each member of its Logical_DP_Group);
//   - flows skipped as ovn-controller skips them: non-local datapath,
//     tags:in_out_port naming a port that is not related to this chassis,
//     switch matches pinning inport (ingress) or outport (egress) to a port
//     that is not related, empty matches, parse errors (logged once);
//   - port groups reduced to the related ports, address sets, templates
//     (Chassis_Template_Var), is_chassis_resident();
//   - conjunction ids allocated per (logical flow, datapath) from the same
//     hash ovn-controller uses (controller/lflow-conj-ids.c), and clause
//     flows shared by several logical flows merged into one flow whose
//     actions hold every conjunction (ofctrl_add_or_append_flow);
//   - the groups and meters the actions allocate, reference counted;
//   - the other tables lflow.c fills from rows other than Logical_Flow:
//     MAC_Binding/Static_MAC_Binding (66, 67), load balancer hairpin (68,
//     70), FDB (71, 72) and port security (73-75); agent/physical does not
//     compute them.
//
// It owns only pure computation: no sockets, no OVSDB. Its inputs are plain
// structs (Input and the types it holds) that the agent fills from the
// Southbound and local OVS databases; its output is ofctrl.Flow, ofctrl.Group
// and ofctrl.Meter values.
//
// The Translator keeps, for every logical flow (and every other source row),
// the OpenFlow flows it contributed and what it referenced (address sets,
// port groups, ports, multicast groups, datapaths, datapath groups, template
// variables, tunnels), so a change recomputes only the logical flows that
// depend on it:
//
//	tr := lflow.New(lflow.Options{Features: ...})
//	tr.Full(in)            // start, reconnect: everything
//	tr.PutAddressSet(...)  // or PutFlow, DeletePort, SetTemplateVars, ...
//	tr.Update(in2)         // or: diff a whole new snapshot onto the above
//	d := tr.Changes()      // flows/groups/meters to put and delete
//	tr.Sources(table, prio, match) // the SB rows behind an OpenFlow flow
//
// Every path gives the same flows as Full on the same input (tested), and
// the result equals the real ovn-controller's (differential_test.go).
package lflow
