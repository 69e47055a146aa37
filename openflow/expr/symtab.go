package expr

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Level is a symbol's measurement level: which operators it accepts.
type Level int

// Levels, ordered so that the weakest is the smallest (OVN enum expr_level).
const (
	Nominal      Level = iota // == and != only, tested positively
	BooleanLevel              // one bit: == and != both ways
	Ordinal                   // every relational operator, subfields
)

func (l Level) String() string {
	return [...]string{"nominal", "Boolean", "ordinal"}[l]
}

// WriteScope is a bit set of the contexts in which a symbol may be assigned.
type WriteScope uint32

// Write scopes.
const (
	WriteDefault  WriteScope = 1 << 0 // ordinary actions
	WriteCTCommit WriteScope = 1 << 1 // inside ct_commit { ... }
	WriteAll      WriteScope = ^WriteScope(0)
)

// OVSField describes the OVS field (MFF_*) behind a symbol.
type OVSField struct {
	Name     string // OVS name as used by flow.FieldByName ("reg14", "eth_src", "nw_proto")
	Bits     int
	Maskable bool // fully bitwise maskable (MFM_FULLY)
	Writable bool
	// OF15Name is the NXM/OXM name OpenFlow 1.5 uses (dump-symtab).
	OF15Name string
	// SubfieldName is the NXM/OXM name OVS prints for a subfield in move,
	// push and pop actions ("NXM_NX_XXREG0[64..95]").
	SubfieldName string
}

// Bytes is the field width rounded up to bytes.
func (f *OVSField) Bytes() int { return (f.Bits + 7) / 8 }

// OVNField is a field implemented by ovn-controller itself.
type OVNField struct {
	Name  string
	Bytes int
	Bits  int
}

func ovsField(name string, bits int, maskable, writable bool, of15, sub string) *OVSField {
	if sub == "" {
		sub = of15
	}
	return &OVSField{Name: name, Bits: bits, Maskable: maskable, Writable: writable, OF15Name: of15, SubfieldName: sub}
}

// ovsFields holds the OVS fields the OVN symbol table and the negative-test
// symbols use, from OVS include/openvswitch/meta-flow.h.
var ovsFields = func() map[string]*OVSField {
	m := map[string]*OVSField{}
	add := func(f *OVSField) { m[f.Name] = f }
	for i := 0; i < 16; i++ {
		n := "reg" + strconv.Itoa(i)
		add(ovsField(n, 32, true, true, "NXM_NX_REG"+strconv.Itoa(i), ""))
	}
	for i := 0; i < 8; i++ {
		add(ovsField("xreg"+strconv.Itoa(i), 64, true, true, "OXM_OF_PKT_REG"+strconv.Itoa(i), ""))
	}
	for i := 0; i < 4; i++ {
		add(ovsField("xxreg"+strconv.Itoa(i), 128, true, true, "NXM_NX_XXREG"+strconv.Itoa(i), ""))
	}
	add(ovsField("metadata", 64, true, true, "OXM_OF_METADATA", ""))
	add(ovsField("pkt_mark", 32, true, true, "NXM_NX_PKT_MARK", ""))
	add(ovsField("ct_state", 32, true, false, "NXM_NX_CT_STATE", ""))
	add(ovsField("ct_mark", 32, true, true, "NXM_NX_CT_MARK", ""))
	add(ovsField("ct_label", 128, true, true, "NXM_NX_CT_LABEL", ""))
	add(ovsField("eth_src", 48, true, true, "OXM_OF_ETH_SRC", "NXM_OF_ETH_SRC"))
	add(ovsField("eth_dst", 48, true, true, "OXM_OF_ETH_DST", "NXM_OF_ETH_DST"))
	add(ovsField("eth_type", 16, false, false, "OXM_OF_ETH_TYPE", "NXM_OF_ETH_TYPE"))
	add(ovsField("vlan_tci", 16, true, true, "NXM_OF_VLAN_TCI", ""))
	add(ovsField("nw_proto", 8, false, false, "OXM_OF_IP_PROTO", "NXM_OF_IP_PROTO"))
	add(ovsField("ip_dscp", 6, false, true, "OXM_OF_IP_DSCP", ""))
	add(ovsField("nw_ecn", 2, false, true, "OXM_OF_IP_ECN", "NXM_NX_IP_ECN"))
	add(ovsField("nw_ttl", 8, false, true, "NXM_NX_IP_TTL", ""))
	add(ovsField("ip_src", 32, true, true, "OXM_OF_IPV4_SRC", "NXM_OF_IP_SRC"))
	add(ovsField("ip_dst", 32, true, true, "OXM_OF_IPV4_DST", "NXM_OF_IP_DST"))
	add(ovsField("icmp_type", 8, false, true, "OXM_OF_ICMPV4_TYPE", "NXM_OF_ICMP_TYPE"))
	add(ovsField("icmp_code", 8, false, true, "OXM_OF_ICMPV4_CODE", "NXM_OF_ICMP_CODE"))
	add(ovsField("ipv6_src", 128, true, true, "OXM_OF_IPV6_SRC", "NXM_NX_IPV6_SRC"))
	add(ovsField("ipv6_dst", 128, true, true, "OXM_OF_IPV6_DST", "NXM_NX_IPV6_DST"))
	add(ovsField("ipv6_label", 20, true, true, "OXM_OF_IPV6_FLABEL", "NXM_NX_IPV6_LABEL"))
	add(ovsField("icmpv6_type", 8, false, true, "OXM_OF_ICMPV6_TYPE", "NXM_NX_ICMPV6_TYPE"))
	add(ovsField("icmpv6_code", 8, false, true, "OXM_OF_ICMPV6_CODE", "NXM_NX_ICMPV6_CODE"))
	add(ovsField("ip_frag", 2, true, false, "NXM_NX_IP_FRAG", ""))
	add(ovsField("arp_op", 16, false, true, "OXM_OF_ARP_OP", "NXM_OF_ARP_OP"))
	add(ovsField("arp_spa", 32, true, true, "OXM_OF_ARP_SPA", "NXM_OF_ARP_SPA"))
	add(ovsField("arp_tpa", 32, true, true, "OXM_OF_ARP_TPA", "NXM_OF_ARP_TPA"))
	add(ovsField("arp_sha", 48, true, true, "OXM_OF_ARP_SHA", "NXM_NX_ARP_SHA"))
	add(ovsField("arp_tha", 48, true, true, "OXM_OF_ARP_THA", "NXM_NX_ARP_THA"))
	add(ovsField("nd_target", 128, true, true, "OXM_OF_IPV6_ND_TARGET", "NXM_NX_ND_TARGET"))
	add(ovsField("nd_sll", 48, true, true, "OXM_OF_IPV6_ND_SLL", "NXM_NX_ND_SLL"))
	add(ovsField("nd_tll", 48, true, true, "OXM_OF_IPV6_ND_TLL", "NXM_NX_ND_TLL"))
	add(ovsField("tcp_src", 16, true, true, "OXM_OF_TCP_SRC", "NXM_OF_TCP_SRC"))
	add(ovsField("tcp_dst", 16, true, true, "OXM_OF_TCP_DST", "NXM_OF_TCP_DST"))
	add(ovsField("tcp_flags", 12, true, false, "OXM_OF_TCP_FLAGS", "NXM_NX_TCP_FLAGS"))
	add(ovsField("udp_src", 16, true, true, "OXM_OF_UDP_SRC", "NXM_OF_UDP_SRC"))
	add(ovsField("udp_dst", 16, true, true, "OXM_OF_UDP_DST", "NXM_OF_UDP_DST"))
	add(ovsField("sctp_src", 16, true, true, "OXM_OF_SCTP_SRC", ""))
	add(ovsField("sctp_dst", 16, true, true, "OXM_OF_SCTP_DST", ""))
	add(ovsField("in_port", 16, false, true, "NXM_OF_IN_PORT", ""))
	add(ovsField("conj_id", 32, false, false, "NXM_NX_CONJ_ID", ""))
	return m
}()

// LookupOVSField returns the OVS field facts for an OVS field name.
func LookupOVSField(name string) (*OVSField, bool) {
	f, ok := ovsFields[name]
	return f, ok
}

// Symbol is a name the expression language knows: an OVS field, a subfield
// of another symbol, a string field (logical port names), a predicate
// (a named Boolean expression) or an OVN field.
type Symbol struct {
	Name  string
	Width int // bits; 0 for string fields

	Field     *OVSField // fields and string fields
	OVNField  *OVNField // OVN fields
	Parent    *Symbol   // subfields
	ParentOfs int       // subfields: offset of bit 0 in Parent
	Predicate string    // predicates: the expansion

	Level            Level
	Prereqs          string // expression that must also hold ("" for none)
	MustCrossproduct bool   // never a conjunctive-match dimension
	RW               WriteScope
}

// String formats the symbol as test-ovn dump-symtab does
// ("reg0 = xxreg0[96..127]", "ip4 = eth.type == 0x800", ...).
func (s *Symbol) String() string {
	var sb strings.Builder
	sb.WriteString(s.Name)
	sb.WriteString(" = ")
	switch {
	case s.Parent != nil:
		sb.WriteString(Field{Symbol: s.Parent, Ofs: s.ParentOfs, NBits: s.Width}.String())
	case s.Predicate != "":
		sb.WriteString(s.Predicate)
	case s.OVNField != nil:
		sb.WriteString(s.Name)
	default:
		sb.WriteString(s.Field.OF15Name)
	}
	return sb.String()
}

// Symtab is a symbol table. It is read-only once built, so one table can be
// shared by concurrent compilations.
type Symtab struct {
	symbols map[string]*Symbol
	// expansions caches annotated prerequisites and predicates by text.
	expansions sync.Map
}

// NewSymtab returns an empty symbol table.
func NewSymtab() *Symtab { return &Symtab{symbols: map[string]*Symbol{}} }

// Lookup returns the symbol called name.
func (st *Symtab) Lookup(name string) (*Symbol, bool) {
	s, ok := st.symbols[name]
	return s, ok
}

// Symbols returns every symbol sorted by name.
func (st *Symtab) Symbols() []*Symbol {
	out := make([]*Symbol, 0, len(st.symbols))
	for _, s := range st.symbols {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (st *Symtab) add(s *Symbol) (*Symbol, error) {
	if _, dup := st.symbols[s.Name]; dup {
		return nil, fmt.Errorf("symbol %s already defined", s.Name)
	}
	st.symbols[s.Name] = s
	return s, nil
}

// AddField adds a symbol for a whole OVS field (by OVS name). The symbol is
// ordinal if the field is fully maskable, nominal otherwise, and writable in
// scope if the field is writable.
func (st *Symtab) AddField(name, ovsName, prereqs string, mustCrossproduct bool, scope WriteScope) (*Symbol, error) {
	f, ok := ovsFields[ovsName]
	if !ok {
		return nil, fmt.Errorf("symbol %s: unknown OVS field %s", name, ovsName)
	}
	level := Nominal
	if f.Maskable {
		level = Ordinal
	}
	var rw WriteScope
	if f.Writable {
		rw = scope
	}
	return st.add(&Symbol{Name: name, Width: f.Bits, Field: f, Level: level, Prereqs: prereqs, MustCrossproduct: mustCrossproduct, RW: rw})
}

// AddSubfield adds name as bits of another symbol, e.g. "vlan.tci[0..11]".
func (st *Symtab) AddSubfield(name, prereqs, subfield string, scope WriteScope) (*Symbol, error) {
	l := NewLexer(subfield)
	l.Get()
	p := parser{lexer: l, symtab: st}
	f, ok := p.parseField()
	l.ForceEnd()
	if err := l.TakeError(); err != nil || !ok {
		return nil, fmt.Errorf("%s: error parsing %s subfield: %w", subfield, name, err)
	}
	if f.Symbol.Level != Ordinal {
		return nil, fmt.Errorf("can't define %s as subfield of %s field %s", name, f.Symbol.Level, f.Symbol.Name)
	}
	var rw WriteScope
	if f.Symbol.RW != 0 {
		rw = scope
	}
	return st.add(&Symbol{Name: name, Width: f.NBits, Parent: f.Symbol, ParentOfs: f.Ofs, Level: f.Symbol.Level, Prereqs: prereqs, RW: rw})
}

// AddString adds a string-valued field (a logical port name compared as the
// port's number in the OVS field).
func (st *Symtab) AddString(name, ovsName, prereqs string, scope WriteScope) (*Symbol, error) {
	f, ok := ovsFields[ovsName]
	if !ok {
		return nil, fmt.Errorf("symbol %s: unknown OVS field %s", name, ovsName)
	}
	var rw WriteScope
	if f.Writable {
		rw = scope
	}
	return st.add(&Symbol{Name: name, Field: f, Level: Nominal, Prereqs: prereqs, RW: rw})
}

// AddPredicate adds a named Boolean expression. It is nominal if the
// expansion tests a nominal symbol, Boolean otherwise.
func (st *Symtab) AddPredicate(name, expansion string) (*Symbol, error) {
	e, err := ParseString(expansion, st, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: error parsing %s expansion: %w", expansion, name, err)
	}
	return st.add(&Symbol{Name: name, Width: 1, Predicate: expansion, Level: e.level()})
}

// AddOVNField adds a field implemented by ovn-controller.
func (st *Symtab) AddOVNField(name string, bytes, bits int) (*Symbol, error) {
	return st.add(&Symbol{Name: name, Width: bits, OVNField: &OVNField{Name: name, Bytes: bytes, Bits: bits}, Level: Nominal, RW: WriteAll})
}

// must panics on a symbol-table construction error: the built-in table is a
// program constant, so an error there is a bug.
func must(_ *Symbol, err error) {
	if err != nil {
		panic(err)
	}
}

// NewOVNSymtab returns the logical field symbol table of OVN 24.03
// (ovn_init_symtab() in lib/logical-fields.c).
func NewOVNSymtab() *Symtab {
	st := NewSymtab()
	// The logical ingress and egress ports live in reg14 and reg15.
	must(st.AddString("inport", pipeline.RegInport.Name(), "", WriteDefault))
	must(st.AddString("outport", pipeline.RegOutport.Name(), "", WriteDefault))

	// Logical registers: the expression code only handles overlapping
	// fields declared as subfields, so the narrower registers are carved
	// out of xxreg0/xxreg1 (and reg8/reg9 out of xreg4).
	const nLogRegs = pipeline.NumLogRegs
	for xx := 0; xx < nLogRegs/4; xx++ {
		must(st.AddField("xxreg"+strconv.Itoa(xx), "xxreg"+strconv.Itoa(xx), "", false, WriteDefault))
	}
	subreg := func(name, parent string, parentIdx, width, idx int) {
		lsb := width * idx
		must(st.AddSubfield(name, "", fmt.Sprintf("%s%d[%d..%d]", parent, parentIdx, lsb, lsb+width-1), WriteDefault))
	}
	for x := 0; x < nLogRegs/2; x++ {
		name := "xreg" + strconv.Itoa(x)
		if xx := x / 2; xx < nLogRegs/4 {
			subreg(name, "xxreg", xx, 64, 1-x%2)
		} else {
			must(st.AddField(name, name, "", false, WriteDefault))
		}
	}
	for i := 0; i < nLogRegs; i++ {
		name := "reg" + strconv.Itoa(i)
		switch {
		case i/4 < nLogRegs/4:
			subreg(name, "xxreg", i/4, 32, 3-i%4)
		case i/2 < nLogRegs/2:
			subreg(name, "xreg", i/2, 32, 1-i%2)
		default:
			must(st.AddField(name, name, "", false, WriteDefault))
		}
	}

	must(st.AddField("flags", pipeline.RegFlags.Name(), "", false, WriteDefault))
	for _, fl := range []struct {
		name string
		bit  int
	}{
		{"flags.loopback", pipeline.FlagAllowLoopbackBit},
		{"flags.force_snat_for_dnat", pipeline.FlagForceSNATForDNATBit},
		{"flags.force_snat_for_lb", pipeline.FlagForceSNATForLBBit},
		{"flags.skip_snat_for_lb", pipeline.FlagSkipSNATForLBBit},
		{"flags.use_snat_zone", pipeline.FlagUseSNATZoneBit},
		{"flags.localnet", pipeline.FlagLocalnetBit},
		{"flags.icmp_snat", pipeline.FlagICMPSNATBit},
		{"flags.tunnel_rx", pipeline.FlagRxFromTunnelBit},
	} {
		must(st.AddSubfield(fl.name, "", fmt.Sprintf("flags[%d]", fl.bit), WriteDefault))
	}

	bit := func(parent string, b int) string { return fmt.Sprintf("%s[%d]", parent, b) }
	must(st.AddField("ct_mark", "ct_mark", "", false, WriteCTCommit))
	must(st.AddSubfield("ct_mark.blocked", "", bit("ct_mark", pipeline.CTBlockedBit), WriteCTCommit))
	must(st.AddSubfield("ct_mark.natted", "", bit("ct_mark", pipeline.CTNattedBit), WriteCTCommit))
	must(st.AddSubfield("ct_mark.ecmp_reply_port", "", "ct_mark[16..31]", WriteCTCommit))
	must(st.AddSubfield("ct_mark.skip_snat", "", bit("ct_mark", pipeline.CTLBSkipSNATBit), WriteCTCommit))
	must(st.AddSubfield("ct_mark.force_snat", "", bit("ct_mark", pipeline.CTLBForceSNATBit), WriteCTCommit))

	must(st.AddField("ct_label", "ct_label", "", false, WriteCTCommit))
	must(st.AddSubfield("ct_label.blocked", "", bit("ct_label", pipeline.CTBlockedBit), WriteCTCommit))
	must(st.AddSubfield("ct_label.natted", "", bit("ct_label", pipeline.CTNattedBit), WriteCTCommit))
	must(st.AddSubfield("ct_label.ecmp_reply_eth", "", fmt.Sprintf("ct_label[%d..%d]", pipeline.CTECMPEthFirstBit, pipeline.CTECMPEthLastBit), WriteCTCommit))
	must(st.AddSubfield("ct_label.ecmp_reply_port", "", "ct_label[80..95]", WriteCTCommit))
	must(st.AddSubfield("ct_label.label", "", "ct_label[96..127]", WriteCTCommit))
	must(st.AddSubfield("ct_label.skip_snat", "", bit("ct_label", pipeline.CTLBSkipSNATBit), WriteCTCommit))
	must(st.AddSubfield("ct_label.force_snat", "", bit("ct_label", pipeline.CTLBForceSNATBit), WriteCTCommit))

	must(st.AddField("ct_state", "ct_state", "", false, WriteDefault))
	// OVS CS_* bits; every state but "trk" only means something once the
	// packet has been through conntrack.
	for i, name := range []string{"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"} {
		prereq := "ct.trk"
		if name == "trk" {
			prereq = ""
		}
		must(st.AddSubfield("ct."+name, prereq, bit("ct_state", i), WriteDefault))
	}

	must(st.AddField("eth.src", "eth_src", "", false, WriteDefault))
	must(st.AddField("eth.dst", "eth_dst", "", false, WriteDefault))
	must(st.AddField("eth.type", "eth_type", "", true, WriteDefault))
	must(st.AddPredicate("eth.bcast", "eth.dst == ff:ff:ff:ff:ff:ff"))
	must(st.AddSubfield("eth.mcast", "", "eth.dst[40]", WriteDefault))
	must(st.AddPredicate("eth.mcastv6", "eth.dst[32..47] == 0x3333"))

	must(st.AddField("vlan.tci", "vlan_tci", "", false, WriteDefault))
	must(st.AddPredicate("vlan.present", "vlan.tci[12]"))
	must(st.AddSubfield("vlan.pcp", "vlan.present", "vlan.tci[13..15]", WriteDefault))
	must(st.AddSubfield("vlan.vid", "vlan.present", "vlan.tci[0..11]", WriteDefault))

	must(st.AddPredicate("ip4", "eth.type == 0x800"))
	must(st.AddPredicate("ip6", "eth.type == 0x86dd"))
	must(st.AddPredicate("ip", "ip4 || ip6"))
	must(st.AddField("ip.proto", "nw_proto", "ip", true, WriteDefault))
	must(st.AddField("ip.dscp", "ip_dscp", "ip", false, WriteDefault))
	must(st.AddField("ip.ecn", "nw_ecn", "ip", false, WriteDefault))
	must(st.AddField("ip.ttl", "nw_ttl", "ip", false, WriteDefault))

	must(st.AddField("ip4.src", "ip_src", "ip4", false, WriteDefault))
	must(st.AddField("ip4.dst", "ip_dst", "ip4", false, WriteDefault))
	must(st.AddPredicate("ip4.src_mcast", "ip4.src[28..31] == 0xe"))
	must(st.AddPredicate("ip4.mcast", "eth.mcast && ip4.dst[28..31] == 0xe"))

	must(st.AddPredicate("icmp4", "ip4 && ip.proto == 1"))
	must(st.AddField("icmp4.type", "icmp_type", "icmp4", false, WriteDefault))
	must(st.AddField("icmp4.code", "icmp_code", "icmp4", false, WriteDefault))

	must(st.AddPredicate("igmp", "ip4 && ip.proto == 2"))

	must(st.AddField("ip6.src", "ipv6_src", "ip6", false, WriteDefault))
	must(st.AddField("ip6.dst", "ipv6_dst", "ip6", false, WriteDefault))
	must(st.AddField("ip6.label", "ipv6_label", "ip6", false, WriteDefault))

	// Well-known IPv6 multicast groups (RFC 4291, 2.7.1).
	must(st.AddPredicate("ip6.mcast_rsvd", "ip6.dst[116..127] == 0xff0 && ip6.dst[0..111] == 0x0"))
	must(st.AddPredicate("ip6.mcast_all_nodes", "ip6.dst == ff01::1 || ip6.dst == ff02::1"))
	must(st.AddPredicate("ip6.mcast_all_rtrs", "ip6.dst == ff01::2 || ip6.dst == ff02::2 || ip6.dst == ff05::2"))
	must(st.AddPredicate("ip6.mcast_sol_node", "ip6.dst == ff02::1:ff00:0000/104"))
	must(st.AddPredicate("ip6.mcast_flood", "eth.mcastv6 && (ip6.mcast_rsvd || ip6.mcast_all_nodes || ip6.mcast_all_rtrs || ip6.mcast_sol_node)"))
	must(st.AddPredicate("ip6.mcast", "eth.mcastv6 && ip6.dst[120..127] == 0xff"))

	must(st.AddPredicate("icmp6", "ip6 && ip.proto == 58"))
	must(st.AddField("icmp6.type", "icmpv6_type", "icmp6", true, WriteDefault))
	must(st.AddField("icmp6.code", "icmpv6_code", "icmp6", true, WriteDefault))

	must(st.AddPredicate("icmp", "icmp4 || icmp6"))

	must(st.AddField("ip.frag", "ip_frag", "ip", false, WriteDefault))
	must(st.AddPredicate("ip.is_frag", "ip.frag[0]"))
	must(st.AddPredicate("ip.later_frag", "ip.frag[1]"))
	must(st.AddPredicate("ip.first_frag", "ip.is_frag && !ip.later_frag"))

	must(st.AddPredicate("arp", "eth.type == 0x806"))
	must(st.AddField("arp.op", "arp_op", "arp", false, WriteDefault))
	must(st.AddField("arp.spa", "arp_spa", "arp", false, WriteDefault))
	must(st.AddField("arp.sha", "arp_sha", "arp", false, WriteDefault))
	must(st.AddField("arp.tpa", "arp_tpa", "arp", false, WriteDefault))
	must(st.AddField("arp.tha", "arp_tha", "arp", false, WriteDefault))

	// RARP has the ARP layout, so it uses the same OVS fields.
	must(st.AddPredicate("rarp", "eth.type == 0x8035"))
	must(st.AddField("rarp.op", "arp_op", "rarp", false, WriteDefault))
	must(st.AddField("rarp.spa", "arp_spa", "rarp", false, WriteDefault))
	must(st.AddField("rarp.sha", "arp_sha", "rarp", false, WriteDefault))
	must(st.AddField("rarp.tpa", "arp_tpa", "rarp", false, WriteDefault))
	must(st.AddField("rarp.tha", "arp_tha", "rarp", false, WriteDefault))

	must(st.AddPredicate("nd", "icmp6.type == {135, 136} && icmp6.code == 0 && ip.ttl == 255"))
	must(st.AddPredicate("nd_ns", "icmp6.type == 135 && icmp6.code == 0 && ip.ttl == 255"))
	must(st.AddPredicate("nd_na", "icmp6.type == 136 && icmp6.code == 0 && ip.ttl == 255"))
	must(st.AddPredicate("nd_rs", "icmp6.type == 133 && icmp6.code == 0 && ip.ttl == 255"))
	must(st.AddPredicate("nd_ra", "icmp6.type == 134 && icmp6.code == 0 && ip.ttl == 255"))
	must(st.AddField("nd.target", "nd_target", "nd", false, WriteDefault))
	must(st.AddField("nd.sll", "nd_sll", "nd_ns", false, WriteDefault))
	must(st.AddField("nd.tll", "nd_tll", "nd_na", false, WriteDefault))

	// MLD: v1 from link-local sources (RFC 2710), v2 reports to ff02::16
	// (RFC 3810).
	must(st.AddPredicate("mldv1", "ip6.src == fe80::/10 && icmp6.type == {130, 131, 132}"))
	must(st.AddPredicate("mldv2", "ip6.dst == ff02::16 && icmp6.type == 143"))

	must(st.AddPredicate("tcp", "ip.proto == 6"))
	must(st.AddField("tcp.src", "tcp_src", "tcp", false, WriteDefault))
	must(st.AddField("tcp.dst", "tcp_dst", "tcp", false, WriteDefault))
	must(st.AddField("tcp.flags", "tcp_flags", "tcp", false, WriteDefault))

	must(st.AddPredicate("udp", "ip.proto == 17"))
	must(st.AddField("udp.src", "udp_src", "udp", false, WriteDefault))
	must(st.AddField("udp.dst", "udp_dst", "udp", false, WriteDefault))

	must(st.AddPredicate("sctp", "ip.proto == 132"))
	must(st.AddField("sctp.src", "sctp_src", "sctp", false, WriteDefault))
	must(st.AddField("sctp.dst", "sctp_dst", "sctp", false, WriteDefault))

	must(st.AddField("pkt.mark", "pkt_mark", "", false, WriteDefault))

	must(st.AddOVNField("icmp4.frag_mtu", 2, 16))
	must(st.AddOVNField("icmp6.frag_mtu", 4, 32))
	return st
}

// AddTestSymbols adds the five symbols upstream's test driver adds for
// negative tests (bad_prereq, self_recurse, mutual_recurse_1/2,
// big_string). Production code never calls it.
func (st *Symtab) AddTestSymbols() {
	must(st.AddField("bad_prereq", "xreg0", "xyzzy", false, WriteDefault))
	must(st.AddField("self_recurse", "xreg0", "self_recurse != 0", false, WriteDefault))
	must(st.AddField("mutual_recurse_1", "xreg0", "mutual_recurse_2 != 0", false, WriteDefault))
	must(st.AddField("mutual_recurse_2", "xreg0", "mutual_recurse_1 != 0", false, WriteDefault))
	must(st.AddString("big_string", "xreg0", "", WriteDefault))
}
