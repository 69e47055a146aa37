package agent

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/agent/pinctrl"
	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/flow"
)

// microflow is the packet an inject-pkt microflow describes: a
// conjunction of "field == constant" terms and protocol names, as OVN's
// expr_parse_microflow accepts them for the fields tests and operators use.
type microflow struct {
	inport           string
	ethSrc, ethDst   [6]byte
	ethType          uint16
	ip4Src, ip4Dst   [4]byte
	ip6Src, ip6Dst   [16]byte
	ttl, tos, proto  uint8
	tpSrc, tpDst     uint16 // ports, or ICMP type and code
	tcpFlags         uint16
	arpOp            uint16
	arpSha, arpTha   [6]byte
	ndTarget         [16]byte
	icmpGeneric      bool // "icmp": icmp4 or icmp6 depending on the L3
	hasICMPTypeField bool
}

const (
	ethTypeIPv4 = 0x0800
	ethTypeARP  = 0x0806
	ethTypeIPv6 = 0x86dd
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoSCTP   = 132
	protoICMPv6 = 58
)

// injectPacket is inject-pkt: it composes the microflow's packet as OVS's
// flow_compose does (64 bytes of payload for UDP, TCP without
// SYN/FIN/RST and echo ICMP) and sends it into br-int's table 0 as if it
// came in on the inport's interface.
func (a *Agent) injectPacket(ctx context.Context, expr string) error {
	mf, err := parseMicroflow(expr)
	if err != nil {
		return err
	}
	if a.pinctrl == nil || a.cfg == nil {
		return pinctrl.ErrNotConnected
	}
	ofport, err := a.localOFPort(ctx, mf.inport)
	if err != nil {
		return err
	}
	match := binary.BigEndian.AppendUint32([]byte{0x80, 0x00, 0x00, 0x04}, uint32(ofport))
	acts := flow.Actions{flow.Resubmit{Port: flow.PortInPort, Table: 0}}
	return a.pinctrl.p.Inject(&conn.PacketOut{Match: match, Actions: acts.Append(nil), Packet: mf.compose()})
}

// localOFPort is the OpenFlow port of the interface on br-int whose
// iface-id is lport.
func (a *Agent) localOFPort(ctx context.Context, lport string) (int, error) {
	ovsCl, _ := a.ovs.Client()
	if ovsCl == nil || lport == "" {
		return 0, errors.New("ingress port not found on hypervisor.")
	}
	bridges, _, ifaces, err := ovsBridges(ctx, ovsCl)
	if err != nil {
		return 0, err
	}
	for _, br := range bridges {
		if br.Name != a.cfg.Bridge {
			continue
		}
		for _, p := range br.Ports {
			for _, ifc := range p.Interfaces {
				if row := ifaces[ifc.Name]; row != nil && row.ExternalIDs["iface-id"] == lport && ifc.OFPort > 0 {
					return ifc.OFPort, nil
				}
			}
		}
	}
	return 0, errors.New("ingress port not found on hypervisor.")
}

func parseMicroflow(s string) (*microflow, error) {
	mf := &microflow{}
	for _, term := range strings.Split(s, "&&") {
		term = strings.TrimSpace(term)
		for strings.HasPrefix(term, "(") && strings.HasSuffix(term, ")") {
			term = strings.TrimSpace(term[1 : len(term)-1])
		}
		if term == "" {
			return nil, fmt.Errorf("syntax error in microflow %q", s)
		}
		field, value, isEq := strings.Cut(term, "==")
		field, value = strings.TrimSpace(field), strings.TrimSpace(value)
		if !isEq {
			if err := mf.protocol(field); err != nil {
				return nil, err
			}
			continue
		}
		if err := mf.set(field, value); err != nil {
			return nil, fmt.Errorf("%s: %w", term, err)
		}
	}
	if mf.icmpGeneric {
		if mf.ethType == ethTypeIPv6 {
			mf.proto = protoICMPv6
		} else {
			mf.ethType, mf.proto = ethTypeIPv4, protoICMP
		}
	}
	return mf, nil
}

func (mf *microflow) protocol(name string) error {
	switch name {
	case "eth":
	case "ip":
		if mf.ethType == 0 {
			mf.ethType = ethTypeIPv4
		}
	case "ip4":
		mf.ethType = ethTypeIPv4
	case "ip6":
		mf.ethType = ethTypeIPv6
	case "arp":
		mf.ethType = ethTypeARP
	case "tcp":
		mf.proto = protoTCP
	case "udp":
		mf.proto = protoUDP
	case "sctp":
		mf.proto = protoSCTP
	case "icmp4":
		mf.ethType, mf.proto = ethTypeIPv4, protoICMP
	case "icmp6":
		mf.ethType, mf.proto = ethTypeIPv6, protoICMPv6
	case "icmp":
		mf.icmpGeneric = true
	case "nd_ns":
		mf.ethType, mf.proto, mf.tpSrc = ethTypeIPv6, protoICMPv6, 135
	case "nd_na":
		mf.ethType, mf.proto, mf.tpSrc = ethTypeIPv6, protoICMPv6, 136
	default:
		return fmt.Errorf("inject-pkt: %q is not a protocol chassisd can compose", name)
	}
	return nil
}

func (mf *microflow) set(field, value string) error {
	mac := func(dst *[6]byte) error {
		hw, err := net.ParseMAC(value)
		if err != nil || len(hw) != 6 {
			return fmt.Errorf("bad MAC address %q", value)
		}
		copy(dst[:], hw)
		return nil
	}
	ip4 := func(dst *[4]byte) error {
		a, err := netip.ParseAddr(value)
		if err != nil || !a.Is4() {
			return fmt.Errorf("bad IPv4 address %q", value)
		}
		*dst = a.As4()
		if mf.ethType == 0 {
			mf.ethType = ethTypeIPv4
		}
		return nil
	}
	ip6 := func(dst *[16]byte) error {
		a, err := netip.ParseAddr(value)
		if err != nil || !a.Is6() {
			return fmt.Errorf("bad IPv6 address %q", value)
		}
		*dst = a.As16()
		mf.ethType = ethTypeIPv6
		return nil
	}
	num := func(bits int) (uint64, error) {
		v, err := strconv.ParseUint(value, 0, bits)
		if err != nil {
			return 0, fmt.Errorf("bad integer %q", value)
		}
		return v, nil
	}
	var err error
	var v uint64
	switch field {
	case "inport":
		mf.inport, err = strconv.Unquote(value)
		if err != nil {
			mf.inport, err = value, nil
		}
	case "eth.src":
		err = mac(&mf.ethSrc)
	case "eth.dst":
		err = mac(&mf.ethDst)
	case "eth.type":
		v, err = num(16)
		mf.ethType = uint16(v)
	case "ip4.src":
		err = ip4(&mf.ip4Src)
	case "ip4.dst":
		err = ip4(&mf.ip4Dst)
	case "ip6.src":
		err = ip6(&mf.ip6Src)
	case "ip6.dst":
		err = ip6(&mf.ip6Dst)
	case "ip.ttl":
		v, err = num(8)
		mf.ttl = uint8(v)
	case "ip.dscp":
		v, err = num(6)
		mf.tos = mf.tos&3 | uint8(v)<<2
	case "ip.ecn":
		v, err = num(2)
		mf.tos = mf.tos&^3 | uint8(v)
	case "ip.proto":
		v, err = num(8)
		mf.proto = uint8(v)
	case "tcp.src", "udp.src", "sctp.src":
		v, err = num(16)
		mf.tpSrc = uint16(v)
		_ = mf.protocol(strings.TrimSuffix(field, ".src"))
	case "tcp.dst", "udp.dst", "sctp.dst":
		v, err = num(16)
		mf.tpDst = uint16(v)
		_ = mf.protocol(strings.TrimSuffix(field, ".dst"))
	case "tcp.flags":
		v, err = num(12)
		mf.tcpFlags, mf.proto = uint16(v), protoTCP
	case "icmp4.type", "icmp6.type":
		v, err = num(8)
		mf.tpSrc = uint16(v)
		_ = mf.protocol(strings.TrimSuffix(field, ".type"))
	case "icmp4.code", "icmp6.code":
		v, err = num(8)
		mf.tpDst = uint16(v)
		_ = mf.protocol(strings.TrimSuffix(field, ".code"))
	case "arp.op":
		v, err = num(16)
		mf.arpOp, mf.ethType = uint16(v), ethTypeARP
	case "arp.sha", "nd.sll":
		err = mac(&mf.arpSha)
	case "arp.tha", "nd.tll":
		err = mac(&mf.arpTha)
	case "arp.spa":
		err = ip4(&mf.ip4Src)
		mf.ethType = ethTypeARP
	case "arp.tpa":
		err = ip4(&mf.ip4Dst)
		mf.ethType = ethTypeARP
	case "nd.target":
		err = ip6(&mf.ndTarget)
	default:
		return fmt.Errorf("inject-pkt: field %s is not one chassisd can compose", field)
	}
	return err
}

// compose builds the frame as OVS's flow_compose does.
func (mf *microflow) compose() []byte {
	b := make([]byte, 0, 128)
	b = append(b, mf.ethDst[:]...)
	b = append(b, mf.ethSrc[:]...)
	b = binary.BigEndian.AppendUint16(b, mf.ethType)
	switch mf.ethType {
	case ethTypeIPv4:
		l3 := len(b)
		b = append(b, 0x45, mf.tos, 0, 0, 0, 0, 0, 0, mf.ttl, mf.proto, 0, 0)
		b = append(b, mf.ip4Src[:]...)
		b = append(b, mf.ip4Dst[:]...)
		l4 := len(b)
		b = mf.appendL4(b)
		binary.BigEndian.PutUint16(b[l3+2:], uint16(len(b)-l3))
		binary.BigEndian.PutUint16(b[l3+10:], checksum(b[l3:l4], 0))
		var pseudo []byte
		pseudo = append(pseudo, mf.ip4Src[:]...)
		pseudo = append(pseudo, mf.ip4Dst[:]...)
		pseudo = append(pseudo, 0, mf.proto)
		pseudo = binary.BigEndian.AppendUint16(pseudo, uint16(len(b)-l4))
		mf.l4Checksum(b[l4:], pseudo)
	case ethTypeIPv6:
		l3 := len(b)
		b = binary.BigEndian.AppendUint32(b, 6<<28|uint32(mf.tos)<<20)
		b = append(b, 0, 0, mf.proto, mf.ttl)
		b = append(b, mf.ip6Src[:]...)
		b = append(b, mf.ip6Dst[:]...)
		l4 := len(b)
		b = mf.appendL4(b)
		binary.BigEndian.PutUint16(b[l3+4:], uint16(len(b)-l4))
		var pseudo []byte
		pseudo = append(pseudo, mf.ip6Src[:]...)
		pseudo = append(pseudo, mf.ip6Dst[:]...)
		pseudo = binary.BigEndian.AppendUint32(pseudo, uint32(len(b)-l4))
		pseudo = append(pseudo, 0, 0, 0, mf.proto)
		mf.l4Checksum(b[l4:], pseudo)
	case ethTypeARP:
		b = append(b, 0, 1, 0x08, 0x00, 6, 4)
		b = binary.BigEndian.AppendUint16(b, mf.arpOp)
		arp := make([]byte, 20)
		if mf.arpOp == 1 || mf.arpOp == 2 {
			copy(arp[0:], mf.arpSha[:])
			copy(arp[6:], mf.ip4Src[:])
			copy(arp[10:], mf.arpTha[:])
			copy(arp[16:], mf.ip4Dst[:])
		}
		b = append(b, arp...)
	}
	return b
}

// payload is flow_compose's made-up L7: 64 bytes counting up from 0.
func payload(b []byte) []byte {
	for i := range 64 {
		b = append(b, byte(i))
	}
	return b
}

func (mf *microflow) appendL4(b []byte) []byte {
	switch mf.proto {
	case protoTCP:
		b = binary.BigEndian.AppendUint16(b, mf.tpSrc)
		b = binary.BigEndian.AppendUint16(b, mf.tpDst)
		b = append(b, make([]byte, 8)...)
		b = binary.BigEndian.AppendUint16(b, 5<<12|mf.tcpFlags&0xfff)
		b = append(b, 0, 0, 0, 0, 0, 0)
		if mf.tcpFlags&0x7 == 0 { // no FIN, SYN or RST
			b = payload(b)
		}
	case protoUDP:
		b = binary.BigEndian.AppendUint16(b, mf.tpSrc)
		b = binary.BigEndian.AppendUint16(b, mf.tpDst)
		b = binary.BigEndian.AppendUint16(b, 8+64)
		b = append(b, 0, 0)
		b = payload(b)
	case protoSCTP:
		b = binary.BigEndian.AppendUint16(b, mf.tpSrc)
		b = binary.BigEndian.AppendUint16(b, mf.tpDst)
		b = append(b, make([]byte, 8)...)
	case protoICMP:
		b = append(b, byte(mf.tpSrc), byte(mf.tpDst), 0, 0, 0, 0, 0, 0)
		if (mf.tpSrc == 8 || mf.tpSrc == 0) && mf.tpDst == 0 {
			b = payload(b)
		}
	case protoICMPv6:
		b = append(b, byte(mf.tpSrc), byte(mf.tpDst), 0, 0, 0, 0, 0, 0)
		switch {
		case mf.tpDst == 0 && (mf.tpSrc == 135 || mf.tpSrc == 136):
			b = append(b, mf.ndTarget[:]...)
			if mf.arpSha != ([6]byte{}) {
				b = append(append(b, 1, 1), mf.arpSha[:]...)
			}
			if mf.arpTha != ([6]byte{}) {
				b = append(append(b, 2, 1), mf.arpTha[:]...)
			}
		case mf.tpDst == 0 && (mf.tpSrc == 128 || mf.tpSrc == 129):
			b = payload(b)
		}
	}
	return b
}

// l4Checksum fills in the L4 checksum; pseudo is the pseudo-header for
// protocols that cover it.
func (mf *microflow) l4Checksum(l4 []byte, pseudo []byte) {
	switch mf.proto {
	case protoTCP:
		binary.BigEndian.PutUint16(l4[16:], checksum(l4, sum(pseudo)))
	case protoUDP:
		c := checksum(l4, sum(pseudo))
		if c == 0 {
			c = 0xffff
		}
		binary.BigEndian.PutUint16(l4[6:], c)
	case protoICMP:
		binary.BigEndian.PutUint16(l4[2:], checksum(l4, 0))
	case protoICMPv6:
		binary.BigEndian.PutUint16(l4[2:], checksum(l4, sum(pseudo)))
	}
}

func sum(b []byte) uint32 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

// checksum is the Internet checksum of b, starting from a partial sum.
func checksum(b []byte, partial uint32) uint16 {
	s := partial + sum(b)
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
