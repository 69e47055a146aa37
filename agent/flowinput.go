package agent

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ovn-org/libovsdb/client"

	"github.com/chassisd/chassisd/agent/config"
	"github.com/chassisd/chassisd/agent/db/sbdb"
	"github.com/chassisd/chassisd/agent/db/vswitchd"
	"github.com/chassisd/chassisd/agent/lflow"
	"github.com/chassisd/chassisd/agent/lflow/sbinput"
	"github.com/chassisd/chassisd/agent/physical"
	"github.com/chassisd/chassisd/agent/runtime"
	"github.com/chassisd/chassisd/openflow/pipeline"
	"github.com/chassisd/chassisd/tunnel"
)

// sbSnapshot is one consistent read of the Southbound tables the flow
// translation needs, indexed the ways the gatherers below use.
type sbSnapshot struct {
	global      sbdb.SBGlobal
	chassis     []sbdb.Chassis
	chassisName map[string]string // Chassis UUID → name
	encapIP     map[string]string // Encap UUID → ip
	datapaths   []sbdb.DatapathBinding
	dpKey       map[string]uint32 // Datapath_Binding UUID → tunnel key
	ports       []sbdb.PortBinding
	portName    map[string]string // Port_Binding UUID → logical_port
	haGroups    map[string]sbdb.HAChassisGroup
	haChassis   map[string]sbdb.HAChassis
	// dpGroupMembers maps a Logical_DP_Group UUID to its datapaths.
	dpGroupMembers map[string][]string
	lflows         []sbdb.LogicalFlow
	dpGroups       []sbdb.LogicalDPGroup
	mcGroups       []sbdb.MulticastGroup
	addrSets       []sbdb.AddressSet
	portGroups     []sbdb.PortGroup
	macBindings    []sbdb.MACBinding
	staticMACs     []sbdb.StaticMACBinding
	fdbs           []sbdb.FDB
	meters         []sbdb.Meter
	meterBands     map[string]sbdb.MeterBand
	templateVars   []sbdb.ChassisTemplateVar
	lbs            []sbdb.LoadBalancer
}

func readSB(ctx context.Context, cl client.Client) (*sbSnapshot, error) {
	s := &sbSnapshot{}
	var globals []sbdb.SBGlobal
	var haGroups []sbdb.HAChassisGroup
	var haChassis []sbdb.HAChassis
	var encaps []sbdb.Encap
	var bands []sbdb.MeterBand
	for _, l := range []struct {
		name string
		dst  any
	}{
		{"SB_Global", &globals}, {"Chassis", &s.chassis}, {"Encap", &encaps},
		{"Datapath_Binding", &s.datapaths}, {"Port_Binding", &s.ports},
		{"HA_Chassis_Group", &haGroups}, {"HA_Chassis", &haChassis},
		{"Logical_Flow", &s.lflows}, {"Logical_DP_Group", &s.dpGroups},
		{"Multicast_Group", &s.mcGroups}, {"Address_Set", &s.addrSets}, {"Port_Group", &s.portGroups},
		{"MAC_Binding", &s.macBindings}, {"Static_MAC_Binding", &s.staticMACs}, {"FDB", &s.fdbs},
		{"Meter", &s.meters}, {"Meter_Band", &bands}, {"Chassis_Template_Var", &s.templateVars},
		{"Load_Balancer", &s.lbs},
	} {
		if err := cl.List(ctx, l.dst); err != nil {
			return nil, fmt.Errorf("read %s table: %w", l.name, err)
		}
	}
	if len(globals) > 0 {
		s.global = globals[0]
	}
	s.chassisName = make(map[string]string, len(s.chassis))
	for _, c := range s.chassis {
		s.chassisName[c.UUID] = c.Name
	}
	s.encapIP = make(map[string]string, len(encaps))
	for _, e := range encaps {
		s.encapIP[e.UUID] = e.IP
	}
	s.dpKey = make(map[string]uint32, len(s.datapaths))
	for _, d := range s.datapaths {
		s.dpKey[d.UUID] = uint32(d.TunnelKey)
	}
	s.portName = make(map[string]string, len(s.ports))
	for _, p := range s.ports {
		s.portName[p.UUID] = p.LogicalPort
	}
	s.haGroups = make(map[string]sbdb.HAChassisGroup, len(haGroups))
	for _, g := range haGroups {
		s.haGroups[g.UUID] = g
	}
	s.haChassis = make(map[string]sbdb.HAChassis, len(haChassis))
	for _, h := range haChassis {
		s.haChassis[h.UUID] = h
	}
	s.dpGroupMembers = make(map[string][]string, len(s.dpGroups))
	for _, g := range s.dpGroups {
		s.dpGroupMembers[g.UUID] = g.Datapaths
	}
	s.meterBands = make(map[string]sbdb.MeterBand, len(bands))
	for _, b := range bands {
		s.meterBands[b.UUID] = b
	}
	return s, nil
}

// ovsSnapshot is what the flow translation needs from the local switch.
type ovsSnapshot struct {
	vifs        map[string]uint16 // iface-id → ofport, interfaces on br-int
	vifMTU      map[string]uint16 // iface-id → Interface.mtu
	patchPorts  map[string]uint16 // localnet/l2gateway lport → ofport of its br-int patch port
	tunnels     []physical.Tunnel
	collectors  map[uint32]bool
	tunnelPorts map[string]uint32 // chassis name → ofport of a tunnel to it
}

func readOVS(ctx context.Context, cl client.Client, brName string) (*ovsSnapshot, error) {
	bridges, _, ifaceRows, err := ovsBridges(ctx, cl)
	if err != nil {
		return nil, err
	}
	s := &ovsSnapshot{vifs: map[string]uint16{}, vifMTU: map[string]uint16{}, patchPorts: map[string]uint16{}, collectors: map[uint32]bool{}, tunnelPorts: map[string]uint32{}}
	var brInt *tunnel.Bridge
	for i := range bridges {
		if bridges[i].Name == brName {
			brInt = &bridges[i]
		}
	}
	if brInt == nil {
		return s, nil
	}
	for _, p := range brInt.Ports {
		for _, ifc := range p.Interfaces {
			if ifc.OFPort <= 0 || ifc.OFPort > 0xfeff {
				continue
			}
			ofport := uint16(ifc.OFPort)
			if row := ifaceRows[ifc.Name]; row != nil {
				if id := row.ExternalIDs["iface-id"]; id != "" {
					if _, dup := s.vifs[id]; !dup {
						s.vifs[id] = ofport
						if row.MTU != nil && *row.MTU > 0 && *row.MTU <= 0xffff {
							s.vifMTU[id] = uint16(*row.MTU)
						}
					}
				}
			}
			if lp := p.ExternalIDs[tunnel.LocalnetPortKey]; lp != "" {
				s.patchPorts[lp] = ofport
			}
			if lp := p.ExternalIDs[tunnel.L2GatewayPortKey]; lp != "" {
				s.patchPorts[lp] = ofport
			}
			if id := p.ExternalIDs[tunnel.ChassisIDKey]; id != "" {
				if ch, ip, ok := tunnel.ParseTunnelID(id); ok {
					s.tunnels = append(s.tunnels, physical.Tunnel{Chassis: ch, IP: ip, Type: ifc.Type, OFPort: ofport})
					if _, seen := s.tunnelPorts[ch]; !seen {
						s.tunnelPorts[ch] = uint32(ofport)
					}
				}
			}
		}
	}
	var sets []vswitchd.FlowSampleCollectorSet
	if err := cl.List(ctx, &sets); err != nil {
		return nil, fmt.Errorf("read Flow_Sample_Collector_Set table: %w", err)
	}
	for _, c := range sets {
		s.collectors[uint32(c.ID)] = true
	}
	return s, nil
}

// physicalInput builds the physical flow computation's input. The helper
// tables fed from MAC_Binding, FDB, Load_Balancer and port_security (66-75)
// are the translator's: see lflowInput.
func physicalInput(cfg config.Config, sb *sbSnapshot, ovs *ovsSnapshot, local map[string]bool, zones map[string]int, geneveField int) *physical.Input {
	in := &physical.Input{
		Chassis: cfg.ChassisName, Hostname: cfg.Hostname,
		VIFs: ovs.vifs, VIFMTU: ovs.vifMTU, PatchPorts: ovs.patchPorts, Tunnels: ovs.tunnels,
		CTZones: make(map[string]uint16, len(zones)), GeneveField: max(geneveField, 0),
		ChassisMACs: parseChassisMACs(cfg.ChassisMacMappings),
	}
	for u, z := range zones {
		in.CTZones[u] = uint16(z)
	}
	// Drops are sampled only into a collector set br-int really has.
	if v, err := strconv.ParseUint(sb.global.Options["debug_drop_collector_set"], 10, 32); err == nil && ovs.collectors[uint32(v)] {
		in.DropCollectorSet = uint32(v)
	}
	if v, err := strconv.ParseUint(sb.global.Options["debug_drop_domain_id"], 10, 32); err == nil {
		in.DropDomainID = uint32(v)
	}
	for _, d := range sb.datapaths {
		if local[d.UUID] {
			_, ts := d.ExternalIDs["interconn-ts"]
			in.Datapaths = append(in.Datapaths, physical.Datapath{UUID: d.UUID, TunnelKey: uint32(d.TunnelKey), IsTransitSwitch: ts})
		}
	}
	for _, p := range sb.ports {
		pb := physical.PortBinding{
			UUID: p.UUID, LogicalPort: p.LogicalPort, Type: pipeline.PortType(p.Type), TunnelKey: uint32(p.TunnelKey),
			DatapathKey: sb.dpKey[p.Datapath], Options: p.Options, ParentPort: deref(p.ParentPort),
			MAC: p.MAC,
		}
		if p.Chassis != nil {
			pb.Chassis = sb.chassisName[*p.Chassis]
		}
		for _, c := range p.AdditionalChassis {
			pb.AdditionalChassis = append(pb.AdditionalChassis, sb.chassisName[c])
		}
		if p.Encap != nil {
			pb.EncapIP = sb.encapIP[*p.Encap]
		}
		if p.Tag != nil {
			pb.Tag = uint16(*p.Tag)
		}
		if p.HaChassisGroup != nil {
			group := sb.haGroups[*p.HaChassisGroup]
			for _, rc := range group.RefChassis {
				if n, ok := sb.chassisName[rc]; ok {
					pb.HARefChassis = append(pb.HARefChassis, n)
				}
			}
			for _, hu := range group.HaChassis {
				h, ok := sb.haChassis[hu]
				if !ok {
					continue
				}
				m := physical.HAChassis{Priority: h.Priority}
				if h.Chassis != nil {
					m.Chassis = sb.chassisName[*h.Chassis]
				}
				pb.HAChassis = append(pb.HAChassis, m)
			}
		}
		in.Ports = append(in.Ports, pb)
	}
	for _, g := range sb.mcGroups {
		mg := physical.MulticastGroup{UUID: g.UUID, Name: g.Name, DatapathKey: sb.dpKey[g.Datapath], TunnelKey: uint32(g.TunnelKey)}
		for _, pu := range g.Ports {
			if n, ok := sb.portName[pu]; ok {
				mg.Ports = append(mg.Ports, n)
			}
		}
		in.MulticastGroups = append(in.MulticastGroups, mg)
	}
	for _, c := range sb.chassis {
		if c.OtherConfig["is-vtep"] == "true" {
			in.VTEPChassis = append(in.VTEPChassis, c.Name)
		}
		if c.Name == cfg.ChassisName {
			continue
		}
		if macs := parseChassisMACs(c.OtherConfig["ovn-chassis-mac-mappings"]); len(macs) > 0 {
			rm := physical.RemoteChassisMAC{UUID: c.UUID, Chassis: c.Name}
			for _, m := range strings.Split(c.OtherConfig["ovn-chassis-mac-mappings"], ",") {
				if _, mac, ok := strings.Cut(strings.TrimSpace(m), ":"); ok {
					rm.MACs = append(rm.MACs, mac)
				}
			}
			in.RemoteChassisMACs = append(in.RemoteChassisMACs, rm)
		}
	}
	return in
}

// parseChassisMACs parses ovn-chassis-mac-mappings ("physnet:MAC,...").
func parseChassisMACs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range strings.Split(s, ",") {
		if net, mac, ok := strings.Cut(strings.TrimSpace(m), ":"); ok && net != "" && mac != "" {
			out[net] = mac
		}
	}
	return out
}

// relatedPorts lists the logical ports whose flows this chassis installs
// (ovn-controller's related_lports).
func relatedPorts(ports []runtime.Port, local map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, p := range ports {
		switch {
		case p.Type == pipeline.PortPatch || p.Type == pipeline.PortVTEP:
			out[p.Name] = true
		case p.BoundHere:
			out[p.Name] = true
		case p.Type == pipeline.PortLocalport && p.HasLocalInterface:
			out[p.Name] = true
		case (p.Type == pipeline.PortChassisRedirect || p.Type == pipeline.PortExternal) && p.InHAGroup:
			out[p.Name] = true
		case p.Type == pipeline.PortLocalnet && local[p.Datapath]:
			out[p.Name] = true
		}
	}
	return out
}

// lflowInput builds the logical flow translation's input.
func lflowInput(cfg config.Config, sb *sbSnapshot, ovs *ovsSnapshot, rports []runtime.Port, local map[string]bool) *lflow.Input {
	related := relatedPorts(rports, local)
	resident := map[string]bool{}
	for _, p := range rports {
		if p.BoundHere {
			resident[p.Name] = true
		}
	}
	chassisName := func(uuid string) string { return sb.chassisName[uuid] }
	in := &lflow.Input{
		DPGroups:            sb.dpGroupMembers,
		AddressSets:         make(map[string][]string, len(sb.addrSets)),
		PortGroups:          make(map[string][]string, len(sb.portGroups)),
		TemplateVars:        sbinput.TemplateVars(sb.templateVars, cfg.ChassisName),
		ChassisTunnels:      ovs.tunnelPorts,
		CollectorSetIDs:     ovs.collectors,
		Meters:              make(map[string]lflow.Meter, len(sb.meters)),
		LBHairpinUseCTLabel: sbinput.LBHairpinUseCTLabel(&sb.global),
	}
	for i := range sb.lflows {
		in.Flows = append(in.Flows, sbinput.LogicalFlow(&sb.lflows[i]))
	}
	for i := range sb.datapaths {
		in.Datapaths = append(in.Datapaths, sbinput.Datapath(&sb.datapaths[i], local[sb.datapaths[i].UUID]))
	}
	for i := range sb.ports {
		p := &sb.ports[i]
		in.Ports = append(in.Ports, sbinput.PortBinding(p, chassisName, resident[p.LogicalPort], related[p.LogicalPort]))
	}
	for i := range sb.mcGroups {
		in.MulticastGroups = append(in.MulticastGroups, sbinput.MulticastGroup(&sb.mcGroups[i]))
	}
	for _, a := range sb.addrSets {
		in.AddressSets[a.Name] = a.Addresses
	}
	for _, g := range sb.portGroups {
		in.PortGroups[g.Name] = g.Ports
	}
	band := func(uuid string) *sbdb.MeterBand {
		if b, ok := sb.meterBands[uuid]; ok {
			return &b
		}
		return nil
	}
	for i := range sb.meters {
		in.Meters[sb.meters[i].Name] = sbinput.Meter(&sb.meters[i], band)
	}
	for i := range sb.macBindings {
		in.MACBindings = append(in.MACBindings, sbinput.MACBinding(&sb.macBindings[i]))
	}
	for i := range sb.staticMACs {
		in.MACBindings = append(in.MACBindings, sbinput.StaticMACBinding(&sb.staticMACs[i]))
	}
	for i := range sb.fdbs {
		in.FDBs = append(in.FDBs, sbinput.FDB(&sb.fdbs[i]))
	}
	for i := range sb.lbs {
		in.LoadBalancers = append(in.LoadBalancers, sbinput.LoadBalancer(&sb.lbs[i]))
	}
	return in
}
