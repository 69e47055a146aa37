package actions

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/expr"
)

// Opcode is the first word of the userdata of an OVN controller action
// (enum action_opcode in include/ovn/actions.h).
type Opcode uint32

// Controller action opcodes.
const (
	OpARP Opcode = iota
	OpPutARP
	OpPutDHCPOpts
	OpNDNA
	OpPutND
	OpPutDHCPv6Opts
	OpDNSLookup
	OpLog
	OpPutNDRAOpts
	OpNDNS
	OpICMP
	OpTCPReset
	OpNDNARouter
	OpPutICMP4FragMTU
	OpICMP4Error
	OpEvent
	OpIGMP
	OpBindVport
	OpHandleSvcCheck
	OpDHCP6Server
	OpICMP6Error
	OpPutICMP6FragMTU
	OpReject
	OpBFDMsg
	OpSCTPAbort
	OpPutFDB
	OpActivationStrategyRARP
	OpMGSplitBuf
)

var opcodeNames = [...]string{
	"ARP", "PUT_ARP", "PUT_DHCP_OPTS", "ND_NA", "PUT_ND", "PUT_DHCPV6_OPTS", "DNS_LOOKUP", "LOG",
	"PUT_ND_RA_OPTS", "ND_NS", "ICMP", "TCP_RESET", "ND_NA_ROUTER", "PUT_ICMP4_FRAG_MTU", "ICMP4_ERROR",
	"EVENT", "IGMP", "BIND_VPORT", "HANDLE_SVC_CHECK", "DHCP6_SERVER", "ICMP6_ERROR", "PUT_ICMP6_FRAG_MTU",
	"REJECT", "BFD_MSG", "SCTP_ABORT", "PUT_FDB", "ACTIVATION_STRATEGY_RARP", "MG_SPLIT_BUF",
}

// String names the opcode as OVN's ovnact_op_to_string() does.
func (o Opcode) String() string {
	if int(o) < len(opcodeNames) {
		return opcodeNames[o]
	}
	return "unrecognized(" + strconv.FormatUint(uint64(o), 10) + ")"
}

// UserdataHeaderLen is the size of the opcode header that starts every
// controller action's userdata.
const UserdataHeaderLen = 8

// userdataHeader starts a userdata buffer: the opcode and 4 zero bytes.
func userdataHeader(op Opcode) []byte {
	b := make([]byte, UserdataHeaderLen, 64)
	binary.BigEndian.PutUint32(b, uint32(op))
	return b
}

// low returns the low n bytes of a constant's value (the C union members
// u8_val, be16_int, be32_int, ipv4, mac, ipv6 ...).
func low(v *expr.Subvalue, n int) []byte { return v[expr.SubvalueBytes-n:] }

// appendDHCPv4Option appends one DHCPv4 option (code u8, len u8, value).
func appendDHCPv4Option(b []byte, o *OptionValue) []byte {
	vals := o.Value.Values
	if len(vals) == 0 {
		return b
	}
	c := &vals[0]
	hdr := len(b)
	b = append(b, byte(o.Option.Code), 0)
	switch o.Option.Type {
	case OptBool, OptUint8:
		b = append(b, low(&c.Value, 1)...)
	case OptUint16:
		b = append(b, low(&c.Value, 2)...)
	case OptUint32:
		b = append(b, low(&c.Value, 4)...)
	case OptIPv4:
		for i := range vals {
			b = append(b, low(&vals[i].Value, 4)...)
		}
	case OptStaticRoutes:
		n := len(vals) &^ 1
		for i := 0; i < n; i += 2 {
			plen := 32
			if vals[i].Masked {
				plen = cidrLen(low(&vals[i].Mask, 4))
			}
			b = append(b, byte(plen))
			b = append(b, low(&vals[i].Value, 4)[:(plen+7)/8]...)
			b = append(b, low(&vals[i+1].Value, 4)...)
		}
	case OptStr:
		b = append(b, c.Str...)
	case OptHostID:
		if o.Value.Type == expr.StringConst {
			b = append(b, c.Str...)
		} else {
			b = append(b, low(&c.Value, 4)...)
		}
	case OptDomains:
		enc, ok := encodeDomainSearchList(c.Str)
		if !ok {
			// OVN gives up on the option body but keeps the 2-byte header.
			return b
		}
		b = append(b, enc...)
	}
	b[hdr+1] = byte(len(b) - hdr - 2)
	return b
}

// cidrLen counts the leading one bits of a mask (ip_count_cidr_bits).
func cidrLen(mask []byte) int {
	n := 0
	for _, x := range mask {
		for bit := 7; bit >= 0; bit-- {
			if x&(1<<bit) == 0 {
				return n
			}
			n++
		}
	}
	return n
}

// encodeDomainSearchList encodes a comma-separated domain list as RFC 1035
// names with suffix compression pointers, as OVN's DHCP option 119 encoder
// does (including its way of remembering suffixes).
func encodeDomainSearchList(list string) ([]byte, bool) {
	var out []byte
	offsets := map[string]int{}
	for _, domain := range splitNonEmpty(list, ',') {
		if len(domain) > 255 {
			return nil, false
		}
		labels := splitNonEmpty(domain, '.')
		// OVN remembers a suffix by copying strlen(rest)-1 bytes of the rest
		// of the domain, so the key is the suffix without its last byte.
		suffix := truncKey(domain)
		rest := domain
		terminated := true
		for i, label := range labels {
			if off, ok := offsets[suffix]; ok {
				out = append(out, byte(0xc0|off>>8), byte(off))
				terminated = false
				break
			}
			offsets[suffix] = len(out)
			out = append(out, byte(len(label)))
			out = append(out, label...)
			if i+1 < len(labels) {
				rest = rest[strings.Index(rest, label)+len(label):]
				rest = strings.TrimLeft(rest, ".")
				suffix = truncKey(rest)
			}
		}
		if terminated {
			out = append(out, 0)
		}
	}
	return out, true
}

func truncKey(s string) string {
	if s == "" {
		return ""
	}
	return s[:len(s)-1]
}

func splitNonEmpty(s string, sep byte) []string {
	var out []string
	for _, p := range strings.Split(s, string(sep)) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// encodeFQDN is OVN's encode_fqdn_string(): labels prefixed by their
// length, then a zero byte.
func encodeFQDN(fqdn string) []byte {
	n := len(fqdn)
	enc := make([]byte, n+2)
	labelLen := 0
	for i := 0; i < n; i++ {
		if fqdn[i] == '.' {
			enc[i-labelLen] = byte(labelLen)
			labelLen = 0
		} else {
			enc[i+1] = fqdn[i]
			labelLen++
		}
	}
	if labelLen != 0 {
		enc[n-labelLen] = byte(labelLen)
	}
	return enc
}

// appendDHCPv6Option appends one DHCPv6 option (be16 code, be16 len, value).
func appendDHCPv6Option(b []byte, o *OptionValue) []byte {
	vals := o.Value.Values
	if len(vals) == 0 {
		return b
	}
	hdr := len(b)
	b = append(b, byte(o.Option.Code>>8), byte(o.Option.Code), 0, 0)
	switch o.Option.Type {
	case OptIPv6:
		for i := range vals {
			b = append(b, low(&vals[i].Value, 16)...)
		}
	case OptMAC:
		b = append(b, low(&vals[0].Value, 6)...)
	case OptStr:
		b = append(b, vals[0].Str...)
	case OptDomain:
		b = append(b, encodeFQDN(vals[0].Str)...)
	}
	binary.BigEndian.PutUint16(b[hdr+2:], uint16(len(b)-hdr-4))
	return b
}

// dhcpv4Userdata builds the payload of PUT_DHCP_OPTS after the result field:
// offer IP, then bootfile (67), bootfile_name_alt (254), next_server (253),
// then the other options in order.
func dhcpv4Options(opts []OptionValue) []byte {
	var b []byte
	offer := findOption(opts, dhcpOptOfferIP)
	if offer == nil || len(offer.Value.Values) == 0 {
		return nil
	}
	b = append(b, low(&offer.Value.Values[0].Value, 4)...)
	boot := findOption(opts, dhcpOptBootfile)
	if boot != nil && len(boot.Value.Values) == 0 {
		boot = nil
	}
	if boot != nil {
		b = append(b, dhcpOptBootfile, byte(len(boot.Value.Values[0].Str)))
		b = append(b, boot.Value.Values[0].Str...)
	}
	bootAlt := findOption(opts, dhcpOptBootfileAlt)
	if bootAlt != nil && len(bootAlt.Value.Values) == 0 {
		bootAlt = nil
	}
	if bootAlt != nil {
		b = append(b, dhcpOptBootfileAlt, byte(len(bootAlt.Value.Values[0].Str)))
		b = append(b, bootAlt.Value.Values[0].Str...)
	}
	next := findOption(opts, dhcpOptNextServer)
	if next != nil && len(next.Value.Values) == 0 {
		next = nil
	}
	if next != nil {
		b = append(b, dhcpOptNextServer, 4)
		b = append(b, low(&next.Value.Values[0].Value, 4)...)
	}
	for i := range opts {
		o := &opts[i]
		if o == offer || o == boot || o == bootAlt || o == next {
			continue
		}
		b = appendDHCPv4Option(b, o)
	}
	return b
}

// Router advertisement constants (lib/ovn-l7.h).
const (
	ndRouterAdvert          = 134
	raCurHopLimit           = 255
	raLifetime              = 0xffff
	raFlagManaged           = 0x80
	raFlagOther             = 0x40
	raPrfHigh               = 0x08
	raPrfLow                = 0x18
	raPrfResetMask          = 0xe7
	raPrefixOnLink          = 0x80
	raPrefixAutonomous      = 0x40
	ndOptTypeSourceLinkAddr = 1
)

// ndRAMessage builds the ICMPv6 router advertisement body with options that
// PUT_ND_RA_OPTS carries (encode_PUT_ND_RA_OPTS()).
func ndRAMessage(opts []OptionValue) []byte {
	// type, code, checksum(2), cur hop limit, flags, router lifetime(2),
	// reachable time(4), retrans timer(4)
	b := make([]byte, 16)
	b[0] = ndRouterAdvert
	b[4] = raCurHopLimit
	binary.BigEndian.PutUint16(b[6:], raLifetime)
	for i := range opts {
		o := &opts[i]
		if len(o.Value.Values) == 0 {
			continue
		}
		c := &o.Value.Values[0]
		switch o.Option.Code {
		case ndRAFlagAddrMode:
			switch c.Str {
			case "dhcpv6_stateful":
				b[5] |= raFlagManaged
			case "dhcpv6_stateless":
				b[5] |= raFlagOther
			}
		case ndRAFlagPrf:
			switch c.Str {
			case "LOW":
				b[5] |= raPrfLow
			case "HIGH":
				b[5] |= raPrfHigh
			}
		case ndOptSourceLinkAddr:
			b = append(b, ndOptTypeSourceLinkAddr, 1)
			b = append(b, low(&c.Value, 6)...)
		case ndOptMTU:
			b = append(b, ndOptMTU, 1, 0, 0)
			b = append(b, low(&c.Value, 4)...)
		case ndOptPrefixInfo:
			flags := byte(raPrefixOnLink)
			if b[5]&raFlagManaged == 0 {
				flags |= raPrefixAutonomous
			}
			b = append(b, ndOptPrefixInfo, 4, byte(cidrLen(low(&c.Mask, 16))), flags,
				0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
			b = append(b, low(&c.Value, 16)...)
		case ndOptRDNSS:
			b = append(b, ndOptRDNSS, 3, 0, 0, 0xff, 0xff, 0xff, 0xff)
			b = append(b, low(&c.Value, 16)...)
		case ndOptDNSSL:
			b = appendDNSSL(b, c.Str)
		case ndOptRouteInfo:
			b = appendRouteInfo(b, c.Str)
		}
	}
	if binary.BigEndian.Uint16(b[6:]) == 0 {
		b[5] &= raPrfResetMask
	}
	return b
}

// appendDNSSL appends a DNS search list option (encode_ra_dnssl_opt()).
func appendDNSSL(b []byte, list string) []byte {
	const hdrLen = 8
	size := hdrLen
	var names []byte
	for _, d := range splitNonEmpty(list, ',') {
		size += len(d) + 2
		if size > 255 {
			return b
		}
		for _, label := range splitNonEmpty(d, '.') {
			if len(label) > 255 {
				label = label[:255]
			}
			names = append(names, byte(len(label)))
			names = append(names, label...)
		}
		names = append(names, 0)
	}
	size = (size + 7) &^ 7
	b = append(b, ndOptDNSSL, byte(size/8), 0, 0, 0xff, 0xff, 0xff, 0xff)
	body := make([]byte, size-hdrLen)
	copy(body, names)
	return append(b, body...)
}

// appendRouteInfo appends route information options for "PRF-PREFIX,..."
// entries (encode_ra_route_info_opt()).
func appendRouteInfo(b []byte, routes string) []byte {
	for _, r := range splitNonEmpty(routes, ',') {
		parts := splitNonEmpty(r, '-')
		if len(parts) < 2 {
			continue
		}
		flags := byte(0)
		switch parts[0] {
		case "HIGH":
			flags = raPrfHigh
		case "LOW":
			flags = raPrfLow
		}
		pfx, err := netip.ParsePrefix(parts[1])
		if err != nil || !pfx.Addr().Is6() {
			return b
		}
		plen := pfx.Bits()
		n := (plen + 63) / 64
		b = append(b, ndOptRouteInfo, byte(1+n), byte(plen), flags, 0xff, 0xff, 0xff, 0xff)
		a := pfx.Masked().Addr().As16()
		b = append(b, a[:n*8]...)
	}
	return b
}

// eventOptions encodes trigger_event options (be16 code, be16 len, bytes).
func eventOptions(opts []OptionValue) []byte {
	var b []byte
	for i := range opts {
		if len(opts[i].Value.Values) == 0 {
			continue
		}
		s := opts[i].Value.Values[0].Str
		b = append(b, byte(opts[i].Option.Code>>8), byte(opts[i].Option.Code), byte(len(s)>>8), byte(len(s)))
		b = append(b, s...)
	}
	return b
}
