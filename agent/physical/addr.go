package physical

import (
	"net"
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
