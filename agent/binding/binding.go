// Package binding decides which Port_Bindings this chassis claims and
// releases, following ovn-controller's rules (controller/binding.c): a VIF
// is claimed when an OVS interface carries external_ids:iface-id=<port>
// with a valid ofport and the port's requested chassis allows it; gateway
// ports follow their options and HA groups; localports are never claimed.
//
// It is pure: the agent passes snapshots in and turns the Plan into
// database operations.
package binding

import (
	"slices"
	"sort"
	"strings"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// Interface is an OVS interface on the integration bridge that names a
// logical port.
type Interface struct {
	UUID    string
	Name    string
	IfaceID string
	OFPort  int
	// Installed reports external_ids:ovn-installed=true.
	Installed bool
}

// Port is the part of a Port_Binding the decision needs.
type Port struct {
	UUID        string
	LogicalPort string
	Type        pipeline.PortType
	Datapath    string
	// Chassis is the UUID of the Chassis holding the port, "" when unbound.
	Chassis string
	// RequestedChassis is the UUID in the requested_chassis column.
	RequestedChassis string
	Options          map[string]string
	ParentPort       string
	Tag              int
	HasTag           bool
	// Up is nil when the server's schema lacks the column.
	Up *bool
	// HAChassis lists the chassis names of the port's HA group, highest
	// priority first.
	HAChassis []string
}

// Self identifies this chassis.
type Self struct {
	Name     string
	Hostname string
	UUID     string
}

// Plan is what the agent must write.
type Plan struct {
	// Claim: set Port_Binding.chassis to this chassis.
	Claim []*Port
	// Release: clear Port_Binding.chassis and up.
	Release []*Port
	// Local maps each logical port bound (or being bound) here to its
	// interface, for ports that have one.
	Local map[string]*Interface
	// Bound lists the ports this chassis holds after the plan is applied.
	Bound []*Port
	// Duplicates lists interfaces ignored because an earlier interface
	// (by name) already names the same logical port.
	Duplicates []*Interface
}

// Compute returns the binding plan for the given snapshot.
func Compute(self Self, ifaces []*Interface, ports []*Port) Plan {
	byLport := map[string]*Interface{}
	sorted := slices.Clone(ifaces)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var dups []*Interface
	for _, ifc := range sorted {
		if ifc.IfaceID == "" || ifc.OFPort <= 0 {
			continue
		}
		if _, seen := byLport[ifc.IfaceID]; seen {
			dups = append(dups, ifc)
			continue
		}
		byLport[ifc.IfaceID] = ifc
	}

	plan := Plan{Local: map[string]*Interface{}, Duplicates: dups}
	byName := map[string]*Port{}
	for _, pb := range ports {
		byName[pb.LogicalPort] = pb
	}
	for _, pb := range ports {
		want := wantsHere(self, pb, byLport, byName)
		ours := pb.Chassis != "" && pb.Chassis == self.UUID
		switch {
		case want && !ours:
			plan.Claim = append(plan.Claim, pb)
			plan.Bound = append(plan.Bound, pb)
		case want && ours:
			plan.Bound = append(plan.Bound, pb)
		case !want && ours:
			plan.Release = append(plan.Release, pb)
		}
		if want {
			if ifc, ok := byLport[pb.LogicalPort]; ok {
				plan.Local[pb.LogicalPort] = ifc
			}
		}
	}
	return plan
}

func wantsHere(self Self, pb *Port, ifaces map[string]*Interface, ports map[string]*Port) bool {
	switch pb.Type {
	case pipeline.PortVIF:
		if pb.ParentPort != "" {
			// A nested container port binds under its parent's
			// interface once the parent is bound here.
			parent, ok := ports[pb.ParentPort]
			return ok && pb.HasTag && parent.Type == pipeline.PortVIF && wantsHere(self, parent, ifaces, ports)
		}
		if _, ok := ifaces[pb.LogicalPort]; !ok {
			return false
		}
		return requestedHere(self, pb)
	case pipeline.PortL2Gateway:
		return pb.Options["l2gateway-chassis"] == self.Name
	case pipeline.PortL3Gateway:
		return pb.Options["l3gateway-chassis"] == self.Name
	case pipeline.PortChassisRedirect, pipeline.PortExternal:
		return len(pb.HAChassis) > 0 && pb.HAChassis[0] == self.Name
	default:
		// localport, patch, localnet, vtep, remote, virtual (bound by
		// the controller on bind_vport) are never claimed here.
		return false
	}
}

// requestedHere applies the requested_chassis column, then
// options:requested-chassis (a list whose first entry is the main chassis,
// matched by name or hostname).
func requestedHere(self Self, pb *Port) bool {
	if pb.RequestedChassis != "" {
		return pb.RequestedChassis == self.UUID
	}
	req := pb.Options["requested-chassis"]
	if req == "" {
		return true
	}
	main, _, _ := strings.Cut(req, ",")
	main = strings.TrimSpace(main)
	return main == self.Name || (self.Hostname != "" && main == self.Hostname)
}
