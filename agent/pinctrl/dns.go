package pinctrl

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/chassisd/chassisd/openflow/actions"
	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
)

// DNS record types answered, and the TTL of every answer.
const (
	dnsTypeA    = 1
	dnsTypePTR  = 12
	dnsTypeAAAA = 28
	dnsTypeANY  = 255
	dnsClassIN  = 1
	dnsTTL      = 3600
	dnsHeader   = 12
)

// DNSRecords maps a lower-case name (no trailing dot) to its value as in
// SB DNS.records: space-separated addresses, or the FQDN of a PTR name.
type DNSRecords map[string]string

// SetDNS replaces the DNS records per logical datapath (tunnel key).
func (p *Pinctrl) SetDNS(byDatapath map[int64]DNSRecords) {
	p.mu.Lock()
	p.dns = byDatapath
	p.mu.Unlock()
}

func (p *Pinctrl) dnsRecords(dp int64) DNSRecords {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dns[dp]
}

// dnsLookup answers DNS_LOOKUP: the query with the answers appended and
// the result bit set, or the query resumed unchanged (bit clear) so it
// goes on to a real resolver.
func (p *Pinctrl) dnsLookup(r reply, pin *conn.PacketIn, md flow.Match, ud actions.Userdata) (reply, error) {
	field, bit, _, err := ud.ResultField()
	if err != nil {
		return r, err
	}
	dp, _, _ := md.GetUint(flow.FieldMetadata)
	pkt, err := buildDNSReply(pin.Packet, p.dnsRecords(int64(dp)))
	if err != nil {
		return r, err
	}
	md = setResultBit(md, field, bit)
	resumed := *pin
	resumed.Metadata = md.AppendOXMFields(nil)
	r.resume, r.packet = &resumed, pkt
	return r, nil
}

// buildDNSReply answers a query the way ovn-controller 23.03 does: only
// plain queries (QR clear, no additional records) with a known name get a
// reply, which is the whole query with QR set and A/AAAA/PTR answers
// appended (TTL 3600, the question name repeated uncompressed).
func buildDNSReply(pkt []byte, records DNSRecords) ([]byte, error) {
	f, err := parseFrame(pkt)
	if err != nil || len(records) == 0 {
		return nil, errNotParsable
	}
	l2 := len(pkt) - len(f.payload)
	var l4Off int
	var v4 bool
	var ip6 ipv6
	switch f.etherType {
	case ethTypeIPv4:
		ip, err := parseIPv4(f.payload)
		if err != nil || ip.proto != protoUDP {
			return nil, errNotParsable
		}
		l4Off, v4 = l2+ip.ihl, true
	case ethTypeIPv6:
		ip6, err = parseIPv6(f.payload)
		if err != nil || ip6.next != protoUDP {
			return nil, errNotParsable
		}
		l4Off = l2 + ipv6HeaderLen
	default:
		return nil, errNotParsable
	}
	if len(pkt) < l4Off+8+dnsHeader {
		return nil, errNotParsable
	}
	udpLen := int(binary.BigEndian.Uint16(pkt[l4Off+4:]))
	if udpLen < 8+dnsHeader || l4Off+udpLen > len(pkt) {
		return nil, errNotParsable
	}
	msg := pkt[l4Off+8 : l4Off+udpLen]
	if msg[2]&0x80 != 0 || binary.BigEndian.Uint16(msg[4:]) == 0 || binary.BigEndian.Uint16(msg[10:]) != 0 {
		return nil, errNoReply
	}
	// The first question: its name in wire form, then type and class.
	var labels []string
	i := dnsHeader
	for {
		if i >= len(msg) {
			return nil, errNotParsable
		}
		n := int(msg[i])
		if n == 0 {
			i++
			break
		}
		if n&0xc0 != 0 || i+1+n > len(msg) {
			return nil, errNotParsable
		}
		labels = append(labels, string(msg[i+1:i+1+n]))
		i += 1 + n
	}
	if i+4 > len(msg) {
		return nil, errNotParsable
	}
	qname := msg[dnsHeader:i]
	qtype := binary.BigEndian.Uint16(msg[i:])
	value, ok := records[strings.ToLower(strings.Join(labels, "."))]
	if !ok {
		return nil, errNoReply
	}

	var answers []byte
	count := 0
	answer := func(typ uint16, rdata []byte) {
		answers = append(answers, qname...)
		answers = binary.BigEndian.AppendUint16(answers, typ)
		answers = binary.BigEndian.AppendUint16(answers, dnsClassIN)
		answers = binary.BigEndian.AppendUint32(answers, dnsTTL)
		answers = binary.BigEndian.AppendUint16(answers, uint16(len(rdata)))
		answers = append(answers, rdata...)
		count++
	}
	switch qtype {
	case dnsTypeA, dnsTypeAAAA, dnsTypeANY:
		for _, s := range strings.Fields(value) {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				continue
			}
			if ip.Is4() && (qtype == dnsTypeA || qtype == dnsTypeANY) {
				b := ip.As4()
				answer(dnsTypeA, b[:])
			} else if ip.Is6() && (qtype == dnsTypeAAAA || qtype == dnsTypeANY) {
				b := ip.As16()
				answer(dnsTypeAAAA, b[:])
			}
		}
	case dnsTypePTR:
		answer(dnsTypePTR, encodeDNSName(value))
	}
	if count == 0 {
		return nil, errNoReply
	}

	out := append(append(make([]byte, 0, len(pkt)+len(answers)), pkt[:l4Off+udpLen]...), answers...)
	m := out[l4Off+8:]
	m[2] |= 0x80 // QR: response
	binary.BigEndian.PutUint16(m[6:], uint16(count))
	newUDP := udpLen + len(answers)
	binary.BigEndian.PutUint16(out[l4Off+4:], uint16(newUDP))
	out[l4Off+6], out[l4Off+7] = 0, 0
	if v4 {
		ipH := out[l2:l4Off]
		binary.BigEndian.PutUint16(ipH[2:], uint16(len(ipH)+newUDP))
		ipH[10], ipH[11] = 0, 0
		binary.BigEndian.PutUint16(ipH[10:], checksum(0, ipH))
	} else {
		binary.BigEndian.PutUint16(out[l2+4:], uint16(newUDP))
		sum := checksum(ipv6PseudoSum(ip6.src, ip6.dst, newUDP, protoUDP), out[l4Off:])
		if sum == 0 {
			sum = 0xffff
		}
		binary.BigEndian.PutUint16(out[l4Off+6:], sum)
	}
	return out, nil
}

// encodeDNSName encodes a dotted name as RFC 1035 labels.
func encodeDNSName(name string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if l == "" {
			continue
		}
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}
