package actions

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/expr"
)

// Pipeline is a logical pipeline.
type Pipeline int

// Logical pipelines.
const (
	Ingress Pipeline = iota
	Egress
)

func (p Pipeline) String() string {
	if p == Egress {
		return "egress"
	}
	return "ingress"
}

// Action is one parsed logical action.
type Action interface {
	// format appends the canonical text of the action (ovnacts_format).
	format(sb *strings.Builder)
	// encode appends the action's OpenFlow translation.
	encode(e *encoder)
}

// Actions is a parsed action list. The empty list is "drop;".
type Actions []Action

// String formats the actions canonically, as ovnacts_format() does.
func (as Actions) String() string {
	var sb strings.Builder
	as.format(&sb)
	return sb.String()
}

func (as Actions) format(sb *strings.Builder) {
	if len(as) == 0 {
		sb.WriteString("drop;")
		return
	}
	for i, a := range as {
		if i > 0 {
			sb.WriteByte(' ')
		}
		a.format(sb)
	}
}

// Field is a reference to a symbol or a bit range of it (NBits is 0 for
// string fields such as inport).
type Field = expr.Field

// Constant is an integer or string constant.
type Constant = expr.Constant

// ConstantSet is a constant or a {}-enclosed list of constants.
type ConstantSet = expr.ConstantSet

// Simple actions without arguments.

// SimpleKind names an argument-less action.
type SimpleKind int

// Argument-less actions.
const (
	ActOutput SimpleKind = iota
	ActDecTTL
	ActCTClear
	ActIGMP
	ActDHCP6Reply
	ActCTSnatToVIP
	ActBFDMsg
	ActMACCacheUse
)

// Simple is an action that takes no arguments (output, ip.ttl--, ct_clear,
// igmp, handle_dhcpv6_reply, ct_snat_to_vip, handle_bfd_msg(),
// mac_cache_use).
type Simple struct{ Kind SimpleKind }

var simpleText = map[SimpleKind]string{
	ActOutput:      "output;",
	ActDecTTL:      "ip.ttl--;",
	ActCTClear:     "ct_clear;",
	ActIGMP:        "igmp;",
	ActDHCP6Reply:  "handle_dhcpv6_reply;",
	ActCTSnatToVIP: "ct_snat_to_vip;",
	ActBFDMsg:      "handle_bfd_msg();",
	ActMACCacheUse: "mac_cache_use;",
}

func (a *Simple) format(sb *strings.Builder) { sb.WriteString(simpleText[a.Kind]) }

// Next is next; / next(N); / next(pipeline=P, table=N);.
type Next struct {
	Pipeline, SrcPipeline Pipeline
	Table, SrcTable       int
}

func (a *Next) format(sb *strings.Builder) {
	switch {
	case a.Pipeline != a.SrcPipeline:
		fmt.Fprintf(sb, "next(pipeline=%s, table=%d);", a.Pipeline, a.Table)
	case a.Table != a.SrcTable+1:
		fmt.Fprintf(sb, "next(%d);", a.Table)
	default:
		sb.WriteString("next;")
	}
}

// Load is FIELD = CONSTANT; (also the OVN-field loads icmp4.frag_mtu and
// icmp6.frag_mtu).
type Load struct {
	Dst Field
	Imm Constant
}

func (a *Load) format(sb *strings.Builder) {
	if a.Dst.Symbol.OVNField != nil {
		v := uint16(a.Imm.Value[expr.SubvalueBytes-2])<<8 | uint16(a.Imm.Value[expr.SubvalueBytes-1])
		fmt.Fprintf(sb, "%s = %d;", a.Dst.Symbol.Name, v)
		return
	}
	sb.WriteString(a.Dst.String())
	sb.WriteString(" = ")
	typ := expr.IntegerConst
	if a.Dst.Symbol.Width == 0 {
		typ = expr.StringConst
	}
	sb.WriteString(a.Imm.Text(typ))
	sb.WriteByte(';')
}

// Move is DST = SRC; between fields; Exchange is DST <-> SRC;.
type Move struct {
	LHS, RHS Field
	Exchange bool
}

func (a *Move) format(sb *strings.Builder) {
	op := "="
	if a.Exchange {
		op = "<->"
	}
	fmt.Fprintf(sb, "%s %s %s;", a.LHS, op, a.RHS)
}

// PushPop is push(F); or pop(F);.
type PushPop struct {
	Field Field
	Pop   bool
}

func (a *PushPop) format(sb *strings.Builder) {
	name := "push"
	if a.Pop {
		name = "pop"
	}
	fmt.Fprintf(sb, "%s(%s);", name, a.Field)
}

// CTNext is ct_next;.
type CTNext struct{ Table int }

func (a *CTNext) format(sb *strings.Builder) { sb.WriteString("ct_next;") }

// CTCommitV1 is the legacy ct_commit(ct_mark=..., ct_label=...);.
type CTCommitV1 struct {
	Mark, MarkMask   uint32
	Label, LabelMask [16]byte
}

func (a *CTCommitV1) format(sb *strings.Builder) {
	var s strings.Builder
	s.WriteString("ct_commit(")
	if a.MarkMask != 0 {
		s.WriteString("ct_mark=" + cHexAlt(uint64(a.Mark)))
		if a.MarkMask != ^uint32(0) {
			s.WriteString("/" + cHexAlt(uint64(a.MarkMask)))
		}
	}
	if a.LabelMask != [16]byte{} {
		if !strings.HasSuffix(s.String(), "(") {
			s.WriteString(", ")
		}
		s.WriteString("ct_label=" + hexBytes(a.Label[:]))
		if a.LabelMask != allOnes16 {
			s.WriteString("/" + hexBytes(a.LabelMask[:]))
		}
	}
	out := s.String()
	if strings.HasSuffix(out, "(") {
		out = strings.TrimSuffix(out, "(")
	} else {
		out += ")"
	}
	sb.WriteString(out + ";")
}

var allOnes16 = [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// cHexAlt formats like C's "%#x": "0" for zero, else "0x..." .
func cHexAlt(v uint64) string {
	if v == 0 {
		return "0"
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// hexBytes formats like OVS ds_put_hex(): "0x" and the value without
// leading zeros, "0x0" for zero.
func hexBytes(b []byte) string {
	var sb strings.Builder
	sb.WriteString("0x")
	started := false
	for _, x := range b {
		if !started {
			if x == 0 {
				continue
			}
			started = true
			sb.WriteString(strconv.FormatUint(uint64(x), 16))
			continue
		}
		fmt.Fprintf(&sb, "%02x", x)
	}
	if !started {
		sb.WriteByte('0')
	}
	return sb.String()
}

// NestKind names an action with nested actions in braces.
type NestKind int

// Actions with nested actions.
const (
	NestCTCommit NestKind = iota
	NestClone
	NestARP
	NestICMP4
	NestICMP4Error
	NestICMP6
	NestICMP6Error
	NestTCPReset
	NestSCTPAbort
	NestNDNA
	NestNDNARouter
	NestNDNS
	NestReject
)

var nestNames = map[NestKind]string{
	NestCTCommit:   "ct_commit",
	NestClone:      "clone",
	NestARP:        "arp",
	NestICMP4:      "icmp4",
	NestICMP4Error: "icmp4_error",
	NestICMP6:      "icmp6",
	NestICMP6Error: "icmp6_error",
	NestTCPReset:   "tcp_reset",
	NestSCTPAbort:  "sctp_abort",
	NestNDNA:       "nd_na",
	NestNDNARouter: "nd_na_router",
	NestNDNS:       "nd_ns",
	NestReject:     "reject",
}

// Nest is an action with nested actions: ct_commit { }, clone { }, arp { },
// icmp4 { }, nd_na { } and the like.
type Nest struct {
	Kind   NestKind
	Nested Actions
}

func (a *Nest) format(sb *strings.Builder) {
	if a.Kind == NestCTCommit && len(a.Nested) == 0 {
		sb.WriteString("ct_commit;")
		return
	}
	sb.WriteString(nestNames[a.Kind])
	sb.WriteString(" { ")
	a.Nested.format(sb)
	sb.WriteString(" };")
}

// NATKind distinguishes ct_dnat, ct_snat and their _in_czone variants.
type NATKind int

// NAT actions.
const (
	NATDst NATKind = iota
	NATSrc
	NATDstInCZone
	NATSrcInCZone
)

var natNames = map[NATKind]string{NATDst: "ct_dnat", NATSrc: "ct_snat", NATDstInCZone: "ct_dnat_in_czone", NATSrcInCZone: "ct_snat_in_czone"}

// CTNat is ct_dnat / ct_snat / ct_dnat_in_czone / ct_snat_in_czone, with an
// optional address and port range.
type CTNat struct {
	Kind           NATKind
	IP             netip.Addr // invalid when no address was given
	HasPortRange   bool
	PortLo, PortHi uint16
	Commit         bool
	Table          int
}

func (a *CTNat) format(sb *strings.Builder) {
	sb.WriteString(natNames[a.Kind])
	if a.IP.IsValid() {
		sb.WriteString("(" + a.IP.String() + ")")
	}
	if a.HasPortRange {
		s := strings.TrimSuffix(sb.String(), ")")
		sb.Reset()
		sb.WriteString(s)
		fmt.Fprintf(sb, ",%d", a.PortLo)
		if a.PortHi != 0 {
			fmt.Fprintf(sb, "-%d", a.PortHi)
		}
		sb.WriteByte(')')
	}
	sb.WriteByte(';')
}

// CTCommitNat is ct_commit_nat(dnat|snat);.
type CTCommitNat struct {
	DNATZone bool
	Table    int
}

func (a *CTCommitNat) format(sb *strings.Builder) {
	if a.DNATZone {
		sb.WriteString("ct_commit_nat(dnat);")
	} else {
		sb.WriteString("ct_commit_nat(snat);")
	}
}

// LBFlag is the optional skip_snat / force_snat of ct_lb.
type LBFlag int

// ct_lb flags.
const (
	LBFlagNone LBFlag = iota
	LBFlagSkipSNAT
	LBFlagForceSNAT
)

// LBBackend is one ct_lb backend.
type LBBackend struct {
	IP   netip.Addr
	Port uint16
}

// CTLB is ct_lb / ct_lb_mark with optional backends.
type CTLB struct {
	Mark       bool
	Backends   []LBBackend
	Table      int
	HashFields string
	HasHash    bool
	Flag       LBFlag
}

func (a *CTLB) format(sb *strings.Builder) {
	if a.Mark {
		sb.WriteString("ct_lb_mark")
	} else {
		sb.WriteString("ct_lb")
	}
	if len(a.Backends) > 0 {
		sb.WriteString("(backends=")
		for i, b := range a.Backends {
			if i > 0 {
				sb.WriteByte(',')
			}
			if b.IP.Is4() {
				sb.WriteString(b.IP.String())
				if b.Port != 0 {
					fmt.Fprintf(sb, ":%d", b.Port)
				}
			} else {
				if b.Port != 0 {
					sb.WriteByte('[')
				}
				sb.WriteString(b.IP.String())
				if b.Port != 0 {
					fmt.Fprintf(sb, "]:%d", b.Port)
				}
			}
		}
		if a.HasHash {
			fmt.Fprintf(sb, "; hash_fields=\"%s\"", a.HashFields)
		}
		switch a.Flag {
		case LBFlagSkipSNAT:
			sb.WriteString("; skip_snat")
		case LBFlagForceSNAT:
			sb.WriteString("; force_snat")
		}
		sb.WriteByte(')')
	}
	sb.WriteByte(';')
}

// SelectMember is one id=weight of select().
type SelectMember struct{ ID, Weight uint16 }

// Select is R = select(id=weight, ...);.
type Select struct {
	Res     Field
	Members []SelectMember
	Table   int
}

func (a *Select) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "%s = select(", a.Res)
	for i, m := range a.Members {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(sb, "%d=%d", m.ID, m.Weight)
	}
	sb.WriteString(");")
}

// GetMAC is get_arp(port, ip); (ND false) or get_nd(port, ip6); (ND true).
type GetMAC struct {
	ND       bool
	Port, IP Field
}

func (a *GetMAC) format(sb *strings.Builder) {
	name := "get_arp"
	if a.ND {
		name = "get_nd"
	}
	fmt.Fprintf(sb, "%s(%s, %s);", name, a.Port, a.IP)
}

// PutMAC is put_arp(port, ip, mac); or put_nd(port, ip6, mac);.
type PutMAC struct {
	ND            bool
	Port, IP, MAC Field
}

func (a *PutMAC) format(sb *strings.Builder) {
	name := "put_arp"
	if a.ND {
		name = "put_nd"
	}
	fmt.Fprintf(sb, "%s(%s, %s, %s);", name, a.Port, a.IP, a.MAC)
}

// LookupMAC is R = lookup_arp(port, ip, mac); or lookup_nd(...); and, with
// NoMAC, R = lookup_arp_ip(port, ip); / lookup_nd_ip(port, ip6);.
type LookupMAC struct {
	ND, NoMAC          bool
	Dst, Port, IP, MAC Field
}

func (a *LookupMAC) format(sb *strings.Builder) {
	name := "lookup_arp"
	if a.ND {
		name = "lookup_nd"
	}
	if a.NoMAC {
		fmt.Fprintf(sb, "%s = %s_ip(%s, %s);", a.Dst, name, a.Port, a.IP)
		return
	}
	fmt.Fprintf(sb, "%s = %s(%s, %s, %s);", a.Dst, name, a.Port, a.IP, a.MAC)
}

// OptionValue is one NAME = VALUE of put_*_opts or trigger_event.
type OptionValue struct {
	Option Option
	Value  ConstantSet
}

// OptsKind names the put_*_opts actions.
type OptsKind int

// put_*_opts actions.
const (
	OptsDHCPv4 OptsKind = iota
	OptsDHCPv6
	OptsNDRA
)

var optsNames = map[OptsKind]string{OptsDHCPv4: "put_dhcp_opts", OptsDHCPv6: "put_dhcpv6_opts", OptsNDRA: "put_nd_ra_opts"}

// PutOpts is R = put_dhcp_opts(...); / put_dhcpv6_opts / put_nd_ra_opts.
type PutOpts struct {
	Kind    OptsKind
	Dst     Field
	Options []OptionValue
}

func (a *PutOpts) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "%s = %s(", a.Dst, optsNames[a.Kind])
	for i := range a.Options {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(a.Options[i].Option.Name + " = ")
		sb.WriteString(a.Options[i].Value.String())
	}
	sb.WriteString(");")
}

// SetQueue is set_queue(N);.
type SetQueue struct{ QueueID uint16 }

func (a *SetQueue) format(sb *strings.Builder) { fmt.Fprintf(sb, "set_queue(%d);", a.QueueID) }

// ResultKind names the R = name(); actions.
type ResultKind int

// R = name(); actions.
const (
	ResDNSLookup ResultKind = iota
	ResChkLBHairpin
	ResChkLBHairpinReply
	ResCheckInPortSec
	ResCheckOutPortSec
	ResChkECMPNHMAC
	ResChkECMPNH
	ResChkLBAff
)

var resultNames = map[ResultKind]string{
	ResDNSLookup:         "dns_lookup",
	ResChkLBHairpin:      "chk_lb_hairpin",
	ResChkLBHairpinReply: "chk_lb_hairpin_reply",
	ResCheckInPortSec:    "check_in_port_sec",
	ResCheckOutPortSec:   "check_out_port_sec",
	ResChkECMPNHMAC:      "chk_ecmp_nh_mac",
	ResChkECMPNH:         "chk_ecmp_nh",
	ResChkLBAff:          "chk_lb_aff",
}

// Result is R = dns_lookup(); and the other 1-bit result actions without
// arguments.
type Result struct {
	Kind ResultKind
	Dst  Field
}

func (a *Result) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "%s = %s();", a.Dst, resultNames[a.Kind])
}

// Log verdicts and severities (lib/acl-log.h).
const (
	VerdictAllow   = 0
	VerdictDrop    = 1
	VerdictReject  = 2
	VerdictUnknown = 255

	SeverityAlert   = 1
	SeverityWarning = 4
	SeverityNotice  = 5
	SeverityInfo    = 6
	SeverityDebug   = 7
)

// VerdictString names a log verdict as OVN does.
func VerdictString(v uint8) string {
	switch v {
	case VerdictAllow:
		return "allow"
	case VerdictDrop:
		return "drop"
	case VerdictReject:
		return "reject"
	}
	return "<unknown>"
}

// SeverityString names a log severity as OVN does.
func SeverityString(s uint8) string {
	switch s {
	case SeverityAlert:
		return "alert"
	case SeverityWarning:
		return "warning"
	case SeverityNotice:
		return "notice"
	case SeverityInfo:
		return "info"
	case SeverityDebug:
		return "debug"
	}
	return "<unknown>"
}

func severityFromString(s string) (uint8, bool) {
	switch s {
	case "alert":
		return SeverityAlert, true
	case "warning":
		return SeverityWarning, true
	case "notice":
		return SeverityNotice, true
	case "info":
		return SeverityInfo, true
	case "debug":
		return SeverityDebug, true
	}
	return 0, false
}

// Log is log(verdict=..., severity=..., name="...", meter="...");.
type Log struct {
	Verdict, Severity uint8
	Name, Meter       string
	HasName, HasMeter bool
}

func (a *Log) format(sb *strings.Builder) {
	sb.WriteString("log(")
	if a.HasName {
		fmt.Fprintf(sb, "name=\"%s\", ", a.Name)
	}
	fmt.Fprintf(sb, "verdict=%s, severity=%s", VerdictString(a.Verdict), SeverityString(a.Severity))
	if a.HasMeter {
		fmt.Fprintf(sb, ", meter=\"%s\"", a.Meter)
	}
	sb.WriteString(");")
}

// SetMeter is set_meter(rate[, burst]);.
type SetMeter struct{ Rate, Burst uint64 }

func (a *SetMeter) format(sb *strings.Builder) {
	if a.Burst != 0 {
		fmt.Fprintf(sb, "set_meter(%d, %d);", int64(a.Rate), int64(a.Burst))
	} else {
		fmt.Fprintf(sb, "set_meter(%d);", int64(a.Rate))
	}
}

// CheckPktLarger is R = check_pkt_larger(L);.
type CheckPktLarger struct {
	Dst    Field
	PktLen uint16
}

func (a *CheckPktLarger) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "%s = check_pkt_larger(%d);", a.Dst, a.PktLen)
}

// TriggerEvent is trigger_event(event = "...", ...);.
type TriggerEvent struct {
	Event   ControllerEvent
	Options []OptionValue
}

func (a *TriggerEvent) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "trigger_event(event = \"%s\"", a.Event.Name)
	for i := range a.Options {
		sb.WriteString(", " + a.Options[i].Option.Name + " = ")
		sb.WriteString(a.Options[i].Value.String())
	}
	sb.WriteString(");")
}

// BindVport is bind_vport("vport", parent);.
type BindVport struct {
	Vport  string
	Parent Field
}

func (a *BindVport) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "bind_vport(\"%s\", %s);", a.Vport, a.Parent)
}

// HandleSvcCheck is handle_svc_check(port);.
type HandleSvcCheck struct{ Port Field }

func (a *HandleSvcCheck) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "handle_svc_check(%s);", a.Port)
}

// FwdGroup is fwd_group(liveness=..., childports=...);.
type FwdGroup struct {
	Liveness   bool
	ChildPorts []string
	Table      int
}

func (a *FwdGroup) format(sb *strings.Builder) {
	sb.WriteString("fwd_group(")
	if a.Liveness {
		sb.WriteString("liveness=\"true\", ")
	}
	if len(a.ChildPorts) > 0 {
		sb.WriteString("childports=")
		for i, p := range a.ChildPorts {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(sb, "\"%s\"", p)
		}
	}
	sb.WriteString(");")
}

// PutFDB is put_fdb(port, mac);.
type PutFDB struct{ Port, MAC Field }

func (a *PutFDB) format(sb *strings.Builder) { fmt.Fprintf(sb, "put_fdb(%s, %s);", a.Port, a.MAC) }

// GetFDB is P = get_fdb(mac);.
type GetFDB struct{ Dst, MAC Field }

func (a *GetFDB) format(sb *strings.Builder) { fmt.Fprintf(sb, "%s = get_fdb(%s);", a.Dst, a.MAC) }

// LookupFDB is R = lookup_fdb(port, mac);.
type LookupFDB struct{ Dst, Port, MAC Field }

func (a *LookupFDB) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "%s = lookup_fdb(%s, %s);", a.Dst, a.Port, a.MAC)
}

// IP protocol numbers used by commit_ecmp_nh and commit_lb_aff.
const (
	ProtoTCP  = 6
	ProtoUDP  = 17
	ProtoSCTP = 132
)

func protoName(p uint8) string {
	switch p {
	case ProtoUDP:
		return "udp"
	case ProtoSCTP:
		return "sctp"
	}
	return "tcp"
}

// CommitECMPNH is commit_ecmp_nh(ipv6 = B, proto = P);.
type CommitECMPNH struct {
	IPv6  bool
	Proto uint8
}

func (a *CommitECMPNH) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "commit_ecmp_nh(ipv6 = %t, proto = %s);", a.IPv6, protoName(a.Proto))
}

// CommitLBAff is commit_lb_aff(vip = "...", backend = "...", proto = P,
// timeout = T);. Addresses are IPv6 or IPv4-mapped IPv6.
type CommitLBAff struct {
	VIP, Backend         netip.Addr
	VIPPort, BackendPort uint16
	Proto                uint8
	Timeout              uint16
}

func (a *CommitLBAff) format(sb *strings.Builder) {
	ipv6 := !a.VIP.Is4In6()
	addr := func(ip netip.Addr) string {
		if ipv6 {
			return "[" + ip.String() + "]"
		}
		return ip.Unmap().String()
	}
	fmt.Fprintf(sb, "commit_lb_aff(vip = \"%s", addr(a.VIP))
	if a.VIPPort != 0 {
		fmt.Fprintf(sb, ":%d", a.VIPPort)
	}
	fmt.Fprintf(sb, "\", backend = \"%s", addr(a.Backend))
	if a.BackendPort != 0 {
		fmt.Fprintf(sb, ":%d", a.BackendPort)
	}
	sb.WriteString("\"")
	if a.Proto != 0 {
		sb.WriteString(", proto = " + protoName(a.Proto))
	}
	fmt.Fprintf(sb, ", timeout = %d);", a.Timeout)
}

// Sample is sample(probability=..., collector_set=..., obs_domain=...,
// obs_point=...|$cookie);.
type Sample struct {
	Probability  uint16
	ObsDomain    uint8
	CollectorSet uint32
	ObsPoint     uint32
	UseCookie    bool
}

func (a *Sample) format(sb *strings.Builder) {
	fmt.Fprintf(sb, "sample(probability=%d,collector_set=%d,obs_domain=%d", a.Probability, a.CollectorSet, a.ObsDomain)
	if a.UseCookie {
		sb.WriteString(",obs_point=$cookie")
	} else {
		fmt.Fprintf(sb, ",obs_point=%d", a.ObsPoint)
	}
	sb.WriteString(");")
}
