package tunnel

import (
	"reflect"
	"sort"
	"testing"
)

func group(name string, refs []string, members ...HAChassis) HAChassisGroup {
	g := HAChassisGroup{Name: name, Members: members}
	for _, r := range refs {
		g.RefChassis = append(g.RefChassis, RefChassis{Name: r})
	}
	return g
}

func TestBFDTargets(t *testing.T) {
	gw := group("gw", []string{"c1", "c2"}, HAChassis{"gw1", 20}, HAChassis{"gw2", 10})
	withIC := gw
	withIC.RefChassis = append(append([]RefChassis(nil), gw.RefChassis...), RefChassis{Name: "ic1", IsRemote: true})
	for _, tc := range []struct {
		name   string
		own    string
		groups []HAChassisGroup
		want   []string
	}{
		{"member: other members and refs", "gw1", []HAChassisGroup{gw}, []string{"c1", "c2", "gw1", "gw2"}},
		{"ref chassis: the members", "c1", []HAChassisGroup{gw}, []string{"gw1", "gw2"}},
		{"unrelated chassis: none", "c9", []HAChassisGroup{gw}, nil},
		{"single-member group: none", "gw1", []HAChassisGroup{group("one", []string{"c1"}, HAChassis{"gw1", 1})}, nil},
		{"IC ref chassis skipped", "gw1", []HAChassisGroup{withIC}, []string{"c1", "c2", "gw1", "gw2"}},
		{"unresolved member counts for size only", "gw1", []HAChassisGroup{group("g", []string{"c1"}, HAChassis{"gw1", 2}, HAChassis{"", 1})}, []string{"c1", "gw1"}},
	} {
		got := BFDTargets(tc.own, tc.groups)
		var names []string
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		if !reflect.DeepEqual(names, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, names, tc.want)
		}
	}
}

func TestPlanBFD(t *testing.T) {
	on := map[string]string{"enable": "true", "check_tnl_key": "true", "min_tx": "500"}
	br := Bridge{Name: "br-int", Ports: []Port{
		tunnelPortBFD("ovn-gw2-0", "gw2", nil),
		tunnelPortBFD("ovn-c1-0", "c1", on),
		tunnelPortBFD("ovn-c9-0", "c9", map[string]string{"enable": "true"}),
		tunnelPortBFD("ovn-c2-0", "c2", map[string]string{"enable": "true"}),
		{Name: "vm1", Interfaces: []Interface{{Name: "vm1", BFD: map[string]string{"enable": "true"}}}},
	}}
	groups := []HAChassisGroup{group("gw", []string{"c1", "c2"}, HAChassis{"gw1", 20}, HAChassis{"gw2", 10})}
	got := PlanBFD("gw1", groups, map[string]string{"bfd-min-tx": "500", "other": "x"}, br)
	want := []BFDChange{
		{Interface: "ovn-c2-0", BFD: on},
		{Interface: "ovn-c9-0"},
		{Interface: "ovn-gw2-0", BFD: on},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if s := BFDSettings(map[string]string{"bfd-min-rx": "1", "bfd-decay-min-rx": "2", "bfd-min-tx": "3", "bfd-mult": "4"}); !reflect.DeepEqual(s,
		map[string]string{"enable": "true", "check_tnl_key": "true", "min_rx": "1", "decay_min_rx": "2", "min_tx": "3", "mult": "4"}) {
		t.Errorf("BFDSettings = %v", s)
	}
}

func TestActiveTunnels(t *testing.T) {
	up := func(name, chassis, state string, enabled bool) Port {
		p := tunnelPort(name, "geneve", chassis, "10.0.0.1", map[string]string{"remote_ip": "10.0.0.1"})
		if enabled {
			p.Interfaces[0].BFD = map[string]string{"enable": "true"}
		}
		p.Interfaces[0].BFDStatus = map[string]string{"state": state}
		return p
	}
	br := Bridge{Name: "br-int", Ports: []Port{
		up("ovn-a-0", "a", "up", true),
		up("ovn-b-0", "b", "down", true),
		up("ovn-c-0", "c", "up", false),
	}}
	if got := ActiveTunnels(br); !reflect.DeepEqual(got, map[string]bool{"a": true}) {
		t.Errorf("got %v", got)
	}
}

func TestHAGroupIsActive(t *testing.T) {
	gw := group("gw", []string{"c1"}, HAChassis{"gw1", 20}, HAChassis{"gw2", 10}, HAChassis{"gw3", 10})
	set := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		group  HAChassisGroup
		active map[string]bool
		own    string
		want   bool
	}{
		{"empty group", HAChassisGroup{}, nil, "gw1", false},
		{"single member is us", group("g", nil, HAChassis{"gw1", 1}), nil, "gw1", true},
		{"single member is another", group("g", nil, HAChassis{"gw2", 1}), nil, "gw1", false},
		{"only resolvable member", group("g", nil, HAChassis{"gw1", 1}, HAChassis{"", 5}), nil, "gw1", true},
		{"isolated chassis", gw, set(), "gw1", false},
		{"highest priority with sessions", gw, set("gw2", "gw3", "c1"), "gw1", true},
		{"lower priority while the top is alive", gw, set("gw1", "gw3", "c1"), "gw2", false},
		{"top is dead: next by priority, then name", gw, set("gw2", "c1"), "gw3", true},
		{"top is dead: the other of equal priority loses", gw, set("gw3", "c1"), "gw2", false},
		{"alone but refs reachable", gw, set("c1"), "gw2", true},
		{"alone and no ref reachable", gw, set("x"), "gw2", false},
	} {
		if got := HAGroupIsActive(tc.group, tc.active, tc.own); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	ordered := OrderedHAChassis(gw, nil, "")
	if len(ordered) != 3 || ordered[0].Chassis != "gw1" || ordered[1].Chassis != "gw3" || ordered[2].Chassis != "gw2" {
		t.Errorf("ordered = %+v", ordered)
	}
}

func tunnelPortBFD(name, chassis string, bfd map[string]string) Port {
	p := tunnelPort(name, "geneve", chassis, "10.0.0.9", nil)
	p.Interfaces[0].BFD = bfd
	return p
}
