package e2e

import "testing"

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

	pinger, err := vm1.StartPing(vm2.IP)
	must(t, err)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_, _, _ = pinger.Stop()
		}
	})

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

	sent, received, err := pinger.Stop()
	stopped = true
	must(t, err)
	t.Logf("background ping VM1 -> VM2: %d sent, %d received", sent, received)
	// One request may still be in flight when the ping is interrupted.
	if sent < 5 || sent-received > 1 {
		t.Errorf("traffic between hv1 and hv2 was interrupted: %d sent, %d received", sent, received)
	}
}
