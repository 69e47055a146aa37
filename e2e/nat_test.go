package e2e

import (
	"strings"
	"testing"
)

// TestFloatingIPAndSNAT: a Neutron-style router with its gateway on gw1
// gives vm1 a floating IP (dnat_and_snat) and the rest of the subnet SNAT
// to the router's address; a host on the provider network reaches vm1 by
// its floating IP and sees each VM's traffic from the right address.
func TestFloatingIPAndSNAT(t *testing.T) {
	tp := NewTopology(t)
	seg := tp.AddProviderSegment("ext", "172.16.0.100/24")
	hv1 := tp.AddNode("hv1")
	gw1 := tp.AddNode("gw1", "physnet1:br-provider")
	seg.Attach(gw1, "br-provider")

	nb := tp.Central.MustNbctl
	inside := neutronNetwork(t, tp, "4a700000-0000-0000-0000-000000000001", "inside", "1442")
	neutronPort(t, tp, inside, "nat-vm1", "fa:16:3e:4a:00:01", "10.0.0.11", "hv1")
	neutronPort(t, tp, inside, "nat-vm2", "fa:16:3e:4a:00:02", "10.0.0.12", "hv1")
	public := neutronNetwork(t, tp, "9b1c0000-0000-0000-0000-000000000002", "public", "1500")
	nb("lsp-add", public, "provnet-physnet1", "--", "lsp-set-type", "provnet-physnet1", "localnet",
		"--", "lsp-set-addresses", "provnet-physnet1", "unknown",
		"--", "lsp-set-options", "provnet-physnet1", "network_name=physnet1")
	nb("lr-add", "router1",
		"--", "lrp-add", "router1", "lrp-in", "fa:16:3e:4a:ff:01", "10.0.0.254/24",
		"--", "lsp-add", inside, "rp-in", "--", "lsp-set-type", "rp-in", "router",
		"--", "lsp-set-addresses", "rp-in", "router", "--", "lsp-set-options", "rp-in", "router-port=lrp-in",
		"--", "lrp-add", "router1", "lrp-gw", "fa:16:3e:4a:ff:02", "172.16.0.1/24",
		"--", "lsp-add", public, "rp-gw", "--", "lsp-set-type", "rp-gw", "router",
		"--", "lsp-set-addresses", "rp-gw", "router", "--", "lsp-set-options", "rp-gw", "router-port=lrp-gw")
	nb("lrp-set-gateway-chassis", "lrp-gw", "gw1", "1")
	nb("lr-nat-add", "router1", "snat", "172.16.0.1", "10.0.0.0/24")
	nb("lr-nat-add", "router1", "dnat_and_snat", "172.16.0.50", "10.0.0.11")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("natvm1", "nat-vm1", "fa:16:3e:4a:00:01", "10.0.0.11/24", 1442, "10.0.0.254")
	vm2 := hv1.AddVM("natvm2", "nat-vm2", "fa:16:3e:4a:00:02", "10.0.0.12/24", 1442, "10.0.0.254")
	must(t, tp.Central.WaitPortUp("cr-lrp-gw", "gw1"))

	if err := seg.PingEventually("172.16.0.50", settle); err != nil {
		t.Fatalf("provider host -> vm1's floating IP: %v", err)
	}
	for _, tc := range []struct {
		vm     *VM
		source string
	}{{vm1, "172.16.0.50"}, {vm2, "172.16.0.1"}} {
		capture, err := seg.StartCapture("icmp[icmptype] == icmp-echo")
		must(t, err)
		err = tc.vm.PingEventually("172.16.0.100", settle)
		pkts := capture.Stop()
		if err != nil {
			t.Fatalf("%s -> provider host: %v", tc.vm.Name, err)
		}
		if len(pkts) == 0 || !strings.Contains(pkts[0], "IP "+tc.source+" > 172.16.0.100") {
			t.Errorf("%s's echo requests reached the host as %q, want source %s", tc.vm.Name, pkts, tc.source)
		}
	}
}
