// Package physical computes the physical OpenFlow flows that ovn-controller
// 23.03.1 installs on br-int, from a plain snapshot of the Southbound rows and
// local OVS state that concern this chassis (Input):
//
//   - table 0: classification of packets from local VIFs, nested containers,
//     localports, localnet/l2gateway patch ports (with VLAN) and tunnels
//     (Geneve tun_metadata → reg14/reg15, VXLAN, STT, VTEP ramp switches),
//     chassis-MAC conjunctions, RARP activation of migrating ports;
//   - tables 37–41: output section (path-MTU checks of multichassis ports,
//     remote output through tunnels and HA bundles, local output with CT
//     zones, loopback check);
//   - tables 64/65: hairpin (save in_port) and logical-to-physical output
//     (VIF, VLAN-tagged localnet/container, patch clone into the peer
//     datapath, chassis-MAC rewrite);
//   - multicast groups (local delivery in table 40, tunnel fan-out in the
//     order of OVS's sset, patch/localport/remote members in table 39).
//
// The helper tables ovn-controller fills from MAC_Binding,
// Static_MAC_Binding, Load_Balancer, FDB and port_security (66-75) are
// agent/lflow's, which updates them incrementally.
//
// It is pure: no sockets, no OVSDB. Entry points: Compute (the flows),
// ComputeResult (the flows with the SB rows each comes from), and for
// incremental updates Affected (which rows a Port_Binding change touches)
// with ComputeFor (the flows of just those rows). Flows carry
// ovn-controller's cookies (first 32 bits of the row UUID, 0 for defaults and
// tunnel flows), a flow.Match and a flow.Actions, ready for openflow/ofctrl.
// Logical-flow driven tables are not this package's either.
//
// # Gathering Input
//
// differential_test.go builds Input from `ovn-sbctl/ovs-vsctl list` output
// (gather_test.go) and checks Compute against the real ovn-controller in
// eight topologies. The agent gathers the same way from its monitored rows:
//
//   - Datapaths: the local datapaths (its own computation, §5.7 of the
//     reference); Ports, MulticastGroups: the SB rows (all rows are fine:
//     rows on other datapaths are ignored).
//   - VIFs / VIFMTU: br-int Interfaces with external_ids:iface-id → ofport,
//     mtu. PatchPorts: br-int patch ports whose Port has external_ids
//     ovn-localnet-port / ovn-l2gateway-port. Tunnels: br-int ports with
//     external_ids:ovn-chassis-id "<chassis>@<ip>" (type from the
//     Interface). Only ports with a valid ofport.
//   - CTZones: br-int external_ids ct-zone-* as the zone allocator holds them.
//   - GeneveField: ofctrl.Controller.TunMetadataIndex().
//   - ActiveTunnels: chassis whose tunnel Interface has bfd_status:state=up.
package physical
