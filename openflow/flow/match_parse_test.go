package flow

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// parseMatchForTest is a test-only reader of OVS match text (the subset
// match_format prints, plus the aliases ovs-ofctl accepts), used to build
// matches from expected strings. Unknown words are errors.
func parseMatchForTest(s string) (Match, error) {
	var m Match
	if s == "" {
		return m, nil
	}
	shorthand := map[string][2]uint64{ // dl_type, nw_proto (0 = none)
		"ip": {ethTypeIP, 0}, "ipv6": {ethTypeIPv6, 0}, "icmp": {ethTypeIP, 1}, "icmp6": {ethTypeIPv6, 58},
		"tcp": {ethTypeIP, 6}, "tcp6": {ethTypeIPv6, 6}, "udp": {ethTypeIP, 17}, "udp6": {ethTypeIPv6, 17},
		"sctp": {ethTypeIP, 132}, "sctp6": {ethTypeIPv6, 132}, "arp": {ethTypeARP, 0}, "rarp": {ethTypeRARP, 0},
		"mpls": {ethTypeMPLS, 0}, "mplsm": {ethTypeMPLSMcast, 0},
	}
	var dlType uint64
	for _, tok := range splitMatchForTest(s) {
		tok = strings.TrimSpace(tok)
		if sh, ok := shorthand[tok]; ok {
			m.SetUint(FieldEthType, sh[0], ^uint64(0))
			dlType = sh[0]
			if sh[1] != 0 {
				m.SetUint(FieldIPProto, sh[1], ^uint64(0))
			}
			continue
		}
		name, text, ok := strings.Cut(tok, "=")
		if !ok {
			return m, fmt.Errorf("%q: want name=value", tok)
		}
		// Names match_format prints that depend on the protocol.
		switch name {
		case "icmp_type", "icmp_code":
			if dlType == ethTypeIPv6 {
				name = strings.Replace(name, "icmp", "icmpv6", 1)
			}
		case "nw_proto", "ip_proto":
			if dlType == ethTypeARP || dlType == ethTypeRARP {
				name = "arp_op"
			}
		}
		f, ok := FieldByName(name)
		if !ok {
			return m, fmt.Errorf("%q: unknown field", name)
		}
		if f == FieldEthType {
			dlType, _ = strconv.ParseUint(text, 0, 16)
		}
		v, mask, err := parseFieldValueForTest(f, text)
		if err != nil {
			return m, fmt.Errorf("%s: %w", name, err)
		}
		m.SetMasked(f, v, mask)
	}
	return m, nil
}

// parseFieldValueForTest parses one value[/mask] in f's OVS syntax.
func parseFieldValueForTest(f Field, text string) (value, mask []byte, err error) {
	n := f.Bytes()
	if f.VariableLength() {
		n = 4
	}
	switch f.Format() {
	case FormatIPv4:
		a, m, hasMask := strings.Cut(text, "/")
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Is4() {
			return nil, nil, fmt.Errorf("bad IPv4 %q", a)
		}
		v := ip.As4()
		if !hasMask {
			return v[:], nil, nil
		}
		if bits, err := strconv.Atoi(m); err == nil {
			mk := make([]byte, 4)
			binary.BigEndian.PutUint32(mk, ^uint32(0)<<(32-bits))
			if bits == 0 {
				mk = []byte{0, 0, 0, 0}
			}
			return v[:], mk, nil
		}
		mip, err := netip.ParseAddr(m)
		if err != nil {
			return nil, nil, err
		}
		mk := mip.As4()
		return v[:], mk[:], nil
	case FormatIPv6:
		a, m, hasMask := strings.Cut(text, "/")
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return nil, nil, err
		}
		v := ip.As16()
		if !hasMask {
			return v[:], nil, nil
		}
		if bits, err := strconv.Atoi(m); err == nil {
			p, err := ip.Prefix(bits)
			if err != nil {
				return nil, nil, err
			}
			_ = p
			mk := make([]byte, 16)
			for i := 0; i < bits; i++ {
				mk[i/8] |= 0x80 >> (i % 8)
			}
			return v[:], mk, nil
		}
		mip, err := netip.ParseAddr(m)
		if err != nil {
			return nil, nil, err
		}
		mk := mip.As16()
		return v[:], mk[:], nil
	case FormatEthernet:
		a, m, hasMask := strings.Cut(text, "/")
		v, err := parseMACForTest(a)
		if err != nil || !hasMask {
			return v, nil, err
		}
		mk, err := parseMACForTest(m)
		return v, mk, err
	case FormatOFPort, FormatOFPort32:
		names := map[string]Port{"UNSET": PortUnset, "IN_PORT": PortInPort, "TABLE": PortTable, "NORMAL": PortNormal,
			"FLOOD": PortFlood, "ALL": PortAll, "CONTROLLER": PortController, "LOCAL": PortLocal, "ANY": PortAny, "NONE": PortAny}
		p, ok := names[text]
		if !ok {
			u, err := strconv.ParseUint(text, 0, 32)
			if err != nil {
				return nil, nil, err
			}
			p = Port(u)
		}
		if f.Format() == FormatOFPort32 {
			return binary.BigEndian.AppendUint32(nil, port32(p)), nil, nil
		}
		return binary.BigEndian.AppendUint16(nil, uint16(p)), nil, nil
	case FormatFrag:
		frags := map[string][2]byte{"no": {0, 3}, "first": {1, 3}, "later": {3, 3}, "yes": {1, 1}, "not_later": {0, 2}}
		fr, ok := frags[text]
		if !ok {
			return nil, nil, fmt.Errorf("bad frag %q", text)
		}
		return []byte{fr[0]}, []byte{fr[1]}, nil
	case FormatCTState, FormatTCPFlags, FormatTunnelFlags:
		names := ctStateNames[:]
		if f.Format() == FormatTCPFlags {
			names = tcpFlagNames[:]
		} else if f.Format() == FormatTunnelFlags {
			names = tunFlagNames[:]
		}
		val, mask, err := parseFlagsForTest(text, names)
		if err != nil {
			return nil, nil, err
		}
		v := binary.BigEndian.AppendUint64(nil, val)[8-n:]
		mk := binary.BigEndian.AppendUint64(nil, mask)[8-n:]
		if mask == ^uint64(0) {
			mk = nil
		}
		return v, mk, nil
	}
	if f.Format() == FormatPacketType {
		nsText, typText, ok := strings.Cut(strings.Trim(text, "()"), ",")
		ns, err1 := strconv.ParseUint(nsText, 0, 16)
		typ, err2 := strconv.ParseUint(typText, 0, 16)
		if !ok || err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("bad packet_type %q", text)
		}
		return binary.BigEndian.AppendUint32(nil, uint32(ns<<16|typ)), nil, nil
	}
	a, m, hasMask := strings.Cut(text, "/")
	v, err := parseIntBytesForTest(a, n)
	if err != nil || !hasMask {
		return v, nil, err
	}
	mk, err := parseIntBytesForTest(m, n)
	return v, mk, err
}

func parseIntBytesForTest(s string, n int) ([]byte, error) {
	var x big.Int
	if _, ok := x.SetString(s, 0); !ok || x.Sign() < 0 {
		return nil, fmt.Errorf("bad number %q", s)
	}
	b := x.Bytes()
	if len(b) > n {
		return nil, fmt.Errorf("%q does not fit %d bytes", s, n)
	}
	out := make([]byte, n)
	copy(out[n-len(b):], b)
	return out, nil
}

func parseMACForTest(s string) ([]byte, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return nil, fmt.Errorf("bad MAC %q", s)
	}
	out := make([]byte, 6)
	for i, p := range parts {
		u, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return nil, err
		}
		out[i] = byte(u)
	}
	return out, nil
}

// parseFlagsForTest reads "+a-b" (masked), "a|b" (exact), "0" or numbers.
func parseFlagsForTest(s string, names []string) (val, mask uint64, err error) {
	bit := func(name string) (uint64, error) {
		for i, n := range names {
			if n == name {
				return 1 << i, nil
			}
		}
		return 0, fmt.Errorf("unknown flag %q", name)
	}
	if s == "" {
		return 0, 0, fmt.Errorf("empty flags")
	}
	if s[0] == '+' || s[0] == '-' {
		for len(s) > 0 {
			plus := s[0] == '+'
			s = s[1:]
			end := strings.IndexAny(s, "+-")
			if end < 0 {
				end = len(s)
			}
			b, err := bit(s[:end])
			if err != nil {
				return 0, 0, err
			}
			mask |= b
			if plus {
				val |= b
			}
			s = s[end:]
		}
		return val, mask, nil
	}
	if v, m, ok := strings.Cut(s, "/"); ok {
		val, err1 := strconv.ParseUint(v, 0, 64)
		mask, err2 := strconv.ParseUint(m, 0, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("bad flags %q", s)
		}
		return val, mask, nil
	}
	if u, err := strconv.ParseUint(s, 0, 64); err == nil {
		return u, ^uint64(0), nil
	}
	for _, name := range strings.Split(s, "|") {
		b, err := bit(name)
		if err != nil {
			return 0, 0, err
		}
		val |= b
	}
	return val, ^uint64(0), nil
}

// splitMatchForTest splits at commas outside parentheses.
func splitMatchForTest(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
