package e2e

import (
	"testing"
	"time"
)

const settle = 30 * time.Second

// neutronNetwork creates a Neutron-style logical switch (name
// neutron-<id>, network name in external_ids) and returns its name.
func neutronNetwork(t *testing.T, tp *Topology, id, name string, mtu string) string {
	t.Helper()
	ls := "neutron-" + id
	tp.Central.MustNbctl("ls-add", ls, "--", "set", "Logical_Switch", ls,
		`external_ids:"neutron:network_name"=`+name,
		`external_ids:"neutron:mtu"=`+mtu,
		"other_config:mcast_snoop=false", "other_config:mcast_flood_unregistered=false",
		"other_config:vlan-passthru=false")
	return ls
}

// neutronPort adds a VM port with port security, bound by Neutron to a host
// through options:requested-chassis.
func neutronPort(t *testing.T, tp *Topology, ls, lport, mac, ip, host string) {
	t.Helper()
	addr := mac + " " + ip
	tp.Central.MustNbctl("lsp-add", ls, lport,
		"--", "lsp-set-addresses", lport, addr,
		"--", "lsp-set-port-security", lport, addr,
		"--", "lsp-set-options", lport, "requested-chassis="+host)
}

// TestSeedGeneveNetwork is the seed scenario: a self-service geneve network
// 192.168.101.0/24 with MTU 1442 and a metadata localport 192.168.101.1;
// VM1 on chassis 1 and VM2 on chassis 2 ping each other through the geneve
// tunnel, and ARP for the metadata address is answered by OVN.
func TestSeedGeneveNetwork(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")

	ls := neutronNetwork(t, tp, "f5e24ee8-2bcb-43a4-91d5-0abad0c58197", "selfservice", "1442")
	meta := "47a2be8a-c336-42e0-a8a6-044ff5df6bf2"
	tp.Central.MustNbctl("lsp-add", ls, meta,
		"--", "lsp-set-type", meta, "localport",
		"--", "lsp-set-addresses", meta, "fa:16:3e:71:9e:ad 192.168.101.1",
		"--", "set", "Logical_Switch_Port", meta,
		`external_ids:"neutron:device_owner"="network:distributed"`,
		`external_ids:"neutron:cidrs"="192.168.101.1/24"`)
	neutronPort(t, tp, ls, "vm1-port", "fa:16:3e:00:01:11", "192.168.101.11", "hv1")
	neutronPort(t, tp, ls, "vm2-port", "fa:16:3e:00:01:12", "192.168.101.12", "hv2")
	must(t, tp.Central.WaitSync())

	vm1 := hv1.AddVM("vm1", "vm1-port", "fa:16:3e:00:01:11", "192.168.101.11/24", 1442, "")
	vm2 := hv2.AddVM("vm2", "vm2-port", "fa:16:3e:00:01:12", "192.168.101.12/24", 1442, "")
	must(t, hv1.WaitTunnel("hv2"))
	must(t, hv2.WaitTunnel("hv1"))

	before, err := hv1.TunnelTxPackets("hv2")
	must(t, err)
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatalf("VM1 -> VM2 across the geneve tunnel: %v", err)
	}
	after, err := hv1.TunnelTxPackets("hv2")
	must(t, err)
	t.Logf("hv1 tunnel to hv2: tx packets %d -> %d", before, after)
	if after <= before {
		t.Errorf("ping succeeded but hv1's tunnel to hv2 sent nothing (tx %d -> %d)", before, after)
	}
	if err := vm2.Ping(vm1.IP, 2); err != nil {
		t.Errorf("VM2 -> VM1: %v", err)
	}
	// A full-MTU packet (1442 bytes of IP) still fits the underlay after
	// geneve encapsulation.
	if out, err := vm1.NS.Exec("busybox", "ping", "-c", "2", "-W", "1", "-s", "1414", vm2.IP); err != nil {
		t.Errorf("VM1 -> VM2 with 1442-byte packets: %v (%s)", err, out)
	}
	mac, err := vm1.Arping("192.168.101.1")
	if err != nil {
		t.Fatalf("ARP for the metadata port: %v", err)
	}
	if mac != "fa:16:3e:71:9e:ad" {
		t.Errorf("ARP for 192.168.101.1 answered with %s, want fa:16:3e:71:9e:ad", mac)
	}
}

// TestIsolationAndRouting: two logical switches without a router are
// isolated even with overlapping addresses; a logical router between two
// networks routes across chassis.
func TestIsolationAndRouting(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")

	// Same subnet on two switches: only the port on the same switch answers.
	netA := neutronNetwork(t, tp, "aaaaaaaa-0000-0000-0000-000000000001", "net-a", "1442")
	netB := neutronNetwork(t, tp, "bbbbbbbb-0000-0000-0000-000000000002", "net-b", "1442")
	neutronPort(t, tp, netA, "a1", "fa:16:3e:0a:00:01", "10.0.0.11", "hv1")
	neutronPort(t, tp, netA, "a2", "fa:16:3e:0a:00:02", "10.0.0.13", "hv2")
	neutronPort(t, tp, netB, "b1", "fa:16:3e:0b:00:01", "10.0.0.12", "hv2")

	// Two subnets to be joined by a router later.
	netC := neutronNetwork(t, tp, "cccccccc-0000-0000-0000-000000000003", "net-c", "1442")
	netD := neutronNetwork(t, tp, "dddddddd-0000-0000-0000-000000000004", "net-d", "1442")
	neutronPort(t, tp, netC, "c1", "fa:16:3e:0c:00:01", "192.168.1.11", "hv1")
	neutronPort(t, tp, netD, "d1", "fa:16:3e:0d:00:01", "192.168.2.11", "hv2")
	must(t, tp.Central.WaitSync())

	a1 := hv1.AddVM("a1", "a1", "fa:16:3e:0a:00:01", "10.0.0.11/24", 1442, "")
	a2 := hv2.AddVM("a2", "a2", "fa:16:3e:0a:00:02", "10.0.0.13/24", 1442, "")
	b1 := hv2.AddVM("b1", "b1", "fa:16:3e:0b:00:01", "10.0.0.12/24", 1442, "")
	c1 := hv1.AddVM("c1", "c1", "fa:16:3e:0c:00:01", "192.168.1.11/24", 1442, "192.168.1.254")
	d1 := hv2.AddVM("d1", "d1", "fa:16:3e:0d:00:01", "192.168.2.11/24", 1442, "192.168.2.254")
	must(t, hv1.WaitTunnel("hv2"))

	// Positive control first, so that a failure below means isolation.
	if err := a1.PingEventually(a2.IP, settle); err != nil {
		t.Fatalf("a1 -> a2 on the same network: %v", err)
	}
	if err := a1.Ping(b1.IP, 3); err == nil {
		t.Errorf("a1 (net-a) reached b1 (net-b) without a router")
	}
	if err := c1.Ping(d1.IP, 2); err == nil {
		t.Errorf("c1 (net-c) reached d1 (net-d) before the router exists")
	}

	tp.Central.MustNbctl("lr-add", "router1",
		"--", "lrp-add", "router1", "lrp-c", "fa:16:3e:0c:ff:fe", "192.168.1.254/24",
		"--", "lsp-add", netC, "rp-c", "--", "lsp-set-type", "rp-c", "router",
		"--", "lsp-set-addresses", "rp-c", "router", "--", "lsp-set-options", "rp-c", "router-port=lrp-c",
		"--", "lrp-add", "router1", "lrp-d", "fa:16:3e:0d:ff:fe", "192.168.2.254/24",
		"--", "lsp-add", netD, "rp-d", "--", "lsp-set-type", "rp-d", "router",
		"--", "lsp-set-addresses", "rp-d", "router", "--", "lsp-set-options", "rp-d", "router-port=lrp-d")
	must(t, tp.Central.WaitSync())
	if err := c1.PingEventually(d1.IP, settle); err != nil {
		t.Fatalf("c1 -> d1 through router1: %v", err)
	}
	if err := d1.Ping(c1.IP, 2); err != nil {
		t.Errorf("d1 -> c1 through router1: %v", err)
	}
	if err := c1.Ping("192.168.2.254", 1); err != nil {
		t.Errorf("c1 -> far router port: %v", err)
	}
	// The router joins net-c and net-d only.
	if err := c1.Ping(a1.IP, 2); err == nil {
		t.Errorf("c1 reached a1 on an unrouted network")
	}
}

// TestVXLANNetwork runs the seed's ping over VXLAN tunnels (both chassis
// advertise only vxlan, which also puts northd into VXLAN mode).
func TestVXLANNetwork(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNodeWithEncap("hv1", "vxlan")
	hv2 := tp.AddNodeWithEncap("hv2", "vxlan")
	ls := neutronNetwork(t, tp, "7e7e0000-0000-0000-0000-000000000001", "vxlan-net", "1450")
	neutronPort(t, tp, ls, "vx-vm1", "fa:16:3e:7e:00:01", "192.168.102.11", "hv1")
	neutronPort(t, tp, ls, "vx-vm2", "fa:16:3e:7e:00:02", "192.168.102.12", "hv2")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("vxvm1", "vx-vm1", "fa:16:3e:7e:00:01", "192.168.102.11/24", 1450, "")
	vm2 := hv2.AddVM("vxvm2", "vx-vm2", "fa:16:3e:7e:00:02", "192.168.102.12/24", 1450, "")
	must(t, hv1.WaitTunnel("hv2"))
	if typ, err := hv1.Vsctl("--bare", "--columns=type", "find", "Interface", "options:remote_ip="+hv2.UnderlayIP); err != nil || typ != "vxlan" {
		t.Fatalf("tunnel hv1 -> hv2 has type %q (%v), want vxlan", typ, err)
	}
	before, err := hv1.TunnelTxPackets("hv2")
	must(t, err)
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatalf("VM1 -> VM2 over VXLAN: %v", err)
	}
	if err := vm2.Ping(vm1.IP, 2); err != nil {
		t.Errorf("VM2 -> VM1 over VXLAN: %v", err)
	}
	after, err := hv1.TunnelTxPackets("hv2")
	must(t, err)
	if after <= before {
		t.Errorf("ping succeeded but the VXLAN tunnel sent nothing (tx %d -> %d)", before, after)
	}
}

// TestFloodingAcrossTunnel: on a switch whose ports have "unknown"
// addresses (no port security, no ARP responder), ARP requests reach the
// other chassis only through the _MC_flood group and replies to a MAC the
// switch does not know through _MC_unknown, both over the tunnel.
func TestFloodingAcrossTunnel(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")
	tp.Central.MustNbctl("ls-add", "flood",
		"--", "lsp-add", "flood", "u1", "--", "lsp-set-addresses", "u1", "unknown",
		"--", "lsp-add", "flood", "u2", "--", "lsp-set-addresses", "u2", "unknown")
	must(t, tp.Central.WaitSync())
	u1 := hv1.AddVM("u1", "u1", "fa:16:3e:f1:00:01", "10.20.0.1/24", 1442, "")
	u2 := hv2.AddVM("u2", "u2", "fa:16:3e:f1:00:02", "10.20.0.2/24", 1442, "")
	must(t, hv1.WaitTunnel("hv2"))

	capture, err := u2.StartCapture("arp and src host 10.20.0.1")
	must(t, err)
	if err := u1.PingEventually(u2.IP, settle); err != nil {
		capture.Stop()
		t.Fatalf("u1 -> u2 with unknown addresses: %v", err)
	}
	if pkts := capture.Stop(); len(pkts) == 0 {
		t.Errorf("u2 never saw u1's ARP: the request was not flooded to hv2")
	}
	if err := u2.Ping(u1.IP, 2); err != nil {
		t.Errorf("u2 -> u1: %v", err)
	}
}
