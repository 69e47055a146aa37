package flow

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// This file is a test-only parser for the OVS action texts the tests use
// (the forms ofpacts_format prints), so tests can build values from text,
// print them and compare. Production code builds values directly.

// splitTop splits s at commas that are not inside parentheses.
func splitTop(s string) []string {
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
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// inParens returns the text inside "name(...)" when s has that form.
func inParens(s, name string) (string, bool) {
	if strings.HasPrefix(s, name+"(") && strings.HasSuffix(s, ")") {
		return s[len(name)+1 : len(s)-1], true
	}
	return "", false
}

func parseActionsText(s string) (Actions, error) {
	if s == "drop" || s == "" {
		return Actions{}, nil
	}
	var as Actions
	for _, part := range splitTop(s) {
		if rest, ok := strings.CutPrefix(part, "enqueue:"); ok {
			port, queue, _ := strings.Cut(rest, ":")
			p, err := parsePort(port)
			if err != nil {
				return nil, err
			}
			q, err := parseUint(queue, 32)
			if err != nil {
				return nil, err
			}
			as = append(as, Enqueue(p, uint32(q))...)
			continue
		}
		a, err := parseActionText(part)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", part, err)
		}
		as = append(as, a)
	}
	return as, nil
}

var portNames = map[string]Port{"UNSET": PortUnset, "IN_PORT": PortInPort, "TABLE": PortTable, "NORMAL": PortNormal,
	"FLOOD": PortFlood, "ALL": PortAll, "CONTROLLER": PortController, "LOCAL": PortLocal, "ANY": PortAny, "NONE": PortAny}

func parsePort(s string) (Port, error) {
	if p, ok := portNames[strings.ToUpper(s)]; ok {
		return p, nil
	}
	v, err := strconv.ParseUint(s, 0, 16)
	return Port(v), err
}

func parseUint(s string, bits int) (uint64, error) { return strconv.ParseUint(s, 0, bits) }

func parseActionText(s string) (Action, error) {
	name, arg, hasColon := strings.Cut(s, ":")
	if i := strings.IndexByte(s, '('); i >= 0 && (!hasColon || i < len(name)) {
		name, arg = s[:i], ""
	}
	switch {
	case s == "ct_clear":
		return CTClear{}, nil
	case s == "dec_ttl":
		return DecTTL{}, nil
	case s == "exit":
		return Exit{}, nil
	case s == "pop_vlan" || s == "strip_vlan":
		return PopVLAN{}, nil
	case s == "pop_queue":
		return PopQueue{}, nil
	case s == "drop":
		return nil, fmt.Errorf("drop inside a list")
	}
	if p, ok := portNames[s]; ok {
		return Output{Port: p}, nil
	}
	switch name {
	case "output":
		if inner, ok := inParens(s, "output"); ok {
			kv := parseKV(inner)
			p, err := parsePort(kv["port"])
			if err != nil {
				return nil, err
			}
			n, err := parseUint(kv["max_len"], 32)
			return OutputTrunc{Port: p, MaxLen: uint32(n)}, err
		}
		if strings.Contains(arg, "[") {
			sf, err := parseSubfield(arg)
			return OutputReg{Src: sf, MaxLen: MaxLenAll}, err
		}
		p, err := parsePort(arg)
		return Output{Port: p}, err
	case "CONTROLLER":
		n, err := parseUint(arg, 16)
		return Output{Port: PortController, MaxLen: uint16(n)}, err
	case "resubmit":
		if inner, ok := inParens(s, "resubmit"); ok {
			parts := strings.Split(inner, ",")
			r := Resubmit{Table: TableNone}
			if parts[0] != "" {
				p, err := parsePort(parts[0])
				if err != nil {
					return nil, err
				}
				r.Port = p
			}
			if len(parts) > 1 && parts[1] != "" {
				t, err := parseUint(parts[1], 8)
				if err != nil {
					return nil, err
				}
				r.Table = uint8(t)
			}
			r.CT = len(parts) > 2 && parts[2] == "ct"
			return r, nil
		}
		p, err := parsePort(arg)
		return Resubmit{Port: p, Table: TableNone}, err
	case "set_field":
		return parseSetFieldText(arg)
	case "load":
		v, dst, ok := strings.Cut(arg, "->")
		if !ok {
			return nil, fmt.Errorf("load without ->")
		}
		sf, err := parseSubfield(dst)
		if err != nil {
			return nil, err
		}
		n, err := parseUint(v, 64)
		return Load(sf, n), err
	case "move":
		src, dst, ok := strings.Cut(arg, "->")
		if !ok {
			return nil, fmt.Errorf("move without ->")
		}
		s1, err := parseSubfield(src)
		if err != nil {
			return nil, err
		}
		s2, err := parseSubfield(dst)
		return Move{Src: s1, Dst: s2}, err
	case "push":
		sf, err := parseSubfield(arg)
		return StackPush{Subfield: sf}, err
	case "pop":
		sf, err := parseSubfield(arg)
		return StackPop{Subfield: sf}, err
	case "group":
		n, err := parseUint(arg, 32)
		return GroupAction{ID: uint32(n)}, err
	case "meter":
		n, err := parseUint(arg, 32)
		return MeterAction{ID: uint32(n)}, err
	case "set_queue":
		n, err := parseUint(arg, 32)
		return SetQueue{ID: uint32(n)}, err
	case "push_vlan":
		n, err := parseUint(arg, 16)
		return PushVLAN{EtherType: uint16(n)}, err
	case "mod_nw_ttl":
		n, err := parseUint(arg, 8)
		return SetIPTTL{TTL: uint8(n)}, err
	case "note":
		data, err := hex.DecodeString(strings.ReplaceAll(arg, ".", ""))
		return Note{Data: data}, err
	case "dec_ttl":
		inner, _ := inParens(s, "dec_ttl")
		var ids []uint16
		for _, p := range strings.Split(inner, ",") {
			n, err := parseUint(p, 16)
			if err != nil {
				return nil, err
			}
			ids = append(ids, uint16(n))
		}
		return DecTTL{ControllerIDs: ids, CntIDs: true}, nil
	case "conjunction":
		inner, _ := inParens(s, "conjunction")
		var id uint32
		var k, n uint8
		if _, err := fmt.Sscanf(inner, "%d,%d/%d", &id, &k, &n); err != nil {
			return nil, err
		}
		return Conjunction{ID: id, K: k, N: n}, nil
	case "controller":
		inner, _ := inParens(s, "controller")
		c := Controller{MaxLen: MaxLenAll, Reason: ReasonAction}
		for _, kv := range splitTop(inner) {
			k, v, _ := strings.Cut(kv, "=")
			var err error
			switch k {
			case "userdata":
				c.Userdata, err = hex.DecodeString(strings.ReplaceAll(v, ".", ""))
			case "pause":
				c.Pause = true
			case "max_len":
				var n uint64
				n, err = parseUint(v, 16)
				c.MaxLen = uint16(n)
			case "id":
				var n uint64
				n, err = parseUint(v, 16)
				c.ID = uint16(n)
			case "meter_id":
				var n uint64
				n, err = parseUint(v, 32)
				c.MeterID = uint32(n)
			case "reason":
				found := false
				for i, r := range reasonNames {
					if r == v {
						c.Reason, found = PacketInReason(i), true
					}
				}
				if !found {
					err = fmt.Errorf("reason %q", v)
				}
			default:
				err = fmt.Errorf("controller key %q", k)
			}
			if err != nil {
				return nil, err
			}
		}
		return c, nil
	case "clone":
		inner, _ := inParens(s, "clone")
		as, err := parseActionsText(inner)
		return Clone{Actions: as}, err
	case "ct":
		inner, _ := inParens(s, "ct")
		return parseCTText(inner)
	case "nat":
		inner, _ := inParens(s, "nat")
		return parseNATText(inner)
	case "learn":
		inner, _ := inParens(s, "learn")
		return parseLearnText(inner)
	case "check_pkt_larger":
		var n uint16
		rest := strings.TrimPrefix(s, "check_pkt_larger(")
		num, dst, ok := strings.Cut(rest, ")->")
		if !ok {
			return nil, fmt.Errorf("check_pkt_larger syntax")
		}
		v, err := parseUint(num, 16)
		if err != nil {
			return nil, err
		}
		n = uint16(v)
		sf, err := parseSubfield(dst)
		return CheckPktLarger{Len: n, Dst: sf}, err
	case "sample":
		inner, _ := inParens(s, "sample")
		var a Sample
		for _, kv := range splitTop(inner) {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := parseUint(v, 32)
			switch k {
			case "probability":
				a.Probability = uint16(n)
			case "collector_set_id":
				a.CollectorSetID = uint32(n)
			case "obs_domain_id":
				a.ObsDomainID = uint32(n)
			case "obs_point_id":
				a.ObsPointID = uint32(n)
			case "sampling_port":
				p, err := parsePort(v)
				if err != nil {
					return nil, err
				}
				a.SamplingPort = p
			case "ingress":
				a.Direction = SampleIngress
			case "egress":
				a.Direction = SampleEgress
			default:
				return nil, fmt.Errorf("sample key %q", k)
			}
		}
		return a, nil
	case "fin_timeout":
		inner, _ := inParens(s, "fin_timeout")
		kv := parseKV(inner)
		idle, _ := parseUint(kv["idle_timeout"], 16)
		hard, _ := parseUint(kv["hard_timeout"], 16)
		return FinTimeout{IdleTimeout: uint16(idle), HardTimeout: uint16(hard)}, nil
	case "bundle", "bundle_load":
		inner, _ := inParens(s, name)
		return parseBundleText(inner, name == "bundle_load")
	}
	return nil, fmt.Errorf("unknown action %q", s)
}

func parseKV(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range splitTop(s) {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func parseSubfield(s string) (Subfield, error) {
	name, rng, ok := strings.Cut(s, "[")
	if !ok || !strings.HasSuffix(rng, "]") {
		f, ok := FieldByName(s)
		if !ok {
			return Subfield{}, fmt.Errorf("unknown field %q", s)
		}
		return WholeField(f), nil
	}
	f, ok := FieldByName(name)
	if !ok {
		return Subfield{}, fmt.Errorf("unknown field %q", name)
	}
	rng = strings.TrimSuffix(rng, "]")
	if rng == "" {
		return WholeField(f), nil
	}
	lo, hi, isRange := strings.Cut(rng, "..")
	a, err := strconv.Atoi(lo)
	if err != nil {
		return Subfield{}, err
	}
	if !isRange {
		return Subfield{Field: f, Offset: a, Bits: 1}, nil
	}
	b, err := strconv.Atoi(hi)
	if err != nil {
		return Subfield{}, err
	}
	if b < a { // OVN prints learn sources it leaves 0 bits wide as [0..-1]
		return Subfield{Field: f, Offset: a}, nil
	}
	return Subfield{Field: f, Offset: a, Bits: b - a + 1}, nil
}

func parseSetFieldText(arg string) (Action, error) {
	i := strings.LastIndex(arg, "->")
	if i < 0 {
		return nil, fmt.Errorf("set_field without ->")
	}
	f, ok := FieldByName(arg[i+2:])
	if !ok {
		return nil, fmt.Errorf("unknown field %q", arg[i+2:])
	}
	v, m, err := parseFieldValue(f, arg[:i])
	if err != nil {
		return nil, err
	}
	return SetField{Field: f, Value: v, Mask: m}, nil
}

// parseFieldValue parses a value in the form appendFieldValue prints.
func parseFieldValue(f Field, s string) (value, mask []byte, err error) {
	vs, ms, masked := strings.Cut(s, "/")
	n := f.Bytes()
	switch f.Format() {
	case FormatEthernet:
		hw, err := net.ParseMAC(vs)
		if err != nil {
			return nil, nil, err
		}
		value = hw
		if masked {
			hm, err := net.ParseMAC(ms)
			if err != nil {
				return nil, nil, err
			}
			mask = hm
		}
		return value, mask, nil
	case FormatIPv4, FormatIPv6:
		ip, err := netip.ParseAddr(vs)
		if err != nil {
			return nil, nil, err
		}
		value = ip.AsSlice()
		if masked {
			if bits, err := strconv.Atoi(ms); err == nil {
				p := netip.PrefixFrom(ip, bits)
				mask = make([]byte, n)
				for i := 0; i < p.Bits(); i++ {
					mask[i/8] |= 0x80 >> (i % 8)
				}
			} else {
				m, err := netip.ParseAddr(ms)
				if err != nil {
					return nil, nil, err
				}
				mask = m.AsSlice()
			}
		}
		return value, mask, nil
	case FormatOFPort, FormatOFPort32:
		if p, ok := portNames[vs]; ok && !masked {
			if n == 4 {
				return uintBytes(uint64(port32(p)), 4), nil, nil
			}
			return uintBytes(uint64(p), n), nil, nil
		}
	}
	value, err = bigBytes(vs, n)
	if err != nil {
		return nil, nil, err
	}
	if masked {
		if mask, err = bigBytes(ms, n); err != nil {
			return nil, nil, err
		}
	}
	return value, mask, nil
}

func bigBytes(s string, n int) ([]byte, error) {
	v, ok := new(big.Int).SetString(s, 0)
	if !ok {
		return nil, fmt.Errorf("bad number %q", s)
	}
	out := make([]byte, n)
	v.FillBytes(out)
	return out, nil
}

func parseCTText(inner string) (Action, error) {
	a := CT{Table: TableNone}
	for _, kv := range splitTop(inner) {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "commit":
			a.Commit = true
		case k == "force":
			a.Force = true
		case k == "table":
			n, err := parseUint(v, 8)
			if err != nil {
				return nil, err
			}
			a.Table = uint8(n)
		case k == "zone":
			if n, err := parseUint(v, 16); err == nil {
				a.ZoneImm = uint16(n)
			} else {
				sf, err := parseSubfield(v)
				if err != nil {
					return nil, err
				}
				a.Zone = sf
			}
		case k == "alg":
			switch v {
			case "ftp":
				a.Alg = 21
			case "tftp":
				a.Alg = 69
			default:
				n, err := parseUint(v, 16)
				if err != nil {
					return nil, err
				}
				a.Alg = uint16(n)
			}
		case k == "nat" || strings.HasPrefix(kv, "nat("):
			nat, err := parseActionText(kv)
			if err != nil {
				return nil, err
			}
			a.Actions = append(Actions{nat}, a.Actions...)
		case strings.HasPrefix(kv, "exec("):
			as, err := parseActionsText(strings.TrimSuffix(strings.TrimPrefix(kv, "exec("), ")"))
			if err != nil {
				return nil, err
			}
			a.Actions = append(a.Actions, as...)
		default:
			return nil, fmt.Errorf("ct key %q", kv)
		}
	}
	return a, nil
}

func parseNATText(inner string) (Action, error) {
	var a NAT
	if inner == "" {
		return a, nil
	}
	for _, kv := range splitTop(inner) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "src", "dst":
			a.Kind = NATSrc
			if k == "dst" {
				a.Kind = NATDst
			}
			if v != "" {
				if err := parseNATRange(&a, v); err != nil {
					return nil, err
				}
			}
		case "persistent":
			a.Persistent = true
		case "hash":
			a.Hash = true
		case "random":
			a.Random = true
		default:
			return nil, fmt.Errorf("nat key %q", k)
		}
	}
	return a, nil
}

func parseNATRange(a *NAT, v string) error {
	addrs, ports := v, ""
	if strings.HasPrefix(v, "[") {
		// [a]:p or [a]-[b]:p
		i := strings.LastIndex(v, "]")
		addrs, ports = v[:i+1], strings.TrimPrefix(v[i+1:], ":")
		addrs = strings.NewReplacer("[", "", "]", "").Replace(addrs)
	} else if strings.Count(v, ":") == 1 {
		addrs, ports, _ = strings.Cut(v, ":")
	}
	lo, hi, isRange := strings.Cut(addrs, "-")
	var err error
	if a.MinAddr, err = netip.ParseAddr(lo); err != nil {
		return err
	}
	if isRange {
		if a.MaxAddr, err = netip.ParseAddr(hi); err != nil {
			return err
		}
	}
	if ports != "" {
		plo, phi, isRange := strings.Cut(ports, "-")
		n, err := parseUint(plo, 16)
		if err != nil {
			return err
		}
		a.MinPort = uint16(n)
		if isRange {
			n, err := parseUint(phi, 16)
			if err != nil {
				return err
			}
			a.MaxPort = uint16(n)
		}
	}
	return nil
}

func parseLearnText(inner string) (Action, error) {
	a := Learn{Priority: LearnDefaultPriority}
	for _, kv := range splitTop(inner) {
		k, v, hasEq := strings.Cut(kv, "=")
		u := func(bits int) uint64 { n, _ := parseUint(v, bits); return n }
		switch {
		case k == "table":
			a.Table = uint8(u(8))
		case k == "idle_timeout":
			a.IdleTimeout = uint16(u(16))
		case k == "hard_timeout":
			a.HardTimeout = uint16(u(16))
		case k == "fin_idle_timeout":
			a.FinIdleTimeout = uint16(u(16))
		case k == "fin_hard_timeout":
			a.FinHardTimeout = uint16(u(16))
		case k == "priority":
			a.Priority = uint16(u(16))
		case k == "cookie":
			a.Cookie = u(64)
		case k == "limit":
			a.Limit = uint32(u(32))
		case k == "send_flow_rem":
			a.SendFlowRem = true
		case k == "delete_learned":
			a.DeleteLearned = true
		case k == "result_dst":
			sf, err := parseSubfield(v)
			if err != nil {
				return nil, err
			}
			a.ResultDst = sf
		case strings.HasPrefix(kv, "load:"):
			src, dst, _ := strings.Cut(strings.TrimPrefix(kv, "load:"), "->")
			d, err := parseSubfield(dst)
			if err != nil {
				return nil, err
			}
			s := LearnSpec{Kind: LearnLoad, Dst: d}
			if strings.Contains(src, "[") {
				if s.Src, err = parseSubfield(src); err != nil {
					return nil, err
				}
			} else if s.Imm, err = bigBytes(src, (d.NBits()+7)/8); err != nil {
				return nil, err
			}
			a.Specs = append(a.Specs, s)
		case strings.HasPrefix(kv, "output:"):
			src, err := parseSubfield(strings.TrimPrefix(kv, "output:"))
			if err != nil {
				return nil, err
			}
			a.Specs = append(a.Specs, LearnSpec{Kind: LearnOutput, Src: src})
		default:
			d, err := parseSubfield(k)
			if err != nil {
				return nil, err
			}
			s := LearnSpec{Kind: LearnMatch, Dst: d, Src: d}
			if hasEq {
				if strings.Contains(v, "[") {
					if s.Src, err = parseSubfield(v); err != nil {
						return nil, err
					}
					if s.Src.Bits == 0 {
						s.Src.Bits = d.NBits()
					}
				} else if strings.Contains(k, "[") {
					if s.Imm, err = bigBytes(v, (d.NBits()+7)/8); err != nil {
						return nil, err
					}
				} else {
					val, _, err := parseFieldValue(d.Field, v)
					if err != nil {
						return nil, err
					}
					s.Imm = val
				}
			}
			a.Specs = append(a.Specs, s)
		}
	}
	return a, nil
}

func parseBundleText(inner string, load bool) (Action, error) {
	parts := splitTop(inner)
	if len(parts) < 5 {
		return nil, fmt.Errorf("bundle syntax")
	}
	var a Bundle
	found := false
	for i, n := range hashFieldNames {
		if n == parts[0] {
			a.Fields, found = HashFields(i), true
		}
	}
	if !found {
		return nil, fmt.Errorf("bundle fields %q", parts[0])
	}
	basis, err := parseUint(parts[1], 16)
	if err != nil {
		return nil, err
	}
	a.Basis = uint16(basis)
	switch parts[2] {
	case "hrw":
		a.Algorithm = BundleHRW
	case "active_backup":
		a.Algorithm = BundleActiveBackup
	default:
		return nil, fmt.Errorf("bundle algorithm %q", parts[2])
	}
	rest := parts[4:]
	if load {
		if a.Dst, err = parseSubfield(rest[0]); err != nil {
			return nil, err
		}
		rest = rest[1:]
	}
	rest[0] = strings.TrimPrefix(strings.TrimPrefix(rest[0], "members:"), "slaves:")
	for _, p := range rest {
		port, err := parsePort(p)
		if err != nil {
			return nil, err
		}
		a.Members = append(a.Members, port)
	}
	return a, nil
}
