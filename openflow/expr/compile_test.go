package expr

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func testPorts(name string) (uint32, bool) {
	p, ok := map[string]uint32{"vm1": 1, "vm2": 2, "lrp1": 3, "cr-lrp1": 4}[name]
	return p, ok
}

func compileLines(t *testing.T, match string, opts CompileOptions) []string {
	t.Helper()
	c, err := Compile(match, opts)
	if err != nil {
		t.Fatalf("Compile(%q): %v", match, err)
	}
	lines := make([]string, len(c.Matches))
	for i, m := range c.Matches {
		lines[i] = m.String()
	}
	sort.Strings(lines)
	return lines
}

// TestCompileLanguage covers the match language as ovn-sb(5) describes it
// (Logical_Flow match column), beyond what upstream's vectors check.
func TestCompileLanguage(t *testing.T) {
	addrSets := AddressSets(map[string][]string{
		"as1":   {"192.168.10.2", "192.168.20.0/24", "192.168.10.1", "not-an-address"},
		"as_v6": {"fd00::1", "fd00::/64"},
	})
	portGroups := PortGroups(map[string][]string{"1_pg1": {"vm1", "vm2", "remote-vm"}})
	base := CompileOptions{AddrSets: addrSets, PortGroups: portGroups, DPID: 1, LookupPort: testPorts,
		IsChassisResident: func(p string) bool { return p == "cr-lrp1" }}
	tests := []struct {
		name  string
		match string
		opts  func(*CompileOptions)
		want  []string
	}{
		{"true is a catch-all", "1", nil, []string{""}},
		{"false has no flows", "0", nil, nil},
		{"predicate with two expansions", "tcp", nil, []string{"tcp", "tcp6"}},
		{"field with prerequisite", "tcp.dst == 80", nil, []string{"tcp,tp_dst=80", "tcp6,tp_dst=80"}},
		{"CIDR", "ip4.dst == 192.168.0.0/24", nil, []string{"ip,nw_dst=192.168.0.0/24"}},
		{"IPv6 prefix", "ip6.src == fe80::/10", nil, []string{"ipv6,ipv6_src=fe80::/10"}},
		{"multicast bit", "eth.dst[40]", nil, []string{"dl_dst=01:00:00:00:00:00/01:00:00:00:00:00"}},
		{"broadcast predicate", "eth.bcast", nil, []string{"dl_dst=ff:ff:ff:ff:ff:ff"}},
		{"vlan present", "vlan.present", nil, []string{"vlan_tci=0x1000/0x1000"}},
		{"conntrack established", "ct.est", nil, []string{"ct_state=+est+trk"}},
		{"conntrack negated", "!ct.new && ct.trk", nil, []string{"ct_state=-new+trk"}},
		{"register bit", "reg0[7] == 1", nil, []string{"reg0=0x80/0x80"}},
		{"register range", "reg8[0..15] == 0x1234", nil, []string{"reg8=0x1234/0xffff"}},
		{"xxreg subfield as register", "xxreg0[96..127] == 5", nil, []string{"reg0=0x5"}},
		{"flags", "flags.loopback == 1", nil, []string{"reg10=0x1/0x1"}},
		{"24.03 flags", "flags.tunnel_rx == 1 && flags.localnet == 0", nil, []string{"reg10=0x10000/0x18000"}},
		{"inport name", `inport == "vm1"`, nil, []string{"reg14=0x1"}},
		{"unknown port matches nothing", `outport == "nope"`, nil, nil},
		{"port group of local ports", "outport == @pg1", nil, []string{"reg15=0x1", "reg15=0x2"}},
		{"address set", "ip4.src == $as1", nil, []string{"ip,nw_src=192.168.10.1", "ip,nw_src=192.168.10.2", "ip,nw_src=192.168.20.0/24"}},
		{"address set superset elimination", "ip6.dst == $as_v6", nil, []string{"ipv6,ipv6_dst=fd00::/64", "ipv6,ipv6_dst=fd00::1"}},
		// Ranges are not merged into wider masks: each bound is expanded
		// and the two are intersected.
		{"range", "tcp.dst >= 1000 && tcp.dst <= 1003 && ip4", nil, []string{"tcp,tp_dst=1000", "tcp,tp_dst=1001", "tcp,tp_dst=1002", "tcp,tp_dst=1003"}},
		// != on an ordinal field: one flow per bit that differs.
		{"ordinal inequality", "ip4 && ip4.dst[24..31] != 10", nil, []string{"ip,nw_dst=0.0.0.0/2.0.0.0", "ip,nw_dst=0.0.0.0/8.0.0.0",
			"ip,nw_dst=1.0.0.0/1.0.0.0", "ip,nw_dst=4.0.0.0/4.0.0.0", "ip,nw_dst=16.0.0.0/16.0.0.0", "ip,nw_dst=32.0.0.0/32.0.0.0",
			"ip,nw_dst=64.0.0.0/64.0.0.0", "ip,nw_dst=128.0.0.0/1"}},
		{"chassis resident", `is_chassis_resident("cr-lrp1") && ip4`, nil, []string{"ip"}},
		{"not chassis resident", `is_chassis_resident("lrp1") && ip4`, nil, nil},
		{"contradiction", "ip4 && ip6", nil, nil},
		{"icmp types", "icmp4.type == {0, 8}", nil, []string{"icmp,icmp_type=0", "icmp,icmp_type=8"}},
		{"nd predicate", "nd_ns && nd.target == fe80::1", nil, []string{"icmp6,nw_ttl=255,icmp_type=135,icmp_code=0,nd_target=fe80::1"}},
		{"arp", "arp.op == 1 && arp.tpa == 10.0.0.1", nil, []string{"arp,arp_tpa=10.0.0.1,arp_op=1"}},
		{"template", "ip4.dst == ^vip", func(o *CompileOptions) { o.TemplateVars = map[string]string{"vip": "10.0.0.10"} }, []string{"ip,nw_dst=10.0.0.10"}},
		{
			// ovn-chassis.md §6.5: an ACL on a port group and an address set.
			"conjunctive match with offset", "reg0[7] == 1 && (outport == @pg1 && ip4.src == $as1 && tcp.dst == {80, 443})",
			func(o *CompileOptions) {
				o.PortGroups = PortGroups(map[string][]string{"1_pg1": {"vm1"}})
				o.ConjBase = 88288405
			},
			[]string{
				"conj_id=88288405,tcp,reg0=0x80/0x80,reg15=0x1",
				"tcp,reg0=0x80/0x80,reg15=0x1,nw_src=192.168.10.1: conjunction(88288405, 0/2)",
				"tcp,reg0=0x80/0x80,reg15=0x1,nw_src=192.168.10.2: conjunction(88288405, 0/2)",
				"tcp,reg0=0x80/0x80,reg15=0x1,nw_src=192.168.20.0/24: conjunction(88288405, 0/2)",
				"tcp,reg0=0x80/0x80,reg15=0x1,tp_dst=443: conjunction(88288405, 1/2)",
				"tcp,reg0=0x80/0x80,reg15=0x1,tp_dst=80: conjunction(88288405, 1/2)",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := base
			if tc.opts != nil {
				tc.opts(&opts)
			}
			got := compileLines(t, tc.match, opts)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s:\n got %q\nwant %q", tc.match, got, want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ match, want string }{
		{"ip4.src == 1.2.3.4 &&", "Syntax error at end of input expecting constant."},
		// Fields that OVS cannot mask are nominal: only == (or != under `!').
		{"ip4 && ip.ttl != 255", "Nominal field ip.ttl may only be tested for equality (taking enclosing `!' operators into account)."},
		{`inport == 5`, "String field inport is not compatible with integer constant."},
		{"!ip4", "Nominal predicate ip4 may only be tested positively, e.g. `ip4' or `ip4 == 1' but not `!ip4' or `ip4 == 0'."},
		{"ip4.src > 10.0.0.0/8", "Only == and != operators may be used with masked constants.  Consider using subfields instead (e.g. eth.src[0..15] > 0x1111 in place of eth.src > 00:00:00:00:11:11/00:00:00:00:ff:ff)."},
		{"tcp.dst == 70000", "17-bit constant is not compatible with 16-bit field tcp.dst."},
		{"ip4.src == $nope", "Syntax error at `$nope' expecting address set name."},
		{"outport == @nope", "Syntax error at `@nope' expecting port group name."},
		{"ip4 && ip6 || tcp", "&& and || must be parenthesized when used together."},
		{"reg0[5..40] == 1", "Cannot select bits 5 to 40 of 32-bit field reg0."},
		{"ip4.dst == ^unset", "Unexpanded template."},
		{"foo(1)", "parsing function name"},
		{"reg0", "Explicit `!= 0' is required for inequality test of multibit field against 0."},
	}
	for _, tc := range tests {
		t.Run(tc.match, func(t *testing.T) {
			_, err := Compile(tc.match, CompileOptions{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q) = %v, want *Error", tc.match, err)
			}
			if e.Msg != tc.want {
				t.Errorf("Compile(%q):\n got %q\nwant %q", tc.match, e.Msg, tc.want)
			}
		})
	}
}

// TestActionsHelpers checks the API the logical actions parser uses.
func TestActionsHelpers(t *testing.T) {
	st := DefaultSymtab()
	l := NewLexer("tcp.dst = 80;")
	l.Get()
	f, prereqs, ok := ParseField(l, st)
	if !ok {
		t.Fatal(l.ErrorMessage())
	}
	if f.String() != "tcp.dst" || f.NBits != 16 {
		t.Errorf("field %s/%d", f, f.NBits)
	}
	if got, want := prereqs.String(), "ip.proto == 0x6 && (eth.type == 0x800 || eth.type == 0x86dd)"; got != want {
		t.Errorf("prereqs %q, want %q", got, want)
	}
	if !l.Match(TokEquals) {
		t.Fatal("expected =")
	}
	c, typ, ok := ParseConstant(l, f)
	if !ok || typ != IntegerConst || c.Text(typ) != "80" {
		t.Errorf("constant %v %v %v", c.Text(typ), typ, ok)
	}

	l = NewLexer("reg0[0..3]")
	l.Get()
	f, _, ok = ParseField(l, st)
	if !ok || f.String() != "reg0[0..3]" {
		t.Fatalf("reg0[0..3] parsed as %v %v", f, ok)
	}
	r, ok := f.Resolve()
	if !ok || r.Field.Name != "xxreg0" || r.Ofs != 96 || r.NBits != 4 {
		t.Errorf("reg0[0..3] resolves to %+v", r)
	}
	if msg := TypeCheck(f, 8, false, WriteDefault); msg != "Cannot use 4-bit field reg0[0..3] where 8-bit field is required." {
		t.Errorf("TypeCheck: %q", msg)
	}
	ct, _ := st.Lookup("ct_mark")
	if msg := TypeCheck(Field{Symbol: ct, NBits: 32}, 32, true, WriteDefault); msg != "Field ct_mark is not modifiable." {
		t.Errorf("TypeCheck rw: %q", msg)
	}

	l = NewLexer("ip4")
	l.Get()
	if _, _, ok := ParseField(l, st); ok || l.ErrorMessage() != "Predicate symbol ip4 used where lvalue required." {
		t.Errorf("predicate as lvalue: %q", l.ErrorMessage())
	}
	if got := (&Token{Type: TokMaskedInteger, Format: FormatIPv4}).String(); got != "0.0.0.0/0" {
		t.Errorf("masked token %q", got)
	}
}

// TestSeedMatchesCompile compiles every match of the seed's
// `ovn-sbctl lflow-list` (a real OVN 24.03 deployment).
func TestSeedMatchesCompile(t *testing.T) {
	path := os.Getenv("CHASSISD_SEED")
	if path == "" {
		path = filepath.Join("..", "..", "..", "shared", "seed", "geneve-network-ovn.md")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("seed not found: %v", err)
		}
		t.Skipf("seed not found: %v", err)
	}
	re := regexp.MustCompile(`(?m)^\s*table=\d+\s*\(\S+\s*\), priority=\d+\s*, match=\((.*)\), action=\(`)
	found := re.FindAllStringSubmatch(string(data), -1)
	if len(found) < 100 {
		t.Fatalf("found only %d lflow matches in %s", len(found), path)
	}
	// northd's svc_monitor_mac address set; the seed does not show its value.
	opts := CompileOptions{
		AddrSets:   AddressSets(map[string][]string{"svc_monitor_mac": {"0a:58:0a:f4:00:01"}}),
		LookupPort: func(string) (uint32, bool) { return 1, true },
	}
	for _, m := range found {
		c, err := Compile(m[1], opts)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, mm := range c.Matches {
			_ = mm.String()
		}
	}
	t.Logf("compiled %d lflow matches", len(found))
}

func TestConjunctionAction(t *testing.T) {
	c, err := Compile("ip4.src == {10.0.0.1, 10.0.0.2} && tcp.dst == {80, 443}", CompileOptions{ConjBase: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, m := range c.Matches {
		for _, cj := range m.Conjunctions {
			actions = append(actions, cj.Action().String())
		}
	}
	sort.Strings(actions)
	want := "conjunction(100,1/2) conjunction(100,1/2) conjunction(100,2/2) conjunction(100,2/2)"
	if got := strings.Join(actions, " "); got != want || c.NConjs != 1 {
		t.Errorf("actions %q (NConjs %d), want %q", got, c.NConjs, want)
	}
}
