package tunnel

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// TestTunnelKnobsMatchRealController changes the settings that shape
// tunnels one after the other and checks after each step that ovn-controller
// ends up with exactly the tunnels the planner computes from the bridge as it
// was before the step (names included), and that the planner then wants no
// further change.
func TestTunnelKnobsMatchRealController(t *testing.T) {
	sandbox.Require(t, []string{"ovn-controller"})
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	hv := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1"})
	hv.MustConfigure("hv1", "192.168.0.1", "geneve")
	hv.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{
		{"hv2", "geneve", "192.168.0.2"},
		{"hv3", "geneve", "192.168.0.3"},
		{"compute-10", "geneve", "192.168.0.10"},
	} {
		central.MustSbctl(append([]string{"chassis-add"}, c...)...)
	}

	cfg := Config{ChassisName: "hv1", Encaps: []Encap{geneve("192.168.0.1")}}
	steps := []struct {
		name   string
		apply  func() error
		config func(*Config)
		count  int
	}{
		{name: "initial", count: 3},
		{
			// Added on its own: ovn-controller visits chassis in hash order,
			// so only a later arrival has a deterministic counter.
			name: "truncated name collides",
			apply: func() error {
				_, err := central.Sbctl("chassis-add", "compute-11", "geneve", "192.168.0.11")
				return err
			},
			count: 4,
		},
		{
			name: "tos and df_default",
			apply: func() error {
				return hv.SetExternalIDs(map[string]string{"ovn-encap-tos": "inherit", "ovn-encap-df_default": "true"})
			},
			config: func(c *Config) { c.EncapTOS, c.EncapDFDefault = "inherit", "true" },
			count:  4,
		},
		{
			name:   "set local ip",
			apply:  func() error { return hv.SetExternalIDs(map[string]string{"ovn-set-local-ip": "true"}) },
			config: func(c *Config) { c.SetLocalIP = true },
			count:  4,
		},
		{
			name: "remote encap moves to a new IP",
			apply: func() error {
				uuid, err := central.Sbctl("--bare", "--columns=_uuid", "find", "Encap", "chassis_name=hv3")
				if err != nil {
					return err
				}
				_, err = central.Sbctl("set", "Encap", uuid, "ip=192.168.1.3")
				return err
			},
			count: 4,
		},
		{
			name: "remote becomes an IC remote chassis",
			apply: func() error {
				_, err := central.Sbctl("set", "Chassis", "hv2", "other_config:is-remote=true")
				return err
			},
			count: 3,
		},
		{
			name: "transport zones",
			apply: func() error {
				if _, err := central.Sbctl("set", "Chassis", "compute-10", "transport_zones=tz1"); err != nil {
					return err
				}
				return hv.SetExternalIDs(map[string]string{"ovn-transport-zones": "tz1,tz2"})
			},
			config: func(c *Config) { c.TransportZones = []string{"tz1", "tz2"} },
			count:  1,
		},
		{
			name:   "back to no zones",
			apply:  func() error { return hv.SetExternalIDs(map[string]string{"ovn-transport-zones": ""}) },
			config: func(c *Config) { c.TransportZones = nil },
			count:  2,
		},
	}
	var before map[string]ovsPort
	for _, step := range steps {
		if step.apply != nil {
			if err := step.apply(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		if step.config != nil {
			step.config(&cfg)
		}
		var got, want map[string]ovsPort
		var stable bool
		err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
			var err error
			got, _, err = readPorts(hv)
			if err != nil {
				return false, err
			}
			remotes, err := readSBChassis(central)
			if err != nil {
				return false, err
			}
			transition := PlanTunnels(cfg, remotes, Bridge{Name: "br-int", Ports: asPorts(before)})
			want = wantedPorts(transition)
			// Applying Remove then Add to what was there must give Want.
			applied := map[string]ovsPort{}
			for k, v := range before {
				applied[k] = v
			}
			for _, name := range transition.Remove {
				delete(applied, name)
			}
			for _, p := range transition.Add {
				applied[p.Name] = ovsPort{Type: p.Type, Options: p.Options, ExternalIDs: p.ExternalIDs()}
			}
			if !reflect.DeepEqual(applied, want) {
				return false, fmt.Errorf("plan is inconsistent: before+add-remove =\n%swant\n%s", describe(applied), describe(want))
			}
			fixpoint := PlanTunnels(cfg, remotes, Bridge{Name: "br-int", Ports: asPorts(got)})
			stable = len(fixpoint.Add) == 0 && len(fixpoint.Remove) == 0
			return reflect.DeepEqual(got, want) && stable && len(got) == step.count, nil
		})
		if err != nil {
			t.Fatalf("%s: %v (planner stable on the result: %v)\novn-controller:\n%splanner:\n%s",
				step.name, err, stable, describe(got), describe(want))
		}
		before = got
		var names []string
		for n := range got {
			names = append(names, n)
		}
		t.Logf("%s: %d tunnels agree (%s)", step.name, len(got), strings.Join(names, " "))
	}
}

func wantedPorts(plan TunnelPlan) map[string]ovsPort {
	out := map[string]ovsPort{}
	for _, p := range plan.Want {
		out[p.Name] = ovsPort{Type: p.Type, Options: p.Options, ExternalIDs: p.ExternalIDs()}
	}
	return out
}

func asPorts(m map[string]ovsPort) []Port {
	var ports []Port
	for name, p := range m {
		ports = append(ports, Port{Name: name, ExternalIDs: p.ExternalIDs,
			Interfaces: []Interface{{Name: name, Type: p.Type, Options: p.Options}}})
	}
	return ports
}
