package flow

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Action is one OpenFlow action. Its String is the exact text
// `ovs-ofctl -O OpenFlow15 dump-flows` prints for it (OVS ofpact_format);
// its wire form is the OpenFlow 1.5 / Nicira-extension encoding OVS accepts
// and sends back in flow dumps.
//
// The set of actions is closed: the concrete types are the ones in this
// package, Raw carries anything the decoder does not know.
type Action interface {
	String() string
	appendText(b []byte) []byte
	appendWire(b []byte) []byte
}

// Actions is an action list as OVS prints and encodes it.
//
// To compare a desired list with one decoded from the switch, compare the
// bytes of Append: encoding is canonical (a decoded list re-encodes to the
// bytes OVS sent). Text agrees too, except where OVS's own text depends on
// how an action was built (DecTTL with an empty id list).
type Actions []Action

// String is the "actions=" part of a dump-flows line: "drop" when empty,
// the actions joined with "," otherwise.
func (as Actions) String() string { return string(as.AppendText(nil)) }

// AppendText appends String's text to b.
func (as Actions) AppendText(b []byte) []byte {
	if len(as) == 0 {
		return append(b, "drop"...)
	}
	for i, a := range as {
		if i > 0 {
			b = append(b, ',')
		}
		b = a.appendText(b)
	}
	return b
}

// Append appends the OpenFlow 1.5 wire encoding of the actions (a list of
// ofp_action_* structures, each a multiple of 8 bytes) to b.
func (as Actions) Append(b []byte) []byte {
	for _, a := range as {
		b = a.appendWire(b)
	}
	return b
}

// DecodeActions decodes an OpenFlow 1.5 action list. Actions of unknown type
// or vendor, and known actions that use fields this package does not know,
// come back as Raw, so a dump from a newer switch still decodes. Malformed
// actions (bad lengths, truncation) are errors. It never panics.
func DecodeActions(b []byte) (Actions, error) {
	return decodeActions(b, 0)
}

// maxNesting bounds clone/ct nesting so hostile input cannot exhaust the stack.
const maxNesting = 32

// ErrBadAction is wrapped by every decoding error.
var ErrBadAction = errors.New("flow: bad action")

func decodeActions(b []byte, depth int) (Actions, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrBadAction, maxNesting)
	}
	n := 0 // count the actions first so the list is allocated once
	for off := 0; off+4 <= len(b); n++ {
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < 8 {
			break
		}
		off += l
	}
	as := make(Actions, 0, n)
	for off := 0; off < len(b); {
		rest := b[off:]
		if len(rest) < 8 {
			return nil, fmt.Errorf("%w: %d trailing bytes at offset %d", ErrBadAction, len(rest), off)
		}
		n := int(binary.BigEndian.Uint16(rest[2:]))
		if n < 8 || n%8 != 0 || n > len(rest) {
			return nil, fmt.Errorf("%w: length %d at offset %d (%d bytes left)", ErrBadAction, n, off, len(rest))
		}
		a, err := decodeAction(rest[:n], depth)
		if err != nil {
			return nil, fmt.Errorf("action at offset %d: %w", off, err)
		}
		as = append(as, a)
		off += n
	}
	return as, nil
}

// OpenFlow 1.5 action types (OFPAT_*).
const (
	ofpatOutput       = 0
	ofpatPushVLAN     = 17
	ofpatPopVLAN      = 18
	ofpatSetQueue     = 21
	ofpatGroup        = 22
	ofpatSetNwTTL     = 23
	ofpatDecNwTTL     = 24
	ofpatSetField     = 25
	ofpatCopyField    = 28
	ofpatMeter        = 29
	ofpatExperimenter = 0xffff
)

// vendorNicira is NX_VENDOR_ID, the vendor of Nicira extension actions.
const vendorNicira = 0x00002320

// Nicira extension action subtypes (NXAST_*).
const (
	nxastResubmit        = 1
	nxastPopQueue        = 5
	nxastRegMove         = 6
	nxastNote            = 8
	nxastBundle          = 12
	nxastBundleLoad      = 13
	nxastResubmitTable   = 14
	nxastOutputReg       = 15
	nxastLearn           = 16
	nxastExit            = 17
	nxastDecTTL          = 18
	nxastFinTimeout      = 19
	nxastController      = 20
	nxastDecTTLCntIDs    = 21
	nxastStackPush       = 27
	nxastStackPop        = 28
	nxastSample          = 29
	nxastOutputReg2      = 32
	nxastConjunction     = 34
	nxastCT              = 35
	nxastNAT             = 36
	nxastController2     = 37
	nxastSample2         = 38
	nxastOutputTrunc     = 39
	nxastSample3         = 41
	nxastClone           = 42
	nxastCTClear         = 43
	nxastResubmitTableCT = 44
	nxastLearn2          = 45
	nxastCheckPktLarger  = 49
)

func decodeAction(b []byte, depth int) (Action, error) {
	typ := binary.BigEndian.Uint16(b)
	var (
		a   Action
		err error
	)
	switch typ {
	case ofpatOutput:
		a, err = decodeOutput(b)
	case ofpatPushVLAN:
		a, err = PushVLAN{EtherType: binary.BigEndian.Uint16(b[4:])}, nil
	case ofpatPopVLAN:
		a = PopVLAN{}
	case ofpatSetQueue:
		a = SetQueue{ID: binary.BigEndian.Uint32(b[4:])}
	case ofpatGroup:
		a = GroupAction{ID: binary.BigEndian.Uint32(b[4:])}
	case ofpatSetNwTTL:
		a = SetIPTTL{TTL: b[4]}
	case ofpatDecNwTTL:
		a = DecTTL{}
	case ofpatSetField:
		a, err = decodeSetField(b)
	case ofpatCopyField:
		a, err = decodeCopyField(b)
	case ofpatMeter:
		a = MeterAction{ID: binary.BigEndian.Uint32(b[4:])}
	case ofpatExperimenter:
		a, err = decodeExperimenter(b, depth)
	default:
		a = newRaw(b)
	}
	if errors.Is(err, ErrUnknownHeader) {
		// A field this package does not know: keep the bytes.
		return newRaw(b), nil
	}
	return a, err
}

func decodeExperimenter(b []byte, depth int) (Action, error) {
	vendor := binary.BigEndian.Uint32(b[4:])
	if vendor != vendorNicira {
		return newRaw(b), nil
	}
	if len(b) < 16 {
		return nil, fmt.Errorf("%w: Nicira action of %d bytes", ErrBadAction, len(b))
	}
	sub := binary.BigEndian.Uint16(b[8:])
	switch sub {
	case nxastResubmit, nxastResubmitTable, nxastResubmitTableCT:
		return decodeResubmit(b, sub)
	case nxastPopQueue:
		return PopQueue{}, nil
	case nxastRegMove:
		return decodeRegMove(b)
	case nxastNote:
		return Note{Data: append([]byte(nil), b[10:]...)}, nil
	case nxastBundle, nxastBundleLoad:
		return decodeBundle(b, sub == nxastBundleLoad)
	case nxastOutputReg, nxastOutputReg2:
		return decodeOutputReg(b, sub == nxastOutputReg2)
	case nxastLearn, nxastLearn2:
		return decodeLearn(b, sub == nxastLearn2)
	case nxastExit:
		return Exit{}, nil
	case nxastDecTTL:
		return DecTTL{}, nil
	case nxastDecTTLCntIDs:
		return decodeDecTTLCntIDs(b)
	case nxastFinTimeout:
		return FinTimeout{IdleTimeout: binary.BigEndian.Uint16(b[10:]), HardTimeout: binary.BigEndian.Uint16(b[12:])}, nil
	case nxastController:
		return Controller{MaxLen: binary.BigEndian.Uint16(b[10:]), ID: binary.BigEndian.Uint16(b[12:]), Reason: PacketInReason(b[14])}, nil
	case nxastController2:
		return decodeController2(b)
	case nxastStackPush, nxastStackPop:
		return decodeStack(b, sub == nxastStackPush)
	case nxastSample, nxastSample2, nxastSample3:
		return decodeSample(b, sub)
	case nxastConjunction:
		return Conjunction{ID: binary.BigEndian.Uint32(b[12:]), K: b[10] + 1, N: b[11]}, nil
	case nxastCT:
		return decodeCT(b, depth)
	case nxastNAT:
		return decodeNAT(b)
	case nxastOutputTrunc:
		return OutputTrunc{Port: Port(binary.BigEndian.Uint16(b[10:])), MaxLen: binary.BigEndian.Uint32(b[12:])}, nil
	case nxastClone:
		inner, err := decodeActions(b[16:], depth+1)
		if err != nil {
			return nil, fmt.Errorf("clone: %w", err)
		}
		return Clone{Actions: inner}, nil
	case nxastCTClear:
		return CTClear{}, nil
	case nxastCheckPktLarger:
		return decodeCheckPktLarger(b)
	}
	return newRaw(b), nil
}

// appendNXHeader starts a Nicira extension action: OFPAT_EXPERIMENTER, a
// length to be filled in by finishAction, NX_VENDOR_ID and the subtype.
func appendNXHeader(b []byte, subtype uint16) []byte {
	return append(b, 0xff, 0xff, 0, 0, 0, 0, 0x23, 0x20, byte(subtype>>8), byte(subtype))
}

// finishAction pads the action that starts at start to a multiple of 8 bytes
// and writes its length.
func finishAction(b []byte, start int) []byte {
	for (len(b)-start)%8 != 0 {
		b = append(b, 0)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b
}

// appendU32Action appends a standard action whose only argument is a 32-bit
// value right after the type and length (group, set_queue, meter).
func appendU32Action(b []byte, typ uint16, v uint32) []byte {
	return append(b, byte(typ>>8), byte(typ), 0, 8, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendUint(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }

func be16(b []byte, off int) uint16 { return binary.BigEndian.Uint16(b[off:]) }
func be32(b []byte, off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }

func stringOf(a interface{ appendText([]byte) []byte }) string {
	return string(a.appendText(make([]byte, 0, 32)))
}

// Raw is an action this package does not decode, kept as its wire bytes
// (including the header) so it re-encodes unchanged.
type Raw struct {
	Bytes []byte
}

func newRaw(b []byte) Raw { return Raw{Bytes: append([]byte(nil), b...)} }

func (a Raw) String() string { return stringOf(a) }

// appendText prints the raw bytes in a form OVS never prints, so a Raw never
// compares equal to a known action.
func (a Raw) appendText(b []byte) []byte {
	b = append(b, "raw("...)
	b = appendHexDots(b, a.Bytes)
	return append(b, ')')
}

func (a Raw) appendWire(b []byte) []byte { return append(b, a.Bytes...) }

// appendHexDots prints bytes as OVS format_hex_arg does: "01.02.ff".
func appendHexDots(b, data []byte) []byte {
	const hexdigits = "0123456789abcdef"
	for i, c := range data {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, hexdigits[c>>4], hexdigits[c&15])
	}
	return b
}
