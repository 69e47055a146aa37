package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestGatewayFailover: a router's gateway port on a provider network is
// scheduled on gw1 (priority 20) and gw2 (priority 10). A VM on hv1 reaches
// a host on the provider segment through gw1; when gw1 loses all its links,
// BFD on the tunnels lets gw2 take over and the VM reaches the host again.
func TestGatewayFailover(t *testing.T) {
	tp := NewTopology(t)
	seg := tp.AddProviderSegment("ext", "172.16.0.100/24")
	mustRun(t, seg.NS.Exec, "ip", "route", "add", "10.0.0.0/24", "via", "172.16.0.1")
	hv1 := tp.AddNode("hv1")
	gw1 := tp.AddNode("gw1", "physnet1:br-provider")
	gw2 := tp.AddNode("gw2", "physnet1:br-provider")
	seg.Attach(gw1, "br-provider")
	seg.Attach(gw2, "br-provider")

	nb := tp.Central.MustNbctl
	inside := neutronNetwork(t, tp, "1a5e0000-0000-0000-0000-000000000001", "inside", "1442")
	neutronPort(t, tp, inside, "ha-vm1", "fa:16:3e:1a:00:01", "10.0.0.11", "hv1")
	public := neutronNetwork(t, tp, "9b1c0000-0000-0000-0000-000000000001", "public", "1500")
	nb("lsp-add", public, "provnet-physnet1", "--", "lsp-set-type", "provnet-physnet1", "localnet",
		"--", "lsp-set-addresses", "provnet-physnet1", "unknown",
		"--", "lsp-set-options", "provnet-physnet1", "network_name=physnet1")
	nb("lr-add", "router1",
		"--", "lrp-add", "router1", "lrp-in", "fa:16:3e:1a:ff:01", "10.0.0.254/24",
		"--", "lsp-add", inside, "rp-in", "--", "lsp-set-type", "rp-in", "router",
		"--", "lsp-set-addresses", "rp-in", "router", "--", "lsp-set-options", "rp-in", "router-port=lrp-in",
		"--", "lrp-add", "router1", "lrp-gw", "fa:16:3e:1a:ff:02", "172.16.0.1/24",
		"--", "lsp-add", public, "rp-gw", "--", "lsp-set-type", "rp-gw", "router",
		"--", "lsp-set-addresses", "rp-gw", "router", "--", "lsp-set-options", "rp-gw", "router-port=lrp-gw")
	nb("lrp-set-gateway-chassis", "lrp-gw", "gw1", "20")
	nb("lrp-set-gateway-chassis", "lrp-gw", "gw2", "10")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("havm1", "ha-vm1", "fa:16:3e:1a:00:01", "10.0.0.11/24", 1442, "10.0.0.254")

	must(t, tp.Central.WaitPortUp("cr-lrp-gw", "gw1"))
	// hv1 is a ref chassis of the gateway group: BFD runs on its tunnels to
	// both gateways.
	for _, gw := range []*Node{gw1, gw2} {
		if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
			bfd, err := hv1.Vsctl("--bare", "--columns=bfd", "find", "Interface", "options:remote_ip="+gw.UnderlayIP)
			return strings.Contains(bfd, "enable=true"), err
		}); err != nil {
			t.Fatalf("hv1: no BFD on the tunnel to %s: %v", gw.SystemID, err)
		}
	}
	if err := vm1.PingEventually("172.16.0.100", settle); err != nil {
		t.Fatalf("VM -> provider host through gw1: %v", err)
	}

	// gw1 drops off both networks; nothing is stopped cleanly.
	start := time.Now()
	mustRun(t, gw1.Exec, "ip", "link", "set", "eth-ul", "down")
	mustRun(t, gw1.Exec, "ip", "link", "set", ifName("pn-", "br-provider"), "down")
	if err := tp.Central.WaitPortUp("cr-lrp-gw", "gw2"); err != nil {
		t.Fatalf("gw2 did not take the gateway port over: %v", err)
	}
	if err := vm1.PingEventually("172.16.0.100", settle); err != nil {
		t.Fatalf("VM -> provider host through gw2: %v", err)
	}
	t.Logf("failover to gw2 took %v", time.Since(start).Round(100*time.Millisecond))
	if err := seg.Ping(vm1.IP, 2); err != nil {
		t.Errorf("provider host -> VM through gw2: %v", err)
	}
}
