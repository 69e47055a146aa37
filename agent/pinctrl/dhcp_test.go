package pinctrl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// dhcpRequestFrame builds a client's DHCP message as udhcpc sends it:
// broadcast from 0.0.0.0:68 to 255.255.255.255:67, BOOTP header, cookie,
// then opts (end option and padding appended).
func dhcpRequestFrame(flags uint16, opts ...byte) []byte {
	mac := []byte{0xfa, 0x16, 0x3e, 0x00, 0x00, 0x05}
	bootp := make([]byte, bootpHeaderLen)
	bootp[0], bootp[1], bootp[2] = 1, 1, 6
	binary.BigEndian.PutUint32(bootp[4:], 0x3903f326)
	binary.BigEndian.PutUint16(bootp[10:], flags)
	copy(bootp[28:], mac)
	bootp = binary.BigEndian.AppendUint32(bootp, dhcpMagic)
	bootp = append(bootp, opts...)
	bootp = append(bootp, dhcpOptEnd)
	for len(bootp) < 300 {
		bootp = append(bootp, 0)
	}
	udp := []byte{0, 68, 0, 67, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(bootp)))
	ip := []byte{0x45, 0x10, 0, 0, 0, 0, 0, 0, 64, protoUDP, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(bootp)))
	binary.BigEndian.PutUint16(ip[10:], checksum(0, ip))
	f := append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mac...)
	f = append(f, 0x08, 0x00)
	return append(append(append(f, ip...), udp...), bootp...)
}

// neutronArgs is the PUT_DHCP_OPTS payload after the result field of the
// Neutron example in the pinctrl reference (offer 10.0.0.5, routes, DNS,
// lease, MTU, netmask, router, server id).
var neutronArgs = []byte{
	0x0a, 0x00, 0x00, 0x05,
	0x79, 0x0e, 0x20, 0xa9, 0xfe, 0xa9, 0xfe, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
	0x06, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x04, 0x04,
	0x33, 0x04, 0x00, 0x00, 0xa8, 0xc0,
	0x1a, 0x02, 0x05, 0xa2,
	0x01, 0x04, 0xff, 0xff, 0xff, 0x00,
	0x03, 0x04, 0x0a, 0x00, 0x00, 0x01,
	0x36, 0x04, 0x0a, 0x00, 0x00, 0x01,
}

// The OFFER's options, from the magic cookie on, as ovn-controller sends
// them for the Neutron example.
var neutronOfferOptions = []byte{
	0x63, 0x82, 0x53, 0x63, 0x35, 0x01, 0x02, 0x79, 0x0e, 0x20, 0xa9, 0xfe, 0xa9, 0xfe, 0x0a, 0x00, 0x00, 0x02,
	0x00, 0x0a, 0x00, 0x00, 0x01, 0x06, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x04, 0x04, 0x33, 0x04, 0x00,
	0x00, 0xa8, 0xc0, 0x1a, 0x02, 0x05, 0xa2, 0x01, 0x04, 0xff, 0xff, 0xff, 0x00, 0x03, 0x04, 0x0a, 0x00, 0x00,
	0x01, 0x36, 0x04, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00,
}

const (
	l2Len     = 14
	udpOff    = l2Len + 20
	bootpOff  = udpOff + 8
	optionOff = bootpOff + bootpHeaderLen
)

func TestDHCPOffer(t *testing.T) {
	req := dhcpRequestFrame(0, dhcpOptMsgType, 1, dhcpDiscover, 55, 3, 1, 3, 6)
	got, typ, err := buildDHCPv4Reply(req, neutronArgs)
	if err != nil {
		t.Fatal(err)
	}
	if typ != dhcpOffer {
		t.Errorf("reply type %d, want OFFER", typ)
	}
	if !bytes.Equal(got[optionOff:], neutronOfferOptions) {
		t.Errorf("options\n got %x\nwant %x", got[optionOff:], neutronOfferOptions)
	}
	if n := binary.BigEndian.Uint16(got[udpOff+4:]); n != 314 {
		t.Errorf("UDP length %d, want 314", n)
	}
	if c := binary.BigEndian.Uint16(got[udpOff+6:]); c != 0 {
		t.Errorf("UDP checksum %#x, want 0", c)
	}
	if n := int(binary.BigEndian.Uint16(got[l2Len+2:])); n != len(got)-l2Len {
		t.Errorf("IP total length %d, frame has %d", n, len(got)-l2Len)
	}
	if checksum(0, got[l2Len:udpOff]) != 0 {
		t.Error("IP header checksum wrong")
	}
	if !bytes.Equal(got[l2Len+16:l2Len+20], []byte{10, 0, 0, 5}) {
		t.Errorf("IP destination %v, want the offer (no broadcast flag)", got[l2Len+16:l2Len+20])
	}
	b := got[bootpOff:]
	if b[0] != 2 || !bytes.Equal(b[4:8], req[bootpOff+4:bootpOff+8]) || !bytes.Equal(b[16:20], []byte{10, 0, 0, 5}) ||
		!bytes.Equal(b[28:34], req[bootpOff+28:bootpOff+34]) {
		t.Errorf("BOOTP header: op %d xid %x yiaddr %v chaddr %x", b[0], b[4:8], b[16:20], b[28:34])
	}
	if !bytes.Equal(got[:l2Len], req[:l2Len]) {
		t.Error("Ethernet header changed (the response flow rewrites it)")
	}
}

func TestDHCPMessageTypes(t *testing.T) {
	offered := []byte{dhcpOptRequestedIP, 4, 10, 0, 0, 5}
	other := []byte{dhcpOptRequestedIP, 4, 10, 0, 0, 9}
	for _, tc := range []struct {
		name     string
		flags    uint16
		opts     []byte
		want     byte
		err      error
		yiaddr   []byte
		dst      []byte
		hasOpt1  bool
		optCount int
	}{
		{name: "request for the offer", opts: append([]byte{53, 1, dhcpRequest}, offered...), want: dhcpAck,
			yiaddr: []byte{10, 0, 0, 5}, dst: []byte{10, 0, 0, 5}, hasOpt1: true},
		{name: "request for another IP", opts: append([]byte{53, 1, dhcpRequest}, other...), want: dhcpNak,
			yiaddr: []byte{0, 0, 0, 0}, dst: []byte{10, 0, 0, 5}, optCount: 1},
		{name: "broadcast flag", flags: 0x8000, opts: []byte{53, 1, dhcpDiscover}, want: dhcpOffer,
			yiaddr: []byte{10, 0, 0, 5}, dst: []byte{255, 255, 255, 255}, hasOpt1: true},
		{name: "inform", opts: []byte{53, 1, dhcpInform}, want: dhcpAck,
			yiaddr: []byte{0, 0, 0, 0}, dst: []byte{10, 0, 0, 5}},
		{name: "release", opts: []byte{53, 1, dhcpRelease}, err: errNoReply},
		{name: "decline", opts: []byte{53, 1, dhcpDecline}, err: errNoReply},
		{name: "no message type", opts: offered, err: errNoReply},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, typ, err := buildDHCPv4Reply(dhcpRequestFrame(tc.flags, tc.opts...), neutronArgs)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if typ != tc.want {
				t.Errorf("type %d, want %d", typ, tc.want)
			}
			if y := got[bootpOff+16 : bootpOff+20]; !bytes.Equal(y, tc.yiaddr) {
				t.Errorf("yiaddr %v, want %v", y, tc.yiaddr)
			}
			if d := got[l2Len+16 : l2Len+20]; !bytes.Equal(d, tc.dst) {
				t.Errorf("IP dst %v, want %v", d, tc.dst)
			}
			opts := got[optionOff+4:]
			if (findDHCPOption(opts, dhcpOptNetmask) >= 0) != tc.hasOpt1 {
				t.Errorf("netmask option present = %v, want %v", !tc.hasOpt1, tc.hasOpt1)
			}
			if tc.optCount == 1 && !bytes.Equal(opts, []byte{53, 1, dhcpNak, 0, 0, 0, 0, 0xff, 0, 0, 0, 0}) {
				t.Errorf("NAK options %x, want only option 53", opts)
			}
		})
	}
}

func TestDHCPBootfileChoice(t *testing.T) {
	opts := []byte{67, 3, 'a', '.', 'b', 254, 4, 'i', 'p', 'x', 'e', 3, 4, 10, 0, 0, 1}
	if got := bootfileOptions(opts, false); !bytes.Equal(got, []byte{67, 4, 'i', 'p', 'x', 'e', 3, 4, 10, 0, 0, 1}) {
		t.Errorf("non-iPXE client: %q", got)
	}
	if got := bootfileOptions(opts, true); !bytes.Equal(got, []byte{67, 3, 'a', '.', 'b', 3, 4, 10, 0, 0, 1}) {
		t.Errorf("iPXE client: %q", got)
	}
	if got := bootfileOptions(opts[5:], false); got[0] != 67 {
		t.Errorf("254 alone not renamed to 67: %q", got)
	}
}
