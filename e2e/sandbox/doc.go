// Package sandbox starts a throw-away local OVN for integration tests, the
// end-to-end suite and the demo: a Central (NB and SB ovsdb-servers plus
// ovn-northd) and any number of Chassis (each with its own ovsdb-server and
// ovs-vswitchd on the userspace datapath, optionally inside a network
// namespace, and an agent: the real ovn-controller or chassisd).
//
// Everything lives in a temporary directory; every process runs in its own
// process group and is stopped on Close (or t.Cleanup when created through
// the New* helpers, which also copy the daemons' logs into the test log when
// the test failed). Tests are skipped when the OVS/OVN binaries are missing,
// unless CI=true, in which case they fail.
//
// Typical use:
//
//	c := sandbox.NewCentral(t, sandbox.CentralOptions{})
//	hv := sandbox.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", BaseDir: c.Dir()})
//	hv.MustConfigure(c.SBRemote(), "hv1", "127.0.0.1", "geneve")
//	hv.MustStartAgent(sandbox.AgentSpec{}) // CHASSISD_E2E_AGENT picks the agent
//	c.WaitChassis("hv1")
//
// Unix sockets are used everywhere; they are reachable from any network
// namespace because they live in the file system.
package sandbox
