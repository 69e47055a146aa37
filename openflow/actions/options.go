package actions

// OptionType is the value type of a DHCP, DHCPv6, ND RA or controller-event
// option, spelled as in OVN's option tables ("ipv4", "str", "uint8", ...).
type OptionType string

// Option value types used by OVN's option tables (lib/ovn-l7.h).
const (
	OptIPv4         OptionType = "ipv4"
	OptIPv6         OptionType = "ipv6"
	OptMAC          OptionType = "mac"
	OptStr          OptionType = "str"
	OptBool         OptionType = "bool"
	OptUint8        OptionType = "uint8"
	OptUint16       OptionType = "uint16"
	OptUint32       OptionType = "uint32"
	OptHostID       OptionType = "host_id"
	OptStaticRoutes OptionType = "static_routes"
	OptDomains      OptionType = "domains"
	OptDomain       OptionType = "domain"
)

// Option describes one option name a put_*_opts or trigger_event action
// accepts.
type Option struct {
	Name string
	Code int
	Type OptionType
}

// OptionTable maps option names to their definitions.
type OptionTable map[string]Option

// NewOptionTable builds a table from a list of definitions.
func NewOptionTable(opts ...Option) OptionTable {
	t := make(OptionTable, len(opts))
	for _, o := range opts {
		t[o.Name] = o
	}
	return t
}

// Codes of options that the encoders treat specially.
const (
	dhcpOptOfferIP       = 0
	dhcpOptBootfile      = 67
	dhcpOptBootfileAlt   = 254
	dhcpOptNextServer    = 253
	ndRAFlagAddrMode     = 0
	ndRAFlagPrf          = 255
	ndOptSourceLinkAddr  = 1
	ndOptPrefixInfo      = 3
	ndOptMTU             = 5
	ndOptRDNSS           = 25
	ndOptDNSSL           = 31
	ndOptRouteInfo       = 24
	emptyLBVIP           = 1
	emptyLBProtocol      = 2
	emptyLBLoadBalancer  = 3
	eventEmptyLBBackends = 0
)

// DefaultDHCPOptions returns the DHCPv4 options northd registers in the
// Southbound DHCP_Options table (OVN 24.03 lib/ovn-l7.h). ovn-controller
// normally builds this table from the SB rows; this is the same content.
func DefaultDHCPOptions() OptionTable {
	return NewOptionTable(
		Option{"offerip", 0, OptIPv4},
		Option{"netmask", 1, OptIPv4},
		Option{"router", 3, OptIPv4},
		Option{"dns_server", 6, OptIPv4},
		Option{"log_server", 7, OptIPv4},
		Option{"lpr_server", 9, OptIPv4},
		Option{"hostname", 12, OptStr},
		Option{"domain_name", 15, OptStr},
		Option{"swap_server", 16, OptIPv4},
		Option{"policy_filter", 21, OptIPv4},
		Option{"router_solicitation", 32, OptIPv4},
		Option{"nis_server", 41, OptIPv4},
		Option{"ntp_server", 42, OptIPv4},
		Option{"server_id", 54, OptIPv4},
		Option{"tftp_server", 66, OptHostID},
		Option{"classless_static_route", 121, OptStaticRoutes},
		Option{"ms_classless_static_route", 249, OptStaticRoutes},
		Option{"ip_forward_enable", 19, OptBool},
		Option{"router_discovery", 31, OptBool},
		Option{"ethernet_encap", 36, OptBool},
		Option{"default_ttl", 23, OptUint8},
		Option{"tcp_ttl", 37, OptUint8},
		Option{"mtu", 26, OptUint16},
		Option{"lease_time", 51, OptUint32},
		Option{"T1", 58, OptUint32},
		Option{"T2", 59, OptUint32},
		Option{"bootfile_name", 67, OptStr},
		Option{"wpad", 252, OptStr},
		Option{"path_prefix", 210, OptStr},
		Option{"tftp_server_address", 150, OptIPv4},
		Option{"domain_search_list", 119, OptDomains},
		Option{"broadcast_address", 28, OptIPv4},
		Option{"netbios_name_server", 44, OptIPv4},
		Option{"netbios_node_type", 46, OptUint8},
		Option{"bootfile_name_alt", 254, OptStr},
		Option{"arp_cache_timeout", 35, OptUint32},
		Option{"tcp_keepalive_interval", 38, OptUint32},
		Option{"next_server", 253, OptIPv4},
	)
}

// DefaultDHCPv6Options returns the DHCPv6 options northd registers in the
// Southbound DHCPv6_Options table (OVN 24.03).
func DefaultDHCPv6Options() OptionTable {
	return NewOptionTable(
		Option{"server_id", 2, OptMAC},
		Option{"ia_addr", 5, OptIPv6},
		Option{"dns_server", 23, OptIPv6},
		Option{"domain_search", 24, OptStr},
		Option{"bootfile_name", 59, OptStr},
		Option{"bootfile_name_alt", 254, OptStr},
		Option{"fqdn", 39, OptDomain},
	)
}

// DefaultNDRAOptions returns the options put_nd_ra_opts accepts
// (nd_ra_opts_init() in lib/ovn-l7.h).
func DefaultNDRAOptions() OptionTable {
	return NewOptionTable(
		Option{"addr_mode", ndRAFlagAddrMode, OptStr},
		Option{"router_preference", ndRAFlagPrf, OptStr},
		Option{"slla", ndOptSourceLinkAddr, OptMAC},
		Option{"prefix", ndOptPrefixInfo, OptIPv6},
		Option{"mtu", ndOptMTU, OptUint32},
		Option{"rdnss", ndOptRDNSS, OptIPv6},
		Option{"dnssl", ndOptDNSSL, OptStr},
		Option{"route_info", ndOptRouteInfo, OptStr},
	)
}

// ControllerEvent is a trigger_event event type; its value is what the
// EVENT userdata carries.
type ControllerEvent struct {
	Name    string
	Type    int
	Options OptionTable
}

// DefaultControllerEvents returns the events trigger_event accepts
// (controller_event_opts_init() in lib/ovn-l7.h), keyed by event name.
func DefaultControllerEvents() map[string]ControllerEvent {
	return map[string]ControllerEvent{
		"empty_lb_backends": {
			Name: "empty_lb_backends",
			Type: eventEmptyLBBackends,
			Options: NewOptionTable(
				Option{"vip", emptyLBVIP, OptStr},
				Option{"protocol", emptyLBProtocol, OptStr},
				Option{"load_balancer", emptyLBLoadBalancer, OptStr},
			),
		},
	}
}
