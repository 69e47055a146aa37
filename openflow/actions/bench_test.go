package actions

import "testing"

// BenchmarkParseEncode parses and encodes a typical mix of logical flow
// actions (from a real 24.03 northbound setup).
func BenchmarkParseEncode(b *testing.B) {
	pp, ep := fuzzParams()
	inputs := []string{
		"reg0[15] = check_in_port_sec(); next;",
		"ct_commit { ct_mark.blocked = 0; ct_label.label = reg3; }; next;",
		"eth.dst = eth.src; eth.src = fa:16:3e:71:9e:ad; arp.op = 2; /* ARP reply */ arp.tha = arp.sha; arp.sha = fa:16:3e:71:9e:ad; arp.tpa = arp.spa; arp.spa = 192.168.101.1; outport = inport; flags.loopback = 1; output;",
		"outport = get_fdb(eth.dst); next;",
		"reg0[3] = put_dhcp_opts(offerip = 192.168.101.10, classless_static_route = {169.254.169.254/32,192.168.101.2, 0.0.0.0/0,192.168.101.1}, dns_server = {8.8.8.8}, lease_time = 43200, mtu = 1442, netmask = 255.255.255.0, router = 192.168.101.1, server_id = 192.168.101.1); next;",
		"ct_lb_mark(backends=10.0.0.2:80,10.0.0.3:80);",
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, s := range inputs {
			acts, _, err := Parse(s, pp)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := acts.Encode(ep); err != nil {
				b.Fatal(err)
			}
		}
	}
}
