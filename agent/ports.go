package agent

import (
	"context"
	"fmt"
	"slices"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/chassisd/chassisd/agent/config"
	"github.com/chassisd/chassisd/agent/db"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
	"github.com/chassisd/chassisd/tunnel"
)

// ovsBridges reads every bridge with its ports and interfaces in the shape
// the tunnel planners take, plus the Port rows by name for each bridge and
// the Interface rows by name.
func ovsBridges(ctx context.Context, cl client.Client) ([]tunnel.Bridge, map[string]map[string]vswitchd.Port, map[string]*vswitchd.Interface, error) {
	var brs []vswitchd.Bridge
	if err := cl.List(ctx, &brs); err != nil {
		return nil, nil, nil, fmt.Errorf("read Bridge table: %w", err)
	}
	var ports []vswitchd.Port
	if err := cl.List(ctx, &ports); err != nil {
		return nil, nil, nil, fmt.Errorf("read Port table: %w", err)
	}
	var ifaces []vswitchd.Interface
	if err := cl.List(ctx, &ifaces); err != nil {
		return nil, nil, nil, fmt.Errorf("read Interface table: %w", err)
	}
	portByUUID := make(map[string]*vswitchd.Port, len(ports))
	for i := range ports {
		portByUUID[ports[i].UUID] = &ports[i]
	}
	ifaceByUUID := make(map[string]*vswitchd.Interface, len(ifaces))
	for i := range ifaces {
		ifaceByUUID[ifaces[i].UUID] = &ifaces[i]
	}
	out := make([]tunnel.Bridge, 0, len(brs))
	rows := map[string]map[string]vswitchd.Port{}
	for _, br := range brs {
		tb := tunnel.Bridge{Name: br.Name}
		rows[br.Name] = map[string]vswitchd.Port{}
		for _, pu := range br.Ports {
			p := portByUUID[pu]
			if p == nil {
				continue
			}
			rows[br.Name][p.Name] = *p
			tp := tunnel.Port{Name: p.Name, ExternalIDs: p.ExternalIDs}
			for _, iu := range p.Interfaces {
				if ifc := ifaceByUUID[iu]; ifc != nil {
					ofport := 0
					if ifc.Ofport != nil {
						ofport = *ifc.Ofport
					}
					tp.Interfaces = append(tp.Interfaces, tunnel.Interface{Name: ifc.Name, Type: ifc.Type, Options: ifc.Options, OFPort: ofport})
				}
			}
			tb.Ports = append(tb.Ports, tp)
		}
		out = append(out, tb)
	}
	byName := make(map[string]*vswitchd.Interface, len(ifaces))
	for i := range ifaces {
		byName[ifaces[i].Name] = &ifaces[i]
	}
	return out, rows, byName, nil
}

// syncTunnelsAndPatches keeps the tunnel ports to the other chassis and the
// patch ports to provider bridges in step with the Southbound database.
func (a *Agent) syncTunnelsAndPatches(ctx context.Context, sbCl, ovsCl client.Client, ovsRow *vswitchd.OpenvSwitch, cfg config.Config, patchBindings []tunnel.PatchBinding) error {
	bridges, rows, _, err := ovsBridges(ctx, ovsCl)
	if err != nil {
		return err
	}
	var brInt tunnel.Bridge
	for _, b := range bridges {
		if b.Name == cfg.Bridge {
			brInt = b
		}
	}
	remotes, err := remoteChassis(ctx, sbCl)
	if err != nil {
		return err
	}
	encaps := make([]tunnel.Encap, 0, len(cfg.EncapIPs)*len(cfg.EncapTypes))
	for _, t := range cfg.EncapTypes {
		for _, ip := range cfg.EncapIPs {
			encaps = append(encaps, tunnel.Encap{Type: t, IP: ip, Options: map[string]string{"csum": cfg.EncapCsum}})
		}
	}
	ipsec, ipsecEncap, ipsecForce, err := sbIPsec(ctx, sbCl)
	if err != nil {
		return err
	}
	tplan := tunnel.PlanTunnels(tunnel.Config{
		ChassisName: cfg.ChassisName, Encaps: encaps, IsInterconn: cfg.IsInterconn,
		ChassisIdx: ovsRow.OtherConfig["ovn-chassis-idx-"+cfg.ChassisName], TransportZones: cfg.TransportZones,
		EncapTOS: cfg.EncapTOS, EncapDFDefault: cfg.EncapDFDefault, SetLocalIP: cfg.SetLocalIP,
		IPsec: ipsec, IPsecEncapsulation: ipsecEncap, IPsecForceEncaps: ipsecForce,
	}, remotes, brInt)
	a.logOnce("tunnel", tplan.Warnings)

	pplan := tunnel.PlanPatchPorts(tunnel.PatchConfig{
		ChassisName: cfg.ChassisName, IntegrationBridge: cfg.Bridge, BridgeMappings: cfg.RawBridgeMappings,
	}, patchBindings, bridges)
	a.logOnce("patch", pplan.Warnings)

	var ops []ovsdb.Operation
	for _, name := range tplan.Remove {
		op, err := removePortOps(ctx, ovsCl, cfg.Bridge, rows[cfg.Bridge][name])
		if err != nil {
			return err
		}
		ops = append(ops, op...)
		a.log.Info("removing tunnel port", "port", name)
	}
	for i, tp := range tplan.Add {
		op, err := addPortOps(ovsCl, bridgeUUID(ctx, ovsCl, cfg.Bridge), fmt.Sprintf("tun%d", i), tp.Name, tp.Type, tp.Options, tp.ExternalIDs())
		if err != nil {
			return err
		}
		ops = append(ops, op...)
		a.log.Info("adding tunnel port", "port", tp.Name, "remote", tp.ID(), "type", tp.Type)
	}
	if a.patchRemovalsAllowed() {
		for _, ref := range pplan.Remove {
			if p, ok := rows[ref.Bridge][ref.Port]; ok {
				op, err := removePortOps(ctx, ovsCl, ref.Bridge, p)
				if err != nil {
					return err
				}
				ops = append(ops, op...)
				a.log.Info("removing patch port", "bridge", ref.Bridge, "port", ref.Port)
			}
		}
	}
	for i, pp := range pplan.Add {
		op, err := addPortOps(ovsCl, bridgeUUID(ctx, ovsCl, pp.Bridge), fmt.Sprintf("patch%d", i), pp.Name, "patch", pp.Options(), pp.ExternalIDs())
		if err != nil {
			return err
		}
		ops = append(ops, op...)
		a.log.Info("adding patch port", "bridge", pp.Bridge, "port", pp.Name, "peer", pp.Peer)
	}
	if len(ops) == 0 {
		return nil
	}
	if _, err := db.Transact(ctx, ovsCl, ops...); err != nil {
		return fmt.Errorf("tunnel and patch ports: %w", err)
	}
	return nil
}

// patchRemovalsAllowed holds stale patch port removal back until the
// first Southbound epoch has been processed, so a restart does not remove
// ports before the agent has seen the whole database.
func (a *Agent) patchRemovalsAllowed() bool { return a.sbEpoch > 0 }

func (a *Agent) logOnce(kind string, warnings []string) {
	for _, w := range warnings {
		key := kind + ": " + w
		if !a.logged[key] {
			a.logged[key] = true
			a.log.Warn(kind+" configuration problem", "problem", w)
		}
	}
}

func remoteChassis(ctx context.Context, cl client.Client) ([]tunnel.Chassis, error) {
	var chs []sbdb.Chassis
	if err := cl.List(ctx, &chs); err != nil {
		return nil, fmt.Errorf("read Chassis table: %w", err)
	}
	var encs []sbdb.Encap
	if err := cl.List(ctx, &encs); err != nil {
		return nil, fmt.Errorf("read Encap table: %w", err)
	}
	encByUUID := make(map[string]sbdb.Encap, len(encs))
	for _, e := range encs {
		encByUUID[e.UUID] = e
	}
	out := make([]tunnel.Chassis, 0, len(chs))
	for _, c := range chs {
		tc := tunnel.Chassis{Name: c.Name, TransportZones: c.TransportZones, OtherConfig: c.OtherConfig}
		for _, eu := range c.Encaps {
			if e, ok := encByUUID[eu]; ok {
				tc.Encaps = append(tc.Encaps, tunnel.Encap{Type: e.Type, IP: e.IP, Options: e.Options})
			}
		}
		out = append(out, tc)
	}
	return out, nil
}

func bridgeUUID(ctx context.Context, cl client.Client, name string) string {
	br, err := findBridge(ctx, cl, name)
	if err != nil || br == nil {
		return ""
	}
	return br.UUID
}

// addPortOps inserts a Port with one Interface of the given type into a
// bridge.
func addPortOps(cl client.Client, bridgeUUID, tag, name, typ string, options, externalIDs map[string]string) ([]ovsdb.Operation, error) {
	if bridgeUUID == "" {
		return nil, fmt.Errorf("add port %s: bridge not found", name)
	}
	iface := &vswitchd.Interface{UUID: "if" + tag, Name: name, Type: typ, Options: options}
	port := &vswitchd.Port{UUID: "port" + tag, Name: name, Interfaces: []string{iface.UUID}, ExternalIDs: externalIDs}
	ops, err := cl.Create(iface, port)
	if err != nil {
		return nil, fmt.Errorf("build insert of port %s: %w", name, err)
	}
	br := &vswitchd.Bridge{UUID: bridgeUUID}
	mut, err := cl.Where(br).Mutate(br, model.Mutation{Field: &br.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{port.UUID}})
	if err != nil {
		return nil, fmt.Errorf("build attach of port %s: %w", name, err)
	}
	return append(ops, mut...), nil
}

// removePortOps detaches a Port from its bridge; OVSDB garbage-collects the
// Port and its Interfaces.
func removePortOps(ctx context.Context, cl client.Client, bridge string, p vswitchd.Port) ([]ovsdb.Operation, error) {
	if p.UUID == "" {
		return nil, nil
	}
	row, err := findBridge(ctx, cl, bridge)
	if err != nil || row == nil {
		return nil, fmt.Errorf("remove port %s: bridge %s not found", p.Name, bridge)
	}
	if !slices.Contains(row.Ports, p.UUID) {
		return nil, nil
	}
	br := &vswitchd.Bridge{UUID: row.UUID}
	ops, err := cl.Where(br).Mutate(br, model.Mutation{Field: &br.Ports, Mutator: ovsdb.MutateOperationDelete, Value: []string{p.UUID}})
	if err != nil {
		return nil, fmt.Errorf("build removal of port %s: %w", p.Name, err)
	}
	return ops, nil
}

// sbIPsec reads SB_Global's IPsec settings for the tunnel planner.
func sbIPsec(ctx context.Context, cl client.Client) (enabled, encapsulation, force bool, err error) {
	var globals []sbdb.SBGlobal
	if err := cl.List(ctx, &globals); err != nil {
		return false, false, false, fmt.Errorf("read SB_Global: %w", err)
	}
	if len(globals) == 0 {
		return false, false, false, nil
	}
	g := globals[0]
	return g.Ipsec, g.Options["ipsec_encapsulation"] == "true", g.Options["ipsec_forceencaps"] == "true", nil
}
