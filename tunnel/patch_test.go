package tunnel

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseBridgeMappings(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []BridgeMapping
		wantErr bool
	}{
		{"", nil, false},
		{"physnet1:br-ex", []BridgeMapping{{"physnet1", "br-ex"}}, false},
		{"a:br-a,b:br-b", []BridgeMapping{{"a", "br-a"}, {"b", "br-b"}}, false},
		{"a:br-a,,b:br-b", []BridgeMapping{{"a", "br-a"}}, false},
		{"a:br-a,bad,b:br-b", []BridgeMapping{{"a", "br-a"}}, true},
		{":br-a", nil, true},
		{"a:", nil, true},
	} {
		got, err := ParseBridgeMappings(tc.in)
		if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseBridgeMappings(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func patchPort(name, peer, key, lport string) Port {
	return Port{
		Name:        name,
		ExternalIDs: map[string]string{key: lport},
		Interfaces:  []Interface{{Name: name, Type: "patch", Options: map[string]string{"peer": peer}}},
	}
}

func TestPlanPatchPorts(t *testing.T) {
	cfg := PatchConfig{ChassisName: "hv1", IntegrationBridge: "br-int", BridgeMappings: "physnet1:br-provider"}
	ln := PatchBinding{LogicalPort: "ln-public", Type: TypeLocalnet, NetworkName: "physnet1", OnLocalDatapath: true}
	wantPair := []PatchPort{
		{Bridge: "br-int", Name: "patch-br-int-to-ln-public", Peer: "patch-ln-public-to-br-int", IDKey: LocalnetPortKey, LogicalPort: "ln-public"},
		{Bridge: "br-provider", Name: "patch-ln-public-to-br-int", Peer: "patch-br-int-to-ln-public", IDKey: LocalnetPortKey, LogicalPort: "ln-public"},
	}
	tests := []struct {
		name        string
		cfg         PatchConfig
		bindings    []PatchBinding
		bridges     []Bridge
		wantWant    []PatchPort
		wantAdd     []PatchPort
		wantRemove  []PortRef
		wantMissing []MissingBridge
		wantWarn    string
	}{
		{
			name:     "localnet on a mapped network gets a pair",
			cfg:      cfg,
			bindings: []PatchBinding{ln},
			bridges:  []Bridge{{Name: "br-int"}, {Name: "br-provider"}},
			wantWant: wantPair,
			wantAdd:  wantPair,
		},
		{
			name:     "existing pair is kept, even under another name",
			cfg:      cfg,
			bindings: []PatchBinding{ln},
			bridges: []Bridge{
				{Name: "br-int", Ports: []Port{patchPort("custom", "patch-ln-public-to-br-int", LocalnetPortKey, "ln-public")}},
				{Name: "br-provider", Ports: []Port{patchPort("patch-ln-public-to-br-int", "patch-br-int-to-ln-public", LocalnetPortKey, "ln-public")}},
			},
			wantWant: wantPair,
		},
		{
			name:     "half a pair gets its other end",
			cfg:      cfg,
			bindings: []PatchBinding{ln},
			bridges: []Bridge{
				{Name: "br-int", Ports: []Port{patchPort("patch-br-int-to-ln-public", "patch-ln-public-to-br-int", LocalnetPortKey, "ln-public")}},
				{Name: "br-provider"},
			},
			wantWant: wantPair,
			wantAdd:  wantPair[1:],
		},
		{
			name:     "binding on a non-local datapath is ignored and its stale pair removed",
			cfg:      cfg,
			bindings: []PatchBinding{{LogicalPort: "ln-public", Type: TypeLocalnet, NetworkName: "physnet1"}},
			bridges: []Bridge{
				{Name: "br-int", Ports: []Port{
					patchPort("patch-br-int-to-ln-public", "patch-ln-public-to-br-int", LocalnetPortKey, "ln-public"),
					{Name: "vm1", ExternalIDs: map[string]string{"iface-id": "vm1"}},
				}},
				{Name: "br-provider", Ports: []Port{patchPort("patch-ln-public-to-br-int", "patch-br-int-to-ln-public", LocalnetPortKey, "ln-public")}},
			},
			wantRemove: []PortRef{{"br-provider", "patch-ln-public-to-br-int"}, {"br-int", "patch-br-int-to-ln-public"}},
		},
		{
			name:       "legacy l3gateway patch port is removed",
			cfg:        cfg,
			bridges:    []Bridge{{Name: "br-int", Ports: []Port{patchPort("patch-old", "gone", "ovn-l3gateway-port", "lr0")}}, {Name: "br-provider"}},
			wantRemove: []PortRef{{"br-int", "patch-old"}},
		},
		{
			name:        "unmapped network is reported",
			cfg:         cfg,
			bindings:    []PatchBinding{{LogicalPort: "ln-other", Type: TypeLocalnet, NetworkName: "physnet2", OnLocalDatapath: true}},
			bridges:     []Bridge{{Name: "br-int"}, {Name: "br-provider"}},
			wantMissing: []MissingBridge{{"ln-other", TypeLocalnet, "physnet2"}},
		},
		{
			name:        "mapping to a missing bridge warns",
			cfg:         cfg,
			bindings:    []PatchBinding{ln},
			bridges:     []Bridge{{Name: "br-int"}},
			wantMissing: []MissingBridge{{"ln-public", TypeLocalnet, "physnet1"}},
			wantWarn:    `bridge "br-provider" not found for network "physnet1"`,
		},
		{
			name: "l2gateway only on its own chassis",
			cfg:  cfg,
			bindings: []PatchBinding{
				{LogicalPort: "l2gw-a", Type: TypeL2Gateway, NetworkName: "physnet1", Chassis: "hv1", OnLocalDatapath: true},
				{LogicalPort: "l2gw-b", Type: TypeL2Gateway, NetworkName: "physnet1", Chassis: "hv2", OnLocalDatapath: true},
			},
			bridges: []Bridge{{Name: "br-int"}, {Name: "br-provider"}},
			wantWant: []PatchPort{
				{Bridge: "br-int", Name: "patch-br-int-to-l2gw-a", Peer: "patch-l2gw-a-to-br-int", IDKey: L2GatewayPortKey, LogicalPort: "l2gw-a"},
				{Bridge: "br-provider", Name: "patch-l2gw-a-to-br-int", Peer: "patch-br-int-to-l2gw-a", IDKey: L2GatewayPortKey, LogicalPort: "l2gw-a"},
			},
			wantAdd: []PatchPort{
				{Bridge: "br-int", Name: "patch-br-int-to-l2gw-a", Peer: "patch-l2gw-a-to-br-int", IDKey: L2GatewayPortKey, LogicalPort: "l2gw-a"},
				{Bridge: "br-provider", Name: "patch-l2gw-a-to-br-int", Peer: "patch-br-int-to-l2gw-a", IDKey: L2GatewayPortKey, LogicalPort: "l2gw-a"},
			},
		},
		{
			name:     "binding without network name warns",
			cfg:      cfg,
			bindings: []PatchBinding{{LogicalPort: "ln-x", Type: TypeLocalnet, OnLocalDatapath: true}},
			bridges:  []Bridge{{Name: "br-int"}, {Name: "br-provider"}},
			wantWarn: `localnet port "ln-x" has no network name`,
		},
		{
			name:     "malformed mappings warn and keep the valid prefix",
			cfg:      PatchConfig{ChassisName: "hv1", BridgeMappings: "physnet1:br-provider,junk"},
			bindings: []PatchBinding{ln},
			bridges:  []Bridge{{Name: "br-int"}, {Name: "br-provider"}},
			wantWant: wantPair,
			wantAdd:  wantPair,
			wantWarn: "invalid ovn-bridge-mappings",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := PlanPatchPorts(tc.cfg, tc.bindings, tc.bridges)
			if !reflect.DeepEqual(plan.Want, tc.wantWant) {
				t.Errorf("want = %+v\nexpected %+v", plan.Want, tc.wantWant)
			}
			if !reflect.DeepEqual(plan.Add, tc.wantAdd) {
				t.Errorf("add = %+v\nexpected %+v", plan.Add, tc.wantAdd)
			}
			if !reflect.DeepEqual(plan.Remove, tc.wantRemove) {
				t.Errorf("remove = %+v, expected %+v", plan.Remove, tc.wantRemove)
			}
			if !reflect.DeepEqual(plan.MissingBridges, tc.wantMissing) {
				t.Errorf("missing = %+v, expected %+v", plan.MissingBridges, tc.wantMissing)
			}
			warnings := strings.Join(plan.Warnings, "\n")
			if (tc.wantWarn == "" && warnings != "") || !strings.Contains(warnings, tc.wantWarn) {
				t.Errorf("warnings = %q, expected one containing %q", warnings, tc.wantWarn)
			}
		})
	}
}

func TestPatchPortExternalIDsAndOptions(t *testing.T) {
	p := PatchPort{Bridge: "br-int", Name: "patch-br-int-to-ln", Peer: "patch-ln-to-br-int", IDKey: LocalnetPortKey, LogicalPort: "ln"}
	if got := p.ExternalIDs(); !reflect.DeepEqual(got, map[string]string{"ovn-localnet-port": "ln"}) {
		t.Errorf("ExternalIDs = %v", got)
	}
	if got := p.Options(); !reflect.DeepEqual(got, map[string]string{"peer": "patch-ln-to-br-int"}) {
		t.Errorf("Options = %v", got)
	}
	if got := PatchPortName("br-int", "ln"); got != p.Name {
		t.Errorf("PatchPortName = %q", got)
	}
}
