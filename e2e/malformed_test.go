package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestMalformedSouthboundRows: Southbound rows with values the agent
// cannot use — an ACL whose match does not parse (northd copies it into a
// Logical_Flow), a Logical_Flow with an unknown action written straight
// into the Southbound, Port_Binding options of the wrong type — are each
// logged once and skipped, and a 100 kB match does no harm; everything
// else keeps working through later recomputations.
func TestMalformedSouthboundRows(t *testing.T) {
	tp := NewTopology(t)
	hv1 := tp.AddNode("hv1")
	hv2 := tp.AddNode("hv2")
	ls := neutronNetwork(t, tp, "ba0d0000-0000-0000-0000-000000000001", "bad-net", "1442")
	neutronPort(t, tp, ls, "bad-vm1", "fa:16:3e:ba:00:01", "192.168.101.11", "hv1")
	neutronPort(t, tp, ls, "bad-vm2", "fa:16:3e:ba:00:02", "192.168.101.12", "hv2")
	nb := tp.Central.MustNbctl
	nb("acl-add", ls, "from-lport", "1001", "ip4.src == 10.0.0.1 && ((", "drop")
	nb("lsp-set-options", "bad-vm1", "requested-chassis=hv1", "qos_max_rate=lots", "qos_burst=-1",
		"vif-plug-mtu-request=tall", "mcast_flood=maybe")
	must(t, tp.Central.WaitSync())
	vm1 := hv1.AddVM("badvm1", "bad-vm1", "fa:16:3e:ba:00:01", "192.168.101.11/24", 1442, "")
	vm2 := hv2.AddVM("badvm2", "bad-vm2", "fa:16:3e:ba:00:02", "192.168.101.12/24", 1442, "")
	if err := vm1.PingEventually(vm2.IP, settle); err != nil {
		t.Fatalf("traffic beside the malformed rows: %v", err)
	}
	// Rows written straight into the Southbound, now that the datapath is
	// local on both chassis (northd drops them at its next recompute).
	dp := strings.TrimSpace(tp.Central.MustSbctl("--bare", "--columns=_uuid", "find", "Datapath_Binding",
		`external_ids:name="`+ls+`"`))
	huge := "ip4.dst == {" + strings.Repeat("10.1.2.3, ", 10000) + "10.1.2.4}"
	for _, f := range []struct{ match, actions string }{
		{"ip4", "frobnicate(42); next;"},
		{huge, "next;"},
	} {
		tp.Central.MustSbctl("create", "Logical_Flow", "logical_datapath="+dp, "pipeline=ingress", "table_id=0",
			"priority=1", fmt.Sprintf("match=%q", f.match), fmt.Sprintf("actions=%q", f.actions))
	}
	time.Sleep(2 * time.Second)
	if err := vm1.Ping(vm2.IP, 2); err != nil {
		t.Errorf("traffic beside the malformed rows: %v", err)
	}
	// Recompute a few times: the problems must not be logged again.
	for i := 0; i < 5; i++ {
		p := fmt.Sprintf("churn%d", i)
		nb("lsp-add", ls, p, "--", "lsp-set-addresses", p, "unknown")
		must(t, tp.Central.WaitSync())
		nb("lsp-del", p)
		must(t, tp.Central.WaitSync())
	}
	time.Sleep(time.Second)
	if err := vm1.Ping(vm2.IP, 2); err != nil {
		t.Errorf("traffic after the recomputations: %v", err)
	}
	if !hv1.AgentRunning() {
		t.Fatalf("agent died:\n%s", tail(hv1.AgentLog(), 20))
	}
	if tp.Agent.Kind != sandbox.AgentChassisd {
		return
	}
	log := hv1.AgentLog()
	// Once per row: northd may write the ACL's flow again as a new row,
	// but five recomputations must not log it five times.
	// (The 100 kB match is valid: it must just not hurt.)
	for _, needle := range []string{"frobnicate", "&& (("} {
		n := 0
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, needle) {
				n++
			}
		}
		if n < 1 || n > 2 {
			t.Errorf("the flow with %q is logged %d times, want once (per row)", needle, n)
		}
	}
	if len(log) > 512*1024 {
		t.Errorf("agent log is %d bytes: a huge row was logged whole", len(log))
	}
	if p := agentPanics(hv1); p > 0 {
		t.Errorf("%d panics", p)
	}
}
