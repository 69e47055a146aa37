package tunnel

import (
	"strings"
	"testing"

	"github.com/chassisd/chassisd/openflow/flow"
)

var (
	hv2Geneve = ChassisTunnel{ID: "hv2@192.168.0.2", Chassis: "hv2", RemoteIP: "192.168.0.2", PortName: "ovn-hv2-0", OFPort: 2, Type: Geneve}
	hv3VXLAN  = ChassisTunnel{ID: "hv3@192.168.0.3", Chassis: "hv3", RemoteIP: "192.168.0.3", PortName: "ovn-hv3-0", OFPort: 3, Type: VXLAN}
	hv4STT    = ChassisTunnel{ID: "hv4@192.168.0.4", Chassis: "hv4", RemoteIP: "192.168.0.4", PortName: "ovn-hv4-0", OFPort: 4, Type: STT}
)

// The expected texts are the live dumps of reference §4.4 and §3.11 (ports
// by number instead of name).
func TestReceiveFlows(t *testing.T) {
	got := ReceiveFlows([]ChassisTunnel{hv2Geneve, hv3VXLAN, hv4STT}, flow.FieldTunMetadata(0))
	want := []string{
		"priority=100,in_port=2 actions=move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23],move:NXM_NX_TUN_METADATA0[16..30]->NXM_NX_REG14[0..14],move:NXM_NX_TUN_METADATA0[0..15]->NXM_NX_REG15[0..15],resubmit(,40)",
		"priority=100,in_port=3 actions=move:NXM_NX_TUN_ID[12..23]->NXM_NX_REG15[0..11],move:NXM_NX_TUN_ID[0..11]->OXM_OF_METADATA[0..11],resubmit(,40)",
		"priority=100,in_port=4 actions=move:NXM_NX_TUN_ID[40..54]->NXM_NX_REG14[0..14],move:NXM_NX_TUN_ID[24..39]->NXM_NX_REG15[0..15],move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23],resubmit(,40)",
		"priority=105,tun_id=0x800000/0x800000,in_port=3 actions=set_field:0x8000/0x8000->reg15,move:NXM_NX_TUN_ID[12..22]->NXM_NX_REG15[0..10],move:NXM_NX_TUN_ID[0..11]->OXM_OF_METADATA[0..11],resubmit(,40)",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d flows, want %d:\n%s", len(got), len(want), flowsText(got))
	}
	for i := range want {
		if s := got[i].String(); s != want[i] {
			t.Errorf("flow %d:\n got %s\nwant %s", i, s, want[i])
		}
	}
}

func TestRemotePortFlow(t *testing.T) {
	geneveOpt := flow.FieldTunMetadata(0)
	for _, tc := range []struct {
		name     string
		dp, port uint32
		tunnels  []ChassisTunnel
		cookie   uint64
		want     string
	}{
		{"geneve unicast", 1, 2, []ChassisTunnel{hv2Geneve}, 0x7f3a9e32,
			"cookie=0x7f3a9e32, table=39, priority=100,reg15=0x2,metadata=0x1 actions=set_field:0x1/0xffffff->tun_id,set_field:0x2->tun_metadata0,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30],output:2,resubmit(,40)"},
		{"vxlan unicast", 1, 3, []ChassisTunnel{hv3VXLAN}, 0x698c25e2,
			"cookie=0x698c25e2, table=39, priority=100,reg15=0x3,metadata=0x1 actions=set_field:0x3001/0xffffff->tun_id,output:3,resubmit(,40)"},
		{"stt", 5, 7, []ChassisTunnel{hv4STT}, 1,
			"cookie=0x1, table=39, priority=100,reg15=0x7,metadata=0x5 actions=set_field:0x7000005->tun_id,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_ID[40..54],output:4,resubmit(,40)"},
		{"additional chassis", 1, 2, []ChassisTunnel{hv2Geneve, hv3VXLAN}, 2,
			"cookie=0x2, table=39, priority=100,reg15=0x2,metadata=0x1 actions=set_field:0x1/0xffffff->tun_id,set_field:0x2->tun_metadata0,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30],output:2,set_field:0x2001/0xffffff->tun_id,output:3,resubmit(,40)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := RemotePortFlow(tc.dp, tc.port, tc.tunnels, geneveOpt, tc.cookie)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.String(); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := RemotePortFlow(1, 2, []ChassisTunnel{{PortName: "x", Type: "gre"}}, geneveOpt, 0); err == nil {
		t.Error("unsupported tunnel type accepted")
	}
}

func TestVXLANPortKey(t *testing.T) {
	for in, want := range map[uint32]uint32{1: 1, 2047: 2047, 32768: 0x800, 32769: 0x801, 0x8004: 0x804, 65535: 0xfff} {
		if got := VXLANPortKey(in); got != want {
			t.Errorf("VXLANPortKey(%#x) = %#x, want %#x", in, got, want)
		}
	}
	acts, err := EncapActions(hv3VXLAN, 1, 32768, flow.FieldTunMetadata(0), false)
	if err != nil || acts.String() != "set_field:0x800001/0xffffff->tun_id" {
		t.Errorf("_MC_flood over VXLAN: %v, %v", acts, err)
	}
	acts, err = EncapActions(hv3VXLAN, 7, 5, flow.FieldTunMetadata(0), true)
	if err != nil || acts.String() != "set_field:0x7/0xffffff->tun_id" {
		t.Errorf("ramp switch: %v, %v", acts, err)
	}
}

func TestChassisTunnelsAndFind(t *testing.T) {
	br := Bridge{Name: "br-int", Ports: []Port{
		{Name: "br-int", Interfaces: []Interface{{Name: "br-int", Type: "internal", OFPort: 65534}}},
		tunnelPortOF("ovn-hv2-0", "geneve", "hv2", "10.0.0.2", 5),
		tunnelPortOF("ovn-hv2-1", "geneve", "hv2", "10.0.1.2", 6),
		tunnelPortOF("ovn-hv3-0", "vxlan", "hv3", "fd00::3", 7),
		tunnelPortOF("ovn-hv4-0", "geneve", "hv4", "10.0.0.4", -1), // no ofport yet
		tunnelPortOF("ovn-hv1-0", "geneve", "hv1", "10.0.0.1", 8),  // to ourselves
		{Name: "vm1", ExternalIDs: map[string]string{"iface-id": "vm1"}, Interfaces: []Interface{{Name: "vm1", OFPort: 1}}},
	}}
	tuns := ChassisTunnels(br, "hv1")
	var names []string
	for _, tun := range tuns {
		names = append(names, tun.PortName)
	}
	if strings.Join(names, ",") != "ovn-hv2-0,ovn-hv2-1,ovn-hv3-0" {
		t.Fatalf("tunnels = %v", names)
	}
	if !tuns[2].IsIPv6 || tuns[0].IsIPv6 {
		t.Errorf("IPv6 detection wrong: %+v", tuns)
	}
	for _, tc := range []struct{ chassis, ip, want string }{
		{"hv2", "10.0.1.2", "ovn-hv2-1"},
		{"hv2", "", "ovn-hv2-0"},
		{"hv2", "10.9.9.9", "ovn-hv2-0"},
		{"hv3", "", "ovn-hv3-0"},
	} {
		got, ok := FindTunnel(tuns, tc.chassis, tc.ip)
		if !ok || got.PortName != tc.want {
			t.Errorf("FindTunnel(%s, %q) = %s, %v; want %s", tc.chassis, tc.ip, got.PortName, ok, tc.want)
		}
	}
	if _, ok := FindTunnel(tuns, "hv9", ""); ok {
		t.Error("found a tunnel to an unknown chassis")
	}
}

func tunnelPortOF(name, typ, chassis, ip string, ofport int) Port {
	p := tunnelPort(name, typ, chassis, ip, nil)
	p.Interfaces[0].OFPort = ofport
	return p
}

func flowsText(fs []Flow) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String())
		b.WriteString("\n")
	}
	return b.String()
}

func TestOFCtrlFlowKeepsIdentity(t *testing.T) {
	f, err := RemotePortFlow(1, 2, []ChassisTunnel{hv2Geneve}, flow.FieldTunMetadata(0), 0x7f3a9e32)
	if err != nil {
		t.Fatal(err)
	}
	of := f.OFCtrl()
	if of.String() != f.String() {
		t.Errorf("ofctrl text %q differs from %q", of.String(), f.String())
	}
	if of.Match.Key() != f.Match.Key() || len(of.Actions.Append(nil)) == 0 {
		t.Errorf("ofctrl flow lost its match or actions: %+v", of)
	}
}

func TestOverhead(t *testing.T) {
	v6 := hv2Geneve
	v6.IsIPv6 = true
	for _, tc := range []struct {
		tun  ChassisTunnel
		want int
	}{
		{hv2Geneve, 58}, {v6, 78}, {hv3VXLAN, 50}, {hv4STT, 38}, {ChassisTunnel{Type: "gre"}, 0},
	} {
		if got := Overhead(tc.tun); got != tc.want {
			t.Errorf("Overhead(%s, ipv6=%v) = %d, want %d", tc.tun.Type, tc.tun.IsIPv6, got, tc.want)
		}
	}
}
