package lflow

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// The actions encoder describes each group in ovs-ofctl's group syntax
// (that text is also the group's identity in the extend table, as in
// ovn-controller). parseGroupDescription reads back the forms it writes:
//
//	type=select,selection_method=dp_hash|hash[,selection_method_param=N][,fields(F,...)]
//	bucket=bucket_id=I,weight:W,actions=ct(nat(dst=A[:P]),commit,table=T,zone=NXM_NX_REGn[0..15],exec(set_field:V/M->ct_mark|ct_label,...))
//	bucket=bucket_id=I,weight:W,actions=load:V->FIELD[a..b],resubmit(,T)
//	bucket=[watch_port:N,]load=0xK->NXM_NX_REG15[0..15],resubmit(,T)    (fwd_group)
//
// watch_port has no place in ofctrl.Bucket and is dropped (fwd_group with
// liveness then balances over dead tunnels too).

// ErrGroupSyntax reports a group description this package cannot read.
var ErrGroupSyntax = errors.New("lflow: unsupported group description")

func parseGroupDescription(id uint32, desc string) (ofctrl.Group, error) {
	parts := strings.Split(desc, ",bucket=")
	g := ofctrl.Group{ID: id}
	var method string
	var param uint64
	var fields []flow.Field
	for _, kv := range splitTop(parts[0]) {
		switch {
		case kv == "type=select":
			g.Type = conn.GroupTypeSelect
		case kv == "type=all":
			g.Type = conn.GroupTypeAll
		case strings.HasPrefix(kv, "selection_method="):
			method = strings.TrimPrefix(kv, "selection_method=")
		case strings.HasPrefix(kv, "selection_method_param="):
			v, err := strconv.ParseUint(strings.TrimPrefix(kv, "selection_method_param="), 0, 64)
			if err != nil {
				return g, fmt.Errorf("%w: %q", ErrGroupSyntax, kv)
			}
			param = v
		case strings.HasPrefix(kv, "fields(") && strings.HasSuffix(kv, ")"):
			for _, name := range strings.Split(kv[len("fields("):len(kv)-1], ",") {
				f, ok := flow.FieldByName(strings.TrimSpace(name))
				if !ok {
					return g, fmt.Errorf("%w: field %q", ErrGroupSyntax, name)
				}
				fields = append(fields, f)
			}
		default:
			return g, fmt.Errorf("%w: %q", ErrGroupSyntax, kv)
		}
	}
	if method != "" {
		g.Properties = selectionMethodProp(method, param, fields)
	}
	for i, b := range parts[1:] {
		bk, err := parseBucket(uint32(i), b)
		if err != nil {
			return g, err
		}
		g.Buckets = append(g.Buckets, bk)
	}
	return g, nil
}

// selectionMethodProp encodes OVS's Netronome selection-method group
// property (ntr_group_prop_selection_method): experimenter property,
// method name in 16 bytes, 64-bit parameter, then the hash fields' OXM
// headers, padded to 8 bytes.
func selectionMethodProp(method string, param uint64, fields []flow.Field) []byte {
	b := []byte{0xff, 0xff, 0, 0}                    // OFPGPT15_EXPERIMENTER, length
	b = binary.BigEndian.AppendUint32(b, 0x0000154d) // NTR_VENDOR_ID
	b = binary.BigEndian.AppendUint32(b, 1)          // NTRT_SELECTION_METHOD
	b = append(b, 0, 0, 0, 0)
	var name [16]byte
	copy(name[:], method)
	b = append(b, name[:]...)
	b = binary.BigEndian.AppendUint64(b, param)
	for _, f := range fields {
		b = f.AppendHeader(b, false, 0)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

func parseBucket(index uint32, text string) (ofctrl.Bucket, error) {
	bk := ofctrl.Bucket{ID: index}
	var acts flow.Actions
	for _, it := range splitTop(text) {
		switch {
		case strings.HasPrefix(it, "bucket_id="):
			v, err := strconv.ParseUint(strings.TrimPrefix(it, "bucket_id="), 10, 32)
			if err != nil {
				return bk, fmt.Errorf("%w: %q", ErrGroupSyntax, it)
			}
			bk.ID = uint32(v)
		case strings.HasPrefix(it, "weight:"):
			v, err := strconv.ParseUint(strings.TrimPrefix(it, "weight:"), 10, 16)
			if err != nil {
				return bk, fmt.Errorf("%w: %q", ErrGroupSyntax, it)
			}
			bk.Weight = uint16(v)
		case strings.HasPrefix(it, "watch_port:"):
			// Not representable in ofctrl.Bucket (see above).
		default:
			a, err := parseBucketAction(strings.TrimPrefix(it, "actions="))
			if err != nil {
				return bk, err
			}
			acts = append(acts, a)
		}
	}
	bk.Actions = acts
	return bk, nil
}

func parseBucketAction(s string) (flow.Action, error) {
	switch {
	case strings.HasPrefix(s, "ct(") && strings.HasSuffix(s, ")"):
		return parseCT(s[3 : len(s)-1])
	case strings.HasPrefix(s, "resubmit(,") && strings.HasSuffix(s, ")"):
		t, err := strconv.ParseUint(s[len("resubmit(,"):len(s)-1], 10, 8)
		if err != nil {
			return nil, fmt.Errorf("%w: %q", ErrGroupSyntax, s)
		}
		return flow.Resubmit{Table: uint8(t)}, nil
	case strings.HasPrefix(s, "load:"), strings.HasPrefix(s, "load="):
		src, dst, ok := strings.Cut(s[len("load:"):], "->")
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrGroupSyntax, s)
		}
		v, err := strconv.ParseUint(src, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %q", ErrGroupSyntax, s)
		}
		sf, err := parseSubfield(dst)
		if err != nil {
			return nil, err
		}
		return flow.Load(sf, v), nil
	}
	return nil, fmt.Errorf("%w: action %q", ErrGroupSyntax, s)
}

// parseSubfield reads "NAME[a..b]" or "NAME[]" or "NAME".
func parseSubfield(s string) (flow.Subfield, error) {
	name, rng, hasRange := strings.Cut(s, "[")
	f, ok := flow.FieldByName(name)
	if !ok {
		return flow.Subfield{}, fmt.Errorf("%w: field %q", ErrGroupSyntax, name)
	}
	sf := flow.WholeField(f)
	if hasRange && rng != "]" {
		lo, hi, ok := strings.Cut(strings.TrimSuffix(rng, "]"), "..")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || b < a {
			return flow.Subfield{}, fmt.Errorf("%w: subfield %q", ErrGroupSyntax, s)
		}
		sf = flow.Subfield{Field: f, Offset: a, Bits: b - a + 1}
	}
	return sf, nil
}

func parseCT(s string) (flow.Action, error) {
	ct := flow.CT{Table: flow.TableNone}
	for _, it := range splitTop(s) {
		switch {
		case it == "commit":
			ct.Commit = true
		case strings.HasPrefix(it, "table="):
			t, err := strconv.ParseUint(strings.TrimPrefix(it, "table="), 10, 8)
			if err != nil {
				return nil, fmt.Errorf("%w: %q", ErrGroupSyntax, it)
			}
			ct.Table = uint8(t)
		case strings.HasPrefix(it, "zone="):
			sf, err := parseSubfield(strings.TrimPrefix(it, "zone="))
			if err != nil {
				return nil, err
			}
			ct.Zone = sf
		case strings.HasPrefix(it, "nat(") && strings.HasSuffix(it, ")"):
			nat, err := parseNAT(it[4 : len(it)-1])
			if err != nil {
				return nil, err
			}
			ct.Actions = append(flow.Actions{nat}, ct.Actions...)
		case strings.HasPrefix(it, "exec(") && strings.HasSuffix(it, ")"):
			for _, a := range splitTop(it[5 : len(it)-1]) {
				sf, err := parseSetField(a)
				if err != nil {
					return nil, err
				}
				ct.Actions = append(ct.Actions, sf)
			}
		default:
			return nil, fmt.Errorf("%w: ct argument %q", ErrGroupSyntax, it)
		}
	}
	return ct, nil
}

// parseNAT reads "dst=10.0.0.1", "dst=10.0.0.1:80", "dst=[fd00::1]:80",
// "dst=fd00::1".
func parseNAT(s string) (flow.NAT, error) {
	nat := flow.NAT{}
	switch {
	case strings.HasPrefix(s, "dst="):
		nat.Kind = flow.NATDst
	case strings.HasPrefix(s, "src="):
		nat.Kind = flow.NATSrc
	default:
		return nat, fmt.Errorf("%w: nat %q", ErrGroupSyntax, s)
	}
	addr := s[4:]
	var port string
	if strings.HasPrefix(addr, "[") {
		end := strings.IndexByte(addr, ']')
		if end < 0 {
			return nat, fmt.Errorf("%w: nat %q", ErrGroupSyntax, s)
		}
		port = strings.TrimPrefix(addr[end+1:], ":")
		addr = addr[1:end]
	} else if strings.Count(addr, ":") == 1 {
		addr, port, _ = strings.Cut(addr, ":")
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return nat, fmt.Errorf("%w: nat %q", ErrGroupSyntax, s)
	}
	nat.MinAddr = ip
	if port != "" {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return nat, fmt.Errorf("%w: nat %q", ErrGroupSyntax, s)
		}
		nat.MinPort = uint16(p)
	}
	return nat, nil
}

// parseSetField reads "set_field:V[/M]->FIELD" with decimal or 0x values.
func parseSetField(s string) (flow.SetField, error) {
	body, ok := strings.CutPrefix(s, "set_field:")
	if !ok {
		return flow.SetField{}, fmt.Errorf("%w: exec action %q", ErrGroupSyntax, s)
	}
	val, name, ok := strings.Cut(body, "->")
	if !ok {
		return flow.SetField{}, fmt.Errorf("%w: %q", ErrGroupSyntax, s)
	}
	f, ok := flow.FieldByName(name)
	if !ok {
		return flow.SetField{}, fmt.Errorf("%w: field %q", ErrGroupSyntax, name)
	}
	v, m, masked := strings.Cut(val, "/")
	vb, err := bigBytes(v, f.Bytes())
	if err != nil {
		return flow.SetField{}, fmt.Errorf("%w: %q", ErrGroupSyntax, s)
	}
	sf := flow.SetField{Field: f, Value: vb}
	if masked {
		if sf.Mask, err = bigBytes(m, f.Bytes()); err != nil {
			return flow.SetField{}, fmt.Errorf("%w: %q", ErrGroupSyntax, s)
		}
	}
	return sf, nil
}

func bigBytes(s string, n int) ([]byte, error) {
	v, ok := new(big.Int).SetString(s, 0)
	if !ok || v.Sign() < 0 || (v.BitLen()+7)/8 > n {
		return nil, fmt.Errorf("bad number %q", s)
	}
	return v.FillBytes(make([]byte, n)), nil
}

// splitTop splits s at the commas that are not inside parentheses or
// brackets.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[':
			depth++
		case ')', ']':
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

// GroupText formats g as `ovs-ofctl -O OpenFlow15 dump-groups` prints the
// groups ovn-controller installs.
func GroupText(g ofctrl.Group) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "group_id=%d,type=", g.ID)
	switch g.Type {
	case conn.GroupTypeSelect:
		sb.WriteString("select")
	case conn.GroupTypeAll:
		sb.WriteString("all")
	default:
		fmt.Fprintf(&sb, "%d", g.Type)
	}
	if p := g.Properties; len(p) >= 40 {
		sb.WriteString(",selection_method=")
		sb.WriteString(strings.TrimRight(string(p[16:32]), "\x00"))
		if param := binary.BigEndian.Uint64(p[32:40]); param != 0 {
			fmt.Fprintf(&sb, ",selection_method_param=%d", param)
		}
	}
	for _, b := range g.Buckets {
		fmt.Fprintf(&sb, ",bucket=bucket_id:%d", b.ID)
		if g.Type == conn.GroupTypeSelect {
			w := b.Weight
			if w == 0 {
				w = 1
			}
			fmt.Fprintf(&sb, ",weight:%d", w)
		}
		sb.WriteString(",actions=")
		if b.Actions != nil {
			sb.WriteString(b.Actions.String())
		}
	}
	return sb.String()
}
