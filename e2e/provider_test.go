package e2e

import "testing"

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
