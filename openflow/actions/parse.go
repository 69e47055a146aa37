package actions

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/chassisd/chassisd/openflow/expr"
)

// ParseParams is the context a logical flow's actions are parsed in
// (struct ovnact_parse_params).
type ParseParams struct {
	Symtab           *expr.Symtab
	DHCPOptions      OptionTable
	DHCPv6Options    OptionTable
	NDRAOptions      OptionTable
	ControllerEvents map[string]ControllerEvent

	// Pipeline is the flow's pipeline; "next" jumps within it by default.
	Pipeline Pipeline
	// NTables is the number of logical tables; "next" may not go beyond
	// NTables-1. CurTable is the flow's logical table.
	NTables  int
	CurTable int
}

const maxNestedDepth = 32

type parser struct {
	lx      *expr.Lexer
	pp      *ParseParams
	prereqs *expr.Expr
	depth   int
	scope   expr.WriteScope
	acts    *Actions
}

// Parse parses an action string. It returns the actions and their
// prerequisites (nil when there are none), or an error worded as OVN words
// it.
func Parse(s string, pp *ParseParams) (Actions, *expr.Expr, error) {
	lx := expr.NewLexer(s)
	lx.Get()
	p := &parser{lx: lx, pp: pp, scope: expr.WriteDefault}
	var acts Actions
	p.acts = &acts
	if !p.lx.HasError() {
		p.parseActions(expr.TokEnd)
	}
	if p.lx.HasError() {
		return nil, nil, &ParseError{Msg: p.lx.ErrorMessage()}
	}
	return acts, p.prereqs, nil
}

// ParseError is a parse failure; Msg is OVN's exact message.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

func (p *parser) add(a Action) { *p.acts = append(*p.acts, a) }

// addPrerequisite parses s (without annotating it) and adds it to the
// prerequisites, as add_prerequisite() does.
func (p *parser) addPrerequisite(s string) {
	e, err := expr.ParseString(s, p.pp.Symtab, nil)
	if err != nil {
		panic(fmt.Sprintf("actions: built-in prerequisite %q: %v", s, err))
	}
	p.prereqs = expr.Combine(expr.And, p.prereqs, e)
}

// parseField is expr_field_parse(): a field reference whose symbol's
// prerequisites join the action's.
func (p *parser) parseField(f *Field) bool {
	fld, pre, ok := expr.ParseField(p.lx, p.pp.Symtab)
	*f = fld
	if ok {
		p.prereqs = expr.Combine(expr.And, p.prereqs, pre)
	}
	return ok
}

func typeCheck(f *Field, nBits int, rw bool, scope expr.WriteScope) string {
	return expr.TypeCheck(*f, nBits, rw, scope)
}

func (p *parser) parseActions(sentinel expr.TokenType) {
	lx := p.lx
	if lx.Token.Type == expr.TokID && lx.Token.S == "drop" && lx.Lookahead() == expr.TokSemicolon {
		lx.Get()
		lx.Get()
		lx.ForceMatch(sentinel)
		return
	}
	for !lx.Match(sentinel) {
		if !p.parseAction() {
			return
		}
	}
}

func (p *parser) parseAction() bool {
	lx := p.lx
	if lx.Token.Type == expr.TokTemplate {
		lx.Error("Unexpanded template.")
		return false
	}
	if lx.Token.Type != expr.TokID {
		lx.SyntaxError("")
		return false
	}
	la := lx.Lookahead()
	if la == expr.TokEquals || la == expr.TokExchange || la == expr.TokLSquare {
		p.parseSetAction()
	} else {
		p.parseKeywordAction()
	}
	lx.ForceMatch(expr.TokSemicolon)
	return !lx.HasError()
}

// Keyword actions without arguments, and packet-generating actions with
// the prerequisite that replaces their nested actions' ones.
var simpleActions = map[string]SimpleKind{
	"output": ActOutput, "ct_clear": ActCTClear, "igmp": ActIGMP,
	"handle_dhcpv6_reply": ActDHCP6Reply, "ct_snat_to_vip": ActCTSnatToVIP,
	"mac_cache_use": ActMACCacheUse,
}
var nestedActions = map[string]struct {
	kind   NestKind
	prereq string
}{
	"arp": {NestARP, "ip4"}, "icmp4": {NestICMP4, "ip4"}, "icmp4_error": {NestICMP4Error, "ip4"},
	"icmp6": {NestICMP6, "ip6"}, "icmp6_error": {NestICMP6Error, "ip6"}, "tcp_reset": {NestTCPReset, "tcp"},
	"sctp_abort": {NestSCTPAbort, "sctp"}, "nd_na": {NestNDNA, "nd_ns"}, "nd_na_router": {NestNDNARouter, "nd_ns"},
	"nd_ns": {NestNDNS, "ip6"},
}

func (p *parser) parseKeywordAction() {
	lx := p.lx
	name := lx.Token.S
	if k, ok := simpleActions[name]; ok {
		lx.Get()
		p.add(&Simple{Kind: k})
		return
	}
	if n, ok := nestedActions[name]; ok {
		lx.Get()
		p.parseNested(n.kind, n.prereq, p.scope)
		return
	}
	switch name {
	case "next":
		lx.Get()
		p.parseNext()
	case "push", "pop":
		lx.Get()
		p.parsePushPop(name == "push")
	case "ip.ttl":
		lx.Get()
		lx.ForceMatch(expr.TokDecrement)
		p.add(&Simple{Kind: ActDecTTL})
		p.addPrerequisite("ip")
	case "ct_next":
		lx.Get()
		if p.pp.CurTable >= p.pp.NTables {
			lx.Error("\"ct_next\" action not allowed in last table.")
			return
		}
		p.addPrerequisite("ip")
		p.add(&CTNext{Table: p.pp.CurTable + 1})
	case "ct_commit":
		lx.Get()
		p.parseCTCommit()
	case "ct_dnat":
		lx.Get()
		p.parseCTNat("ct_dnat", NATDst)
	case "ct_snat":
		lx.Get()
		p.parseCTNat("ct_snat", NATSrc)
	case "ct_dnat_in_czone":
		lx.Get()
		p.parseCTNat("ct_dnat_in_czone", NATDstInCZone)
	case "ct_snat_in_czone":
		lx.Get()
		p.parseCTNat("ct_snat_in_czone", NATSrcInCZone)
	case "ct_lb", "ct_lb_mark":
		lx.Get()
		p.parseCTLB(name == "ct_lb_mark")
	case "ct_commit_nat":
		lx.Get()
		p.parseCTCommitNat()
	case "clone":
		lx.Get()
		p.parseNested(NestClone, "", expr.WriteDefault)
	case "reject":
		lx.Get()
		p.parseNested(NestReject, "", p.scope)
	case "get_arp", "get_nd":
		lx.Get()
		p.parseGetMAC(name == "get_nd")
	case "put_arp", "put_nd":
		lx.Get()
		p.parsePutMAC(name == "put_nd")
	case "set_queue":
		lx.Get()
		p.parseSetQueue()
	case "log":
		lx.Get()
		p.parseLog()
	case "set_meter":
		lx.Get()
		p.parseSetMeter()
	case "trigger_event":
		lx.Get()
		p.parseTriggerEvent()
	case "bind_vport":
		lx.Get()
		p.parseBindVport()
	case "handle_svc_check":
		lx.Get()
		if !lx.ForceMatch(expr.TokLParen) {
			return
		}
		a := &HandleSvcCheck{}
		p.add(a)
		p.parseTypedField(0, false, &a.Port)
		lx.ForceMatch(expr.TokRParen)
	case "fwd_group":
		lx.Get()
		p.parseFwdGroup()
	case "handle_bfd_msg":
		lx.Get()
		if !lx.ForceMatch(expr.TokLParen) {
			return
		}
		p.add(&Simple{Kind: ActBFDMsg})
		lx.ForceMatch(expr.TokRParen)
	case "put_fdb":
		lx.Get()
		a := &PutFDB{}
		p.add(a)
		lx.ForceMatch(expr.TokLParen)
		p.parseTypedField(0, false, &a.Port)
		lx.ForceMatch(expr.TokComma)
		p.parseTypedField(48, false, &a.MAC)
		lx.ForceMatch(expr.TokRParen)
	case "commit_ecmp_nh":
		lx.Get()
		p.parseCommitECMPNH()
	case "commit_lb_aff":
		lx.Get()
		p.parseCommitLBAff()
	case "sample":
		lx.Get()
		p.parseSample()
	default:
		lx.SyntaxError("expecting action")
	}
}

// parseTypedField is action_parse_field().
func (p *parser) parseTypedField(nBits int, rw bool, f *Field) bool {
	if !p.parseField(f) {
		return false
	}
	if msg := typeCheck(f, nBits, rw, p.scope); msg != "" {
		p.lx.Error("%s", msg)
		return false
	}
	return true
}

func (p *parser) checkDst(f *Field, nBits int) bool {
	if msg := typeCheck(f, nBits, true, p.scope); msg != "" {
		p.lx.Error("%s", msg)
		return false
	}
	return true
}

func (p *parser) parseNext() {
	lx := p.lx
	pp := p.pp
	if pp.NTables == 0 {
		lx.Error("\"next\" action not allowed here.")
		return
	}
	pipeline := pp.Pipeline
	table := pp.CurTable + 1
	if lx.Match(expr.TokLParen) {
		if lx.IsInt() {
			table, _ = lx.GetInt()
		} else {
			for {
				if lx.MatchID("pipeline") {
					if !lx.ForceMatch(expr.TokEquals) {
						return
					}
					switch {
					case lx.MatchID("ingress"):
						pipeline = Ingress
					case lx.MatchID("egress"):
						pipeline = Egress
					default:
						lx.SyntaxError("expecting \"ingress\" or \"egress\"")
						return
					}
				} else if lx.MatchID("table") {
					var ok bool
					if !lx.ForceMatch(expr.TokEquals) {
						return
					}
					if table, ok = lx.ForceInt(); !ok {
						return
					}
				} else {
					lx.SyntaxError("expecting \"pipeline\" or \"table\"")
					return
				}
				if !lx.Match(expr.TokComma) {
					break
				}
			}
		}
		if !lx.ForceMatch(expr.TokRParen) {
			return
		}
	}
	if table >= pp.NTables {
		lx.Error("\"next\" action cannot advance beyond table %d.", pp.NTables-1)
		return
	}
	p.add(&Next{Pipeline: pipeline, Table: table, SrcPipeline: pp.Pipeline, SrcTable: pp.CurTable})
}

func (p *parser) parsePushPop(push bool) {
	lx := p.lx
	lx.ForceMatch(expr.TokLParen)
	var f Field
	if !p.parseField(&f) {
		return
	}
	if msg := typeCheck(&f, f.NBits, !push, p.scope); msg != "" {
		lx.Error("%s", msg)
		return
	}
	lx.ForceMatch(expr.TokRParen)
	p.add(&PushPop{Field: f, Pop: !push})
}

func (p *parser) parseSetAction() {
	lx := p.lx
	var lhs Field
	if !p.parseField(&lhs) {
		return
	}
	if lx.Match(expr.TokExchange) {
		p.parseAssignment(true, &lhs)
		return
	}
	if !lx.Match(expr.TokEquals) {
		lx.SyntaxError("expecting `=' or `<->'")
		return
	}
	if lx.Token.Type != expr.TokID {
		p.parseLoad(&lhs)
		return
	}
	if lx.Lookahead() != expr.TokLParen {
		p.parseAssignment(false, &lhs)
		return
	}
	switch lx.Token.S {
	case "select":
		p.parseSelect(&lhs)
	case "put_dhcp_opts":
		p.parsePutOpts(&lhs, OptsDHCPv4)
	case "put_dhcpv6_opts":
		p.parsePutOpts(&lhs, OptsDHCPv6)
	case "put_nd_ra_opts":
		p.parsePutOpts(&lhs, OptsNDRA)
	case "dns_lookup":
		p.parseResult(&lhs, ResDNSLookup, "udp")
	case "check_pkt_larger":
		p.parseCheckPktLarger(&lhs)
	case "lookup_arp":
		p.parseLookupMAC(&lhs, false, false)
	case "lookup_nd":
		p.parseLookupMAC(&lhs, true, false)
	case "lookup_arp_ip":
		p.parseLookupMAC(&lhs, false, true)
	case "lookup_nd_ip":
		p.parseLookupMAC(&lhs, true, true)
	case "chk_lb_hairpin":
		p.parseResult(&lhs, ResChkLBHairpin, "")
	case "chk_lb_hairpin_reply":
		p.parseResult(&lhs, ResChkLBHairpinReply, "")
	case "get_fdb":
		p.parseGetFDB(&lhs)
	case "lookup_fdb":
		p.parseLookupFDB(&lhs)
	case "check_in_port_sec":
		p.parseResult(&lhs, ResCheckInPortSec, "")
	case "check_out_port_sec":
		p.parseResult(&lhs, ResCheckOutPortSec, "")
	case "chk_ecmp_nh_mac":
		p.parseResult(&lhs, ResChkECMPNHMAC, "")
	case "chk_ecmp_nh":
		p.parseResult(&lhs, ResChkECMPNH, "")
	case "chk_lb_aff":
		p.parseResult(&lhs, ResChkLBAff, "")
	default:
		p.parseAssignment(false, &lhs)
	}
}

func (p *parser) parseLoad(lhs *Field) {
	lx := p.lx
	if msg := typeCheck(lhs, lhs.NBits, true, p.scope); msg != "" {
		lx.Error("%s", msg)
		return
	}
	c, _, ok := expr.ParseConstant(lx, *lhs)
	if !ok {
		return
	}
	p.add(&Load{Dst: *lhs, Imm: c})
}

func (p *parser) parseAssignment(exchange bool, lhs *Field) {
	lx := p.lx
	var rhs Field
	if !p.parseField(&rhs) {
		return
	}
	ls, rs := lhs.Symbol, rhs.Symbol
	kind := func(s *expr.Symbol) string {
		if s.Width != 0 {
			return "integer"
		}
		return "string"
	}
	if (ls.Width != 0) != (rs.Width != 0) {
		if exchange {
			lx.Error("Can't exchange %s field (%s) with %s field (%s).", kind(ls), ls.Name, kind(rs), rs.Name)
		} else {
			lx.Error("Can't assign %s field (%s) to %s field (%s).", kind(rs), rs.Name, kind(ls), ls.Name)
		}
		return
	}
	if lhs.NBits != rhs.NBits {
		if exchange {
			lx.Error("Can't exchange %d-bit field with %d-bit field.", lhs.NBits, rhs.NBits)
		} else {
			lx.Error("Can't assign %d-bit value to %d-bit destination.", rhs.NBits, lhs.NBits)
		}
		return
	} else if lhs.NBits == 0 && ls.Field.Bits != rs.Field.Bits {
		op := "assignment"
		if exchange {
			op = "exchange"
		}
		lx.Error("String fields %s and %s are incompatible for %s.", ls.Name, rs.Name, op)
		return
	}
	msg := typeCheck(lhs, lhs.NBits, true, p.scope)
	if msg == "" {
		msg = typeCheck(&rhs, rhs.NBits, exchange, p.scope)
	}
	if msg != "" {
		lx.Error("%s", msg)
		return
	}
	p.add(&Move{LHS: *lhs, RHS: rhs, Exchange: exchange})
}

func (p *parser) parseCTCommit() {
	lx := p.lx
	switch lx.Token.Type {
	case expr.TokLCurly:
		p.parseNested(NestCTCommit, "ip", expr.WriteCTCommit)
	case expr.TokLParen:
		p.parseCTCommitV1()
	default:
		p.addPrerequisite("ip")
		p.add(&Nest{Kind: NestCTCommit})
	}
}

func (p *parser) parseCTCommitV1() {
	lx := p.lx
	p.addPrerequisite("ip")
	cc := &CTCommitV1{}
	p.add(cc)
	if !lx.Match(expr.TokLParen) {
		return
	}
	for !lx.Match(expr.TokRParen) {
		switch {
		case lx.MatchID("ct_mark"):
			if !lx.ForceMatch(expr.TokEquals) {
				return
			}
			switch lx.Token.Type {
			case expr.TokInteger:
				cc.Mark = uint32(lx.Token.Value.Uint64())
				cc.MarkMask = ^uint32(0)
			case expr.TokMaskedInteger:
				cc.Mark = uint32(lx.Token.Value.Uint64())
				cc.MarkMask = uint32(lx.Token.Mask.Uint64())
			default:
				lx.SyntaxError("expecting integer")
				return
			}
			lx.Get()
		case lx.MatchID("ct_label"):
			if !lx.ForceMatch(expr.TokEquals) {
				return
			}
			switch lx.Token.Type {
			case expr.TokInteger:
				copy(cc.Label[:], lx.Token.Value[expr.SubvalueBytes-16:])
				cc.LabelMask = allOnes16
			case expr.TokMaskedInteger:
				copy(cc.Label[:], lx.Token.Value[expr.SubvalueBytes-16:])
				copy(cc.LabelMask[:], lx.Token.Mask[expr.SubvalueBytes-16:])
			default:
				lx.SyntaxError("expecting integer")
				return
			}
			lx.Get()
		default:
			lx.SyntaxError("")
		}
		if lx.HasError() {
			return
		}
		lx.Match(expr.TokComma)
	}
}

func (p *parser) parseCTNat(name string, kind NATKind) {
	lx := p.lx
	p.addPrerequisite("ip")
	if p.pp.CurTable >= p.pp.NTables {
		lx.Error("\"%s\" action not allowed in last table.", name)
		return
	}
	cn := &CTNat{Kind: kind, Table: p.pp.CurTable + 1}
	p.add(cn)
	if !lx.Match(expr.TokLParen) {
		return
	}
	if lx.Token.Type != expr.TokInteger || (lx.Token.Format != expr.FormatIPv4 && lx.Token.Format != expr.FormatIPv6) {
		lx.SyntaxError("expecting IPv4 or IPv6 address")
		return
	}
	cn.Commit = true
	cn.IP = tokenAddr(&lx.Token)
	lx.Get()
	if lx.Match(expr.TokComma) {
		if lx.Token.Type != expr.TokInteger || lx.Token.Format != expr.FormatDecimal {
			lx.SyntaxError("expecting Integer for port range")
		}
		cn.PortLo = uint16(lx.Token.Value.Uint64())
		if cn.PortLo == 0 {
			lx.SyntaxError("range can't be 0")
		}
		lx.Get()
		if lx.Match(expr.TokHyphen) {
			if lx.Token.Type != expr.TokInteger {
				lx.SyntaxError("expecting Integer for port range")
			}
			cn.PortHi = uint16(lx.Token.Value.Uint64())
			if cn.PortHi <= cn.PortLo {
				lx.SyntaxError("range high should be greater than range low")
			}
			lx.Get()
		} else {
			cn.PortHi = 0
		}
		cn.HasPortRange = true
	}
	lx.ForceMatch(expr.TokRParen)
}

func (p *parser) parseCTCommitNat() {
	lx := p.lx
	p.addPrerequisite("ip")
	if p.pp.CurTable >= p.pp.NTables {
		lx.Error("\"ct_commit_nat\" action not allowed in last table.")
		return
	}
	cn := &CTCommitNat{DNATZone: true, Table: p.pp.CurTable + 1}
	p.add(cn)
	if !lx.Match(expr.TokLParen) {
		return
	}
	switch {
	case lx.MatchID("dnat"):
		cn.DNATZone = true
	case lx.MatchID("snat"):
		cn.DNATZone = false
	default:
		lx.Error("\"ct_commit_nat\" action accepts only \"dnat\" or \"snat\" parameter.")
		return
	}
	lx.ForceMatch(expr.TokRParen)
}

// parseUint16 is action_parse_uint16().
func (p *parser) parseUint16(msg string) (uint16, bool) {
	lx := p.lx
	if lx.IsInt() {
		v := lx.Token.Value.Uint64()
		if v <= 0xffff {
			lx.Get()
			return uint16(v), true
		}
	}
	lx.SyntaxError("expecting %s", msg)
	return 0, false
}

func (p *parser) parseCTLB(mark bool) {
	lx := p.lx
	if p.pp.CurTable >= p.pp.NTables {
		lx.Error("\"ct_lb\" action not allowed in last table.")
		return
	}
	p.addPrerequisite("ip")
	cl := &CTLB{Mark: mark, Table: p.pp.CurTable + 1}
	if lx.Match(expr.TokLParen) && !lx.Match(expr.TokRParen) {
		if !lx.MatchID("backends") || !lx.ForceMatch(expr.TokEquals) {
			lx.SyntaxError("expecting backends")
			return
		}
		for !lx.Match(expr.TokSemicolon) && !lx.Match(expr.TokRParen) {
			var dst LBBackend
			if lx.Match(expr.TokLSquare) {
				if lx.Token.Type != expr.TokInteger || lx.Token.Format != expr.FormatIPv6 {
					lx.SyntaxError("expecting IPv6 address")
					return
				}
				dst.IP = tokenAddr(&lx.Token)
				lx.Get()
				if !lx.Match(expr.TokRSquare) {
					lx.SyntaxError("no closing square bracket")
					return
				}
				if lx.Match(expr.TokColon) {
					var ok bool
					if dst.Port, ok = p.parseUint16("port number"); !ok {
						return
					}
				}
			} else {
				if lx.Token.Type != expr.TokInteger || (lx.Token.Format != expr.FormatIPv4 && lx.Token.Format != expr.FormatIPv6) {
					lx.SyntaxError("expecting IP address")
					return
				}
				dst.IP = tokenAddr(&lx.Token)
				lx.Get()
				if lx.Match(expr.TokColon) {
					if dst.IP.Is6() {
						lx.SyntaxError("IPv6 address needs square brackets if port is included")
						return
					}
					var ok bool
					if dst.Port, ok = p.parseUint16("port number"); !ok {
						return
					}
				}
			}
			lx.Match(expr.TokComma)
			cl.Backends = append(cl.Backends, dst)
		}
		if lx.MatchID("hash_fields") {
			if !lx.Match(expr.TokEquals) || lx.Token.Type != expr.TokString {
				lx.SyntaxError("invalid hash_fields")
				return
			}
			cl.HashFields, cl.HasHash = lx.Token.S, true
			lx.Get()
			if !lx.Match(expr.TokSemicolon) {
				lx.Get()
			}
		}
		if lx.MatchID("skip_snat") {
			cl.Flag = LBFlagSkipSNAT
			lx.Get()
		} else if lx.MatchID("force_snat") {
			cl.Flag = LBFlagForceSNAT
			lx.Get()
		}
	}
	p.add(cl)
}

func (p *parser) parseSelect(res *Field) {
	lx := p.lx
	if msg := typeCheck(res, res.NBits, true, p.scope); msg != "" {
		lx.Error("%s", msg)
		return
	}
	if res.NBits < 16 {
		lx.Error("cannot use %d-bit field %s[%d..%d] for \"select\", which requires at least 16 bits.",
			res.NBits, res.Symbol.Name, res.Ofs, res.Ofs+res.NBits-1)
		return
	}
	if p.pp.CurTable >= p.pp.NTables {
		lx.Error("\"select\" action not allowed in last table.")
		return
	}
	lx.Get()
	lx.Get()
	var members []SelectMember
	for !lx.Match(expr.TokRParen) {
		var m SelectMember
		var ok bool
		if m.ID, ok = p.parseUint16("id"); !ok {
			return
		}
		if lx.Match(expr.TokEquals) {
			if m.Weight, ok = p.parseUint16("weight"); !ok {
				return
			}
			if m.Weight == 0 {
				lx.SyntaxError("weight can't be 0")
			}
		}
		if m.Weight == 0 {
			m.Weight = 100
		}
		lx.Match(expr.TokComma)
		members = append(members, m)
	}
	if len(members) <= 1 {
		lx.SyntaxError("expecting at least 2 group members")
		return
	}
	p.add(&Select{Res: *res, Members: members, Table: p.pp.CurTable + 1})
}

// parseNested parses "{ actions }" for ct_commit, clone, arp and friends.
// With a prereq, the nested prerequisites are dropped and prereq is added
// instead; without one (clone, reject) they join the outer ones.
func (p *parser) parseNested(kind NestKind, prereq string, scope expr.WriteScope) {
	lx := p.lx
	if !lx.ForceMatch(expr.TokLCurly) {
		return
	}
	if p.depth+1 == maxNestedDepth {
		lx.Error("maximum depth of nested actions reached")
		return
	}
	var nested Actions
	inner := &parser{lx: lx, pp: p.pp, depth: p.depth + 1, scope: scope, acts: &nested}
	inner.parseActions(expr.TokRCurly)
	if prereq != "" {
		p.addPrerequisite(prereq)
	} else {
		p.prereqs = expr.Combine(expr.And, inner.prereqs, p.prereqs)
	}
	if lx.HasError() {
		return
	}
	p.add(&Nest{Kind: kind, Nested: nested})
}

func (p *parser) parseGetMAC(nd bool) {
	lx := p.lx
	width := 32
	if nd {
		width = 128
	}
	a := &GetMAC{ND: nd}
	p.add(a)
	lx.ForceMatch(expr.TokLParen)
	p.parseTypedField(0, false, &a.Port)
	lx.ForceMatch(expr.TokComma)
	p.parseTypedField(width, false, &a.IP)
	lx.ForceMatch(expr.TokRParen)
}

func (p *parser) parsePutMAC(nd bool) {
	lx := p.lx
	width := 32
	if nd {
		width = 128
	}
	a := &PutMAC{ND: nd}
	p.add(a)
	lx.ForceMatch(expr.TokLParen)
	p.parseTypedField(0, false, &a.Port)
	lx.ForceMatch(expr.TokComma)
	p.parseTypedField(width, false, &a.IP)
	lx.ForceMatch(expr.TokComma)
	p.parseTypedField(48, false, &a.MAC)
	lx.ForceMatch(expr.TokRParen)
}

func (p *parser) parseLookupMAC(dst *Field, nd, noMAC bool) {
	lx := p.lx
	if !p.checkDst(dst, 1) {
		return
	}
	width := 32
	if nd {
		width = 128
	}
	lx.Get()
	lx.Get()
	a := &LookupMAC{ND: nd, NoMAC: noMAC, Dst: *dst}
	p.parseTypedField(0, false, &a.Port)
	lx.ForceMatch(expr.TokComma)
	p.parseTypedField(width, false, &a.IP)
	if !noMAC {
		lx.ForceMatch(expr.TokComma)
		p.parseTypedField(48, false, &a.MAC)
	}
	lx.ForceMatch(expr.TokRParen)
	p.add(a)
}

func (p *parser) parseResult(dst *Field, kind ResultKind, prereq string) {
	lx := p.lx
	lx.Get()
	lx.Get()
	if !lx.Match(expr.TokRParen) {
		lx.Error("%s doesn't take any parameters", resultNames[kind])
		return
	}
	if !p.checkDst(dst, 1) {
		return
	}
	p.add(&Result{Kind: kind, Dst: *dst})
	if prereq != "" {
		p.addPrerequisite(prereq)
	}
}

func (p *parser) parseCheckPktLarger(dst *Field) {
	lx := p.lx
	if !p.checkDst(dst, 1) {
		return
	}
	a := &CheckPktLarger{}
	p.add(a)
	lx.Get()
	if !lx.ForceMatch(expr.TokLParen) {
		return
	}
	n, ok := lx.GetInt()
	if !ok || !lx.ForceMatch(expr.TokRParen) {
		return
	}
	a.Dst, a.PktLen = *dst, uint16(n)
}

func (p *parser) parseGetFDB(dst *Field) {
	lx := p.lx
	lx.Get()
	lx.Get()
	if dst.NBits != 0 && !p.checkDst(dst, 32) {
		return
	}
	a := &GetFDB{Dst: *dst}
	p.add(a)
	p.parseTypedField(48, false, &a.MAC)
	lx.ForceMatch(expr.TokRParen)
}

func (p *parser) parseLookupFDB(dst *Field) {
	lx := p.lx
	lx.Get()
	lx.Get()
	if !p.checkDst(dst, 1) {
		return
	}
	a := &LookupFDB{Dst: *dst}
	p.add(a)
	p.parseTypedField(0, false, &a.Port)
	lx.ForceMatch(expr.TokComma)
	p.parseTypedField(48, false, &a.MAC)
	lx.ForceMatch(expr.TokRParen)
}

func (p *parser) parseSetQueue() {
	lx := p.lx
	if !lx.ForceMatch(expr.TokLParen) {
		return
	}
	id, ok := lx.GetInt()
	if !ok || !lx.ForceMatch(expr.TokRParen) {
		return
	}
	if id < 0 || id > 0xf000 {
		lx.Error("Queue ID %d for set_queue is not in valid range %d to %d.", id, 0, 0xf000)
		return
	}
	p.add(&SetQueue{QueueID: uint16(id)})
}

func (p *parser) parseLog() {
	lx := p.lx
	l := &Log{Severity: SeverityInfo, Verdict: VerdictUnknown}
	p.add(l)
	if lx.Match(expr.TokLParen) {
		for !lx.Match(expr.TokRParen) {
			p.parseLogArg(l)
			if lx.HasError() {
				return
			}
			lx.Match(expr.TokComma)
		}
	}
	if l.Verdict == VerdictUnknown {
		lx.SyntaxError("expecting verdict")
	}
}

func (p *parser) parseLogArg(l *Log) {
	lx := p.lx
	switch {
	case lx.MatchID("verdict"):
		if !lx.ForceMatch(expr.TokEquals) {
			return
		}
		switch {
		case lx.MatchID("drop"):
			l.Verdict = VerdictDrop
		case lx.MatchID("reject"):
			l.Verdict = VerdictReject
		case lx.MatchID("allow"):
			l.Verdict = VerdictAllow
		default:
			lx.SyntaxError("unknown verdict")
		}
	case lx.MatchID("name"):
		if !lx.ForceMatch(expr.TokEquals) {
			return
		}
		if lx.Token.Type != expr.TokString {
			lx.SyntaxError("expecting string")
			return
		}
		if len(lx.Token.S) >= 64 {
			lx.SyntaxError("name must be shorter than 64 characters")
			return
		}
		l.Name, l.HasName = lx.Token.S, true
		lx.Get()
	case lx.MatchID("severity"):
		if !lx.ForceMatch(expr.TokEquals) {
			return
		}
		if lx.Token.Type == expr.TokID {
			if sev, ok := severityFromString(lx.Token.S); ok {
				l.Severity = sev
				lx.Get()
				return
			}
			lx.SyntaxError("unknown severity")
			return
		}
		lx.SyntaxError("expecting severity")
	case lx.MatchID("meter"):
		if !lx.ForceMatch(expr.TokEquals) {
			return
		}
		if lx.Token.Type != expr.TokString {
			lx.SyntaxError("expecting string")
			return
		}
		l.Meter, l.HasMeter = lx.Token.S, true
		lx.Get()
	default:
		lx.SyntaxError("")
	}
}

func (p *parser) parseSetMeter() {
	lx := p.lx
	var rate, burst uint64
	lx.ForceMatch(expr.TokLParen)
	if lx.Token.Type == expr.TokInteger && lx.Token.Format == expr.FormatDecimal {
		rate = lx.Token.Value.Uint64()
	}
	lx.Get()
	if lx.Match(expr.TokComma) {
		if lx.Token.Type == expr.TokInteger && lx.Token.Format == expr.FormatDecimal {
			burst = lx.Token.Value.Uint64()
		}
		lx.Get()
	}
	lx.ForceMatch(expr.TokRParen)
	if rate == 0 {
		lx.Error("Rate %d for set_meter is not in valid.", int64(rate))
		return
	}
	p.add(&SetMeter{Rate: rate, Burst: burst})
}

// parseGenOption is parse_gen_opt().
func (p *parser) parseGenOption(o *OptionValue, table OptionTable, optsType string) {
	lx := p.lx
	if lx.Token.Type != expr.TokID {
		lx.SyntaxError("")
		return
	}
	opt, ok := table[lx.Token.S]
	if !ok {
		lx.SyntaxError("expecting %s option name", optsType)
		return
	}
	o.Option = opt
	lx.Get()
	if !lx.ForceMatch(expr.TokEquals) {
		return
	}
	cs, ok := expr.ParseConstantSet(lx)
	if !ok {
		o.Value = ConstantSet{}
		return
	}
	o.Value = *cs
	switch opt.Type {
	case OptHostID:
		return
	case OptStr, OptDomains, OptDomain:
		if cs.Type != expr.StringConst {
			lx.Error("%s option %s requires string value.", optsType, opt.Name)
		}
	default:
		if cs.Type == expr.StringConst {
			lx.Error("%s option %s requires numeric value.", optsType, opt.Name)
		}
	}
}

func (p *parser) parsePutOpts(dst *Field, kind OptsKind) {
	lx := p.lx
	table, optsType := p.pp.DHCPOptions, "DHCPv4"
	switch kind {
	case OptsDHCPv6:
		table, optsType = p.pp.DHCPv6Options, "DHCPv6"
	case OptsNDRA:
		table, optsType = p.pp.NDRAOptions, "IPv6 ND RA"
	}
	po := &PutOpts{Kind: kind}
	p.add(po)
	lx.Get()
	lx.Get()
	if !p.checkDst(dst, 1) {
		return
	}
	po.Dst = *dst
	for !lx.Match(expr.TokRParen) {
		po.Options = append(po.Options, OptionValue{})
		p.parseGenOption(&po.Options[len(po.Options)-1], table, optsType)
		if lx.HasError() {
			return
		}
		lx.Match(expr.TokComma)
	}
	switch kind {
	case OptsDHCPv4:
		if findOption(po.Options, dhcpOptOfferIP) == nil {
			lx.Error("put_dhcp_opts requires offerip to be specified.")
		}
	case OptsNDRA:
		p.validateNDRA(po)
	}
}

func findOption(opts []OptionValue, code int) *OptionValue {
	for i := range opts {
		if opts[i].Option.Code == code {
			return &opts[i]
		}
	}
	return nil
}

func (p *parser) validateNDRA(po *PutOpts) {
	lx := p.lx
	stateful, prefixSet, sllaPresent := false, false, false
	for i := range po.Options {
		o := &po.Options[i]
		if len(o.Value.Values) > 1 {
			lx.Error("Invalid value for \"%s\" option", o.Option.Name)
			return
		}
		var c *Constant
		if len(o.Value.Values) > 0 {
			c = &o.Value.Values[0]
		}
		isStr := c != nil && o.Value.Type == expr.StringConst
		ok := true
		switch o.Option.Code {
		case ndRAFlagAddrMode:
			ok = isStr && (c.Str == "slaac" || c.Str == "dhcpv6_stateful" || c.Str == "dhcpv6_stateless")
			if ok && c.Str == "dhcpv6_stateful" {
				stateful = true
			}
		case ndRAFlagPrf:
			ok = isStr && (c.Str == "MEDIUM" || c.Str == "HIGH" || c.Str == "LOW")
		case ndOptSourceLinkAddr:
			ok = c != nil && !isStr && c.Format == expr.FormatEthernet
			sllaPresent = true
		case ndOptPrefixInfo:
			ok = c != nil && !isStr && c.Format == expr.FormatIPv6 && c.Masked
			prefixSet = true
		case ndOptMTU:
			ok = c != nil && !isStr && c.Format == expr.FormatDecimal
		case ndOptRDNSS:
			ok = c != nil && !isStr && c.Format == expr.FormatIPv6
		case ndOptRouteInfo, ndOptDNSSL:
			ok = isStr
		}
		if !ok {
			lx.Error("Invalid value for \"%s\" option", o.Option.Name)
			return
		}
	}
	if !sllaPresent {
		lx.Error("slla option not present")
		return
	}
	if !stateful && !prefixSet {
		lx.Error("prefix option needs to be set when address mode is slaac/dhcpv6_stateless.")
		return
	}
	p.addPrerequisite("ip6")
}

func (p *parser) parseTriggerEvent() {
	lx := p.lx
	ev := &TriggerEvent{}
	p.add(ev)
	lx.ForceMatch(expr.TokLParen)
	if !lx.MatchID("event") {
		lx.SyntaxError("Expecting 'event' option")
		return
	}
	if !lx.ForceMatch(expr.TokEquals) {
		return
	}
	if lx.Token.Type != expr.TokString || len(lx.Token.S) >= 64 {
		lx.SyntaxError("Expecting string")
		return
	}
	event, ok := p.pp.ControllerEvents[lx.Token.S]
	if !ok {
		lx.SyntaxError("Unknown event '%d'", -1)
		return
	}
	ev.Event = event
	lx.Get()
	lx.Match(expr.TokComma)
	for !lx.Match(expr.TokRParen) {
		ev.Options = append(ev.Options, OptionValue{})
		p.parseGenOption(&ev.Options[len(ev.Options)-1], event.Options, event.Name)
		if lx.HasError() {
			return
		}
		lx.Match(expr.TokComma)
	}
	if event.Type == eventEmptyLBBackends {
		p.validateEmptyLBBackends(ev.Options)
	}
}

func (p *parser) validateEmptyLBBackends(opts []OptionValue) {
	lx := p.lx
	for i := range opts {
		o := &opts[i]
		if len(o.Value.Values) != 1 || o.Value.Type != expr.StringConst {
			lx.Error("Invalid value for \"%s\" option", o.Option.Name)
			return
		}
		s := o.Value.Values[0].Str
		switch o.Option.Code {
		case emptyLBVIP:
			if _, _, ok := parseIPPort(s); !ok {
				lx.Error("Invalid load balancer VIP '%s'", s)
				return
			}
		case emptyLBProtocol:
			if s != "tcp" && s != "udp" && s != "sctp" {
				lx.Error("Load balancer protocol '%s' is not 'tcp', 'udp', or 'sctp'", s)
				return
			}
		case emptyLBLoadBalancer:
			if !isUUID(s) {
				lx.Error("Load balancer '%s' is not a UUID", s)
				return
			}
		}
	}
}

func (p *parser) parseBindVport() {
	lx := p.lx
	if !lx.ForceMatch(expr.TokLParen) {
		return
	}
	if lx.Token.Type != expr.TokString {
		lx.SyntaxError("expecting port name string")
		return
	}
	a := &BindVport{Vport: lx.Token.S}
	p.add(a)
	lx.Get()
	_ = lx.ForceMatch(expr.TokComma) && p.parseTypedField(0, false, &a.Parent) && lx.ForceMatch(expr.TokRParen)
}

func (p *parser) parseFwdGroup() {
	lx := p.lx
	fg := &FwdGroup{Table: p.pp.CurTable + 1}
	if lx.Match(expr.TokLParen) {
		if lx.MatchID("liveness") {
			if !lx.ForceMatch(expr.TokEquals) {
				return
			}
			switch {
			case lx.MatchString("true") || lx.MatchID("true"):
				fg.Liveness = true
			case lx.MatchString("false") || lx.MatchID("false"):
				fg.Liveness = false
			default:
				lx.SyntaxError("expecting true or false")
				return
			}
			lx.ForceMatch(expr.TokComma)
		}
		if lx.MatchID("childports") {
			if !lx.ForceMatch(expr.TokEquals) {
				return
			}
			for !lx.Match(expr.TokRParen) {
				if lx.Token.Type != expr.TokString {
					lx.SyntaxError("expecting logical switch port")
					return
				}
				fg.ChildPorts = append(fg.ChildPorts, lx.Token.S)
				lx.Get()
				lx.Match(expr.TokComma)
			}
		}
	}
	p.add(fg)
}

func (p *parser) parseCommitECMPNH() {
	lx := p.lx
	lx.ForceMatch(expr.TokLParen)
	if !lx.MatchID("ipv6") {
		lx.SyntaxError("invalid parameter")
		return
	}
	if !lx.ForceMatch(expr.TokEquals) {
		lx.SyntaxError("invalid parameter")
		return
	}
	var ipv6 bool
	switch {
	case lx.MatchString("true") || lx.MatchID("true"):
		ipv6 = true
	case lx.MatchString("false") || lx.MatchID("false"):
		ipv6 = false
	default:
		lx.SyntaxError("expecting true or false")
		return
	}
	lx.ForceMatch(expr.TokComma)
	if !lx.MatchID("proto") {
		lx.SyntaxError("invalid parameter")
		return
	}
	if !lx.ForceMatch(expr.TokEquals) {
		lx.SyntaxError("invalid parameter")
		return
	}
	proto, ok := p.matchProto()
	if !ok {
		return
	}
	lx.ForceMatch(expr.TokRParen)
	p.add(&CommitECMPNH{IPv6: ipv6, Proto: proto})
}

func (p *parser) matchProto() (uint8, bool) {
	lx := p.lx
	switch {
	case lx.MatchID("tcp"):
		return ProtoTCP, true
	case lx.MatchID("udp"):
		return ProtoUDP, true
	case lx.MatchID("sctp"):
		return ProtoSCTP, true
	}
	lx.SyntaxError("invalid protocol")
	return 0, false
}

func (p *parser) parseCommitLBAff() {
	lx := p.lx
	a := &CommitLBAff{}
	p.add(a)
	lx.ForceMatch(expr.TokLParen)
	parseAddr := func(key string) (netip.Addr, uint16, bool) {
		if !lx.MatchID(key) {
			lx.SyntaxError("invalid parameter")
			return netip.Addr{}, 0, false
		}
		if !lx.ForceMatch(expr.TokEquals) {
			lx.SyntaxError("invalid parameter")
			return netip.Addr{}, 0, false
		}
		if lx.Token.Type != expr.TokString {
			lx.SyntaxError("invalid parameter")
			return netip.Addr{}, 0, false
		}
		ip, port, ok := parseIPPort(lx.Token.S)
		if !ok {
			lx.SyntaxError("invalid parameter")
			return netip.Addr{}, 0, false
		}
		return ip, port, true
	}
	vip, vport, ok := parseAddr("vip")
	if !ok {
		return
	}
	a.VIP, a.VIPPort = netip.AddrFrom16(vip.As16()), vport
	lx.Get()
	lx.ForceMatch(expr.TokComma)
	backend, bport, ok := parseAddr("backend")
	if !ok {
		return
	}
	if backend.Is4() != vip.Is4() {
		lx.SyntaxError("invalid protocol family")
		return
	}
	a.Backend, a.BackendPort = netip.AddrFrom16(backend.As16()), bport
	lx.Get()
	lx.ForceMatch(expr.TokComma)
	if a.VIPPort != 0 {
		if !lx.MatchID("proto") {
			lx.SyntaxError("invalid parameter")
			return
		}
		if !lx.ForceMatch(expr.TokEquals) {
			lx.SyntaxError("invalid parameter")
			return
		}
		if a.Proto, ok = p.matchProto(); !ok {
			return
		}
		lx.ForceMatch(expr.TokComma)
	}
	if !lx.MatchID("timeout") {
		lx.SyntaxError("invalid parameter")
		return
	}
	if !lx.ForceMatch(expr.TokEquals) {
		lx.SyntaxError("invalid parameter")
		return
	}
	if a.Timeout, ok = p.parseUint16("affinity timeout"); !ok {
		return
	}
	lx.ForceMatch(expr.TokRParen)
}

func (p *parser) parseSample() {
	lx := p.lx
	s := &Sample{}
	p.add(s)
	if lx.Match(expr.TokLParen) {
		for !lx.Match(expr.TokRParen) {
			p.parseSampleArg(s)
			if lx.HasError() {
				return
			}
			lx.Match(expr.TokComma)
		}
	}
	if s.Probability == 0 {
		lx.Error("probability must be greater than zero")
	}
}

func (p *parser) parseSampleArg(s *Sample) {
	lx := p.lx
	decimal := func() bool { return lx.Token.Type == expr.TokInteger && lx.Token.Format == expr.FormatDecimal }
	switch {
	case lx.MatchID("probability"):
		if !lx.ForceMatch(expr.TokEquals) {
			return
		}
		if decimal() {
			if v, ok := p.parseUint16("probability"); ok {
				s.Probability = v
			}
		}
	case lx.MatchID("obs_point"):
		if !lx.ForceMatch(expr.TokEquals) {
			return
		}
		switch {
		case lx.Token.Type == expr.TokMacro && lx.Token.S == "cookie":
			s.UseCookie = true
			lx.Get()
		case decimal():
			s.ObsPoint = uint32(lx.Token.Value.Uint64())
			lx.Get()
		default:
			lx.SyntaxError("malformed sample observation_point_id")
		}
	case lx.MatchID("obs_domain"):
		if !lx.ForceMatch(expr.TokEquals) {
			return
		}
		if decimal() {
			v := uint32(lx.Token.Value.Uint64())
			if v > 0xff {
				lx.SyntaxError("obs_domain must be 8-bit long")
				return
			}
			s.ObsDomain = uint8(v)
		}
		lx.Get()
	case lx.MatchID("collector_set"):
		if !lx.ForceMatch(expr.TokEquals) {
			return
		}
		if decimal() {
			s.CollectorSet = uint32(lx.Token.Value.Uint64())
		}
		lx.Get()
	default:
		lx.SyntaxError("unknown argument")
	}
}

func tokenAddr(t *expr.Token) netip.Addr {
	if t.Format == expr.FormatIPv4 {
		var a [4]byte
		copy(a[:], t.Value[expr.SubvalueBytes-4:])
		return netip.AddrFrom4(a)
	}
	var a [16]byte
	copy(a[:], t.Value[expr.SubvalueBytes-16:])
	return netip.AddrFrom16(a)
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// LogicalPipelineLen is the number of logical tables of each pipeline
// (LOG_PIPELINE_LEN in lib/ovn-util.h).
const LogicalPipelineLen = 29

// NewParseParams returns the parameters ovn-controller uses for a logical
// flow in table `table` of pipeline p: OVN's default option tables and
// LogicalPipelineLen tables. Callers that mirror the Southbound
// DHCP_Options/DHCPv6_Options tables replace the option tables.
func NewParseParams(symtab *expr.Symtab, p Pipeline, table int) *ParseParams {
	return &ParseParams{
		Symtab:           symtab,
		DHCPOptions:      DefaultDHCPOptions(),
		DHCPv6Options:    DefaultDHCPv6Options(),
		NDRAOptions:      DefaultNDRAOptions(),
		ControllerEvents: DefaultControllerEvents(),
		Pipeline:         p,
		NTables:          LogicalPipelineLen,
		CurTable:         table,
	}
}
