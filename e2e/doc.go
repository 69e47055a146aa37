// Package e2e is the multi-node end-to-end suite: it builds, on one machine,
// a central (NB/SB ovsdb-servers and ovn-northd) and several chassis, each in
// its own network namespace with its own ovsdb-server, ovs-vswitchd
// (userspace datapath) and agent, joined by an underlay; "VMs" are network
// namespaces with a veth whose other end sits on their chassis' br-int.
// Tests send real packets between them and tear everything down afterwards.
//
// The suite runs only when CHASSISD_E2E=1 (CI sets it), so plain unit test
// runs stay fast. CHASSISD_E2E_AGENT picks the agent: ovn-controller
// (default), chassisd, or mixed (chassisd on the first node, ovn-controller
// on the others, to check that they interoperate). For chassisd,
// CHASSISD_BIN names the binary (built from ./cmd/chassisd when unset) and
// CHASSISD_E2E_AGENT_ARGS adds flags.
//
// What each test needs from the agent, for triage when chassisd fails one:
//
//	TestSeedGeneveNetwork       tunnels, VIF/remote-port physical flows, logical flows (ARP responder)
//	TestVXLANNetwork            the same over VXLAN (12-bit port keys)
//	TestFloodingAcrossTunnel    multicast groups (_MC_flood, _MC_unknown) through tunnels
//	TestIsolationAndRouting     logical router pipeline, patch ports between datapaths
//	TestSecurityGroups          ACLs with conntrack (zones), port groups, address sets, port security
//	TestProviderNetwork         bridge mappings, localnet patch ports and flows
//	TestVLANProviderNetwork     tagged localnet (push/pop VLAN in tables 0 and 65)
//	TestFloatingIPAndSNAT       chassisredirect, NAT on the gateway, router ARP (pinctrl, MAC_Binding)
//	TestGatewayFailover         HA groups, BFD on tunnels, active-member choice, GARP
//	TestDHCP                    pinctrl: native DHCP replies
//	TestChassisChurn            tunnels following Chassis rows as they come and go
//	TestEncapIPChange           Encap rows following ovn-encap-ip; peers re-pointing tunnels
//	TestAgentRestartIsHitless   SIGTERM leaves flows and rows; restart reinstalls without loss
//	TestTakeOverFromOVNController  same, starting from ovn-controller's state (CT zones, flows)
//	TestMetadataProxy           chassisd only: ovnmeta- namespaces, localport delivery, DHCP option 121, the proxy
//	TestMetadataIPv6LinkLocal   chassisd only: the same over fe80::a9fe:a9fe (ND through the pipeline)
package e2e
