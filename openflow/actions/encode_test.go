package actions

import (
	"strings"
	"testing"

	"github.com/chassisd/chassisd/openflow/flow"
)

// encodeWith parses s in a production-like context and encodes it.
func encodeWith(t *testing.T, s string, ep EncodeParams) string {
	t.Helper()
	pp, _ := fuzzParams()
	pp.Pipeline, pp.NTables, pp.CurTable = ep.Pipeline, 29, 3
	acts, _, err := Parse(s, pp)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	if ep.GroupTable == nil {
		ep.GroupTable = NewExtendTable("group-table", MaxGroupID)
		ep.MeterTable = NewExtendTable("meter-table", MaxMeterID)
	}
	ofacts, err := acts.Encode(&ep)
	if err != nil {
		t.Fatalf("%s: encode: %v", s, err)
	}
	return ofacts.String()
}

func TestEncodeProductionParams(t *testing.T) {
	sw := DefaultEncodeParams(Ingress, true)
	rtr := DefaultEncodeParams(Ingress, false)
	egress := DefaultEncodeParams(Egress, true)
	feat := DefaultEncodeParams(Ingress, true)
	feat.CTZeroSNATSupport, feat.DPMeterSupport, feat.DPHashL4Sym = true, true, true
	feat.CtrlMeterID = 7
	old := DefaultEncodeParams(Ingress, false)
	old.OVN2303 = true
	for _, tc := range []struct {
		in   string
		ep   EncodeParams
		want string
	}{
		{"output;", sw, "resubmit(,37)"},
		{"output;", egress, "resubmit(,64)"},
		{"next;", sw, "resubmit(,12)"},
		{"next;", egress, "resubmit(,46)"},
		{"next(pipeline=ingress, table=0);", egress, "resubmit(,8)"},
		{"ct_next;", sw, "ct(table=12,zone=NXM_NX_REG13[0..15])"},
		{"ct_next;", rtr, "ct(table=12,zone=NXM_NX_REG11[0..15])"},
		{"ct_commit;", rtr, "ct(commit,zone=NXM_NX_REG11[0..15])"},
		{"ct_commit;", feat, "ct(commit,zone=NXM_NX_REG13[0..15],nat(src))"},
		{"ct_commit_nat(snat);", rtr, "ct(commit,table=12,zone=NXM_NX_REG12[0..15],nat)"},
		{"ct_commit_nat(dnat);", rtr, "ct(commit,table=12,zone=NXM_NX_REG11[0..15],nat)"},
		{"ct_lb_mark;", rtr, "ct(table=12,zone=NXM_NX_REG11[0..15],nat)"},
		{"igmp;", feat, "controller(userdata=00.00.00.10.00.00.00.00,meter_id=7)"},
		{"handle_svc_check(inport);", sw, "controller(userdata=00.00.00.12.00.00.00.00)"},
		{"ct_snat_to_vip;", sw, "resubmit(,70)"},
		{"mac_cache_use;", sw, "resubmit(,79)"},
		{"ct_dnat(10.0.0.1, 100-200);", rtr, "ct(commit,table=12,zone=NXM_NX_REG11[0..15],nat(dst=10.0.0.1:100-200,random))"},
		{"ct_dnat(10.0.0.1, 100-200);", old, "ct(commit,table=12,zone=NXM_NX_REG11[0..15],nat(dst=10.0.0.1:100-200))"},
		{"ct_commit_nat;", old, "ct(commit,table=12,zone=NXM_NX_REG11[0..15],nat)"},
		{"commit_lb_aff(vip = \"1.1.1.1\", backend = \"2.2.2.2\", timeout = 5);", old,
			"learn(table=78,idle_timeout=5,delete_learned,OXM_OF_METADATA[],eth_type=0x800,NXM_OF_IP_SRC[],ip_dst=1.1.1.1,load:0x1->NXM_NX_REG10[14],load:0x2020202->NXM_NX_REG4[])"},
	} {
		if got := encodeWith(t, tc.in, tc.ep); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestSelectL4SymmetricGroup(t *testing.T) {
	ep := DefaultEncodeParams(Ingress, true)
	ep.DPHashL4Sym = true
	ep.GroupTable = NewExtendTable("group-table", MaxGroupID)
	ep.MeterTable = NewExtendTable("meter-table", MaxMeterID)
	if got := encodeWith(t, "reg0 = select(1, 2);", ep); got != "group:1" {
		t.Fatalf("got %s", got)
	}
	d, _ := ep.GroupTable.Lookup(1)
	if !strings.HasPrefix(d, "type=select,selection_method=dp_hash,selection_method_param=0x100000000,bucket=") {
		t.Fatalf("group description %q", d)
	}
}

func TestExtendTableReuse(t *testing.T) {
	tb := NewExtendTable("t", 3)
	for i, d := range []string{"a", "b", "a", "c"} {
		id, ok := tb.AssignID(d)
		want := map[string]uint32{"a": 1, "b": 2, "c": 3}[d]
		if !ok || id != want {
			t.Fatalf("step %d: %s got %d %v", i, d, id, ok)
		}
	}
	if _, ok := tb.AssignID("d"); ok {
		t.Fatal("table should be full")
	}
	tb.Release("b")
	if id, ok := tb.AssignID("d"); !ok || id != 2 {
		t.Fatalf("reuse freed id: got %d %v", id, ok)
	}
}

func TestRunParseActionsEchoesCommentsAndBlanks(t *testing.T) {
	dir := vectorsDir(t)
	ctx := loadTestContext(t, dir)
	in := "# a comment\n\n   \nnext; # trailing comment\ndrop; next;\n"
	var out strings.Builder
	if err := RunParseActions(*ctx, strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := "# a comment\n\n\nnext; \n    formats as next;\n    encodes as resubmit(,19)\ndrop; next;\n    Syntax error at `next' expecting end of input.\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestNestedPrereqs(t *testing.T) {
	pp, _ := fuzzParams()
	for _, tc := range []struct{ in, want string }{
		// reject and clone keep the nested prerequisites...
		{"reject { tcp.dst = 80; };", "ip.proto == 0x6 && (eth.type == 0x800 || eth.type == 0x86dd)"},
		{"clone { tcp.dst = 80; };", "ip.proto == 0x6 && (eth.type == 0x800 || eth.type == 0x86dd)"},
		// ...the packet-generating actions replace them by their own.
		{"arp { tcp.dst = 80; };", "ip4"},
		{"nd_na { tcp.dst = 80; };", "nd_ns"},
	} {
		_, pre, err := Parse(tc.in, pp)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if pre == nil || pre.String() != tc.want {
			t.Errorf("%s: prereqs %v, want %s", tc.in, pre, tc.want)
		}
	}
}

// TestNestedUserdataDecodes checks that the OpenFlow 1.5 actions carried in
// the userdata of packet-generating controller actions decode back (as
// pinctrl will decode them) to the nested actions' own encoding.
func TestNestedUserdataDecodes(t *testing.T) {
	pp, ep := fuzzParams()
	for _, s := range []string{
		"arp { eth.dst = ff:ff:ff:ff:ff:ff; output; };",
		"nd_na { eth.src = 12:34:56:78:9a:bc; nd.tll = 12:34:56:78:9a:bc; outport = inport; inport = \"\"; output; };",
		"icmp4_error { eth.dst = ff:ff:ff:ff:ff:ff; icmp4.frag_mtu = 1500; output; };",
		"reject { ct_commit { ct_mark.blocked = 1; }; reg0 <-> reg1; next; };",
		"tcp_reset { clone { ip4.dst = 1.2.3.4; output; }; };",
	} {
		acts, _, err := Parse(s, pp)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		ofacts, err := acts.Encode(ep)
		if err != nil || len(ofacts) != 1 {
			t.Fatalf("%s: %v %v", s, ofacts, err)
		}
		c, ok := ofacts[0].(flow.Controller)
		if !ok || len(c.Userdata) < UserdataHeaderLen {
			t.Fatalf("%s: not a controller action: %v", s, ofacts[0])
		}
		decoded, err := flow.DecodeActions(c.Userdata[UserdataHeaderLen:])
		if err != nil {
			t.Fatalf("%s: decode nested actions: %v", s, err)
		}
		want, err := acts[0].(*Nest).Nested.Encode(ep)
		if err != nil {
			t.Fatal(err)
		}
		if decoded.String() != want.String() {
			t.Errorf("%s: nested actions decode as %s, want %s", s, decoded, want)
		}
	}
}

func TestExtendTableLflowRefs(t *testing.T) {
	tb := NewExtendTable("t", 10)
	a, b := [16]byte{1}, [16]byte{2}
	shared, _ := tb.AssignIDFor("shared", a)
	if id, _ := tb.AssignIDFor("shared", b); id != shared {
		t.Fatalf("same description, different ids %d %d", id, shared)
	}
	own, _ := tb.AssignIDFor("own", a)
	gone := tb.ReleaseLflow(a)
	if len(gone) != 1 || gone[0].ID != own || gone[0].Description != "own" {
		t.Fatalf("released %v, want only %d/own", gone, own)
	}
	if _, ok := tb.Lookup(shared); !ok {
		t.Fatal("entry still used by b was released")
	}
	// The released id stays reserved until the switch has deleted it.
	if id, _ := tb.AssignIDFor("next", b); id == own {
		t.Fatalf("reserved id %d reused before FreeID", own)
	}
	tb.FreeID(own)
	if id, _ := tb.AssignIDFor("again", b); id != own {
		t.Fatalf("freed id not reused: got %d want %d", id, own)
	}
}
