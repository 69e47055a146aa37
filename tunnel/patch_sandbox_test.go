package tunnel

import (
	"reflect"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestPatchPortsStepByStep changes localnet/l2gateway ports and bridge
// mappings one after the other and checks after each step that
// ovn-controller's patch ports are exactly the planned ones.
func TestPatchPortsStepByStep(t *testing.T) {
	sandbox.Require(t, []string{"ovn-controller"})
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	hv := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1"})
	for _, br := range []string{"br-provider", "br-other"} {
		if err := hv.AddBridge(br); err != nil {
			t.Fatal(err)
		}
	}
	hv.MustConfigure("hv1", "192.168.0.1", "geneve", "physnet1:br-provider")
	hv.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	// ovn-controller holds patch port removals back until it has handled
	// 20 engine updates and run for 10 s after start; a quiet test never
	// gets there.
	if _, err := hv.AgentAppctl("debug/ignore-startup-delay"); err != nil {
		t.Fatal(err)
	}
	central.MustNbctl("ls-add", "net1",
		"--", "lsp-add", "net1", "vm1", "--", "lsp-set-addresses", "vm1", "50:54:00:00:00:01 10.0.0.1",
		"--", "lsp-add", "net1", "ln1", "--", "lsp-set-type", "ln1", "localnet",
		"--", "lsp-set-addresses", "ln1", "unknown", "--", "lsp-set-options", "ln1", "network_name=physnet1")
	if err := hv.WaitBridge("br-int"); err != nil {
		t.Fatal(err)
	}
	if err := hv.AddVIF("vm1", "internal", "vm1"); err != nil {
		t.Fatal(err)
	}
	if err := central.WaitPortUp("vm1", "hv1"); err != nil {
		t.Fatal(err)
	}

	cfg := PatchConfig{ChassisName: "hv1", IntegrationBridge: "br-int", BridgeMappings: "physnet1:br-provider"}
	ln1 := PatchBinding{LogicalPort: "ln1", Type: TypeLocalnet, NetworkName: "physnet1", OnLocalDatapath: true}
	gw := PatchBinding{LogicalPort: "gw1", Type: TypeL2Gateway, NetworkName: "physnet2", Chassis: "hv1", OnLocalDatapath: true}
	bridges := []Bridge{{Name: "br-int"}, {Name: "br-provider"}, {Name: "br-other"}}
	nb := central.MustNbctl
	steps := []struct {
		name     string
		apply    func()
		mappings string
		bindings []PatchBinding
		count    int
	}{
		{name: "localnet on a mapped network", mappings: "physnet1:br-provider", bindings: []PatchBinding{ln1}, count: 2},
		{
			name: "l2gateway on an unmapped network gets nothing",
			apply: func() {
				nb("lsp-add", "net1", "gw1", "--", "lsp-set-type", "gw1", "l2gateway",
					"--", "lsp-set-addresses", "gw1", "unknown",
					"--", "lsp-set-options", "gw1", "network_name=physnet2", "l2gateway-chassis=hv1")
			},
			mappings: "physnet1:br-provider", bindings: []PatchBinding{ln1, gw}, count: 2,
		},
		{
			name: "mapping the l2gateway network",
			apply: func() {
				hv.MustVsctl("set", "Open_vSwitch", ".", `external_ids:ovn-bridge-mappings="physnet1:br-provider,physnet2:br-other"`)
			},
			mappings: "physnet1:br-provider,physnet2:br-other", bindings: []PatchBinding{ln1, gw}, count: 4,
		},
		{
			name:     "localnet port removed",
			apply:    func() { nb("lsp-del", "ln1") },
			mappings: "physnet1:br-provider,physnet2:br-other", bindings: []PatchBinding{gw}, count: 2,
		},
		{
			name: "mapping removed",
			apply: func() {
				hv.MustVsctl("set", "Open_vSwitch", ".", `external_ids:ovn-bridge-mappings="physnet1:br-provider"`)
			},
			mappings: "physnet1:br-provider", bindings: []PatchBinding{gw}, count: 0,
		},
	}
	before := map[string]ovsPort{}
	for _, step := range steps {
		if step.apply != nil {
			step.apply()
		}
		cfg.BridgeMappings = step.mappings
		plan := PlanPatchPorts(cfg, step.bindings, withPorts(bridges, before))
		want := map[string]ovsPort{}
		for _, p := range plan.Want {
			want[p.Bridge+"/"+p.Name] = ovsPort{Type: "patch", Options: p.Options(), ExternalIDs: p.ExternalIDs()}
		}
		if len(want) != step.count {
			t.Fatalf("%s: planner wants %d patch ports, expected %d: %+v", step.name, len(want), step.count, plan)
		}
		var got map[string]ovsPort
		err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
			var err error
			_, got, err = readPorts(hv)
			return reflect.DeepEqual(got, want), err
		})
		if err != nil {
			t.Fatalf("%s: %v\novn-controller:\n%splanner:\n%s", step.name, err, describe(got), describe(want))
		}
		// Applying the plan to what was there gives what ovn-controller made.
		applied := map[string]ovsPort{}
		for k, v := range before {
			applied[k] = v
		}
		for _, r := range plan.Remove {
			delete(applied, r.Bridge+"/"+r.Port)
		}
		for _, p := range plan.Add {
			applied[p.Bridge+"/"+p.Name] = ovsPort{Type: "patch", Options: p.Options(), ExternalIDs: p.ExternalIDs()}
		}
		if !reflect.DeepEqual(applied, got) {
			t.Errorf("%s: before + add - remove =\n%swant\n%s", step.name, describe(applied), describe(got))
		}
		t.Logf("%s: %d patch ports agree (plan: %d added, %d removed)", step.name, len(got), len(plan.Add), len(plan.Remove))
		before = got
	}
}

// withPorts returns bridges with the given "bridge/port" patch ports.
func withPorts(bridges []Bridge, ports map[string]ovsPort) []Bridge {
	out := make([]Bridge, len(bridges))
	for i, br := range bridges {
		out[i] = Bridge{Name: br.Name}
		for key, p := range ports {
			if b, name, _ := strings.Cut(key, "/"); b == br.Name {
				out[i].Ports = append(out[i].Ports, Port{Name: name, ExternalIDs: p.ExternalIDs,
					Interfaces: []Interface{{Name: name, Type: p.Type, Options: p.Options}}})
			}
		}
	}
	return out
}
