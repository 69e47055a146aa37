package binding

import (
	"slices"
	"testing"
)

var self = Self{Name: "hv1", Hostname: "host1", UUID: "uuid-hv1"}

func names(ps []*Port) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.LogicalPort)
	}
	slices.Sort(out)
	return out
}

func TestCompute(t *testing.T) {
	ifaces := []*Interface{
		{Name: "tap1", IfaceID: "vm1", OFPort: 1},
		{Name: "tap2", IfaceID: "vm2", OFPort: 2},
		{Name: "tap3", IfaceID: "vm3", OFPort: -1}, // no ofport yet
		{Name: "tap4", IfaceID: "req-other", OFPort: 4},
		{Name: "tap5", IfaceID: "req-host", OFPort: 5},
		{Name: "tap6", IfaceID: "meta", OFPort: 6},
		{Name: "tap0", IfaceID: "vm2", OFPort: 7}, // duplicate: tap0 sorts first and wins
		{Name: "tap8", IfaceID: "req-col", OFPort: 8},
	}
	ports := []*Port{
		{LogicalPort: "vm1"},
		{LogicalPort: "vm2", Chassis: "uuid-hv1"},
		{LogicalPort: "vm3"},
		{LogicalPort: "gone", Chassis: "uuid-hv1"},
		{LogicalPort: "other", Chassis: "uuid-hv2"},
		{LogicalPort: "req-other", Options: map[string]string{"requested-chassis": "hv2"}},
		{LogicalPort: "req-host", Options: map[string]string{"requested-chassis": "host1,hv2"}},
		{LogicalPort: "req-col", RequestedChassis: "uuid-hv2"},
		{LogicalPort: "meta", Type: "localport", Chassis: "uuid-hv1"},
		{LogicalPort: "l3", Type: "l3gateway", Options: map[string]string{"l3gateway-chassis": "hv1"}},
		{LogicalPort: "l2", Type: "l2gateway", Options: map[string]string{"l2gateway-chassis": "hv9"}},
		{LogicalPort: "cr-lrp", Type: "chassisredirect", HAChassis: []string{"hv1", "hv2"}},
		{LogicalPort: "cr-lrp2", Type: "chassisredirect", HAChassis: []string{"hv2", "hv1"}, Chassis: "uuid-hv1"},
		{LogicalPort: "child", ParentPort: "vm1", Tag: 10, HasTag: true},
		{LogicalPort: "ln", Type: "localnet"},
		{LogicalPort: "patch", Type: "patch"},
	}
	plan := Compute(self, ifaces, ports)
	if got, want := names(plan.Claim), []string{"child", "cr-lrp", "l3", "req-host", "vm1"}; !slices.Equal(got, want) {
		t.Errorf("claim = %v, want %v", got, want)
	}
	if got, want := names(plan.Release), []string{"cr-lrp2", "gone", "meta"}; !slices.Equal(got, want) {
		t.Errorf("release = %v, want %v", got, want)
	}
	if got, want := names(plan.Bound), []string{"child", "cr-lrp", "l3", "req-host", "vm1", "vm2"}; !slices.Equal(got, want) {
		t.Errorf("bound = %v, want %v", got, want)
	}
	if ifc := plan.Local["vm2"]; ifc == nil || ifc.Name != "tap0" {
		t.Errorf("vm2 interface = %+v, want tap0 (first by name)", ifc)
	}
	if len(plan.Duplicates) != 1 || plan.Duplicates[0].Name != "tap2" {
		t.Errorf("duplicates = %+v", plan.Duplicates)
	}
}
