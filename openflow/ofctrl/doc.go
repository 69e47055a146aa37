// Package ofctrl keeps br-int's OpenFlow state equal to chassisd's desired
// table (the role of ovn-controller's ofctrl.c).
//
// It owns the desired table (flows keyed by table, priority and match;
// groups; meters), the controller's view of what is installed, and the
// rounds that move the switch from one to the other: only the difference,
// as add / modify_strict / delete_strict (group and meter mods likewise),
// in one atomic ordered bundle followed by a barrier. Meters, which OVS
// cannot bundle, go before (adds) and after (deletes) the bundle.
//
// After every connection (first start, chassisd restart, ovs-vswitchd
// restart) it dumps flows, groups and meters and reconciles against the
// dump; it never clears the switch. Entries the switch rejects are reported
// (Rejections, *RejectedError) and skipped until they change; the rest of
// the round is installed. A periodic dump repairs drift (Stats.DriftRepairs).
// Flows with an idle or hard timeout are left alone: chassisd installs
// none, and ovs-vswitchd creates them for OVN's learn actions.
//
// The agent's use (flows as openflow/flow values; dumps are decoded with
// FlowDecoder and compared by value):
//
//	ctl := ofctrl.New("unix:/var/run/openvswitch/br-int.mgmt")
//	go ctl.Run(ctx)                          // waits for the first desired state, then connects,
//	                                         // reconciles, syncs on change, checks drift
//	v := ctl.SetFlowValues(flows)            // full desired flow set; only the difference is sent
//	v = ctl.Update(func(t ofctrl.Txn) {      // or incremental changes, groups, meters
//		t.PutFlow(ofctrl.FromFlow(f)); t.PutGroup(g); t.DeleteMeter(id)
//	})
//	err := ctl.WaitInstalled(ctx, v)         // then write nb_cfg / ovn-installed
//	ctl.FlushCTZones(ctx, zone)              // before recording a (re)assigned zone
package ofctrl
