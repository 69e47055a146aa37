package physical

import (
	"net"
	"net/netip"
	"strings"
)

// parseMAC parses "aa:bb:cc:dd:ee:ff".
func parseMAC(s string) ([6]byte, bool) {
	var mac [6]byte
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return mac, false
	}
	copy(mac[:], hw)
	return mac, true
}

// lportAddresses is a parsed "MAC [IP[/plen]...]" entry
// (extract_lsp_addresses()).
type lportAddresses struct {
	mac  [6]byte
	ipv4 []netip.Prefix // address with its prefix length (32 when none)
	ipv6 []netip.Prefix
}

// parseLportAddresses parses an address entry; ok is false when it does
// not start with a MAC. Bad IPs end the parse (as ovn-controller does, the
// entry is then rejected).
func parseLportAddresses(s string) (lportAddresses, bool) {
	var la lportAddresses
	f := strings.Fields(s)
	if len(f) == 0 {
		return la, false
	}
	mac, ok := parseMAC(f[0])
	if !ok {
		return la, false
	}
	la.mac = mac
	for _, w := range f[1:] {
		var p netip.Prefix
		if strings.Contains(w, "/") {
			pp, err := netip.ParsePrefix(w)
			if err != nil {
				return la, false
			}
			p = pp
		} else {
			a, err := netip.ParseAddr(w)
			if err != nil {
				return la, false
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4() {
			la.ipv4 = append(la.ipv4, p)
		} else {
			la.ipv6 = append(la.ipv6, p)
		}
	}
	return la, true
}

// hostBitsZero reports whether the address has no bits outside its prefix.
func hostBitsZero(p netip.Prefix) bool { return p.Masked().Addr() == p.Addr() }

// prefixMask is the netmask of p as bytes.
func prefixMask(p netip.Prefix) []byte {
	n := p.Addr().BitLen() / 8
	m := make([]byte, n)
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// ipv4Bcast is the broadcast address of p.
func ipv4Bcast(p netip.Prefix) []byte {
	a := p.Addr().As4()
	m := prefixMask(p)
	for i := range a {
		a[i] |= ^m[i]
	}
	return a[:]
}

// lla is the EUI-64 IPv6 link-local address of mac (in6_generate_lla()).
func lla(mac [6]byte) []byte {
	return []byte{0xfe, 0x80, 0, 0, 0, 0, 0, 0,
		mac[0] ^ 0x02, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]}
}

// ipPrefix wraps a prefix for the port-security helpers.
type ipPrefix struct{ netip.Prefix }

// full reports a host prefix (/32 or /128).
func (p ipPrefix) full() bool { return p.Bits() == p.Addr().BitLen() }
