package tunnel

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/chassisd/chassisd/e2e/sandbox"
)

// ovsPort is what the comparison reads back from a bridge.
type ovsPort struct {
	Type        string
	Options     map[string]string
	ExternalIDs map[string]string
}

// TestPlansMatchRealController lets the real ovn-controller create tunnels
// and patch ports in a sandbox and checks that the planners compute the same
// names, types, options and external_ids.
func TestPlansMatchRealController(t *testing.T) {
	sandbox.Require(t, []string{"ovn-controller"})
	central := sandbox.NewCentral(t, sandbox.CentralOptions{})
	hv := central.NewChassis(t, sandbox.ChassisOptions{Name: "hv1"})
	if err := hv.AddBridge("br-provider"); err != nil {
		t.Fatal(err)
	}
	hv.MustConfigure("hv1", "192.168.0.1", "geneve", "physnet1:br-provider", "physnet9:br-missing")
	hv.MustStartAgent(sandbox.AgentSpec{Kind: sandbox.AgentOVNController})
	if err := central.WaitChassis("hv1"); err != nil {
		t.Fatal(err)
	}

	// Remote chassis that never run a controller.
	central.MustSbctl("chassis-add", "hv2", "geneve", "192.168.0.2")
	central.MustSbctl("chassis-add", "gw-node-a", "geneve,vxlan", "192.168.0.3")
	central.MustSbctl("chassis-add", "vtep-only", "vxlan", "192.168.0.4")
	central.MustSbctl("chassis-add", "hv5", "geneve", "192.168.0.5")
	encap := central.MustSbctl("--bare", "--columns=_uuid", "find", "Encap", "chassis_name=hv5")
	central.MustSbctl("set", "Encap", encap, "options:csum=false", "options:dst_port=6082")

	// A provider network with a localnet port, made local by a VIF on hv1,
	// and one on an unmapped network.
	central.MustNbctl("ls-add", "net1", "--", "lsp-add", "net1", "ln-net1",
		"--", "lsp-set-type", "ln-net1", "localnet",
		"--", "lsp-set-options", "ln-net1", "network_name=physnet1",
		"--", "lsp-set-addresses", "ln-net1", "unknown",
		"--", "lsp-add", "net1", "ln-net2",
		"--", "lsp-set-type", "ln-net2", "localnet",
		"--", "lsp-set-options", "ln-net2", "network_name=physnet2",
		"--", "lsp-add", "net1", "vm1", "--", "lsp-set-addresses", "vm1", "50:54:00:00:00:01 10.0.0.11")
	if err := hv.AddVIF("vm1", "internal", "vm1"); err != nil {
		t.Fatal(err)
	}
	if err := central.WaitPortUp("vm1", "hv1"); err != nil {
		t.Fatal(err)
	}

	remotes, err := readSBChassis(central)
	if err != nil {
		t.Fatal(err)
	}
	if len(remotes) != 5 {
		t.Fatalf("SB has %d chassis, want 5: %+v", len(remotes), remotes)
	}
	tplan := PlanTunnels(Config{ChassisName: "hv1", Encaps: []Encap{geneve("192.168.0.1")}}, remotes, Bridge{Name: "br-int"})
	wantTunnels := map[string]ovsPort{}
	for _, p := range tplan.Want {
		wantTunnels[p.Name] = ovsPort{Type: p.Type, Options: p.Options, ExternalIDs: p.ExternalIDs()}
	}
	if len(wantTunnels) != 3 {
		t.Fatalf("planner wants %d tunnels, expected 3: %+v", len(wantTunnels), tplan)
	}

	pplan := PlanPatchPorts(PatchConfig{ChassisName: "hv1", IntegrationBridge: "br-int",
		BridgeMappings: "physnet1:br-provider,physnet9:br-missing"},
		[]PatchBinding{
			{LogicalPort: "ln-net1", Type: TypeLocalnet, NetworkName: "physnet1", OnLocalDatapath: true},
			{LogicalPort: "ln-net2", Type: TypeLocalnet, NetworkName: "physnet2", OnLocalDatapath: true},
		},
		[]Bridge{{Name: "br-int"}, {Name: "br-provider"}})
	wantPatches := map[string]ovsPort{}
	for _, p := range pplan.Want {
		wantPatches[p.Bridge+"/"+p.Name] = ovsPort{Type: "patch", Options: p.Options(), ExternalIDs: p.ExternalIDs()}
	}

	var gotTunnels, gotPatches map[string]ovsPort
	err = sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		var err error
		gotTunnels, gotPatches, err = readPorts(hv)
		if err != nil {
			return false, err
		}
		return reflect.DeepEqual(gotTunnels, wantTunnels) && reflect.DeepEqual(gotPatches, wantPatches), nil
	})
	if err != nil {
		t.Errorf("ovn-controller tunnels:\n%v\nplanned:\n%v", describe(gotTunnels), describe(wantTunnels))
		t.Errorf("ovn-controller patch ports:\n%v\nplanned:\n%v", describe(gotPatches), describe(wantPatches))
		t.Fatal(err)
	}

	// Removing a chassis removes its tunnel; the planner, given what is on
	// the bridge now, agrees on what goes.
	central.MustSbctl("chassis-del", "hv2")
	var existing []Port
	for name, p := range gotTunnels {
		existing = append(existing, Port{Name: name, ExternalIDs: p.ExternalIDs,
			Interfaces: []Interface{{Name: name, Type: p.Type, Options: p.Options}}})
	}
	remotes, err = readSBChassis(central)
	if err != nil {
		t.Fatal(err)
	}
	after := PlanTunnels(Config{ChassisName: "hv1", Encaps: []Encap{geneve("192.168.0.1")}},
		remotes, Bridge{Name: "br-int", Ports: existing})
	if len(after.Add) != 0 || !reflect.DeepEqual(after.Remove, []string{"ovn-hv2-0"}) {
		t.Fatalf("plan after chassis-del hv2: add %v remove %v, want remove [ovn-hv2-0] only", after.Add, after.Remove)
	}
	if err := sandbox.Eventually(sandbox.DefaultTimeout, func() (bool, error) {
		got, _, err := readPorts(hv)
		_, still := got["ovn-hv2-0"]
		return err == nil && !still && len(got) == 2, err
	}); err != nil {
		t.Fatalf("ovn-controller did not remove ovn-hv2-0: %v", err)
	}
}

// readSBChassis builds the planner's view of the SB Chassis and Encap rows.
func readSBChassis(central *sandbox.Central) ([]Chassis, error) {
	raw, err := central.Sbctl("--format=json", "--columns=chassis_name,type,ip,options", "list", "Encap")
	if err != nil {
		return nil, err
	}
	rows, err := parseTable(raw)
	if err != nil {
		return nil, err
	}
	byName := map[string]*Chassis{}
	var order []string
	for _, r := range rows {
		name := r["chassis_name"].(string)
		if byName[name] == nil {
			byName[name] = &Chassis{Name: name}
			order = append(order, name)
		}
		byName[name].Encaps = append(byName[name].Encaps, Encap{
			Type: r["type"].(string), IP: r["ip"].(string), Options: r["options"].(map[string]string),
		})
	}
	raw, err = central.Sbctl("--format=json", "--columns=name,transport_zones,other_config", "list", "Chassis")
	if err != nil {
		return nil, err
	}
	if rows, err = parseTable(raw); err != nil {
		return nil, err
	}
	for _, r := range rows {
		ch := byName[r["name"].(string)]
		if ch == nil {
			continue
		}
		ch.TransportZones = asStrings(r["transport_zones"])
		ch.OtherConfig = r["other_config"].(map[string]string)
	}
	var out []Chassis
	for _, n := range order {
		out = append(out, *byName[n])
	}
	return out, nil
}

// asStrings turns a decoded set column (one element or a set) into a slice.
func asStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	}
	return nil
}

// readPorts returns the tunnel ports (by name) and patch ports (by
// bridge/name) of the chassis.
func readPorts(hv *sandbox.Chassis) (tunnels, patches map[string]ovsPort, err error) {
	ifaces, err := vsctlList(hv, "Interface", "name,type,options")
	if err != nil {
		return nil, nil, err
	}
	ports, err := vsctlList(hv, "Port", "name,external_ids")
	if err != nil {
		return nil, nil, err
	}
	bridges, err := vsctlList(hv, "Bridge", "name,ports")
	if err != nil {
		return nil, nil, err
	}
	portByUUID := map[string]string{}
	raw, err := hv.Vsctl("--format=json", "--columns=_uuid,name", "list", "Port")
	if err != nil {
		return nil, nil, err
	}
	rows, err := parseTable(raw)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		portByUUID[r["_uuid"].(string)] = r["name"].(string)
	}
	bridgeOf := map[string]string{}
	for _, b := range bridges {
		for _, u := range asStrings(b["ports"]) {
			bridgeOf[portByUUID[u]] = b["name"].(string)
		}
	}
	extIDs := map[string]map[string]string{}
	for _, p := range ports {
		extIDs[p["name"].(string)] = p["external_ids"].(map[string]string)
	}
	tunnels, patches = map[string]ovsPort{}, map[string]ovsPort{}
	for _, i := range ifaces {
		name, typ := i["name"].(string), i["type"].(string)
		p := ovsPort{Type: typ, Options: i["options"].(map[string]string), ExternalIDs: extIDs[name]}
		switch typ {
		case "geneve", "vxlan", "stt":
			tunnels[name] = p
		case "patch":
			patches[bridgeOf[name]+"/"+name] = p
		}
	}
	return tunnels, patches, nil
}

// readBrInt reads br-int's ports and interfaces (with ofports).
func readBrInt(hv *sandbox.Chassis) (Bridge, error) {
	ifaces, err := vsctlList(hv, "Interface", "name,type,options,ofport,bfd,bfd_status")
	if err != nil {
		return Bridge{}, err
	}
	ports, err := vsctlList(hv, "Port", "name,external_ids")
	if err != nil {
		return Bridge{}, err
	}
	byName := map[string]Interface{}
	for _, i := range ifaces {
		of := 0
		if s, ok := i["ofport"].(string); ok {
			of, _ = strconv.Atoi(s)
		}
		byName[i["name"].(string)] = Interface{Name: i["name"].(string), Type: i["type"].(string),
			Options: i["options"].(map[string]string), OFPort: of,
			BFD: i["bfd"].(map[string]string), BFDStatus: i["bfd_status"].(map[string]string)}
	}
	br := Bridge{Name: "br-int"}
	for _, p := range ports {
		name := p["name"].(string)
		br.Ports = append(br.Ports, Port{Name: name, ExternalIDs: p["external_ids"].(map[string]string),
			Interfaces: []Interface{byName[name]}})
	}
	return br, nil
}

func vsctlList(hv *sandbox.Chassis, table, columns string) ([]map[string]any, error) {
	raw, err := hv.Vsctl("--format=json", "--columns="+columns, "list", table)
	if err != nil {
		return nil, err
	}
	return parseTable(raw)
}

// parseTable decodes ovs-vsctl --format=json output into rows of strings,
// []string (sets of UUIDs) and map[string]string.
func parseTable(raw string) ([]map[string]any, error) {
	var tbl struct {
		Headings []string            `json:"headings"`
		Data     [][]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(raw), &tbl); err != nil {
		return nil, fmt.Errorf("decode ovs-vsctl json: %w", err)
	}
	var rows []map[string]any
	for _, d := range tbl.Data {
		row := map[string]any{}
		for i, cell := range d {
			v, err := decodeDatum(cell)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", tbl.Headings[i], err)
			}
			row[tbl.Headings[i]] = v
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func decodeDatum(cell json.RawMessage) (any, error) {
	var s string
	if json.Unmarshal(cell, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(cell, &n) == nil {
		return n.String(), nil
	}
	var tagged []json.RawMessage
	if err := json.Unmarshal(cell, &tagged); err != nil || len(tagged) != 2 {
		return nil, fmt.Errorf("unexpected datum %s", cell)
	}
	var tag string
	_ = json.Unmarshal(tagged[0], &tag)
	switch tag {
	case "uuid":
		var u string
		err := json.Unmarshal(tagged[1], &u)
		return u, err
	case "map":
		var pairs [][2]string
		if err := json.Unmarshal(tagged[1], &pairs); err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, p := range pairs {
			m[p[0]] = p[1]
		}
		return m, nil
	case "set":
		var elems []json.RawMessage
		if err := json.Unmarshal(tagged[1], &elems); err != nil {
			return nil, err
		}
		out := []string{}
		for _, e := range elems {
			v, err := decodeDatum(e)
			if err != nil {
				return nil, err
			}
			out = append(out, fmt.Sprint(v))
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected datum %s", cell)
}

func describe(ports map[string]ovsPort) string {
	names := make([]string, 0, len(ports))
	for n := range ports {
		names = append(names, n)
	}
	sort.Strings(names)
	var s string
	for _, n := range names {
		s += fmt.Sprintf("  %s: %+v\n", n, ports[n])
	}
	return s
}
