package actions

import (
	"net/netip"
	"strconv"
	"strings"
)

// parseIPPort parses "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" the way OVS
// inet_parse_active() does without name resolution: a string with more
// than one colon outside brackets is a bare IPv6 address.
func parseIPPort(s string) (netip.Addr, uint16, bool) {
	colon, nColons, inBrackets := -1, 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			inBrackets = true
		case ']':
			inBrackets = false
		case ':':
			if !inBrackets {
				nColons++
				colon = i
			}
		}
	}
	host, port := s, ""
	if nColons <= 1 {
		if colon >= 0 {
			host, port = s[:colon], unbracket(s[colon+1:])
		}
		host = unbracket(host)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, 0, false
	}
	var p uint64
	if port != "" {
		if p, err = strconv.ParseUint(port, 10, 16); err != nil {
			return netip.Addr{}, 0, false
		}
	}
	return ip, uint16(p), true
}

func unbracket(s string) string {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return s[1 : len(s)-1]
	}
	return s
}
