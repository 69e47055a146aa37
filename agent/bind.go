package agent

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/binding"
	"github.com/chassisd/chassisd/agent/config"
	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
	"github.com/chassisd/chassisd/agent/runtime"
	"github.com/chassisd/chassisd/openflow/pipeline"
)

// syncBindings claims and releases Port_Bindings and then marks the ports
// whose flows are in place as installed (Interface ovn-installed) and up
// (Port_Binding.up), in ovn-controller's order.
func (a *Agent) syncBindings(ctx context.Context, sbCl, ovsCl client.Client, br *vswitchd.Bridge, cfg config.Config, ch *sbdb.Chassis) (*bindingState, error) {
	ifaces, ifaceRows, err := bridgeInterfaces(ctx, ovsCl, br)
	if err != nil {
		return nil, err
	}
	pbs, ports, err := portBindings(ctx, sbCl)
	if err != nil {
		return nil, err
	}
	self := binding.Self{Name: cfg.ChassisName, Hostname: cfg.Hostname, UUID: ch.UUID}
	plan := binding.Compute(self, ifaces, ports)
	for _, dup := range plan.Duplicates {
		a.log.Warn("interface names a logical port already bound to another interface; ignoring it",
			"interface", dup.Name, "iface-id", dup.IfaceID)
	}

	var sbOps, ovsOps []ovsdb.Operation
	for _, p := range plan.Claim {
		a.log.Info("claiming lport for this chassis", "lport", p.LogicalPort, "type", p.Type)
		update := &sbdb.PortBinding{UUID: p.UUID, Chassis: &ch.UUID}
		fields := []any{&update.Chassis}
		if p.Type == pipeline.PortVIF && p.Up != nil && *p.Up {
			// Down until this chassis has installed the port.
			down := false
			update.Up = &down
			fields = append(fields, &update.Up)
		}
		op, err := sbCl.Where(update).Update(update, fields...)
		if err != nil {
			return nil, fmt.Errorf("build claim of %s: %w", p.LogicalPort, err)
		}
		sbOps = append(sbOps, op...)
	}
	for _, p := range plan.Release {
		a.log.Info("releasing lport from this chassis", "lport", p.LogicalPort)
		op, err := releaseOps(sbCl, pbs[p.UUID])
		if err != nil {
			return nil, err
		}
		sbOps = append(sbOps, op...)
	}

	nowTS := strconv.FormatInt(time.Now().UnixMilli(), 10)
	installedHere := map[string]bool{}
	for _, p := range plan.Bound {
		if p.Chassis != ch.UUID {
			continue // claimed in this pass; installed in a later one
		}
		ifc := plan.Local[p.LogicalPort]
		if ifc != nil {
			// A port bound here keeps an ovn-installed it already has
			// (a restart or a takeover must not flap it).
			installedHere[ifc.UUID] = true
		}
		if p.Type == pipeline.PortVIF && !a.portFlowsInstalled(p.LogicalPort) {
			continue // up and ovn-installed wait for the port's flows
		}
		if ifc != nil {
			if !ifc.Installed {
				a.log.Info("setting lport ovn-installed in OVS", "lport", p.LogicalPort, "interface", ifc.Name)
				op, err := mutateMap(ovsCl, &vswitchd.Interface{UUID: ifc.UUID}, func(m *vswitchd.Interface) any { return &m.ExternalIDs },
					map[string]string{"ovn-installed": "true", "ovn-installed-ts": nowTS})
				if err != nil {
					return nil, err
				}
				ovsOps = append(ovsOps, op...)
			}
		}
		if p.Up != nil && !*p.Up {
			a.log.Info("setting lport up in Southbound", "lport", p.LogicalPort)
			up := true
			update := &sbdb.PortBinding{UUID: p.UUID, Up: &up}
			op, err := sbCl.Where(update).Update(update, &update.Up)
			if err != nil {
				return nil, fmt.Errorf("build up=true of %s: %w", p.LogicalPort, err)
			}
			sbOps = append(sbOps, op...)
		}
	}
	for _, row := range ifaceRows {
		if _, ok := row.ExternalIDs["ovn-installed"]; ok && !installedHere[row.UUID] {
			op, err := deleteMapKeys(ovsCl, &vswitchd.Interface{UUID: row.UUID}, func(m *vswitchd.Interface) any { return &m.ExternalIDs },
				"ovn-installed", "ovn-installed-ts")
			if err != nil {
				return nil, err
			}
			ovsOps = append(ovsOps, op...)
		}
	}

	if _, err := db.Transact(ctx, sbCl, sbOps...); err != nil {
		return nil, fmt.Errorf("southbound: %w", err)
	}
	if _, err := db.Transact(ctx, ovsCl, ovsOps...); err != nil {
		return nil, fmt.Errorf("local OVS: %w", err)
	}
	return &bindingState{self: self, plan: plan, ports: ports, ifaces: ifaces}, nil
}

// bindingState is the outcome of one binding pass, the input of locality.
type bindingState struct {
	self   binding.Self
	plan   binding.Plan
	ports  []*binding.Port
	ifaces []*binding.Interface
}

// runtimePorts describes every port binding for the locality computation.
func (b *bindingState) runtimePorts() []runtime.Port {
	bound := make(map[string]bool, len(b.plan.Bound))
	for _, p := range b.plan.Bound {
		bound[p.UUID] = true
	}
	withIface := map[string]bool{}
	for _, ifc := range b.ifaces {
		if ifc.OFPort > 0 {
			withIface[ifc.IfaceID] = true
		}
	}
	out := make([]runtime.Port, 0, len(b.ports))
	for _, p := range b.ports {
		out = append(out, runtime.Port{
			Name: p.LogicalPort, Type: p.Type, Datapath: p.Datapath, Options: p.Options,
			BoundHere: bound[p.UUID], InHAGroup: slices.Contains(p.HAChassis, b.self.Name),
			HasLocalInterface: withIface[p.LogicalPort],
		})
	}
	return out
}

// portFlowsInstalled reports whether the switch has confirmed the flows
// computed for a local port.
func (a *Agent) portFlowsInstalled(lport string) bool {
	return a.flows == nil || a.flows.portInstalled(lport)
}

// bridgeInterfaces lists the interfaces of br's ports.
func bridgeInterfaces(ctx context.Context, cl client.Client, br *vswitchd.Bridge) ([]*binding.Interface, []vswitchd.Interface, error) {
	var ports []vswitchd.Port
	if err := cl.WhereCache(func(p *vswitchd.Port) bool { return slices.Contains(br.Ports, p.UUID) }).List(ctx, &ports); err != nil {
		return nil, nil, fmt.Errorf("read Port table: %w", err)
	}
	ifaceUUIDs := map[string]bool{}
	for _, p := range ports {
		for _, i := range p.Interfaces {
			ifaceUUIDs[i] = true
		}
	}
	var rows []vswitchd.Interface
	if err := cl.WhereCache(func(i *vswitchd.Interface) bool { return ifaceUUIDs[i.UUID] }).List(ctx, &rows); err != nil {
		return nil, nil, fmt.Errorf("read Interface table: %w", err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	out := make([]*binding.Interface, 0, len(rows))
	for _, r := range rows {
		id := r.ExternalIDs["iface-id"]
		if id == "" {
			continue
		}
		ofport := -1
		if r.Ofport != nil {
			ofport = *r.Ofport
		}
		out = append(out, &binding.Interface{
			UUID: r.UUID, Name: r.Name, IfaceID: id, OFPort: ofport,
			Installed: r.ExternalIDs["ovn-installed"] == "true",
		})
	}
	return out, rows, nil
}

// portBindings reads Port_Binding with what binding needs (HA groups
// resolved to chassis names by priority).
func portBindings(ctx context.Context, cl client.Client) (map[string]*sbdb.PortBinding, []*binding.Port, error) {
	var rows []sbdb.PortBinding
	if err := cl.List(ctx, &rows); err != nil {
		return nil, nil, fmt.Errorf("read Port_Binding table: %w", err)
	}
	haNames, err := haChassisNames(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	byUUID := make(map[string]*sbdb.PortBinding, len(rows))
	out := make([]*binding.Port, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		byUUID[r.UUID] = r
		p := &binding.Port{
			UUID: r.UUID, LogicalPort: r.LogicalPort, Type: pipeline.PortType(r.Type), Datapath: r.Datapath,
			Chassis: deref(r.Chassis), RequestedChassis: deref(r.RequestedChassis),
			Options: r.Options, ParentPort: deref(r.ParentPort), Up: r.Up,
		}
		if r.Tag != nil {
			p.Tag, p.HasTag = *r.Tag, true
		}
		if r.HaChassisGroup != nil {
			p.HAChassis = haNames[*r.HaChassisGroup]
		}
		out = append(out, p)
	}
	return byUUID, out, nil
}

// haChassisNames maps each HA_Chassis_Group to its members' chassis names,
// highest priority first (ties by name, as ovn-controller orders them).
func haChassisNames(ctx context.Context, cl client.Client) (map[string][]string, error) {
	var groups []sbdb.HAChassisGroup
	if err := cl.List(ctx, &groups); err != nil {
		return nil, fmt.Errorf("read HA_Chassis_Group table: %w", err)
	}
	if len(groups) == 0 {
		return nil, nil
	}
	var members []sbdb.HAChassis
	if err := cl.List(ctx, &members); err != nil {
		return nil, fmt.Errorf("read HA_Chassis table: %w", err)
	}
	var chassis []sbdb.Chassis
	if err := cl.List(ctx, &chassis); err != nil {
		return nil, fmt.Errorf("read Chassis table: %w", err)
	}
	names := map[string]string{}
	for _, c := range chassis {
		names[c.UUID] = c.Name
	}
	byUUID := map[string]sbdb.HAChassis{}
	for _, m := range members {
		byUUID[m.UUID] = m
	}
	out := map[string][]string{}
	for _, g := range groups {
		var ms []sbdb.HAChassis
		for _, u := range g.HaChassis {
			if m, ok := byUUID[u]; ok && m.Chassis != nil && names[*m.Chassis] != "" {
				ms = append(ms, m)
			}
		}
		sort.Slice(ms, func(i, j int) bool {
			if ms[i].Priority != ms[j].Priority {
				return ms[i].Priority > ms[j].Priority
			}
			return names[*ms[i].Chassis] < names[*ms[j].Chassis]
		})
		for _, m := range ms {
			out[g.UUID] = append(out[g.UUID], names[*m.Chassis])
		}
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
