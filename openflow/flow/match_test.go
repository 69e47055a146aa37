package flow

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMatchStringVectors checks that the expected flows of the OVN
// expr-to-flows vectors (OVS match_to_string output) are reproduced by
// String() for the same matches.
func TestMatchStringVectors(t *testing.T) {
	dir := fieldTestVectorsDir(t)
	f, err := os.Open(filepath.Join(dir, "expr-to-flows.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	total, pass := 0, 0
	for sc.Scan() {
		var vec struct {
			ExpectedFlows []string `json:"expected_flows"`
		}
		if err := json.Unmarshal(sc.Bytes(), &vec); err != nil {
			t.Fatal(err)
		}
		for _, line := range vec.ExpectedFlows {
			if line == "(no flows)" {
				continue
			}
			text, _, _ := strings.Cut(line, ": conjunction(")
			total++
			m, err := parseMatchForTest(text)
			if err != nil {
				t.Errorf("%q: %v", text, err)
				continue
			}
			if got := m.String(); got != text {
				t.Errorf("String() = %q, want %q", got, text)
				continue
			}
			pass++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if total == 0 {
		t.Fatal("no expected flows in expr-to-flows.jsonl")
	}
	t.Logf("expr-to-flows expected matches: %d/%d reproduced", pass, total)
}

func ones(n int) []byte { return []byte(strings.Repeat("\xff", n)) }

// matchBuildCases build matches through the API; the OVS test also checks
// that ovs-ofctl prints each want unchanged.
var matchBuildCases = []struct {
	name  string
	build func(m *Match)
	want  string
}{
	{"empty", func(m *Match) {}, ""},
	{"xxreg0 is reg0..3", func(m *Match) {
		m.Set(FieldXXReg(0), []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 4})
	}, "reg0=0x1,reg1=0x2,reg2=0,reg3=0x4"},
	{"xxreg masked", func(m *Match) {
		m.SetMasked(FieldXXReg(1), []byte{0x12, 0x34}, []byte{0xff, 0x00})
	}, "reg7=0x1200/0xff00"},
	{"xreg3 is reg6,reg7", func(m *Match) {
		m.SetUint(FieldXReg(3), 0x100000002, ^uint64(0))
	}, "reg6=0x1,reg7=0x2"},
	{"merge bits of reg0", func(m *Match) {
		m.SetUint(FieldReg(0), 1, 1)
		m.SetUint(FieldReg(0), 0, 2)
		m.SetUint(FieldReg(0), 4, 4)
	}, "reg0=0x5/0x7"},
	{"merge replaces bits", func(m *Match) {
		m.SetUint(FieldReg(0), 0xff, 0xff)
		m.SetUint(FieldReg(0), 0x0, 0x0f)
	}, "reg0=0xf0/0xff"},
	{"value outside mask dropped", func(m *Match) {
		m.SetUint(FieldMetadata, 0x13, 0x1)
	}, "metadata=0x1/0x1"},
	{"metadata exact", func(m *Match) { m.SetUint(FieldMetadata, 1, ^uint64(0)) }, "metadata=0x1"},
	{"metadata zero", func(m *Match) { m.SetUint(FieldMetadata, 0, ^uint64(0)) }, "metadata=0"},
	{"tcp shorthand", func(m *Match) {
		m.SetUint(FieldTCPDst, 80, ^uint64(0))
		m.SetUint(FieldIPProto, 6, ^uint64(0))
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
		m.SetUint(FieldReg(14), 1, ^uint64(0))
		m.SetUint(FieldMetadata, 2, ^uint64(0))
	}, "tcp,reg14=0x1,metadata=0x2,tp_dst=80"},
	{"udp6", func(m *Match) {
		m.SetUint(FieldEthType, 0x86dd, ^uint64(0))
		m.SetUint(FieldIPProto, 17, ^uint64(0))
		m.SetUint(FieldUDPSrc, 546, ^uint64(0))
	}, "udp6,tp_src=546"},
	{"icmp6 nd", func(m *Match) {
		m.SetUint(FieldEthType, 0x86dd, ^uint64(0))
		m.SetUint(FieldIPProto, 58, ^uint64(0))
		m.SetUint(FieldICMPv6Type, 135, 0xff)
		m.SetUint(FieldICMPv6Code, 0, 0xff)
		m.Set(FieldNDTarget, []byte{0xfe, 0x80, 15: 1})
		m.SetMasked(FieldNDSLL, []byte{0, 0, 0, 0, 0, 1}, nil)
		m.SetUint(FieldIPTTL, 255, 0xff)
	}, "icmp6,nw_ttl=255,icmp_type=135,icmp_code=0,nd_target=fe80::1,nd_sll=00:00:00:00:00:01"},
	{"other ip proto", func(m *Match) {
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
		m.SetUint(FieldIPProto, 47, ^uint64(0))
	}, "ip,nw_proto=47"},
	{"arp", func(m *Match) {
		m.SetUint(FieldEthType, 0x806, ^uint64(0))
		m.SetUint(FieldARPOp, 2, ^uint64(0))
		m.Set(FieldARPTPA, []byte{10, 0, 0, 1})
		m.SetMasked(FieldARPSPA, []byte{10, 0, 0, 0}, []byte{255, 0, 0, 0})
		m.Set(FieldARPSHA, []byte{0xaa, 0, 0, 0, 0, 1})
	}, "arp,arp_spa=10.0.0.0/8,arp_tpa=10.0.0.1,arp_op=2,arp_sha=aa:00:00:00:00:01"},
	{"ct_state masked", func(m *Match) {
		m.SetUint(FieldCTState, 0x20, 0x22)
	}, "ct_state=-est+trk"},
	{"ct_state exact", func(m *Match) {
		m.SetUint(FieldCTState, 0x21, ^uint64(0))
	}, "ct_state=new|trk"},
	{"ct_state exact zero", func(m *Match) {
		m.SetUint(FieldCTState, 0, ^uint64(0))
	}, "ct_state=0"},
	{"ct fields", func(m *Match) {
		m.SetUint(FieldCTLabel, 1, 1)
		m.SetUint(FieldCTZone, 5, ^uint64(0))
		m.SetUint(FieldCTMark, 0, 2)
		m.SetMasked(FieldCTLabel, []byte{0x80}, []byte{0x80})
	}, "ct_zone=5,ct_mark=0/0x2,ct_label=0x81/0x81"},
	{"ct_label high bit", func(m *Match) {
		m.SetMasked(FieldCTLabel, []byte{0x01, 15: 0}, []byte{0x01, 15: 0})
	}, "ct_label=0x1000000000000000000000000000000/0x1000000000000000000000000000000"},
	{"conj_id and in_port", func(m *Match) {
		m.SetUint(FieldConjID, 7, ^uint64(0))
		m.SetUint(FieldInPort, uint64(PortLocal), ^uint64(0))
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
	}, "conj_id=7,ip,in_port=LOCAL"},
	{"in_port_oxm is in_port", func(m *Match) {
		m.SetUint(FieldInPortOXM, 0xfffffffe, ^uint64(0))
	}, "in_port=LOCAL"},
	{"eth masks", func(m *Match) {
		m.SetMasked(FieldEthDst, []byte{1, 0, 0, 0, 0, 0}, []byte{1, 0, 0, 0, 0, 0})
		m.Set(FieldEthSrc, []byte{0, 0, 0, 0, 0, 0x0a})
	}, "dl_src=00:00:00:00:00:0a,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00"},
	{"vlan present", func(m *Match) {
		m.SetUint(FieldVLANTCI, 0x1000, 0x1000)
	}, "vlan_tci=0x1000/0x1000"},
	{"dl_vlan", func(m *Match) {
		m.SetUint(FieldDLVLAN, 5, ^uint64(0))
		m.SetUint(FieldDLVLANPCP, 3, ^uint64(0))
	}, "dl_vlan=5,dl_vlan_pcp=3"},
	{"vlan_vid", func(m *Match) {
		m.SetUint(FieldVLANVID, 0x1005, ^uint64(0))
	}, "dl_vlan=5"},
	{"no vlan", func(m *Match) {
		m.SetUint(FieldVLANTCI, 0, ^uint64(0))
	}, "vlan_tci=0x0000"},
	{"ip frag", func(m *Match) {
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
		m.SetUint(FieldIPFrag, 3, 3)
	}, "ip,nw_frag=later"},
	{"ip frag not_later", func(m *Match) {
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
		m.SetUint(FieldIPFrag, 0, 2)
	}, "ip,nw_frag=not_later"},
	{"tos ecn dscp", func(m *Match) {
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
		m.SetUint(FieldIPDSCPShifted, 46, 0xff)
		m.SetUint(FieldIPECN, 1, 0xff)
	}, "ip,nw_tos=184,nw_ecn=1"},
	{"ipv6 cidr and label", func(m *Match) {
		m.SetUint(FieldEthType, 0x86dd, ^uint64(0))
		m.SetMasked(FieldIPv6Src, []byte{0xfd, 0x00, 15: 0}, append(ones(8), make([]byte, 8)...))
		m.SetUint(FieldIPv6Label, 0x12345, ^uint64(0))
	}, "ipv6,ipv6_src=fd00::/64,ipv6_label=0x12345"},
	{"ipv4 non-cidr", func(m *Match) {
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
		m.SetMasked(FieldIPv4Dst, []byte{10, 0, 0, 1}, []byte{255, 0, 0, 255})
	}, "ip,nw_dst=10.0.0.1/255.0.0.255"},
	{"tunnel", func(m *Match) {
		m.SetUint(FieldTunID, 0x10, ^uint64(0))
		m.Set(FieldTunSrc, []byte{192, 168, 0, 1})
		m.SetMasked(FieldTunMetadata(0), []byte{0, 0, 0, 1}, []byte{0, 0, 0xff, 0xff})
		m.SetUint(FieldTunFlags, 1, 1)
	}, "tun_id=0x10,tun_src=192.168.0.1,tun_flags=+oam,tun_metadata0=0x1"},
	{"tun_metadata exact", func(m *Match) {
		m.Set(FieldTunMetadata(0), []byte{0, 1, 0, 2})
	}, "tun_metadata0=0x10002"},
	{"tcp flags", func(m *Match) {
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
		m.SetUint(FieldIPProto, 6, ^uint64(0))
		m.SetUint(FieldTCPFlags, 0x002, 0x012)
	}, "tcp,tcp_flags=+syn-ack"},
	{"icmp", func(m *Match) {
		m.SetUint(FieldEthType, 0x800, ^uint64(0))
		m.SetUint(FieldIPProto, 1, ^uint64(0))
		m.SetUint(FieldICMPv4Type, 8, 0xff)
	}, "icmp,icmp_type=8"},
	{"pkt_mark first", func(m *Match) {
		m.SetUint(FieldReg(1), 1, ^uint64(0))
		m.SetUint(FieldPktMark, 0x10, 0xf0)
	}, "pkt_mark=0x10/0xf0,reg1=0x1"},
	{"dl_type other", func(m *Match) {
		m.SetUint(FieldEthType, 0x88cc, ^uint64(0))
	}, "dl_type=0x88cc"},
	{"clear", func(m *Match) {
		m.SetUint(FieldReg(0), 3, ^uint64(0))
		m.SetUint(FieldReg(1), 3, ^uint64(0))
		m.Clear(FieldReg(1))
		m.ClearMasked(FieldReg(0), []byte{0, 0, 0, 1})
	}, "reg0=0x2/0xfffffffe"},
}

func TestMatchViews(t *testing.T) {
	for _, c := range matchBuildCases {
		var m Match
		c.build(&m)
		if got := m.String(); got != c.want {
			t.Errorf("%s: String() = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestMatchValueSemantics(t *testing.T) {
	var a Match
	a.SetUint(FieldReg(0), 1, ^uint64(0))
	b := a
	b.SetUint(FieldReg(1), 2, ^uint64(0))
	if a.String() != "reg0=0x1" || b.String() != "reg0=0x1,reg1=0x2" {
		t.Fatalf("copy is not independent: a=%q b=%q", a, b)
	}
	// The same match through different views is equal and has one key.
	var x, y Match
	x.SetUint(FieldXReg(0), 0x0000000100000002, ^uint64(0))
	y.SetUint(FieldReg(1), 2, ^uint64(0))
	y.SetUint(FieldReg(0), 1, ^uint64(0))
	if !x.Equal(y) || x.Key() != y.Key() || x != y {
		t.Errorf("xreg0 and reg0,reg1 differ: %q %q", x, y)
	}
	var p, q Match
	p.SetUint(FieldUDPSrc, 68, ^uint64(0))
	q.SetUint(FieldTCPSrc, 68, ^uint64(0))
	if !p.Equal(q) {
		t.Errorf("udp_src and tcp_src storage differ")
	}
	if x.Equal(p) {
		t.Errorf("different matches equal")
	}
}

func TestMatchGet(t *testing.T) {
	var m Match
	m.SetUint(FieldXXReg(0), 0x1122334455667788, ^uint64(0))
	if v, mk, ok := m.GetUint(FieldReg(3)); !ok || v != 0x55667788 || mk != 0xffffffff {
		t.Errorf("reg3 = %x/%x %v", v, mk, ok)
	}
	if v, _, ok := m.GetUint(FieldXReg(1)); !ok || v != 0x1122334455667788 {
		t.Errorf("xreg1 = %x %v", v, ok)
	}
	if _, _, ok := m.Get(FieldReg(0)); ok {
		t.Errorf("reg0 is matched?")
	}
	m.SetUint(FieldICMPv6Type, 136, 0xff)
	if v, mk, ok := m.GetUint(FieldICMPv6Type); !ok || v != 136 || mk != 0xff {
		t.Errorf("icmpv6_type = %d/%x %v", v, mk, ok)
	}
	m.SetUint(FieldIPDSCPShifted, 10, 0xff)
	if v, _, ok := m.GetUint(FieldIPDSCPShifted); !ok || v != 10 {
		t.Errorf("ip_dscp = %d %v", v, ok)
	}
	m.SetUint(FieldDLVLAN, 7, ^uint64(0))
	if v, _, ok := m.GetUint(FieldDLVLAN); !ok || v != 7 {
		t.Errorf("dl_vlan = %d %v", v, ok)
	}
	m.SetUint(FieldInPortOXM, 0xfffffffd, ^uint64(0))
	if v, _, ok := m.GetUint(FieldInPortOXM); !ok || v != 0xfffffffd {
		t.Errorf("in_port_oxm = %x %v", v, ok)
	}
	m.Set(FieldTunMetadata(3), []byte{1, 2})
	if v, mk, ok := m.Get(FieldTunMetadata(3)); !ok || string(v) != "\x01\x02" || string(mk) != "\xff\xff" {
		t.Errorf("tun_metadata3 = %x/%x %v", v, mk, ok)
	}
}

func TestIPv6FormatLikeGlibc(t *testing.T) {
	for _, c := range []struct {
		in   [16]byte
		want string
	}{
		{[16]byte{}, "::"},
		{[16]byte{15: 1}, "::1"},
		{[16]byte{0: 0xfe, 1: 0x80, 15: 1}, "fe80::1"},
		{[16]byte{0: 0x20, 1: 0x01, 2: 0x0d, 3: 0xb8, 7: 1, 11: 1, 15: 1}, "2001:db8:0:1:0:1:0:1"},
		{[16]byte{0: 0x20, 1: 0x01, 2: 0x0d, 3: 0xb8, 15: 1}, "2001:db8::1"},
		{[16]byte{10: 0xff, 11: 0xff, 12: 1, 13: 2, 14: 3, 15: 4}, "::ffff:1.2.3.4"},
		{[16]byte{12: 1, 13: 2, 14: 3, 15: 4}, "::1.2.3.4"},
		{[16]byte{0: 1, 15: 0}, "100::"},
		{[16]byte{0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff}, "ffff:ffff:ffff:ffff::"},
	} {
		if got := string(appendInet6(nil, c.in[:])); got != c.want {
			t.Errorf("%x: %s, want %s", c.in, got, c.want)
		}
	}
}

// TestMatchSetGetEveryField sets each field exactly to a value that fits
// its width and reads it back through the same field.
func TestMatchSetGetEveryField(t *testing.T) {
	for _, f := range Fields() {
		if f.VariableLength() {
			continue
		}
		bits := f.Bits()
		switch f {
		case FieldCTState, FieldIPFrag, FieldTunFlags:
			continue // OVS keeps only the known bits; covered elsewhere
		case FieldDLVLAN:
			bits = 12
		case FieldInPortOXM, FieldActsetOutput:
			bits = 8 // a port below OFPP_MAX
		case FieldARPOp:
			bits = 8 // OVS keeps arp_op in nw_proto
		}
		value := make([]byte, f.Bytes())
		for i := range value {
			value[i] = byte(0x5a + 17*i)
		}
		// Keep only the low bits of the field's width.
		for i := 0; i < len(value)*8-bits; i++ {
			value[i/8] &^= 0x80 >> (i % 8)
		}
		if f == FieldIPDSCP {
			value[0] &= ipDSCPMask // nw_tos holds the DSCP bits only
		}
		var m Match
		m.Set(f, value)
		got, mask, ok := m.Get(f)
		if !ok || string(got) != string(value) {
			t.Errorf("%s: set %x, got %x/%x ok=%v (match %q)", f.Name(), value, got, mask, ok, m)
		}
	}
}

func TestMatchClear(t *testing.T) {
	var m Match
	m.SetUint(FieldTunMetadata(0), 0x10002, ^uint64(0))
	m.SetUint(FieldDLVLAN, 5, ^uint64(0))
	m.SetUint(FieldEthType, 0x800, ^uint64(0))
	m.SetUint(FieldIPProto, 1, ^uint64(0))
	m.SetUint(FieldICMPv4Type, 3, 0xff)
	if got, want := m.String(), "icmp,tun_metadata0=0x10002,dl_vlan=5,icmp_type=3"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if v, _, _ := m.Get(FieldTunMetadata(0)); len(v) != 4 {
		t.Errorf("SetUint on tun_metadata0 gave %d bytes, want 4", len(v))
	}
	m.ClearMasked(FieldTunMetadata(0), []byte{0xff, 0xff})
	m.Clear(FieldDLVLAN)
	m.ClearMasked(FieldICMPv4Type, nil)
	if got, want := m.String(), "icmp,tun_metadata0=0x10000/0xffff0000"; got != want {
		t.Errorf("after Clear: %q, want %q", got, want)
	}
	m.Clear(FieldTunMetadata(0))
	if got, want := m.String(), "icmp"; got != want {
		t.Errorf("after Clear: %q, want %q", got, want)
	}
}
