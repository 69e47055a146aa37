package pinctrl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// dhcp6Frame builds a client message as dhclient -6 sends it: from the
// link-local address, port 546, to ff02::1:2 port 547.
func dhcp6Frame(t *testing.T, msgType byte, opts string) []byte {
	msg := append([]byte{msgType, 0x7c, 0x13, 0x2a}, mustHex(t, opts)...)
	udp := append([]byte{0x02, 0x22, 0x02, 0x23, 0, 0, 0, 0}, msg...)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	src := mustHex(t, "fe80000000000000f8163efffe000005")
	dst := mustHex(t, "ff020000000000000000000000010002")
	var s16, d16 [16]byte
	copy(s16[:], src)
	copy(d16[:], dst)
	binary.BigEndian.PutUint16(udp[6:], checksum(ipv6PseudoSum(s16, d16, len(udp), protoUDP), udp))
	b := mustHex(t, "333300010002 fa163e000005 86dd 60000000")
	b = binary.BigEndian.AppendUint16(b, uint16(len(udp)))
	b = append(b, protoUDP, 1)
	b = append(append(b, src...), dst...)
	return append(b, udp...)
}

const (
	clientIDOpt = "0001000a00030001fa163e000005"
	iaNAOpt     = "0003000c0e00000500000000 00000000"
	// put_dhcpv6_opts(ia_addr = 2001:db8::5, server_id = fa:16:3e:00:ff:fe, dns_server = {2001:4860:4860::8888})
	v6Args = "0005001020010db8000000000000000000000005 00020006fa163e00fffe 0017001020014860486000000000000000008888"
)

func TestDHCPv6Advertise(t *testing.T) {
	req := dhcp6Frame(t, dhcp6Solicit, clientIDOpt+iaNAOpt+"000800020000")
	got, err := buildDHCPv6Reply(req, mustHex(t, v6Args))
	if err != nil {
		t.Fatal(err)
	}
	// Checked with tcpdump -vv; the UDP checksum (bytes 60-61) is checked
	// below.
	want := mustHex(t, "333300010002 fa163e000005 86dd 60000000 0068 1101"+
		"fe80000000000000f8163efffe000005 ff020000000000000000000000010002"+
		"02220223 0068 ccc2 027c132a"+clientIDOpt+
		"00030028 0e000005 ffffffff ffffffff 00050018 20010db8000000000000000000000005 ffffffff ffffffff"+
		"0002000a 00030001 fa163e00fffe"+
		"00170010 20014860486000000000000000008888")
	if !bytes.Equal(got, want) {
		t.Errorf("got  %x\nwant %x", got, want)
	}
	var s16, d16 [16]byte
	copy(s16[:], got[22:38])
	copy(d16[:], got[38:54])
	if checksum(ipv6PseudoSum(s16, d16, len(got)-54, protoUDP), got[54:]) != 0 {
		t.Error("UDP checksum wrong")
	}
}

func TestDHCPv6MessageTypes(t *testing.T) {
	args := mustHex(t, v6Args)
	info, err := buildDHCPv6Reply(dhcp6Frame(t, dhcp6InfoRequest, clientIDOpt), args)
	if err != nil {
		t.Fatal(err)
	}
	if info[62] != dhcp6Reply || bytes.Contains(info[66:], mustHex(t, "00030028")) {
		t.Errorf("information-request: type %d, IA_NA must be absent: %x", info[62], info[66:])
	}
	if r, err := buildDHCPv6Reply(dhcp6Frame(t, dhcp6Request, clientIDOpt+iaNAOpt), args); err != nil || r[62] != dhcp6Reply {
		t.Errorf("request: %v", err)
	}
	for name, frame := range map[string][]byte{
		"renew":            dhcp6Frame(t, 5, clientIDOpt+iaNAOpt),
		"release":          dhcp6Frame(t, 8, clientIDOpt+iaNAOpt),
		"no client id":     dhcp6Frame(t, dhcp6Solicit, iaNAOpt),
		"solicit no IA_NA": dhcp6Frame(t, dhcp6Solicit, clientIDOpt),
	} {
		if _, err := buildDHCPv6Reply(frame, args); !errors.Is(err, errNoReply) {
			t.Errorf("%s: err %v, want no reply", name, err)
		}
	}
}
