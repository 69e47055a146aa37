package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestDuplicateSystemID: a second host is (mis)configured with the
// system-id of the first. Two agents that each write their own encap IP
// into the same Chassis/Encap rows would rewrite them forever; chassisd
// notices the rows being rewritten by someone else, says so loudly, and
// backs off instead.
func TestDuplicateSystemID(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")
	encapIP := func() string {
		out, _ := tp.Central.Sbctl("--bare", "--columns=ip", "find", "Encap", "chassis_name=hv1")
		return strings.Join(strings.Fields(out), ",")
	}
	// hv2's agent restarts with hv1's system-id, as after a host was
	// cloned or mis-provisioned.
	must(t, hv2.StopAgent())
	must(t, hv2.SetExternalIDs(map[string]string{"system-id": "hv1"}))
	tp.Central.MustSbctl("chassis-del", "hv2") // a fresh host has no row of its own
	must(t, hv2.StartAgent(tp.AgentFor(1)))
	changes, last := 0, encapIP()
	seen := map[string]bool{last: true}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ip := encapIP(); ip != last {
			changes++
			last = ip
			seen[ip] = true
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s: hv1's Encap IP changed %d times in 20 s (values %v)\nhv2: %s", tp.Agent.Kind, changes, seen, tail(hv2.AgentLog(), 6))
	if tp.Agent.Kind != sandbox.AgentChassisd {
		return // the reference is measured only
	}
	if changes > 5 {
		t.Errorf("hv1's Encap rewritten %d times in 20 s: a rewrite war", changes)
	}
	logs := hv1.AgentLog() + hv2.AgentLog()
	if !strings.Contains(logs, "rewritten by another writer") || !strings.Contains(logs, "same system-id") {
		t.Errorf("no agent reported the duplicate system-id:\nhv1: %s\nhv2: %s", tail(hv1.AgentLog(), 5), tail(hv2.AgentLog(), 5))
	}
}
