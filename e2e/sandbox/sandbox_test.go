package sandbox

import (
	"strings"
	"testing"
)

// TestChassisRegistersWithRealController starts a central and one chassis
// running the real ovn-controller and checks that the chassis registers.
func TestChassisRegistersWithRealController(t *testing.T) {
	Require(t, []string{"ovn-controller"})
	central := NewCentral(t, CentralOptions{})
	hv := central.NewChassis(t, ChassisOptions{Name: "hv1"})
	hv.MustConfigure("hv1", "127.0.0.1", "geneve")
	hv.MustStartAgent(AgentSpec{Kind: AgentOVNController})

	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	names := central.MustSbctl("--columns=name", "list", "Chassis")
	if !strings.Contains(names, `"hv1"`) && !strings.Contains(names, "hv1") {
		t.Fatalf("Chassis list does not show hv1:\n%s", names)
	}
	// The agent created br-int with the userspace datapath and OpenFlow works.
	if err := Eventually(DefaultTimeout, func() (bool, error) {
		dp, err := hv.Vsctl("--if-exists", "get", "Bridge", "br-int", "datapath_type")
		return dp == "netdev", err
	}); err != nil {
		t.Fatalf("br-int with datapath_type=netdev: %v", err)
	}
	if err := hv.WaitBridge("br-int"); err != nil {
		t.Fatal(err)
	}
	if err := Eventually(DefaultTimeout, func() (bool, error) {
		flows, err := hv.DumpFlows("br-int", "table=0")
		return len(flows) > 0, err
	}); err != nil {
		t.Fatalf("no table-0 flows from ovn-controller on br-int: %v", err)
	}
}

func TestOfctlArgv(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dump-flows", "--no-stats"}, "ovs-ofctl -O OpenFlow15 dump-flows unix:/x.mgmt --no-stats"},
		{[]string{"--names", "dump-flows", "table=0"}, "ovs-ofctl -O OpenFlow15 --names dump-flows unix:/x.mgmt table=0"},
		{[]string{"add-flow", "priority=1,actions=drop"}, "ovs-ofctl -O OpenFlow15 add-flow unix:/x.mgmt priority=1,actions=drop"},
	} {
		got, err := ofctlArgv("unix:/x.mgmt", tc.args)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("ofctlArgv(%q) = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
	if _, err := ofctlArgv("unix:/x.mgmt", []string{"--no-stats"}); err == nil {
		t.Error("no command accepted")
	}
}

// TestAgentKindFromEnv checks the environment selection of the agent.
func TestAgentKindFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    AgentKind
		wantErr bool
	}{
		{"", AgentOVNController, false},
		{"ovn-controller", AgentOVNController, false},
		{"chassisd", AgentChassisd, false},
		{"ovs", "", true},
	} {
		t.Setenv(AgentEnv, tc.env)
		got, err := AgentKindFromEnv()
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%s=%q: got %q, %v; want %q (error %v)", AgentEnv, tc.env, got, err, tc.want, tc.wantErr)
		}
	}
	t.Setenv(AgentEnv, "chassisd")
	t.Setenv(ChassisdBinEnv, "")
	if _, err := (AgentSpec{}).Resolve(); err == nil {
		t.Error("chassisd without a binary resolved without error")
	}
}

// TestRestartAndExit checks the helpers that agent tests use for failure
// scenarios: SB and local OVSDB restarts keep their data, and a clean agent
// exit removes the Chassis row.
func TestRestartAndExit(t *testing.T) {
	Require(t, []string{"ovn-controller"})
	central := NewCentral(t, CentralOptions{})
	hv := central.NewChassis(t, ChassisOptions{Name: "hv1"})
	hv.MustConfigure("hv1", "127.0.0.1", "geneve")
	hv.MustStartAgent(AgentSpec{Kind: AgentOVNController})
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}

	if err := central.RestartSB(); err != nil {
		t.Fatal(err)
	}
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatalf("after SB restart: %v", err)
	}
	if err := hv.RestartOVSDB(); err != nil {
		t.Fatal(err)
	}
	if id, err := hv.Vsctl("get", "Open_vSwitch", ".", "external_ids:system-id"); err != nil || id != "hv1" {
		t.Fatalf("after OVSDB restart system-id = %q, %v", id, err)
	}

	if out, err := hv.AgentAppctl("version"); err != nil || !strings.Contains(out, "ovn-controller") {
		t.Fatalf("appctl version = %q, %v", out, err)
	}
	if err := hv.ExitAgent(false); err != nil {
		t.Fatal(err)
	}
	if hv.AgentRunning() {
		t.Fatal("agent still running after exit")
	}
	if err := Eventually(DefaultTimeout, func() (bool, error) {
		names, err := central.ChassisNames()
		return len(names) == 0, err
	}); err != nil {
		t.Fatalf("Chassis row still present after a clean exit: %v", err)
	}
}
