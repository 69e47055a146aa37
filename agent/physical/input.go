package physical

import (
	"github.com/chassisd/chassisd/tunnel"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Input is everything Compute needs, as ovn-controller sees it after one
// run of its engine. All names are SB names (Chassis.name, logical_port).
type Input struct {
	// Chassis is this chassis' name (its system-id) and Hostname the
	// hostname it registered; both are accepted in options:requested-chassis.
	Chassis  string
	Hostname string

	// Datapaths are the *local* datapaths (§5.7 of the reference: the
	// datapaths with a port bound here plus those reachable through patch
	// ports). Port bindings and multicast groups on other datapaths only
	// serve as peers/lookups.
	Datapaths []Datapath

	// Ports are the Port_Binding rows: at least those on local datapaths,
	// plus the peers of their patch ports. The agent may pass all rows.
	Ports []PortBinding

	// MulticastGroups are the Multicast_Group rows (any datapath).
	MulticastGroups []MulticastGroup

	// VIFs maps a logical port (Interface external_ids:iface-id of an
	// interface on br-int that has an ofport) to that ofport.
	VIFs map[string]uint16

	// VIFMTU maps a logical port to the MTU (Interface.mtu) of its local
	// VIF; it sizes the path-MTU checks of multichassis ports.
	VIFMTU map[string]uint16

	// ActivatedPorts are the logical ports pinctrl has seen activated (a
	// RARP arrived) on this chassis, for activation-strategy=rarp.
	ActivatedPorts map[string]bool

	// PatchPorts maps a localnet or l2gateway logical port to the ofport of
	// the patch port created for it on br-int (patch-br-int-to-<lport>,
	// external_ids ovn-localnet-port / ovn-l2gateway-port).
	PatchPorts map[string]uint16

	// Tunnels are the tunnel ports on br-int (external_ids:ovn-chassis-id =
	// "<chassis>@<ip>").
	Tunnels []Tunnel

	// VTEPChassis are the Chassis rows with other_config:is-vtep=true.
	VTEPChassis []string

	// CTZones is br-int's external_ids ct-zone-* with the "ct-zone-" prefix
	// removed: logical port name → zone, and "<datapath UUID>_dnat" /
	// "<datapath UUID>_snat" → NAT zones.
	CTZones map[string]uint16

	// ActiveTunnels are the chassis whose tunnel BFD session is up; it
	// decides which HA chassis group member is active.
	ActiveTunnels []string

	// ChassisMACs is this chassis' ovn-chassis-mac-mappings
	// (physical network name → MAC). RemoteChassisMACs lists, for every
	// other Chassis row with ovn-chassis-mac-mappings, its MACs.
	ChassisMACs       map[string]string
	RemoteChassisMACs []RemoteChassisMAC

	// DropCollectorSet is SB_Global options:debug_drop_collector_set when
	// br-int has a Flow_Sample_Collector_Set row with that id (0
	// otherwise), DropDomainID options:debug_drop_domain_id; when the set
	// is non-zero every drop flow samples the packet first.
	DropCollectorSet uint32
	DropDomainID     uint32

	// GeneveField is the tun_metadata slot negotiated for OVN's Geneve
	// option (class 0x0102 type 0x80); 0 means tun_metadata0.
	GeneveField int
}

// Datapath is one local Datapath_Binding.
type Datapath struct {
	UUID      string
	TunnelKey uint32
	// IsTransitSwitch is external_ids:interconn-ts being set (OVN-IC): patch ports of
	// its multicast groups are delivered locally.
	IsTransitSwitch bool
}

// PortBinding is one Port_Binding row.
type PortBinding struct {
	UUID        string
	LogicalPort string
	// Type is the SB type.
	Type        pipeline.PortType
	TunnelKey   uint32
	DatapathKey uint32
	// Chassis is the bound chassis' name ("" when unbound);
	// AdditionalChassis the names in additional_chassis.
	Chassis           string
	AdditionalChassis []string
	// EncapIP is Port_Binding.encap's ip ("" when unset).
	EncapIP    string
	Options    map[string]string
	ParentPort string
	Tag        uint16 // 0: no tag
	MAC        []string
	// HAChassis are the members of the ha_chassis_group (any order) and
	// HARefChassis the group's ref_chassis names.
	HAChassis    []HAChassis
	HARefChassis []string
}

// HAChassis is one member of an HA_Chassis_Group; Chassis is "" when the
// member's chassis reference no longer resolves. It is tunnel's, whose
// HAGroupIsActive decides which member is active.
type HAChassis = tunnel.HAChassis

// MulticastGroup is one Multicast_Group row; Ports are the member logical
// port names, in any order (the actions follow the members' UUID order, as
// OVSDB orders the set).
type MulticastGroup struct {
	UUID        string
	Name        string
	DatapathKey uint32
	TunnelKey   uint32
	Ports       []string
}

// Tunnel is a tunnel port on br-int towards one remote chassis encap.
type Tunnel struct {
	Chassis string
	IP      string
	Type    string // "geneve", "vxlan" or "stt"
	OFPort  uint16
}

// RemoteChassisMAC is one remote chassis and its chassis MACs.
type RemoteChassisMAC struct {
	UUID    string
	Chassis string
	// MACs are the MAC values of its ovn-chassis-mac-mappings
	// ("physnet:MAC,..."), in the order written.
	MACs []string
}
