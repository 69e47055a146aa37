package physical

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

func TestOrigins(t *testing.T) {
	in := referenceInput()
	res := ComputeResult(in)
	if len(res.Flows) != len(res.Origins) {
		t.Fatalf("%d flows, %d origins", len(res.Flows), len(res.Origins))
	}
	vm1 := in.Ports[0].UUID
	var n int
	for i, f := range res.Flows {
		text := f.String()
		switch {
		case f.Cookie == 0x29eafae7:
			if !contains(res.Origins[i], vm1) {
				t.Errorf("flow %s: origins %v lack vm1", text, res.Origins[i])
			}
			n++
		case f.Cookie == 0 && f.Priority == 0:
			if len(res.Origins[i]) != 0 {
				t.Errorf("default flow %s has origins %v", text, res.Origins[i])
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d flows carry vm1's cookie", n)
	}
	// The container-to-parent hairpin flow has cookie 0 but comes from c1.
	for i, f := range res.Flows {
		if f.Table == pipeline.TableSaveInport && f.Cookie == 0 && f.Priority == 100 {
			if len(res.Origins[i]) != 1 || !strings.HasPrefix(res.Origins[i][0], "1ab9b3a4") {
				t.Errorf("parent hairpin flow origins = %v, want c1", res.Origins[i])
			}
		}
	}
}

// TestDerived covers behaviour read from controller/physical.c that the
// live captures do not show.
func TestDerived(t *testing.T) {
	cases := []struct {
		name   string
		modify func(in *Input)
		want   []string // normalized lines that must be present
		absent []string // substrings that must not occur
	}{
		{
			name: "STT tunnel: ports in the 64-bit tunnel key",
			modify: func(in *Input) {
				in.Tunnels[0].Type = "stt"
			},
			want: []string{
				"table=0, priority=100,in_port=1 actions=move:NXM_NX_TUN_ID[40..54]->NXM_NX_REG14[0..14],move:NXM_NX_TUN_ID[24..39]->NXM_NX_REG15[0..15],move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23],resubmit(,40)",
				"cookie=0x7f3a9e32, table=39, priority=100,reg15=0x2,metadata=0x1 actions=set_field:0x2000001->tun_id,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_ID[40..54],output:1,resubmit(,40)",
			},
		},
		{
			name: "requested-chassis elsewhere: the VIF is ignored",
			modify: func(in *Input) {
				in.Ports[0].Options = map[string]string{"requested-chassis": "hv2"}
				in.Ports[0].Chassis = ""
			},
			absent: []string{"in_port=5 actions"},
		},
		{
			name: "requested-chassis by hostname",
			modify: func(in *Input) {
				in.Hostname = "host1.example"
				in.Ports[0].Options = map[string]string{"requested-chassis": "hv9,host1.example"}
			},
			want: []string{"cookie=0x29eafae7, table=65, priority=100,reg15=0x1,metadata=0x1 actions=output:5"},
		},
		{
			name: "802.11ad localnet tags containers with 0x88a8",
			modify: func(in *Input) {
				for i := range in.Ports {
					if in.Ports[i].LogicalPort == "ln-net2" {
						in.Ports[i].Options["ethtype"] = "802.11ad"
					}
				}
				in.Ports = append(in.Ports, PortBinding{UUID: "b0000000-0000-0000-0000-000000000000",
					LogicalPort: "c4", TunnelKey: 9, DatapathKey: 5, Chassis: "hv1", ParentPort: "vm4", Tag: 7})
			},
			want: []string{"cookie=0xb0000000, table=65, priority=100,reg15=0x9,metadata=0x5 actions=push_vlan:0x88a8,set_field:4103->vlan_vid,output:9,pop_vlan"},
		},
		{
			name: "drop sampling",
			modify: func(in *Input) {
				in.DropCollectorSet, in.DropDomainID = 5, 2
			},
			want: []string{"table=65, priority=0 actions=sample(probability=65535,collector_set_id=5,obs_domain_id=33554432,obs_point_id=65)"},
		},
		{
			name: "container without tag is skipped",
			modify: func(in *Input) {
				for i := range in.Ports {
					if in.Ports[i].LogicalPort == "c1" {
						in.Ports[i].Tag = 0
					}
				}
			},
			absent: []string{"dl_vlan=10 ", "cookie=0x1ab9b3a4"},
		},
		{
			name: "HA chassisredirect active here when the only live member",
			modify: func(in *Input) {
				for i := range in.Ports {
					if in.Ports[i].LogicalPort == "cr-lr1-net2" {
						in.Ports[i].HAChassis = []HAChassis{{Chassis: "hv1", Priority: 10}, {Chassis: "", Priority: 20}}
					}
				}
			},
			want: []string{"cookie=0xe33b9464, table=40, priority=100,reg15=0x3,metadata=0x6 actions=set_field:0x1->reg15,set_field:0x11->reg11,set_field:0x13->reg12,resubmit(,41)"},
		},
		{
			name: "HA chassisredirect: active member by BFD-up tunnels",
			modify: func(in *Input) {
				for i := range in.Ports {
					if in.Ports[i].LogicalPort == "cr-lr1-net2" {
						in.Ports[i].HAChassis = []HAChassis{{Chassis: "hv1", Priority: 30}, {Chassis: "hv2", Priority: 20}}
					}
				}
				in.ActiveTunnels = []string{"hv2"}
			},
			want: []string{"cookie=0xe33b9464, table=40, priority=100,reg15=0x3,metadata=0x6 actions=set_field:0x1->reg15,set_field:0x11->reg11,set_field:0x13->reg12,resubmit(,41)"},
		},
		{
			name: "HA chassisredirect: alone among live members needs a ref chassis",
			modify: func(in *Input) {
				for i := range in.Ports {
					if in.Ports[i].LogicalPort == "cr-lr1-net2" {
						in.Ports[i].HAChassis = []HAChassis{{Chassis: "hv1", Priority: 10}, {Chassis: "hv2", Priority: 20}}
						in.Ports[i].HARefChassis = []string{"hv4"}
					}
				}
				in.ActiveTunnels = []string{"hv4"}
			},
			want: []string{"cookie=0xe33b9464, table=40, priority=100,reg15=0x3,metadata=0x6 actions=set_field:0x1->reg15,set_field:0x11->reg11,set_field:0x13->reg12,resubmit(,41)"},
		},
		{
			name: "HA bundle: equal priorities ordered by name, descending",
			modify: func(in *Input) {
				for i := range in.Ports {
					if in.Ports[i].LogicalPort == "cr-lr1-net2" {
						in.Ports[i].HAChassis = []HAChassis{{Chassis: "hv2", Priority: 10}, {Chassis: "hv4", Priority: 10}, {Chassis: "", Priority: 50}}
					}
				}
			},
			want: []string{`cookie=0xe33b9464, table=39, priority=100,reg15=0x3,metadata=0x6 actions=set_field:0x6/0xffffff->tun_id,set_field:0x3->tun_metadata0,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30],bundle(eth_src,0,active_backup,ofport,members:7,1)`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := referenceInput()
			tc.modify(in)
			got := flowTexts(Compute(in))
			all := strings.Join(got, "\n")
			for _, w := range tc.want {
				if !contains(got, w) {
					t.Errorf("missing:\n  %s\nflows with the same key:\n%s", w, sameKey(got, w))
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(all, a) {
					t.Errorf("unexpected %q in:\n%s", a, grepLines(got, a))
				}
			}
		})
	}
}

func sameKey(lines []string, want string) string {
	var b strings.Builder
	k := flowKeyText(want)
	for _, l := range lines {
		if flowKeyText(l) == k {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	return b.String()
}

func grepLines(lines []string, s string) string {
	var b strings.Builder
	for _, l := range lines {
		if strings.Contains(l, s) {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	return b.String()
}

func TestChassisSetOrder(t *testing.T) {
	// From the live capture: hv3 is output before hv2.
	var s chassisSet
	s.add("hv2")
	s.add("hv3")
	s.add("hv2")
	if got := strings.Join(s.ovsOrder(), ","); got != "hv3,hv2" {
		t.Errorf("order = %s, want hv3,hv2", got)
	}
	// Every name comes out exactly once whatever the size.
	s = nil
	for i := 0; i < 100; i++ {
		s.add(fmt.Sprintf("chassis-%d", i))
	}
	seen := map[string]bool{}
	for _, n := range s.ovsOrder() {
		if seen[n] {
			t.Fatalf("%s twice", n)
		}
		seen[n] = true
	}
	if len(seen) != 100 {
		t.Errorf("%d names, want 100", len(seen))
	}
}

func BenchmarkCompute(b *testing.B) {
	in := largeInput(200, 20, 50)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(Compute(in))
	}
	b.ReportMetric(float64(n), "flows")
}

// largeInput is nSwitches switches of portsPerSwitch VIFs (a third local,
// the rest spread over nChassis remote chassis) behind one router.
func largeInput(portsPerSwitch, nSwitches, nChassis int) *Input {
	in := &Input{Chassis: "hv1", VIFs: map[string]uint16{}, CTZones: map[string]uint16{}}
	for c := 0; c < nChassis; c++ {
		in.Tunnels = append(in.Tunnels, Tunnel{Chassis: fmt.Sprintf("hv%d", c+2), IP: fmt.Sprintf("10.1.%d.%d", c/250, c%250), Type: "geneve", OFPort: uint16(c + 1)})
	}
	router := uint32(nSwitches + 1)
	in.Datapaths = append(in.Datapaths, Datapath{UUID: "dp-router", TunnelKey: router})
	ofport := uint16(nChassis + 1)
	zone := uint16(1)
	for s := 1; s <= nSwitches; s++ {
		dp := Datapath{UUID: fmt.Sprintf("dp-%d", s), TunnelKey: uint32(s)}
		in.Datapaths = append(in.Datapaths, dp)
		mc := MulticastGroup{UUID: fmt.Sprintf("%08x-mc", s), Name: "_MC_flood", DatapathKey: dp.TunnelKey, TunnelKey: 32768}
		for p := 1; p <= portsPerSwitch; p++ {
			name := fmt.Sprintf("p%d-%d", s, p)
			pb := PortBinding{UUID: fmt.Sprintf("%08x-0000", s*100000+p), LogicalPort: name, TunnelKey: uint32(p), DatapathKey: dp.TunnelKey,
				MAC: []string{fmt.Sprintf("00:00:00:%02x:%02x:%02x 10.%d.%d.%d", s, p/256, p%256, s, p/256, p%256)}}
			if p%3 == 0 {
				pb.Chassis = "hv1"
				in.VIFs[name] = ofport
				in.CTZones[name] = zone
				ofport++
				zone++
			} else {
				pb.Chassis = fmt.Sprintf("hv%d", 2+p%nChassis)
			}
			in.Ports = append(in.Ports, pb)
			mc.Ports = append(mc.Ports, name)
		}
		sw, rt := fmt.Sprintf("ls%d-lr", s), fmt.Sprintf("lr-ls%d", s)
		in.Ports = append(in.Ports,
			PortBinding{UUID: fmt.Sprintf("%08x-0001", s), LogicalPort: sw, Type: "patch", TunnelKey: uint32(portsPerSwitch + 1), DatapathKey: dp.TunnelKey, Options: map[string]string{"peer": rt}},
			PortBinding{UUID: fmt.Sprintf("%08x-0002", s), LogicalPort: rt, Type: "patch", TunnelKey: uint32(s), DatapathKey: router, Options: map[string]string{"peer": sw}, MAC: []string{"00:00:00:00:ff:01"}})
		mc.Ports = append(mc.Ports, sw)
		in.MulticastGroups = append(in.MulticastGroups, mc)
	}
	return in
}

func TestDropAmbiguous(t *testing.T) {
	acc := map[string]bool{`ambiguous: ^table=0, priority=180,dl_vlan=\d+$`: true}
	missing := []string{
		"cookie=0x1, table=0, priority=180,dl_vlan=100 actions=conjunction(100,2/2)",
		"cookie=0x1, table=0, priority=100,in_port=1 actions=drop",
	}
	extra := []string{
		"cookie=0x2, table=0, priority=180,dl_vlan=100 actions=conjunction(100,2/2)",
		"cookie=0x2, table=0, priority=181,dl_vlan=100 actions=conjunction(100,2/2)",
	}
	m, e := dropAmbiguous(acc, missing, extra)
	if len(m) != 1 || m[0] != missing[1] || len(e) != 1 || e[0] != extra[1] {
		t.Errorf("dropAmbiguous = %q, %q", m, e)
	}
}

// TestInputOrderIrrelevant: the order of rows in Input does not change the
// result (ovn-controller's own order comes from UUIDs, not from how the
// agent happens to list rows).
func TestInputOrderIrrelevant(t *testing.T) {
	want := strings.Join(flowTexts(Compute(referenceInput())), "\n")
	for seed := int64(1); seed <= 5; seed++ {
		in := referenceInput()
		r := rand.New(rand.NewSource(seed))
		r.Shuffle(len(in.Ports), func(i, j int) { in.Ports[i], in.Ports[j] = in.Ports[j], in.Ports[i] })
		r.Shuffle(len(in.Datapaths), func(i, j int) { in.Datapaths[i], in.Datapaths[j] = in.Datapaths[j], in.Datapaths[i] })
		for i := range in.MulticastGroups {
			ps := in.MulticastGroups[i].Ports
			r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		}
		if got := strings.Join(flowTexts(Compute(in)), "\n"); got != want {
			t.Fatalf("seed %d: result depends on input order", seed)
		}
	}
}

func BenchmarkIncrementalOnePort(b *testing.B) {
	in := largeInput(200, 20, 50)
	changed := []string{in.Ports[3].UUID}
	b.ReportAllocs()
	for b.Loop() {
		rows := Affected(in, in, changed)
		ComputeFor(in, rows)
	}
}
