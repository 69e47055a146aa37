package runtime

import (
	"maps"
	"slices"
	"testing"
)

func TestLocalDatapaths(t *testing.T) {
	ports := []Port{
		{Name: "vm1", Datapath: "ls1", BoundHere: true},
		{Name: "vm9", Datapath: "ls9"}, // bound elsewhere
		{Name: "ls1-lr0", Type: "patch", Datapath: "ls1", Options: map[string]string{"peer": "lr0-ls1"}},
		{Name: "lr0-ls1", Type: "patch", Datapath: "lr0", Options: map[string]string{"peer": "ls1-lr0"}},
		// lr0's gateway port always redirects: public is local only on HA members.
		{Name: "lr0-public", Type: "patch", Datapath: "lr0", Options: map[string]string{"peer": "public-lr0"}},
		{Name: "public-lr0", Type: "patch", Datapath: "public", Options: map[string]string{"peer": "lr0-public", "chassis-redirect-port": "cr-lr0-public"}},
		{Name: "cr-lr0-public", Type: "chassisredirect", Datapath: "lr0", Options: map[string]string{"always-redirect": "true"}},
		// lr1 reached from ls1 as well, its gateway does not always redirect.
		{Name: "ls1-lr1", Type: "patch", Datapath: "ls1", Options: map[string]string{"peer": "lr1-ls1"}},
		{Name: "lr1-ls1", Type: "patch", Datapath: "lr1", Options: map[string]string{"peer": "ls1-lr1"}},
		{Name: "lr1-ext", Type: "patch", Datapath: "lr1", Options: map[string]string{"peer": "ext-lr1"}},
		{Name: "ext-lr1", Type: "patch", Datapath: "ext", Options: map[string]string{"peer": "lr1-ext", "chassis-redirect-port": "cr-lr1-ext"}},
		{Name: "cr-lr1-ext", Type: "chassisredirect", Datapath: "lr1"},
		{Name: "ln-public", Type: "localnet", Datapath: "public"},
		{Name: "meta", Type: "localport", Datapath: "ls1", HasLocalInterface: true},
	}
	got := slices.Sorted(maps.Keys(LocalDatapaths(ports)))
	if want := []string{"ext", "lr0", "lr1", "ls1"}; !slices.Equal(got, want) {
		t.Errorf("local datapaths = %v, want %v", got, want)
	}
	// On an HA member of cr-lr0-public the provider network is local too.
	ports[6].InHAGroup = true
	got = slices.Sorted(maps.Keys(LocalDatapaths(ports)))
	if want := []string{"ext", "lr0", "lr1", "ls1", "public"}; !slices.Equal(got, want) {
		t.Errorf("local datapaths on the gateway = %v, want %v", got, want)
	}
	users := ZoneUsers(ports, LocalDatapaths(ports))
	for _, u := range []string{"vm1", "meta", "ln-public", "cr-lr0-public", "ls1_dnat", "ls1_snat", "public_snat"} {
		if !slices.Contains(users, u) {
			t.Errorf("zone users %v lack %s", users, u)
		}
	}
	if slices.Contains(users, "vm9") {
		t.Error("a port bound elsewhere got a zone")
	}
}

func TestAssignZones(t *testing.T) {
	users := []string{"a", "b", "c", "d", "r_snat"}
	existing := map[string]int{"b": 1, "c": 7, "gone": 2, "d": 9}
	pinned := map[string]int{"r_snat": 9} // evicts d
	got := AssignZones(users, existing, pinned)
	want := map[string]int{"b": 1, "c": 7, "r_snat": 9, "a": 2, "d": 3}
	if !maps.Equal(got, want) {
		t.Errorf("AssignZones = %v, want %v", got, want)
	}
	set, remove := ZoneChanges(existing, got)
	if !maps.Equal(set, map[string]string{"ct-zone-a": "2", "ct-zone-d": "3", "ct-zone-r_snat": "9"}) {
		t.Errorf("set = %v", set)
	}
	if !slices.Equal(remove, []string{"ct-zone-gone"}) {
		t.Errorf("remove = %v", remove)
	}
	if z := ParseZones(map[string]string{"ct-zone-x": "4", "ct-zone-bad": "y", "other": "1"}); !maps.Equal(z, map[string]int{"x": 4}) {
		t.Errorf("ParseZones = %v", z)
	}
}
