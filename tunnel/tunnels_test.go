package tunnel

import (
	"reflect"
	"testing"
)

func geneve(ip string) Encap {
	return Encap{Type: Geneve, IP: ip, Options: map[string]string{"csum": "true"}}
}

func tunnelPort(name, typ, chassis, ip string, opts map[string]string) Port {
	return Port{
		Name:        name,
		ExternalIDs: map[string]string{ChassisIDKey: TunnelID(chassis, ip)},
		Interfaces:  []Interface{{Name: name, Type: typ, Options: opts}},
	}
}

func TestPlanTunnels(t *testing.T) {
	own := Config{ChassisName: "hv1", Encaps: []Encap{geneve("192.168.0.1")}}
	defaultOpts := func(ip string) map[string]string {
		return map[string]string{"remote_ip": ip, "key": "flow", "csum": "true"}
	}
	tests := []struct {
		name       string
		cfg        Config
		remotes    []Chassis
		brInt      Bridge
		wantNames  map[string]string // port name -> ovn-chassis-id
		wantOpts   map[string]map[string]string
		wantType   map[string]string
		wantAdd    []string
		wantRemove []string
		wantSkip   []string
	}{
		{
			name:      "one remote geneve chassis",
			cfg:       own,
			remotes:   []Chassis{{Name: "hv1", Encaps: []Encap{geneve("192.168.0.1")}}, {Name: "hv2", Encaps: []Encap{geneve("192.168.0.2")}}},
			wantNames: map[string]string{"ovn-hv2-0": "hv2@192.168.0.2"},
			wantOpts:  map[string]map[string]string{"ovn-hv2-0": defaultOpts("192.168.0.2")},
			wantType:  map[string]string{"ovn-hv2-0": "geneve"},
			wantAdd:   []string{"ovn-hv2-0"},
		},
		{
			name: "geneve preferred over vxlan when both sides have it",
			cfg:  Config{ChassisName: "hv1", Encaps: []Encap{geneve("10.0.0.1"), {Type: VXLAN, IP: "10.0.0.1"}}},
			remotes: []Chassis{{Name: "hv2", Encaps: []Encap{
				{Type: VXLAN, IP: "10.0.0.2", Options: map[string]string{"csum": "true"}}, geneve("10.0.0.2"),
			}}},
			wantNames: map[string]string{"ovn-hv2-0": "hv2@10.0.0.2"},
			wantType:  map[string]string{"ovn-hv2-0": "geneve"},
			wantAdd:   []string{"ovn-hv2-0"},
		},
		{
			name: "vxlan when it is the only common type",
			cfg:  Config{ChassisName: "hv1", Encaps: []Encap{{Type: VXLAN, IP: "10.0.0.1"}}},
			remotes: []Chassis{{Name: "hv2", Encaps: []Encap{
				geneve("10.0.0.2"), {Type: VXLAN, IP: "10.0.0.2", Options: map[string]string{"csum": "false"}},
			}}},
			wantNames: map[string]string{"ovn-hv2-0": "hv2@10.0.0.2"},
			wantType:  map[string]string{"ovn-hv2-0": "vxlan"},
			wantOpts:  map[string]map[string]string{"ovn-hv2-0": {"remote_ip": "10.0.0.2", "key": "flow", "csum": "false"}},
			wantAdd:   []string{"ovn-hv2-0"},
		},
		{
			name:     "no common type",
			cfg:      Config{ChassisName: "hv1", Encaps: []Encap{{Type: VXLAN, IP: "10.0.0.1"}}},
			remotes:  []Chassis{{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2")}}, {Name: "hv3", Encaps: []Encap{{Type: "gre", IP: "10.0.0.3"}}}},
			wantSkip: []string{"hv2", "hv3"},
		},
		{
			name: "truncated names collide and take the next counter",
			cfg:  own,
			remotes: []Chassis{
				{Name: "compute-2", Encaps: []Encap{geneve("10.0.0.2")}},
				{Name: "compute-1", Encaps: []Encap{geneve("10.0.0.1")}},
			},
			wantNames: map[string]string{"ovn-comput-0": "compute-1@10.0.0.1", "ovn-comput-1": "compute-2@10.0.0.2"},
			wantAdd:   []string{"ovn-comput-0", "ovn-comput-1"},
		},
		{
			name:      "chassis index cuts the name to five bytes",
			cfg:       Config{ChassisName: "hv1", ChassisIdx: "a", Encaps: []Encap{geneve("10.0.0.1")}},
			remotes:   []Chassis{{Name: "compute-1", Encaps: []Encap{geneve("10.0.0.2")}}},
			wantNames: map[string]string{"ovna-compu-0": "compute-1@10.0.0.2"},
			wantAdd:   []string{"ovna-compu-0"},
		},
		{
			name:      "a name taken by a foreign port is skipped",
			cfg:       own,
			remotes:   []Chassis{{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2")}}},
			brInt:     Bridge{Name: "br-int", Ports: []Port{{Name: "ovn-hv2-0"}}},
			wantNames: map[string]string{"ovn-hv2-1": "hv2@10.0.0.2"},
			wantAdd:   []string{"ovn-hv2-1"},
		},
		{
			name:    "an identical existing port is kept under its name",
			cfg:     own,
			remotes: []Chassis{{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2")}}},
			brInt: Bridge{Name: "br-int", Ports: []Port{
				tunnelPort("ovn-hv2-7", "geneve", "hv2", "10.0.0.2", defaultOpts("10.0.0.2")),
			}},
			wantNames: map[string]string{"ovn-hv2-7": "hv2@10.0.0.2"},
		},
		{
			name:    "a changed port is replaced under the same name",
			cfg:     own,
			remotes: []Chassis{{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2")}}},
			brInt: Bridge{Name: "br-int", Ports: []Port{
				tunnelPort("ovn-hv2-0", "vxlan", "hv2", "10.0.0.2", defaultOpts("10.0.0.2")),
			}},
			wantNames:  map[string]string{"ovn-hv2-0": "hv2@10.0.0.2"},
			wantType:   map[string]string{"ovn-hv2-0": "geneve"},
			wantAdd:    []string{"ovn-hv2-0"},
			wantRemove: []string{"ovn-hv2-0"},
		},
		{
			name:    "stale and duplicate tunnels go, foreign ports stay",
			cfg:     own,
			remotes: []Chassis{{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2")}}},
			brInt: Bridge{Name: "br-int", Ports: []Port{
				{Name: "br-int"},
				{Name: "vm1", ExternalIDs: map[string]string{"iface-id": "vm1"}},
				tunnelPort("ovn-hv2-0", "geneve", "hv2", "10.0.0.2", defaultOpts("10.0.0.2")),
				tunnelPort("ovn-hv2-1", "geneve", "hv2", "10.0.0.2", defaultOpts("10.0.0.2")),
				tunnelPort("ovn-hv3-0", "geneve", "hv3", "10.0.0.3", defaultOpts("10.0.0.3")),
			}},
			wantNames:  map[string]string{"ovn-hv2-0": "hv2@10.0.0.2"},
			wantRemove: []string{"ovn-hv2-1", "ovn-hv3-0"},
		},
		{
			name:     "disjoint transport zones",
			cfg:      Config{ChassisName: "hv1", Encaps: []Encap{geneve("10.0.0.1")}, TransportZones: []string{"tz1"}},
			remotes:  []Chassis{{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2")}, TransportZones: []string{"tz2"}}, {Name: "hv3", Encaps: []Encap{geneve("10.0.0.3")}}},
			wantSkip: []string{"hv2", "hv3"},
		},
		{
			name: "shared transport zone",
			cfg:  Config{ChassisName: "hv1", Encaps: []Encap{geneve("10.0.0.1")}, TransportZones: []string{"tz1", "tz2"}},
			remotes: []Chassis{
				{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2")}, TransportZones: []string{"tz2"}},
			},
			wantNames: map[string]string{"ovn-hv2-0": "hv2@10.0.0.2"},
			wantAdd:   []string{"ovn-hv2-0"},
		},
		{
			name:     "remote (IC) chassis needs interconn",
			cfg:      own,
			remotes:  []Chassis{{Name: "ic1", Encaps: []Encap{geneve("10.0.0.9")}, OtherConfig: map[string]string{"is-remote": "true"}}},
			wantSkip: []string{"ic1"},
		},
		{
			name:      "remote (IC) chassis with interconn",
			cfg:       Config{ChassisName: "hv1", Encaps: []Encap{geneve("10.0.0.1")}, IsInterconn: true},
			remotes:   []Chassis{{Name: "ic1", Encaps: []Encap{geneve("10.0.0.9")}, OtherConfig: map[string]string{"is-remote": "true"}}},
			wantNames: map[string]string{"ovn-ic1-0": "ic1@10.0.0.9"},
			wantAdd:   []string{"ovn-ic1-0"},
		},
		{
			name:      "one tunnel per remote IP of the chosen type",
			cfg:       own,
			remotes:   []Chassis{{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2"), geneve("10.0.1.2"), {Type: VXLAN, IP: "10.0.2.2"}}}},
			wantNames: map[string]string{"ovn-hv2-0": "hv2@10.0.0.2", "ovn-hv2-1": "hv2@10.0.1.2"},
			wantAdd:   []string{"ovn-hv2-0", "ovn-hv2-1"},
		},
		{
			name: "remote options and local settings",
			cfg: Config{ChassisName: "hv1", Encaps: []Encap{geneve("10.0.0.1")},
				EncapTOS: "inherit", EncapDFDefault: "false", SetLocalIP: true},
			remotes: []Chassis{{Name: "hv2", Encaps: []Encap{{Type: Geneve, IP: "10.0.0.2",
				Options: map[string]string{"csum": "yes", "dst_port": "6082"}}}}},
			wantNames: map[string]string{"ovn-hv2-0": "hv2@10.0.0.2"},
			wantOpts: map[string]map[string]string{"ovn-hv2-0": {
				"remote_ip": "10.0.0.2", "key": "flow", "dst_port": "6082", "tos": "inherit",
				"df_default": "false", "local_ip": "10.0.0.1",
			}},
			wantAdd: []string{"ovn-hv2-0"},
		},
		{
			name: "ipsec",
			cfg: Config{ChassisName: "hv1", Encaps: []Encap{geneve("10.0.0.1")}, EncapTOS: "none",
				IPsec: true, IPsecEncapsulation: true, IPsecForceEncaps: true},
			remotes:   []Chassis{{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2")}}},
			wantNames: map[string]string{"ovn-hv2-0": "hv2@10.0.0.2"},
			wantOpts: map[string]map[string]string{"ovn-hv2-0": {
				"remote_ip": "10.0.0.2", "key": "flow", "csum": "true", "remote_name": "hv2",
				"ipsec_encapsulation": "yes", "ipsec_forceencaps": "yes", "local_ip": "10.0.0.1",
			}},
			wantAdd: []string{"ovn-hv2-0"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := PlanTunnels(tc.cfg, tc.remotes, tc.brInt)
			gotNames := map[string]string{}
			for _, p := range plan.Want {
				gotNames[p.Name] = p.ID()
				if p.ExternalIDs()[ChassisIDKey] != p.ID() {
					t.Errorf("%s: external_ids %v do not carry the id", p.Name, p.ExternalIDs())
				}
				if want, ok := tc.wantOpts[p.Name]; ok && !reflect.DeepEqual(p.Options, want) {
					t.Errorf("%s options = %v, want %v", p.Name, p.Options, want)
				}
				if want, ok := tc.wantType[p.Name]; ok && p.Type != want {
					t.Errorf("%s type = %q, want %q", p.Name, p.Type, want)
				}
			}
			if len(tc.wantNames) == 0 {
				tc.wantNames = map[string]string{}
			}
			if !reflect.DeepEqual(gotNames, tc.wantNames) {
				t.Errorf("wanted ports = %v, want %v", gotNames, tc.wantNames)
			}
			var gotAdd []string
			for _, p := range plan.Add {
				gotAdd = append(gotAdd, p.Name)
			}
			if !reflect.DeepEqual(gotAdd, tc.wantAdd) {
				t.Errorf("add = %v, want %v", gotAdd, tc.wantAdd)
			}
			if !reflect.DeepEqual(plan.Remove, tc.wantRemove) {
				t.Errorf("remove = %v, want %v", plan.Remove, tc.wantRemove)
			}
			var gotSkip []string
			for _, s := range plan.Skipped {
				gotSkip = append(gotSkip, s.Chassis)
			}
			if !reflect.DeepEqual(gotSkip, tc.wantSkip) {
				t.Errorf("skipped = %v, want %v", plan.Skipped, tc.wantSkip)
			}
		})
	}
}

func TestLocalIPWithSeveralEncapIPsWarns(t *testing.T) {
	cfg := Config{ChassisName: "hv1", SetLocalIP: true, Encaps: []Encap{geneve("10.0.0.1"), geneve("10.0.1.1")}}
	plan := PlanTunnels(cfg, []Chassis{{Name: "hv2", Encaps: []Encap{geneve("10.0.0.2")}}}, Bridge{})
	if len(plan.Want) != 1 || plan.Want[0].Options["local_ip"] != "10.0.0.1" {
		t.Fatalf("want one tunnel with local_ip 10.0.0.1, got %+v", plan.Want)
	}
	if len(plan.Warnings) != 1 {
		t.Errorf("want one warning about the IP list, got %q", plan.Warnings)
	}
}

func TestParseTunnelID(t *testing.T) {
	for _, tc := range []struct {
		id, chassis, ip string
		ok              bool
	}{
		{"hv2@192.168.0.2", "hv2", "192.168.0.2", true},
		{"a@b@c", "a", "b@c", true},
		{"hv2", "", "", false},
		{"@1.2.3.4", "", "", false},
		{"hv2@", "", "", false},
	} {
		c, ip, ok := ParseTunnelID(tc.id)
		if c != tc.chassis || ip != tc.ip || ok != tc.ok {
			t.Errorf("ParseTunnelID(%q) = %q, %q, %v; want %q, %q, %v", tc.id, c, ip, ok, tc.chassis, tc.ip, tc.ok)
		}
	}
}

func TestStaleTunnelsElsewhere(t *testing.T) {
	bridges := []Bridge{
		{Name: "br-int", Ports: []Port{tunnelPort("ovn-hv2-0", "geneve", "hv2", "1.1.1.2", nil)}},
		{Name: "br-old", Ports: []Port{
			tunnelPort("ovn-hv3-0", "geneve", "hv3", "1.1.1.3", nil),
			tunnelPort("ovna-hv4-0", "geneve", "hv4", "1.1.1.4", nil),
			{Name: "ovn-other"},
		}},
	}
	got := StaleTunnelsElsewhere("br-int", "", bridges)
	want := []PortRef{{Bridge: "br-old", Port: "ovn-hv3-0"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
