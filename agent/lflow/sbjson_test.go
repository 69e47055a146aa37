package lflow

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/pipeline"
)

// This file reads `ovn-sbctl --format=json list TABLE` output into rows and
// turns a Southbound snapshot into an Input, computing locality the way
// ovn-controller's binding.c does for the topologies the tests build.

type sbRow map[string]any

func parseSBList(out string) ([]sbRow, error) {
	var doc struct {
		Headings []string `json:"headings"`
		Data     [][]any  `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		return nil, fmt.Errorf("parse ovn-sbctl json: %w", err)
	}
	rows := make([]sbRow, 0, len(doc.Data))
	for _, d := range doc.Data {
		r := sbRow{}
		for i, h := range doc.Headings {
			r[h] = d[i]
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// atom decodes one OVSDB JSON value: ["uuid", s] → s, ["set", [...]] →
// []any, ["map", [[k,v]...]] → map[string]string, scalars as they are.
func atom(v any) any {
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		return v
	}
	tag, _ := a[0].(string)
	switch tag {
	case "uuid", "named-uuid":
		return a[1].(string)
	case "set":
		var out []any
		for _, e := range a[1].([]any) {
			out = append(out, atom(e))
		}
		return out
	case "map":
		m := map[string]string{}
		for _, kv := range a[1].([]any) {
			p := kv.([]any)
			m[fmt.Sprint(atom(p[0]))] = fmt.Sprint(atom(p[1]))
		}
		return m
	}
	return v
}

func (r sbRow) str(col string) string {
	v := atom(r[col])
	switch x := v.(type) {
	case string:
		return x
	case []any: // empty or one-element optional
		if len(x) == 1 {
			return fmt.Sprint(x[0])
		}
		return ""
	case float64:
		return strconv.FormatInt(int64(x), 10)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func (r sbRow) int(col string) int64 {
	v := atom(r[col])
	switch x := v.(type) {
	case float64:
		return int64(x)
	case []any:
		if len(x) == 1 {
			if f, ok := x[0].(float64); ok {
				return int64(f)
			}
		}
	}
	return 0
}

func (r sbRow) strs(col string) []string {
	v := atom(r[col])
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func (r sbRow) smap(col string) map[string]string {
	if m, ok := atom(r[col]).(map[string]string); ok {
		return m
	}
	return map[string]string{}
}

// sbSnapshot is the raw Southbound tables a test reads.
type sbSnapshot map[string][]sbRow

// buildInput turns a snapshot into an Input for chassis chassisName,
// given the logical ports that have an interface on this chassis
// (iface-id of br-int interfaces).
func buildInput(sb sbSnapshot, chassisName string, ifaces map[string]bool) (*Input, error) {
	in := &Input{
		DPGroups:     map[string][]string{},
		AddressSets:  map[string][]string{},
		PortGroups:   map[string][]string{},
		TemplateVars: map[string]string{},
		Meters:       map[string]Meter{},
	}
	chassisUUID := ""
	chassisNames := map[string]string{}
	for _, c := range sb["Chassis"] {
		chassisNames[c.str("_uuid")] = c.str("name")
		if c.str("name") == chassisName {
			chassisUUID = c.str("_uuid")
		}
	}
	if chassisUUID == "" {
		return nil, fmt.Errorf("chassis %s not in SB", chassisName)
	}
	haGroups := map[string][]string{} // HA_Chassis_Group uuid -> chassis uuids by priority
	haChassis := map[string]sbRow{}
	for _, h := range sb["HA_Chassis"] {
		haChassis[h.str("_uuid")] = h
	}
	for _, g := range sb["HA_Chassis_Group"] {
		members := g.strs("ha_chassis")
		sort.Slice(members, func(i, j int) bool {
			return haChassis[members[i]].int("priority") > haChassis[members[j]].int("priority")
		})
		var ch []string
		for _, m := range members {
			ch = append(ch, haChassis[m].str("chassis"))
		}
		haGroups[g.str("_uuid")] = ch
	}

	dpByUUID := map[string]*Datapath{}
	for _, d := range sb["Datapath_Binding"] {
		dp := &Datapath{UUID: d.str("_uuid"), TunnelKey: uint32(d.int("tunnel_key")), ExternalIDs: d.smap("external_ids")}
		dpByUUID[dp.UUID] = dp
	}
	type pbInfo struct {
		row sbRow
		pb  *PortBinding
	}
	var pbs []*pbInfo
	byName := map[string]*pbInfo{}
	for _, r := range sb["Port_Binding"] {
		pb := &PortBinding{
			UUID: r.str("_uuid"), Name: r.str("logical_port"), Datapath: r.str("datapath"), TunnelKey: uint32(r.int("tunnel_key")),
			Type: pipeline.PortType(r.str("type")), Chassis: chassisNames[r.str("chassis")],
			MACs: r.strs("mac"), PortSecurity: r.strs("port_security"),
		}
		p := &pbInfo{row: r, pb: pb}
		pbs = append(pbs, p)
		byName[pb.Name] = p
	}

	local := map[string]bool{}
	var addLocal func(dp string, depth int)
	addLocal = func(dp string, depth int) {
		if local[dp] || depth > 100 {
			return
		}
		local[dp] = true
		for _, p := range pbs {
			if p.pb.Datapath != dp || (p.pb.Type != "patch" && p.pb.Type != "l3gateway") {
				continue
			}
			peer := byName[p.row.smap("options")["peer"]]
			if peer == nil {
				continue
			}
			if p.pb.Type == "l3gateway" {
				if p.row.smap("options")["l3gateway-chassis"] != chassisName {
					continue
				}
			} else if cr := p.row.smap("options")["chassis-redirect-port"]; cr != "" {
				crp := byName[cr]
				if crp != nil && crp.row.smap("options")["always-redirect"] == "true" &&
					!containsStr(haGroups[crp.row.str("ha_chassis_group")], chassisUUID) {
					continue
				}
			}
			addLocal(peer.pb.Datapath, depth+1)
		}
	}

	for _, p := range pbs {
		pb := p.pb
		boundHere := p.row.str("chassis") == chassisUUID
		switch pb.Type {
		case "patch", "vtep", "localnet":
			pb.Related = true
		case "localport":
			pb.Related = ifaces[pb.Name]
		case "", "virtual":
			if ifaces[pb.Name] || boundHere {
				pb.Related = true
				pb.Resident = boundHere
				addLocal(pb.Datapath, 0)
			}
		case "l2gateway", "l3gateway":
			opt := "l2gateway-chassis"
			if pb.Type == "l3gateway" {
				opt = "l3gateway-chassis"
			}
			if p.row.smap("options")[opt] == chassisName {
				pb.Related, pb.Resident = true, true
				addLocal(pb.Datapath, 0)
			}
		case "chassisredirect", "external":
			members := haGroups[p.row.str("ha_chassis_group")]
			if containsStr(members, chassisUUID) {
				pb.Related = true
				pb.Resident = len(members) > 0 && members[0] == chassisUUID
				addLocal(pb.Datapath, 0)
			}
		}
	}
	for _, dp := range dpByUUID {
		dp.Local = local[dp.UUID]
		in.Datapaths = append(in.Datapaths, *dp)
	}
	for _, p := range pbs {
		in.Ports = append(in.Ports, *p.pb)
	}
	for _, g := range sb["Logical_DP_Group"] {
		in.DPGroups[g.str("_uuid")] = g.strs("datapaths")
	}
	for _, g := range sb["Multicast_Group"] {
		in.MulticastGroups = append(in.MulticastGroups, MulticastGroup{Name: g.str("name"), Datapath: g.str("datapath"), TunnelKey: uint32(g.int("tunnel_key"))})
	}
	for _, a := range sb["Address_Set"] {
		in.AddressSets[a.str("name")] = a.strs("addresses")
	}
	for _, g := range sb["Port_Group"] {
		in.PortGroups[g.str("name")] = g.strs("ports")
	}
	for _, v := range sb["Chassis_Template_Var"] {
		if v.str("chassis") == chassisName {
			for k, val := range v.smap("variables") {
				in.TemplateVars[k] = val
			}
		}
	}
	bands := map[string]sbRow{}
	for _, b := range sb["Meter_Band"] {
		bands[b.str("_uuid")] = b
	}
	for _, m := range sb["Meter"] {
		mt := Meter{Name: m.str("name"), Unit: m.str("unit")}
		for _, b := range m.strs("bands") {
			mt.Bands = append(mt.Bands, MeterBand{Rate: uint32(bands[b].int("rate")), BurstSize: uint32(bands[b].int("burst_size"))})
		}
		in.Meters[mt.Name] = mt
	}
	for _, r := range sb["MAC_Binding"] {
		in.MACBindings = append(in.MACBindings, MACBinding{UUID: r.str("_uuid"), LogicalPort: r.str("logical_port"), IP: r.str("ip"), MAC: r.str("mac")})
	}
	for _, r := range sb["Static_MAC_Binding"] {
		in.MACBindings = append(in.MACBindings, MACBinding{UUID: r.str("_uuid"), LogicalPort: r.str("logical_port"), IP: r.str("ip"), MAC: r.str("mac"),
			Static: true, OverrideDynamicMAC: r.str("override_dynamic_mac") == "true"})
	}
	for _, r := range sb["Load_Balancer"] {
		in.LoadBalancers = append(in.LoadBalancers, LoadBalancer{UUID: r.str("_uuid"), VIPs: r.smap("vips"), Protocol: r.str("protocol"),
			Options: r.smap("options"), Datapaths: r.strs("datapaths"), DPGroup: r.str("datapath_group")})
	}
	for _, g := range sb["SB_Global"] {
		in.LBHairpinUseCTLabel = g.smap("options")["lb_hairpin_use_ct_mark"] == "false"
	}
	for _, r := range sb["FDB"] {
		in.FDBs = append(in.FDBs, FDB{UUID: r.str("_uuid"), MAC: r.str("mac"), DPKey: uint32(r.int("dp_key")), PortKey: uint32(r.int("port_key"))})
	}
	for _, r := range sb["Logical_Flow"] {
		f := LogicalFlow{
			UUID: r.str("_uuid"), TableID: int(r.int("table_id")), Priority: int(r.int("priority")),
			Match: r.str("match"), Actions: r.str("actions"), ControllerMeter: r.str("controller_meter"),
			Datapath: r.str("logical_datapath"), DPGroup: r.str("logical_dp_group"),
			InOutPort: r.smap("tags")["in_out_port"],
		}
		if r.str("pipeline") == "egress" {
			f.Pipeline = Egress
		}
		in.Flows = append(in.Flows, f)
	}
	return in, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var _ = strings.TrimSpace
