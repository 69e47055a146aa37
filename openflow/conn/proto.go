package conn

import (
	"encoding/binary"
	"fmt"
)

// Version is the only OpenFlow version chassisd speaks (OpenFlow 1.5).
const Version uint8 = 0x06

// HeaderLen is the size of the OpenFlow header that starts every message.
const HeaderLen = 8

// MaxMessageLen is the largest OpenFlow message (the length field is 16 bits).
const MaxMessageLen = 0xffff

// NiciraVendor is the experimenter id of Open vSwitch's Nicira extensions.
const NiciraVendor uint32 = 0x00002320

// MsgType is an OpenFlow 1.5 message type (OFPT_*).
type MsgType uint8

// OpenFlow 1.5 message types.
const (
	TypeHello            MsgType = 0
	TypeError            MsgType = 1
	TypeEchoRequest      MsgType = 2
	TypeEchoReply        MsgType = 3
	TypeExperimenter     MsgType = 4
	TypeFeaturesRequest  MsgType = 5
	TypeFeaturesReply    MsgType = 6
	TypeGetConfigRequest MsgType = 7
	TypeGetConfigReply   MsgType = 8
	TypeSetConfig        MsgType = 9
	TypePacketIn         MsgType = 10
	TypeFlowRemoved      MsgType = 11
	TypePortStatus       MsgType = 12
	TypePacketOut        MsgType = 13
	TypeFlowMod          MsgType = 14
	TypeGroupMod         MsgType = 15
	TypePortMod          MsgType = 16
	TypeTableMod         MsgType = 17
	TypeMultipartRequest MsgType = 18
	TypeMultipartReply   MsgType = 19
	TypeBarrierRequest   MsgType = 20
	TypeBarrierReply     MsgType = 21
	TypeRoleRequest      MsgType = 24
	TypeRoleReply        MsgType = 25
	TypeGetAsyncRequest  MsgType = 26
	TypeGetAsyncReply    MsgType = 27
	TypeSetAsync         MsgType = 28
	TypeMeterMod         MsgType = 29
	TypeRoleStatus       MsgType = 30
	TypeTableStatus      MsgType = 31
	TypeRequestForward   MsgType = 32
	TypeBundleControl    MsgType = 33
	TypeBundleAddMessage MsgType = 34
	TypeControllerStatus MsgType = 35
)

var msgTypeNames = map[MsgType]string{
	TypeHello: "OFPT_HELLO", TypeError: "OFPT_ERROR", TypeEchoRequest: "OFPT_ECHO_REQUEST",
	TypeEchoReply: "OFPT_ECHO_REPLY", TypeExperimenter: "OFPT_EXPERIMENTER",
	TypeFeaturesRequest: "OFPT_FEATURES_REQUEST", TypeFeaturesReply: "OFPT_FEATURES_REPLY",
	TypeGetConfigRequest: "OFPT_GET_CONFIG_REQUEST", TypeGetConfigReply: "OFPT_GET_CONFIG_REPLY",
	TypeSetConfig: "OFPT_SET_CONFIG", TypePacketIn: "OFPT_PACKET_IN", TypeFlowRemoved: "OFPT_FLOW_REMOVED",
	TypePortStatus: "OFPT_PORT_STATUS", TypePacketOut: "OFPT_PACKET_OUT", TypeFlowMod: "OFPT_FLOW_MOD",
	TypeGroupMod: "OFPT_GROUP_MOD", TypePortMod: "OFPT_PORT_MOD", TypeTableMod: "OFPT_TABLE_MOD",
	TypeMultipartRequest: "OFPT_MULTIPART_REQUEST", TypeMultipartReply: "OFPT_MULTIPART_REPLY",
	TypeBarrierRequest: "OFPT_BARRIER_REQUEST", TypeBarrierReply: "OFPT_BARRIER_REPLY",
	TypeRoleRequest: "OFPT_ROLE_REQUEST", TypeRoleReply: "OFPT_ROLE_REPLY",
	TypeGetAsyncRequest: "OFPT_GET_ASYNC_REQUEST", TypeGetAsyncReply: "OFPT_GET_ASYNC_REPLY",
	TypeSetAsync: "OFPT_SET_ASYNC", TypeMeterMod: "OFPT_METER_MOD", TypeRoleStatus: "OFPT_ROLE_STATUS",
	TypeTableStatus: "OFPT_TABLE_STATUS", TypeRequestForward: "OFPT_REQUESTFORWARD",
	TypeBundleControl: "OFPT_BUNDLE_CONTROL", TypeBundleAddMessage: "OFPT_BUNDLE_ADD_MESSAGE",
	TypeControllerStatus: "OFPT_CONTROLLER_STATUS",
}

func (t MsgType) String() string {
	if n, ok := msgTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("OFPT_%d", uint8(t))
}

// Nicira extension message subtypes (NXT_*), carried in OFPT_EXPERIMENTER.
const (
	NXTSetPacketInFormat uint32 = 16
	NXTSetControllerID   uint32 = 20
	NXTTLVTableMod       uint32 = 24
	NXTTLVTableRequest   uint32 = 25
	NXTTLVTableReply     uint32 = 26
	NXTResume            uint32 = 28
	NXTCTFlushZone       uint32 = 29
	NXTPacketIn2         uint32 = 30
)

var nxtNames = map[uint32]string{
	NXTSetPacketInFormat: "NXT_SET_PACKET_IN_FORMAT", NXTSetControllerID: "NXT_SET_CONTROLLER_ID",
	NXTTLVTableMod: "NXT_TLV_TABLE_MOD", NXTTLVTableRequest: "NXT_TLV_TABLE_REQUEST",
	NXTTLVTableReply: "NXT_TLV_TABLE_REPLY", NXTResume: "NXT_RESUME",
	NXTCTFlushZone: "NXT_CT_FLUSH_ZONE", NXTPacketIn2: "NXT_PACKET_IN2",
}

// Packet-in formats for NXT_SET_PACKET_IN_FORMAT.
const (
	PacketInFormatStandard uint32 = 0
	PacketInFormatNXT      uint32 = 1
	PacketInFormatNXT2     uint32 = 2
)

// Special port, group, buffer, meter numbers.
const (
	PortAny        uint32 = 0xffffffff
	PortController uint32 = 0xfffffffd
	PortTable      uint32 = 0xfffffff9
	PortInPort     uint32 = 0xfffffff8
	GroupAll       uint32 = 0xfffffffc
	GroupAny       uint32 = 0xffffffff
	MeterAll       uint32 = 0xffffffff
	NoBuffer       uint32 = 0xffffffff
	TableAll       uint8  = 0xff
)

// Header is the fixed OpenFlow header.
type Header struct {
	Version uint8
	Type    MsgType
	Length  uint16
	Xid     uint32
}

// Message is one OpenFlow message as received: Raw holds the whole message
// including the header; Body is Raw without the 8-byte header.
type Message struct {
	Header
	Raw []byte
}

// Body returns the message without its header.
func (m Message) Body() []byte { return m.Raw[HeaderLen:] }

// ParseHeader decodes the OpenFlow header at the start of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("openflow header: %d bytes, need %d", len(b), HeaderLen)
	}
	h := Header{Version: b[0], Type: MsgType(b[1]), Length: be16(b[2:]), Xid: be32(b[4:])}
	if h.Length < HeaderLen {
		return h, fmt.Errorf("openflow header: length %d shorter than header", h.Length)
	}
	return h, nil
}

// Experimenter returns the experimenter id and subtype of an
// OFPT_EXPERIMENTER message.
func (m Message) Experimenter() (vendor, subtype uint32, ok bool) {
	if m.Type != TypeExperimenter || len(m.Raw) < 16 {
		return 0, 0, false
	}
	return be32(m.Raw[8:]), be32(m.Raw[12:]), true
}

// Name describes the message type, including the Nicira subtype.
func (m Message) Name() string {
	if v, st, ok := m.Experimenter(); ok && v == NiciraVendor {
		if n, ok := nxtNames[st]; ok {
			return n
		}
		return fmt.Sprintf("NXT_%d", st)
	}
	return m.Type.String()
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func be64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// appendHeader starts a message; finish it with setLength.
func appendHeader(b []byte, t MsgType, xid uint32) []byte {
	return append(b, Version, uint8(t), 0, 0, byte(xid>>24), byte(xid>>16), byte(xid>>8), byte(xid))
}

// appendNXHeader starts a Nicira extension message.
func appendNXHeader(b []byte, subtype uint32, xid uint32) []byte {
	b = appendHeader(b, TypeExperimenter, xid)
	b = binary.BigEndian.AppendUint32(b, NiciraVendor)
	return binary.BigEndian.AppendUint32(b, subtype)
}

// setLength patches the length of the message that starts at b[start:].
func setLength(b []byte, start int) []byte {
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b
}

func pad8(b []byte, start int) []byte {
	for (len(b)-start)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// AppendHello appends an OFPT_HELLO offering only OpenFlow 1.5 (version
// bitmap element).
func AppendHello(b []byte, xid uint32) []byte {
	s := len(b)
	b = appendHeader(b, TypeHello, xid)
	b = append(b, 0, 1, 0, 8) // OFPHET_VERSIONBITMAP, length 8
	b = binary.BigEndian.AppendUint32(b, 1<<Version)
	return setLength(b, s)
}

// AppendSimple appends a message that has only a header (barrier,
// features request, echo without payload ...).
func AppendSimple(b []byte, t MsgType, xid uint32) []byte {
	s := len(b)
	return setLength(appendHeader(b, t, xid), s)
}

// AppendEcho appends an echo request or reply carrying payload.
func AppendEcho(b []byte, t MsgType, xid uint32, payload []byte) []byte {
	s := len(b)
	b = appendHeader(b, t, xid)
	b = append(b, payload...)
	return setLength(b, s)
}

// Config flags for OFPT_SET_CONFIG.
const (
	ConfigFragNormal uint16 = 0
)

// AppendSetConfig appends OFPT_SET_CONFIG.
func AppendSetConfig(b []byte, xid uint32, flags, missSendLen uint16) []byte {
	s := len(b)
	b = appendHeader(b, TypeSetConfig, xid)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = binary.BigEndian.AppendUint16(b, missSendLen)
	return setLength(b, s)
}

// AppendSetPacketInFormat appends NXT_SET_PACKET_IN_FORMAT.
func AppendSetPacketInFormat(b []byte, xid uint32, format uint32) []byte {
	s := len(b)
	b = appendNXHeader(b, NXTSetPacketInFormat, xid)
	b = binary.BigEndian.AppendUint32(b, format)
	return setLength(b, s)
}

// AppendSetControllerID appends NXT_SET_CONTROLLER_ID.
func AppendSetControllerID(b []byte, xid uint32, id uint16) []byte {
	s := len(b)
	b = appendNXHeader(b, NXTSetControllerID, xid)
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, id)
	return setLength(b, s)
}

// AppendCTFlushZone appends NXT_CT_FLUSH_ZONE.
func AppendCTFlushZone(b []byte, xid uint32, zone uint16) []byte {
	s := len(b)
	b = appendNXHeader(b, NXTCTFlushZone, xid)
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, zone)
	return setLength(b, s)
}

// FlowModCommand is OFPFC_*.
type FlowModCommand uint8

// Flow-mod commands.
const (
	FlowAdd          FlowModCommand = 0
	FlowModify       FlowModCommand = 1
	FlowModifyStrict FlowModCommand = 2
	FlowDelete       FlowModCommand = 3
	FlowDeleteStrict FlowModCommand = 4
)

func (c FlowModCommand) String() string {
	switch c {
	case FlowAdd:
		return "add"
	case FlowModify:
		return "modify"
	case FlowModifyStrict:
		return "modify_strict"
	case FlowDelete:
		return "delete"
	case FlowDeleteStrict:
		return "delete_strict"
	}
	return fmt.Sprintf("flow_mod_command(%d)", uint8(c))
}

// FlowMod is an OFPT_FLOW_MOD. Match and Actions are pre-encoded: Match is
// the OXM/NXM TLVs without the ofp_match header (the encoder adds header and
// padding), Actions the action list that goes into one apply-actions
// instruction (no instruction when empty, i.e. drop). Instructions, when
// non-nil, replaces Actions with a complete instruction list.
type FlowMod struct {
	Command      FlowModCommand
	Table        uint8
	Priority     uint16
	Cookie       uint64
	CookieMask   uint64
	IdleTimeout  uint16
	HardTimeout  uint16
	Flags        uint16
	Importance   uint16
	BufferID     uint32 // 0 means none (OFP_NO_BUFFER)
	OutPort      uint32 // 0 means any (delete filters)
	OutGroup     uint32 // 0 means any (delete filters)
	Match        []byte
	Actions      []byte
	Instructions []byte
}

// Flow-mod flags.
const (
	FlowFlagSendFlowRem  uint16 = 1 << 0
	FlowFlagCheckOverlap uint16 = 1 << 1
	FlowFlagResetCounts  uint16 = 1 << 2
	FlowFlagNoPktCounts  uint16 = 1 << 3
	FlowFlagNoBytCounts  uint16 = 1 << 4
)

func orDefault(v, def uint32) uint32 {
	if v == 0 {
		return def
	}
	return v
}

// Append appends the encoded OFPT_FLOW_MOD with the given xid.
func (m *FlowMod) Append(b []byte, xid uint32) []byte {
	s := len(b)
	b = appendHeader(b, TypeFlowMod, xid)
	b = binary.BigEndian.AppendUint64(b, m.Cookie)
	b = binary.BigEndian.AppendUint64(b, m.CookieMask)
	b = append(b, m.Table, uint8(m.Command))
	b = binary.BigEndian.AppendUint16(b, m.IdleTimeout)
	b = binary.BigEndian.AppendUint16(b, m.HardTimeout)
	b = binary.BigEndian.AppendUint16(b, m.Priority)
	b = binary.BigEndian.AppendUint32(b, orDefault(m.BufferID, NoBuffer))
	b = binary.BigEndian.AppendUint32(b, orDefault(m.OutPort, PortAny))
	b = binary.BigEndian.AppendUint32(b, orDefault(m.OutGroup, GroupAny))
	b = binary.BigEndian.AppendUint16(b, m.Flags)
	b = binary.BigEndian.AppendUint16(b, m.Importance)
	b = AppendMatch(b, m.Match)
	if m.Instructions != nil {
		b = append(b, m.Instructions...)
	} else if len(m.Actions) > 0 {
		b = AppendApplyActions(b, m.Actions)
	}
	return setLength(b, s)
}

// AppendMatch appends an ofp_match of type OXM holding the given TLVs,
// padded to a multiple of 8 bytes.
func AppendMatch(b []byte, oxm []byte) []byte {
	s := len(b)
	b = append(b, 0, 1) // OFPMT_OXM
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(oxm)))
	b = append(b, oxm...)
	return pad8(b, s)
}

// Instruction types.
const (
	InstructionGotoTable     uint16 = 1
	InstructionWriteMetadata uint16 = 2
	InstructionWriteActions  uint16 = 3
	InstructionApplyActions  uint16 = 4
	InstructionClearActions  uint16 = 5
)

// AppendApplyActions appends an OFPIT_APPLY_ACTIONS instruction.
func AppendApplyActions(b []byte, actions []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, InstructionApplyActions)
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(actions)))
	b = append(b, 0, 0, 0, 0)
	return append(b, actions...)
}

// ApplyActions extracts the action list from an instruction list. It accepts
// only what chassisd installs: at most one apply-actions instruction.
func ApplyActions(instructions []byte) ([]byte, error) {
	var actions []byte
	found := false
	for len(instructions) > 0 {
		if len(instructions) < 8 {
			return nil, fmt.Errorf("instruction: %d trailing bytes", len(instructions))
		}
		typ, n := be16(instructions), int(be16(instructions[2:]))
		if n < 8 || n > len(instructions) || n%8 != 0 {
			return nil, fmt.Errorf("instruction type %d: bad length %d", typ, n)
		}
		if typ != InstructionApplyActions {
			return nil, fmt.Errorf("instruction type %d not supported", typ)
		}
		if found {
			return nil, fmt.Errorf("duplicate apply-actions instruction")
		}
		found = true
		actions = instructions[8:n]
		instructions = instructions[n:]
	}
	return actions, nil
}

// GroupModCommand is OFPGC15_*.
type GroupModCommand uint16

// Group-mod commands.
const (
	GroupAdd    GroupModCommand = 0
	GroupModify GroupModCommand = 1
	GroupDelete GroupModCommand = 2
	// GroupAddOrMod (OFPGC15_ADD_OR_MOD) creates the group or replaces an
	// existing one: correct whatever the switch holds.
	GroupAddOrMod GroupModCommand = 0x8000
)

// Group types.
const (
	GroupTypeAll      uint8 = 0
	GroupTypeSelect   uint8 = 1
	GroupTypeIndirect uint8 = 2
	GroupTypeFF       uint8 = 3
)

// GroupMod is an OpenFlow 1.5 OFPT_GROUP_MOD. Buckets is the encoded bucket
// array (ofp15_bucket, see AppendBucket); Properties the group properties.
type GroupMod struct {
	Command         GroupModCommand
	Type            uint8
	GroupID         uint32
	CommandBucketID uint32 // 0 means OFPG15_BUCKET_ALL
	Buckets         []byte
	Properties      []byte
}

// Append appends the encoded OFPT_GROUP_MOD.
func (m *GroupMod) Append(b []byte, xid uint32) []byte {
	s := len(b)
	b = appendHeader(b, TypeGroupMod, xid)
	b = binary.BigEndian.AppendUint16(b, uint16(m.Command))
	b = append(b, m.Type, 0)
	b = binary.BigEndian.AppendUint32(b, m.GroupID)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Buckets)))
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint32(b, orDefault(m.CommandBucketID, 0xffffffff))
	b = append(b, m.Buckets...)
	b = append(b, m.Properties...)
	return setLength(b, s)
}

// AppendBucket appends one ofp15_bucket with its actions and, when weight is
// non-zero, a weight property (select groups).
func AppendBucket(b []byte, bucketID uint32, weight uint16, actions []byte) []byte {
	return AppendBucketWatch(b, bucketID, weight, PortAny, GroupAny, actions)
}

// AppendBucketWatch is AppendBucket with the fast-failover liveness
// properties: watchPort (PortAny for none) and watchGroup (GroupAny for
// none), in the order OVS writes them.
func AppendBucketWatch(b []byte, bucketID uint32, weight uint16, watchPort, watchGroup uint32, actions []byte) []byte {
	s := len(b)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(actions)))
	b = binary.BigEndian.AppendUint32(b, bucketID)
	b = append(b, actions...)
	if weight != 0 {
		b = append(b, 0, 0, 0, 6) // OFPGBPT15_WEIGHT
		b = binary.BigEndian.AppendUint16(b, weight)
		b = append(b, 0, 0)
	}
	if watchPort != PortAny {
		b = append(b, 0, 1, 0, 8) // OFPGBPT15_WATCH_PORT
		b = binary.BigEndian.AppendUint32(b, watchPort)
	}
	if watchGroup != GroupAny {
		b = append(b, 0, 2, 0, 8) // OFPGBPT15_WATCH_GROUP
		b = binary.BigEndian.AppendUint32(b, watchGroup)
	}
	binary.BigEndian.PutUint16(b[s:], uint16(len(b)-s))
	return b
}

// MeterModCommand is OFPMC_*.
type MeterModCommand uint16

// Meter-mod commands.
const (
	MeterAdd    MeterModCommand = 0
	MeterModify MeterModCommand = 1
	MeterDelete MeterModCommand = 2
)

// Meter flags.
const (
	MeterFlagKbps  uint16 = 1 << 0
	MeterFlagPktps uint16 = 1 << 1
	MeterFlagBurst uint16 = 1 << 2
	MeterFlagStats uint16 = 1 << 3
)

// MeterMod is an OFPT_METER_MOD; Bands are encoded meter bands (AppendDropBand).
type MeterMod struct {
	Command MeterModCommand
	Flags   uint16
	MeterID uint32
	Bands   []byte
}

// Append appends the encoded OFPT_METER_MOD.
func (m *MeterMod) Append(b []byte, xid uint32) []byte {
	s := len(b)
	b = appendHeader(b, TypeMeterMod, xid)
	b = binary.BigEndian.AppendUint16(b, uint16(m.Command))
	b = binary.BigEndian.AppendUint16(b, m.Flags)
	b = binary.BigEndian.AppendUint32(b, m.MeterID)
	b = append(b, m.Bands...)
	return setLength(b, s)
}

// AppendDropBand appends an OFPMBT_DROP meter band.
func AppendDropBand(b []byte, rate, burst uint32) []byte {
	b = append(b, 0, 1, 0, 16)
	b = binary.BigEndian.AppendUint32(b, rate)
	b = binary.BigEndian.AppendUint32(b, burst)
	return append(b, 0, 0, 0, 0)
}

// Bundle control types and flags.
const (
	BundleOpenRequest    uint16 = 0
	BundleOpenReply      uint16 = 1
	BundleCloseRequest   uint16 = 2
	BundleCloseReply     uint16 = 3
	BundleCommitRequest  uint16 = 4
	BundleCommitReply    uint16 = 5
	BundleDiscardRequest uint16 = 6
	BundleDiscardReply   uint16 = 7

	BundleAtomic  uint16 = 1 << 0
	BundleOrdered uint16 = 1 << 1
)

// AppendBundleControl appends OFPT_BUNDLE_CONTROL.
func AppendBundleControl(b []byte, xid, bundleID uint32, typ, flags uint16) []byte {
	s := len(b)
	b = appendHeader(b, TypeBundleControl, xid)
	b = binary.BigEndian.AppendUint32(b, bundleID)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, flags)
	return setLength(b, s)
}

// bundleAddHeaderLen is the OFPT_BUNDLE_ADD_MESSAGE prefix before the inner
// message.
const bundleAddHeaderLen = 16

// appendBundleAddHeader appends the bundle-add prefix for an inner message of
// innerLen bytes.
func appendBundleAddHeader(b []byte, xid, bundleID uint32, flags uint16, innerLen int) []byte {
	b = appendHeader(b, TypeBundleAddMessage, xid)
	binary.BigEndian.PutUint16(b[len(b)-6:], uint16(bundleAddHeaderLen+innerLen))
	b = binary.BigEndian.AppendUint32(b, bundleID)
	b = append(b, 0, 0)
	return binary.BigEndian.AppendUint16(b, flags)
}

// Multipart types.
const (
	MultipartDesc        uint16 = 0
	MultipartFlowDesc    uint16 = 1
	MultipartAggregate   uint16 = 2
	MultipartTable       uint16 = 3
	MultipartPortStats   uint16 = 4
	MultipartGroupStats  uint16 = 6
	MultipartGroupDesc   uint16 = 7
	MultipartMeterStats  uint16 = 9
	MultipartMeterDesc   uint16 = 10
	MultipartPortDesc    uint16 = 13
	MultipartFlowStats   uint16 = 17
	MultipartReplyMore   uint16 = 1
	multipartHeaderBytes        = 16
)

// AppendMultipartRequest appends OFPT_MULTIPART_REQUEST of type mpType.
func AppendMultipartRequest(b []byte, xid uint32, mpType uint16, body []byte) []byte {
	s := len(b)
	b = appendHeader(b, TypeMultipartRequest, xid)
	b = binary.BigEndian.AppendUint16(b, mpType)
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = append(b, body...)
	return setLength(b, s)
}

// FlowStatsRequest selects flows to dump (OFPMP_FLOW_DESC).
type FlowStatsRequest struct {
	Table      uint8  // TableAll for all tables
	OutPort    uint32 // 0 means any
	OutGroup   uint32 // 0 means any
	Cookie     uint64
	CookieMask uint64
	Match      []byte // OXM TLVs; empty matches all
}

// AppendBody appends the ofp11_flow_stats_request body.
func (r *FlowStatsRequest) AppendBody(b []byte) []byte {
	b = append(b, r.Table, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, orDefault(r.OutPort, PortAny))
	b = binary.BigEndian.AppendUint32(b, orDefault(r.OutGroup, GroupAny))
	b = append(b, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint64(b, r.Cookie)
	b = binary.BigEndian.AppendUint64(b, r.CookieMask)
	return AppendMatch(b, r.Match)
}

// FlowStats is one flow of an OpenFlow 1.5 flow-desc reply. Match holds the
// OXM TLVs (no ofp_match header or padding) and Instructions the raw
// instruction list; both alias the reply buffer.
type FlowStats struct {
	Table        uint8
	Priority     uint16
	IdleTimeout  uint16
	HardTimeout  uint16
	Flags        uint16
	Importance   uint16
	Cookie       uint64
	DurationSec  uint32
	PacketCount  uint64
	ByteCount    uint64
	Match        []byte
	Instructions []byte
}

// Actions returns the apply-actions list of the flow.
func (f *FlowStats) Actions() ([]byte, error) { return ApplyActions(f.Instructions) }

// parseMatch splits an ofp_match at the start of b into its OXM TLVs and the
// padded length it occupies.
func parseMatch(b []byte) (oxm []byte, padded int, err error) {
	if len(b) < 4 {
		return nil, 0, fmt.Errorf("match: %d bytes", len(b))
	}
	if typ := be16(b); typ != 1 {
		return nil, 0, fmt.Errorf("match type %d is not OXM", typ)
	}
	n := int(be16(b[2:]))
	padded = (n + 7) &^ 7
	if n < 4 || padded > len(b) {
		return nil, 0, fmt.Errorf("match length %d exceeds %d bytes", n, len(b))
	}
	return b[4:n], padded, nil
}

// DecodeFlowStats decodes the body (after the multipart header) of one
// OpenFlow 1.5 flow-desc reply message, appending to out.
func DecodeFlowStats(body []byte, out []FlowStats) ([]FlowStats, error) {
	for len(body) > 0 {
		if len(body) < 24 {
			return out, fmt.Errorf("flow stats: %d trailing bytes", len(body))
		}
		n := int(be16(body))
		if n < 24 || n > len(body) {
			return out, fmt.Errorf("flow stats: entry length %d of %d bytes", n, len(body))
		}
		e := body[:n]
		fs := FlowStats{
			Table: e[4], Priority: be16(e[6:]), IdleTimeout: be16(e[8:]), HardTimeout: be16(e[10:]),
			Flags: be16(e[12:]), Importance: be16(e[14:]), Cookie: be64(e[16:]),
		}
		rest := e[24:]
		oxm, padded, err := parseMatch(rest)
		if err != nil {
			return out, fmt.Errorf("flow stats: %w", err)
		}
		fs.Match = oxm
		rest = rest[padded:]
		// ofp_oxs_stat: reserved(2) length(2) then OXS TLVs, padded to 8.
		if len(rest) < 4 {
			return out, fmt.Errorf("flow stats: missing OXS stats")
		}
		statLen := int(be16(rest[2:]))
		statPadded := (statLen + 7) &^ 7
		if statLen < 4 || statPadded > len(rest) {
			return out, fmt.Errorf("flow stats: OXS length %d of %d bytes", statLen, len(rest))
		}
		decodeOXS(rest[4:statLen], &fs)
		fs.Instructions = rest[statPadded:]
		out = append(out, fs)
		body = body[n:]
	}
	return out, nil
}

// decodeOXS reads the OpenFlow-basic OXS statistics chassisd cares about;
// unknown or malformed entries are skipped.
func decodeOXS(b []byte, fs *FlowStats) {
	for len(b) >= 4 {
		class, field, n := be16(b), b[2]>>1, int(b[3])
		if 4+n > len(b) {
			return
		}
		v := b[4 : 4+n]
		if class == 0x8002 {
			switch {
			case field == 0 && n == 8:
				fs.DurationSec = be32(v)
			case field == 4 && n == 8:
				fs.PacketCount = be64(v)
			case field == 5 && n == 8:
				fs.ByteCount = be64(v)
			}
		}
		b = b[4+n:]
	}
}

// AppendGroupDescRequestBody appends an ofp15_group_desc_request body.
func AppendGroupDescRequestBody(b []byte, groupID uint32) []byte {
	b = binary.BigEndian.AppendUint32(b, groupID)
	return append(b, 0, 0, 0, 0)
}

// GroupDesc is one group of an OpenFlow 1.5 group-desc reply; Buckets and
// Properties alias the reply buffer.
type GroupDesc struct {
	Type       uint8
	GroupID    uint32
	Buckets    []byte
	Properties []byte
}

// DecodeGroupDescs decodes one group-desc reply body.
func DecodeGroupDescs(body []byte, out []GroupDesc) ([]GroupDesc, error) {
	for len(body) > 0 {
		if len(body) < 16 {
			return out, fmt.Errorf("group desc: %d trailing bytes", len(body))
		}
		n := int(be16(body))
		bl := int(be16(body[8:]))
		if n < 16 || n > len(body) || 16+bl > n {
			return out, fmt.Errorf("group desc: entry length %d, buckets %d, of %d bytes", n, bl, len(body))
		}
		out = append(out, GroupDesc{Type: body[2], GroupID: be32(body[4:]),
			Buckets: body[16 : 16+bl], Properties: body[16+bl : n]})
		body = body[n:]
	}
	return out, nil
}

// Bucket is one decoded ofp15_bucket.
type Bucket struct {
	ID         uint32
	Weight     uint16 // 0 when absent
	WatchPort  uint32 // PortAny when absent
	WatchGroup uint32 // GroupAny when absent
	Actions    []byte
	Properties []byte // other properties, raw
}

// DecodeBuckets splits an ofp15_bucket array.
func DecodeBuckets(b []byte) ([]Bucket, error) {
	var out []Bucket
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, fmt.Errorf("bucket: %d trailing bytes", len(b))
		}
		n, al := int(be16(b)), int(be16(b[2:]))
		if n < 8 || n > len(b) || 8+al > n {
			return nil, fmt.Errorf("bucket: length %d, actions %d, of %d bytes", n, al, len(b))
		}
		bk := Bucket{ID: be32(b[4:]), WatchPort: PortAny, WatchGroup: GroupAny, Actions: b[8 : 8+al]}
		props := b[8+al : n]
		for len(props) >= 4 {
			pt, pl := be16(props), int(be16(props[2:]))
			padded := (pl + 7) &^ 7
			if pl < 4 || padded > len(props) {
				return nil, fmt.Errorf("bucket property length %d", pl)
			}
			switch {
			case pt == 0 && pl >= 6:
				bk.Weight = be16(props[4:])
			case pt == 1 && pl == 8:
				bk.WatchPort = be32(props[4:])
			case pt == 2 && pl == 8:
				bk.WatchGroup = be32(props[4:])
			default:
				bk.Properties = append(bk.Properties, props[:padded]...)
			}
			props = props[padded:]
		}
		out = append(out, bk)
		b = b[n:]
	}
	return out, nil
}

// AppendMeterDescRequestBody appends an ofp13_meter_multipart_request body.
func AppendMeterDescRequestBody(b []byte, meterID uint32) []byte {
	b = binary.BigEndian.AppendUint32(b, meterID)
	return append(b, 0, 0, 0, 0)
}

// MeterConfig is one meter of a meter-desc reply; Bands aliases the reply.
type MeterConfig struct {
	Flags   uint16
	MeterID uint32
	Bands   []byte
}

// DecodeMeterConfigs decodes one meter-desc reply body.
func DecodeMeterConfigs(body []byte, out []MeterConfig) ([]MeterConfig, error) {
	for len(body) > 0 {
		if len(body) < 8 {
			return out, fmt.Errorf("meter config: %d trailing bytes", len(body))
		}
		n := int(be16(body))
		if n < 8 || n > len(body) {
			return out, fmt.Errorf("meter config: entry length %d of %d bytes", n, len(body))
		}
		out = append(out, MeterConfig{Flags: be16(body[2:]), MeterID: be32(body[4:]), Bands: body[8:n]})
		body = body[n:]
	}
	return out, nil
}

// Features is the OFPT_FEATURES_REPLY.
type Features struct {
	DatapathID   uint64
	NBuffers     uint32
	NTables      uint8
	AuxiliaryID  uint8
	Capabilities uint32
}

// DecodeFeatures decodes an OFPT_FEATURES_REPLY body.
func DecodeFeatures(body []byte) (Features, error) {
	if len(body) < 24 {
		return Features{}, fmt.Errorf("features reply: %d bytes, need 24", len(body))
	}
	return Features{DatapathID: be64(body), NBuffers: be32(body[8:]), NTables: body[12],
		AuxiliaryID: body[13], Capabilities: be32(body[16:])}, nil
}

// TLVMap maps a Geneve option (class, type, length) to tun_metadata<Index>.
type TLVMap struct {
	OptionClass uint16
	OptionType  uint8
	OptionLen   uint8
	Index       uint16
}

// TLV table commands.
const (
	TLVTableAdd    uint16 = 0
	TLVTableDelete uint16 = 1
	TLVTableClear  uint16 = 2
)

// OVN's Geneve option that carries the logical ingress/egress ports.
const (
	OVNGeneveClass uint16 = 0x0102
	OVNGeneveType  uint8  = 0x80
	OVNGeneveLen   uint8  = 4
)

// AppendTLVTableMod appends NXT_TLV_TABLE_MOD.
func AppendTLVTableMod(b []byte, xid uint32, command uint16, maps []TLVMap) []byte {
	s := len(b)
	b = appendNXHeader(b, NXTTLVTableMod, xid)
	b = binary.BigEndian.AppendUint16(b, command)
	b = append(b, 0, 0, 0, 0, 0, 0)
	for _, m := range maps {
		b = appendTLVMap(b, m)
	}
	return setLength(b, s)
}

func appendTLVMap(b []byte, m TLVMap) []byte {
	b = binary.BigEndian.AppendUint16(b, m.OptionClass)
	b = append(b, m.OptionType, m.OptionLen)
	b = binary.BigEndian.AppendUint16(b, m.Index)
	return append(b, 0, 0)
}

// AppendTLVTableRequest appends NXT_TLV_TABLE_REQUEST.
func AppendTLVTableRequest(b []byte, xid uint32) []byte {
	s := len(b)
	return setLength(appendNXHeader(b, NXTTLVTableRequest, xid), s)
}

// TLVTable is the NXT_TLV_TABLE_REPLY.
type TLVTable struct {
	MaxOptionSpace uint32
	MaxFields      uint16
	Maps           []TLVMap
}

// Lookup returns the tun_metadata index mapped to an option.
func (t TLVTable) Lookup(class uint16, typ, length uint8) (uint16, bool) {
	for _, m := range t.Maps {
		if m.OptionClass == class && m.OptionType == typ && m.OptionLen == length {
			return m.Index, true
		}
	}
	return 0, false
}

// DecodeTLVTableReply decodes a whole NXT_TLV_TABLE_REPLY message.
func DecodeTLVTableReply(raw []byte) (TLVTable, error) {
	if len(raw) < 32 {
		return TLVTable{}, fmt.Errorf("tlv table reply: %d bytes, need 32", len(raw))
	}
	t := TLVTable{MaxOptionSpace: be32(raw[16:]), MaxFields: be16(raw[20:])}
	rest := raw[32:]
	if len(rest)%8 != 0 {
		return t, fmt.Errorf("tlv table reply: %d bytes of maps", len(rest))
	}
	for ; len(rest) >= 8; rest = rest[8:] {
		t.Maps = append(t.Maps, TLVMap{OptionClass: be16(rest), OptionType: rest[2], OptionLen: rest[3], Index: be16(rest[4:])})
	}
	return t, nil
}
