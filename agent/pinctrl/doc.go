// Package pinctrl answers the packets br-int's flows send to the controller
// (OVN's controller(userdata=...) actions), as ovn-controller's pinctrl
// thread does: it owns its own OpenFlow connection to the integration
// bridge, decodes NXT_PACKET_IN2 messages and replies with packet-outs or
// NXT_RESUME.
//
// It never touches the Southbound database: results that must reach it
// (learned MAC bindings and FDB entries) are queued here, bounded, and the
// agent's main loop takes them with TakeMACBindings and TakeFDBEntries and
// writes them. Likewise the packets that triggered an ARP or ND_NS request
// wait here (WaitingNeighbours) until the main loop finds their next hop's
// MAC_Binding and calls Release. It also sends the periodic gratuitous ARPs
// (RARPs without IPv4) for the VIFs the main loop lists with
// SetGARPTargets, on the 23.03 schedule (1, 3, 7, 15, 31 s).
//
// Handled opcodes: PUT_ARP and PUT_ND (MAC learning); PUT_FDB; ARP and
// ND_NS (next-hop resolution requests); ND_NA and ND_NA_ROUTER (neighbour
// advertisements); ICMP, ICMP4_ERROR, ICMP6_ERROR and the frag-MTU
// opcodes; TCP_RESET and REJECT; LOG (ACL log lines); PUT_DHCP_OPTS and
// PUT_DHCPV6_OPTS (DHCP servers); DNS_LOOKUP (records from SetDNS). Other paused opcodes are resumed
// unchanged (result bit 0). Packet composition and parsing are pure
// (packet.go, dhcp.go, dhcpv6.go, dns.go).
package pinctrl
