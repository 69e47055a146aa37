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
package e2e
