package e2e

import (
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestChassisChurn: a third chassis joins (tunnels to it appear on the
// others) and leaves (they go) while traffic between the first two keeps
// flowing.
func TestChassisChurn(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")
	ls := neutronNetwork(t, tp, "c4c40000-0000-0000-0000-000000000001", "churn", "1442")
	neutronPort(t, tp, ls, "ch-vm1", "fa:16:3e:c4:00:01", "192.168.101.11", "hv1")
	neutronPort(t, tp, ls, "ch-vm2", "fa:16:3e:c4:00:02", "192.168.101.12", "hv2")
	neutronPort(t, tp, ls, "ch-vm3", "fa:16:3e:c4:00:03", "192.168.101.13", "hv3")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("chvm1", "ch-vm1", "fa:16:3e:c4:00:01", "192.168.101.11/24", 1442, "")
	vm2 := hv2.AddVM("chvm2", "ch-vm2", "fa:16:3e:c4:00:02", "192.168.101.12/24", 1442, "")
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatal(err)
	}

	// 100 requests = 20 s, longer than the join and leave below take.
	pinger, err := vm1.StartPing(vm2.IP, 100)
	must(t, err)
	t.Cleanup(pinger.Kill)

	hv3 := tp.AddNode("hv3")
	must(t, hv1.WaitTunnel("hv3"))
	must(t, hv2.WaitTunnel("hv3"))
	vm3 := hv3.AddVM("chvm3", "ch-vm3", "fa:16:3e:c4:00:03", "192.168.101.13/24", 1442, "")
	if err := vm3.PingEventually(vm1.IP, settle); err != nil {
		t.Fatalf("VM on the new chassis -> VM1: %v", err)
	}

	// The third chassis leaves cleanly: its Chassis row goes, and with it
	// the tunnels to it.
	must(t, hv3.ExitAgent(false))
	must(t, hv1.WaitNoTunnel("hv3"))
	must(t, hv2.WaitNoTunnel("hv3"))

	if !pinger.Running() {
		t.Fatal("the background ping ended before the third chassis left; raise its count")
	}
	sent, received, err := pinger.Wait()
	must(t, err)
	t.Logf("background ping VM1 -> VM2: %d sent, %d received", sent, received)
	if sent != 100 || received != sent {
		t.Errorf("traffic between hv1 and hv2 was interrupted: %d sent, %d received", sent, received)
	}
}

// TestAgentRestartIsHitless: stopping the agent (SIGTERM) leaves the
// dataplane working, and starting it again does not interrupt traffic.
func TestAgentRestartIsHitless(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")
	ls := neutronNetwork(t, tp, "4e5e0000-0000-0000-0000-000000000001", "restart", "1442")
	neutronPort(t, tp, ls, "rs-vm1", "fa:16:3e:4e:00:01", "192.168.101.11", "hv1")
	neutronPort(t, tp, ls, "rs-vm2", "fa:16:3e:4e:00:02", "192.168.101.12", "hv2")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("rsvm1", "rs-vm1", "fa:16:3e:4e:00:01", "192.168.101.11/24", 1442, "")
	vm2 := hv2.AddVM("rsvm2", "rs-vm2", "fa:16:3e:4e:00:02", "192.168.101.12/24", 1442, "")
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatal(err)
	}

	// 50 requests = 10 s, longer than the restart below takes.
	pinger, err := vm1.StartPing(vm2.IP, 50)
	must(t, err)
	t.Cleanup(pinger.Kill)
	must(t, hv1.StopAgent())
	// Traffic keeps flowing with no agent at all.
	time.Sleep(2 * time.Second)
	if err := vm2.Ping(vm1.IP, 2); err != nil {
		t.Errorf("with hv1's agent stopped: %v", err)
	}
	must(t, hv1.StartAgent(tp.AgentFor(0)))
	must(t, tp.Central.WaitPortUp("rs-vm1", "hv1"))
	// Let the restarted agent reinstall its flows while the ping runs.
	time.Sleep(3 * time.Second)
	if !pinger.Running() {
		t.Fatal("the background ping ended before the agent had restarted; raise its count")
	}

	sent, received, err := pinger.Wait()
	must(t, err)
	t.Logf("background ping VM1 -> VM2 across the restart: %d sent, %d received", sent, received)
	if sent != 50 || received != sent {
		t.Errorf("agent restart interrupted traffic: %d sent, %d received", sent, received)
	}
	if names, err := tp.Central.ChassisNames(); err != nil || len(names) != 2 {
		t.Errorf("chassis after restart: %v, %v", names, err)
	}
}

// TestTakeOverFromOVNController: a node runs the real ovn-controller; it is
// stopped and the agent under test starts on the same OVS database with the
// same system-id. Traffic between two VMs on that node and to a VM on
// another node must not lose a packet, and nothing is registered twice.
// (With the default agent this is an ovn-controller restart.)
func TestTakeOverFromOVNController(t *testing.T) {
	tp := NewTopology(t)
	reference := sandbox.AgentSpec{Kind: sandbox.AgentOVNController}
	hv1 := tp.AddNodeWithAgent("hv1", reference)
	hv2 := tp.AddNodeWithAgent("hv2", reference)
	ls := neutronNetwork(t, tp, "7a6e0000-0000-0000-0000-000000000001", "takeover", "1442")
	neutronPort(t, tp, ls, "to-vm1", "fa:16:3e:7a:00:01", "192.168.101.11", "hv1")
	neutronPort(t, tp, ls, "to-vm2", "fa:16:3e:7a:00:02", "192.168.101.12", "hv1")
	neutronPort(t, tp, ls, "to-vm3", "fa:16:3e:7a:00:03", "192.168.101.13", "hv2")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("tovm1", "to-vm1", "fa:16:3e:7a:00:01", "192.168.101.11/24", 1442, "")
	vm2 := hv1.AddVM("tovm2", "to-vm2", "fa:16:3e:7a:00:02", "192.168.101.12/24", 1442, "")
	vm3 := hv2.AddVM("tovm3", "to-vm3", "fa:16:3e:7a:00:03", "192.168.101.13/24", 1442, "")
	for _, dst := range []string{vm2.IP, vm3.IP} {
		if err := vm1.PingEventually(dst, settle); err != nil {
			t.Fatal(err)
		}
	}
	chassisBefore := tp.Central.MustSbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=hv1")

	// 75 requests = 15 s each, longer than the hand-over below takes.
	local, err := vm1.StartPing(vm2.IP, 75)
	must(t, err)
	t.Cleanup(local.Kill)
	remote, err := vm1.StartPing(vm3.IP, 75)
	must(t, err)
	t.Cleanup(remote.Kill)

	must(t, hv1.StopAgent())
	must(t, hv1.StartAgent(tp.Agent))
	must(t, tp.Central.WaitPortUp("to-vm1", "hv1"))
	must(t, tp.Central.WaitPortUp("to-vm2", "hv1"))
	time.Sleep(5 * time.Second)
	if !local.Running() || !remote.Running() {
		t.Fatal("the background pings ended before the hand-over was done; raise their count")
	}
	for name, p := range map[string]*Pinger{"VM1 -> VM2 (same node)": local, "VM1 -> VM3 (tunnel)": remote} {
		sent, received, err := p.Wait()
		must(t, err)
		t.Logf("%s across the hand-over to %s: %d sent, %d received", name, tp.Agent.Kind, sent, received)
		if sent != 75 || received != sent {
			t.Errorf("%s: hand-over lost packets: %d sent, %d received", name, sent, received)
		}
	}
	if after := tp.Central.MustSbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=hv1"); after != chassisBefore {
		t.Errorf("Chassis hv1 was re-created (%s -> %s)", chassisBefore, after)
	}
	if names, err := tp.Central.ChassisNames(); err != nil || len(names) != 2 {
		t.Errorf("chassis after the hand-over: %v, %v", names, err)
	}
}

// TestEncapIPChange: a chassis moves to a new underlay address; its Encap
// row follows, the other chassis re-point their tunnels, and traffic flows
// again.
func TestEncapIPChange(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")
	ls := neutronNetwork(t, tp, "e1c00000-0000-0000-0000-000000000001", "renumber", "1442")
	neutronPort(t, tp, ls, "ip-vm1", "fa:16:3e:e1:00:01", "192.168.101.11", "hv1")
	neutronPort(t, tp, ls, "ip-vm2", "fa:16:3e:e1:00:02", "192.168.101.12", "hv2")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("ipvm1", "ip-vm1", "fa:16:3e:e1:00:01", "192.168.101.11/24", 1442, "")
	vm2 := hv2.AddVM("ipvm2", "ip-vm2", "fa:16:3e:e1:00:02", "192.168.101.12/24", 1442, "")
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatal(err)
	}

	newIP := underlayPrefix + "102"
	// Keep the new (secondary) address when the old primary one is deleted.
	mustRun(t, hv2.Exec, "sysctl", "-qw", "net.ipv4.conf.br-phy.promote_secondaries=1")
	mustRun(t, hv2.Exec, "ip", "addr", "add", newIP+"/24", "dev", "br-phy")
	must(t, hv2.SetExternalIDs(map[string]string{"ovn-encap-ip": newIP}))
	must(t, sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		ip, err := tp.Central.Sbctl("--bare", "--columns=ip", "find", "Encap", "chassis_name=hv2")
		return ip == newIP, err
	}))
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		out, err := hv1.Vsctl("--bare", "--columns=name", "find", "Interface", "options:remote_ip="+newIP)
		return out != "", err
	}); err != nil {
		t.Fatalf("hv1 has no tunnel to hv2's new address %s: %v", newIP, err)
	}
	// The old address goes away so that only the new tunnel can carry.
	mustRun(t, hv2.Exec, "ip", "addr", "del", hv2.UnderlayIP+"/24", "dev", "br-phy")
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatalf("VM1 -> VM2 after hv2 moved to %s: %v", newIP, err)
	}
	if err := vm2.Ping(vm1.IP, 2); err != nil {
		t.Errorf("VM2 -> VM1 after the move: %v", err)
	}
}
