package agent

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/metrics"
	"github.com/chassisd/chassisd/tunnel"
)

// dumpLocalBindings is debug/dump-local-bindings: each interface on br-int
// with an iface-id, its OVS interface and the logical ports bound through
// it (primary or localport first, then children), in ovn-controller's
// format.
func (a *Agent) dumpLocalBindings(ctx context.Context) (string, error) {
	var b strings.Builder
	b.WriteString("Local bindings:\n")
	ovsCl, _ := a.ovs.Client()
	sbCl, _ := a.sb.Client()
	if ovsCl == nil || a.cfg == nil {
		return b.String(), nil
	}
	bridges, _, ifaces, err := ovsBridges(ctx, ovsCl)
	if err != nil {
		return "", err
	}
	type local struct{ name, iface string }
	var locals []local
	for _, br := range bridges {
		if br.Name != a.cfg.Bridge {
			continue
		}
		for _, p := range br.Ports {
			for _, ifc := range p.Interfaces {
				if row := ifaces[ifc.Name]; row != nil && row.ExternalIDs["iface-id"] != "" {
					locals = append(locals, local{row.ExternalIDs["iface-id"], ifc.Name})
				}
			}
		}
	}
	slices.SortFunc(locals, func(x, y local) int { return strings.Compare(x.name, y.name) })
	var pbs []sbdb.PortBinding
	if sbCl != nil {
		if err := sbCl.List(ctx, &pbs); err != nil {
			return "", fmt.Errorf("read Port_Binding: %w", err)
		}
	}
	for _, l := range locals {
		var primary *sbdb.PortBinding
		type child struct{ name, kind string }
		var children []child
		for i := range pbs {
			pb := &pbs[i]
			switch {
			case pb.LogicalPort == l.name && (pb.Type == "" || pb.Type == "localport"):
				primary = pb
			case pb.ParentPort != nil && *pb.ParentPort == l.name && pb.Type == "":
				children = append(children, child{pb.LogicalPort, "CONTAINER"})
			case pb.VirtualParent != nil && *pb.VirtualParent == l.name && pb.Type == "virtual":
				children = append(children, child{pb.LogicalPort, "VIRTUAL"})
			}
		}
		n := len(children)
		if primary != nil {
			n++
		}
		fmt.Fprintf(&b, "name: [%s], OVS interface name : [%s], num binding lports : [%d]\n", l.name, l.iface, n)
		if n > 0 {
			switch {
			case primary != nil && primary.Type == "":
				fmt.Fprintf(&b, "primary lport : [%s]\n", primary.LogicalPort)
			case primary != nil:
				fmt.Fprintf(&b, "localport lport : [%s]\n", primary.LogicalPort)
			default:
				b.WriteString("no primary lport\n")
			}
			slices.SortFunc(children, func(x, y child) int { return strings.Compare(x.name, y.name) })
			for i, c := range children {
				fmt.Fprintf(&b, "child lport[%d] : [%s], type : [%s]\n", i+1, c.name, c.kind)
			}
		}
		b.WriteString("----------------------------------------\n")
	}
	return b.String(), nil
}

// dumpLocalTemplateVars is debug/dump-local-template-vars: this chassis'
// Chassis_Template_Var variables.
func (a *Agent) dumpLocalTemplateVars(ctx context.Context) (string, error) {
	var b strings.Builder
	b.WriteString("Local template vars:\n")
	sbCl, _ := a.sb.Client()
	if sbCl == nil || a.cfg == nil {
		return b.String(), nil
	}
	var vars []sbdb.ChassisTemplateVar
	name := a.cfg.ChassisName
	if err := sbCl.WhereCache(func(v *sbdb.ChassisTemplateVar) bool { return v.Chassis == name }).List(ctx, &vars); err != nil {
		return "", fmt.Errorf("read Chassis_Template_Var: %w", err)
	}
	for _, v := range vars {
		for _, k := range sortedMapKeys(v.Variables) {
			fmt.Fprintf(&b, "name: '%s' value: '%s'\n", k, v.Variables[k])
		}
	}
	return b.String(), nil
}

// memoryShow is memory/show: "key:value" pairs on one line, as OVS's
// memory reports are.
func (a *Agent) memoryShow(ctx context.Context) (string, error) {
	items := map[string]uint64{}
	err := a.query(ctx, func() {
		if a.flows != nil {
			c := a.flows.ofc.Counts()
			items["ofctrl_desired_flows"] = uint64(c.DesiredFlows)
			items["ofctrl_installed_flows"] = uint64(c.InstalledFlows)
			items["ofctrl_desired_groups"] = uint64(c.DesiredGroups)
			items["ofctrl_desired_meters"] = uint64(c.DesiredMeters)
		}
		items["ct_zones"] = uint64(len(a.zones))
	})
	if err != nil {
		return "", err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	items["go_heap_alloc-KB"] = ms.HeapAlloc / 1024
	items["go_heap_sys-KB"] = ms.HeapSys / 1024
	items["go_sys-KB"] = ms.Sys / 1024
	items["goroutines"] = uint64(runtime.NumGoroutine())
	var parts []string
	for _, k := range sortedMapKeys(items) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, items[k]))
	}
	return strings.Join(parts, " ") + "\n", nil
}

// flowsView is chassisd/flows: desired against installed, and the
// reconciler's counters (drift checks and repairs, rejections).
func (a *Agent) flowsView(ctx context.Context) (string, error) {
	var b strings.Builder
	err := a.query(ctx, func() {
		if a.flows == nil {
			b.WriteString("no integration bridge yet\n")
			return
		}
		c, st := a.flows.ofc.Counts(), a.flows.ofc.Stats()
		fmt.Fprintf(&b, "target: %s\n", a.flows.target)
		fmt.Fprintf(&b, "flows: desired %d installed %d\n", c.DesiredFlows, c.InstalledFlows)
		fmt.Fprintf(&b, "groups: desired %d installed %d\n", c.DesiredGroups, c.InstalledGroups)
		fmt.Fprintf(&b, "meters: desired %d installed %d\n", c.DesiredMeters, c.InstalledMeters)
		fmt.Fprintf(&b, "rejected: %d\n", c.Rejected)
		fmt.Fprintf(&b, "versions: desired %d installed %d\n", a.flows.ofc.DesiredVersion(), a.flows.ofc.InstalledVersion())
		fmt.Fprintf(&b, "connects: %d\nbundles: %d\nflow-mods: %d\ngroup-mods: %d\nmeter-mods: %d\n",
			st.Connects, st.Bundles, st.FlowMods, st.GroupMods, st.MeterMods)
		fmt.Fprintf(&b, "drift checks: %d\ndrift repairs: %d\n", st.DriftChecks, st.DriftRepairs)
	})
	return b.String(), err
}

// rejectedView is chassisd/rejected-flows: what the switch refused.
func (a *Agent) rejectedView(ctx context.Context) (string, error) {
	var b strings.Builder
	err := a.query(ctx, func() {
		if a.flows == nil {
			return
		}
		for _, r := range a.flows.ofc.Rejections() {
			fmt.Fprintf(&b, "%s: %v\n", r.What, r.Err)
		}
	})
	return b.String(), err
}

// pinctrlView is chassisd/pinctrl-stats: pinctrl's queues.
func (a *Agent) pinctrlView(ctx context.Context) (string, error) {
	var b strings.Builder
	err := a.query(ctx, func() {
		if a.pinctrl == nil {
			b.WriteString("pinctrl not started\n")
			return
		}
		s := a.pinctrl.p.Stats()
		fmt.Fprintf(&b, "connected: %t\npending MAC bindings: %d\ndropped MAC bindings: %d\npending FDB entries: %d\n"+
			"next hops being resolved: %d\nbuffered packets: %d\nGARP/RARP targets: %d\n",
			s.Connected, s.PendingMACs, s.DroppedMACs, s.PendingFDB, s.BufferedNextHops, s.BufferedPackets, s.GARPTargets)
	})
	return b.String(), err
}

// MetricsSnapshot reports the agent's state for the ovn_controller_*
// series (metrics.Source).
func (a *Agent) MetricsSnapshot(ctx context.Context) (metrics.Snapshot, error) {
	var s metrics.Snapshot
	if cl, _ := a.sb.Client(); cl != nil && cl.Connected() {
		s.SBConnected = true
	}
	var sbGlobal int
	if cl, _ := a.sb.Client(); cl != nil {
		var globals []sbdb.SBGlobal
		if cl.List(ctx, &globals) == nil && len(globals) > 0 {
			sbGlobal = globals[0].NbCfg
		}
	}
	var brInt string
	err := a.query(ctx, func() {
		if a.cfg != nil {
			brInt = a.cfg.Bridge
			s.Remote = a.cfg.Remote
			s.RemoteProbeInterval = a.cfg.ProbeInterval
			s.MonitorAll = a.cfg.MonitorAll
			s.EncapIPs = slices.Clone(a.cfg.EncapIPs)
			s.EncapTypes = slices.Clone(a.cfg.EncapTypes)
			s.BridgeMappings = a.cfg.RawBridgeMappings
		}
		s.NbCfg = int64(sbGlobal)
		if a.flows != nil {
			c, st := a.flows.ofc.Counts(), a.flows.ofc.Stats()
			s.IntegrationBridgeFlows, s.DesiredFlows = c.InstalledFlows, c.DesiredFlows
			s.OpenFlowRejections, s.DriftRepairs = st.Rejections, st.DriftRepairs
			if n, ok := a.flows.installedNbCfg(); ok {
				s.NbCfgInstalled = int64(n)
			}
		}
	})
	if err != nil {
		return s, err
	}
	if cl, _ := a.ovs.Client(); cl != nil && brInt != "" {
		if bridges, _, _, err := ovsBridges(ctx, cl); err == nil {
			s.PatchPorts, s.GenevePorts = countPorts(bridges, brInt)
		}
	}
	return s, nil
}

func countPorts(bridges []tunnel.Bridge, brInt string) (patch, geneve int) {
	for _, br := range bridges {
		if br.Name != brInt {
			continue
		}
		for _, p := range br.Ports {
			for _, ifc := range p.Interfaces {
				switch ifc.Type {
				case "patch":
					patch++
				case "geneve":
					geneve++
				}
			}
		}
	}
	return patch, geneve
}

// Alive answers /healthz: the main loop takes a query.
func (a *Agent) Alive(ctx context.Context) error {
	return a.query(ctx, func() {})
}

// Ready answers /readyz: the Southbound database is connected and br-int
// holds the flows of the current SB_Global.nb_cfg.
func (a *Agent) Ready(ctx context.Context) error {
	s, err := a.MetricsSnapshot(ctx)
	if err != nil {
		return err
	}
	if !s.SBConnected {
		return errors.New("southbound database not connected")
	}
	var installed bool
	if err := a.query(ctx, func() {
		if a.flows != nil {
			_, installed = a.flows.installedNbCfg()
		}
	}); err != nil {
		return err
	}
	if !installed {
		return errors.New("no flows installed on the integration bridge yet")
	}
	if s.NbCfgInstalled < s.NbCfg {
		return fmt.Errorf("integration bridge programmed to nb_cfg %d, southbound is at %d", s.NbCfgInstalled, s.NbCfg)
	}
	return nil
}
