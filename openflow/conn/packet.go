package conn

import (
	"encoding/binary"
	"fmt"
)

// NXT_PACKET_IN2 property types (NXPINT_*).
const (
	pinPacket       uint16 = 0
	pinFullLen      uint16 = 1
	pinBufferID     uint16 = 2
	pinTableID      uint16 = 3
	pinCookie       uint16 = 4
	pinReason       uint16 = 5
	pinMetadata     uint16 = 6
	pinUserdata     uint16 = 7
	pinContinuation uint16 = 8
)

// PacketIn is a decoded NXT_PACKET_IN2. Byte slices alias the message.
type PacketIn struct {
	Packet   []byte
	FullLen  uint32 // original length; equals len(Packet) unless truncated
	BufferID uint32 // NoBuffer when not buffered
	TableID  uint8
	Cookie   uint64
	Reason   uint8
	// Metadata holds the OXM TLVs of the pipeline fields at the time of the
	// packet-in (in_port, metadata, registers ...).
	Metadata []byte
	// Userdata is the controller action's userdata (OVN's opcode and args).
	Userdata []byte
	// Continuation is the switch-private state of a paused pipeline; nil
	// unless the controller action had "pause". Hand it back with Resume.
	Continuation []byte
}

// DecodePacketIn2 decodes a whole NXT_PACKET_IN2 message.
func DecodePacketIn2(raw []byte) (*PacketIn, error) {
	if len(raw) < 16 {
		return nil, fmt.Errorf("packet-in2: %d bytes", len(raw))
	}
	if v, st := be32(raw[8:]), be32(raw[12:]); v != NiciraVendor || st != NXTPacketIn2 {
		return nil, fmt.Errorf("packet-in2: not NXT_PACKET_IN2 (vendor %#x subtype %d)", v, st)
	}
	pin := &PacketIn{BufferID: NoBuffer, Cookie: ^uint64(0)}
	props := raw[16:]
	for len(props) > 0 {
		if len(props) < 4 {
			return nil, fmt.Errorf("packet-in2: %d trailing bytes", len(props))
		}
		typ, n := be16(props), int(be16(props[2:]))
		padded := (n + 7) &^ 7
		if n < 4 || padded > len(props) {
			if n >= 4 && n <= len(props) {
				padded = len(props) // tolerate a final property without padding
			} else {
				return nil, fmt.Errorf("packet-in2: property %d length %d of %d bytes", typ, n, len(props))
			}
		}
		v := props[4:n]
		var err error
		switch typ {
		case pinPacket:
			pin.Packet = v
		case pinFullLen:
			pin.FullLen, err = propU32(v)
		case pinBufferID:
			pin.BufferID, err = propU32(v)
		case pinTableID:
			pin.TableID, err = propU8(v)
		case pinCookie:
			// 64-bit property values start 8-aligned, after 4 bytes of pad.
			if len(v) != 12 {
				err = fmt.Errorf("length %d", len(v))
			} else {
				pin.Cookie = be64(v[4:])
			}
		case pinReason:
			pin.Reason, err = propU8(v)
		case pinMetadata:
			pin.Metadata = v
		case pinUserdata:
			pin.Userdata = v
		case pinContinuation:
			// Nested properties start 8-aligned after the 4-byte header.
			if len(v) < 4 {
				err = fmt.Errorf("length %d", len(v))
			} else {
				pin.Continuation = v[4:]
			}
		}
		if err != nil {
			return nil, fmt.Errorf("packet-in2: property %d: %w", typ, err)
		}
		props = props[padded:]
	}
	if pin.Packet == nil {
		return nil, fmt.Errorf("packet-in2: no packet")
	}
	if pin.FullLen == 0 {
		pin.FullLen = uint32(len(pin.Packet))
	}
	return pin, nil
}

func propU32(v []byte) (uint32, error) {
	if len(v) != 4 {
		return 0, fmt.Errorf("length %d, want 4", len(v))
	}
	return be32(v), nil
}

func propU8(v []byte) (uint8, error) {
	if len(v) != 1 {
		return 0, fmt.Errorf("length %d, want 1", len(v))
	}
	return v[0], nil
}

func appendProp(b []byte, typ uint16, v []byte) []byte {
	s := len(b)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(v)))
	b = append(b, v...)
	return pad8(b, s)
}

// AppendResume appends an NXT_RESUME that continues the paused pipeline of
// pin with packet (pin.Packet, or a rewritten packet) and the metadata of
// pin.
func AppendResume(b []byte, xid uint32, pin *PacketIn, packet []byte) []byte {
	s := len(b)
	b = appendNXHeader(b, NXTResume, xid)
	b = appendProp(b, pinPacket, packet)
	b = appendProp(b, pinTableID, []byte{pin.TableID})
	if pin.Cookie != ^uint64(0) {
		b = appendProp(b, pinCookie, binary.BigEndian.AppendUint64([]byte{0, 0, 0, 0}, pin.Cookie))
	}
	b = appendProp(b, pinReason, []byte{pin.Reason})
	b = appendProp(b, pinMetadata, pin.Metadata)
	// Nested property: header, 4 bytes of padding, then the nested data.
	ps := len(b)
	b = binary.BigEndian.AppendUint16(b, pinContinuation)
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = append(b, pin.Continuation...)
	binary.BigEndian.PutUint16(b[ps+2:], uint16(len(b)-ps))
	b = pad8(b, ps)
	return setLength(b, s)
}

// PacketOut is an OpenFlow 1.5 OFPT_PACKET_OUT. Match carries the pipeline
// metadata as OXM TLVs (at least in_port); Actions is an encoded action list.
type PacketOut struct {
	BufferID uint32 // 0 means none
	Match    []byte
	Actions  []byte
	Packet   []byte
}

// Append appends the encoded OFPT_PACKET_OUT.
func (p *PacketOut) Append(b []byte, xid uint32) []byte {
	s := len(b)
	b = appendHeader(b, TypePacketOut, xid)
	b = binary.BigEndian.AppendUint32(b, orDefault(p.BufferID, NoBuffer))
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Actions)))
	b = append(b, 0, 0)
	b = AppendMatch(b, p.Match)
	b = append(b, p.Actions...)
	b = append(b, p.Packet...)
	return setLength(b, s)
}

// PortStatus is a decoded OFPT_PORT_STATUS (OpenFlow 1.4+ port layout).
type PortStatus struct {
	Reason uint8 // 0 add, 1 delete, 2 modify
	PortNo uint32
	HWAddr [6]byte
	Name   string
	Config uint32
	State  uint32
}

// DecodePortStatus decodes a whole OFPT_PORT_STATUS message.
func DecodePortStatus(raw []byte) (PortStatus, error) {
	// header(8) reason(1) pad(7) ofp14_port: port_no(4) length(2) pad(2)
	// hw_addr(6) pad(2) name(16) config(4) state(4) properties.
	if len(raw) < 16+40 {
		return PortStatus{}, fmt.Errorf("port status: %d bytes", len(raw))
	}
	p := raw[16:]
	ps := PortStatus{Reason: raw[8], PortNo: be32(p), Config: be32(p[32:]), State: be32(p[36:])}
	copy(ps.HWAddr[:], p[8:14])
	name := p[16:32]
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	ps.Name = string(name)
	return ps, nil
}
