package pinctrl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// dnsQueryFrame builds the query dig +noedns sends: 10.0.0.5:33333 to
// 10.0.0.1:53, id 0x1234, RD, one question.
func dnsQueryFrame(t *testing.T, name string, qtype uint16, arcount uint16) []byte {
	msg := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(msg[10:], arcount)
	msg = append(msg, encodeDNSName(name)...)
	msg = binary.BigEndian.AppendUint16(msg, qtype)
	msg = binary.BigEndian.AppendUint16(msg, dnsClassIN)
	udp := append([]byte{0x82, 0x35, 0, 53, 0, 0, 0, 0}, msg...)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	ip := mustHex(t, "4500 0000 abcd 0000 40 11 0000 0a000005 0a000001")
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
	binary.BigEndian.PutUint16(ip[10:], checksum(0, ip))
	f := mustHex(t, "fa163e000001 fa163e000005 0800")
	return append(append(f, ip...), udp...)
}

var testDNSRecords = DNSRecords{
	"vm1.ovn.org":           "10.0.0.5 2001:db8::5",
	"5.0.0.10.in-addr.arpa": "vm1.ovn.org",
}

func TestDNSAnswerA(t *testing.T) {
	q := dnsQueryFrame(t, "VM1.ovn.org", dnsTypeA, 0)
	got, err := buildDNSReply(q, testDNSRecords)
	if err != nil {
		t.Fatal(err)
	}
	// Checked with tcpdump -vv: "1234 1/0/0 vm1.ovn.org. A 10.0.0.5", IP checksum ok.
	want := append(append([]byte{}, q...), mustHex(t, "03564d31036f766e036f726700 0001 0001 00000e10 0004 0a000005")...)
	binary.BigEndian.PutUint16(want[16:], uint16(len(want)-14))
	binary.BigEndian.PutUint16(want[24:], 0)
	binary.BigEndian.PutUint16(want[24:], checksum(0, want[14:34]))
	binary.BigEndian.PutUint16(want[38:], uint16(len(want)-34))
	want[44] |= 0x80 // QR
	want[49] = 1     // ancount
	if !bytes.Equal(got, want) {
		t.Errorf("got  %x\nwant %x", got, want)
	}
}

func TestDNSAnswerKinds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		qtype   uint16
		answers int
		rdata   []byte
	}{
		{"vm1.ovn.org", dnsTypeAAAA, 1, mustHex(t, "20010db8000000000000000000000005")},
		{"vm1.ovn.org", dnsTypeANY, 2, mustHex(t, "0a000005")},
		{"5.0.0.10.in-addr.arpa", dnsTypePTR, 1, encodeDNSName("vm1.ovn.org")},
	} {
		got, err := buildDNSReply(dnsQueryFrame(t, tc.name, tc.qtype, 0), testDNSRecords)
		if err != nil {
			t.Fatalf("%s type %d: %v", tc.name, tc.qtype, err)
		}
		if n := int(binary.BigEndian.Uint16(got[42+6:])); n != tc.answers {
			t.Errorf("%s type %d: %d answers, want %d", tc.name, tc.qtype, n, tc.answers)
		}
		if !bytes.Contains(got, tc.rdata) {
			t.Errorf("%s type %d: answer lacks %x", tc.name, tc.qtype, tc.rdata)
		}
	}
	for name, q := range map[string][]byte{
		"unknown name":           dnsQueryFrame(t, "vm9.ovn.org", dnsTypeA, 0),
		"no address of the type": dnsQueryFrame(t, "5.0.0.10.in-addr.arpa", dnsTypeA, 0),
		"EDNS0 (23.03)":          dnsQueryFrame(t, "vm1.ovn.org", dnsTypeA, 1),
	} {
		if _, err := buildDNSReply(q, testDNSRecords); !errors.Is(err, errNoReply) {
			t.Errorf("%s: err %v, want no reply", name, err)
		}
	}
}
