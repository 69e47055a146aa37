package actions

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// ctZone is the register holding the zone of ct_next, ct_commit and ct_lb:
// the port's zone on switches, the DNAT zone on routers.
func (e *encoder) ctZone() flow.Field {
	if e.ep.IsSwitch {
		return pipeline.RegCTZone
	}
	return pipeline.RegDNATZone
}

func (a *CTLB) encode(e *encoder) {
	table := uint8(a.Table) + e.firstTable(e.ep.Pipeline)
	if len(a.Backends) == 0 {
		e.ctNAT(ctSpec{table: table, zoneReg: e.ctZone(), nat: &natSpec{}})
		return
	}
	flagReg := "ct_label"
	if a.Mark {
		flagReg = "ct_mark"
	}
	flag := ""
	switch a.Flag {
	case LBFlagSkipSNAT:
		flag = fmt.Sprintf("%d/%d", pipeline.CTLBSkipSNAT, pipeline.CTLBSkipSNAT)
	case LBFlagForceSNAT:
		flag = fmt.Sprintf("%d/%d", pipeline.CTLBForceSNAT, pipeline.CTLBForceSNAT)
	}
	var sb strings.Builder
	method := "dp_hash"
	if a.HasHash {
		method = "hash"
	}
	fmt.Fprintf(&sb, "type=select,selection_method=%s", method)
	if a.HasHash {
		fmt.Fprintf(&sb, ",fields(%s)", a.HashFields)
	}
	for i, b := range a.Backends {
		addr := b.IP.String()
		if b.IP.Is6() && b.Port != 0 {
			addr = "[" + addr + "]"
		}
		fmt.Fprintf(&sb, ",bucket=bucket_id=%d,weight:100,actions=ct(nat(dst=%s", i, addr)
		if b.Port != 0 {
			fmt.Fprintf(&sb, ":%d", b.Port)
		}
		fmt.Fprintf(&sb, "),commit,table=%d,zone=NXM_NX_REG%d[0..15],exec(set_field:%d/%d->%s",
			table, e.ctZone()-flow.FieldReg0, pipeline.CTNatted, pipeline.CTNatted, flagReg)
		if flag != "" {
			fmt.Fprintf(&sb, ",set_field:%s->%s", flag, flagReg)
		}
		sb.WriteString("))")
	}
	e.group(sb.String())
}

// natSpec is the nat(...) part of a ct action.
type natSpec struct {
	src, dst       bool
	addr           netip.Addr // invalid: no address
	portLo, portHi uint16
	random         bool
}

// ctSpec is a ct(...) action: commit, recirculation table (flow.TableNone
// for none), zone register (bits 0..15), optional nat and exec actions.
type ctSpec struct {
	commit  bool
	table   uint8
	zoneReg flow.Field
	nat     *natSpec
	exec    flow.Actions
}

func (a *CTNext) encode(e *encoder) {
	e.ctNAT(ctSpec{table: uint8(a.Table) + e.firstTable(e.ep.Pipeline), zoneReg: e.ctZone()})
}

// zeroSNAT is the all-zero SNAT ct commits add when OVS supports it.
func (e *encoder) zeroSNAT() *natSpec {
	if e.ep.CTZeroSNATSupport {
		return &natSpec{src: true}
	}
	return nil
}

func (a *CTCommitV1) encode(e *encoder) {
	var exec flow.Actions
	if a.MarkMask != 0 {
		exec = append(exec, setField(flow.FieldCTMark,
			binary.BigEndian.AppendUint32(nil, a.Mark), binary.BigEndian.AppendUint32(nil, a.MarkMask)))
	}
	if a.LabelMask != [16]byte{} {
		exec = append(exec, setField(flow.FieldCTLabel, append([]byte(nil), a.Label[:]...), append([]byte(nil), a.LabelMask[:]...)))
	}
	e.ctNAT(ctSpec{commit: true, table: flow.TableNone, zoneReg: pipeline.RegCTZone, nat: e.zeroSNAT(), exec: exec})
}

func (e *encoder) ctCommit(nested Actions) {
	exec := e.nested(nested)
	e.ctNAT(ctSpec{commit: true, table: flow.TableNone, zoneReg: e.ctZone(), nat: e.zeroSNAT(), exec: exec})
}

func (a *CTNat) encode(e *encoder) {
	zone := pipeline.RegDNATZone
	switch a.Kind {
	case NATSrc:
		zone = pipeline.RegSNATZone
	case NATDstInCZone, NATSrcInCZone:
		zone = e.ep.CommonNATCTZone
	}
	nat := &natSpec{addr: a.IP}
	if a.IP.IsValid() {
		nat.src = a.Kind == NATSrc || a.Kind == NATSrcInCZone
		nat.dst = !nat.src
	}
	if a.HasPortRange {
		nat.portLo, nat.portHi = a.PortLo, a.PortHi
		nat.random = a.PortLo != 0 && a.PortHi != 0 && !e.ep.OVN2303
	}
	e.ctNAT(ctSpec{commit: a.Commit, table: uint8(a.Table) + e.firstTable(e.ep.Pipeline), zoneReg: zone, nat: nat})
}

func (a *CTCommitNat) encode(e *encoder) {
	zone := pipeline.RegCTZone
	if !e.ep.IsSwitch {
		zone = pipeline.RegDNATZone
		if !a.DNATZone {
			zone = pipeline.RegSNATZone
		}
	}
	e.ctNAT(ctSpec{commit: true, table: uint8(a.Table) + e.firstTable(e.ep.Pipeline), zoneReg: zone, nat: &natSpec{}})
}

// ctNAT appends the ct action described by s.
func (e *encoder) ctNAT(s ctSpec) {
	ct := flow.CT{Commit: s.commit, Table: s.table, Zone: flow.Subfield{Field: s.zoneReg, Offset: 0, Bits: 16}}
	if s.nat != nil {
		nat := flow.NAT{Kind: flow.NATNone}
		switch {
		case s.nat.src:
			nat.Kind = flow.NATSrc
		case s.nat.dst:
			nat.Kind = flow.NATDst
		}
		if s.nat.addr.IsValid() {
			nat.MinAddr = s.nat.addr
		}
		nat.MinPort, nat.MaxPort, nat.Random = s.nat.portLo, s.nat.portHi, s.nat.random
		ct.Actions = append(ct.Actions, nat)
	}
	ct.Actions = append(ct.Actions, s.exec...)
	e.put(ct)
}

func learnMatch(f flow.Field) flow.LearnSpec {
	return flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(f), Dst: whole(f)}
}

func learnMatchFrom(dst, src flow.Field) flow.LearnSpec {
	return flow.LearnSpec{Kind: flow.LearnMatch, Src: whole(src), Dst: whole(dst)}
}

func learnMatchImm(dst flow.Field, imm []byte) flow.LearnSpec {
	return flow.LearnSpec{Kind: flow.LearnMatch, Imm: imm, Dst: whole(dst)}
}

func learnLoadImm(dst flow.Subfield, imm []byte) flow.LearnSpec {
	return flow.LearnSpec{Kind: flow.LearnLoad, Imm: imm, Dst: dst}
}

func ethTypeIP(ipv6 bool) []byte {
	if ipv6 {
		return []byte{0x86, 0xdd}
	}
	return []byte{0x08, 0x00}
}

func l4Fields(proto uint8) (src, dst flow.Field) {
	switch proto {
	case ProtoUDP:
		return flow.FieldUDPSrc, flow.FieldUDPDst
	case ProtoSCTP:
		return flow.FieldSCTPSrc, flow.FieldSCTPDst
	}
	return flow.FieldTCPSrc, flow.FieldTCPDst
}

// ecmpLearn is commit_ecmp_learn_action(): nwConn learns the forward
// 5-tuple (and source MAC) into the ECMP_NH_MAC table, otherwise the reverse
// tuple into the ECMP_NH table.
func (e *encoder) ecmpLearn(nwConn, ipv6 bool, proto uint8) flow.Learn {
	l := flow.Learn{IdleTimeout: 20, HardTimeout: 30, Priority: flow.LearnDefaultPriority, DeleteLearned: true}
	l.Table = e.ep.ECMPNHTable
	if nwConn {
		l.Table = e.ep.ECMPNHMACTable
	}
	ipSrc, ipDst := flow.FieldIPv4Src, flow.FieldIPv4Dst
	if ipv6 {
		ipSrc, ipDst = flow.FieldIPv6Src, flow.FieldIPv6Dst
	}
	tpSrc, tpDst := l4Fields(proto)
	l.Specs = append(l.Specs, learnMatch(flow.FieldMetadata))
	if nwConn {
		l.Specs = append(l.Specs, learnMatch(flow.FieldEthSrc))
	}
	l.Specs = append(l.Specs, learnMatchImm(flow.FieldEthType, ethTypeIP(ipv6)))
	if nwConn {
		l.Specs = append(l.Specs, learnMatch(ipSrc), learnMatch(ipDst))
	} else {
		l.Specs = append(l.Specs, learnMatchFrom(ipSrc, ipDst), learnMatchFrom(ipDst, ipSrc))
	}
	l.Specs = append(l.Specs, learnMatchImm(flow.FieldIPProto, []byte{proto}))
	if nwConn {
		l.Specs = append(l.Specs, learnMatch(tpSrc), learnMatch(tpDst))
	} else {
		l.Specs = append(l.Specs, learnMatchFrom(tpSrc, tpDst), learnMatchFrom(tpDst, tpSrc))
	}
	l.Specs = append(l.Specs, learnLoadImm(flow.Subfield{Field: pipeline.RegFlags, Offset: pipeline.FlagLookupCommitECMPNHBit, Bits: 1}, []byte{1}))
	return l
}

func (a *CommitECMPNH) encode(e *encoder) {
	e.put(e.ecmpLearn(true, a.IPv6, a.Proto))
	e.put(e.ecmpLearn(false, a.IPv6, a.Proto))
}

func (a *CommitLBAff) encode(e *encoder) {
	ipv6 := !a.VIP.Is4In6()
	l := flow.Learn{
		Table: e.ep.LBAffinityTable, IdleTimeout: a.Timeout, Priority: flow.LearnDefaultPriority,
		DeleteLearned: true, Cookie: uint64(e.ep.Cookie()),
	}
	if e.ep.OVN2303 {
		l.Cookie = 0
	}
	ipSrc, ipDst := flow.FieldIPv4Src, flow.FieldIPv4Dst
	vip := a.VIP.Unmap().AsSlice()
	backend := a.Backend.Unmap().AsSlice()
	backendField := pipeline.RegLBAffMatchIPv4
	if ipv6 {
		ipSrc, ipDst = flow.FieldIPv6Src, flow.FieldIPv6Dst
		vip, backend = a.VIP.AsSlice(), a.Backend.AsSlice()
		backendField = pipeline.RegLBAffMatchLSIPv6
		if !e.ep.IsSwitch {
			backendField = pipeline.RegLBAffMatchLRIPv6
		}
	}
	l.Specs = append(l.Specs,
		learnMatch(flow.FieldMetadata),
		learnMatchImm(flow.FieldEthType, ethTypeIP(ipv6)),
		learnMatch(ipSrc),
		learnMatchImm(ipDst, vip))
	if a.Proto != 0 {
		_, tpDst := l4Fields(a.Proto)
		l.Specs = append(l.Specs,
			learnMatchImm(flow.FieldIPProto, []byte{a.Proto}),
			learnMatchImm(tpDst, []byte{byte(a.VIPPort >> 8), byte(a.VIPPort)}))
	}
	l.Specs = append(l.Specs,
		learnLoadImm(flow.Subfield{Field: pipeline.RegFlags, Offset: pipeline.FlagUseLBAffSessionBit, Bits: 1}, []byte{1}),
		learnLoadImm(whole(backendField), backend))
	if a.BackendPort != 0 {
		l.Specs = append(l.Specs, learnLoadImm(flow.Subfield{Field: pipeline.RegLBAffMatchPort, Offset: 0, Bits: 16},
			[]byte{byte(a.BackendPort >> 8), byte(a.BackendPort)}))
	}
	e.put(l)
}
