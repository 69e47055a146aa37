// Package tunnel computes, without any I/O, which OVS ports the chassis
// agent must keep on its bridges for reaching other chassis and provider
// networks, named and configured exactly as ovn-controller 23.03 does:
//
//   - tunnel ports on the integration bridge, one per usable remote Encap
//     (PlanTunnels: "ovn-<chassis>-<n>", type geneve/vxlan/stt,
//     options:remote_ip, key=flow, csum, dst_port, local_ip, ...,
//     external_ids:ovn-chassis-id=<chassis>@<ip>);
//
//   - patch port pairs between the integration bridge and provider bridges
//     for localnet and l2gateway ports (PlanPatchPorts:
//     "patch-<br-int>-to-<lport>" / "patch-<lport>-to-<br-int>").
//
//   - BFD on tunnels to HA chassis group peers (PlanBFD) and which HA
//     group member is active (HAGroupIsActive), from BFD session state.
//
// Inputs are plain Go structs (the caller converts its OVSDB rows); outputs
// are plans listing what to add and what to remove. Applying a plan belongs
// to the agent. The tunnels' OpenFlow flows (table 0 receive, table 39
// output to a remote chassis) are agent/physical's.
package tunnel
