package e2e

import (
	"testing"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestProviderNetwork: VMs on a localnet (provider) network reach a host on
// the physical segment through br-provider, and each other through the
// physical network rather than a tunnel.
func TestProviderNetwork(t *testing.T) {
	tp := NewTopology(t)
	seg := tp.AddProviderSegment("pn", "10.10.0.1/24")
	hv1 := tp.AddNode("hv1", "physnet1:br-provider")
	hv2 := tp.AddNode("hv2", "physnet1:br-provider")
	seg.Attach(hv1, "br-provider")
	seg.Attach(hv2, "br-provider")

	ls := neutronNetwork(t, tp, "9a0e0000-0000-0000-0000-000000000001", "provider", "1500")
	tp.Central.MustNbctl("lsp-add", ls, "provnet-physnet1",
		"--", "lsp-set-type", "provnet-physnet1", "localnet",
		"--", "lsp-set-addresses", "provnet-physnet1", "unknown",
		"--", "lsp-set-options", "provnet-physnet1", "network_name=physnet1")
	neutronPort(t, tp, ls, "pvm1", "fa:16:3e:9a:00:01", "10.10.0.11", "hv1")
	neutronPort(t, tp, ls, "pvm2", "fa:16:3e:9a:00:02", "10.10.0.12", "hv2")
	must(t, tp.Central.WaitSync())

	vm1 := hv1.AddVM("pvm1", "pvm1", "fa:16:3e:9a:00:01", "10.10.0.11/24", 1500, "")
	vm2 := hv2.AddVM("pvm2", "pvm2", "fa:16:3e:9a:00:02", "10.10.0.12/24", 1500, "")
	for _, node := range []*Node{hv1, hv2} {
		must(t, node.WaitTunnel(map[*Node]string{hv1: "hv2", hv2: "hv1"}[node]))
		if _, err := node.Vsctl("get", "Interface", "patch-br-int-to-provnet-physnet1", "options:peer"); err != nil {
			t.Fatalf("%s: patch port to br-provider: %v", node.SystemID, err)
		}
	}

	if err := vm1.PingEventually("10.10.0.1", settle); err != nil {
		t.Fatalf("VM on hv1 -> host on the provider segment: %v", err)
	}
	if err := seg.Ping(vm2.IP, 2); err != nil {
		t.Errorf("provider host -> VM on hv2: %v", err)
	}
	before, err := hv1.TunnelTxPackets("hv2")
	must(t, err)
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatalf("VM1 -> VM2 over the provider network: %v", err)
	}
	after, err := hv1.TunnelTxPackets("hv2")
	must(t, err)
	if after != before {
		t.Errorf("traffic on a localnet network went through the tunnel (tx %d -> %d)", before, after)
	}
}

// TestVLANProviderNetwork: a Neutron VLAN network (localnet port with tag
// 100); VMs on two chassis reach a host on VLAN 100 of the physical
// network and each other through it, so frames leave the chassis tagged.
// The physical switch is an OVS bridge in its own namespace (this kernel
// has neither 802.1Q devices nor VLAN-filtering Linux bridges) with the
// host on an access port of VLAN 100.
func TestVLANProviderNetwork(t *testing.T) {
	tp := NewTopology(t)
	phys := tp.Central.NewChassis(t, sandbox.ChassisOptions{Name: "phys"})
	must(t, phys.AddBridge("br-pn"))
	must(t, phys.AddPort("br-pn", "host100", "internal", nil))
	phys.MustVsctl("set", "Port", "host100", "tag=100")
	mustRun(t, phys.Exec, "ip", "addr", "add", "10.30.0.1/24", "dev", "host100")
	mustRun(t, phys.Exec, "ip", "link", "set", "host100", "up")

	hv1 := tp.AddNode("hv1", "physnet1:br-provider")
	hv2 := tp.AddNode("hv2", "physnet1:br-provider")
	for _, node := range []*Node{hv1, hv2} {
		trunk := ifName("pn-", node.SystemID)
		mustRun(t, phys.Exec, "ip", "link", "add", trunk, "type", "veth", "peer", "name", "pn-uplink", "netns", node.Netns())
		mustRun(t, phys.Exec, "ip", "link", "set", trunk, "up")
		mustRun(t, phys.Exec, "ethtool", "-K", trunk, "tx", "off")
		mustRun(t, node.Exec, "ip", "link", "set", "pn-uplink", "up")
		mustRun(t, node.Exec, "ethtool", "-K", "pn-uplink", "tx", "off")
		must(t, phys.AddPort("br-pn", trunk, "", nil))
		must(t, node.AddPort("br-provider", "pn-uplink", "", nil))
	}

	ls := neutronNetwork(t, tp, "71a00000-0000-0000-0000-000000000001", "vlan100", "1500")
	tp.Central.MustNbctl("lsp-add", ls, "provnet-vlan100", "", "100",
		"--", "lsp-set-type", "provnet-vlan100", "localnet",
		"--", "lsp-set-addresses", "provnet-vlan100", "unknown",
		"--", "lsp-set-options", "provnet-vlan100", "network_name=physnet1")
	neutronPort(t, tp, ls, "vl-vm1", "fa:16:3e:71:00:01", "10.30.0.11", "hv1")
	neutronPort(t, tp, ls, "vl-vm2", "fa:16:3e:71:00:02", "10.30.0.12", "hv2")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("vlvm1", "vl-vm1", "fa:16:3e:71:00:01", "10.30.0.11/24", 1500, "")
	vm2 := hv2.AddVM("vlvm2", "vl-vm2", "fa:16:3e:71:00:02", "10.30.0.12/24", 1500, "")

	physNS := &sandbox.Netns{Name: phys.Netns()}
	capture, err := startCapture(physNS, "physical switch", ifName("pn-", "hv1"), "vlan 100 and icmp")
	must(t, err)
	if err := vm1.PingEventually("10.30.0.1", settle); err != nil {
		capture.Stop()
		t.Fatalf("VM on hv1 -> host on VLAN 100: %v", err)
	}
	if pkts := capture.Stop(); len(pkts) == 0 {
		t.Errorf("no 802.1Q-tagged ICMP seen on hv1's uplink")
	}
	if err := vm2.PingEventually(vm1.IP, settle); err != nil {
		t.Errorf("VM2 -> VM1 over VLAN 100: %v", err)
	}
	if err := vm2.Ping("10.30.0.1", 1); err != nil {
		t.Errorf("VM on hv2 -> host on VLAN 100: %v", err)
	}
}
