package pinctrl

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/chassisd/chassisd/openflow/actions"
	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
)

// DHCPv4 constants (RFC 2131/2132) and OVN's private option codes.
const (
	bootpHeaderLen = 236
	dhcpMagic      = 0x63825363

	dhcpOptPad         = 0
	dhcpOptRequestedIP = 50
	dhcpOptMsgType     = 53
	dhcpOptEnd         = 255
	dhcpOptBootfile    = 67
	dhcpOptIPXE        = 175
	dhcpOptNextServer  = 253
	dhcpOptBootfileAlt = 254
	dhcpOptNetmask     = 1
	dhcpOptLeaseTime   = 51
	dhcpOptT1          = 58
	dhcpOptT2          = 59

	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpDecline  = 4
	dhcpAck      = 5
	dhcpNak      = 6
	dhcpRelease  = 7
	dhcpInform   = 8
)

// errNoReply means the request is understood but gets no answer (bit 0).
var errNoReply = errors.New("pinctrl: not answered")

// dhcpv4 answers PUT_DHCP_OPTS: on success the resumed packet is the reply
// and the result bit is set; otherwise the request resumes unchanged with
// the bit clear.
func (p *Pinctrl) dhcpv4(r reply, pin *conn.PacketIn, md flow.Match, ud actions.Userdata) (reply, error) {
	field, bit, rest, err := ud.ResultField()
	if err != nil {
		return r, err
	}
	pkt, msgType, err := buildDHCPv4Reply(pin.Packet, rest)
	if err != nil {
		return r, err
	}
	md = setResultBit(md, field, bit)
	resumed := *pin
	resumed.Metadata = md.AppendOXMFields(nil)
	r.resume, r.packet = &resumed, pkt
	p.rl.dhcp.Info(p.log, dhcpMsgName(msgType), "mac", fmt.Sprintf("%x", pkt[6:12]))
	return r, nil
}

// setResultBit sets bit (counted from the least significant bit) of field.
func setResultBit(md flow.Match, field flow.Field, bit int) flow.Match {
	n := field.Bytes()
	val, mask := make([]byte, n), make([]byte, n)
	i := n - 1 - bit/8
	val[i] = 1 << (bit % 8)
	mask[i] = val[i]
	md.SetMasked(field, val, mask)
	return md
}

func dhcpMsgName(t byte) string {
	switch t {
	case dhcpOffer:
		return "DHCPOFFER"
	case dhcpAck:
		return "DHCPACK"
	case dhcpNak:
		return "DHCPNAK"
	}
	return "DHCP"
}

// buildDHCPv4Reply builds the OFFER/ACK/NAK for the request frame pkt.
// args is the PUT_DHCP_OPTS payload after the result field: the offer IP,
// then the encoded options. The Ethernet and IP headers stay the request's
// (the response flow swaps them); only the IP destination, lengths and
// checksums change.
func buildDHCPv4Reply(pkt, args []byte) ([]byte, byte, error) {
	if len(args) < 4 {
		return nil, 0, fmt.Errorf("put_dhcp_opts: no offer IP")
	}
	offer := args[:4]
	opts := args[4:]
	if len(opts) == 0 {
		return nil, 0, fmt.Errorf("put_dhcp_opts: no options")
	}
	f, err := parseFrame(pkt)
	if err != nil || f.etherType != ethTypeIPv4 {
		return nil, 0, errNotParsable
	}
	ip, err := parseIPv4(f.payload)
	if err != nil || ip.proto != protoUDP || ip.total < ip.ihl+8 {
		return nil, 0, errNotParsable
	}
	udp := f.payload[ip.ihl:ip.total]
	udpLen := int(binary.BigEndian.Uint16(udp[4:]))
	if udpLen < 8 || udpLen > len(udp) {
		return nil, 0, errNotParsable
	}
	bootp := udp[8:udpLen]
	if len(bootp) < bootpHeaderLen+4 || bootp[0] != 1 ||
		binary.BigEndian.Uint32(bootp[bootpHeaderLen:]) != dhcpMagic {
		return nil, 0, errNoReply
	}
	var msgType byte
	var requested []byte
	ipxe := false
	for o := bootp[bootpHeaderLen+4:]; len(o) > 0; {
		code := o[0]
		if code == dhcpOptEnd {
			break
		}
		if code == dhcpOptPad {
			o = o[1:]
			continue
		}
		if len(o) < 2 || len(o) < 2+int(o[1]) {
			break
		}
		v := o[2 : 2+int(o[1])]
		switch {
		case code == dhcpOptMsgType && len(v) == 1:
			msgType = v[0]
		case code == dhcpOptRequestedIP && len(v) == 4:
			requested = v
		case code == dhcpOptIPXE:
			ipxe = true
		}
		o = o[2+len(v):]
	}
	if requested == nil {
		requested = bootp[12:16] // ciaddr
	}
	var replyType byte
	switch msgType {
	case dhcpDiscover:
		replyType = dhcpOffer
	case dhcpRequest:
		replyType = dhcpAck
		if string(requested) != string(offer) {
			replyType = dhcpNak
		}
	case dhcpInform:
		replyType = dhcpAck
	default: // RELEASE, DECLINE, none or unknown: no reply
		return nil, 0, errNoReply
	}

	opts = bootfileOptions(opts, ipxe)
	var siaddr []byte
	if len(opts) >= 6 && opts[0] == dhcpOptNextServer && opts[1] == 4 {
		siaddr = opts[2:6]
	} else if i := findDHCPOption(opts, dhcpOptNextServer); i >= 0 && opts[i+1] == 4 {
		siaddr = opts[i+2 : i+6]
	}
	var body []byte
	switch {
	case replyType == dhcpNak:
		body = nil
	case msgType == dhcpInform:
		body = withoutDHCPOptions(opts, dhcpOptNetmask, dhcpOptLeaseTime, dhcpOptT1, dhcpOptT2)
	default:
		body = opts
	}

	out := make([]byte, 0, len(pkt)+len(body)+32)
	l2 := len(pkt) - len(f.payload)
	out = append(out, pkt[:l2]...)
	ipStart := len(out)
	out = append(out, f.payload[:ip.ihl]...)
	udpStart := len(out)
	out = append(out, udp[:8]...)
	bootStart := len(out)
	out = append(out, bootp[:bootpHeaderLen]...)
	bh := out[bootStart:]
	bh[0] = 2 // BOOTREPLY
	switch {
	case replyType == dhcpNak:
		copy(bh[16:20], []byte{0, 0, 0, 0})
		copy(bh[20:24], []byte{0, 0, 0, 0})
	case msgType == dhcpInform:
		copy(bh[16:20], []byte{0, 0, 0, 0})
	default:
		copy(bh[16:20], offer)
		if siaddr != nil {
			copy(bh[20:24], siaddr)
		}
	}
	out = binary.BigEndian.AppendUint32(out, dhcpMagic)
	out = append(out, dhcpOptMsgType, 1, replyType)
	out = append(out, body...)
	out = append(out, 0, 0, 0, 0, dhcpOptEnd, 0, 0, 0, 0)

	udpH := out[udpStart:]
	binary.BigEndian.PutUint16(udpH[4:], uint16(len(out)-udpStart))
	binary.BigEndian.PutUint16(udpH[6:], 0)
	ipH := out[ipStart:udpStart]
	binary.BigEndian.PutUint16(ipH[2:], uint16(len(out)-ipStart))
	if binary.BigEndian.Uint16(bootp[10:])&0x8000 != 0 {
		copy(ipH[16:20], []byte{255, 255, 255, 255})
	} else {
		copy(ipH[16:20], offer)
	}
	ipH[10], ipH[11] = 0, 0
	binary.BigEndian.PutUint16(ipH[10:], checksum(0, ipH))
	return out, replyType, nil
}

// bootfileOptions applies OVN's boot file choice: option 254 (iPXE
// alternative) replaces 67 for clients that are not iPXE, and is dropped
// for iPXE clients that have a 67.
func bootfileOptions(opts []byte, ipxe bool) []byte {
	i67, i254 := findDHCPOption(opts, dhcpOptBootfile), findDHCPOption(opts, dhcpOptBootfileAlt)
	if i254 < 0 {
		return opts
	}
	out := append([]byte(nil), opts...)
	switch {
	case i67 < 0:
		out[i254] = dhcpOptBootfile
	case ipxe:
		out = withoutDHCPOptions(out, dhcpOptBootfileAlt)
	default:
		out = withoutDHCPOptions(out, dhcpOptBootfile)
		if i := findDHCPOption(out, dhcpOptBootfileAlt); i >= 0 {
			out[i] = dhcpOptBootfile
		}
	}
	return out
}

// findDHCPOption returns the offset of option code in a TLV list, or -1.
// A truncated last option is not found (withoutDHCPOptions drops it).
func findDHCPOption(opts []byte, code byte) int {
	for i := 0; i+1 < len(opts) && i+2+int(opts[i+1]) <= len(opts); i += 2 + int(opts[i+1]) {
		if opts[i] == code {
			return i
		}
	}
	return -1
}

func withoutDHCPOptions(opts []byte, codes ...byte) []byte {
	var out []byte
	for i := 0; i+1 < len(opts) && i+2+int(opts[i+1]) <= len(opts); i += 2 + int(opts[i+1]) {
		drop := false
		for _, c := range codes {
			if opts[i] == c {
				drop = true
			}
		}
		if !drop {
			out = append(out, opts[i:i+2+int(opts[i+1])]...)
		}
	}
	return out
}
