// Package sbinput converts Southbound rows as the agent's OVSDB client holds
// them (agent/db/sbdb models) into agent/lflow's input types. It only maps
// fields: what is local, related or resident on this chassis comes from
// the caller (the binding/local-datapath logic), as do chassis names for
// Chassis row references.
package sbinput

import (
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/lflow"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// LogicalFlow converts a Logical_Flow row.
func LogicalFlow(r *sbdb.LogicalFlow) lflow.LogicalFlow {
	f := lflow.LogicalFlow{
		UUID: r.UUID, TableID: r.TableID, Priority: r.Priority,
		Match: r.Match, Actions: r.Actions,
		ControllerMeter: deref(r.ControllerMeter),
		Datapath:        deref(r.LogicalDatapath),
		DPGroup:         deref(r.LogicalDpGroup),
		InOutPort:       r.Tags["in_out_port"],
	}
	if r.Pipeline == sbdb.LogicalFlowPipelineEgress {
		f.Pipeline = lflow.Egress
	}
	return f
}

// Datapath converts a Datapath_Binding row; local says whether it is one of
// this chassis' local datapaths.
func Datapath(r *sbdb.DatapathBinding, local bool) lflow.Datapath {
	return lflow.Datapath{UUID: r.UUID, TunnelKey: uint32(r.TunnelKey), ExternalIDs: r.ExternalIDs, Local: local}
}

// PortBinding converts a Port_Binding row. chassisName maps a Chassis row
// UUID to its name; resident and related are this chassis' view of the
// port (see lflow.PortBinding).
func PortBinding(r *sbdb.PortBinding, chassisName func(uuid string) string, resident, related bool) lflow.PortBinding {
	p := lflow.PortBinding{
		UUID: r.UUID, Name: r.LogicalPort, Datapath: r.Datapath, TunnelKey: uint32(r.TunnelKey),
		Type: pipeline.PortType(r.Type), Resident: resident, Related: related,
		MACs: r.MAC, PortSecurity: r.PortSecurity,
	}
	if r.Chassis != nil && chassisName != nil {
		p.Chassis = chassisName(*r.Chassis)
	}
	return p
}

// MulticastGroup converts a Multicast_Group row.
func MulticastGroup(r *sbdb.MulticastGroup) lflow.MulticastGroup {
	return lflow.MulticastGroup{Name: r.Name, Datapath: r.Datapath, TunnelKey: uint32(r.TunnelKey)}
}

// MACBinding converts a MAC_Binding row.
func MACBinding(r *sbdb.MACBinding) lflow.MACBinding {
	return lflow.MACBinding{UUID: r.UUID, LogicalPort: r.LogicalPort, IP: r.IP, MAC: r.MAC}
}

// StaticMACBinding converts a Static_MAC_Binding row.
func StaticMACBinding(r *sbdb.StaticMACBinding) lflow.MACBinding {
	return lflow.MACBinding{UUID: r.UUID, LogicalPort: r.LogicalPort, IP: r.IP, MAC: r.MAC,
		Static: true, OverrideDynamicMAC: r.OverrideDynamicMAC}
}

// FDB converts an FDB row.
func FDB(r *sbdb.FDB) lflow.FDB {
	return lflow.FDB{UUID: r.UUID, MAC: r.MAC, DPKey: uint32(r.DpKey), PortKey: uint32(r.PortKey)}
}

// LoadBalancer converts a Load_Balancer row.
func LoadBalancer(r *sbdb.LoadBalancer) lflow.LoadBalancer {
	return lflow.LoadBalancer{UUID: r.UUID, VIPs: r.Vips, Protocol: deref(r.Protocol), Options: r.Options,
		Datapaths: r.Datapaths, DPGroup: deref(r.DatapathGroup)}
}

// Meter converts a Meter row; band looks up its Meter_Band rows by UUID.
func Meter(r *sbdb.Meter, band func(uuid string) *sbdb.MeterBand) lflow.Meter {
	m := lflow.Meter{Name: r.Name, Unit: r.Unit}
	for _, u := range r.Bands {
		if b := band(u); b != nil {
			m.Bands = append(m.Bands, lflow.MeterBand{Rate: uint32(b.Rate), BurstSize: uint32(b.BurstSize)})
		}
	}
	return m
}

// TemplateVars returns the variables of this chassis' Chassis_Template_Var
// row (chassis is the Chassis name the row is keyed by).
func TemplateVars(rows []sbdb.ChassisTemplateVar, chassis string) map[string]string {
	for _, r := range rows {
		if r.Chassis == chassis {
			return r.Variables
		}
	}
	return map[string]string{}
}

// LBHairpinUseCTLabel reads SB_Global options:lb_hairpin_use_ct_mark
// (default true, i.e. ct_mark).
func LBHairpinUseCTLabel(g *sbdb.SBGlobal) bool {
	return g != nil && g.Options["lb_hairpin_use_ct_mark"] == "false"
}
