package flow

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

func reg(i int) Field { return FieldReg(i) }

// actionCases gives every action type, built as Go values (zero values
// where the API promises defaults), with the exact text OVS prints for it.
var actionCases = []struct {
	a    Action
	want string
}{
	{Output{Port: 1}, "output:1"},
	{Output{Port: PortLocal}, "LOCAL"},
	{Output{Port: PortInPort}, "IN_PORT"},
	{Output{Port: PortController, MaxLen: MaxLenAll}, "CONTROLLER:65535"},
	{OutputReg{Src: WholeField(reg(15))}, "output:NXM_NX_REG15[]"},
	{OutputReg{Src: Subfield{Field: reg(0), Offset: 16, Bits: 16}}, "output:NXM_NX_REG0[16..31]"},
	{OutputTrunc{Port: 2, MaxLen: 100}, "output(port=2,max_len=100)"},
	{Resubmit{Table: 64}, "resubmit(,64)"},
	{Resubmit{Port: 5, Table: 64}, "resubmit(5,64)"},
	{Resubmit{Table: 10, CT: true}, "resubmit(,10,ct)"},
	{Resubmit{Port: 5, Table: TableNone}, "resubmit:5"},
	{SetFieldUint(reg(15), 1), "set_field:0x1->reg15"},
	{SetFieldUint(reg(14), 0), "set_field:0->reg14"},
	{SetFieldMasked(reg(10), 4, 4), "set_field:0x4/0x4->reg10"},
	{SetFieldMasked(reg(10), 0, 0x40), "set_field:0/0x40->reg10"},
	{SetField{Field: FieldEthSrc, Value: []byte{0, 0, 0, 0, 0xff, 2}}, "set_field:00:00:00:00:ff:02->eth_src"},
	{SetField{Field: FieldIPv4Dst, Value: []byte{255, 255, 255, 255}}, "set_field:255.255.255.255->ip_dst"},
	{SetField{Field: FieldIPv4Dst, Value: []byte{10, 0, 0, 0}, Mask: []byte{255, 0, 0, 0}}, "set_field:10.0.0.0/8->ip_dst"},
	{SetField{Field: FieldIPv6Src, Value: netip.MustParseAddr("fd00::1").AsSlice()}, "set_field:fd00::1->ipv6_src"},
	{SetFieldUint(FieldTCPDst, 80), "set_field:80->tcp_dst"},
	{SetFieldUint(FieldInPort, uint64(PortAny)), "set_field:ANY->in_port"},
	{SetFieldUint(FieldVLANVID, 4106), "set_field:4106->vlan_vid"},
	{SetField{Field: FieldCTLabel, Value: bigEndian128(0x0102030405060708, 0x0910111213141516)}, "set_field:0x1020304050607080910111213141516->ct_label"},
	{Load(Subfield{Field: reg(15), Offset: 0, Bits: 16}, 5), "set_field:0x5/0xffff->reg15"},
	{Load(Subfield{Field: reg(10), Offset: 3, Bits: 1}, 1), "set_field:0x8/0x8->reg10"},
	{Load(WholeField(reg(0)), 0), "set_field:0->reg0"},
	{Move{Src: WholeField(reg(14)), Dst: WholeField(reg(15))}, "move:NXM_NX_REG14[]->NXM_NX_REG15[]"},
	{Move{Src: Subfield{Field: FieldXXReg(0), Offset: 64, Bits: 32}, Dst: Subfield{Field: FieldXXReg(0), Offset: 96, Bits: 32}}, "move:NXM_NX_XXREG0[64..95]->NXM_NX_XXREG0[96..127]"},
	{Move{Src: Subfield{Field: reg(10), Offset: 13, Bits: 1}, Dst: Subfield{Field: FieldXReg(4), Offset: 5, Bits: 1}}, "move:NXM_NX_REG10[13]->OXM_OF_PKT_REG4[5]"},
	{StackPush{Subfield: WholeField(reg(0))}, "push:NXM_NX_REG0[]"},
	{StackPop{Subfield: Subfield{Field: FieldXXReg(0), Offset: 0, Bits: 48}}, "pop:NXM_NX_XXREG0[0..47]"},
	{Conjunction{ID: 100, K: 2, N: 2}, "conjunction(100,2/2)"},
	{CT{Table: 19, Zone: Subfield{Field: reg(13), Bits: 16}, Actions: Actions{NAT{}}}, "ct(table=19,zone=NXM_NX_REG13[0..15],nat)"},
	{CT{Commit: true, Table: TableNone, Zone: Subfield{Field: reg(13), Bits: 16}, Actions: Actions{SetFieldMasked(FieldCTMark, 1, 1)}},
		"ct(commit,zone=NXM_NX_REG13[0..15],exec(set_field:0x1/0x1->ct_mark))"},
	{CT{Commit: true, Force: true, Table: 3, ZoneImm: 7, Alg: 21}, "ct(commit,force,table=3,zone=7,alg=ftp)"},
	{CT{Commit: true, Table: TableNone, Actions: Actions{NAT{Kind: NATDst, MinAddr: netip.MustParseAddr("192.168.1.2"), MinPort: 80}, SetFieldMasked(FieldCTLabel, 2, 2)}},
		"ct(commit,nat(dst=192.168.1.2:80),exec(set_field:0x2/0x2->ct_label))"},
	{NAT{Kind: NATSrc, MinAddr: netip.MustParseAddr("10.0.0.1"), MaxAddr: netip.MustParseAddr("10.0.0.9"), MinPort: 1, MaxPort: 3000, Random: true}, "nat(src=10.0.0.1-10.0.0.9:1-3000,random)"},
	{NAT{Kind: NATDst, MinAddr: netip.MustParseAddr("fd00::2"), MinPort: 80}, "nat(dst=[fd00::2]:80)"},
	{NAT{Kind: NATDst, MinAddr: netip.MustParseAddr("fd11::2")}, "nat(dst=fd11::2)"},
	{NAT{Kind: NATSrc, Random: true}, "nat(src)"},
	{CTClear{}, "ct_clear"},
	{GroupAction{ID: 1}, "group:1"},
	{MeterAction{ID: 2}, "meter:2"},
	{SetQueue{ID: 61440}, "set_queue:61440"},
	{PopQueue{}, "pop_queue"},
	{PushVLAN{EtherType: 0x8100}, "push_vlan:0x8100"},
	{PopVLAN{}, "pop_vlan"},
	{SetIPTTL{TTL: 5}, "mod_nw_ttl:5"},
	{DecTTL{}, "dec_ttl"},
	{DecTTL{ControllerIDs: []uint16{1, 2}}, "dec_ttl(1,2)"},
	{DecTTL{ControllerIDs: []uint16{}}, "dec_ttl"}, // OVN's ip.ttl-- before it reaches the wire
	{DecTTL{ControllerIDs: []uint16{}, CntIDs: true}, "dec_ttl()"},
	{Exit{}, "exit"},
	{NewController([]byte{0, 0, 0, 1}, true), "controller(userdata=00.00.00.01,pause)"},
	{NewController([]byte{0, 0, 0, 9, 0, 0, 0, 0}, false), "controller(userdata=00.00.00.09.00.00.00.00)"},
	{Controller{MaxLen: 100, Reason: ReasonNoMatch, ID: 3, MeterID: 4}, "controller(reason=no_match,max_len=100,id=3,meter_id=4)"},
	{Controller{MaxLen: MaxLenAll, Reason: ReasonAction}, "CONTROLLER:65535"},
	{Note{Data: []byte{0xaa}}, "note:aa.00.00.00.00.00"},
	{Note{Data: []byte{1, 2, 3, 4, 5, 6, 7}}, "note:01.02.03.04.05.06.07.00.00.00.00.00.00.00"},
	{Clone{Actions: Actions{SetField{Field: FieldIPv4Dst, Value: []byte{255, 255, 255, 255}}, Resubmit{Table: 64}}}, "clone(set_field:255.255.255.255->ip_dst,resubmit(,64))"},
	{Clone{}, "clone(drop)"},
	{Learn{Table: 78, IdleTimeout: 30, Priority: LearnDefaultPriority, DeleteLearned: true, Cookie: 0xaaaaaaaa, Specs: []LearnSpec{
		{Kind: LearnMatch, Src: WholeField(FieldMetadata), Dst: WholeField(FieldMetadata)},
		{Kind: LearnMatch, Imm: []byte{8, 0}, Dst: WholeField(FieldEthType)},
		{Kind: LearnMatch, Src: WholeField(FieldIPv4Dst), Dst: WholeField(FieldIPv4Src)},
		{Kind: LearnMatch, Imm: []byte{172, 16, 0, 123}, Dst: WholeField(FieldIPv4Dst)},
		{Kind: LearnMatch, Imm: []byte{5}, Dst: Subfield{Field: reg(0), Offset: 0, Bits: 4}},
		{Kind: LearnLoad, Imm: []byte{1}, Dst: Subfield{Field: reg(10), Offset: 14, Bits: 1}},
		{Kind: LearnLoad, Src: WholeField(reg(0)), Dst: WholeField(reg(1))},
		{Kind: LearnOutput, Src: WholeField(FieldInPort)},
	}}, "learn(table=78,idle_timeout=30,delete_learned,cookie=0xaaaaaaaa,OXM_OF_METADATA[],eth_type=0x800,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],ip_dst=172.16.0.123,NXM_NX_REG0[0..3]=0x5,load:0x1->NXM_NX_REG10[14],load:NXM_NX_REG0[]->NXM_NX_REG1[],output:NXM_OF_IN_PORT[])"},
	{Learn{Table: 2, Priority: 10, Limit: 10, ResultDst: Subfield{Field: reg(0), Offset: 1, Bits: 1}, FinIdleTimeout: 5, FinHardTimeout: 6, SendFlowRem: true},
		"learn(table=2,fin_idle_timeout=5,fin_hard_timeout=6,priority=10,send_flow_rem,limit=10,result_dst=NXM_NX_REG0[1])"},
	{CheckPktLarger{Len: 1500, Dst: Subfield{Field: FieldXXReg(0), Offset: 96, Bits: 1}}, "check_pkt_larger(1500)->NXM_NX_XXREG0[96]"},
	{Sample{Probability: 100, CollectorSetID: 200, ObsDomainID: 11259375, ObsPointID: 1000}, "sample(probability=100,collector_set_id=200,obs_domain_id=11259375,obs_point_id=1000)"},
	{Sample{Probability: 1, CollectorSetID: 2, ObsDomainID: 3, ObsPointID: 4, SamplingPort: 5, Direction: SampleIngress},
		"sample(probability=1,collector_set_id=2,obs_domain_id=3,obs_point_id=4,sampling_port=5,ingress)"},
	{FinTimeout{IdleTimeout: 10, HardTimeout: 20}, "fin_timeout(idle_timeout=10,hard_timeout=20)"},
	{FinTimeout{}, "fin_timeout()"},
	{Bundle{Fields: HashEthSrc, Algorithm: BundleActiveBackup, Members: []Port{1, 2}}, "bundle(eth_src,0,active_backup,ofport,members:1,2)"},
	{Bundle{Fields: HashSymmetricL4, Basis: 60, Algorithm: BundleHRW, Dst: WholeField(reg(0)), Members: []Port{4}},
		"bundle_load(symmetric_l4,60,hrw,ofport,NXM_NX_REG0[],members:4)"},
	{Raw{Bytes: []byte{0xff, 0xff, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}}, "raw(ff.ff.00.10.00.00.00.01.00.00.00.00.00.00.00.00)"},
}

func bigEndian128(hi, lo uint64) []byte {
	b := uintBytes(hi, 8)
	return append(b, uintBytes(lo, 8)...)
}

func TestActionText(t *testing.T) {
	for _, c := range actionCases {
		if got := c.a.String(); got != c.want {
			t.Errorf("%T: got %s, want %s", c.a, got, c.want)
		}
	}
}

// TestActionWire encodes every case, checks the framing (multiple of 8,
// length field), decodes it back to the same text and re-encodes it to the
// same bytes.
func TestActionWire(t *testing.T) {
	for _, c := range actionCases {
		if _, ok := c.a.(NAT); ok {
			continue // only valid inside CT; covered there
		}
		wire := Actions{c.a}.Append(nil)
		if len(wire)%8 != 0 || int(be16(wire, 2)) != len(wire) {
			t.Errorf("%s: bad framing %x", c.want, wire)
			continue
		}
		back, err := DecodeActions(wire)
		if err != nil || len(back) != 1 {
			t.Errorf("%s: decode: %v %v", c.want, back, err)
			continue
		}
		want := c.want
		if d, ok := c.a.(DecTTL); ok && d.ControllerIDs != nil && len(d.ControllerIDs) == 0 {
			// OVS too prints this form "dec_ttl" before and "dec_ttl()"
			// after the wire (the ofpact's raw type changes).
			want = "dec_ttl()"
		}
		if got := back.String(); got != want {
			t.Errorf("%T round trip: got %s, want %s", c.a, got, want)
		}
		if again := back.Append(nil); !bytes.Equal(again, wire) {
			t.Errorf("%s: re-encoding differs:\n %x\n %x", c.want, wire, again)
		}
	}
}

func TestActionsString(t *testing.T) {
	if got := (Actions{}).String(); got != "drop" {
		t.Errorf("empty: %s", got)
	}
	as := Actions{SetFieldUint(reg(15), 5), Resubmit{Table: 19}, SetFieldUint(reg(15), 0xfffe), Resubmit{Table: 19}}
	if got, want := as.String(), "set_field:0x5->reg15,resubmit(,19),set_field:0xfffe->reg15,resubmit(,19)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestDecodeActionsErrors(t *testing.T) {
	good := Actions{Resubmit{Table: 1}}.Append(nil)
	bad := map[string][]byte{
		"short":          {0, 0, 0, 8},
		"length 0":       {0, 0, 0, 0, 0, 0, 0, 0},
		"length odd":     {0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0},
		"length > input": {0, 0, 0, 16, 0, 0, 0, 0},
		"truncated list": append(good, 0, 0, 0),
		"output port":    {0, 0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"nx short":       {0xff, 0xff, 0, 8, 0, 0, 0x23, 0x20},
		"set_field len":  {0, 25, 0, 8, 0, 1, 0, 4},
		"clone inner":    {0xff, 0xff, 0, 24, 0, 0, 0x23, 0x20, 0, 42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0},
	}
	for name, b := range bad {
		if as, err := DecodeActions(b); err == nil {
			t.Errorf("%s: decoded %v", name, as)
		} else if !errors.Is(err, ErrBadAction) && !errors.Is(err, ErrShortHeader) {
			t.Errorf("%s: error %v does not wrap ErrBadAction", name, err)
		}
	}
	// Unknown things decode as Raw and re-encode unchanged.
	raws := [][]byte{
		{0, 99, 0, 8, 1, 2, 3, 4},                                       // unknown OpenFlow type
		{0xff, 0xff, 0, 16, 0, 0, 0, 1, 0, 7, 0, 0, 0, 0, 0, 0},         // unknown vendor
		{0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 200, 0, 0, 0, 0, 0, 0}, // unknown Nicira subtype
		{0, 25, 0, 16, 0x7f, 0x7f, 0x02, 4, 0, 0, 0, 1, 0, 0, 0, 0},     // set_field of an unknown field
		{0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 37, 0, 0, 0, 0, 0, 0},  // controller2 without properties: known
	}
	for _, b := range raws[:4] {
		as, err := DecodeActions(b)
		if err != nil || len(as) != 1 {
			t.Errorf("%x: %v %v", b, as, err)
			continue
		}
		if _, ok := as[0].(Raw); !ok {
			t.Errorf("%x: decoded as %T", b, as[0])
		}
		if !bytes.Equal(as.Append(nil), b) {
			t.Errorf("%x: raw re-encoding differs", b)
		}
	}
	if as, err := DecodeActions(raws[4]); err != nil || as.String() != "CONTROLLER:65535" {
		t.Errorf("bare controller2: %v %v", as, err)
	}
}

// FuzzDecodeActions feeds arbitrary bytes to the decoder: it must not
// panic, and whatever it accepts must re-encode to bytes that decode to the
// same text.
func FuzzDecodeActions(f *testing.F) {
	for _, c := range actionCases {
		f.Add(Actions{c.a}.Append(nil))
	}
	for _, text := range extraActionCorpus {
		if as, err := parseActionsText(text); err == nil {
			f.Add(as.Append(nil))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		as, err := DecodeActions(b)
		if err != nil {
			return
		}
		text := as.String()
		back, err := DecodeActions(as.Append(nil))
		if err != nil {
			t.Fatalf("re-encoding of %s does not decode: %v", text, err)
		}
		if got := back.String(); got != text {
			t.Fatalf("re-encoding changes %s into %s", text, got)
		}
	})
}

// ovnFlowActions is a typical OVN logical-flow action list: loads, a
// conntrack commit with NAT and a resubmit.
var ovnFlowActions = Actions{
	SetFieldMasked(reg(10), 0, 0x40),
	SetFieldUint(reg(15), 5),
	Move{Src: WholeField(reg(14)), Dst: WholeField(reg(15))},
	CT{Commit: true, Table: 19, Zone: Subfield{Field: reg(13), Bits: 16},
		Actions: Actions{NAT{Kind: NATDst, MinAddr: netip.MustParseAddr("192.168.1.2"), MinPort: 80}, SetFieldMasked(FieldCTLabel, 2, 2)}},
	Resubmit{Table: 19},
}

func BenchmarkActionsAppend(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = ovnFlowActions.Append(buf[:0])
	}
}

func BenchmarkActionsAppendText(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = ovnFlowActions.AppendText(buf[:0])
	}
}

func BenchmarkDecodeActions(b *testing.B) {
	wire := ovnFlowActions.Append(nil)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeActions(wire); err != nil {
			b.Fatal(err)
		}
	}
}
