package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ovn-org/libovsdb/client"

	"github.com/chassisd/chassisd/agent/config"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
	"github.com/chassisd/chassisd/agent/explain"
	"github.com/chassisd/chassisd/agent/unixctl"
	"github.com/chassisd/chassisd/openflow/ofctrl"
	"github.com/chassisd/chassisd/tunnel"
)

// explainTimeout bounds one explain command (traces, database reads).
const explainTimeout = 30 * time.Second

// ExplainCommand is the unixctl "explain" command: it traces a packet
// through br-int with ovs-vswitchd's ofproto/trace and explains each step
// from what this agent knows (see package explain).
func (a *Agent) ExplainCommand(args []string) (string, error) {
	req, err := explain.ParseArgs(args)
	if errors.Is(err, explain.ErrHelp) {
		return explain.Usage(), nil
	}
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), explainTimeout)
	defer cancel()
	cat, err := a.explainCatalog(ctx)
	if err != nil {
		return "", err
	}
	sock, err := vswitchdSocket(req.OVSUnixctl, a.ovsRunDir())
	if err != nil {
		return "", err
	}
	trace := func(args ...string) (string, error) {
		return unixctl.Call(ctx, sock, "ofproto/trace", append([]string{cat.Bridge}, args...)...)
	}
	enrich := func(cat *explain.Catalog, tr *explain.Trace) error {
		return a.enrichCatalog(ctx, cat, tr, req.NBDB)
	}
	ex, err := explain.Run(cat, req, trace, enrich)
	if err != nil {
		return "", err
	}
	if req.JSON {
		return ex.JSON()
	}
	return ex.Text(req.Verbose), nil
}

// vswitchdSocket finds ovs-vswitchd's control socket the way ovs-appctl
// does: <rundir>/ovs-vswitchd.pid names the process, whose socket is
// ovs-vswitchd.<pid>.ctl; a daemon started with --unixctl=<rundir>/
// ovs-vswitchd.ctl and no pidfile is found too.
func vswitchdSocket(given, runDir string) (string, error) {
	if given != "" {
		return given, nil
	}
	if b, err := os.ReadFile(filepath.Join(runDir, "ovs-vswitchd.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			p := filepath.Join(runDir, fmt.Sprintf("ovs-vswitchd.%d.ctl", pid))
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	if p := filepath.Join(runDir, "ovs-vswitchd.ctl"); fileExists(p) {
		return p, nil
	}
	if m, _ := filepath.Glob(filepath.Join(runDir, "ovs-vswitchd.*.ctl")); len(m) == 1 {
		return m[0], nil
	}
	return "", fmt.Errorf("no ovs-vswitchd control socket in %s (no ovs-vswitchd.pid); give --ovs-unixctl", runDir)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// explainCatalog gathers what resolving a packet needs: this chassis,
// the datapaths and port bindings, and br-int's interfaces.
func (a *Agent) explainCatalog(ctx context.Context) (*explain.Catalog, error) {
	ovsCl, _ := a.ovs.Client()
	if ovsCl == nil {
		return nil, errors.New("not connected to the local Open_vSwitch database")
	}
	sbCl, _ := a.sb.Client()
	if sbCl == nil {
		return nil, errors.New("not connected to the Southbound database")
	}
	row, err := openVSwitchRow(ctx, ovsCl)
	if err != nil {
		return nil, err
	}
	cfg, _, err := config.Parse(row.ExternalIDs, a.opts.ChassisName, a.opts.Hostname)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	cat := &explain.Catalog{Chassis: cfg.ChassisName, Bridge: cfg.Bridge}
	if err := explainInterfaces(ctx, ovsCl, cat); err != nil {
		return nil, err
	}
	var dps []sbdb.DatapathBinding
	var pbs []sbdb.PortBinding
	var chassis []sbdb.Chassis
	var lbs []sbdb.LoadBalancer
	for _, l := range []struct {
		name string
		dst  any
	}{{"Datapath_Binding", &dps}, {"Port_Binding", &pbs}, {"Chassis", &chassis}, {"Load_Balancer", &lbs}} {
		if err := sbCl.List(ctx, l.dst); err != nil {
			return nil, fmt.Errorf("read %s table: %w", l.name, err)
		}
	}
	chassisName := make(map[string]string, len(chassis))
	for _, c := range chassis {
		chassisName[c.UUID] = c.Name
	}
	dpKey := make(map[string]uint32, len(dps))
	for _, d := range dps {
		dpKey[d.UUID] = uint32(d.TunnelKey)
		_, router := d.ExternalIDs["logical-router"]
		cat.Datapaths = append(cat.Datapaths, explain.Datapath{UUID: d.UUID, Key: uint32(d.TunnelKey),
			Name: d.ExternalIDs["name"], DisplayName: d.ExternalIDs["name2"], Router: router})
	}
	for _, p := range pbs {
		port := explain.Port{UUID: p.UUID, Name: p.LogicalPort, Datapath: dpKey[p.Datapath], Key: uint32(p.TunnelKey),
			Type: p.Type, MAC: p.MAC, PortSecurity: p.PortSecurity, Options: p.Options, ExternalIDs: p.ExternalIDs}
		if p.Chassis != nil {
			port.Chassis = chassisName[*p.Chassis]
		}
		cat.Ports = append(cat.Ports, port)
	}
	for _, lb := range lbs {
		e := explain.LoadBalancer{UUID: lb.UUID, Name: lb.Name, VIPs: lb.Vips, ExternalIDs: lb.ExternalIDs}
		if lb.Protocol != nil {
			e.Protocol = string(*lb.Protocol)
		}
		cat.LoadBalancers = append(cat.LoadBalancers, e)
	}
	return cat, nil
}

// explainInterfaces lists the integration bridge's interfaces.
func explainInterfaces(ctx context.Context, cl client.Client, cat *explain.Catalog) error {
	var bridges []vswitchd.Bridge
	var ports []vswitchd.Port
	var ifaces []vswitchd.Interface
	for _, l := range []struct {
		name string
		dst  any
	}{{"Bridge", &bridges}, {"Port", &ports}, {"Interface", &ifaces}} {
		if err := cl.List(ctx, l.dst); err != nil {
			return fmt.Errorf("read %s table: %w", l.name, err)
		}
	}
	portByUUID := make(map[string]*vswitchd.Port, len(ports))
	for i := range ports {
		portByUUID[ports[i].UUID] = &ports[i]
	}
	ifByUUID := make(map[string]*vswitchd.Interface, len(ifaces))
	for i := range ifaces {
		ifByUUID[ifaces[i].UUID] = &ifaces[i]
	}
	for _, br := range bridges {
		if br.Name != cat.Bridge {
			continue
		}
		for _, pu := range br.Ports {
			p := portByUUID[pu]
			if p == nil {
				continue
			}
			for _, iu := range p.Interfaces {
				ifc := ifByUUID[iu]
				if ifc == nil || ifc.Ofport == nil || *ifc.Ofport <= 0 {
					continue
				}
				e := explain.Interface{OFPort: *ifc.Ofport, Name: ifc.Name, Type: ifc.Type,
					IfaceID: ifc.ExternalIDs["iface-id"], RemoteIP: ifc.Options["remote_ip"], PatchPeer: ifc.Options["peer"]}
				if ch, _, ok := tunnel.ParseTunnelID(p.ExternalIDs[tunnel.ChassisIDKey]); ok {
					e.RemoteChassis = ch
				}
				if lp := p.ExternalIDs[tunnel.LocalnetPortKey]; lp != "" {
					e.LocalnetPort = lp
				} else if lp := p.ExternalIDs[tunnel.L2GatewayPortKey]; lp != "" {
					e.LocalnetPort = lp
				}
				cat.Interfaces = append(cat.Interfaces, e)
			}
		}
	}
	return nil
}

// enrichCatalog adds the rows a trace's cookies name, the flows chassisd
// installed where the trace went, and (with nbRemote) Northbound rows.
func (a *Agent) enrichCatalog(ctx context.Context, cat *explain.Catalog, tr *explain.Trace, nbRemote string) error {
	sbCl, _ := a.sb.Client()
	if sbCl == nil {
		return errors.New("not connected to the Southbound database")
	}
	prefixes := map[string]bool{}
	type tp struct {
		table    uint8
		priority uint16
	}
	at := map[tp]bool{}
	hit := map[explain.InstalledFlow]bool{} // cookie 0: the flow's identity
	for _, p := range tr.Passes {
		for _, st := range p.Steps {
			if st.Cookie != 0 {
				prefixes[explain.CookiePrefix(st.Cookie)] = true
			}
			if !st.NoMatch && st.Table <= 255 && st.Priority <= 0xffff {
				at[tp{uint8(st.Table), uint16(st.Priority)}] = true
				hit[explain.InstalledFlow{Table: st.Table, Priority: st.Priority, Match: st.Match}] = true
			}
		}
	}
	named := func(uuid string) bool { return len(uuid) >= 8 && prefixes[uuid[:8]] }

	var dps []sbdb.DatapathBinding
	var groups []sbdb.LogicalDPGroup
	var lflows []sbdb.LogicalFlow
	var mcs []sbdb.MulticastGroup
	var mbs []sbdb.MACBinding
	var smbs []sbdb.StaticMACBinding
	for _, l := range []struct {
		name string
		dst  any
	}{{"Datapath_Binding", &dps}, {"Logical_DP_Group", &groups}, {"Multicast_Group", &mcs},
		{"MAC_Binding", &mbs}, {"Static_MAC_Binding", &smbs}} {
		if err := sbCl.List(ctx, l.dst); err != nil {
			return fmt.Errorf("read %s table: %w", l.name, err)
		}
	}
	if err := sbCl.WhereCache(func(f *sbdb.LogicalFlow) bool { return named(f.UUID) }).List(ctx, &lflows); err != nil {
		return fmt.Errorf("read Logical_Flow table: %w", err)
	}
	dpKey := make(map[string]uint32, len(dps))
	for _, d := range dps {
		dpKey[d.UUID] = uint32(d.TunnelKey)
	}
	groupKeys := make(map[string][]uint32, len(groups))
	for _, g := range groups {
		for _, d := range g.Datapaths {
			groupKeys[g.UUID] = append(groupKeys[g.UUID], dpKey[d])
		}
	}
	for _, f := range lflows {
		lf := explain.LogicalFlow{UUID: f.UUID, Pipeline: string(f.Pipeline), Table: f.TableID, Priority: f.Priority,
			Match: f.Match, Actions: f.Actions, ExternalIDs: f.ExternalIDs}
		if f.LogicalDatapath != nil {
			lf.Datapaths = append(lf.Datapaths, dpKey[*f.LogicalDatapath])
		}
		if f.LogicalDpGroup != nil {
			lf.Datapaths = append(lf.Datapaths, groupKeys[*f.LogicalDpGroup]...)
		}
		cat.LogicalFlows = append(cat.LogicalFlows, lf)
	}
	portName := make(map[string]string, len(cat.Ports))
	for _, p := range cat.Ports {
		portName[p.UUID] = p.Name
	}
	for _, m := range mcs {
		mg := explain.MulticastGroup{UUID: m.UUID, Name: m.Name, Datapath: dpKey[m.Datapath], Key: uint32(m.TunnelKey)}
		for _, p := range m.Ports {
			mg.Ports = append(mg.Ports, portName[p])
		}
		cat.MulticastGroups = append(cat.MulticastGroups, mg)
	}
	for _, m := range mbs {
		if named(m.UUID) {
			cat.MACBindings = append(cat.MACBindings, explain.MACBinding{UUID: m.UUID, Datapath: dpKey[m.Datapath],
				LogicalPort: m.LogicalPort, IP: m.IP, MAC: m.MAC})
		}
	}
	for _, m := range smbs {
		if named(m.UUID) {
			cat.MACBindings = append(cat.MACBindings, explain.MACBinding{UUID: m.UUID, Datapath: dpKey[m.Datapath],
				LogicalPort: m.LogicalPort, IP: m.IP, MAC: m.MAC, Static: true})
		}
	}
	// The reconciler belongs to the main loop; its desired table is safe
	// to read from here.
	var ofc *ofctrl.Controller
	if err := a.query(ctx, func() {
		if a.flows != nil {
			ofc = a.flows.ofc
		}
	}); err != nil {
		a.log.Warn("explain: cannot tell chassisd's flows from others'", "err", err)
	}
	if ofc != nil {
		cat.InstalledKnown = true
		for _, f := range ofc.DesiredFlows(func(t uint8, p uint16) bool { return at[tp{t, p}] }) {
			e := installedFlow(f)
			if hit[explain.InstalledFlow{Table: e.Table, Priority: e.Priority, Match: e.Match}] {
				cat.Installed = append(cat.Installed, e)
			}
		}
	}
	if nbRemote != "" {
		var hints []string
		for _, f := range cat.LogicalFlows {
			if h := f.ExternalIDs["stage-hint"]; h != "" {
				hints = append(hints, h)
			}
		}
		tlsCfg, err := a.sslConfigFor(nbRemote)
		if err != nil {
			return fmt.Errorf("--nb-db %s: %w", nbRemote, err)
		}
		rows, err := lookupNorthbound(ctx, nbRemote, tlsCfg, hints)
		if err != nil {
			return fmt.Errorf("--nb-db %s: %w", nbRemote, err)
		}
		cat.Northbound, cat.NorthboundRead = rows, true
	}
	return nil
}

func installedFlow(f ofctrl.Flow) explain.InstalledFlow {
	e := explain.InstalledFlow{Table: int(f.Table), Priority: int(f.Priority), Cookie: f.Cookie}
	if f.Match != nil {
		e.Match = f.Match.String()
	}
	return e
}
