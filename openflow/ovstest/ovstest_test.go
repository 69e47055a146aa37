package ovstest

import (
	"strings"
	"testing"
)

func TestStartAddBridgeRestart(t *testing.T) {
	sw := Start(t)
	sw.AddBridge("br-test")
	if got := sw.Vsctl("get", "bridge", "br-test", "datapath_type"); strings.TrimSpace(got) != "netdev" {
		t.Fatalf("datapath_type = %q, want netdev", got)
	}
	sw.Ofctl("add-flow", "br-test", "table=3,priority=10,ip,actions=drop")
	if out := sw.Ofctl("dump-flows", "br-test", "--no-stats"); !strings.Contains(out, "table=3, priority=10,ip") {
		t.Fatalf("flow not installed:\n%s", out)
	}
	sw.RestartVswitchd()
	if out := sw.Ofctl("dump-flows", "br-test", "--no-stats"); strings.Contains(out, "table=3") {
		t.Fatalf("flows survived a vswitchd restart:\n%s", out)
	}
	if !strings.HasPrefix(sw.Mgmt("br-test"), "unix:"+sw.Dir()) || !strings.HasPrefix(sw.DBSock(), "unix:") {
		t.Fatalf("unexpected socket paths %s %s", sw.Mgmt("br-test"), sw.DBSock())
	}
}

func TestDummy(t *testing.T) {
	sw := Start(t, WithDummy())
	sw.AddBridge("br0")
	if got := sw.AddPort("br0", "p1", "type=dummy", "ofport_request=5"); got != 5 {
		t.Fatalf("ofport = %d, want 5", got)
	}
	if got := sw.AddPort("br0", "p2", "type=internal"); got <= 0 || got == 5 {
		t.Fatalf("internal port ofport = %d", got)
	}
}
