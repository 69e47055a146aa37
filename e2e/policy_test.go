package e2e

import (
	"strings"
	"testing"
)

// TestSecurityGroups uses Neutron-style port groups and ACLs: a drop-all
// group for every port, a default security group that allows egress and
// ingress from its own members, and port security.
func TestSecurityGroups(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")

	ls := neutronNetwork(t, tp, "5ec00000-0000-0000-0000-000000000001", "sg-net", "1442")
	neutronPort(t, tp, ls, "sg-vm1", "fa:16:3e:5e:00:01", "192.168.101.11", "hv1")
	neutronPort(t, tp, ls, "sg-vm2", "fa:16:3e:5e:00:02", "192.168.101.12", "hv2")
	neutronPort(t, tp, ls, "sg-vm3", "fa:16:3e:5e:00:03", "192.168.101.13", "hv2")
	nb := tp.Central.MustNbctl
	nb("pg-add", "neutron_pg_drop", "sg-vm1", "sg-vm2", "sg-vm3")
	nb("acl-add", "neutron_pg_drop", "from-lport", "1001", "inport == @neutron_pg_drop && ip", "drop")
	nb("acl-add", "neutron_pg_drop", "to-lport", "1001", "outport == @neutron_pg_drop && ip", "drop")
	// Default group: egress anywhere, ingress from members.
	nb("pg-add", "pg_default", "sg-vm1", "sg-vm2")
	nb("acl-add", "pg_default", "from-lport", "1002", "inport == @pg_default && ip4", "allow-related")
	nb("acl-add", "pg_default", "to-lport", "1002", "outport == @pg_default && ip4 && ip4.src == $pg_default_ip4", "allow-related")
	// vm3's group: egress only.
	nb("pg-add", "pg_egress_only", "sg-vm3")
	nb("acl-add", "pg_egress_only", "from-lport", "1002", "inport == @pg_egress_only && ip4", "allow-related")
	must(t, tp.Central.WaitSync())

	vm1 := hv1.AddVM("sgvm1", "sg-vm1", "fa:16:3e:5e:00:01", "192.168.101.11/24", 1442, "")
	vm2 := hv2.AddVM("sgvm2", "sg-vm2", "fa:16:3e:5e:00:02", "192.168.101.12/24", 1442, "")
	vm3 := hv2.AddVM("sgvm3", "sg-vm3", "fa:16:3e:5e:00:03", "192.168.101.13/24", 1442, "")
	must(t, hv1.WaitTunnel("hv2"))

	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatalf("members of the default group: %v", err)
	}
	if err := vm2.Ping(vm1.IP, 1); err != nil {
		t.Errorf("members of the default group, other way: %v", err)
	}
	if err := vm3.Ping(vm1.IP, 2); err == nil {
		t.Errorf("vm3 (not a member) reached vm1")
	}

	// A rule allowing ICMP in from anywhere: vm3's replies come back
	// although vm3's own group allows no ingress (connection tracking).
	icmpRule := "outport == @pg_default && ip4 && icmp4"
	nb("acl-add", "pg_default", "to-lport", "1002", icmpRule, "allow-related")
	must(t, tp.Central.WaitSync())
	if err := vm3.PingEventually(vm1.IP, settle); err != nil {
		t.Fatalf("vm3 -> vm1 with the ICMP rule (replies must be allowed): %v", err)
	}
	if err := vm1.Ping(vm3.IP, 2); err == nil {
		t.Errorf("vm1 reached vm3 whose group allows no ingress")
	}

	// Removing the rule blocks new connections.
	nb("acl-del", "pg_default", "to-lport", "1002", icmpRule)
	must(t, tp.Central.WaitSync())
	if err := vm3.PingFailsEventually(vm1.IP, settle); err != nil {
		t.Errorf("after removing the ICMP rule: %v", err)
	}
	if err := vm2.Ping(vm1.IP, 1); err != nil {
		t.Errorf("group members after removing the ICMP rule: %v", err)
	}

	// Port security: packets with a spoofed source IP, then a spoofed MAC,
	// never reach vm1 (watched on vm1's interface, since the replies could
	// not come back anyway).
	capture, err := vm1.StartCapture("icmp and src host 192.168.101.99")
	must(t, err)
	mustRun(t, vm2.NS.Exec, "ip", "addr", "flush", "dev", "eth0")
	mustRun(t, vm2.NS.Exec, "ip", "addr", "add", "192.168.101.99/24", "dev", "eth0")
	mustRun(t, vm2.NS.Exec, "ip", "neigh", "replace", vm1.IP, "lladdr", vm1.MAC, "dev", "eth0")
	_ = vm2.Ping(vm1.IP, 2)
	if pkts := capture.Stop(); len(pkts) > 0 {
		t.Errorf("packets from a spoofed IP reached vm1:\n%s", strings.Join(pkts, "\n"))
	}
	mustRun(t, vm2.NS.Exec, "ip", "addr", "flush", "dev", "eth0")
	mustRun(t, vm2.NS.Exec, "ip", "addr", "add", "192.168.101.12/24", "dev", "eth0")
	if err := vm2.PingEventually(vm1.IP, settle); err != nil {
		t.Fatalf("vm2 with its own address again: %v", err)
	}

	capture, err = vm1.StartCapture("icmp and ether src fa:16:3e:5e:00:99")
	must(t, err)
	mustRun(t, vm2.NS.Exec, "ip", "link", "set", "eth0", "address", "fa:16:3e:5e:00:99")
	_ = vm2.Ping(vm1.IP, 2)
	if pkts := capture.Stop(); len(pkts) > 0 {
		t.Errorf("packets from a spoofed MAC reached vm1:\n%s", strings.Join(pkts, "\n"))
	}
	mustRun(t, vm2.NS.Exec, "ip", "link", "set", "eth0", "address", vm2.MAC)
	if err := vm2.PingEventually(vm1.IP, settle); err != nil {
		t.Errorf("vm2 with its own MAC again: %v", err)
	}
}
