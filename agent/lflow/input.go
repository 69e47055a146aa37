package lflow

import (
	"github.com/chassisd/chassisd/openflow/actions"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Pipeline is a logical flow's pipeline (Logical_Flow.pipeline).
type Pipeline = actions.Pipeline

// Pipelines.
const (
	Ingress = actions.Ingress
	Egress  = actions.Egress
)

// LogicalFlow is one Southbound Logical_Flow row. Exactly one of Datapath
// and DPGroup is normally set; a flow with neither is ignored.
type LogicalFlow struct {
	UUID     string // Logical_Flow _uuid
	Pipeline Pipeline
	TableID  int
	Priority int
	Match    string
	Actions  string
	// ControllerMeter is the name of the Meter used by the flow's
	// controller actions ("" for none).
	ControllerMeter string
	// Datapath is the logical_datapath (Datapath_Binding _uuid).
	Datapath string
	// DPGroup is the logical_dp_group (Logical_DP_Group _uuid).
	DPGroup string
	// InOutPort is tags:in_out_port.
	InOutPort string
}

// Datapath is one Datapath_Binding row with what this chassis knows about it.
type Datapath struct {
	UUID      string
	TunnelKey uint32
	// ExternalIDs: logical-switch / logical-router say the kind,
	// snat-ct-zone switches the common NAT zone to reg12.
	ExternalIDs map[string]string
	// Local says the datapath is local to this chassis (a port bound here,
	// or reachable through patch ports, ovn-controller's local_datapaths).
	Local bool
}

// IsSwitch reports whether the datapath is a logical switch.
func (d *Datapath) IsSwitch() bool {
	_, ok := d.ExternalIDs["logical-switch"]
	return ok
}

// PortBinding is one Port_Binding row with the chassis-specific facts the
// translation needs.
type PortBinding struct {
	UUID      string // Port_Binding _uuid (cookie of its port security flows)
	Name      string // logical_port
	Datapath  string // Datapath_Binding _uuid
	TunnelKey uint32
	Type      pipeline.PortType
	// Chassis is the name of the chassis the port is bound to ("" if none),
	// used to find the tunnel for fwd_group liveness.
	Chassis string
	// Resident is is_chassis_resident(): bound here, or for a
	// chassisredirect port the active member of its HA group is this one.
	Resident bool
	// Related says the port is a related lport of this chassis
	// (related_lports in controller/binding.c: patch, vtep and localnet
	// ports, localports with an interface here, ports bound here, HA ports
	// whose group includes this chassis).
	Related bool
	// MACs is the mac column ("MAC IP..." entries) and PortSecurity the
	// port_security column; a Resident VIF's port security fills tables
	// 73-75.
	MACs         []string
	PortSecurity []string
}

// MulticastGroup is one Multicast_Group row.
type MulticastGroup struct {
	Name      string
	Datapath  string // Datapath_Binding _uuid
	TunnelKey uint32
}

// Features are the OVS capabilities ovn-controller probes and that change
// the encoding of some actions.
type Features struct {
	DPMeter     bool // controller actions carry meter ids
	CTZeroSNAT  bool // ct_commit adds nat(src)
	DPHashL4Sym bool // select() groups use the L4-symmetric dp_hash
}

// Input is the whole state a full translation needs.
type Input struct {
	Flows []LogicalFlow
	// DPGroups maps a Logical_DP_Group _uuid to its datapaths' _uuids.
	DPGroups        map[string][]string
	Datapaths       []Datapath
	Ports           []PortBinding
	MulticastGroups []MulticastGroup
	// AddressSets maps Address_Set name to addresses.
	AddressSets map[string][]string
	// PortGroups maps the Southbound Port_Group name ("<dp key>_<name>")
	// to its port names; the translation keeps only related ports.
	PortGroups map[string][]string
	// TemplateVars is this chassis' Chassis_Template_Var variables.
	TemplateVars map[string]string
	// ChassisTunnels maps a chassis name to the OpenFlow port of the
	// tunnel to it (fwd_group liveness).
	ChassisTunnels map[string]uint32
	// CollectorSetIDs are the Flow_Sample_Collector_Set ids of br-int.
	CollectorSetIDs map[uint32]bool
	// Meters are the Southbound Meter rows, by name.
	Meters map[string]Meter
	// MACBindings are the MAC_Binding and Static_MAC_Binding rows.
	MACBindings []MACBinding
	// FDBs are the FDB rows.
	FDBs []FDB
	// LoadBalancers are the Load_Balancer rows.
	LoadBalancers []LoadBalancer
	// LBHairpinUseCTLabel is SB_Global options:lb_hairpin_use_ct_mark=false
	// (hairpin flows then test ct_label instead of ct_mark).
	LBHairpinUseCTLabel bool
}

// Meter is one Southbound Meter row.
type Meter struct {
	Name  string
	Unit  string // "kbps" or "pktps"
	Bands []MeterBand
}

// MeterBand is one Meter_Band row (action is always drop).
type MeterBand struct {
	Rate      uint32
	BurstSize uint32
}
