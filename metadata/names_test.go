package metadata

import (
	"net"
	"net/netip"
	"slices"
	"testing"
)

// Vectors from the reference (metadata.md §3, §5, §8.3).
func TestNamesAndIdentities(t *testing.T) {
	net1 := "f5e24ee8-2bcb-43a4-91d5-0abad0c58197"
	if got := NamespaceName(net1); got != "ovnmeta-f5e24ee8-2bcb-43a4-91d5-0abad0c58197" {
		t.Errorf("namespace %q", got)
	}
	out, in := VethNames(net1)
	if out != "tapf5e24ee8-20" || in != "tapf5e24ee8-21" {
		t.Errorf("veth %q %q", out, in)
	}
	for _, c := range []struct{ systemID, chassis, agent string }{
		{"1b5a2c9e-8d7f-4a3b-9c1d-2e3f4a5b6c7d", "1b5a2c9e-8d7f-4a3b-9c1d-2e3f4a5b6c7d", "85907783-8512-5cca-a0a2-49d25e4e1e00"},
		{"compute-0", "4d5731ba-1c2b-537e-b453-5ee407fa7599", "eca540f8-aa0d-50f2-baf6-185d2a9cb948"},
	} {
		if got := ChassisUUID(c.systemID).String(); got != c.chassis {
			t.Errorf("ChassisUUID(%s) = %s, want %s", c.systemID, got, c.chassis)
		}
		if got := AgentID(c.systemID); got != c.agent {
			t.Errorf("AgentID(%s) = %s, want %s", c.systemID, got, c.agent)
		}
	}
	if got := Signature("s3cr3t", "6f1e5c3a-2b7d-4e8f-9a0b-1c2d3e4f5a6b"); got != "5d4cd4bff641fd1a4661cc102af02766cfc1dea7074f19bd8c5bf2ede03c5b2e" {
		t.Errorf("signature %s", got)
	}
	if got := Signature("", "6f1e5c3a-2b7d-4e8f-9a0b-1c2d3e4f5a6b"); got != "379734a1d29d2eb0020ec175d8d5471da1d93fb599f3889264d96c9c117e8270" {
		t.Errorf("empty-secret signature %s", got)
	}
	mac, _ := net.ParseMAC("fa:16:3e:12:34:56")
	lla := LinkLocalFromMAC(mac)
	if lla.String() != "fe80::f816:3eff:fe12:3456" {
		t.Errorf("LLA %s", lla)
	}
	back, ok := MACFromLinkLocal(lla)
	if !ok || back.String() != mac.String() {
		t.Errorf("MAC from %s = %s %v", lla, back, ok)
	}
	if _, ok := MACFromLinkLocal(netip.MustParseAddr("fe80::1")); ok {
		t.Errorf("fe80::1 has no EUI-64 interface id")
	}
	if _, ok := MACFromLinkLocal(netip.MustParseAddr("2001:db8::f816:3eff:fe12:3456")); ok {
		t.Errorf("only link-local addresses are matched by MAC")
	}
}

func TestNetworkAddresses(t *testing.T) {
	mac, _ := net.ParseMAC("fa:16:3e:71:9e:ad")
	n := Network{
		ID: "f5e24ee8-2bcb-43a4-91d5-0abad0c58197",
		Port: Port{MAC: mac, CIDRs: []netip.Prefix{
			netip.MustParsePrefix("192.168.101.1/24"),
			netip.MustParsePrefix("10.0.0.2/24"),
			netip.MustParsePrefix("fd00::2/64"),
		}},
		LocalIPv4: []netip.Addr{netip.MustParseAddr("192.168.101.11")},
	}
	str := func(ps []netip.Prefix) []string {
		var s []string
		for _, p := range ps {
			s = append(s, p.String())
		}
		return s
	}
	if got, want := str(n.addresses(true)), []string{"169.254.169.254/32", "192.168.101.1/24"}; !slices.Equal(got, want) {
		t.Errorf("v4 only: %v, want %v (the subnet without local VMs gets no address)", got, want)
	}
	n.LocalIPv4 = append(n.LocalIPv4, netip.MustParseAddr("10.0.0.7"))
	n.LocalIPv6 = true
	want := []string{"169.254.169.254/32", "192.168.101.1/24", "10.0.0.2/24", "fe80::a9fe:a9fe/64", "fe80::f816:3eff:fe71:9ead/64"}
	if got := str(n.addresses(true)); !slices.Equal(got, want) {
		t.Errorf("with IPv6: %v, want %v", got, want)
	}
	if got := str(n.addresses(false)); slices.Contains(got, "fe80::a9fe:a9fe/64") {
		t.Errorf("host without IPv6: %v", got)
	}
}
