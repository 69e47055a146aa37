package physical

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// This file turns `ovn-sbctl/ovs-vsctl --format=json list` output into
// Input, the way the agent gathers it from its databases. Test-only.

// dbRow is one row of a --format=json listing, by column name.
type dbRow map[string]any

// parseDBList parses `--format=json list TABLE` output.
func parseDBList(out string) ([]dbRow, error) {
	var doc struct {
		Headings []string `json:"headings"`
		Data     [][]any  `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		return nil, fmt.Errorf("parse db listing: %w", err)
	}
	rows := make([]dbRow, 0, len(doc.Data))
	for _, d := range doc.Data {
		r := dbRow{}
		for i, h := range doc.Headings {
			r[h] = d[i]
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// atoms flattens an OVSDB JSON value (atom, ["uuid",x], ["set",[...]]) into
// its atoms as strings.
func atoms(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case float64:
		return []string{strconv.FormatInt(int64(x), 10)}
	case bool:
		return []string{strconv.FormatBool(x)}
	case []any:
		if len(x) == 2 {
			if tag, ok := x[0].(string); ok {
				switch tag {
				case "uuid", "named-uuid":
					return []string{x[1].(string)}
				case "set":
					var out []string
					for _, e := range x[1].([]any) {
						out = append(out, atoms(e)...)
					}
					return out
				}
			}
		}
	}
	return nil
}

func (r dbRow) str(col string) string {
	if a := atoms(r[col]); len(a) > 0 {
		return a[0]
	}
	return ""
}

func (r dbRow) strs(col string) []string { return atoms(r[col]) }

func (r dbRow) num(col string) uint64 {
	n, _ := strconv.ParseUint(r.str(col), 10, 64)
	return n
}

func (r dbRow) smap(col string) map[string]string {
	m := map[string]string{}
	x, ok := r[col].([]any)
	if !ok || len(x) != 2 || x[0] != "map" {
		return m
	}
	for _, kv := range x[1].([]any) {
		p := kv.([]any)
		m[atoms(p[0])[0]] = atoms(p[1])[0]
	}
	return m
}

// dbLister runs `<tool> --format=json list <table>`.
type dbLister func(table string) ([]dbRow, error)

// gatherInput builds Input for chassis from the SB and local OVS contents,
// computing local datapaths as ovn-controller does for this topology: the
// datapaths of ports bound or present here, closed over patch peers.
func gatherInput(chassis string, sb, ovs dbLister) (*Input, error) {
	in := &Input{Chassis: chassis, VIFs: map[string]uint16{}, PatchPorts: map[string]uint16{}, CTZones: map[string]uint16{}}
	tables := map[string][]dbRow{}
	for _, t := range []string{"SB_Global", "Chassis", "Datapath_Binding", "Port_Binding", "Multicast_Group", "HA_Chassis_Group",
		"HA_Chassis", "Encap"} {
		rows, err := sb(t)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", t, err)
		}
		tables[t] = rows
	}
	collectors, err := ovs("Flow_Sample_Collector_Set")
	if err != nil {
		return nil, err
	}
	for _, r := range tables["SB_Global"] {
		o := r.smap("options")
		set, err := strconv.ParseUint(o["debug_drop_collector_set"], 10, 32)
		if err != nil {
			continue
		}
		// Only a collector set that exists (on br-int; the test has one
		// bridge with collectors) enables sampling.
		for _, cs := range collectors {
			if cs.num("id") == set {
				in.DropCollectorSet = uint32(set)
			}
		}
		if v, err := strconv.ParseUint(o["debug_drop_domain_id"], 10, 32); err == nil && in.DropCollectorSet != 0 {
			in.DropDomainID = uint32(v)
		}
	}
	chassisName := map[string]string{}
	for _, r := range tables["Chassis"] {
		chassisName[r.str("_uuid")] = r.str("name")
		if r.str("name") == chassis {
			in.Hostname = r.str("hostname")
			for _, tok := range strings.Split(r.smap("other_config")["ovn-chassis-mac-mappings"], ",") {
				if k, v, ok := strings.Cut(tok, ":"); ok {
					if in.ChassisMACs == nil {
						in.ChassisMACs = map[string]string{}
					}
					in.ChassisMACs[k] = v
				}
			}
			continue
		}
		if r.smap("other_config")["is-vtep"] == "true" {
			in.VTEPChassis = append(in.VTEPChassis, r.str("name"))
		}
		if mm := r.smap("other_config")["ovn-chassis-mac-mappings"]; mm != "" {
			rc := RemoteChassisMAC{UUID: r.str("_uuid"), Chassis: r.str("name")}
			for _, tok := range strings.Split(mm, ",") {
				if _, v, ok := strings.Cut(tok, ":"); ok {
					rc.MACs = append(rc.MACs, v)
				}
			}
			in.RemoteChassisMACs = append(in.RemoteChassisMACs, rc)
		}
	}
	encapIP := map[string]string{}
	for _, r := range tables["Encap"] {
		encapIP[r.str("_uuid")] = r.str("ip")
	}
	haChassis := map[string]HAChassis{}
	for _, r := range tables["HA_Chassis"] {
		haChassis[r.str("_uuid")] = HAChassis{Chassis: chassisName[r.str("chassis")], Priority: int(r.num("priority"))}
	}
	haGroup := map[string][]HAChassis{}
	haRefs := map[string][]string{}
	for _, r := range tables["HA_Chassis_Group"] {
		for _, u := range r.strs("ha_chassis") {
			haGroup[r.str("_uuid")] = append(haGroup[r.str("_uuid")], haChassis[u])
		}
		for _, u := range r.strs("ref_chassis") {
			haRefs[r.str("_uuid")] = append(haRefs[r.str("_uuid")], chassisName[u])
		}
	}
	dpKey := map[string]uint32{}
	allDP := map[uint32]Datapath{}
	for _, r := range tables["Datapath_Binding"] {
		k := uint32(r.num("tunnel_key"))
		dpKey[r.str("_uuid")] = k
		allDP[k] = Datapath{UUID: r.str("_uuid"), TunnelKey: k, IsTransitSwitch: r.smap("external_ids")["interconn-ts"] != ""}
	}
	portName := map[string]string{}
	for _, r := range tables["Port_Binding"] {
		pb := PortBinding{
			UUID: r.str("_uuid"), LogicalPort: r.str("logical_port"), Type: pipeline.PortType(r.str("type")),
			TunnelKey: uint32(r.num("tunnel_key")), DatapathKey: dpKey[r.str("datapath")],
			Chassis: chassisName[r.str("chassis")], EncapIP: encapIP[r.str("encap")],
			Options: r.smap("options"), ParentPort: r.str("parent_port"), Tag: uint16(r.num("tag")),
			MAC: r.strs("mac"), HAChassis: haGroup[r.str("ha_chassis_group")],
			HARefChassis: haRefs[r.str("ha_chassis_group")],
		}
		for _, u := range r.strs("additional_chassis") {
			pb.AdditionalChassis = append(pb.AdditionalChassis, chassisName[u])
		}
		portName[pb.UUID] = pb.LogicalPort
		in.Ports = append(in.Ports, pb)
	}
	for _, r := range tables["Multicast_Group"] {
		mg := MulticastGroup{UUID: r.str("_uuid"), Name: r.str("name"), DatapathKey: dpKey[r.str("datapath")],
			TunnelKey: uint32(r.num("tunnel_key"))}
		for _, u := range r.strs("ports") {
			mg.Ports = append(mg.Ports, portName[u])
		}
		in.MulticastGroups = append(in.MulticastGroups, mg)
	}

	// Local OVS: interfaces with ofports, tunnel and patch ports, zones.
	ifaces, err := ovs("Interface")
	if err != nil {
		return nil, err
	}
	ports, err := ovs("Port")
	if err != nil {
		return nil, err
	}
	bridges, err := ovs("Bridge")
	if err != nil {
		return nil, err
	}
	// Only interfaces on br-int count (the localnet patch peer on the
	// provider bridge carries the same external_ids).
	brIntPorts := map[string]bool{}
	for _, b := range bridges {
		if b.str("name") == "br-int" {
			for _, u := range b.strs("ports") {
				brIntPorts[u] = true
			}
		}
	}
	portIDs := map[string]map[string]string{}
	brIntIfaces := map[string]bool{}
	for _, p := range ports {
		if !brIntPorts[p.str("_uuid")] {
			continue
		}
		portIDs[p.str("name")] = p.smap("external_ids")
		for _, u := range p.strs("interfaces") {
			brIntIfaces[u] = true
		}
	}
	for _, r := range ifaces {
		ofport := r.num("ofport")
		if ofport == 0 || ofport >= 0xff00 || !brIntIfaces[r.str("_uuid")] {
			continue
		}
		name := r.str("name")
		pids := portIDs[name]
		switch {
		case r.smap("external_ids")["iface-id"] != "":
			id := r.smap("external_ids")["iface-id"]
			in.VIFs[id] = uint16(ofport)
			if mtu := r.num("mtu"); mtu != 0 {
				if in.VIFMTU == nil {
					in.VIFMTU = map[string]uint16{}
				}
				in.VIFMTU[id] = uint16(mtu)
			}
		case pids["ovn-chassis-id"] != "":
			ch, ip, _ := strings.Cut(pids["ovn-chassis-id"], "@")
			in.Tunnels = append(in.Tunnels, Tunnel{Chassis: ch, IP: ip, Type: r.str("type"), OFPort: uint16(ofport)})
		case pids["ovn-localnet-port"] != "":
			in.PatchPorts[pids["ovn-localnet-port"]] = uint16(ofport)
		case pids["ovn-l2gateway-port"] != "":
			in.PatchPorts[pids["ovn-l2gateway-port"]] = uint16(ofport)
		}
	}
	for _, b := range bridges {
		if b.str("name") != "br-int" {
			continue
		}
		for k, v := range b.smap("external_ids") {
			if name, ok := strings.CutPrefix(k, "ct-zone-"); ok {
				z, _ := strconv.Atoi(v)
				in.CTZones[name] = uint16(z)
			}
		}
	}

	// Local datapaths: ports here (bound, present as VIF, gateway), closed
	// over patch peers.
	local := map[uint32]bool{}
	var queue []uint32
	mark := func(k uint32) {
		if !local[k] {
			local[k] = true
			queue = append(queue, k)
		}
	}
	for _, pb := range in.Ports {
		if pb.Chassis == chassis || in.VIFs[pb.LogicalPort] != 0 {
			mark(pb.DatapathKey)
		}
	}
	byName := map[string]PortBinding{}
	for _, pb := range in.Ports {
		byName[pb.LogicalPort] = pb
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		for _, pb := range in.Ports {
			if pb.DatapathKey != k || (pb.Type != "patch" && !(pb.Type == "l3gateway" && pb.Chassis == chassis)) {
				continue
			}
			if peer, ok := byName[pb.Options["peer"]]; ok {
				mark(peer.DatapathKey)
			}
		}
	}
	keys := make([]uint32, 0, len(local))
	for k := range local {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		in.Datapaths = append(in.Datapaths, allDP[k])
	}
	return in, nil
}
