package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestClusteredSouthbound: the Southbound is a 3-member RAFT cluster and
// ovn-remote lists all three. The member the agent is connected to is
// killed, and later the leader: the agent moves to another member without
// a recompute storm, traffic across the tunnel is not interrupted, and a
// change made right after each kill reaches the chassis (no lost update).
func TestClusteredSouthbound(t *testing.T) {
	const members = 3
	tp := newTopologyWith(t, sandbox.CentralOptions{SBClusterSize: members})
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")
	ls := neutronNetwork(t, tp, "c1a50000-0000-0000-0000-000000000001", "cluster-net", "1442")
	neutronPort(t, tp, ls, "cl-vm1", "fa:16:3e:c1:00:01", "192.168.101.11", "hv1")
	neutronPort(t, tp, ls, "cl-vm2", "fa:16:3e:c1:00:02", "192.168.101.12", "hv2")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("clvm1", "cl-vm1", "fa:16:3e:c1:00:01", "192.168.101.11/24", 1442, "")
	vm2 := hv2.AddVM("clvm2", "cl-vm2", "fa:16:3e:c1:00:02", "192.168.101.12/24", 1442, "")
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatal(err)
	}
	recomputes := func() int {
		log := hv1.AgentLog()
		return strings.Count(log, "full recompute") + strings.Count(log, "force recompute")
	}
	var rows []faultRow
	defer func() { reportFaults(t, string(tp.Agent.Kind), rows) }()

	kill := func(what string, member int, mac string) {
		t.Helper()
		before := recomputes()
		probe := startProbe(t, what, vm1, vm2.IP)
		time.Sleep(time.Second)
		must(t, tp.Central.KillSBMember(member))
		start := time.Now()
		lport := "cl-late-" + mac[len(mac)-2:]
		// A change right after the kill (northd writes it to whichever
		// member leads now).
		if _, err := tp.Central.Nbctl("lsp-add", ls, lport, "--", "lsp-set-addresses", lport, mac+" 192.168.101.2"+mac[len(mac)-1:]); err != nil {
			t.Fatalf("NB change after killing SB member %d: %v", member+1, err)
		}
		var applied time.Duration = -1
		if err := sandbox.Eventually(45*time.Second, func() (bool, error) {
			s, err := dumpFlowSet(hv1)
			return err == nil && s.mentions(mac), nil
		}); err == nil {
			applied = time.Since(start)
		} else {
			t.Errorf("%s: the change made after the kill never reached hv1: %v", what, err)
		}
		time.Sleep(2 * time.Second)
		res, err := probe.stop()
		must(t, err)
		now := connectedSBMember(hv1, tp.Central, members)
		n := recomputes() - before
		row := faultRow{Fault: what, Geneve: res, Router: probeResult{}, Converge: applied,
			Note: fmt.Sprintf("agent moved from sb%d to sb%d; %d full recompute(s)", member+1, now+1, n)}
		rows = append(rows, row)
		t.Log(row)
		if tp.Agent.Kind == sandbox.AgentChassisd {
			if now == member || now < 0 {
				t.Errorf("%s: agent still on sb%d (log says %d)", what, member+1, now+1)
			}
			if n > 3 {
				t.Errorf("%s: %d full recomputes: a recompute storm", what, n)
			}
			if res.MaxGap > noiseGap {
				t.Errorf("%s: traffic stopped for %v", what, res.MaxGap)
			}
		}
		must(t, tp.Central.StartSBMember(member))
	}

	first := connectedSBMember(hv1, tp.Central, members)
	if first < 0 {
		t.Fatalf("cannot tell which SB member hv1's agent is connected to:\n%s", tail(hv1.AgentLog(), 10))
	}
	kill("SB member the agent is connected to killed", first, "fa:16:3e:c1:00:a1")
	time.Sleep(3 * time.Second)
	leader, err := tp.Central.SBLeader()
	must(t, err)
	kill("SB cluster leader killed", leader, "fa:16:3e:c1:00:a2")
	if p := agentPanics(hv1); p > 0 && tp.Agent.Kind == sandbox.AgentChassisd {
		t.Errorf("%d panics", p)
	}
}
