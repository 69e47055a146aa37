package e2e

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestSecurityWithPackets checks with real frames what port security and
// ACLs promise, and that an agent restart does not open a window: frames
// with a spoofed source MAC or IP never reach the other VM (the same frame
// with the VM's own addresses does); an ACL drop and an ACL reject hold
// before, during and after the destination chassis' agent restarts, and
// the reject answers with an ICMP port unreachable. (Isolation of networks
// without a router: TestIsolationAndRouting.)
func TestSecurityWithPackets(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")
	ls := neutronNetwork(t, tp, "5ec00000-0000-0000-0000-000000000001", "sec-net", "1442")
	neutronPort(t, tp, ls, "sec-vm1", "fa:16:3e:5e:00:01", "192.168.101.11", "hv1")
	neutronPort(t, tp, ls, "sec-vm2", "fa:16:3e:5e:00:02", "192.168.101.12", "hv2")
	nb := tp.Central.MustNbctl
	nb("acl-add", ls, "to-lport", "1002", `outport == "sec-vm2" && udp.dst == 7777`, "drop")
	nb("acl-add", ls, "to-lport", "1002", `outport == "sec-vm2" && udp.dst == 8888`, "reject")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("secvm1", "sec-vm1", "fa:16:3e:5e:00:01", "192.168.101.11/24", 1442, "")
	vm2 := hv2.AddVM("secvm2", "sec-vm2", "fa:16:3e:5e:00:02", "192.168.101.12/24", 1442, "")
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatal(err)
	}
	mac1, _ := net.ParseMAC(vm1.MAC)
	mac2, _ := net.ParseMAC(vm2.MAC)
	ip1, ip2 := [4]byte{192, 168, 101, 11}, [4]byte{192, 168, 101, 12}
	udp := func(srcMAC net.HardwareAddr, src [4]byte, dport uint16) []byte {
		return ipv4UDP(srcMAC, mac2, src, ip2, 5555, dport, []byte("chassisd-security"))
	}
	// received sends frames from vm1 and returns what vm2 captured.
	received := func(filter string, frames ...[]byte) []string {
		t.Helper()
		c, err := vm2.StartCapture(filter)
		must(t, err)
		must(t, sendRaw(vm1, frames...))
		time.Sleep(time.Second)
		return c.Stop()
	}

	spoofMAC, _ := net.ParseMAC("fa:16:3e:5e:00:99")
	if got := received("udp port 9999", udp(mac1, ip1, 9999)); len(got) == 0 {
		t.Fatal("positive control: vm1's own frame did not reach vm2")
	}
	if got := received("udp port 9999", udp(spoofMAC, ip1, 9999)); len(got) > 0 {
		t.Errorf("a frame with a spoofed source MAC reached vm2: %v", got)
	}
	if got := received("udp port 9999", udp(mac1, [4]byte{192, 168, 101, 99}, 9999)); len(got) > 0 {
		t.Errorf("a frame with a spoofed source IP reached vm2: %v", got)
	}

	checkACLs := func(when string) {
		t.Helper()
		if got := received("udp port 7777", udp(mac1, ip1, 7777)); len(got) > 0 {
			t.Errorf("%s: ACL drop let through %v", when, got)
		}
		rejected, err := vm1.StartCapture("icmp")
		must(t, err)
		if got := received("udp port 8888", udp(mac1, ip1, 8888)); len(got) > 0 {
			t.Errorf("%s: ACL reject let through %v", when, got)
		}
		if back := rejected.Stop(); !strings.Contains(strings.Join(back, "\n"), "unreachable") {
			t.Errorf("%s: ACL reject sent no ICMP unreachable back (got %v)", when, back)
		}
		if got := received("udp port 9999", udp(mac1, ip1, 9999)); len(got) == 0 {
			t.Errorf("%s: allowed traffic blocked", when)
		}
	}
	checkACLs("before the restart")
	must(t, hv2.StopAgent())
	if got := received("udp port 7777", udp(mac1, ip1, 7777)); len(got) > 0 {
		t.Errorf("agent stopped: ACL drop let through %v", got)
	}
	must(t, hv2.StartAgent(tp.AgentFor(1)))
	for _, p := range []string{"sec-vm2"} {
		must(t, tp.Central.WaitPortUp(p, "hv2"))
	}
	checkACLs("after the restart")
}
