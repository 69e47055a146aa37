package pinctrl

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Input frames: an ICMP echo from 10.0.0.5 to 10.0.1.7 as a router port
// receives it, a UDP datagram over IPv6, and a TCP SYN.
const (
	echoFrame = "fa163e000101 fa163e000005 0800 45000024000140003f0126cd0a0000050a000107" +
		"08003a21123400016368617373697364"
	udp6Frame = "333300000001 fa163e000005 86dd 60000000000c1140" +
		"20010db8000000000000000000000005 20010db8000000010000000000000009" +
		"30390035000c000061626364"
	nsFrame = "3333ff000009 fa163e000005 86dd 6000000000203aff fe80000000000000f8163efffe000005" +
		"ff0200000000000000000001ff000009 8700e01900000000 20010db8000000010000000000000009 0101fa163e000005"
	synFrame = "fa163e000101 fa163e000005 0800 4500002800014000400666cb0a0000050a000001" +
		"8000005000001000000000005002ffff00000000"
)

// The expected outputs were checked field by field (and checksum by
// checksum) with tcpdump -vv.
func TestComposers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		compose func([]byte) ([]byte, error)
		in      string
		want    string
	}{
		{"arp request", composeARPRequest, echoFrame,
			"fa163e000101 fa163e000005 0806 0001080006040001 fa163e000005 0a000005 000000000000 0a000107"},
		{"icmp4 host unreachable", func(b []byte) ([]byte, error) { return composeICMP(b, true) }, echoFrame,
			"fa163e000101 fa163e000005 0800 45c0004000004000ff0165f10a0000050a000107 0301fcfe00000000" +
				"45000024000140003f0126cd0a0000050a00010708003a21123400016368617373697364"},
		{"neighbor solicitation", composeNeighborSolicit, udp6Frame,
			"3333ff000009 fa163e000005 86dd 6000000000203aff fe80000000000000f8163efffe000005" +
				"ff0200000000000000000001ff000009 8700e01900000000 20010db8000000010000000000000009 0101fa163e000005"},
		{"neighbor advertisement (router)", func(b []byte) ([]byte, error) { return composeNeighborAdvert(b, true) },
			nsFrame,
			"fa163e000005 3333ff000009 86dd 6000000000203aff 20010db8000000010000000000000009" +
				"fe80000000000000f8163efffe000005 8800d442e0000000 20010db8000000010000000000000009 02013333ff000009"},
		{"icmp6 port unreachable", func(b []byte) ([]byte, error) { return composeICMP(b, true) }, udp6Frame,
			"333300000001 fa163e000005 86dd 60000000003c3aff 20010db8000000000000000000000005" +
				"20010db8000000010000000000000009 0104e0f500000000" +
				"60000000000c114020010db800000000000000000000000520010db800000001000000000000000930390035000c000061626364"},
		{"tcp reset", composeTCPReset, synFrame,
			"fa163e000101 fa163e000005 0800 45000028000000003f0667cb0a0000050a000001" +
				"00508000 00000000 00001001 50140000 0b7a0000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.compose(mustHex(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if want := mustHex(t, tc.want); !bytes.Equal(got, want) {
				t.Errorf("got  %x\nwant %x", got, want)
			}
		})
	}
}

func TestComposeARPRequestKeepsVLANTag(t *testing.T) {
	in := mustHex(t, echoFrame)
	tagged := append(append(append([]byte{}, in[:12]...), 0x81, 0x00, 0x20, 0x0a), in[12:]...)
	got, err := composeARPRequest(tagged)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[12:18], []byte{0x81, 0x00, 0x20, 0x0a, 0x08, 0x06}) {
		t.Errorf("L2 header %x: want the request's 802.1Q tag then ARP", got[:18])
	}
	if len(got) != 46 {
		t.Errorf("length %d, want 46", len(got))
	}
}

func TestComposersRejectWrongInput(t *testing.T) {
	arp := mustHex(t, "ffffffffffff fa163e000005 0806 0001080006040001 fa163e000005 0a000005 000000000000 0a000001")
	if _, err := composeARPRequest(mustHex(t, udp6Frame)); err == nil {
		t.Error("arp{} accepted an IPv6 packet")
	}
	if _, err := composeNeighborSolicit(mustHex(t, echoFrame)); err == nil {
		t.Error("nd_ns{} accepted an IPv4 packet")
	}
	if _, err := composeICMP(arp, false); err == nil {
		t.Error("icmp{} accepted an ARP packet")
	}
	if _, err := composeNeighborAdvert(mustHex(t, udp6Frame), false); err == nil {
		t.Error("nd_na{} accepted a packet that is not ND")
	}
	if _, err := composeTCPReset(mustHex(t, echoFrame)); err == nil {
		t.Error("tcp_reset{} accepted ICMP")
	}
	if _, err := composeARPRequest(mustHex(t, echoFrame)[:20]); err == nil {
		t.Error("arp{} accepted a truncated packet")
	}
}

func TestSetFragMTU(t *testing.T) {
	icmp, err := composeICMP(mustHex(t, echoFrame), false)
	if err != nil {
		t.Fatal(err)
	}
	icmp[34] = 3 // dest unreachable
	icmp[35] = 4 // fragmentation needed
	got, err := setFragMTU(icmp, []byte{0x05, 0xa2})
	if err != nil {
		t.Fatal(err)
	}
	if got[40] != 0x05 || got[41] != 0xa2 {
		t.Errorf("next-hop MTU bytes %x, want 05a2", got[40:42])
	}
	if checksum(0, got[34:]) != 0 {
		t.Error("ICMP checksum not fixed")
	}
}

func TestComposeReject(t *testing.T) {
	// TCP: RST|ACK already addressed back to the sender.
	got, err := composeReject(mustHex(t, synFrame))
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex(t, "fa163e000005 fa163e000101 0800 45000028000000003f0667cb0a0000010a000005"+
		"00508000 00000000 00001001 50140000 0b7a0000")
	if !bytes.Equal(got, want) {
		t.Errorf("tcp: got  %x\nwant %x", got, want)
	}
	// UDP over IPv6: port unreachable back to the sender.
	got, err = composeReject(mustHex(t, udp6Frame))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:12], mustHex(t, "fa163e000005 333300000001")) || got[54] != 1 || got[55] != 4 ||
		!bytes.Equal(got[22:38], mustHex(t, "20010db8000000010000000000000009")) {
		t.Errorf("udp6: %x", got)
	}
	var src, dst [16]byte
	copy(src[:], got[22:38])
	copy(dst[:], got[38:54])
	if checksum(ipv6PseudoSum(src, dst, len(got)-54, protoICMPv6), got[54:]) != 0 {
		t.Error("udp6: ICMPv6 checksum wrong after the swap")
	}
	// Never answer a reset or an unreachable.
	rst := mustHex(t, synFrame)
	rst[14+20+13] = 0x04
	if _, err := composeReject(rst); err == nil {
		t.Error("reject answered a TCP RST")
	}
	icmp, _ := composeICMP(mustHex(t, echoFrame), false)
	if _, err := composeReject(icmp); err == nil {
		t.Error("reject answered an ICMP unreachable")
	}
}
