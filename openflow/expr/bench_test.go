package expr

import (
	"fmt"
	"testing"
)

// neutronMatches builds n matches shaped like what ovn-northd generates for
// an OpenStack Neutron deployment: security-group ACLs on port groups and
// address sets, port security, ARP/ND responders, routing and conntrack
// stages.
func neutronMatches(n int) ([]string, CompileOptions) {
	addrSets := map[string][]string{"svc_monitor_mac": {"0a:58:0a:f4:00:01"}}
	portGroups := map[string][]string{}
	var ms []string
	for i := 0; len(ms) < n; i++ {
		pg := fmt.Sprintf("pg_%08x_%04x", 0xc0ffee00+i, i%97)
		as4 := pg + "_ip4"
		as6 := pg + "_ip6"
		var ips4, ips6, ports []string
		for j := 0; j < 8+i%24; j++ {
			ips4 = append(ips4, fmt.Sprintf("10.%d.%d.%d", i%200, j/250, j%250+1))
			ips6 = append(ips6, fmt.Sprintf("fd00:%x::%x", i%4096, j+1))
		}
		for j := 0; j < 4; j++ {
			ports = append(ports, fmt.Sprintf("lsp-%d-%d", i, j))
		}
		addrSets[as4], addrSets[as6] = ips4, ips6
		portGroups["1_"+pg] = ports
		lsp := fmt.Sprintf("lsp-%d-0", i)
		mac := fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff)
		ip := fmt.Sprintf("10.%d.0.%d", i%200, i%250+1)
		ms = append(ms,
			// Security group rules.
			fmt.Sprintf("reg0[7] == 1 && (outport == @%s && ip4 && ip4.src == $%s && tcp && tcp.dst == %d)", pg, as4, 22+i%1000),
			fmt.Sprintf("reg0[8] == 1 && (outport == @%s && ip4 && ip4.src == $%s && tcp && tcp.dst >= %d && tcp.dst <= %d)", pg, as4, 1000+i%100, 2000+i%300),
			fmt.Sprintf("reg0[7] == 1 && (outport == @%s && ip6 && ip6.src == $%s && udp && udp.dst == {53, 123, 5353})", pg, as6),
			fmt.Sprintf("reg0[8] == 1 && (inport == @%s && ip4 && ip4.dst == 0.0.0.0/0 && icmp4)", pg),
			fmt.Sprintf("outport == @%s && ip", pg),
			fmt.Sprintf("inport == @%s && ip && (ct.new || ct.est) && ct_label.blocked == 0", pg),
			"ct.est && !ct.rel && !ct.new && !ct.inv && ct.rpl && ct_mark.blocked == 0",
			"ct.inv || (ct.est && ct.rpl && ct_mark.blocked == 1)",
			"ip && ct.trk && ct.est && ct_mark.blocked == 1",
			// Port security and responders.
			fmt.Sprintf("inport == %q && eth.src == {%s}", lsp, mac),
			fmt.Sprintf("inport == %q && eth.src == %s && ip4.src == {%s}", lsp, mac, ip),
			fmt.Sprintf("inport == %q && eth.src == %s && arp.sha == %s && arp.spa == {%s}", lsp, mac, mac, ip),
			fmt.Sprintf("inport == %q && eth.src == %s && ip6 && nd && ((nd.sll == 00:00:00:00:00:00 || nd.sll == %s) || ((nd.tll == 00:00:00:00:00:00 || nd.tll == %s)))", lsp, mac, mac, mac),
			fmt.Sprintf("arp.tpa == %s && arp.op == 1", ip),
			fmt.Sprintf("nd_ns && ip6.dst == {fd00:%x::1, ff02::1:ff00:1} && nd.target == fd00:%x::1", i%4096, i%4096),
			fmt.Sprintf("eth.dst == %s", mac),
			// Routing.
			fmt.Sprintf("ip4.dst == 10.%d.0.0/16", i%200),
			fmt.Sprintf("reg7 == 0 && ip4.dst == 10.%d.%d.0/24", i%200, i%250),
			fmt.Sprintf("ip6.dst == fd00:%x::/64", i%4096),
			fmt.Sprintf("ip4 && reg0 == %s && reg9[9] == 1", ip),
			fmt.Sprintf(`inport == %q && ip4.dst == %s && !ip.later_frag && udp && udp.dst == 67`, lsp, ip),
			"eth.dst == $svc_monitor_mac && (tcp || icmp || icmp6)",
			"eth.mcast || ip4.mcast || ip6.mcast_flood",
			"ip4 && ip4.dst == {255.255.255.255, 10.0.0.255} && udp.src == 68 && udp.dst == 67",
		)
	}
	return ms[:n], CompileOptions{
		AddrSets:          AddressSets(addrSets),
		PortGroups:        PortGroups(portGroups),
		DPID:              1,
		LookupPort:        func(name string) (uint32, bool) { return uint32(len(name)), true },
		IsChassisResident: func(string) bool { return true },
		ConjBase:          100,
	}
}

// BenchmarkCompile compiles a mixed set of 5000 Neutron-style matches;
// matches/s is reported alongside the usual per-op costs (one op = one
// match).
func BenchmarkCompile(b *testing.B) {
	ms, opts := neutronMatches(5000)
	for _, m := range ms {
		if _, err := Compile(m, opts); err != nil {
			b.Fatalf("%s: %v", m, err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	flows := 0
	for i := 0; i < b.N; i++ {
		c, _ := Compile(ms[i%len(ms)], opts)
		flows += len(c.Matches)
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "matches/s")
	}
	b.ReportMetric(float64(flows)/float64(b.N), "flows/match")
}
