// Package ovstest starts a private Open vSwitch (ovsdb-server and
// ovs-vswitchd, userspace datapath) in a temporary directory for integration
// tests, and stops it when the test ends.
//
// Typical use:
//
//	sw := ovstest.Start(t)
//	sw.AddBridge("br-int")
//	c, err := conn.Dial(ctx, sw.Mgmt("br-int"))
//	...
//	out := sw.Ofctl("dump-flows", "br-int", "--no-stats")
//
// Tests are skipped when the OVS binaries are missing, unless CI=true, in
// which case they fail. Processes run in their own process group, are killed
// on t.Cleanup, and their logs are copied into the test log when the test
// fails. When running as root, ovs-vswitchd gets a private network namespace
// so that the tap devices of the netdev datapath ("ovs-netdev", one per
// bridge) do not collide with another switch on the host; set
// OVSTEST_HOST_NETNS=1 to keep the host namespace. OVSTEST_KEEP=1 keeps the
// directory (databases, logs) after the test.
package ovstest
