package agent_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

func mustMAC(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil || len(b) != 6 {
		panic("bad MAC " + s)
	}
	return b
}

func ip4(a, b, c, d byte) []byte { return []byte{a, b, c, d} }

// neighborSolicitFrame builds an NS from src (with its MAC as SLL option)
// for target, to target's solicited-node group.
func neighborSolicitFrame(srcMAC string, src, target netip.Addr) []byte {
	t16 := target.As16()
	dst := netip.AddrFrom16([16]byte{0xff, 0x02, 11: 1, 12: 0xff, 13: t16[13], 14: t16[14], 15: t16[15]})
	return ndFrame(135, 0, []byte{0x33, 0x33, 0xff, t16[13], t16[14], t16[15]}, srcMAC, src, dst, target, 1)
}

// ndFrame builds an NS (135) or NA (136) with flags, whose link-layer
// option (optType 1 SLL, 2 TLL) carries srcMAC.
func ndFrame(typ, flags byte, ethDst []byte, srcMAC string, src, dst, target netip.Addr, optType byte) []byte {
	s16, d16, t16 := src.As16(), dst.As16(), target.As16()
	icmp := append([]byte{typ, 0, 0, 0, flags, 0, 0, 0}, t16[:]...)
	icmp = append(append(icmp, optType, 1), mustMAC(srcMAC)...)
	pseudo := append(append(append([]byte{}, s16[:]...), d16[:]...), 0, 0, 0, byte(len(icmp)), 0, 0, 0, 58)
	binary.BigEndian.PutUint16(icmp[2:], inetChecksum(append(pseudo, icmp...)))
	b := append(append([]byte{}, ethDst...), mustMAC(srcMAC)...)
	b = append(b, 0x86, 0xdd, 0x60, 0, 0, 0, 0, byte(len(icmp)), 58, 255)
	b = append(append(b, s16[:]...), d16[:]...)
	return append(b, icmp...)
}

// arpFrame builds an Ethernet ARP frame.
func arpFrame(op uint16, ethDst, sha string, spa []byte, tha string, tpa []byte) []byte {
	b := append(mustMAC(ethDst), mustMAC(sha)...)
	b = append(b, 0x08, 0x06, 0, 1, 8, 0, 6, 4)
	b = binary.BigEndian.AppendUint16(b, op)
	b = append(b, mustMAC(sha)...)
	b = append(b, spa...)
	b = append(b, mustMAC(tha)...)
	return append(b, tpa...)
}

// icmpEchoFrame builds an IPv4 ICMP echo request (checksums included).
func icmpEchoFrame(ethDst, ethSrc string, src, dst []byte) []byte {
	icmp := []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1, 'c', 'h', 'a', 's', 's', 'i', 's', 'd'}
	binary.BigEndian.PutUint16(icmp[2:], inetChecksum(icmp))
	ip := []byte{0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 1, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(icmp)))
	ip = append(append(ip, src...), dst...)
	binary.BigEndian.PutUint16(ip[10:], inetChecksum(ip))
	b := append(mustMAC(ethDst), mustMAC(ethSrc)...)
	b = append(b, 0x08, 0x00)
	return append(append(b, ip...), icmp...)
}

func inetChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// pcapFrames reads the frames of a pcap file (missing file: none).
func pcapFrames(t *testing.T, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil || len(raw) < 24 {
		return nil
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if binary.BigEndian.Uint32(raw) == 0xa1b2c3d4 {
		order = binary.BigEndian
	}
	var out [][]byte
	for p := raw[24:]; len(p) >= 16; {
		n := int(order.Uint32(p[8:]))
		if len(p) < 16+n {
			break
		}
		out = append(out, p[16:16+n])
		p = p[16+n:]
	}
	return out
}

// TestPinctrlLearnsAndResolvesNeighbours: a router learns a VM's MAC from a
// real ARP reply through put_arp (MAC_Binding row with a timestamp);
// resolves a next hop no port declares with an ARP request (arp{} action)
// out of the right port and delivers the waiting packet once the reply is
// learned; a switch learns the MAC of a port with unknown addresses (FDB);
// the switch answers an NS for the router's IPv6 address (nd_na_router) and
// the router learns an IPv6 neighbour from an NA (put_nd); a DNS query for
// a record of the switch is answered (dns_lookup).
func TestPinctrlLearnsAndResolvesNeighbours(t *testing.T) {
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	ch.MustConfigure("hv1", "172.16.0.1", "geneve")
	runAgent(t, ch)
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	const (
		vm1MAC = "fa:16:3e:00:00:05"
		vm2MAC = "fa:16:3e:00:01:07"
		r1MAC  = "fa:16:3e:00:00:01"
		r2MAC  = "fa:16:3e:00:01:01"
	)
	central.MustNbctl("ls-add", "net1", "--", "ls-add", "net2",
		"--", "lsp-add", "net1", "vm1", "--", "lsp-set-addresses", "vm1", vm1MAC+" 10.0.0.5",
		"--", "lsp-add", "net2", "vm2", "--", "lsp-set-addresses", "vm2", vm2MAC+" 10.0.1.7",
		"--", "lsp-add", "net1", "vm3", "--", "lsp-set-addresses", "vm3", "unknown",
		"--", "lr-add", "r1",
		"--", "lrp-add", "r1", "lrp1", r1MAC, "10.0.0.1/24", "2001:db8::1/64",
		"--", "lrp-add", "r1", "lrp2", r2MAC, "10.0.1.1/24",
		"--", "lsp-add", "net1", "rp1", "--", "lsp-set-type", "rp1", "router",
		"--", "lsp-set-addresses", "rp1", "router", "--", "lsp-set-options", "rp1", "router-port=lrp1",
		"--", "lsp-add", "net2", "rp2", "--", "lsp-set-type", "rp2", "router",
		"--", "lsp-set-addresses", "rp2", "router", "--", "lsp-set-options", "rp2", "router-port=lrp2")
	if err := central.WaitSync(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, vm := range []string{"vm1", "vm2", "vm3"} {
		ch.MustVsctl("add-port", "br-int", "tap-"+vm, "--", "set", "Interface", "tap-"+vm, "type=dummy",
			"external_ids:iface-id="+vm, "options:tx_pcap="+filepath.Join(dir, vm+".pcap"))
		if err := central.WaitPortUp(vm, "hv1"); err != nil {
			t.Fatal(err)
		}
	}
	receive := func(port string, frame []byte) {
		t.Helper()
		if _, err := ch.Appctl("netdev-dummy/receive", port, hex.EncodeToString(frame)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("put_arp from an ARP reply", func(t *testing.T) {
		reply := arpFrame(2, r1MAC, vm1MAC, ip4(10, 0, 0, 5), r1MAC, ip4(10, 0, 0, 1))
		var row string
		err := sandbox.Eventually(10*time.Second, func() (bool, error) {
			receive("tap-vm1", reply)
			var err error
			row, err = central.Sbctl("--bare", "--columns=logical_port,mac,timestamp", "find", "MAC_Binding", "ip=10.0.0.5")
			return row != "", err
		})
		if err != nil {
			t.Fatalf("no MAC_Binding for 10.0.0.5: %v", err)
		}
		f := strings.Fields(row)
		if len(f) != 3 || f[0] != "lrp1" || f[1] != vm1MAC {
			t.Fatalf("MAC_Binding = %q, want lrp1 %s <timestamp>", row, vm1MAC)
		}
		ts, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || time.Since(time.UnixMilli(ts)).Abs() > time.Minute {
			t.Errorf("timestamp %q is not the write time in ms", f[2])
		}
		if dp := central.MustSbctl("--bare", "--columns=datapath", "find", "MAC_Binding", "ip=10.0.0.5"); dp !=
			central.MustSbctl("--bare", "--columns=_uuid", "find", "Datapath_Binding", "external_ids:name=r1") {
			t.Errorf("MAC_Binding.datapath %s is not r1's", dp)
		}

		// A changed MAC updates the row.
		moved := "fa:16:3e:00:00:55"
		central.MustNbctl("lsp-set-addresses", "vm1", moved+" 10.0.0.5")
		if err := central.WaitSync(); err != nil {
			t.Fatal(err)
		}
		err = sandbox.Eventually(10*time.Second, func() (bool, error) {
			receive("tap-vm1", arpFrame(2, r1MAC, moved, ip4(10, 0, 0, 5), r1MAC, ip4(10, 0, 0, 1)))
			mac, err := central.Sbctl("--bare", "--columns=mac", "find", "MAC_Binding", "ip=10.0.0.5")
			return mac == moved, err
		})
		if err != nil {
			t.Errorf("MAC_Binding not updated to %s: %v", moved, err)
		}
		if n := len(strings.Fields(central.MustSbctl("--bare", "--columns=_uuid", "find", "MAC_Binding", "ip=10.0.0.5"))); n != 1 {
			t.Errorf("%d MAC_Binding rows for 10.0.0.5, want 1", n)
		}
		central.MustNbctl("lsp-set-addresses", "vm1", vm1MAC+" 10.0.0.5")
	})

	t.Run("arp request for an unresolved next hop", func(t *testing.T) {
		if err := central.WaitSync(); err != nil {
			t.Fatal(err)
		}
		ping := icmpEchoFrame(r1MAC, vm1MAC, ip4(10, 0, 0, 5), ip4(10, 0, 1, 9))
		want := arpFrame(1, "ff:ff:ff:ff:ff:ff", r2MAC, ip4(10, 0, 1, 1), "00:00:00:00:00:00", ip4(10, 0, 1, 9))
		var seen [][]byte
		err := sandbox.Eventually(10*time.Second, func() (bool, error) {
			receive("tap-vm1", ping)
			seen = pcapFrames(t, filepath.Join(dir, "vm2.pcap"))
			for _, f := range seen {
				if bytes.Equal(f, want) {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("no ARP request %x on vm2's port; it sent %x", want, seen)
		}

		// The answer is learned and the waiting echo request delivered.
		reply := arpFrame(2, r2MAC, vm2MAC, ip4(10, 0, 1, 9), r2MAC, ip4(10, 0, 1, 1))
		receive("tap-vm2", reply)
		err = sandbox.Eventually(10*time.Second, func() (bool, error) {
			for _, f := range pcapFrames(t, filepath.Join(dir, "vm2.pcap")) {
				if len(f) >= 34 && bytes.Equal(f[:6], mustMAC(vm2MAC)) && bytes.Equal(f[6:12], mustMAC(r2MAC)) &&
					f[12] == 0x08 && f[13] == 0x00 && bytes.Equal(f[30:34], ip4(10, 0, 1, 9)) {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Errorf("buffered echo request not delivered after the ARP reply: %v", err)
		}
		if mac := central.MustSbctl("--bare", "--columns=mac", "find", "MAC_Binding", "ip=10.0.1.9", "logical_port=lrp2"); mac != vm2MAC {
			t.Errorf("MAC_Binding for 10.0.1.9 = %q, want %s", mac, vm2MAC)
		}
	})

	t.Run("put_fdb on a port with unknown addresses", func(t *testing.T) {
		const mac = "fa:16:3e:00:00:33"
		frame := arpFrame(1, "ff:ff:ff:ff:ff:ff", mac, ip4(10, 0, 0, 33), "00:00:00:00:00:00", ip4(10, 0, 0, 1))
		var row string
		err := sandbox.Eventually(10*time.Second, func() (bool, error) {
			receive("tap-vm3", frame)
			var err error
			row, err = central.Sbctl("--bare", "--columns=dp_key,port_key", "find", "FDB", `mac="`+mac+`"`)
			return row != "", err
		})
		if err != nil {
			t.Fatalf("no FDB row for %s: %v", mac, err)
		}
		want := central.MustSbctl("--bare", "--columns=tunnel_key", "find", "Datapath_Binding", "external_ids:name=net1") + "\n" +
			central.MustSbctl("--bare", "--columns=tunnel_key", "find", "Port_Binding", "logical_port=vm3")
		if strings.Join(strings.Fields(row), "\n") != want {
			t.Errorf("FDB dp_key/port_key %q, want net1's and vm3's keys %q", row, want)
		}
	})

	t.Run("nd_na_router and put_nd", func(t *testing.T) {
		vm1IP6, r1IP6 := netip.MustParseAddr("2001:db8::5"), netip.MustParseAddr("2001:db8::1")
		ns := neighborSolicitFrame(vm1MAC, vm1IP6, r1IP6)
		var na []byte
		err := sandbox.Eventually(10*time.Second, func() (bool, error) {
			receive("tap-vm1", ns)
			for _, f := range pcapFrames(t, filepath.Join(dir, "vm1.pcap")) {
				if len(f) >= 86 && f[12] == 0x86 && f[13] == 0xdd && f[54] == 136 {
					na = f
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("no neighbour advertisement on vm1's port: %v", err)
		}
		r16, v16 := r1IP6.As16(), vm1IP6.As16()
		if !bytes.Equal(na[:12], append(mustMAC(vm1MAC), mustMAC(r1MAC)...)) || !bytes.Equal(na[22:38], r16[:]) ||
			!bytes.Equal(na[38:54], v16[:]) || na[58] != 0xe0 || !bytes.Equal(na[62:78], r16[:]) ||
			!bytes.Equal(na[78:86], append([]byte{2, 1}, mustMAC(r1MAC)...)) {
			t.Errorf("NA %x: want from %s/%s to %s/%s, flags R|S|O, target and TLL the router's", na, r1MAC, r1IP6, vm1MAC, vm1IP6)
		}
		pseudo := append(append(append([]byte{}, na[22:54]...), 0, 0, 0, byte(len(na)-54)), 0, 0, 0, 58)
		if inetChecksum(append(pseudo, na[54:]...)) != 0 {
			t.Error("NA ICMPv6 checksum wrong")
		}

		// The switch answered for the router (nd_na_router); an
		// advertisement to the router is learned through put_nd.
		na = ndFrame(136, 0x60, mustMAC(r1MAC), vm1MAC, vm1IP6, r1IP6, vm1IP6, 2)
		err = sandbox.Eventually(10*time.Second, func() (bool, error) {
			receive("tap-vm1", na)
			mac, err := central.Sbctl("--bare", "--columns=mac", "find", "MAC_Binding", `ip="2001:db8::5"`, "logical_port=lrp1")
			return mac == vm1MAC, err
		})
		if err != nil {
			t.Errorf("no MAC_Binding for 2001:db8::5 learned from the NA: %v", err)
		}
	})

	t.Run("dns_lookup", func(t *testing.T) {
		dns := central.MustNbctl("create", "DNS", `records={"vm1.ovn.org"="10.0.0.5"}`)
		central.MustNbctl("add", "Logical_Switch", "net1", "dns_records", dns)
		if err := central.WaitSync(); err != nil {
			t.Fatal(err)
		}
		msg := append([]byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
			3, 'v', 'm', '1', 3, 'o', 'v', 'n', 3, 'o', 'r', 'g', 0}, 0, 1, 0, 1)
		udp := append([]byte{0x82, 0x35, 0, 53, 0, byte(8 + len(msg)), 0, 0}, msg...)
		ip := []byte{0x45, 0, 0, byte(20 + len(udp)), 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 5, 10, 0, 0, 1}
		binary.BigEndian.PutUint16(ip[10:], inetChecksum(ip))
		query := append(append(append(mustMAC(r1MAC), mustMAC(vm1MAC)...), 0x08, 0x00), append(ip, udp...)...)
		answer := []byte{3, 'v', 'm', '1', 3, 'o', 'v', 'n', 3, 'o', 'r', 'g', 0, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 0, 0, 5}
		err := sandbox.Eventually(10*time.Second, func() (bool, error) {
			receive("tap-vm1", query)
			for _, f := range pcapFrames(t, filepath.Join(dir, "vm1.pcap")) {
				// From port 53 back to the VM, QR set, one answer.
				if len(f) > 42+12 && f[23] == 17 && f[34] == 0 && f[35] == 53 && f[44]&0x80 != 0 && f[49] == 1 &&
					bytes.HasSuffix(f, answer) {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Errorf("no DNS answer for vm1.ovn.org on vm1's port: %v", err)
		}
	})
}

// TestPinctrlGARPOnLocalnet: a VIF bound here on a network with a localnet
// port is announced to the physical network with a gratuitous ARP.
func TestPinctrlGARPOnLocalnet(t *testing.T) {
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	ch := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1", Dummy: true})
	ch.MustConfigure("hv1", "172.16.0.1", "geneve", "physnet1:br-provider")
	if err := ch.AddBridge("br-provider"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ch.MustVsctl("add-port", "br-provider", "uplink", "--", "set", "Interface", "uplink", "type=dummy",
		"options:tx_pcap="+filepath.Join(dir, "uplink.pcap"))
	runAgent(t, ch)
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}
	const vmMAC = "fa:16:3e:00:02:05"
	central.MustNbctl("ls-add", "public",
		"--", "lsp-add", "public", "ln", "--", "lsp-set-type", "ln", "localnet",
		"--", "lsp-set-addresses", "ln", "unknown", "--", "lsp-set-options", "ln", "network_name=physnet1",
		"--", "lsp-add", "public", "pvm", "--", "lsp-set-addresses", "pvm", vmMAC+" 172.24.4.5")
	if err := central.WaitSync(); err != nil {
		t.Fatal(err)
	}
	ch.MustVsctl("add-port", "br-int", "tap-pvm", "--", "set", "Interface", "tap-pvm", "type=dummy", "external_ids:iface-id=pvm")
	if err := central.WaitPortUp("pvm", "hv1"); err != nil {
		t.Fatal(err)
	}
	want := arpFrame(1, "ff:ff:ff:ff:ff:ff", vmMAC, ip4(172, 24, 4, 5), "00:00:00:00:00:00", ip4(172, 24, 4, 5))
	var seen [][]byte
	err := sandbox.Eventually(15*time.Second, func() (bool, error) {
		seen = pcapFrames(t, filepath.Join(dir, "uplink.pcap"))
		for _, f := range seen {
			if bytes.Equal(f, want) {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no GARP %x on the provider network; it saw %x", want, seen)
	}
}
