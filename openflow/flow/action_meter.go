package flow

import (
	"encoding/binary"
	"fmt"
)

// MeterFlags are a meter's OFPMF_* flags.
type MeterFlags uint16

// Meter flags.
const (
	MeterKbps  MeterFlags = 1 << 0
	MeterPktps MeterFlags = 1 << 1
	MeterBurst MeterFlags = 1 << 2
	MeterStats MeterFlags = 1 << 3
)

// MeterBandType is a meter band type (OFPMBT_*).
type MeterBandType uint16

// Meter band types.
const (
	MeterBandDrop       MeterBandType = 1
	MeterBandDSCPRemark MeterBandType = 2
)

// MeterModCommand is the command of a meter_mod (OFPMC_*).
type MeterModCommand uint16

// Meter mod commands.
const (
	MeterAdd    MeterModCommand = 0
	MeterModify MeterModCommand = 1
	MeterDelete MeterModCommand = 2
)

// MeterBand is one band of a meter. BurstSize is printed only when the
// meter has MeterBurst; PrecLevel only for DSCP remark bands.
type MeterBand struct {
	Type      MeterBandType
	Rate      uint32
	BurstSize uint32
	PrecLevel uint8
}

// Meter is an OpenFlow meter as dump-meters prints it:
// "meter=1 kbps burst bands=\ntype=drop rate=100 burst_size=10"
// (OVS ofputil_format_meter_config, one line per band, without the final
// newline).
type Meter struct {
	ID    uint32
	Flags MeterFlags
	Bands []MeterBand
}

// String is the meter as dump-meters prints it, without the final newline.
func (m Meter) String() string { return string(m.AppendText(nil)) }

// AppendText appends String's text to b.
func (m Meter) AppendText(b []byte) []byte {
	b = append(b, "meter="...)
	switch {
	case m.ID <= 0xffff0000:
		b = appendUint(b, uint64(m.ID))
	case m.ID == 0xfffffffd:
		b = append(b, "slowpath"...)
	case m.ID == 0xfffffffe:
		b = append(b, "controller"...)
	case m.ID == 0xffffffff:
		b = append(b, "all"...)
	default:
		b = append(b, "unknown"...)
	}
	b = append(b, ' ')
	if m.Flags&MeterKbps != 0 {
		b = append(b, "kbps "...)
	}
	if m.Flags&MeterPktps != 0 {
		b = append(b, "pktps "...)
	}
	if m.Flags&MeterBurst != 0 {
		b = append(b, "burst "...)
	}
	if m.Flags&MeterStats != 0 {
		b = append(b, "stats "...)
	}
	if rest := m.Flags &^ (MeterKbps | MeterPktps | MeterBurst | MeterStats); rest != 0 {
		b = append(appendHexDigits(append(b, "flags:0x"...), uint64(rest)), ' ')
	}
	b = append(b, "bands="...)
	for _, band := range m.Bands {
		b = append(b, "\ntype="...)
		switch band.Type {
		case MeterBandDrop:
			b = append(b, "drop"...)
		case MeterBandDSCPRemark:
			b = append(b, "dscp_remark"...)
		default:
			b = appendUint(b, uint64(band.Type))
		}
		b = appendUint(append(b, " rate="...), uint64(band.Rate))
		if m.Flags&MeterBurst != 0 {
			b = appendUint(append(b, " burst_size="...), uint64(band.BurstSize))
		}
		if band.Type == MeterBandDSCPRemark {
			b = appendUint(append(b, " prec_level="...), uint64(band.PrecLevel))
		}
	}
	return b
}

// AppendMeterMod appends the body of an OpenFlow 1.3+ meter_mod (everything
// after the 8-byte OpenFlow header) for command to b.
func (m Meter) AppendMeterMod(b []byte, command MeterModCommand) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(command))
	flags := m.Flags
	if command == MeterDelete {
		flags = 0
	}
	b = binary.BigEndian.AppendUint16(b, uint16(flags))
	b = binary.BigEndian.AppendUint32(b, m.ID)
	return m.appendBands(b)
}

func (m Meter) appendBands(b []byte) []byte {
	for _, band := range m.Bands {
		b = binary.BigEndian.AppendUint16(b, uint16(band.Type))
		b = append(b, 0, 16)
		b = binary.BigEndian.AppendUint32(b, band.Rate)
		b = binary.BigEndian.AppendUint32(b, band.BurstSize)
		b = append(b, band.PrecLevel, 0, 0, 0)
	}
	return b
}

// ErrBadMeter is wrapped by meter decoding errors.
var ErrBadMeter = fmt.Errorf("flow: bad meter")

func decodeBands(b []byte) ([]MeterBand, error) {
	var bands []MeterBand
	for len(b) > 0 {
		if len(b) < 16 || be16(b, 2) != 16 {
			return nil, fmt.Errorf("%w: band of %d bytes left", ErrBadMeter, len(b))
		}
		band := MeterBand{Type: MeterBandType(be16(b, 0)), Rate: be32(b, 4), BurstSize: be32(b, 8)}
		if band.Type == MeterBandDSCPRemark {
			band.PrecLevel = b[12]
		}
		bands = append(bands, band)
		b = b[16:]
	}
	return bands, nil
}

// DecodeMeterMod decodes the body of a meter_mod (after the 8-byte header).
func DecodeMeterMod(b []byte) (MeterModCommand, Meter, error) {
	if len(b) < 8 {
		return 0, Meter{}, fmt.Errorf("%w: meter_mod of %d bytes", ErrBadMeter, len(b))
	}
	m := Meter{Flags: MeterFlags(be16(b, 2)), ID: be32(b, 4)}
	bands, err := decodeBands(b[8:])
	if err != nil {
		return 0, Meter{}, err
	}
	m.Bands = bands
	return MeterModCommand(be16(b, 0)), m, nil
}

// DecodeMeterConfigs decodes the body of a meter-config multipart reply
// (after the 16 bytes of OpenFlow and multipart headers).
func DecodeMeterConfigs(b []byte) ([]Meter, error) {
	var ms []Meter
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadMeter, len(b))
		}
		n := int(be16(b, 0))
		if n < 8 || n > len(b) {
			return nil, fmt.Errorf("%w: meter config length %d, %d bytes left", ErrBadMeter, n, len(b))
		}
		m := Meter{Flags: MeterFlags(be16(b, 2)), ID: be32(b, 4)}
		bands, err := decodeBands(b[8:n])
		if err != nil {
			return nil, fmt.Errorf("meter %d: %w", m.ID, err)
		}
		m.Bands = bands
		ms = append(ms, m)
		b = b[n:]
	}
	return ms, nil
}

// AppendMeterConfig appends m as one entry of a meter-config multipart
// reply, the form DecodeMeterConfigs reads.
func (m Meter) AppendMeterConfig(b []byte) []byte {
	start := len(b)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(m.Flags))
	b = binary.BigEndian.AppendUint32(b, m.ID)
	b = m.appendBands(b)
	binary.BigEndian.PutUint16(b[start:], uint16(len(b)-start))
	return b
}
