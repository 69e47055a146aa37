package pinctrl

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestACLLogLineIsOVNs checks the line against the format OVN writes
// (lib/acl-log.c with OVS's flow_format), e.g.
// acl_log(ovn_pinctrl0)|INFO|name="acl1", verdict=drop, severity=alert, direction=to-lport: icmp,...
func TestACLLogLineIsOVNs(t *testing.T) {
	frame := func(s string) []byte {
		b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	icmp := frame("505400000002 505400000001 0800 4500001c00004000 4001 0000 0a000001 0a000002 0800f7ff00000000")
	tcp := frame("505400000002 505400000001 0800 45000028000000004006 0000 0a000001 0a000002 04d20050 00000000 00000000 5002 0000 00000000")
	for _, c := range []struct {
		name         string
		verdict, sev byte
		dir          string
		pkt          []byte
		want         string
	}{
		{"acl1", 1, 1, "to-lport", icmp, `name="acl1", verdict=drop, severity=alert, direction=to-lport: icmp,vlan_tci=0x0000,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0`},
		{"", 0, 6, "from-lport", tcp, `name="<unnamed>", verdict=allow, severity=info, direction=from-lport: tcp,vlan_tci=0x0000,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=1234,tp_dst=80,tcp_flags=syn`},
	} {
		if got := aclLogLine(c.name, c.verdict, c.sev, c.dir, c.pkt); got != c.want {
			t.Errorf("got\n%s\nwant\n%s", got, c.want)
		}
	}
}
