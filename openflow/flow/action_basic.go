package flow

import (
	"encoding/binary"
	"fmt"
)

// Port is an OpenFlow port number in OVS's 16-bit (OpenFlow 1.0) numbering,
// which OVS uses inside actions; reserved ports sit at 0xfff7 and above.
// On the OpenFlow 1.1+ wire they become 0xfffffff7 and above.
type Port uint16

// Reserved ports (OFPP_*).
const (
	PortMax        Port = 0xff00 // first number not usable for a real port
	PortUnset      Port = 0xfff7
	PortInPort     Port = 0xfff8
	PortTable      Port = 0xfff9
	PortNormal     Port = 0xfffa
	PortFlood      Port = 0xfffb
	PortAll        Port = 0xfffc
	PortController Port = 0xfffd
	PortLocal      Port = 0xfffe
	PortAny        Port = 0xffff // OFPP_NONE
)

var reservedPortNames = [...]string{"UNSET", "IN_PORT", "TABLE", "NORMAL", "FLOOD", "ALL", "CONTROLLER", "LOCAL", "ANY"}

// String is the port as OVS prints it: the number, or the reserved name.
func (p Port) String() string { return string(appendPort(nil, p)) }

func appendPort(b []byte, p Port) []byte {
	if p >= PortUnset {
		return append(b, reservedPortNames[p-PortUnset]...)
	}
	return appendUint(b, uint64(p))
}

// port32 converts p to OpenFlow 1.1+ numbering.
func port32(p Port) uint32 {
	if p >= PortMax {
		return uint32(p) + 0xffff0000
	}
	return uint32(p)
}

// portFrom32 converts an OpenFlow 1.1+ port number, rejecting the numbers
// between the 16-bit range and the reserved range as OVS does.
func portFrom32(v uint32) (Port, error) {
	switch {
	case v < uint32(PortMax):
		return Port(v), nil
	case v >= 0xffffff00:
		return Port(v - 0xffff0000), nil
	}
	return 0, fmt.Errorf("%w: port 0x%x outside the OpenFlow 1.0 range", ErrBadAction, v)
}

// MaxLenAll is the max_len that sends the whole packet to the controller.
const MaxLenAll = 0xffff

// Output sends the packet to a port: "output:1", "LOCAL", "IN_PORT",
// "CONTROLLER:65535". MaxLen matters only for PortController.
type Output struct {
	Port   Port
	MaxLen uint16
}

func (a Output) String() string { return stringOf(a) }

func (a Output) appendText(b []byte) []byte {
	if a.Port < PortMax {
		b = append(b, "output:"...)
	}
	b = appendPort(b, a.Port)
	if a.Port == PortController {
		b = append(b, ':')
		b = appendUint(b, uint64(a.MaxLen))
	}
	return b
}

func (a Output) appendWire(b []byte) []byte {
	p := port32(a.Port)
	return append(b, 0, ofpatOutput, 0, 16, byte(p>>24), byte(p>>16), byte(p>>8), byte(p),
		byte(a.MaxLen>>8), byte(a.MaxLen), 0, 0, 0, 0, 0, 0)
}

func decodeOutput(b []byte) (Action, error) {
	if len(b) != 16 {
		return nil, fmt.Errorf("%w: output of %d bytes", ErrBadAction, len(b))
	}
	p, err := portFrom32(be32(b, 4))
	if err != nil {
		return nil, err
	}
	return Output{Port: p, MaxLen: be16(b, 8)}, nil
}

// OutputTrunc outputs a packet truncated to MaxLen bytes:
// "output(port=1,max_len=100)".
type OutputTrunc struct {
	Port   Port
	MaxLen uint32
}

func (a OutputTrunc) String() string { return stringOf(a) }

func (a OutputTrunc) appendText(b []byte) []byte {
	b = append(b, "output(port="...)
	b = appendPort(b, a.Port)
	b = append(b, ",max_len="...)
	b = appendUint(b, uint64(a.MaxLen))
	return append(b, ')')
}

func (a OutputTrunc) appendWire(b []byte) []byte {
	start := len(b)
	b = appendNXHeader(b, nxastOutputTrunc)
	b = binary.BigEndian.AppendUint16(b, uint16(a.Port))
	b = binary.BigEndian.AppendUint32(b, a.MaxLen)
	return finishAction(b, start)
}

// TableNone is the table value that means "no table" in Resubmit and CT.
const TableNone = 0xff

// Resubmit searches a flow table again: "resubmit(,64)",
// "resubmit(5,64)", "resubmit(,10,ct)", or "resubmit:5" (Table TableNone).
// Port 0 means the packet's own in_port (OFPP_IN_PORT).
type Resubmit struct {
	Port  Port
	Table uint8
	CT    bool // look up with the conntrack original tuple (NXAST_RESUBMIT_TABLE_CT)
}

func (a Resubmit) String() string { return stringOf(a) }

func (a Resubmit) port() Port {
	if a.Port == 0 {
		return PortInPort
	}
	return a.Port
}

func (a Resubmit) appendText(b []byte) []byte {
	port := a.port()
	if port != PortInPort && a.Table == TableNone { // OVS drops ",ct" here too
		b = append(b, "resubmit:"...)
		return appendPort(b, port)
	}
	b = append(b, "resubmit("...)
	if port != PortInPort {
		b = appendPort(b, port)
	}
	b = append(b, ',')
	if a.Table != TableNone {
		b = appendUint(b, uint64(a.Table))
	}
	if a.CT {
		b = append(b, ",ct"...)
	}
	return append(b, ')')
}

func (a Resubmit) appendWire(b []byte) []byte {
	sub := uint16(nxastResubmitTable)
	if a.CT {
		sub = nxastResubmitTableCT
	}
	port := a.port()
	start := len(b)
	b = appendNXHeader(b, sub)
	b = append(b, byte(port>>8), byte(port), a.Table, 0, 0, 0)
	return finishAction(b, start)
}

func decodeResubmit(b []byte, sub uint16) (Action, error) {
	if len(b) != 16 {
		return nil, fmt.Errorf("%w: resubmit of %d bytes", ErrBadAction, len(b))
	}
	a := Resubmit{Port: Port(be16(b, 10)), Table: TableNone}
	if sub != nxastResubmit {
		a.Table = b[12]
		a.CT = sub == nxastResubmitTableCT
	}
	if a.Port == PortInPort {
		a.Port = 0
	}
	return a, nil
}

// GroupAction sends the packet to a group: "group:1".
type GroupAction struct{ ID uint32 }

func (a GroupAction) String() string { return stringOf(a) }
func (a GroupAction) appendText(b []byte) []byte {
	return appendUint(append(b, "group:"...), uint64(a.ID))
}
func (a GroupAction) appendWire(b []byte) []byte { return appendU32Action(b, ofpatGroup, a.ID) }

// MeterAction sends the packet through a meter (the OpenFlow 1.5 action):
// "meter:1".
type MeterAction struct{ ID uint32 }

func (a MeterAction) String() string { return stringOf(a) }
func (a MeterAction) appendText(b []byte) []byte {
	return appendUint(append(b, "meter:"...), uint64(a.ID))
}
func (a MeterAction) appendWire(b []byte) []byte { return appendU32Action(b, ofpatMeter, a.ID) }

// SetQueue sets the output queue: "set_queue:5".
type SetQueue struct{ ID uint32 }

func (a SetQueue) String() string { return stringOf(a) }
func (a SetQueue) appendText(b []byte) []byte {
	return appendUint(append(b, "set_queue:"...), uint64(a.ID))
}
func (a SetQueue) appendWire(b []byte) []byte { return appendU32Action(b, ofpatSetQueue, a.ID) }

// PopQueue restores the queue from before set_queue: "pop_queue".
type PopQueue struct{}

func (a PopQueue) String() string             { return "pop_queue" }
func (a PopQueue) appendText(b []byte) []byte { return append(b, "pop_queue"...) }
func (a PopQueue) appendWire(b []byte) []byte { return appendNXVoid(b, nxastPopQueue) }

// appendNXVoid appends a Nicira action that is only a header.
func appendNXVoid(b []byte, subtype uint16) []byte {
	start := len(b)
	return finishAction(appendNXHeader(b, subtype), start)
}

// Enqueue is OVS's enqueue:PORT:QUEUE as OpenFlow 1.5 carries it, and as
// dumps print it: "set_queue:5,output:1,pop_queue".
func Enqueue(port Port, queue uint32) Actions {
	return Actions{SetQueue{ID: queue}, Output{Port: port, MaxLen: MaxLenAll}, PopQueue{}}
}

// PushVLAN pushes a VLAN header: "push_vlan:0x8100".
type PushVLAN struct{ EtherType uint16 }

func (a PushVLAN) String() string { return stringOf(a) }
func (a PushVLAN) appendText(b []byte) []byte {
	b = append(b, "push_vlan:"...)
	return appendHex(b, uint64(a.EtherType))
}
func (a PushVLAN) appendWire(b []byte) []byte {
	return append(b, 0, ofpatPushVLAN, 0, 8, byte(a.EtherType>>8), byte(a.EtherType), 0, 0)
}

// PopVLAN pops the outer VLAN header: "pop_vlan". (strip_vlan is the
// OpenFlow 1.0 spelling of the same action; OpenFlow 1.5 dumps print pop_vlan.)
type PopVLAN struct{}

func (a PopVLAN) String() string             { return "pop_vlan" }
func (a PopVLAN) appendText(b []byte) []byte { return append(b, "pop_vlan"...) }
func (a PopVLAN) appendWire(b []byte) []byte {
	return append(b, 0, ofpatPopVLAN, 0, 8, 0, 0, 0, 0)
}

// SetIPTTL sets the IP TTL with the OpenFlow 1.1+ action: "mod_nw_ttl:5".
// (OVN writes the TTL with set_field:N->nw_ttl, a SetField.)
type SetIPTTL struct{ TTL uint8 }

func (a SetIPTTL) String() string { return stringOf(a) }
func (a SetIPTTL) appendText(b []byte) []byte {
	return appendUint(append(b, "mod_nw_ttl:"...), uint64(a.TTL))
}
func (a SetIPTTL) appendWire(b []byte) []byte {
	return append(b, 0, ofpatSetNwTTL, 0, 8, a.TTL, 0, 0, 0)
}

// DecTTL decrements the IP TTL. Like OVS's ofpact it has two wire forms:
// a nil ControllerIDs is OpenFlow's plain dec_ttl; a non-nil list, even an
// empty one (what OVN's "ip.ttl--" puts), is Nicira's dec_ttl_cnt_ids.
// The text follows OVS: "dec_ttl(1,2)" with ids, and for an empty list
// "dec_ttl()" once decoded from the switch (CntIDs) but "dec_ttl" as OVN's
// encoder prints it before it reaches the wire.
type DecTTL struct {
	ControllerIDs []uint16
	// CntIDs: decoded from the dec_ttl_cnt_ids form.
	CntIDs bool
}

func (a DecTTL) String() string { return stringOf(a) }
func (a DecTTL) appendText(b []byte) []byte {
	b = append(b, "dec_ttl"...)
	if len(a.ControllerIDs) == 0 && !a.CntIDs {
		return b
	}
	b = append(b, '(')
	for i, id := range a.ControllerIDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendUint(b, uint64(id))
	}
	return append(b, ')')
}
func (a DecTTL) appendWire(b []byte) []byte {
	if a.ControllerIDs == nil && !a.CntIDs {
		return append(b, 0, ofpatDecNwTTL, 0, 8, 0, 0, 0, 0)
	}
	start := len(b)
	b = appendNXHeader(b, nxastDecTTLCntIDs)
	b = binary.BigEndian.AppendUint16(b, uint16(len(a.ControllerIDs)))
	b = append(b, 0, 0, 0, 0)
	for _, id := range a.ControllerIDs {
		b = binary.BigEndian.AppendUint16(b, id)
	}
	return finishAction(b, start)
}

func decodeDecTTLCntIDs(b []byte) (Action, error) {
	n := int(be16(b, 10))
	if 16+2*n > len(b) {
		return nil, fmt.Errorf("%w: dec_ttl with %d controller ids in %d bytes", ErrBadAction, n, len(b))
	}
	ids := make([]uint16, n)
	for i := range ids {
		ids[i] = be16(b, 16+2*i)
	}
	return DecTTL{ControllerIDs: ids, CntIDs: true}, nil
}

// Exit stops processing the action list: "exit".
type Exit struct{}

func (a Exit) String() string             { return "exit" }
func (a Exit) appendText(b []byte) []byte { return append(b, "exit"...) }
func (a Exit) appendWire(b []byte) []byte { return appendNXVoid(b, nxastExit) }

// CTClear clears the conntrack state of the packet: "ct_clear".
type CTClear struct{}

func (a CTClear) String() string             { return "ct_clear" }
func (a CTClear) appendText(b []byte) []byte { return append(b, "ct_clear"...) }
func (a CTClear) appendWire(b []byte) []byte { return appendNXVoid(b, nxastCTClear) }

// Conjunction marks the flow as clause K of N of conjunctive match ID:
// "conjunction(100,2/2)". K counts from 1, as printed.
type Conjunction struct {
	ID   uint32
	K, N uint8
}

func (a Conjunction) String() string { return stringOf(a) }
func (a Conjunction) appendText(b []byte) []byte {
	b = append(b, "conjunction("...)
	b = appendUint(b, uint64(a.ID))
	b = append(b, ',')
	b = appendUint(b, uint64(a.K))
	b = append(b, '/')
	b = appendUint(b, uint64(a.N))
	return append(b, ')')
}
func (a Conjunction) appendWire(b []byte) []byte {
	start := len(b)
	b = appendNXHeader(b, nxastConjunction)
	b = append(b, a.K-1, a.N)
	b = binary.BigEndian.AppendUint32(b, a.ID)
	return finishAction(b, start)
}

// Note carries opaque bytes: "note:01.02.00.00.00.00". The wire form pads
// the note so the action is a multiple of 8 bytes and OVS keeps the padding
// as part of the note; String prints the padded note, as a dump shows it.
type Note struct{ Data []byte }

func (a Note) String() string { return stringOf(a) }
func (a Note) appendText(b []byte) []byte {
	b = append(b, "note:"...)
	b = appendHexDots(b, a.Data)
	for i := len(a.Data); i < notePaddedLen(len(a.Data)); i++ {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, '0', '0')
	}
	return b
}

// notePaddedLen is the note length after padding the action (10 header
// bytes + note, at least 16) to a multiple of 8.
func notePaddedLen(n int) int {
	total := (10 + n + 7) / 8 * 8
	if total < 16 {
		total = 16
	}
	return total - 10
}

func (a Note) appendWire(b []byte) []byte {
	start := len(b)
	b = appendNXHeader(b, nxastNote)
	b = append(b, a.Data...)
	for len(b)-start < 16 {
		b = append(b, 0)
	}
	return finishAction(b, start)
}

// FinTimeout changes the flow's timeouts when a TCP FIN or RST is seen:
// "fin_timeout(idle_timeout=10,hard_timeout=20)".
type FinTimeout struct{ IdleTimeout, HardTimeout uint16 }

func (a FinTimeout) String() string { return stringOf(a) }
func (a FinTimeout) appendText(b []byte) []byte {
	b = append(b, "fin_timeout("...)
	if a.IdleTimeout != 0 {
		b = appendUint(append(b, "idle_timeout="...), uint64(a.IdleTimeout))
		b = append(b, ',')
	}
	if a.HardTimeout != 0 {
		b = appendUint(append(b, "hard_timeout="...), uint64(a.HardTimeout))
		b = append(b, ',')
	}
	b = chompComma(b)
	return append(b, ')')
}
func (a FinTimeout) appendWire(b []byte) []byte {
	start := len(b)
	b = appendNXHeader(b, nxastFinTimeout)
	b = binary.BigEndian.AppendUint16(b, a.IdleTimeout)
	b = binary.BigEndian.AppendUint16(b, a.HardTimeout)
	return finishAction(b, start)
}

// chompComma drops one trailing comma, as OVS ds_chomp(s, ',') does.
func chompComma(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == ',' {
		return b[:len(b)-1]
	}
	return b
}

// SampleDirection says where a sampled packet is reported (NXAST_SAMPLE3).
type SampleDirection uint8

// Sample directions.
const (
	SampleDefault SampleDirection = iota
	SampleIngress
	SampleEgress
)

// Sample sends a sample of the packet to IPFIX collectors:
// "sample(probability=100,collector_set_id=1,obs_domain_id=2,obs_point_id=3)".
// SamplingPort 0 means none.
type Sample struct {
	Probability    uint16
	CollectorSetID uint32
	ObsDomainID    uint32
	ObsPointID     uint32
	SamplingPort   Port
	Direction      SampleDirection
}

func (a Sample) String() string { return stringOf(a) }
func (a Sample) appendText(b []byte) []byte {
	b = appendUint(append(b, "sample(probability="...), uint64(a.Probability))
	b = appendUint(append(b, ",collector_set_id="...), uint64(a.CollectorSetID))
	b = appendUint(append(b, ",obs_domain_id="...), uint64(a.ObsDomainID))
	b = appendUint(append(b, ",obs_point_id="...), uint64(a.ObsPointID))
	if a.SamplingPort != 0 && a.SamplingPort != PortAny {
		b = appendPort(append(b, ",sampling_port="...), a.SamplingPort)
	}
	switch a.Direction {
	case SampleIngress:
		b = append(b, ",ingress"...)
	case SampleEgress:
		b = append(b, ",egress"...)
	}
	return append(b, ')')
}
func (a Sample) appendWire(b []byte) []byte {
	start := len(b)
	port := a.SamplingPort
	if port == 0 {
		port = PortAny
	}
	sub := uint16(nxastSample)
	switch {
	case a.Direction != SampleDefault:
		sub = nxastSample3
	case port != PortAny:
		sub = nxastSample2
	}
	b = appendNXHeader(b, sub)
	b = binary.BigEndian.AppendUint16(b, a.Probability)
	b = binary.BigEndian.AppendUint32(b, a.CollectorSetID)
	b = binary.BigEndian.AppendUint32(b, a.ObsDomainID)
	b = binary.BigEndian.AppendUint32(b, a.ObsPointID)
	if sub != nxastSample {
		b = binary.BigEndian.AppendUint16(b, uint16(port))
		b = append(b, byte(a.Direction))
	}
	return finishAction(b, start)
}

func decodeSample(b []byte, sub uint16) (Action, error) {
	want := 24
	if sub != nxastSample {
		want = 32
	}
	if len(b) != want {
		return nil, fmt.Errorf("%w: sample of %d bytes", ErrBadAction, len(b))
	}
	a := Sample{Probability: be16(b, 10), CollectorSetID: be32(b, 12), ObsDomainID: be32(b, 16), ObsPointID: be32(b, 20)}
	if sub != nxastSample {
		a.SamplingPort = Port(be16(b, 24))
		if a.SamplingPort == PortAny {
			a.SamplingPort = 0
		}
	}
	if sub == nxastSample3 {
		a.Direction = SampleDirection(b[26])
	}
	return a, nil
}

// PacketInReason is the reason a packet-in carries (OFPR_*).
type PacketInReason uint8

// Packet-in reasons.
const (
	ReasonNoMatch PacketInReason = iota
	ReasonAction
	ReasonInvalidTTL
	ReasonActionSet
	ReasonGroup
	ReasonPacketOut
)

var reasonNames = [...]string{"no_match", "action", "invalid_ttl", "action_set", "group", "packet_out"}

func appendReason(b []byte, r PacketInReason) []byte {
	if int(r) < len(reasonNames) {
		return append(b, reasonNames[r]...)
	}
	if r == 6 || r == 7 { // explicit/implicit miss print as nothing in OVS
		return b
	}
	return appendUint(b, uint64(r))
}

// Controller sends the packet to the controller (NXAST_CONTROLLER2 when it
// has userdata, pause or a meter): "controller(userdata=00.00.00.01,pause)".
// Without any of reason, id, userdata, pause and meter it prints as
// "CONTROLLER:<max_len>". Set MaxLen to MaxLenAll and Reason to
// ReasonAction for the defaults OVS and OVN use.
type Controller struct {
	MaxLen   uint16
	ID       uint16 // controller connection id
	Reason   PacketInReason
	Userdata []byte
	Pause    bool
	MeterID  uint32 // 0: none
}

// NewController is the controller action OVN emits: the whole packet,
// reason action, with userdata and optionally pause.
func NewController(userdata []byte, pause bool) Controller {
	return Controller{MaxLen: MaxLenAll, Reason: ReasonAction, Userdata: userdata, Pause: pause}
}

func (a Controller) String() string { return stringOf(a) }

func (a Controller) appendText(b []byte) []byte {
	if a.Reason == ReasonAction && a.ID == 0 && len(a.Userdata) == 0 && !a.Pause && a.MeterID == 0 {
		return appendUint(append(b, "CONTROLLER:"...), uint64(a.MaxLen))
	}
	b = append(b, "controller("...)
	if a.Reason != ReasonAction {
		b = append(appendReason(append(b, "reason="...), a.Reason), ',')
	}
	if a.MaxLen != MaxLenAll {
		b = append(appendUint(append(b, "max_len="...), uint64(a.MaxLen)), ',')
	}
	if a.ID != 0 {
		b = append(appendUint(append(b, "id="...), uint64(a.ID)), ',')
	}
	if len(a.Userdata) > 0 {
		b = append(appendHexDots(append(b, "userdata="...), a.Userdata), ',')
	}
	if a.Pause {
		b = append(b, "pause,"...)
	}
	if a.MeterID != 0 {
		b = append(appendUint(append(b, "meter_id="...), uint64(a.MeterID)), ',')
	}
	b = chompComma(b)
	return append(b, ')')
}

// NXAST_CONTROLLER2 property types (NXAC2PT_*).
const (
	nxac2ptMaxLen = iota
	nxac2ptControllerID
	nxac2ptReason
	nxac2ptUserdata
	nxac2ptPause
	nxac2ptMeterID
)

func (a Controller) appendWire(b []byte) []byte {
	start := len(b)
	if len(a.Userdata) == 0 && !a.Pause && a.MeterID == 0 {
		b = appendNXHeader(b, nxastController)
		b = binary.BigEndian.AppendUint16(b, a.MaxLen)
		b = binary.BigEndian.AppendUint16(b, a.ID)
		b = append(b, byte(a.Reason), 0)
		return finishAction(b, start)
	}
	b = appendNXHeader(b, nxastController2)
	b = append(b, 0, 0, 0, 0, 0, 0)
	if a.MaxLen != MaxLenAll {
		// OpenFlow gives 16-bit properties 8 bytes: value and 2 zero bytes.
		b = appendProp(b, nxac2ptMaxLen, byte(a.MaxLen>>8), byte(a.MaxLen), 0, 0)
	}
	if a.ID != 0 {
		b = appendProp(b, nxac2ptControllerID, byte(a.ID>>8), byte(a.ID), 0, 0)
	}
	if a.Reason != ReasonAction {
		b = appendProp(b, nxac2ptReason, byte(a.Reason))
	}
	if len(a.Userdata) > 0 {
		b = appendProp(b, nxac2ptUserdata, a.Userdata...)
	}
	if a.Pause {
		b = appendProp(b, nxac2ptPause)
	}
	if a.MeterID != 0 {
		m := a.MeterID
		b = appendProp(b, nxac2ptMeterID, byte(m>>24), byte(m>>16), byte(m>>8), byte(m))
	}
	return finishAction(b, start)
}

// appendProp appends an OpenFlow property (type, length, payload, padding
// to 8 bytes); the caller keeps b 8-byte aligned where properties start.
func appendProp(b []byte, typ uint16, payload ...byte) []byte {
	n := 4 + len(payload)
	b = append(b, byte(typ>>8), byte(typ), byte(n>>8), byte(n))
	b = append(b, payload...)
	for ; n%8 != 0; n++ {
		b = append(b, 0)
	}
	return b
}

// nextProp splits the first property off b: its type, payload and the rest.
func nextProp(b []byte) (typ uint16, payload, rest []byte, err error) {
	if len(b) < 4 {
		return 0, nil, nil, fmt.Errorf("%w: %d-byte property", ErrBadAction, len(b))
	}
	n := int(be16(b, 2))
	padded := (n + 7) / 8 * 8
	if n < 4 || padded > len(b) {
		return 0, nil, nil, fmt.Errorf("%w: property length %d in %d bytes", ErrBadAction, n, len(b))
	}
	return be16(b, 0), b[4:n], b[padded:], nil
}

func decodeController2(b []byte) (Action, error) {
	a := Controller{MaxLen: MaxLenAll, Reason: ReasonAction}
	for props := b[16:]; len(props) > 0; {
		typ, payload, rest, err := nextProp(props)
		if err != nil {
			return nil, fmt.Errorf("controller: %w", err)
		}
		props = rest
		short := func(n int) error {
			if len(payload) < n {
				return fmt.Errorf("%w: controller property %d of %d bytes", ErrBadAction, typ, len(payload))
			}
			return nil
		}
		switch typ {
		case nxac2ptMaxLen:
			if err := short(2); err != nil {
				return nil, err
			}
			a.MaxLen = be16(payload, 0)
		case nxac2ptControllerID:
			if err := short(2); err != nil {
				return nil, err
			}
			a.ID = be16(payload, 0)
		case nxac2ptReason:
			if err := short(1); err != nil {
				return nil, err
			}
			a.Reason = PacketInReason(payload[0])
		case nxac2ptUserdata:
			a.Userdata = append([]byte(nil), payload...)
		case nxac2ptPause:
			a.Pause = true
		case nxac2ptMeterID:
			if err := short(4); err != nil {
				return nil, err
			}
			a.MeterID = be32(payload, 0)
		default:
			return newRaw(b), nil
		}
	}
	return a, nil
}

// Clone runs Actions on a copy of the packet: "clone(ct_clear,resubmit(,8))".
type Clone struct{ Actions Actions }

func (a Clone) String() string { return stringOf(a) }
func (a Clone) appendText(b []byte) []byte {
	b = append(b, "clone("...)
	b = a.Actions.AppendText(b)
	return append(b, ')')
}
func (a Clone) appendWire(b []byte) []byte {
	start := len(b)
	b = appendNXHeader(b, nxastClone)
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = a.Actions.Append(b)
	return finishAction(b, start)
}

// appendHex prints v as C's "%#x": "0x1a", or "0" for zero.
func appendHex(b []byte, v uint64) []byte {
	if v == 0 {
		return append(b, '0')
	}
	return appendHexDigits(append(b, '0', 'x'), v)
}

func appendHexDigits(b []byte, v uint64) []byte {
	const hexdigits = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = hexdigits[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
