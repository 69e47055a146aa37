// Package physical computes the physical OpenFlow flows that ovn-controller
// 23.03.1 installs on br-int, from a plain snapshot of the Southbound rows and
// local OVS state that concern this chassis (Input):
//
//   - table 0: classification of packets from local VIFs, nested containers,
//     localports, localnet/l2gateway patch ports (with VLAN) and tunnels
//     (Geneve tun_metadata → reg14/reg15, VXLAN, STT), plus chassis-MAC
//     conjunctions;
//   - tables 37–41: output section (too-big defaults, remote output through
//     tunnels and HA bundles, local output with CT zones, loopback check);
//   - tables 64/65: hairpin (save in_port) and logical-to-physical output
//     (VIF, VLAN-tagged localnet/container, patch clone into the peer
//     datapath);
//   - multicast groups (local delivery in table 40, tunnel fan-out and
//     patch/localport members in table 39);
//   - the controller-owned helper tables that are not logical-flow driven:
//     66/67 (MAC_Binding, Static_MAC_Binding), 68–70 (load-balancer
//     hairpin), 71/72 (FDB) and 73–75 (port security).
//
// It is pure: no sockets, no OVSDB. The agent gathers Input and installs the
// result through openflow/ofctrl. Entry point: Compute.
//
// Logical-flow driven tables are not this package's (agent/lflow).
package physical
