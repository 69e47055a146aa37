// Package sandbox starts a throw-away local OVN for integration tests, the
// end-to-end suite and the demo: a Central (NB and SB ovsdb-servers plus
// ovn-northd) and any number of Chassis, each with its own ovsdb-server and
// ovs-vswitchd on the userspace datapath and an agent (the real
// ovn-controller or chassisd).
//
// Each chassis runs ovs-vswitchd and its agent in a private network
// namespace unless told otherwise: the userspace datapath creates an
// "ovs-netdev" tap device and one device per bridge, so two ovs-vswitchd in
// one namespace collide. Unix sockets are used for every connection; they
// live in the file system and so are reachable from any namespace.
//
// Everything lives in a temporary directory; every process runs in its own
// process group and is stopped on Close (or t.Cleanup when created through
// the New* helpers, which also copy the daemons' logs into the test log when
// the test failed; CHASSISD_E2E_KEEP=1 keeps the directory). Tests are
// skipped when the OVS/OVN binaries are missing or not running as root,
// unless CI=true, in which case they fail.
//
// Typical use:
//
//	c := sandbox.NewCentral(t, sandbox.CentralOptions{})
//	hv := c.NewChassis(t, sandbox.ChassisOptions{Name: "hv1"})
//	hv.MustConfigure("hv1", "127.0.0.1", "geneve")   // system-id, encap IP, encap type
//	hv.MustStartAgent(sandbox.AgentSpec{})           // CHASSISD_E2E_AGENT picks the agent
//	if err := c.WaitChassis("hv1"); err != nil { ... }
//	hv.AddVIF("vm1", "internal", "lsp1")            // iface-id=lsp1 on br-int
//	flows, _ := hv.DumpFlows("br-int", "table=0")
//
// Failure scenarios: Central.RestartSB, Chassis.RestartOVSDB,
// Chassis.StopAgent (SIGTERM, rows stay) and Chassis.ExitAgent (through the
// agent's control socket, like `ovn-appctl exit [--restart]`).
package sandbox
