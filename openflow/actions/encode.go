package actions

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/chassisd/chassisd/openflow/expr"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// EncodeParams is the context actions are encoded in (struct
// ovnact_encode_params). The agent fills one per logical flow;
// DefaultEncodeParams gives the 24.03 / 23.03.1 table layout.
type EncodeParams struct {
	// LookupPort maps a logical port (or multicast group) name of the
	// flow's datapath to its tunnel key.
	LookupPort func(name string) (uint32, bool)
	// TunnelOFPort maps a logical port name to the OpenFlow port of the
	// tunnel that reaches its chassis (fwd_group liveness).
	TunnelOFPort func(name string) (uint32, bool)

	IsSwitch   bool
	GroupTable *ExtendTable
	MeterTable *ExtendTable
	// CollectorSetIDs are the Flow_Sample_Collector_Set ids configured in
	// OVS; sample() of another id encodes to nothing.
	CollectorSetIDs map[uint32]bool

	// LflowUUID is the logical flow's UUID; its first 32 bits are the
	// flow cookie that sample($cookie) and commit_lb_aff use.
	LflowUUID [16]byte
	DPKey     uint32

	Pipeline Pipeline

	IngressTable        uint8 // first logical ingress table
	EgressTable         uint8 // first logical egress table
	OutputTable         uint8 // "output;" resubmits here
	MACBindTable        uint8 // get_arp, get_nd, lookup_*_ip
	MACLookupTable      uint8 // lookup_arp, lookup_nd
	LBHairpinTable      uint8
	LBHairpinReplyTable uint8
	CTSnatVIPTable      uint8
	FDBTable            uint8 // get_fdb
	FDBLookupTable      uint8 // lookup_fdb
	InPortSecTable      uint8
	OutPortSecTable     uint8
	ECMPNHMACTable      uint8
	ECMPNHTable         uint8
	LBAffinityTable     uint8
	MACCacheUseTable    uint8

	// CtrlMeterID is the meter of controller actions (0: none).
	CtrlMeterID uint32
	// CommonNATCTZone is the register ct_dnat_in_czone / ct_snat_in_czone
	// use as zone (reg11, or reg12 for routers with snat-ct-zone).
	CommonNATCTZone flow.Field

	// OVS features (ovs_feature_is_supported): datapath meters, all-zero
	// SNAT at commit, L4-symmetric dp_hash.
	DPMeterSupport    bool
	CTZeroSNATSupport bool
	DPHashL4Sym       bool

	// OVN2303 encodes as OVN 23.03.x (the Debian 12 ovn-controller) does
	// where it differs from 24.03.0: NAT port ranges without "random" and
	// commit_lb_aff learns without the flow cookie. Both versions parse
	// the same action strings northd 23.03 writes.
	OVN2303 bool
}

// DefaultEncodeParams returns production parameters for a flow of the given
// pipeline on a switch or router datapath: the 24.03 table numbers, output
// to table 37 from ingress and 64 from egress, common NAT zone reg11.
func DefaultEncodeParams(p Pipeline, isSwitch bool) EncodeParams {
	out := uint8(pipeline.TableOutputInit)
	if p == Egress {
		out = pipeline.TableSaveInport
	}
	return EncodeParams{
		IsSwitch:            isSwitch,
		Pipeline:            p,
		IngressTable:        pipeline.TableLogIngress,
		EgressTable:         pipeline.TableLogEgress,
		OutputTable:         out,
		MACBindTable:        pipeline.TableMACBinding,
		MACLookupTable:      pipeline.TableMACLookup,
		LBHairpinTable:      pipeline.TableChkLBHairpin,
		LBHairpinReplyTable: pipeline.TableChkLBHairpinReply,
		CTSnatVIPTable:      pipeline.TableCTSnatHairpin,
		FDBTable:            pipeline.TableGetFDB,
		FDBLookupTable:      pipeline.TableLookupFDB,
		InPortSecTable:      pipeline.TableChkInPortSec,
		OutPortSecTable:     pipeline.TableChkOutPortSec,
		ECMPNHMACTable:      pipeline.TableECMPNHMAC,
		ECMPNHTable:         pipeline.TableECMPNH,
		LBAffinityTable:     pipeline.TableChkLBAffinity,
		MACCacheUseTable:    pipeline.TableMACCacheUse,
		CommonNATCTZone:     pipeline.RegDNATZone,
	}
}

// Cookie is the first 32 bits of the logical flow UUID (the OpenFlow
// cookie ovn-controller gives the flow's OpenFlow flows).
func (ep *EncodeParams) Cookie() uint32 { return binary.BigEndian.Uint32(ep.LflowUUID[:4]) }

type encoder struct {
	ep  *EncodeParams
	out flow.Actions
	err error
}

// ErrEncode wraps encoding failures (a symbol without an OVS field, a field
// the flow package does not know).
var ErrEncode = errors.New("actions: cannot encode")

// Encode translates the actions into OpenFlow actions, allocating group and
// meter ids from ep's tables.
func (as Actions) Encode(ep *EncodeParams) (flow.Actions, error) {
	e := &encoder{ep: ep}
	e.encodeList(as)
	if e.err != nil {
		return nil, e.err
	}
	return e.out, nil
}

func (e *encoder) encodeList(as Actions) {
	for _, a := range as {
		a.encode(e)
	}
}

// nested encodes as into a separate list.
func (e *encoder) nested(as Actions) flow.Actions {
	inner := &encoder{ep: e.ep}
	inner.encodeList(as)
	if inner.err != nil && e.err == nil {
		e.err = inner.err
	}
	return inner.out
}

func (e *encoder) put(a flow.Action) { e.out = append(e.out, a) }

func (e *encoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("%w: %s", ErrEncode, fmt.Sprintf(format, args...))
	}
}

// subfield resolves a logical field to the OVS subfield it lives in.
func (e *encoder) subfield(f Field) flow.Subfield {
	r, ok := f.Resolve()
	if !ok {
		e.fail("%s has no OVS field", f.Symbol.Name)
		return flow.Subfield{}
	}
	ff, ok := flow.FieldByName(r.Field.Name)
	if !ok {
		e.fail("unknown OVS field %s", r.Field.Name)
		return flow.Subfield{}
	}
	return flow.Subfield{Field: ff, Offset: r.Ofs, Bits: r.NBits}
}

func whole(f flow.Field) flow.Subfield { return flow.Subfield{Field: f, Bits: f.Bits()} }

func (e *encoder) resubmit(table uint8) { e.put(flow.Resubmit{Table: table}) }

func (e *encoder) firstTable(p Pipeline) uint8 {
	if p == Ingress {
		return e.ep.IngressTable
	}
	return e.ep.EgressTable
}

// loadBits is put_load(): set n bits at ofs of field f to value.
func (e *encoder) loadBits(value uint64, f flow.Field, ofs, n int) {
	nb := f.Bytes()
	val, mask := make([]byte, nb), make([]byte, nb)
	for i := 0; i < n; i++ {
		bit := ofs + i
		idx := nb - 1 - bit/8
		if value>>uint(i)&1 != 0 {
			val[idx] |= 1 << (uint(bit) % 8)
		}
		mask[idx] |= 1 << (uint(bit) % 8)
	}
	e.put(setField(f, val, mask))
}

// setField builds a set_field action. Like OVS, a mask whose bytes are all
// 0xff is left out; a mask covering every bit of a narrower-than-its-bytes
// field (ip_dscp's 0x3f) is kept, as OVS prints and sends it.
func setField(f flow.Field, val, mask []byte) flow.SetField {
	for _, m := range mask {
		if m != 0xff {
			return flow.SetField{Field: f, Value: val, Mask: mask}
		}
	}
	return flow.SetField{Field: f, Value: val}
}

// copyBitsInto places the low n bits of src at bit ofs of a big-endian
// byte slice dst.
func copyBitsInto(dst []byte, src *expr.Subvalue, ofs, n int) {
	for i := 0; i < n; i++ {
		if src.Bit(i) {
			bit := ofs + i
			dst[len(dst)-1-bit/8] |= 1 << (uint(bit) % 8)
		}
	}
}

func onesInto(dst []byte, ofs, n int) {
	for i := 0; i < n; i++ {
		bit := ofs + i
		dst[len(dst)-1-bit/8] |= 1 << (uint(bit) % 8)
	}
}

// controller appends a controller action carrying userdata.
func (e *encoder) controller(userdata []byte, pause bool, meterID uint32) {
	if !e.ep.DPMeterSupport {
		meterID = 0
	}
	e.put(flow.Controller{MaxLen: flow.MaxLenAll, Reason: flow.ReasonAction, Userdata: userdata, Pause: pause, MeterID: meterID})
}

func (e *encoder) controllerOp(op Opcode) { e.controller(userdataHeader(op), false, e.ep.CtrlMeterID) }

// resultHeader appends the NXM header and bit offset of a 1-bit result
// field to userdata.
func (e *encoder) resultHeader(b []byte, dst Field) []byte {
	sf := e.subfield(dst)
	if e.err != nil {
		return b
	}
	b = sf.Field.AppendHeader(b, false, 0)
	return binary.BigEndian.AppendUint32(b, uint32(sf.Offset))
}

type arg struct {
	src flow.Subfield
	dst flow.Field
}

// setupArgs saves the destinations, then pushes the sources and pops them
// into the destinations (encode_setup_args()). Arguments already in place
// are skipped.
func (e *encoder) setupArgs(args []arg) {
	for _, a := range args {
		if a.src.Field != a.dst {
			e.put(flow.StackPush{Subfield: whole(a.dst)})
		}
	}
	for i := len(args) - 1; i >= 0; i-- {
		if args[i].src.Field != args[i].dst {
			e.put(flow.StackPush{Subfield: args[i].src})
		}
	}
	for _, a := range args {
		if a.src.Field != a.dst {
			e.put(flow.StackPop{Subfield: whole(a.dst)})
		}
	}
}

func (e *encoder) restoreArgs(args []arg) {
	for i := len(args) - 1; i >= 0; i-- {
		if args[i].src.Field != args[i].dst {
			e.put(flow.StackPop{Subfield: whole(args[i].dst)})
		}
	}
}

// resultFromFlag clears a flag bit, resubmits, and moves the bit into dst.
func (e *encoder) resultFromFlag(dst Field, table uint8, bit int) {
	d := e.subfield(dst)
	e.loadBits(0, pipeline.RegFlags, bit, 1)
	e.resubmit(table)
	e.put(flow.Move{Src: flow.Subfield{Field: pipeline.RegFlags, Offset: bit, Bits: 1}, Dst: d})
}

func (a *Simple) encode(e *encoder) {
	switch a.Kind {
	case ActOutput:
		e.resubmit(e.ep.OutputTable)
	case ActDecTTL:
		// OVN sends dec_ttl with an empty controller-id list
		// (NXAST_DEC_TTL_CNT_IDS, dumped as "dec_ttl()"); a non-nil empty
		// list asks the flow package for that form where it supports it.
		e.put(flow.DecTTL{ControllerIDs: []uint16{}})
	case ActCTClear:
		e.put(flow.CTClear{})
	case ActIGMP:
		e.controllerOp(OpIGMP)
	case ActDHCP6Reply:
		e.controllerOp(OpDHCP6Server)
	case ActCTSnatToVIP:
		e.resubmit(e.ep.CTSnatVIPTable)
	case ActBFDMsg:
		e.controllerOp(OpBFDMsg)
	case ActMACCacheUse:
		e.resubmit(e.ep.MACCacheUseTable)
	}
}

func (a *Next) encode(e *encoder) { e.resubmit(e.firstTable(a.Pipeline) + uint8(a.Table)) }

func (a *Load) encode(e *encoder) {
	sym := a.Dst.Symbol
	if sym.OVNField != nil {
		switch sym.Name {
		case "icmp4.frag_mtu":
			e.controller(append(userdataHeader(OpPutICMP4FragMTU), low(&a.Imm.Value, 2)...), true, e.ep.CtrlMeterID)
		case "icmp6.frag_mtu":
			e.controller(append(userdataHeader(OpPutICMP6FragMTU), low(&a.Imm.Value, 4)...), true, e.ep.CtrlMeterID)
		default:
			e.fail("unknown OVN field %s", sym.Name)
		}
		return
	}
	dst := e.subfield(a.Dst)
	if e.err != nil {
		return
	}
	nb := dst.Field.Bytes()
	val, mask := make([]byte, nb), make([]byte, nb)
	if sym.Width != 0 {
		copyBitsInto(val, &a.Imm.Value, dst.Offset, dst.Bits)
		if a.Imm.Masked {
			copyBitsInto(mask, &a.Imm.Mask, dst.Offset, dst.Bits)
		} else {
			onesInto(mask, dst.Offset, dst.Bits)
		}
	} else {
		var port uint32
		if e.ep.LookupPort != nil {
			port, _ = e.ep.LookupPort(a.Imm.Str)
		}
		var v expr.Subvalue
		v.SetUint64(uint64(port))
		copyBitsInto(val, &v, 0, dst.Field.Bits())
		onesInto(mask, 0, dst.Field.Bits())
	}
	e.put(setField(dst.Field, val, mask))
}

func (a *Move) encode(e *encoder) {
	l, r := e.subfield(a.LHS), e.subfield(a.RHS)
	if a.Exchange {
		e.put(flow.StackPush{Subfield: r})
		e.put(flow.StackPush{Subfield: l})
		e.put(flow.StackPop{Subfield: r})
		e.put(flow.StackPop{Subfield: l})
		return
	}
	e.put(flow.Move{Src: r, Dst: l})
}

func (a *PushPop) encode(e *encoder) {
	sf := e.subfield(a.Field)
	if a.Pop {
		e.put(flow.StackPop{Subfield: sf})
	} else {
		e.put(flow.StackPush{Subfield: sf})
	}
}

func (a *Select) encode(e *encoder) {
	table := int(a.Table) + int(e.firstTable(e.ep.Pipeline))
	var sb strings.Builder
	sb.WriteString("type=select,selection_method=dp_hash")
	if e.ep.DPHashL4Sym {
		sb.WriteString(",selection_method_param=0x100000000")
	}
	sf := e.subfield(a.Res)
	if e.err != nil {
		return
	}
	for i, m := range a.Members {
		fmt.Fprintf(&sb, ",bucket=bucket_id=%d,weight:%d,actions=", i, m.Weight)
		fmt.Fprintf(&sb, "load:%d->%s[%d..%d],", m.ID, sf.Field.Name(), sf.Offset, sf.Offset+sf.Bits-1)
		fmt.Fprintf(&sb, "resubmit(,%d)", uint8(table))
	}
	e.group(sb.String())
}

func (e *encoder) group(desc string) {
	if e.ep.GroupTable == nil {
		e.fail("no group table")
		return
	}
	id, ok := e.ep.GroupTable.AssignIDFor(desc, e.ep.LflowUUID)
	if !ok {
		return
	}
	e.put(flow.GroupAction{ID: id})
}

var nestOpcodes = map[NestKind]Opcode{
	NestARP: OpARP, NestICMP4: OpICMP, NestICMP6: OpICMP, NestICMP4Error: OpICMP4Error,
	NestICMP6Error: OpICMP6Error, NestTCPReset: OpTCPReset, NestSCTPAbort: OpSCTPAbort,
	NestNDNA: OpNDNA, NestNDNARouter: OpNDNARouter, NestNDNS: OpNDNS, NestReject: OpReject,
}

func (a *Nest) encode(e *encoder) {
	switch a.Kind {
	case NestCTCommit:
		e.ctCommit(a.Nested)
	case NestClone:
		e.put(flow.Clone{Actions: e.nested(a.Nested)})
	default:
		inner := e.nested(a.Nested)
		ud := userdataHeader(nestOpcodes[a.Kind])
		ud = inner.Append(ud)
		e.controller(ud, false, e.ep.CtrlMeterID)
	}
}

func (a *GetMAC) encode(e *encoder) {
	ipField := flow.FieldReg0
	if a.ND {
		ipField = flow.FieldXXReg0
	}
	args := []arg{{e.subfield(a.Port), pipeline.RegOutport}, {e.subfield(a.IP), ipField}}
	e.setupArgs(args)
	e.loadBits(0, flow.FieldEthDst, 0, 48)
	e.resubmit(e.ep.MACBindTable)
	e.restoreArgs(args)
}

func (a *PutMAC) encode(e *encoder) {
	ipField, op := flow.FieldReg0, OpPutARP
	if a.ND {
		ipField, op = flow.FieldXXReg0, OpPutND
	}
	args := []arg{{e.subfield(a.Port), pipeline.RegInport}, {e.subfield(a.IP), ipField}, {e.subfield(a.MAC), flow.FieldEthSrc}}
	e.setupArgs(args)
	e.controllerOp(op)
	e.restoreArgs(args)
}

func (a *LookupMAC) encode(e *encoder) {
	ipField := flow.FieldReg0
	if a.ND {
		ipField = flow.FieldXXReg0
	}
	if a.NoMAC {
		args := []arg{{e.subfield(a.Port), pipeline.RegOutport}, {e.subfield(a.IP), ipField}}
		e.setupArgs(args)
		e.put(flow.StackPush{Subfield: whole(flow.FieldEthDst)})
		e.resultFromFlag(a.Dst, e.ep.MACBindTable, pipeline.FlagLookupMACBit)
		e.put(flow.StackPop{Subfield: whole(flow.FieldEthDst)})
		e.restoreArgs(args)
		return
	}
	args := []arg{{e.subfield(a.Port), pipeline.RegInport}, {e.subfield(a.IP), ipField}, {e.subfield(a.MAC), flow.FieldEthSrc}}
	e.setupArgs(args)
	e.resultFromFlag(a.Dst, e.ep.MACLookupTable, pipeline.FlagLookupMACBit)
	e.restoreArgs(args)
}

func (a *PutOpts) encode(e *encoder) {
	var ud []byte
	switch a.Kind {
	case OptsDHCPv4:
		ud = e.resultHeader(userdataHeader(OpPutDHCPOpts), a.Dst)
		ud = append(ud, dhcpv4Options(a.Options)...)
	case OptsDHCPv6:
		ud = e.resultHeader(userdataHeader(OpPutDHCPv6Opts), a.Dst)
		for i := range a.Options {
			ud = appendDHCPv6Option(ud, &a.Options[i])
		}
	case OptsNDRA:
		ud = e.resultHeader(userdataHeader(OpPutNDRAOpts), a.Dst)
		ud = append(ud, ndRAMessage(a.Options)...)
	}
	e.controller(ud, true, e.ep.CtrlMeterID)
}

func (a *SetQueue) encode(e *encoder) { e.put(flow.SetQueue{ID: uint32(a.QueueID)}) }

func (a *Result) encode(e *encoder) {
	switch a.Kind {
	case ResDNSLookup:
		e.controller(e.resultHeader(userdataHeader(OpDNSLookup), a.Dst), true, e.ep.CtrlMeterID)
	case ResChkLBHairpin:
		e.resultFromFlag(a.Dst, e.ep.LBHairpinTable, pipeline.FlagLookupLBHairpinBit)
	case ResChkLBHairpinReply:
		e.resultFromFlag(a.Dst, e.ep.LBHairpinReplyTable, pipeline.FlagLookupLBHairpinBit)
	case ResCheckInPortSec:
		e.resultFromFlag(a.Dst, e.ep.InPortSecTable, pipeline.FlagCheckPortSecBit)
	case ResCheckOutPortSec:
		e.resultFromFlag(a.Dst, e.ep.OutPortSecTable, pipeline.FlagCheckPortSecBit)
	case ResChkECMPNHMAC:
		e.resultFromFlag(a.Dst, e.ep.ECMPNHMACTable, pipeline.FlagLookupCommitECMPNHBit)
	case ResChkECMPNH:
		e.resultFromFlag(a.Dst, e.ep.ECMPNHTable, pipeline.FlagLookupCommitECMPNHBit)
	case ResChkLBAff:
		e.resultFromFlag(a.Dst, e.ep.LBAffinityTable, pipeline.FlagUseLBAffSessionBit)
	}
}

func (a *Log) encode(e *encoder) {
	var meterID uint32
	if a.HasMeter {
		if e.ep.MeterTable == nil {
			e.fail("no meter table")
			return
		}
		id, ok := e.ep.MeterTable.AssignIDFor(a.Meter, e.ep.LflowUUID)
		if !ok {
			return
		}
		meterID = id
	}
	ud := append(userdataHeader(OpLog), a.Verdict, a.Severity)
	if a.HasName {
		ud = append(ud, a.Name...)
	}
	e.controller(ud, false, meterID)
}

func (a *SetMeter) encode(e *encoder) {
	uuid := formatUUID(e.ep.LflowUUID)
	var name string
	if a.Burst != 0 {
		name = fmt.Sprintf("__string: uuid %s kbps burst stats bands=type=drop rate=%d burst_size=%d", uuid, int64(a.Rate), int64(a.Burst))
	} else {
		name = fmt.Sprintf("__string: uuid %s kbps stats bands=type=drop rate=%d", uuid, int64(a.Rate))
	}
	if e.ep.MeterTable == nil {
		e.fail("no meter table")
		return
	}
	id, ok := e.ep.MeterTable.AssignIDFor(name, e.ep.LflowUUID)
	if !ok {
		return
	}
	e.put(flow.MeterAction{ID: id})
}

func formatUUID(u [16]byte) string {
	const hx = "0123456789abcdef"
	var sb strings.Builder
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			sb.WriteByte('-')
		}
		sb.WriteByte(hx[b>>4])
		sb.WriteByte(hx[b&15])
	}
	return sb.String()
}

func (a *CheckPktLarger) encode(e *encoder) {
	e.put(flow.CheckPktLarger{Len: a.PktLen, Dst: e.subfield(a.Dst)})
}

func (a *TriggerEvent) encode(e *encoder) {
	ud := binary.BigEndian.AppendUint32(userdataHeader(OpEvent), uint32(a.Event.Type))
	ud = append(ud, eventOptions(a.Options)...)
	e.controller(ud, false, e.ep.CtrlMeterID)
}

func (a *BindVport) encode(e *encoder) {
	if e.ep.LookupPort == nil {
		return
	}
	key, ok := e.ep.LookupPort(a.Vport)
	if !ok {
		return
	}
	args := []arg{{e.subfield(a.Parent), pipeline.RegInport}}
	e.setupArgs(args)
	e.controller(binary.BigEndian.AppendUint32(userdataHeader(OpBindVport), key), false, e.ep.CtrlMeterID)
	e.restoreArgs(args)
}

func (a *HandleSvcCheck) encode(e *encoder) {
	args := []arg{{e.subfield(a.Port), pipeline.RegInport}}
	e.setupArgs(args)
	e.controllerOp(OpHandleSvcCheck)
	e.restoreArgs(args)
}

func (a *FwdGroup) encode(e *encoder) {
	if len(a.ChildPorts) == 0 {
		return
	}
	var sb strings.Builder
	sb.WriteString("type=select,selection_method=dp_hash")
	for _, port := range a.ChildPorts {
		if e.ep.LookupPort == nil {
			return
		}
		key, ok := e.ep.LookupPort(port)
		if !ok {
			return
		}
		sb.WriteString(",bucket=")
		if a.Liveness {
			if e.ep.TunnelOFPort == nil {
				return
			}
			ofport, ok := e.ep.TunnelOFPort(port)
			if !ok {
				return
			}
			fmt.Fprintf(&sb, "watch_port:%d,", int32(ofport))
		}
		// OVN prints the key in decimal behind "0x" (load=0x%d); ports with
		// keys >= 10 get a different key in the group. Reproduced as is.
		fmt.Fprintf(&sb, "load=0x%d->NXM_NX_REG%d[0..15]", key, pipeline.RegOutport-flow.FieldReg0)
		fmt.Fprintf(&sb, ",resubmit(,%d)", e.ep.OutputTable)
	}
	e.group(sb.String())
}

func (a *PutFDB) encode(e *encoder) {
	args := []arg{{e.subfield(a.Port), pipeline.RegInport}, {e.subfield(a.MAC), flow.FieldEthSrc}}
	e.setupArgs(args)
	e.controllerOp(OpPutFDB)
	e.restoreArgs(args)
}

func (a *GetFDB) encode(e *encoder) {
	dst := e.subfield(a.Dst)
	args := []arg{{e.subfield(a.MAC), flow.FieldEthDst}}
	e.setupArgs(args)
	e.loadBits(0, pipeline.RegOutport, 0, 32)
	e.resubmit(e.ep.FDBTable)
	e.restoreArgs(args)
	if dst.Field != pipeline.RegOutport {
		e.put(flow.Move{Src: whole(pipeline.RegOutport), Dst: dst})
	}
}

func (a *LookupFDB) encode(e *encoder) {
	args := []arg{{e.subfield(a.Port), pipeline.RegInport}, {e.subfield(a.MAC), flow.FieldEthSrc}}
	e.setupArgs(args)
	dst := e.subfield(a.Dst)
	e.loadBits(0, pipeline.RegFlags, pipeline.FlagLookupFDBBit, 1)
	e.resubmit(e.ep.FDBLookupTable)
	e.restoreArgs(args)
	e.put(flow.Move{Src: flow.Subfield{Field: pipeline.RegFlags, Offset: pipeline.FlagLookupFDBBit, Bits: 1}, Dst: dst})
}

func (a *Sample) encode(e *encoder) {
	if !e.ep.CollectorSetIDs[a.CollectorSet] {
		return
	}
	point := a.ObsPoint
	if a.UseCookie {
		point = e.ep.Cookie()
	}
	e.put(flow.Sample{
		Probability:    a.Probability,
		CollectorSetID: a.CollectorSet,
		ObsDomainID:    uint32(a.ObsDomain)<<24 | e.ep.DPKey&0xffffff,
		ObsPointID:     point,
	})
}
