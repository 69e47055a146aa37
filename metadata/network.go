package metadata

import (
	"net"
	"net/netip"
	"slices"
)

// Network is one Neutron network to serve on this chassis: it has a
// metadata port and at least one VIF bound here. The agent computes it from
// the Southbound database.
type Network struct {
	// ID is the Neutron network UUID (the logical switch name without
	// its "neutron-" prefix).
	ID string
	// Port is the network's metadata localport.
	Port Port
	// LocalIPv4 are the IPv4 addresses of the network's VIFs bound to
	// this chassis; LocalIPv6 says whether any of them has an IPv6 one.
	LocalIPv4 []netip.Addr
	LocalIPv6 bool
}

// Port is a metadata localport (device_owner network:distributed).
type Port struct {
	// LogicalPort is the Port_Binding's logical_port, written as the
	// veth's external_ids:iface-id.
	LogicalPort string
	MAC         net.HardwareAddr
	// CIDRs are neutron:cidrs: the port's addresses with their subnets'
	// prefix lengths.
	CIDRs []netip.Prefix
	// MTU is neutron:mtu; 0 leaves the veth's MTU alone.
	MTU int
}

// Instance identifies a VM to Nova.
type Instance struct {
	ID        string // neutron:device_id
	ProjectID string // neutron:project_id
}

// LookupFunc returns the instances whose port on network has the address
// ip, or, when mac is not nil, the MAC address mac. More than one is a
// Neutron database inconsistency and gets no answer.
type LookupFunc func(network string, ip netip.Addr, mac net.HardwareAddr) []Instance

// State is everything the job should serve; the agent hands a new one to
// Manager.Update whenever its inputs change.
type State struct {
	Networks []Network
	Lookup   LookupFunc
}

// addresses is the set of addresses the namespace end of the veth should
// carry: 169.254.169.254/32, every metadata port CIDR that contains a local
// VM's IPv4 address, and when a local VM has IPv6 (and ipv6 is true, i.e.
// the host has IPv6) fe80::a9fe:a9fe/64 plus the port MAC's EUI-64
// link-local address.
func (n *Network) addresses(ipv6 bool) []netip.Prefix {
	out := []netip.Prefix{netip.PrefixFrom(MetadataIPv4, 32)}
	for _, c := range n.Port.CIDRs {
		if !c.Addr().Is4() {
			continue
		}
		if slices.ContainsFunc(n.LocalIPv4, c.Contains) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if n.LocalIPv6 && ipv6 {
		out = append(out, netip.PrefixFrom(MetadataIPv6, 64), netip.PrefixFrom(LinkLocalFromMAC(n.Port.MAC), 64))
	}
	return out
}

// equal reports whether two networks need the same provisioning.
func (n *Network) equal(o *Network) bool {
	return n.ID == o.ID && n.Port.LogicalPort == o.Port.LogicalPort &&
		n.Port.MAC.String() == o.Port.MAC.String() && slices.Equal(n.Port.CIDRs, o.Port.CIDRs) &&
		n.Port.MTU == o.Port.MTU && slices.Equal(n.LocalIPv4, o.LocalIPv4) && n.LocalIPv6 == o.LocalIPv6
}
