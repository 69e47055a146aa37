package flow

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// CT sends the packet through the connection tracker (NXAST_CT):
// "ct(commit,table=19,zone=NXM_NX_REG13[0..15],nat(dst=10.0.0.2:80),exec(set_field:0x1/0x1->ct_mark))".
//
// Table is the table the packet recirculates to, TableNone for none. The zone
// comes from Zone when Zone.Field is set (16 bits), else it is ZoneImm.
// Actions run inside the tracker: a NAT first in the list prints as nat(...)
// outside exec(...), as OVS prints it; the rest print inside exec(...).
// Alg is the ALG port (21 prints as ftp, 69 as tftp).
type CT struct {
	Commit  bool
	Force   bool
	Table   uint8
	Zone    Subfield
	ZoneImm uint16
	Alg     uint16
	Actions Actions
}

// NX_CT_F_* flags.
const (
	ctFlagCommit = 1 << 0
	ctFlagForce  = 1 << 1
)

func (a CT) String() string { return stringOf(a) }

func (a CT) appendText(b []byte) []byte {
	b = append(b, "ct("...)
	if a.Commit {
		b = append(b, "commit,"...)
	}
	if a.Force {
		b = append(b, "force,"...)
	}
	if a.Table != TableNone {
		b = append(appendUint(append(b, "table="...), uint64(a.Table)), ',')
	}
	if a.Zone.Field != FieldInvalid {
		b = append(a.Zone.appendText(append(b, "zone="...)), ',')
	} else if a.ZoneImm != 0 {
		b = append(appendUint(append(b, "zone="...), uint64(a.ZoneImm)), ',')
	}
	acts := a.Actions
	if len(acts) > 0 {
		if nat, ok := acts[0].(NAT); ok {
			b = append(nat.appendText(b), ',')
			acts = acts[1:]
		}
	}
	if len(acts) > 0 {
		b = append(acts.AppendText(append(b, "exec("...)), "),"...)
	}
	switch a.Alg {
	case 0:
	case 21:
		b = append(b, "alg=ftp,"...)
	case 69:
		b = append(b, "alg=tftp,"...)
	default:
		b = append(appendUint(append(b, "alg="...), uint64(a.Alg)), ',')
	}
	b = chompComma(b)
	return append(b, ')')
}

func (a CT) appendWire(b []byte) []byte {
	start := len(b)
	b = appendNXHeader(b, nxastCT)
	var flags uint16
	if a.Commit {
		flags |= ctFlagCommit
	}
	if a.Force {
		flags |= ctFlagForce
	}
	b = binary.BigEndian.AppendUint16(b, flags)
	if h, ok := header32NX(a.Zone.Field); ok && a.Zone.Field != FieldInvalid {
		b = binary.BigEndian.AppendUint32(b, h)
		b = binary.BigEndian.AppendUint16(b, a.Zone.ofsNBits())
	} else {
		b = append(b, 0, 0, 0, 0)
		b = binary.BigEndian.AppendUint16(b, a.ZoneImm)
	}
	b = append(b, a.Table, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, a.Alg)
	b = a.Actions.Append(b)
	return finishAction(b, start)
}

func decodeCT(b []byte, depth int) (Action, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("%w: ct of %d bytes", ErrBadAction, len(b))
	}
	flags := be16(b, 10)
	a := CT{Commit: flags&ctFlagCommit != 0, Force: flags&ctFlagForce != 0, Table: b[18], Alg: be16(b, 22)}
	if zone := be32(b, 12); zone != 0 {
		f, err := decodeHeader32(zone)
		if err != nil {
			return nil, fmt.Errorf("ct zone: %w", err)
		}
		a.Zone = subfieldFromOfsNBits(f, be16(b, 16))
		if err := checkSubfield(a.Zone); err != nil {
			return nil, err
		}
	} else {
		a.ZoneImm = be16(b, 16)
	}
	inner, err := decodeActions(b[24:], depth+1)
	if err != nil {
		return nil, fmt.Errorf("ct: %w", err)
	}
	a.Actions = inner
	return a, nil
}

// NATKind says which side of the connection NAT rewrites.
type NATKind uint8

// NAT kinds: NATNone is a bare "nat" (apply the connection's existing NAT).
const (
	NATNone NATKind = iota
	NATSrc
	NATDst
)

// NAT is ct's nat(...) argument (NXAST_NAT, only valid inside CT.Actions):
// "nat", "nat(src=10.0.0.1)", "nat(dst=10.0.0.2-10.0.0.9:80-90,random)",
// "nat(dst=[fd00::2]:80)". MinAddr/MaxAddr and MinPort/MaxPort are the
// range (zero values: absent). OVS prints the flags only with an address.
type NAT struct {
	Kind             NATKind
	MinAddr, MaxAddr netip.Addr
	MinPort, MaxPort uint16
	Persistent       bool
	Hash             bool
	Random           bool
}

// NX_NAT_F_* flags and NX_NAT_RANGE_* presence bits.
const (
	natFlagSrc        = 1 << 0
	natFlagDst        = 1 << 1
	natFlagPersistent = 1 << 2
	natFlagHash       = 1 << 3
	natFlagRandom     = 1 << 4

	natRangeIPv4Min  = 1 << 0
	natRangeIPv4Max  = 1 << 1
	natRangeIPv6Min  = 1 << 2
	natRangeIPv6Max  = 1 << 3
	natRangeProtoMin = 1 << 4
	natRangeProtoMax = 1 << 5
)

func (a NAT) String() string { return stringOf(a) }

func (a NAT) appendText(b []byte) []byte {
	b = append(b, "nat"...)
	if a.Kind == NATNone {
		return b
	}
	if a.Kind == NATSrc {
		b = append(b, "(src"...)
	} else {
		b = append(b, "(dst"...)
	}
	if a.MinAddr.IsValid() {
		b = append(b, '=')
		if a.MinAddr.Is4() {
			b = a.MinAddr.AppendTo(b)
			if a.MaxAddr.IsValid() && a.MaxAddr != a.MinAddr {
				b = a.MaxAddr.AppendTo(append(b, '-'))
			}
		} else {
			bracket := a.MinPort != 0
			b = appendIPv6Bracket(b, a.MinAddr, bracket)
			if a.MaxAddr.IsValid() && !a.MaxAddr.IsUnspecified() && a.MaxAddr != a.MinAddr {
				b = appendIPv6Bracket(append(b, '-'), a.MaxAddr, bracket)
			}
		}
		if a.MinPort != 0 {
			b = appendUint(append(b, ':'), uint64(a.MinPort))
			if a.MaxPort != 0 && a.MaxPort != a.MinPort {
				b = appendUint(append(b, '-'), uint64(a.MaxPort))
			}
		}
		b = append(b, ',')
		if a.Persistent {
			b = append(b, "persistent,"...)
		}
		if a.Hash {
			b = append(b, "hash,"...)
		}
		if a.Random {
			b = append(b, "random,"...)
		}
	}
	b = chompComma(b)
	return append(b, ')')
}

func appendIPv6Bracket(b []byte, ip netip.Addr, bracket bool) []byte {
	a16 := ip.As16()
	if bracket {
		b = append(b, '[')
	}
	b = appendIPv6(b, a16[:])
	if bracket {
		b = append(b, ']')
	}
	return b
}

func (a NAT) appendWire(b []byte) []byte {
	start := len(b)
	b = appendNXHeader(b, nxastNAT)
	var flags, present uint16
	switch a.Kind {
	case NATSrc:
		flags |= natFlagSrc
	case NATDst:
		flags |= natFlagDst
	}
	if a.Persistent {
		flags |= natFlagPersistent
	}
	if a.Hash {
		flags |= natFlagHash
	}
	if a.Random {
		flags |= natFlagRandom
	}
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, flags)
	presentAt := len(b)
	b = append(b, 0, 0)
	if a.MinAddr.IsValid() {
		if a.MinAddr.Is4() {
			v4 := a.MinAddr.As4()
			if v4 != [4]byte{} {
				b = append(b, v4[:]...)
				present |= natRangeIPv4Min
			}
			if a.MaxAddr.IsValid() {
				m4 := a.MaxAddr.As4()
				if m4 != [4]byte{} {
					b = append(b, m4[:]...)
					present |= natRangeIPv4Max
				}
			}
		} else {
			v6 := a.MinAddr.As16()
			if v6 != [16]byte{} {
				b = append(b, v6[:]...)
				present |= natRangeIPv6Min
			}
			if a.MaxAddr.IsValid() {
				m6 := a.MaxAddr.As16()
				if m6 != [16]byte{} {
					b = append(b, m6[:]...)
					present |= natRangeIPv6Max
				}
			}
		}
		if a.MinPort != 0 {
			b = binary.BigEndian.AppendUint16(b, a.MinPort)
			present |= natRangeProtoMin
		}
		if a.MaxPort != 0 {
			b = binary.BigEndian.AppendUint16(b, a.MaxPort)
			present |= natRangeProtoMax
		}
	}
	binary.BigEndian.PutUint16(b[presentAt:], present)
	return finishAction(b, start)
}

func decodeNAT(b []byte) (Action, error) {
	flags, present := be16(b, 12), be16(b, 14)
	a := NAT{
		Persistent: flags&natFlagPersistent != 0,
		Hash:       flags&natFlagHash != 0,
		Random:     flags&natFlagRandom != 0,
	}
	switch {
	case flags&natFlagSrc != 0 && flags&natFlagDst != 0:
		return nil, fmt.Errorf("%w: nat with both src and dst", ErrBadAction)
	case flags&natFlagSrc != 0:
		a.Kind = NATSrc
	case flags&natFlagDst != 0:
		a.Kind = NATDst
	}
	opts := b[16:]
	take := func(n int) ([]byte, error) {
		if len(opts) < n {
			return nil, fmt.Errorf("%w: nat range truncated", ErrBadAction)
		}
		v := opts[:n]
		opts = opts[n:]
		return v, nil
	}
	// Reject what OVS rejects (decode_NXAST_RAW_NAT), so every decoded NAT
	// re-encodes to itself.
	bad := func(why string) error { return fmt.Errorf("%w: nat: %s", ErrBadAction, why) }
	if flags&natFlagHash != 0 && flags&natFlagRandom != 0 {
		return nil, bad("hash and random")
	}
	if flags&^(natFlagSrc|natFlagDst|natFlagPersistent|natFlagHash|natFlagRandom) != 0 {
		return nil, bad("unknown flags")
	}
	switch {
	case present&natRangeIPv4Min != 0:
		if present&(natRangeIPv6Min|natRangeIPv6Max) != 0 {
			return nil, bad("IPv4 and IPv6 range")
		}
		v, err := take(4)
		if err != nil {
			return nil, err
		}
		a.MinAddr = netip.AddrFrom4([4]byte(v))
		if a.MinAddr.IsUnspecified() {
			return nil, bad("zero address")
		}
		if present&natRangeIPv4Max != 0 {
			if v, err = take(4); err != nil {
				return nil, err
			}
			a.MaxAddr = netip.AddrFrom4([4]byte(v))
			if a.MaxAddr.Less(a.MinAddr) {
				return nil, bad("address range backwards")
			}
		}
	case present&natRangeIPv4Max != 0:
		return nil, bad("maximum without minimum")
	case present&natRangeIPv6Min != 0:
		v, err := take(16)
		if err != nil {
			return nil, err
		}
		a.MinAddr = netip.AddrFrom16([16]byte(v))
		if a.MinAddr.IsUnspecified() {
			return nil, bad("zero address")
		}
		if present&natRangeIPv6Max != 0 {
			if v, err = take(16); err != nil {
				return nil, err
			}
			a.MaxAddr = netip.AddrFrom16([16]byte(v))
			if a.MaxAddr.Less(a.MinAddr) {
				return nil, bad("address range backwards")
			}
		}
	case present&natRangeIPv6Max != 0:
		return nil, bad("maximum without minimum")
	}
	switch {
	case present&natRangeProtoMin != 0:
		if !a.MinAddr.IsValid() {
			return nil, bad("ports without addresses")
		}
		v, err := take(2)
		if err != nil {
			return nil, err
		}
		a.MinPort = binary.BigEndian.Uint16(v)
		if a.MinPort == 0 {
			return nil, bad("port 0")
		}
		if present&natRangeProtoMax != 0 {
			if v, err = take(2); err != nil {
				return nil, err
			}
			a.MaxPort = binary.BigEndian.Uint16(v)
			if a.MaxPort < a.MinPort {
				return nil, bad("port range backwards")
			}
		}
	case present&natRangeProtoMax != 0:
		return nil, bad("maximum port without minimum")
	}
	return a, nil
}
